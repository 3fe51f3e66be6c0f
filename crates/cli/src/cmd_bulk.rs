//! `baseliner bulk INPUT...`: assess many images with the same engine as `assess`,
//! resumably, into one database; `baseliner bulk report`: corpus statistics.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use baseliner_bulk::{Event, Observer, Options, Store};
use baseliner_engine::{Engine, KbChoice};
use clap::{Args, Subcommand};

use crate::LimitArgs;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BulkArgs {
    #[command(subcommand)]
    pub cmd: Option<BulkCmd>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand)]
pub enum BulkCmd {
    /// Corpus statistics with charts (SVG, PNG) and one self-contained HTML page.
    Report {
        /// Results database: a file path, sqlite: URL or postgres:// URL.
        #[arg(long)]
        db: Option<String>,
        /// Output folder for report.html, stats.json and the charts.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Args)]
pub struct RunArgs {
    /// Folders of images, manifests (.txt/.tsv: path, vendor, model, version, release date
    /// per line, tab-separated) or image files.
    pub inputs: Vec<PathBuf>,
    /// Results database: a file path, sqlite: URL or postgres:// URL
    /// [default: $XDG_DATA_HOME/baseliner/bulk.sqlite].
    #[arg(long)]
    pub db: Option<String>,
    /// Images assessed in parallel.
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Take only shard I of N (0-based), such as 0/4: a stable share of the inputs.
    #[arg(long)]
    pub shard: Option<String>,
    #[arg(long, default_value = "etsi-en-303-645")]
    pub profile: String,
    /// Working folder for the unpacked trees [default: a temporary folder].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Keep each image's unpacked tree in --out instead of removing it.
    #[arg(long)]
    pub keep_trees: bool,
    /// Content-addressed cache of extractions (a folder, best on the same file system as
    /// --out): a file system or archive shared by many images is unpacked once.
    #[arg(long)]
    pub cache: Option<PathBuf>,
    /// Vulnerability knowledge base (default: the one `baseliner db` fills).
    #[arg(long)]
    pub kb: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

fn default_db() -> Result<String> {
    let kb = baseliner_vulns::default_path()
        .context("no data directory (set XDG_DATA_HOME or HOME, or pass --db)")?;
    Ok(kb.with_file_name("bulk.sqlite").display().to_string())
}

fn parse_shard(s: &str) -> Result<(u32, u32)> {
    let (i, n) = s
        .split_once('/')
        .context("--shard takes I/N, such as 0/4")?;
    let (i, n): (u32, u32) = (i.trim().parse()?, n.trim().parse()?);
    if n == 0 || i >= n {
        bail!("--shard {s}: I must be below N, and N above 0");
    }
    Ok((i, n))
}

/// Progress on a terminal: an overall bar with rate and ETA and a line per running
/// image; elsewhere one JSON object per event on stdout.
struct Progress {
    multi: Option<indicatif::MultiProgress>,
    total: Option<indicatif::ProgressBar>,
    running: Mutex<Vec<(PathBuf, indicatif::ProgressBar)>>,
    started: Instant,
    done: Mutex<u64>,
}

impl Progress {
    fn new() -> Progress {
        let tty = std::io::stderr().is_terminal();
        let multi = tty.then(indicatif::MultiProgress::new);
        let total = multi.as_ref().map(|m| {
            let pb = m.add(indicatif::ProgressBar::new(0));
            pb.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:30} {pos}/{len} images · {msg} · ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            pb
        });
        Progress {
            multi,
            total,
            running: Mutex::new(vec![]),
            started: Instant::now(),
            done: Mutex::new(0),
        }
    }

    fn finish(&self) {
        if let Some(t) = &self.total {
            t.finish_and_clear();
        }
    }
}

fn json_line(v: serde_json::Value) {
    println!("{v}");
}

impl Observer for Progress {
    fn planned(&self, n: usize) {
        match &self.total {
            Some(t) => t.set_length(n as u64),
            None => json_line(serde_json::json!({"event": "planned", "images": n})),
        }
    }

    fn event(&self, e: &Event) {
        let Some(multi) = &self.multi else {
            let v = match e {
                Event::Started { path } => serde_json::json!({"event": "started", "path": path}),
                Event::Skipped { path } => serde_json::json!({"event": "skipped", "path": path}),
                Event::Done {
                    path,
                    outcome,
                    millis,
                } => {
                    serde_json::json!({"event": "done", "path": path, "outcome": outcome, "ms": millis})
                }
                Event::Failed { path, error } => {
                    serde_json::json!({"event": "failed", "path": path, "error": error})
                }
            };
            json_line(v);
            return;
        };
        let mut running = self.running.lock().unwrap();
        match e {
            Event::Started { path } => {
                let pb = multi.add(indicatif::ProgressBar::new_spinner());
                pb.set_message(path.display().to_string());
                pb.enable_steady_tick(std::time::Duration::from_millis(150));
                running.push((path.clone(), pb));
            }
            Event::Skipped { .. } | Event::Done { .. } | Event::Failed { .. } => {
                let path = match e {
                    Event::Skipped { path }
                    | Event::Done { path, .. }
                    | Event::Failed { path, .. } => path,
                    Event::Started { .. } => unreachable!(),
                };
                if let Some(i) = running.iter().position(|(p, _)| p == path) {
                    let (_, pb) = running.remove(i);
                    pb.finish_and_clear();
                    multi.remove(&pb);
                }
                if let Event::Failed { path, error } = e {
                    let _ = multi.println(format!("failed: {}: {error}", path.display()));
                }
                if let Some(t) = &self.total {
                    t.inc(1);
                    let mut d = self.done.lock().unwrap();
                    if matches!(e, Event::Done { .. }) {
                        *d += 1;
                    }
                    let mins = self.started.elapsed().as_secs_f64() / 60.0;
                    t.set_message(format!("{:.0} images/min", *d as f64 / mins.max(1e-6)));
                }
            }
        }
    }
}

pub fn run(a: BulkArgs) -> Result<ExitCode> {
    if let Some(BulkCmd::Report { db, out }) = a.cmd {
        let db = match db {
            Some(d) => d,
            None => default_db()?,
        };
        let store = Store::open(&db)?;
        for p in baseliner_bulk::report::write(&store, &out)? {
            println!("wrote {}", p.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    let r = a.run;
    if r.inputs.is_empty() {
        bail!("give folders, manifests or images to assess (or `bulk report`)");
    }
    let profile = baseliner_baseline::profile(&r.profile).map_err(|e| anyhow::anyhow!("{e}"))?;
    let shard = match &r.shard {
        Some(s) => parse_shard(s)?,
        None => (0, 1),
    };
    let db = match &r.db {
        Some(d) => d.clone(),
        None => default_db()?,
    };
    let store = Store::open(&db)?;
    let engine = Engine::new(match &r.kb {
        Some(p) => KbChoice::Path(p.clone()),
        None => KbChoice::Default,
    })?;
    let jobs = baseliner_bulk::jobs(&r.inputs)?;
    let tmp;
    let scratch = match &r.out {
        Some(o) => o.clone(),
        None => {
            tmp = tempfile::tempdir().context("creating a scratch folder")?;
            tmp.path().to_path_buf()
        }
    };
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into());
    let opts = Options {
        profile: &profile,
        jobs: r.jobs.max(1),
        shard,
        scratch,
        keep_trees: r.keep_trees,
        worker: format!("{host}:{}/{}", shard.0, shard.1),
        limits: r.limits.limits(),
        cache: match &r.cache {
            Some(d) => Some(
                baseliner_engine::Cache::open(d)
                    .with_context(|| format!("opening the cache {}", d.display()))?,
            ),
            None => None,
        },
    };
    let progress = Progress::new();
    let started = Instant::now();
    let s = baseliner_bulk::run(&engine, &store, &jobs, &opts, &progress)?;
    progress.finish();
    let secs = started.elapsed().as_secs_f64();
    let summary = serde_json::json!({
        "event": "summary", "planned": s.planned, "assessed": s.done, "skipped": s.skipped,
        "failed": s.failed, "seconds": (secs * 10.0).round() / 10.0,
        "images_per_minute": if secs > 0.0 { (s.done as f64 * 60.0 / secs).round() } else { 0.0 },
    });
    if std::io::stderr().is_terminal() {
        eprintln!(
            "{} assessed, {} already stored, {} failed of {} in {:.1} s",
            s.done, s.skipped, s.failed, s.planned, secs
        );
    } else {
        json_line(summary);
    }
    Ok(ExitCode::SUCCESS)
}
