//! Bulk mode: assess a whole market's firmware with the same engine as `assess`.
//!
//! Inputs are folders or manifests ([`manifest`]); `--shard I/N` takes a stable share
//! so any batch engine (Kubernetes Indexed Jobs, Slurm arrays) can run the shards against
//! one PostgreSQL; results go to a database ([`store`]) keyed by image SHA-256, tool,
//! profile and knowledge base, so a re-run (after SIGKILL too) skips what is stored and
//! loses nothing. Unpacked trees live in a scratch folder per running image and are
//! removed after it, so disk use is bounded by the number of jobs, not the corpus.
//! [`report`] turns the database into corpus statistics with charts.

pub mod manifest;
pub mod report;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use baseliner_baseline::Profile;
use baseliner_engine::{Engine, Image, Request, Silent};

pub use manifest::{Job, in_shard, jobs};
pub use store::Store;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("manifest: {0}")]
    Manifest(String),
    #[error("results database: {0}")]
    Db(String),
    #[error(transparent)]
    Engine(#[from] baseliner_engine::Error),
    #[error("{0}")]
    Usage(String),
}

/// How to run.
pub struct Options<'a> {
    pub profile: &'a Profile,
    /// Parallel images.
    pub jobs: usize,
    /// `(index, count)`: take only this shard of the inputs.
    pub shard: (u32, u32),
    /// Where unpacked trees go while an image is assessed.
    pub scratch: PathBuf,
    /// Keep each image's unpacked tree (under `scratch/<sha256>`) instead of removing it.
    pub keep_trees: bool,
    /// Name of this worker in the database (host and shard).
    pub worker: String,
    pub limits: baseliner_engine::Limits,
    /// Content-addressed cache of extractions: the same file system in many images is
    /// unpacked once.
    pub cache: Option<baseliner_engine::Cache>,
}

/// What happened to one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Work on an image began.
    Started { path: PathBuf },
    /// Already stored with the same tool, profile and knowledge base.
    Skipped { path: PathBuf },
    /// Assessed and stored.
    Done {
        path: PathBuf,
        outcome: String,
        millis: u64,
    },
    /// Could not be assessed; recorded in the database with the reason.
    Failed { path: PathBuf, error: String },
}

/// Progress of a run.
pub trait Observer: Sync {
    /// The number of images this shard will look at.
    fn planned(&self, _n: usize) {}
    fn event(&self, _e: &Event) {}
}

/// Counts of a finished run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub planned: usize,
    pub done: usize,
    pub skipped: usize,
    pub failed: usize,
}

fn sha256_file(path: &Path) -> Result<String, Error> {
    use sha2::Digest;
    let mut f = std::fs::File::open(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    let mut h = sha2::Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    Ok(hex::encode(h.finalize()))
}

/// Assesses every job of this shard that is not stored yet.
pub fn run(
    engine: &Engine,
    store: &Store,
    jobs: &[Job],
    opts: &Options,
    obs: &dyn Observer,
) -> Result<Summary, Error> {
    let mine: Vec<&Job> = jobs
        .iter()
        .filter(|j| in_shard(j, opts.shard.0, opts.shard.1))
        .collect();
    obs.planned(mine.len());
    std::fs::create_dir_all(&opts.scratch).map_err(|e| Error::Io {
        path: opts.scratch.clone(),
        source: e,
    })?;
    let tool = env!("CARGO_PKG_VERSION");
    let kb = engine.kb_version().unwrap_or("none").to_string();
    let run_key = format!("{tool}|{}|{kb}", opts.profile.name);
    let next = AtomicUsize::new(0);
    let summary = Mutex::new(Summary {
        planned: mine.len(),
        ..Default::default()
    });
    let fatal: Mutex<Option<Error>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..opts.jobs.max(1) {
            s.spawn(|| {
                loop {
                    if fatal.lock().map(|f| f.is_some()).unwrap_or(true) {
                        return;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = mine.get(i) else { return };
                    match one(engine, store, job, opts, obs, tool, &kb, &run_key) {
                        Ok(Outcome::Done) => summary.lock().unwrap().done += 1,
                        Ok(Outcome::Skipped) => summary.lock().unwrap().skipped += 1,
                        Ok(Outcome::Failed) => summary.lock().unwrap().failed += 1,
                        // The database is gone: stop every worker.
                        Err(e) => {
                            *fatal.lock().unwrap() = Some(e);
                            return;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = fatal.into_inner().unwrap_or(None) {
        return Err(e);
    }
    Ok(summary.into_inner().unwrap_or_default())
}

enum Outcome {
    Done,
    Skipped,
    Failed,
}

#[allow(clippy::too_many_arguments)]
fn one(
    engine: &Engine,
    store: &Store,
    job: &Job,
    opts: &Options,
    obs: &dyn Observer,
    tool: &str,
    kb: &str,
    run_key: &str,
) -> Result<Outcome, Error> {
    let path = job.path.clone();
    let fail = |error: String| -> Result<Outcome, Error> {
        store.put_failure(&path.to_string_lossy(), run_key, &error)?;
        obs.event(&Event::Failed {
            path: path.clone(),
            error,
        });
        Ok(Outcome::Failed)
    };
    let sha = match sha256_file(&job.path) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let key = store::key(&sha, tool, &opts.profile.name, kb);
    if store.has(&key)? {
        obs.event(&Event::Skipped { path });
        return Ok(Outcome::Skipped);
    }
    obs.event(&Event::Started { path: path.clone() });
    let started = Instant::now();
    let tree = opts.scratch.join(&sha);
    // A tree left by a run that was killed is stale: start clean.
    if tree.exists() {
        let _ = std::fs::remove_dir_all(&tree);
    }
    let mut req = Request::new(Image::Path(&job.path), &tree, opts.profile);
    req.limits = opts.limits.clone();
    req.cache = opts.cache.as_ref();
    let result = engine.assess(&req, &Silent);
    if !opts.keep_trees {
        let _ = std::fs::remove_dir_all(&tree);
    }
    let run = match result {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    let millis = started.elapsed().as_millis() as u64;
    store.put(&key, job, &run.assessment, &opts.worker, millis)?;
    obs.event(&Event::Done {
        path,
        outcome: run.assessment.summary.outcome.as_str().to_string(),
        millis,
    });
    Ok(Outcome::Done)
}
