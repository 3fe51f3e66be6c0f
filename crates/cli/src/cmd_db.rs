//! `baseliner db update|import|export|status`: the vulnerability knowledge base (see
//! `baseliner_vulns::Kb`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use baseliner_vulns::update::{self, Event, Feed, UpdateOptions};
use baseliner_vulns::{Kb, time};
use clap::{Args, Subcommand, ValueEnum};

#[derive(Args)]
pub struct DbArgs {
    #[command(subcommand)]
    pub cmd: DbCmd,
}

#[derive(Subcommand)]
pub enum DbCmd {
    /// Fetch current data: NVD (API 2.0; NVD_API_KEY raises the rate limit), OSV
    /// archives, CISA KEV. The first run downloads everything, later runs what changed.
    Update(UpdateArgs),
    /// Import downloaded feeds (NVD CVE API 2.0 JSON, plain or gzip; OSV JSON or zip
    /// dumps; the CISA KEV catalogue, CSV or JSON; kernel stream-fix data) or a
    /// snapshot from `db export` (checksum and, with --key, signature checked).
    Import(ImportArgs),
    /// Write a compressed, checksummed snapshot (signed with --key) for other machines.
    Export(ExportArgs),
    /// Show sources, record counts, dates, age and snapshot.
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

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SourceArg {
    Nvd,
    Osv,
    Kev,
    All,
}

#[derive(Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub db: DbPath,
    /// Feeds to fetch (repeatable).
    #[arg(long = "source", value_enum, default_value = "all")]
    pub sources: Vec<SourceArg>,
    /// NVD CVE API 2.0 endpoint or a mirror of it.
    #[arg(long, default_value = update::NVD_URL)]
    pub nvd_url: String,
    /// Base URL of OSV `{ecosystem}/all.zip` archives, or a mirror.
    #[arg(long, default_value = update::OSV_URL)]
    pub osv_url: String,
    /// CISA KEV JSON catalogue URL, or a mirror.
    #[arg(long, default_value = update::KEV_URL)]
    pub kev_url: String,
    /// OSV ecosystems to fetch (repeatable) [default: Debian, Alpine].
    #[arg(long = "osv-ecosystem")]
    pub osv_ecosystems: Vec<String>,
    /// Records per NVD request (the API's maximum is 2000).
    #[arg(long, default_value_t = update::NVD_MAX_PAGE, hide = true)]
    pub nvd_page_size: u32,
}

#[derive(Args)]
pub struct ImportArgs {
    /// Feed files or snapshots to import.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub db: DbPath,
    /// Public key (PREFIX.pub from `baseliner keys new`) snapshots must be signed by.
    #[arg(long)]
    pub key: Option<PathBuf>,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Snapshot file to write.
    pub file: PathBuf,
    #[command(flatten)]
    pub db: DbPath,
    /// Secret key (PREFIX.key from `baseliner keys new`) to sign the snapshot with.
    #[arg(long)]
    pub key: Option<PathBuf>,
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
        DbCmd::Update(a) => update(a),
        DbCmd::Import(a) => import(a),
        DbCmd::Export(a) => export(a),
        DbCmd::Status(a) => status(a),
    }
}

/// Progress of an update on a terminal: the current feed, pages, records and waits.
struct Progress(Option<indicatif::ProgressBar>);

impl update::Observer for Progress {
    fn event(&self, e: &Event) {
        let Some(pb) = &self.0 else { return };
        match e {
            Event::Plan { source, what } => pb.set_message(format!("{source}: {what}")),
            Event::Page {
                source,
                done,
                total,
                ..
            } => pb.set_message(format!("{source}: {done} of {total} records")),
            Event::Waiting {
                source,
                seconds,
                reason,
            } => pb.set_message(format!("{source}: waiting {seconds:.1} s ({reason})")),
            Event::Unchanged { source } => pb.set_message(format!("{source}: unchanged")),
            Event::Downloaded { source, bytes } => pb.set_message(format!(
                "{source}: {:.1} MiB downloaded, importing",
                *bytes as f64 / 1_048_576.0
            )),
        }
    }
}

/// One feed's outcome in a few words.
fn feed_line(f: &update::FeedReport) -> String {
    if let Some(e) = &f.error {
        return format!("{} FAILED ({e})", f.source);
    }
    if f.unchanged {
        return format!("{} unchanged", f.source);
    }
    let mut s = format!(
        "{} {} added, {} replaced, {} unchanged",
        f.source, f.counts.added, f.counts.replaced, f.counts.unchanged
    );
    if f.removed > 0 {
        s.push_str(&format!(", {} removed", f.removed));
    }
    if f.skipped_total > 0 {
        s.push_str(&format!(", {} skipped", f.skipped_total));
    }
    s
}

fn update(a: UpdateArgs) -> Result<ExitCode> {
    let path = a.db.resolve()?;
    let kb = Kb::open(&path)?;
    let mut feeds = Vec::new();
    for s in &a.sources {
        let add: &[Feed] = match s {
            SourceArg::Nvd => &[Feed::Nvd],
            SourceArg::Osv => &[Feed::Osv],
            SourceArg::Kev => &[Feed::Kev],
            SourceArg::All => &[Feed::Nvd, Feed::Osv, Feed::Kev],
        };
        for f in add {
            if !feeds.contains(f) {
                feeds.push(*f);
            }
        }
    }
    let key = std::env::var("NVD_API_KEY")
        .ok()
        .map(|k| k.trim().to_string())
        .filter(|k| !k.is_empty());
    let mut opts = UpdateOptions {
        feeds,
        nvd_url: a.nvd_url,
        osv_url: a.osv_url,
        kev_url: a.kev_url,
        nvd_page_size: a.nvd_page_size,
        ..UpdateOptions::default()
    }
    .with_nvd_api_key(key);
    if !a.osv_ecosystems.is_empty() {
        opts.osv_ecosystems = a.osv_ecosystems;
    }
    let terminal = std::io::stderr().is_terminal();
    let progress = Progress(crate::spinner());
    let started = std::time::Instant::now();
    let report = kb.update(&opts, &progress)?;
    if let Some(pb) = &progress.0 {
        pb.set_message("building the matcher's index");
    }
    let index = kb.prepare_index()?;
    if let Some(pb) = &progress.0 {
        pb.finish_and_clear();
    }
    for f in &report.feeds {
        for m in &f.skipped {
            eprintln!("  {} skipped {m}", f.source);
        }
        if f.skipped_total > f.skipped.len() {
            eprintln!(
                "  {} … {} more skipped",
                f.source,
                f.skipped_total - f.skipped.len()
            );
        }
    }
    let lines: Vec<String> = report.feeds.iter().map(feed_line).collect();
    let requests: u64 = report.feeds.iter().map(|f| f.requests).sum();
    if terminal {
        for (f, l) in report.feeds.iter().zip(&lines) {
            println!(
                "{l}{}",
                if f.plan.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", f.plan)
                }
            );
        }
        println!(
            "knowledge base {} updated in {:.1} s, {requests} requests{}",
            path.display(),
            started.elapsed().as_secs_f64(),
            index_note(&index)
        );
    } else {
        println!(
            "db update: {}; {requests} requests in {:.1} s; {}{}",
            lines.join("; "),
            started.elapsed().as_secs_f64(),
            path.display(),
            index_note(&index)
        );
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn index_note(i: &baseliner_vulns::IndexInfo) -> String {
    match &i.not_saved {
        Some(e) => format!(" (matcher index kept in memory only: {e})"),
        None => String::new(),
    }
}

fn import(a: ImportArgs) -> Result<ExitCode> {
    let path = a.db.resolve()?;
    let public = match &a.key {
        Some(k) => Some(baseliner_label::read_public_key(k)?),
        None => None,
    };
    let mut kb: Option<Kb> = None;
    let mut failed = false;
    for f in &a.files {
        if baseliner_vulns::is_snapshot(f) {
            // The file is replaced: nothing may hold it open.
            drop(kb.take());
            match baseliner_vulns::import_snapshot(f, &path, public.as_ref()) {
                Ok(s) => {
                    let m = &s.manifest;
                    let sig = match (&s.signed_by, s.key_trusted) {
                        (Some(_), true) => "signature verified with the given key".to_string(),
                        (Some(k), false) => {
                            format!("signed by {k}, not checked against a trusted key (--key)")
                        }
                        (None, _) => "unsigned".into(),
                    };
                    println!(
                        "{}: snapshot {} of {} ({:.1} MiB), checksums verified, {sig}",
                        f.display(),
                        m.id,
                        m.created,
                        m.database_bytes as f64 / 1_048_576.0
                    );
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    failed = true;
                }
            }
            continue;
        }
        if kb.is_none() {
            kb = Some(Kb::open(&path)?);
        }
        let Some(k) = &kb else { continue };
        match k.import(f) {
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
    if path.exists() {
        let kb = match kb {
            Some(k) => k,
            None => Kb::open(&path)?,
        };
        let index = kb.prepare_index()?;
        println!("knowledge base: {}{}", path.display(), index_note(&index));
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn export(a: ExportArgs) -> Result<ExitCode> {
    let path = existing(&a.db)?;
    let key = match &a.key {
        Some(k) => Some(baseliner_label::read_secret_key(k)?),
        None => None,
    };
    let kb = Kb::open(&path)?;
    let s = kb.export_snapshot(&a.file, key.as_ref().map(|k| &k.signing))?;
    let m = &s.manifest;
    println!(
        "{}: snapshot {} ({:.1} MiB, {:.1} MiB unpacked), {}",
        a.file.display(),
        m.id,
        m.payload_bytes as f64 / 1_048_576.0,
        m.database_bytes as f64 / 1_048_576.0,
        match &s.signed_by {
            Some(k) => format!("signed by {k}"),
            None => "unsigned".into(),
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// The knowledge-base file, which must exist.
fn existing(db: &DbPath) -> Result<PathBuf> {
    let path = db.resolve()?;
    if !path.exists() {
        anyhow::bail!(
            "no knowledge base at {} (run `baseliner db update`)",
            path.display()
        );
    }
    Ok(path)
}

fn status(a: StatusArgs) -> Result<ExitCode> {
    let path = existing(&a.db)?;
    let kb = Kb::open(&path)?;
    let st = kb.status()?;
    let fresh = kb.freshness()?;
    let snapshot = kb.snapshot()?;
    let now = time::now();
    if a.json {
        let mut v = serde_json::to_value(&st)?;
        v["freshness"] = serde_json::to_value(&fresh.feeds)?;
        v["age_days"] = serde_json::to_value(fresh.age_days(now))?;
        v["snapshot"] = match &snapshot {
            Some((id, created)) => serde_json::json!({"id": id, "created": created}),
            None => serde_json::Value::Null,
        };
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "knowledge base {} (schema {})",
        st.path.display(),
        st.schema
    );
    if st.sources.is_empty() {
        println!("  empty: run `baseliner db update`");
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
    for f in &fresh.feeds {
        println!(
            "  {:<20} current as of {} (by {})",
            f.kind, f.as_of, f.basis
        );
    }
    if let (Some(o), Some(days)) = (fresh.oldest(), fresh.age_days(now)) {
        println!(
            "  age {days} day{} ({}){}",
            if days == 1 { "" } else { "s" },
            o.kind,
            if fresh.is_stale(now, baseliner_vulns::STALE_AFTER_DAYS) {
                format!(
                    ": stale (over {} days), run `baseliner db update`",
                    baseliner_vulns::STALE_AFTER_DAYS
                )
            } else {
                String::new()
            }
        );
    }
    if let Some((id, created)) = snapshot {
        println!("  snapshot {id} of {created}");
    }
    Ok(ExitCode::SUCCESS)
}
