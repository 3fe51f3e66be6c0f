//! Firmware unpacking: identify every format in an image (at offset 0 and carved
//! from any offset), validate it, extract it safely, and recurse into what came out.
//!
//! The crate makes no judgement about security; it produces a file tree and a
//! listing ([`Report`]) in which every file carries its provenance chain.
//!
//! Safety is structural: extractors only ever write through a [`Sink`], which owns
//! path sanitising and the quotas, and every extractor call is isolated so that a
//! bad chunk becomes an [`ExtractError`] while the rest of the image is still analysed.

pub mod cache;
pub mod codec;
pub mod entropy;
pub mod format;
pub mod formats;
pub mod report;
pub mod sink;

use std::fs;
use std::io;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

pub use format::{Confidence, Format, Magic, Probe, ProbeKind};
pub use report::{EntryKind, ExtractError, FileRecord, FormatHit, Region, RegionClass, Report};
pub use sink::{Quota, Sink};

/// Version of the `--json` listing layout.
pub const SCHEMA_VERSION: u32 = 1;

/// Rejected candidates recorded per input file at most: enough to explain what was
/// tried, bounded for inputs full of false magics.
const MAX_REJECTED_PER_LEVEL: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("quota exceeded: {0}")]
    Quota(QuotaExceeded),
    #[error("unsafe entry refused: {0}")]
    Unsafe(String),
    #[error("{0}")]
    Format(String),
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub fn io(path: &Path, source: io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    /// A malformed-input error: `format!`-style helper for extractors.
    pub fn bad(msg: impl Into<String>) -> Self {
        Error::Format(msg.into())
    }
}

/// Which of the [`Limits`] a quota error is about, so a caller can name its own knob
/// (the CLI maps each to its flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuotaKind {
    /// [`Limits::max_total_bytes`].
    TotalBytes,
    /// [`Limits::max_files`].
    Files,
    /// [`Limits::max_file_bytes`].
    FileBytes,
    /// [`Limits::max_depth`].
    Depth,
    /// [`Limits::max_ratio`].
    Ratio,
}

/// A quota stopped an extraction: which one, its value, and what was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaExceeded {
    pub quota: QuotaKind,
    pub limit: u64,
    pub detail: String,
}

impl std::fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail)
    }
}

impl Error {
    /// A quota error.
    pub fn quota(quota: QuotaKind, limit: u64, detail: impl Into<String>) -> Self {
        Error::Quota(QuotaExceeded {
            quota,
            limit,
            detail: detail.into(),
        })
    }
}

/// Global limits of one run. Every one has a default and a CLI flag.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Bytes written across the whole run.
    pub max_total_bytes: u64,
    /// Entries (files, dirs, links) created across the whole run.
    pub max_files: u64,
    /// Size of any single extracted file.
    pub max_file_bytes: u64,
    /// Nesting depth of recursive extraction (the image is depth 0).
    pub max_depth: u32,
    /// Largest output/input ratio of one extraction...
    pub max_ratio: u64,
    /// ...applied once that extraction has written more than this many bytes, so that
    /// small, legitimately very compressible chunks (erased padding) are not refused.
    pub ratio_floor: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 8 << 30,
            max_files: 500_000,
            max_file_bytes: 2 << 30,
            max_depth: 8,
            max_ratio: 200,
            ratio_floor: 64 << 20,
        }
    }
}

/// Progress callback: called with a short description of the step being done.
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// What processing one file produced.
#[derive(Default, Clone)]
struct Partial {
    formats: Vec<FormatHit>,
    files: Vec<FileRecord>,
    errors: Vec<ExtractError>,
    rejected: Vec<ExtractError>,
    regions: Vec<Region>,
    warnings: Vec<String>,
    /// The folder this level's extractions went into, when one was made.
    base_used: Option<PathBuf>,
    /// Contents (SHA-256) below that were not recursed into because an identical file
    /// was recursed into first: the result depends on the run unless that first copy
    /// is inside the same cached extraction.
    deduped: Vec<String>,
}

impl Partial {
    fn merge(&mut self, o: Partial) {
        self.formats.extend(o.formats);
        self.files.extend(o.files);
        self.errors.extend(o.errors);
        self.rejected.extend(o.rejected);
        self.regions.extend(o.regions);
        self.warnings.extend(o.warnings);
        self.deduped.extend(o.deduped);
    }

    fn into_part(self) -> cache::Part {
        cache::Part {
            formats: self.formats,
            files: self.files,
            errors: self.errors,
            rejected: self.rejected,
            regions: self.regions,
            warnings: self.warnings,
        }
    }

    fn from_part(p: cache::Part, base_used: Option<PathBuf>) -> Partial {
        Partial {
            formats: p.formats,
            files: p.files,
            errors: p.errors,
            rejected: p.rejected,
            regions: p.regions,
            warnings: p.warnings,
            base_used,
            deduped: Vec::new(),
        }
    }
}

/// One extraction of a level: what to store in the cache once its recursion is done,
/// or the recursion replayed from the cache.
struct Chunk {
    store: Option<(String, cache::Entry, PathBuf)>,
    below: Option<cache::Part>,
}

/// Bytes of a compressed stream that name it in the cache before its length is known.
const STREAM_PREFIX: usize = 4096;

/// Formats whose extraction is decided by the bytes they consume: compressed streams,
/// which end where their own end marker (or last block) says.
const STREAMS: &[&str] = &["bzip2", "gzip", "lz4", "lzma", "lzo", "xz", "zlib", "zstd"];

/// The hash of a stream's first [`STREAM_PREFIX`] bytes (with the format), when `fmt`
/// is a stream and that many bytes follow `start`.
fn stream_prefix(data: &[u8], start: usize, fmt: &str) -> Option<String> {
    if !STREAMS.contains(&fmt) {
        return None;
    }
    let head = data.get(start..start.checked_add(STREAM_PREFIX)?)?;
    let mut h = Sha256::new();
    h.update(b"stream-prefix\0");
    h.update(head);
    Some(hex::encode(h.finalize()))
}

/// Whether a result may be cached: nothing in it depends on the rest of the run (a
/// global quota, contents deduplicated elsewhere in the run).
fn cacheable(own: &cache::Part, below: &Partial) -> bool {
    // Each skipped duplicate must have its first copy recursed into inside this result:
    // more files with those contents here than copies skipped.
    let mut skipped: std::collections::HashMap<&str, usize> = Default::default();
    for h in &below.deduped {
        *skipped.entry(h.as_str()).or_default() += 1;
    }
    let inside = |h: &str| {
        own.files
            .iter()
            .chain(&below.files)
            .filter(|f| f.kind == EntryKind::File && f.sha256.as_deref() == Some(h))
            .count()
    };
    skipped.iter().all(|(h, n)| inside(h) > *n)
        && own
            .errors
            .iter()
            .chain(&below.errors)
            .all(|e| e.quota.is_none() && !e.reason.contains("quota"))
}

struct Run<'a> {
    out: PathBuf,
    limits: &'a Limits,
    quota: Quota,
    formats: Vec<&'static dyn Format>,
    scanner: format::Scanner,
    progress: Option<Progress<'a>>,
    done: AtomicU64,
    /// Contents already recursed into (SHA-256): identical files, hard links among
    /// them, are carved once, so a million links to one file cost one scan.
    seen: std::sync::Mutex<std::collections::HashSet<String>>,
    cache: Option<&'a cache::Cache>,
}

/// Unpacks `image` into `out` (created; must be empty if it exists).
pub fn unpack(
    image: &Path,
    out: &Path,
    limits: &Limits,
    progress: Option<Progress>,
) -> Result<Report, Error> {
    unpack_cached(image, out, limits, progress, None)
}

/// [`unpack`] with a content-addressed cache of extractions shared across runs: an
/// extraction already in the cache is linked into place instead of redone.
pub fn unpack_cached(
    image: &Path,
    out: &Path,
    limits: &Limits,
    progress: Option<Progress>,
    cache: Option<&cache::Cache>,
) -> Result<Report, Error> {
    let started = Instant::now();
    let meta = fs::metadata(image).map_err(|e| Error::io(image, e))?;
    if !meta.is_file() {
        return Err(Error::Usage(format!(
            "{} is not a regular file",
            image.display()
        )));
    }
    if out.exists() {
        let mut entries = fs::read_dir(out).map_err(|e| Error::io(out, e))?;
        if entries.next().is_some() {
            return Err(Error::Usage(format!(
                "output folder {} is not empty; choose a new folder so nothing is overwritten",
                out.display()
            )));
        }
    } else {
        fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    }
    let out = fs::canonicalize(out).map_err(|e| Error::io(out, e))?;
    let file = fs::File::open(image).map_err(|e| Error::io(image, e))?;
    let map = map_file(&file).map_err(|e| Error::io(image, e))?;
    let data: &[u8] = map.as_deref().unwrap_or(&[]);
    let image_sha256 = hex::encode(Sha256::digest(data));
    let name = image
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "image".into());

    let formats = formats::all();
    let run = Run {
        scanner: format::Scanner::new(&formats),
        formats,
        out: out.clone(),
        limits,
        quota: Quota::default(),
        progress,
        done: AtomicU64::new(0),
        seen: Default::default(),
        cache,
    };
    let mut result = run.process(data, "", &name, &out, 0, true);
    mark_unpacked(&mut result, &out);
    result.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        image: image.display().to_string(),
        image_sha256,
        image_size: data.len() as u64,
        output_dir: out,
        formats: result.formats,
        files: result.files,
        errors: result.errors,
        rejected: result.rejected,
        unknown_regions: result.regions,
        warnings: result.warnings,
        duration_ms: started.elapsed().as_millis() as u64,
    })
}

/// Runs one format's probe and extraction on `data` at offset 0 into `dir`, with the
/// given limits: the entry point of the fuzz targets in `fuzz/` and of format tests
/// that want one extractor without the carving driver around it.
pub fn extract_one(
    format: &str,
    data: &[u8],
    dir: &Path,
    limits: &Limits,
) -> Result<Option<(u64, Vec<FileRecord>)>, Error> {
    let fmt = formats::all()
        .into_iter()
        .find(|f| f.name() == format)
        .ok_or_else(|| Error::Usage(format!("no format named {format:?}")))?;
    let Some(probe) = fmt.probe(data, 0) else {
        return Ok(None);
    };
    let quota = Quota::default();
    let mut sink = Sink::new(
        dir.to_path_buf(),
        limits,
        &quota,
        format!("fuzz@0x0:{format}"),
        data.len() as u64,
    );
    let n = fmt.extract(data, 0, &probe, &mut sink)?;
    Ok(Some((n, sink.records)))
}

/// Memory-maps a file (empty files cannot be mapped and yield `None`).
pub fn map_file(file: &fs::File) -> io::Result<Option<memmap2::Mmap>> {
    if file.metadata()?.len() == 0 {
        return Ok(None);
    }
    // SAFETY: the map is read-only; a concurrent truncation by another process
    // could fault, which is the documented risk every mmap-based tool accepts.
    unsafe { memmap2::Mmap::map(file) }.map(Some)
}

/// CPU time each format has spent, in one input, on candidates it rejected (probes
/// that said no, extractions that failed without writing anything).
///
/// Some probes must read the whole claimed span to validate it (a CRC or digest over
/// the payload). A crafted input packed with such headers, each claiming the rest of
/// the input, would otherwise cost candidates x size: output quotas do not bound CPU.
/// Past 1 s plus 16 ns per input byte, a format is given up on for that input, with a
/// warning. Real images reject few candidates and stay far below this.
struct Rejects {
    budget: Duration,
    spent: Vec<Duration>,
}

impl Rejects {
    fn new(len: usize, formats: usize) -> Rejects {
        Rejects {
            budget: Duration::from_secs(1) + Duration::from_nanos((len as u64).saturating_mul(16)),
            spent: vec![Duration::ZERO; formats],
        }
    }

    fn given_up(&self, fidx: usize) -> bool {
        self.spent.get(fidx).is_some_and(|s| *s > self.budget)
    }

    /// Adds `took` to the format at `fidx` (whose candidate at `start` was just
    /// rejected); the warning to report when this crossed the budget.
    fn charge(
        &mut self,
        fidx: usize,
        took: Duration,
        prov: &str,
        start: usize,
        format: &str,
    ) -> Option<String> {
        let budget = self.budget;
        let spent = self.spent.get_mut(fidx)?;
        let before = *spent;
        *spent += took;
        (before <= budget && *spent > budget).then(|| {
            format!(
                "{prov}@0x{start:x}: {format} candidates rejected for more than {:.1} s of CPU \
                 time; later {format} candidates in this input are not examined (a crafted or \
                 unusually repetitive input)",
                budget.as_secs_f64()
            )
        })
    }
}

impl Run<'_> {
    /// Identifies and extracts the formats inside `data`, then recurses into the
    /// files extracted. `rel` is `data`'s path relative to the output folder (empty
    /// for the image), `prov` its provenance, `base` where its extractions go.
    fn process(
        &self,
        data: &[u8],
        rel: &str,
        prov: &str,
        base: &Path,
        depth: u32,
        top: bool,
    ) -> Partial {
        let mut part = Partial::default();
        let mut cursor = 0usize;
        let mut covered: Vec<(u64, u64)> = Vec::new();
        // Files to recurse into, each with the index of the chunk that produced it.
        let mut extracted_files: Vec<(usize, FileRecord)> = Vec::new();
        // Every extraction of this level, in order, with what the cache needs of it.
        let mut chunks: Vec<Chunk> = Vec::new();
        let mut rejects = Rejects::new(data.len(), self.formats.len());

        for (start, fidx) in self.scanner.candidates(data) {
            if start < cursor || rejects.given_up(fidx) {
                continue;
            }
            let fmt = self.formats[fidx];
            let t = Instant::now();
            let probe = match catch_unwind(AssertUnwindSafe(|| fmt.probe(data, start))) {
                Ok(Some(p)) => p,
                Ok(None) => {
                    part.warnings.extend(rejects.charge(
                        fidx,
                        t.elapsed(),
                        prov,
                        start,
                        fmt.name(),
                    ));
                    continue;
                }
                Err(_) => {
                    part.errors.push(
                        self.err(
                            rel,
                            prov,
                            start,
                            fmt.name(),
                            "the format probe panicked (a bug: please report it with this image)"
                                .into(),
                        ),
                    );
                    continue;
                }
            };
            let hop = format!("{prov}@0x{start:x}:{}", fmt.name());
            if probe.kind == ProbeKind::Header {
                let len = probe.len.unwrap_or(0).max(1);
                part.formats.push(FormatHit {
                    file: rel.to_string(),
                    provenance: hop,
                    offset: start as u64,
                    length: Some(len),
                    format: fmt.name().into(),
                    description: probe.description.clone(),
                    extracted_to: None,
                    entries: 0,
                });
                covered.push((start as u64, len));
                cursor = start + len as usize;
                continue;
            }
            if self.quota.exhausted.load(Ordering::Relaxed) {
                part.errors.push(self.err(
                    rel,
                    prov,
                    start,
                    fmt.name(),
                    format!(
                        "not extracted: a global quota was exhausted earlier ({})",
                        probe.description
                    ),
                ));
                cursor = start + probe.len.unwrap_or(1).max(1) as usize;
                continue;
            }
            if depth >= self.limits.max_depth {
                part.errors.push(self.err(
                    rel,
                    prov,
                    start,
                    fmt.name(),
                    format!(
                        "not extracted: nesting depth limit {} reached",
                        self.limits.max_depth
                    ),
                ));
                if let Some(e) = part.errors.last_mut() {
                    e.quota = Some(QuotaKind::Depth);
                }
                cursor = start + probe.len.unwrap_or(1).max(1) as usize;
                continue;
            }
            let made = match &part.base_used {
                Some(b) => Ok(b.clone()),
                None => real_dir(base),
            }
            .and_then(|b| {
                part.base_used = Some(b.clone());
                unique_dir(&b, &format!("0x{start:x}.{}", fmt.name()))
            });
            let dir = match made {
                Ok(d) => d,
                Err(e) => {
                    part.errors.push(self.err(
                        rel,
                        prov,
                        start,
                        fmt.name(),
                        format!(
                            "cannot create an extraction folder under {}: {e}",
                            base.display()
                        ),
                    ));
                    break;
                }
            };
            if let Some(p) = self.progress {
                p(&format!(
                    "{} {} at 0x{start:x}",
                    fmt.name(),
                    if rel.is_empty() { prov } else { rel }
                ));
            }
            // An extraction of a chunk of known length can come from the cache; so can
            // a compressed stream whose end only decoding finds, through the length a
            // previous decoding of the same first bytes consumed (checked by hash).
            let cache_key = match (self.cache, probe.len) {
                (Some(_), Some(len))
                    if start
                        .checked_add(len as usize)
                        .is_some_and(|e| e <= data.len()) =>
                {
                    let sha = hex::encode(Sha256::digest(&data[start..start + len as usize]));
                    Some(cache::Cache::key(&sha, fmt.name(), depth, self.limits))
                }
                (Some(c), None) => self.stream_key(c, data, start, fmt.name(), depth),
                _ => None,
            };
            if let Some(key) = &cache_key {
                let dir_rel = dir.strip_prefix(&self.out).unwrap_or(&dir).to_path_buf();
                if let Some(e) = self.replay(key, &dir, &dir_rel, "", &hop) {
                    let len = e.consumed.max(1);
                    part.formats.push(FormatHit {
                        file: rel.to_string(),
                        provenance: hop,
                        offset: start as u64,
                        length: Some(len),
                        format: fmt.name().into(),
                        description: e.description.clone(),
                        extracted_to: Some(dir_rel),
                        entries: e.entries,
                    });
                    part.files.extend(e.own.files);
                    part.errors.extend(e.own.errors);
                    part.warnings.extend(e.own.warnings);
                    covered.push((start as u64, len));
                    cursor = start.saturating_add(len as usize);
                    chunks.push(Chunk {
                        store: None,
                        below: Some(e.below),
                    });
                    continue;
                }
            }
            let (errors_before, rejected_before, warnings_before) =
                (part.errors.len(), part.rejected.len(), part.warnings.len());
            let input_len = probe.len.unwrap_or((data.len() - start) as u64);
            let t = Instant::now();
            let mut sink = Sink::new(
                dir.clone(),
                self.limits,
                &self.quota,
                hop.clone(),
                input_len,
            );
            let mut panicked = false;
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                fmt.extract(data, start, &probe, &mut sink)
            }))
            .unwrap_or_else(|_| {
                panicked = true;
                Err(Error::bad(
                    "the extractor panicked (a bug: please report it with this image)",
                ))
            });
            let wrote =
                sink.written() > 0 || sink.records.iter().any(|r| r.kind != EntryKind::File);
            let dir_rel = dir.strip_prefix(&self.out).unwrap_or(&dir).to_path_buf();
            for w in sink.warnings.drain(..) {
                part.warnings.push(format!("{hop}: {w}"));
            }
            let mut records = std::mem::take(&mut sink.records);
            for r in &mut records {
                r.path = dir_rel.join(&r.path);
            }
            let consumed = match outcome {
                Ok(n) => Some(n),
                Err(e) => {
                    // An error is what the user must know: something came out and then
                    // failed, a limit stopped it, an extractor bug, or a format the probe
                    // validated over its whole extent (or the input itself) that did not
                    // decode. Anything else was a candidate that only looked right.
                    let recognised = wrote
                        || panicked
                        || matches!(e, Error::Quota(_))
                        || probe.confidence == Confidence::Strong
                            && (probe.len.is_some() || top && start == 0);
                    let x = self.err(rel, prov, start, fmt.name(), e.to_string());
                    if recognised {
                        part.errors.push(x);
                        if let (Error::Quota(q), Some(last)) = (&e, part.errors.last_mut()) {
                            last.quota = Some(q.quota);
                        }
                    } else if part.rejected.len() < MAX_REJECTED_PER_LEVEL {
                        part.rejected.push(x);
                    }
                    None
                }
            };
            if consumed.is_none() && !wrote {
                let _ = fs::remove_dir_all(&dir);
                part.warnings
                    .extend(rejects.charge(fidx, t.elapsed(), prov, start, fmt.name()));
                continue;
            }
            let len = consumed.or(probe.len).unwrap_or(1).max(1);
            part.formats.push(FormatHit {
                file: rel.to_string(),
                provenance: hop,
                offset: start as u64,
                length: Some(len),
                format: fmt.name().into(),
                description: probe.description.clone(),
                extracted_to: Some(dir_rel),
                entries: records.len() as u64,
            });
            covered.push((start as u64, len));
            cursor = start.saturating_add(len as usize);
            let idx = chunks.len();
            extracted_files.extend(
                records
                    .iter()
                    .filter(|r| r.kind == EntryKind::File && r.size > 0)
                    .map(|r| (idx, r.clone())),
            );
            // A stream decoded for the first time: keyed by the bytes it consumed, and
            // found again through its first bytes.
            let cache_key = cache_key.or_else(|| {
                let (c, n) = (self.cache?, consumed?);
                let end = start.checked_add(usize::try_from(n).ok()?)?;
                let (prefix, whole) = (
                    stream_prefix(data, start, fmt.name())?,
                    data.get(start..end)?,
                );
                if whole.len() < STREAM_PREFIX {
                    return None;
                }
                let sha = hex::encode(Sha256::digest(whole));
                let alias = cache::Cache::key(&prefix, fmt.name(), depth, self.limits);
                c.put_blob("stream-len", &alias, format!("{n} {sha}").as_bytes());
                Some(cache::Cache::key(&sha, fmt.name(), depth, self.limits))
            });
            let store = cache_key.map(|key| {
                let dir_rel = dir.strip_prefix(&self.out).unwrap_or(&dir);
                let entry = cache::Entry {
                    tree_rel: dir_rel.to_string_lossy().into_owned(),
                    prov: part
                        .formats
                        .last()
                        .map(|h| h.provenance.clone())
                        .unwrap_or_default(),
                    own: cache::Part {
                        files: records.clone(),
                        errors: part.errors[errors_before..].to_vec(),
                        rejected: part.rejected[rejected_before..].to_vec(),
                        warnings: part.warnings[warnings_before..].to_vec(),
                        ..Default::default()
                    },
                    consumed: len,
                    entries: records.len() as u64,
                    description: probe.description.clone(),
                    ..Default::default()
                };
                (key, entry, dir.clone())
            });
            chunks.push(Chunk { store, below: None });
            part.files.extend(records);
        }

        if top || !covered.is_empty() {
            part.regions = entropy::gaps(data, &covered, rel);
        }
        self.done.fetch_add(1, Ordering::Relaxed);

        // Recurse into every file this level extracted, in parallel.
        let children: Vec<(usize, Partial)> = extracted_files
            .par_iter()
            .filter(|(_, r)| !skip_recursion(r))
            .map(|(idx, r)| {
                let first = match &r.sha256 {
                    Some(h) => self
                        .seen
                        .lock()
                        .map(|mut s| s.insert(h.clone()))
                        .unwrap_or(true),
                    None => true,
                };
                if !first {
                    // Identical contents were recursed into elsewhere in this run.
                    return (
                        *idx,
                        Partial {
                            deduped: r.sha256.iter().cloned().collect(),
                            ..Default::default()
                        },
                    );
                }
                (*idx, self.recurse(r, depth))
            })
            .collect();
        let mut below: Vec<Partial> = chunks.iter().map(|_| Partial::default()).collect();
        for (idx, c) in children {
            if let Some(b) = below.get_mut(idx) {
                b.merge(c);
            }
        }
        for (chunk, b) in chunks.into_iter().zip(below) {
            if let Some(cached) = chunk.below {
                part.merge(Partial::from_part(cached, None));
                continue;
            }
            if let (Some((key, mut entry, dir)), Some(c)) = (chunk.store, self.cache)
                && cacheable(&entry.own, &b)
            {
                entry.below = b.clone().into_part();
                entry.count();
                c.put(&key, &entry, Some(&dir));
            }
            part.merge(b);
        }
        part
    }

    /// Recursion into one extracted file: through the cache where it holds this file.
    fn recurse(&self, r: &FileRecord, depth: u32) -> Partial {
        let disk = self.out.join(&r.path);
        let child_rel = r.path.to_string_lossy().into_owned();
        let child_base = PathBuf::from(format!("{}.extract", disk.display()));
        let key = match (self.cache, &r.sha256) {
            (Some(_), Some(sha)) => Some(cache::Cache::key(sha, "file", depth + 1, self.limits)),
            _ => None,
        };
        if let Some(key) = &key
            && let Some(c) = self.cache
            && let Some((e, _)) = c.get(key)
        {
            // A file whose recursion extracted nothing needs no folder.
            let base = if e.tree_rel.is_empty() {
                Some(None)
            } else {
                real_dir(&child_base).ok().map(Some)
            };
            if let Some(base) = base {
                let base_rel = base
                    .as_ref()
                    .map(|b| {
                        b.strip_prefix(&self.out)
                            .unwrap_or(b)
                            .to_string_lossy()
                            .into_owned()
                    })
                    .unwrap_or_default();
                let target = base.clone().unwrap_or_else(|| child_base.clone());
                if let Some(e) = self.replay(
                    key,
                    &target,
                    Path::new(&base_rel),
                    &child_rel,
                    &r.provenance,
                ) {
                    return Partial::from_part(e.below, base);
                }
            }
        }
        let file = match sink::open_regular(&disk) {
            Ok(f) => f,
            Err(_) => return Partial::default(),
        };
        let Ok(Some(map)) = map_file(&file) else {
            return Partial::default();
        };
        if is_program(&map) {
            return Partial::default();
        }
        let mut p = self.process(
            &map,
            &child_rel,
            &r.provenance,
            &child_base,
            depth + 1,
            false,
        );
        // An extraction folder whose candidates all failed is left empty: noise.
        if let Some(b) = &p.base_used {
            let _ = fs::remove_dir(b);
        }
        p.regions.retain(|_| !p.formats.is_empty());
        // A file in which nothing was found costs one scan: not worth an entry.
        if let (Some(key), Some(c)) = (key, self.cache)
            && !p.formats.is_empty()
            && cacheable(&cache::Part::default(), &p)
        {
            let tree = p.base_used.clone().filter(|b| b.is_dir());
            let mut entry = cache::Entry {
                tree_rel: tree
                    .as_ref()
                    .map(|b| {
                        b.strip_prefix(&self.out)
                            .unwrap_or(b)
                            .to_string_lossy()
                            .into_owned()
                    })
                    .unwrap_or_default(),
                file_rel: child_rel,
                prov: r.provenance.clone(),
                below: p.clone().into_part(),
                ..Default::default()
            };
            entry.count();
            c.put(&key, &entry, tree.as_deref());
        }
        p
    }

    /// Links a cached extraction into `dir` and returns its records moved to `dir_rel`
    /// (and `file_rel`, `prov`), charging the quotas; `None` on a miss, when the quotas
    /// would not allow it, or when linking fails (the caller then extracts as usual).
    fn replay(
        &self,
        key: &str,
        dir: &Path,
        dir_rel: &Path,
        file_rel: &str,
        prov: &str,
    ) -> Option<cache::Entry> {
        let (mut e, tree) = self.cache?.get(key)?;
        let files = self.quota.files.fetch_add(e.n_files, Ordering::Relaxed) + e.n_files;
        let bytes = self.quota.bytes.fetch_add(e.n_bytes, Ordering::Relaxed) + e.n_bytes;
        let undo = || {
            self.quota.files.fetch_sub(e.n_files, Ordering::Relaxed);
            self.quota.bytes.fetch_sub(e.n_bytes, Ordering::Relaxed);
        };
        if files > self.limits.max_files || bytes > self.limits.max_total_bytes {
            undo();
            return None;
        }
        if !e.tree_rel.is_empty() && cache::link_tree(&tree, dir).is_err() {
            undo();
            let _ = fs::remove_dir_all(dir);
            let _ = fs::create_dir_all(dir);
            return None;
        }
        cache::rebase(&mut e, &dir_rel.to_string_lossy(), file_rel, prov);
        if let Ok(mut seen) = self.seen.lock() {
            for f in e.own.files.iter().chain(&e.below.files) {
                if let Some(h) = &f.sha256 {
                    seen.insert(h.clone());
                }
            }
        }
        Some(e)
    }

    /// The cache key of the stream at `start`, when a stream with the same first bytes
    /// was decoded before and the bytes it consumed are here again (same hash).
    fn stream_key(
        &self,
        c: &cache::Cache,
        data: &[u8],
        start: usize,
        fmt: &str,
        depth: u32,
    ) -> Option<String> {
        let prefix = stream_prefix(data, start, fmt)?;
        let alias = cache::Cache::key(&prefix, fmt, depth, self.limits);
        let stored = c.get_blob("stream-len", &alias)?;
        let text = std::str::from_utf8(&stored).ok()?;
        let (n, sha) = text.split_once(' ')?;
        let n: usize = n.parse().ok()?;
        let whole = data.get(start..start.checked_add(n)?)?;
        (hex::encode(Sha256::digest(whole)) == sha)
            .then(|| cache::Cache::key(sha, fmt, depth, self.limits))
    }

    fn err(
        &self,
        rel: &str,
        prov: &str,
        offset: usize,
        format: &str,
        reason: String,
    ) -> ExtractError {
        ExtractError {
            file: rel.to_string(),
            provenance: prov.to_string(),
            offset: offset as u64,
            format: format.to_string(),
            reason,
            quota: None,
        }
    }
}

/// Flags the files whose whole content a format at offset 0 extracted without error
/// (a trailing stretch of 0x00/0xff padding may remain). Anything less keeps the file
/// in the inspected tree, so bytes after a small valid prefix cannot hide.
fn mark_unpacked(p: &mut Partial, out: &Path) {
    let failed: std::collections::HashSet<&str> = p
        .errors
        .iter()
        .filter(|e| e.offset == 0)
        .map(|e| e.file.as_str())
        .collect();
    let covered: std::collections::HashMap<String, u64> = p
        .formats
        .iter()
        .filter(|h| h.offset == 0 && h.extracted_to.is_some() && !h.file.is_empty())
        .filter(|h| !failed.contains(h.file.as_str()))
        .map(|h| (h.file.clone(), h.length.unwrap_or(0)))
        .collect();
    for f in &mut p.files {
        if f.kind != EntryKind::File {
            continue;
        }
        let Some(&len) = covered.get(f.path.to_string_lossy().as_ref()) else {
            continue;
        };
        f.unpacked =
            len >= f.size || (f.size - len <= 1 << 20 && tail_is_padding(&out.join(&f.path), len));
    }
}

/// Whether everything from `from` to the end of the file is one padding byte value.
fn tail_is_padding(path: &Path, from: u64) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = sink::open_regular(path) else {
        return false;
    };
    let mut tail = Vec::new();
    if f.seek(SeekFrom::Start(from)).is_err() || f.take(1 << 20).read_to_end(&mut tail).is_err() {
        return false;
    }
    tail.first()
        .is_some_and(|&b| (b == 0 || b == 0xff) && tail.iter().all(|&x| x == b))
}

/// Tiny files hold no container worth carving.
fn skip_recursion(r: &FileRecord) -> bool {
    r.size < 16
}

/// Programs and media files are not carved: their constants and their own deflate
/// streams (PNG) make false or useless matches, and firmware does not hide its file
/// systems inside them. Images and top-level inputs are always carved.
fn is_program(data: &[u8]) -> bool {
    const SKIP: &[&[u8]] = &[
        b"\x7fELF",
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff",
        b"GIF87a",
        b"GIF89a",
        b"RIFF",
        b"wOFF",
        b"wOF2",
        b"OTTO",
        b"SQLite format 3\0",
    ];
    SKIP.iter().any(|m| data.starts_with(m))
}

/// Makes `base` a real directory (never one reached through a symlink an archive
/// planted); if something else already has that name, uses `base-N` instead.
fn real_dir(base: &Path) -> io::Result<PathBuf> {
    for n in 0..1000 {
        let p = if n == 0 {
            base.to_path_buf()
        } else {
            PathBuf::from(format!("{}-{n}", base.display()))
        };
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_dir() => return Ok(p),
            Ok(_) => continue,
            Err(_) => match fs::create_dir(&p) {
                Ok(()) => return Ok(p),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            },
        }
    }
    Err(io::Error::other("no free folder name"))
}

/// Creates a new folder `name` (or `name-N`) under `base`, atomically, so that two
/// extractions running in parallel never share one.
fn unique_dir(base: &Path, name: &str) -> io::Result<PathBuf> {
    for n in 0..100_000 {
        let p = if n == 0 {
            base.join(name)
        } else {
            base.join(format!("{name}-{n}"))
        };
        match fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free folder name"))
}
