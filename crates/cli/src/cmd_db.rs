//! `baseliner db import FILE...` and `baseliner db status`: the vulnerability
//! knowledge base (see `baseliner_vulns::Kb`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use baseliner_vulns::Kb;
use clap::{Args, Subcommand};

#[derive(Args)]
pub struct DbArgs {
    #[command(subcommand)]
    pub cmd: DbCmd,
}

#[derive(Subcommand)]
pub enum DbCmd {
    /// Import downloaded feeds: NVD CVE API 2.0 JSON (plain or gzip), OSV JSON or zip
    /// dumps, the CISA KEV catalogue (CSV or JSON), kernel stream-fix data.
    Import(ImportArgs),
    /// Show sources, record counts and dates.
    Status(StatusArgs),
}

/// Where the knowledge base lives.
#[derive(Args, Clone)]
pub struct DbPath {
    /// Knowledge-base file [default: $XDG_DATA_HOME/baseliner/kb.sqlite].
    #[arg(long)]
    pub db: Option<PathBuf>,
}

impl DbPath {
    pub fn resolve(&self) -> Result<PathBuf> {
        match &self.db {
            Some(p) => Ok(p.clone()),
            None => baseliner_vulns::default_path()
                .context("no data directory (set XDG_DATA_HOME or HOME, or pass --db)"),
        }
    }
}

#[derive(Args)]
pub struct ImportArgs {
    /// Feed files to import.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub db: DbPath,
}

#[derive(Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub db: DbPath,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: DbArgs) -> Result<ExitCode> {
    match a.cmd {
        DbCmd::Import(a) => import(a),
        DbCmd::Status(a) => status(a),
    }
}

fn import(a: ImportArgs) -> Result<ExitCode> {
    let path = a.db.resolve()?;
    let kb = Kb::open(&path)?;
    let mut failed = false;
    for f in &a.files {
        match kb.import(f) {
            Ok(s) => {
                println!(
                    "{}: {}: {} added, {} replaced, {} unchanged, {} skipped",
                    f.display(),
                    s.format,
                    s.counts.added,
                    s.counts.replaced,
                    s.counts.unchanged,
                    s.skipped.len()
                );
                for m in s.skipped.iter().take(20) {
                    eprintln!("  skipped {m}");
                }
                if s.skipped.len() > 20 {
                    eprintln!("  … {} more skipped", s.skipped.len() - 20);
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    println!("knowledge base: {}", path.display());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn status(a: StatusArgs) -> Result<ExitCode> {
    let path = a.db.resolve()?;
    if !path.exists() {
        anyhow::bail!(
            "no knowledge base at {} (run `baseliner db import FILE...`)",
            path.display()
        );
    }
    let st = Kb::open(&path)?.status()?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&st)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "knowledge base {} (schema {})",
        st.path.display(),
        st.schema
    );
    if st.sources.is_empty() {
        println!("  empty: run `baseliner db import FILE...`");
    }
    for s in &st.sources {
        println!(
            "  {:<20} {:>8} records  newest {:<24} imported {}  from {}",
            s.kind,
            s.records,
            s.newest.as_deref().unwrap_or("-"),
            s.imported_at,
            s.file
        );
    }
    Ok(ExitCode::SUCCESS)
}
