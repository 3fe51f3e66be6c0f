//! `baseliner declare`: write a commented declaration template, or check one.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use baseliner_baseline::{Date, Declaration, declaration};
use clap::Args;

#[derive(Args)]
pub struct DeclareArgs {
    /// Write a commented declaration template (to --out, or standard output).
    #[arg(long)]
    pub init: bool,
    /// Where --init writes the template; an existing file is never overwritten.
    #[arg(short, long, requires = "init")]
    pub out: Option<PathBuf>,
    /// Check a declaration: the first problem is reported with its field, line and column.
    #[arg(long, value_name = "FILE", conflicts_with = "init")]
    pub check: Option<PathBuf>,
}

pub fn run(a: DeclareArgs) -> Result<ExitCode> {
    if a.init {
        let text = declaration::template();
        match a.out {
            Some(path) => {
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .with_context(|| {
                        format!("creating {} (it must not exist yet)", path.display())
                    })?;
                f.write_all(text.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!(
                    "wrote {}; fill it in, then run `baseliner declare --check {}`",
                    path.display(),
                    path.display()
                );
            }
            None => print!("{text}"),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(path) = a.check else {
        bail!("give --init to write a template or --check FILE to check a declaration");
    };
    let d = Declaration::load(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{}: ok — {} ICS answers, {} condition flags, support period {}, disclosure contact {}",
        path.display(),
        d.ics.len(),
        d.conditions.len(),
        d.support
            .end_date
            .map_or("not declared".to_string(), |e| format!("ends {e}")),
        d.disclosure.contact.as_deref().unwrap_or("not declared"),
    );
    if let Some(st) = &d.security_txt {
        let problems = st.problems(Date::today());
        if problems.is_empty() {
            println!("security.txt: ok ({} contacts)", st.contacts.len());
        } else {
            for p in problems {
                println!("security.txt: {p}");
            }
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}
