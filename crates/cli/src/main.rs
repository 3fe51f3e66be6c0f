//! The `baseliner` binary: parses arguments, calls the libraries, shows progress.
//! No logic lives here; each subcommand is a thin call into one library crate.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

mod cmd_assess;
mod cmd_bulk;
mod cmd_db;
mod cmd_declare;
mod cmd_inspect;
mod cmd_keys;
mod cmd_label;
mod cmd_probe;
#[cfg(feature = "registry")]
mod cmd_registry;
#[cfg(feature = "registry")]
pub use cmd_registry::log_check;
mod cmd_sbom;
mod cmd_unpack;

#[derive(Parser)]
#[command(
    name = "baseliner",
    version,
    about = "Checks connected-device firmware against baseline security requirements"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The main job: unpack, inspect, match vulnerabilities, give a verdict per
    /// provision of a scheme, and write reports and a label.
    Assess(cmd_assess::AssessArgs),
    /// Assess many images into one database, resumably and in shards; `bulk report`
    /// gives corpus statistics.
    Bulk(cmd_bulk::BulkArgs),
    /// Identify, extract and recurse into every format inside a firmware image.
    Unpack(UnpackArgs),
    /// Inspect an image or an unpacked tree: findings with evidence, and components.
    Inspect(cmd_inspect::InspectArgs),
    /// Vulnerability knowledge base: update from the feeds, import files or snapshots,
    /// export snapshots, show status.
    Db(cmd_db::DbArgs),
    /// Software bill of materials (CycloneDX 1.6 with VEX, SPDX 2.3, OpenVEX).
    Sbom(cmd_sbom::SbomArgs),
    /// Write a commented declaration template (--init) or check a declaration (--check).
    Declare(cmd_declare::DeclareArgs),
    /// Manage the ed25519 keys that sign labels.
    Keys(cmd_keys::KeysArgs),
    /// Make a label from an assessment, or verify a signed label.json.
    Label(cmd_label::LabelArgs),
    /// Live checks of one lab device over the network: open ports, banners, default
    /// credentials, SSH/TLS/HTTP audits, brute-force protection.
    Probe(cmd_probe::ProbeArgs),
    /// Run the registry: JSON API, public pages, transparency log.
    #[cfg(feature = "registry")]
    Serve(cmd_registry::ServeArgs),
    /// Registry administration: API tokens, signing keys, re-matching.
    #[cfg(feature = "registry")]
    Registry(cmd_registry::RegistryArgs),
    /// Publish an assessment folder (label.json + assessment.json) to a registry.
    #[cfg(feature = "registry")]
    Publish(cmd_registry::PublishArgs),
}

/// Quotas that bound what a hostile image can make baseliner write.
#[derive(Args, Clone)]
pub struct LimitArgs {
    /// Total bytes written across the run.
    #[arg(long, default_value_t = baseliner_unpack::Limits::default().max_total_bytes)]
    pub max_bytes: u64,
    /// Entries (files, folders, links) created across the run.
    #[arg(long, default_value_t = baseliner_unpack::Limits::default().max_files)]
    pub max_files: u64,
    /// Size of any one extracted file.
    #[arg(long, default_value_t = baseliner_unpack::Limits::default().max_file_bytes)]
    pub max_file_bytes: u64,
    /// Nesting depth of recursive extraction.
    #[arg(long, default_value_t = baseliner_unpack::Limits::default().max_depth,
          value_parser = clap::value_parser!(u32).range(0..=64))]
    pub max_depth: u32,
    /// Largest output/input expansion ratio of one extraction (applied past 64 MiB of output).
    #[arg(long, default_value_t = baseliner_unpack::Limits::default().max_ratio)]
    pub max_ratio: u64,
}

impl LimitArgs {
    pub fn limits(&self) -> baseliner_unpack::Limits {
        baseliner_unpack::Limits {
            max_total_bytes: self.max_bytes,
            max_files: self.max_files,
            max_file_bytes: self.max_file_bytes,
            max_depth: self.max_depth,
            max_ratio: self.max_ratio,
            ..Default::default()
        }
    }
}

#[derive(Args)]
pub struct UnpackArgs {
    /// The firmware image.
    pub image: PathBuf,
    /// Output folder (created; must be empty).
    #[arg(short, long)]
    pub out: PathBuf,
    /// Also write the listing of every file, format, error and unknown region as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// A spinner on a terminal, nothing in a pipe.
pub fn spinner() -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(pb)
}

/// mimalloc (default feature `mimalloc`): the many small allocations of matching and
/// unpacking cost about a third less than with the system allocator.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<ExitCode> = match cli.cmd {
        Cmd::Assess(a) => cmd_assess::run(a),
        Cmd::Bulk(a) => cmd_bulk::run(a),
        Cmd::Unpack(a) => cmd_unpack::run(a),
        Cmd::Inspect(a) => cmd_inspect::run(a),
        Cmd::Db(a) => cmd_db::run(a),
        Cmd::Sbom(a) => cmd_sbom::run(a),
        Cmd::Declare(a) => cmd_declare::run(a),
        Cmd::Keys(a) => cmd_keys::run(a),
        Cmd::Label(a) => cmd_label::run(a),
        Cmd::Probe(a) => cmd_probe::run(a),
        #[cfg(feature = "registry")]
        Cmd::Serve(a) => cmd_registry::serve(a),
        #[cfg(feature = "registry")]
        Cmd::Registry(a) => cmd_registry::registry(a),
        #[cfg(feature = "registry")]
        Cmd::Publish(a) => cmd_registry::publish(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Built without the registry: a log check cannot be made.
#[cfg(not(feature = "registry"))]
#[allow(clippy::too_many_arguments)]
pub fn log_check(
    _label: &std::path::Path,
    _bytes: &[u8],
    _public: &ed25519_dalek::VerifyingKey,
    _registry: Option<&str>,
    _bundle: Option<&std::path::Path>,
    _save_bundle: Option<&std::path::Path>,
    _log_key: Option<&str>,
) -> Result<Option<ExitCode>> {
    anyhow::bail!(
        "this baseliner was built without the `registry` feature: --registry and --bundle are not available"
    )
}

/// Progress of a run on a terminal (a spinner naming the stage), nothing in a pipe.
pub struct Progress(Option<indicatif::ProgressBar>);

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    pub fn new() -> Self {
        Progress(spinner())
    }

    pub fn finish(&self) {
        if let Some(pb) = &self.0 {
            pb.finish_and_clear();
        }
    }
}

impl baseliner_engine::Observer for Progress {
    fn stage(&self, stage: &str) {
        if let Some(pb) = &self.0 {
            pb.set_message(format!("{stage}..."));
        }
    }
    fn unpack_progress(&self, msg: &str) {
        if let Some(pb) = &self.0 {
            pb.set_message(format!("unpack: {msg}"));
        }
    }
}

/// What the user reads for an engine note.
pub fn note_text(n: &baseliner_engine::Note) -> String {
    match n {
        baseliner_engine::Note::KnowledgeBaseAge {
            feed,
            as_of,
            basis,
            age_days,
            stale_after_days,
            stale,
        } => match (feed, as_of, age_days) {
            (Some(feed), Some(as_of), Some(days)) => format!(
                "{}knowledge base is {days} day{} old ({feed} as of {as_of}, by {}){}",
                if *stale { "WARNING: " } else { "" },
                if *days == 1 { "" } else { "s" },
                basis.as_deref().unwrap_or("?"),
                if *stale {
                    format!(
                        ", past {stale_after_days} days: run `baseliner db update` or import a newer snapshot"
                    )
                } else {
                    String::new()
                }
            ),
            _ => "WARNING: the knowledge base holds no NVD, OSV or KEV data: run `baseliner db update`".into(),
        },
        baseliner_engine::Note::NoKnowledgeBase { looked_at } => format!(
            "no vulnerability knowledge base{}: known-vulnerability provisions stay INCONCLUSIVE; fetch current data with `baseliner db update`",
            looked_at
                .as_ref()
                .map(|p| format!(" at {}", p.display()))
                .unwrap_or_default()
        ),
    }
}

pub fn print_notes(notes: &[baseliner_engine::Note]) {
    for n in notes {
        println!("note: {}", note_text(n));
    }
}

/// The flag that raises a quota.
pub fn quota_flag(q: baseliner_unpack::QuotaKind) -> &'static str {
    use baseliner_unpack::QuotaKind::*;
    match q {
        TotalBytes => "--max-bytes",
        Files => "--max-files",
        FileBytes => "--max-file-bytes",
        Depth => "--max-depth",
        Ratio => "--max-ratio",
    }
}

/// The reason of an unpack error, with the flag that raises the quota behind it.
pub fn error_reason(e: &baseliner_unpack::ExtractError) -> String {
    match e.quota {
        Some(q) => format!("{} (raise with {})", e.reason, quota_flag(q)),
        None => e.reason.clone(),
    }
}

/// The first unpack errors of a run, then a count pointing at the full listing.
pub fn print_unpack_errors(
    report: &baseliner_unpack::Report,
    image: &str,
    listing: &std::path::Path,
) {
    for e in report.errors.iter().take(10) {
        let loc = if e.file.is_empty() {
            image.to_string()
        } else {
            e.file.clone()
        };
        println!(
            "unpack error: {loc} at 0x{:x} ({}): {}",
            e.offset,
            e.format,
            error_reason(e)
        );
    }
    if report.errors.len() > 10 {
        println!(
            "unpack errors: {} more in {}",
            report.errors.len() - 10,
            listing.display()
        );
    }
}

/// Writes `value` as pretty JSON to `path`.
pub fn write_json<T: serde::Serialize>(path: &std::path::Path, value: &T) -> Result<()> {
    let f = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    serde_json::to_writer_pretty(std::io::BufWriter::new(f), value)
        .with_context(|| format!("writing {}", path.display()))
}
