//! `baseliner inspect PATH`: unpack an image into a temporary folder (or take a
//! directory as it is), run every check family, and print or write the result.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use crate::LimitArgs;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args)]
pub struct InspectArgs {
    /// A firmware image (unpacked into a temporary folder first) or an unpacked directory.
    pub path: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the output to this file instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

pub fn run(a: InspectArgs) -> Result<ExitCode> {
    // The temporary folder lives until the tree has been read, then is removed.
    let progress = crate::Progress::new();
    let (tree, _tmp) = baseliner_engine::open_tree(&a.path, &a.limits.limits(), &progress)?;
    progress.finish();
    let ins = baseliner_inspect::inspect(&tree);
    let text = match a.format {
        Format::Json => serde_json::to_string_pretty(&ins)? + "\n",
        Format::Text => baseliner_report::render_inspection(&ins),
    };
    match &a.output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
