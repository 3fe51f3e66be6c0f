//! Vulnerability knowledge base, component matching, SBOM and VEX.
//!
//! [`Kb`] imports the feeds users download (NVD CVE API 2.0, OSV, CISA KEV, Linux
//! kernel stream fixes) into a SQLite file and matches components and the device
//! identity against them. Matches say which rule matched and why, so a person can check
//! every verdict; see `docs/vulns.md`.

pub mod alias;
pub mod cpe;
pub mod distro;
mod error;
mod fastread;
pub mod feed;
pub mod import;
mod matcher;
mod memindex;
pub mod record;
pub mod snapshot;
mod store;
pub mod time;
#[cfg(feature = "update")]
pub mod update;
pub mod version;
pub mod vex;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use baseliner_model::{Component, Text, VexStatus, VulnMatch};
use sqlx::ConnectOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqliteSynchronous};

pub use ed25519_dalek::{SigningKey, VerifyingKey};
pub use error::{Error, Result};
pub use matcher::DeviceIdentity;
pub use snapshot::{Manifest, SnapshotInfo, import_snapshot, is_snapshot};
pub use store::Counts;

/// What importing one file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportStats {
    pub file: PathBuf,
    /// Format recognised, such as `NVD CVE API 2.0 page`.
    pub format: &'static str,
    pub counts: Counts,
    /// Malformed records that were skipped, as `id: why`.
    pub skipped: Vec<String>,
}

/// One source's state in [`Status`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceStatus {
    /// `nvd`, `osv`, `kev` or `kernel-stream-fixes`.
    pub kind: String,
    pub records: u64,
    /// Last file imported.
    pub file: String,
    /// When it was imported (UTC, RFC 3339).
    pub imported_at: String,
    /// Newest record date seen (NVD `lastModified`, OSV `modified`, KEV `dateAdded`).
    pub newest: Option<String>,
}

/// What the knowledge base holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Status {
    pub path: PathBuf,
    pub schema: String,
    pub sources: Vec<SourceStatus>,
}

/// Days after which a knowledge base counts as stale unless told otherwise.
pub const STALE_AFTER_DAYS: u64 = 7;

/// How current one feed's data is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FeedAge {
    /// `nvd`, `osv` or `kev`.
    pub kind: String,
    /// When the data was last known current (UTC, RFC 3339 or as the feed wrote it).
    pub as_of: String,
    /// How that is known: `update` (`db update` completed then), `newest record` (a
    /// hand import: the newest record's modification date), `import` (a hand import
    /// of records without dates: when it was imported).
    pub basis: String,
}

/// How current the knowledge base is, per feed it holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Freshness {
    pub feeds: Vec<FeedAge>,
}

impl Freshness {
    /// The least recently current feed: the knowledge base is as old as it.
    pub fn oldest(&self) -> Option<&FeedAge> {
        self.feeds
            .iter()
            .min_by_key(|f| time::parse(&f.as_of).unwrap_or(i64::MIN))
    }

    /// Seconds from the oldest feed's date to `now` (`None` without feeds).
    pub fn age_secs(&self, now: time::Secs) -> Option<i64> {
        let f = self.oldest()?;
        Some(
            now.saturating_sub(time::parse(&f.as_of).unwrap_or(0))
                .max(0),
        )
    }

    /// Whole days of [`Freshness::age_secs`].
    pub fn age_days(&self, now: time::Secs) -> Option<u64> {
        self.age_secs(now).map(|s| s.unsigned_abs() / 86_400)
    }

    /// Older than `days` at `now`, or holding no feed at all.
    pub fn is_stale(&self, now: time::Secs, days: u64) -> bool {
        self.age_secs(now)
            .is_none_or(|s| s.unsigned_abs() > days.saturating_mul(86_400))
    }
}

/// The knowledge base: one SQLite file.
pub struct Kb {
    path: PathBuf,
    rt: tokio::runtime::Runtime,
    conn: Mutex<SqliteConnection>,
    /// Read connection for the index build and generation checks, opened on first match.
    reader: Mutex<Option<fastread::Reader>>,
    /// The matcher's index of the current generation, built or mapped on first match.
    index: Mutex<Option<Arc<memindex::MemIndex>>>,
}

/// What [`Kb::prepare_index`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexInfo {
    /// The index file next to the knowledge base.
    pub path: PathBuf,
    /// Built now (rather than found current in memory or on disk).
    pub built: bool,
    /// Why the built index could not be written (it is still used in memory).
    pub not_saved: Option<String>,
    /// Size in bytes.
    pub bytes: u64,
}

/// The default knowledge-base file: `$XDG_DATA_HOME/baseliner/kb.sqlite`, else
/// `~/.local/share/baseliner/kb.sqlite`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".local/share"))
        })?;
    Some(base.join("baseliner").join("kb.sqlite"))
}

/// Current UTC time as RFC 3339, without a date library.
pub(crate) use baseliner_model::now_rfc3339;

impl Kb {
    /// Opens (creating where missing) the knowledge base at `path`.
    pub fn open(path: &Path) -> Result<Kb> {
        let db_err = |msg: String| Error::Db {
            path: path.to_path_buf(),
            msg,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| db_err(e.to_string()))?;
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            // Reads through mmap and a 64 MiB page cache: matching touches scattered
            // pages, and a syscall per page read dominated its time.
            .pragma("mmap_size", "1073741824")
            .pragma("cache_size", "-65536");
        let conn = rt
            .block_on(async {
                let mut c = opts.connect().await?;
                store::init(&mut c).await?;
                Ok::<_, sqlx::Error>(c)
            })
            .map_err(|e| db_err(e.to_string()))?;
        Ok(Kb {
            path: path.to_path_buf(),
            rt,
            conn: Mutex::new(conn),
            reader: Mutex::new(None),
            index: Mutex::new(None),
        })
    }

    fn db_err(&self, e: impl std::fmt::Display) -> Error {
        Error::Db {
            path: self.path.clone(),
            msg: e.to_string(),
        }
    }

    /// Runs `f` on the connection inside the runtime.
    fn with_conn<T>(
        &self,
        f: impl AsyncFnOnce(&mut SqliteConnection) -> store::DbResult<T>,
    ) -> Result<T> {
        let mut guard = self
            .conn
            .lock()
            .map_err(|_| self.db_err("connection lock poisoned"))?;
        let conn: &mut SqliteConnection = &mut guard;
        self.rt.block_on(f(conn)).map_err(|e| self.db_err(e))
    }

    /// Runs `f` on the read connection (opened here when missing).
    fn with_reader<T>(
        &self,
        f: impl FnOnce(&fastread::Reader) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let mut guard = self
            .reader
            .lock()
            .map_err(|_| self.db_err("connection lock poisoned"))?;
        let reader = match &mut *guard {
            Some(r) => r,
            None => guard.insert(fastread::Reader::open(&self.path).map_err(|e| self.db_err(e))?),
        };
        f(reader).map_err(|e| self.db_err(e))
    }

    /// The index file kept next to the knowledge base.
    pub fn index_path(&self) -> PathBuf {
        let mut s = self.path.as_os_str().to_owned();
        s.push(".idx");
        PathBuf::from(s)
    }

    /// The matcher's index of the knowledge base as it is now: the one in memory if
    /// still current, else the index file if current, else built (and written).
    fn index(&self) -> Result<(Arc<memindex::MemIndex>, IndexInfo)> {
        let token = self.with_reader(|r| r.token())?;
        let mut guard = self
            .index
            .lock()
            .map_err(|_| self.db_err("index lock poisoned"))?;
        let path = self.index_path();
        let info = |ix: &memindex::MemIndex, built: bool, not_saved: Option<String>| IndexInfo {
            path: path.clone(),
            built,
            not_saved,
            bytes: ix.size() as u64,
        };
        if let Some(ix) = guard.as_ref().filter(|ix| ix.token() == token) {
            return Ok((ix.clone(), info(ix, false, None)));
        }
        if let Some(ix) = memindex::MemIndex::load(&path, &token) {
            let ix = Arc::new(ix);
            *guard = Some(ix.clone());
            return Ok((ix.clone(), info(&ix, false, None)));
        }
        let ix = self.with_reader(|r| memindex::MemIndex::build(&r.conn))?;
        // A read-only folder (a snapshot on a CI runner) still gets an index, in memory.
        let not_saved = ix
            .save(&path)
            .err()
            .map(|e| format!("{}: {e}", path.display()));
        let ix = Arc::new(ix);
        *guard = Some(ix.clone());
        Ok((ix.clone(), info(&ix, true, not_saved)))
    }

    /// Makes the matcher's index current now (the first match would otherwise), and
    /// writes it next to the knowledge base so later processes map it instead of
    /// building it. `db import` and `db update` call this once they are done.
    pub fn prepare_index(&self) -> Result<IndexInfo> {
        Ok(self.index()?.1)
    }

    /// Imports one downloaded feed file. Malformed records are listed and skipped;
    /// re-importing is idempotent, and a newer record replaces an older one.
    pub fn import(&self, path: &Path) -> Result<ImportStats> {
        let parsed = import::parse_file(path)?;
        let file = path.display().to_string();
        let at = now_rfc3339();
        let mut counts = Counts::default();
        let add = |c: &mut Counts, d: Counts| {
            c.added += d.added;
            c.replaced += d.replaced;
            c.unchanged += d.unchanged;
        };
        if !parsed.nvd.is_empty() {
            let newest = parsed.nvd.iter().map(|r| r.last_modified.clone()).max();
            let c = self.with_conn(async |conn| {
                let c = store::put_cves(conn, &parsed.nvd).await?;
                store::note_source(conn, "nvd", &file, &at, newest.as_deref()).await?;
                Ok(c)
            })?;
            add(&mut counts, c);
        }
        if !parsed.osv.is_empty() {
            let newest = parsed.osv.iter().map(|r| r.modified.clone()).max();
            let c = self.with_conn(async |conn| {
                let c = store::put_osv(conn, &parsed.osv).await?;
                store::note_source(conn, "osv", &file, &at, newest.as_deref()).await?;
                Ok(c)
            })?;
            add(&mut counts, c);
        }
        if !parsed.kev.is_empty() {
            let newest = parsed.kev.iter().map(|r| r.date_added.clone()).max();
            let c = self.with_conn(async |conn| {
                let c = store::put_kev(conn, &parsed.kev).await?;
                store::note_source(conn, "kev", &file, &at, newest.as_deref()).await?;
                Ok(c)
            })?;
            add(&mut counts, c);
        }
        if !parsed.kernel.is_empty() {
            let c = self.with_conn(async |conn| {
                let c = store::put_kernel(conn, &parsed.kernel).await?;
                store::note_source(conn, "kernel-stream-fixes", &file, &at, None).await?;
                Ok(c)
            })?;
            add(&mut counts, c);
        }
        Ok(ImportStats {
            file: path.to_path_buf(),
            format: parsed.format,
            counts,
            skipped: parsed
                .skipped
                .into_iter()
                .map(|(id, why)| format!("{id}: {why}"))
                .collect(),
        })
    }

    /// Sources, record counts and dates.
    pub fn status(&self) -> Result<Status> {
        let (rows, counts) = self.with_conn(async |conn| {
            let rows = store::sources(conn).await?;
            let mut counts = HashMap::new();
            for (kind, table) in [
                ("nvd", "cve"),
                ("osv", "osv"),
                ("kev", "kev"),
                ("kernel-stream-fixes", "kernel_fix"),
            ] {
                counts.insert(kind.to_string(), store::count(conn, table).await?);
            }
            Ok((rows, counts))
        })?;
        Ok(Status {
            path: self.path.clone(),
            schema: store::SCHEMA_VERSION.into(),
            sources: rows
                .into_iter()
                .map(|(kind, file, imported_at, newest)| SourceStatus {
                    records: counts.get(&kind).copied().unwrap_or(0),
                    kind,
                    file,
                    imported_at,
                    newest,
                })
                .collect(),
        })
    }

    /// How current each feed is (see [`FeedAge`]). A snapshot carries its feeds'
    /// dates, so a knowledge base imported from a three-week-old snapshot is three
    /// weeks old.
    pub fn freshness(&self) -> Result<Freshness> {
        let status = self.status()?;
        let mut feeds = Vec::new();
        for kind in ["nvd", "osv", "kev"] {
            #[cfg(feature = "update")]
            let key = update::refreshed_key(kind);
            #[cfg(not(feature = "update"))]
            let key = format!("refreshed:{kind}");
            let updated = self
                .with_conn(async |c| store::get_state(c, &key).await)?
                .filter(|t| time::parse(t).is_some());
            let hand = status.sources.iter().find(|s| s.kind == kind).map(|s| {
                match s
                    .newest
                    .as_ref()
                    .filter(|n| kind != "kev" && time::parse(n).is_some())
                {
                    Some(n) => (n.clone(), "newest record"),
                    None => (s.imported_at.clone(), "import"),
                }
            });
            let secs = |t: &str| time::parse(t).unwrap_or(i64::MIN);
            let best = match (updated, hand) {
                (Some(u), Some((h, basis))) if secs(&h) > secs(&u) => Some((h, basis)),
                (Some(u), _) => Some((u, "update")),
                (None, Some((h, basis))) => Some((h, basis)),
                (None, None) => None,
            };
            if let Some((as_of, basis)) = best {
                feeds.push(FeedAge {
                    kind: kind.into(),
                    as_of,
                    basis: basis.into(),
                });
            }
        }
        Ok(Freshness { feeds })
    }

    /// The snapshot this knowledge base is (imported from, or exported as, with no
    /// write since): its id and creation time.
    pub fn snapshot(&self) -> Result<Option<(String, String)>> {
        self.with_conn(async |c| store::snapshot(c).await)
    }

    /// The version an assessment records for this knowledge base: each source with its
    /// record count and newest record date (or import time), then `snapshot:ID` when
    /// the knowledge base is a snapshot unchanged since.
    pub fn version_string(&self) -> Result<String> {
        let status = self.status()?;
        let mut parts: Vec<String> = status
            .sources
            .iter()
            .map(|s| {
                format!(
                    "{}:{}@{}",
                    s.kind,
                    s.records,
                    s.newest.as_deref().unwrap_or(&s.imported_at)
                )
            })
            .collect();
        if let Some((id, _)) = self.snapshot()? {
            parts.push(format!("snapshot:{id}"));
        }
        Ok(parts.join(","))
    }

    /// Known vulnerabilities of `components` and of the device itself.
    ///
    /// NVD configurations are evaluated with their AND/OR structure; Linux kernel CVEs
    /// fixed on the kernel's own stable stream are dropped; OSV advisories apply to
    /// components with a package-manager purl. Sorted by id, then component.
    pub fn match_components(
        &self,
        components: &[Component],
        device: Option<&DeviceIdentity>,
    ) -> Result<Vec<VulnMatch>> {
        let subjects = matcher::subjects(components, device);
        let index = matcher::Index::new(&subjects);
        let probes = index.probes();
        let (mem, _) = self.index()?;
        let view = mem.view();
        // The index finds the vulnerable criteria that admit each version. A hit in a
        // plain-OR record is a match by itself; records with AND/negated nodes are
        // loaded and evaluated whole, so a platform-bound CVE needs its platform.
        // Probes are one per subject, so halves of them share no subject and are
        // scanned on two threads.
        let (first, second) = probes.split_at(probes.len() / 2);
        let ((h1, c1), (h2, c2)) = both(
            probes.len() >= PARALLEL_PROBES,
            || scan(&view, &index, first),
            || scan(&view, &index, second),
        );
        let mut hits = h1;
        hits.extend(h2);
        let indexed = hits.len();
        let mut complex = c1;
        complex.extend(c2);
        for key in index.suffix_keys() {
            let mut ords = Vec::new();
            view.records_of(&key, &mut ords);
            complex.extend(ords.into_iter().filter_map(|o| view.cve_key(o)));
        }
        complex.sort_unstable();
        complex.dedup();
        // Details of records read whole, for a record the index does not hold (the
        // knowledge base was written between the index check and this read).
        let mut details: HashMap<i64, store::Details> = HashMap::new();
        if !complex.is_empty() {
            for rec in self.with_reader(|r| r.records(&complex))? {
                let k = rec.key();
                let ord = view.cve_ord(k).unwrap_or(memindex::NONE);
                for hit in index.match_record(&rec) {
                    hits.push((k, ord, hit));
                }
                details
                    .entry(k)
                    .or_insert((rec.cvss_score, rec.cvss_severity, rec.summary));
            }
        }
        // Matches are put in report order (id, component, version, rule) before they
        // are built, by numbers standing for those texts: `record::id_rank` for CVE
        // ids, each subject's rank among (component, version) pairs.
        // OSV advisories of every package subject, and which ecosystems' advisories
        // are loaded at all.
        let osv_found: Vec<(usize, Vec<record::OsvRecord>)>;
        let mut loaded: std::collections::HashSet<String> = Default::default();
        if subjects.iter().any(|s| s.purl.is_some()) {
            let subjects_ref = &subjects;
            let (f, l) = self.with_conn(async move |conn| {
                let mut found = Vec::new();
                let mut loaded = std::collections::HashSet::new();
                for (i, s) in subjects_ref.iter().enumerate() {
                    let Some(p) = &s.purl else { continue };
                    found.push((i, store::osv_for(conn, &p.ecosystem, &p.name).await?));
                    if p.distro_build
                        && !loaded.contains(&p.ecosystem)
                        && store::has_osv_ecosystem(conn, &p.ecosystem).await?
                    {
                        loaded.insert(p.ecosystem.clone());
                    }
                }
                Ok((found, loaded))
            })?;
            osv_found = f;
            loaded = l;
        } else {
            osv_found = Vec::new();
        }
        // What a distribution's own advisories say of each vulnerability of its
        // builds, by (component rank, id): they know the fixes it backported.
        let subject_rank = display_ranks(&subjects);
        let mut distro_says: HashMap<(u32, String), (VexStatus, String)> = HashMap::new();
        for (i, records) in &osv_found {
            let Some(p) = subjects.get(*i).and_then(|s| s.purl.as_ref()) else {
                continue;
            };
            if !p.distro_build {
                continue;
            }
            let rank = subject_rank.get(*i).copied().unwrap_or(u32::MAX);
            for o in records {
                let id = o
                    .aliases
                    .iter()
                    .find(|a| a.starts_with("CVE-"))
                    .cloned()
                    .unwrap_or_else(|| o.id.clone());
                let entries: Vec<&record::OsvPackage> = o
                    .affected
                    .iter()
                    .filter(|a| a.ecosystem == p.ecosystem && a.name == p.name && release_ok(a, p))
                    .collect();
                if entries.is_empty() {
                    continue;
                }
                let verdict = match entries
                    .iter()
                    .find_map(|a| matcher::osv_hits(a, &p.version))
                {
                    Some(r) => (VexStatus::Affected, format!("{r} ({})", o.id)),
                    None => (
                        VexStatus::Fixed,
                        format!(
                            "{} {}/{}{}: {} is fixed",
                            o.id,
                            p.ecosystem,
                            p.name,
                            p.release
                                .as_deref()
                                .map(|r| format!(" {r}"))
                                .unwrap_or_default(),
                            p.version
                        ),
                    ),
                };
                distro_says.insert((rank, id), verdict);
            }
        }
        let rank_of = |i: usize| subject_rank.get(i).copied().unwrap_or(u32::MAX);
        let mut pending: Vec<Pending> = Vec::with_capacity(hits.len());
        for (i, (k, ord, hit)) in hits.into_iter().enumerate() {
            let Some(s) = subjects.get(hit.subject) else {
                continue;
            };
            // Among equal matches, index hits come first in subject order, then
            // records evaluated whole in the order evaluated (as one sorted scan gave).
            let seq = if i < indexed {
                hit.subject as u64
            } else {
                (1 << 56) | (i - indexed) as u64
            };
            let mut rule = hit.rule;
            if s.key == "linux:linux_kernel" {
                let id = record::cve_id(k);
                let stream = kernel_stream(&s.version);
                if let Some(fixed) = view.kernel_fix(&id, &stream) {
                    if version::compare(&s.version, fixed).is_ge() {
                        continue; // fixed on this stable stream
                    }
                    rule = format!("{rule}; stream {stream} fixed in {fixed}");
                } else if view
                    .kernel_fix(&id, "mainline")
                    .is_some_and(|f| version::compare(&s.version, f).is_ge())
                {
                    continue; // released after the mainline fix
                }
            }
            // A record naming the product without a version cannot establish
            // that this version is affected: say so instead of guessing.
            let status = if hit.unversioned {
                rule.push_str(" (record states no version: needs the vendor's word)");
                VexStatus::UnderInvestigation
            } else if hit.platform_assumed {
                // The record applies to one hardware revision; which one this
                // device is was not stated.
                rule.push_str(" (hardware revision not stated: needs the vendor's word)");
                VexStatus::UnderInvestigation
            } else {
                VexStatus::Affected
            };
            // A distribution's build: its own advisories decide; without them an
            // upstream range cannot (the fix may be backported).
            let status = match s.distro.as_ref() {
                Some(p) if status == VexStatus::Affected => {
                    let id = record::cve_id(k);
                    match distro_says.get(&(rank_of(hit.subject), id)) {
                        Some((st, why)) => {
                            rule = format!("{rule}; {why}");
                            *st
                        }
                        None if loaded.contains(&p.ecosystem) => {
                            rule = format!(
                                "{rule} (distribution build {} {}: no {} advisory names it for {}, and upstream ranges do not see backported fixes)",
                                p.name, p.version, p.ecosystem, p.name
                            );
                            VexStatus::UnderInvestigation
                        }
                        None => {
                            rule = format!(
                                "{rule} (distribution build {} {}: upstream ranges do not see backported fixes, and no {} advisories are loaded)",
                                p.name, p.version, p.ecosystem
                            );
                            VexStatus::UnderInvestigation
                        }
                    }
                }
                _ => status,
            };
            pending.push(Pending {
                rank: Some(record::id_rank(k)),
                seq,
                subject: hit.subject,
                display: rank_of(hit.subject),
                rule,
                status,
                source: Source::Nvd { key: k, ord },
            });
        }
        {
            let mut osv_seq = 0u64;
            for (i, records) in osv_found {
                let Some(s) = subjects.get(i) else { continue };
                let Some(p) = &s.purl else { continue };
                let display = rank_of(i);
                for o in records {
                    let id = o
                        .aliases
                        .iter()
                        .find(|a| a.starts_with("CVE-"))
                        .cloned()
                        .unwrap_or_else(|| o.id.clone());
                    let key = record::cve_key(&id);
                    // Not again when an NVD record (or another advisory) already
                    // matched this component under the same id.
                    if pending.iter().any(|m| {
                        m.display == display
                            && match &m.source {
                                Source::Nvd { key: k, .. } => key == Some(*k),
                                Source::Osv(o) => o.id == id,
                            }
                    }) {
                        continue;
                    }
                    let hit = o
                        .affected
                        .iter()
                        .filter(|a| {
                            a.ecosystem == p.ecosystem && a.name == p.name && release_ok(a, p)
                        })
                        .find_map(|a| matcher::osv_hits(a, &p.version));
                    if let Some(rule) = hit {
                        osv_seq += 1;
                        pending.push(Pending {
                            rank: key.map(record::id_rank),
                            seq: (2 << 56) | osv_seq,
                            subject: i,
                            display,
                            rule: format!("{rule} ({})", o.id),
                            status: VexStatus::Affected,
                            source: Source::Osv(Box::new(OsvMatch {
                                id,
                                severity: o.severity,
                                summary: o.summary,
                            })),
                        });
                    }
                }
            }
        }
        let order = report_order(&pending);
        let mut slots: Vec<Option<Pending>> = pending.into_iter().map(Some).collect();
        let mut ordered: Vec<Pending> = order
            .into_iter()
            .filter_map(|i| slots.get_mut(i).and_then(Option::take))
            .collect();
        drop(slots);
        // Building the matches is mostly allocation (six texts each): two threads
        // build the two halves.
        let split = ordered.len() >= PARALLEL_MATCHES;
        let second = ordered.split_off(if split {
            ordered.len() / 2
        } else {
            ordered.len()
        });
        let build = |part: Vec<Pending>| build_matches(part, &subjects, &view, &details);
        let (mut out, rest) = both(split, || build(ordered), || build(second));
        out.extend(rest);
        // When each was published: a vulnerability public when the firmware was
        // built is evidence that updates were late; one found later is not. The index
        // holds the day of every record it has; SQLite is asked only for the others
        // (written after the index was checked).
        let mut keys: Vec<i64> = Vec::new();
        for m in &mut out {
            if m.published.is_some() {
                continue;
            }
            let Some(k) = record::cve_key(&m.id) else {
                continue;
            };
            match view.cve_ord(k) {
                Some(ord) => m.published = view.published(ord),
                None => keys.push(k),
            }
        }
        keys.sort_unstable();
        keys.dedup();
        if !keys.is_empty() {
            let dates = self.with_conn(async move |conn| store::published(conn, &keys).await)?;
            for m in out.iter_mut().filter(|m| m.published.is_none()) {
                if let Some(d) = record::cve_key(&m.id).and_then(|k| dates.get(&k)) {
                    let day: Text = d.chars().take(10).collect();
                    if day.len() == 10 {
                        m.published = Some(day);
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Whether an advisory's entry is about the release the package was built for (an
/// entry or a package whose release is not known applies).
fn release_ok(a: &record::OsvPackage, p: &matcher::Purl) -> bool {
    match (&a.release, &p.release) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
        _ => true,
    }
}

/// Probes from which matching scans on two threads.
const PARALLEL_PROBES: usize = 256;
/// Matches from which two threads build them.
const PARALLEL_MATCHES: usize = 2_048;

/// Runs `a` and `b`, on two threads when `parallel`.
fn both<A: Send, B: Send>(
    parallel: bool,
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    if !parallel {
        return (a(), b());
    }
    std::thread::scope(|s| {
        let other = s.spawn(b);
        let mine = a();
        let theirs = other
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        (mine, theirs)
    })
}

/// A decisive hit: record key, index ordinal and the hit.
type KeyedHit = (i64, u32, matcher::Hit);

/// The decisive hits of `probes` (first criterion per record and subject), and the
/// records to evaluate whole.
fn scan(
    view: &memindex::View,
    index: &matcher::Index,
    probes: &[(usize, String, Vec<u8>)],
) -> (Vec<KeyedHit>, Vec<i64>) {
    let mut rows: Vec<memindex::RowHit> = Vec::new();
    let mut hits: Vec<KeyedHit> = Vec::new();
    let mut complex: Vec<i64> = Vec::new();
    for (subject, key, v) in probes {
        rows.clear();
        view.probe(*subject, key, v, &mut rows);
        // One subject's rows, by record, decisive first, then criterion order.
        rows.sort_unstable_by_key(|r| (r.cve, !r.decisive(), r.n));
        let mut last = memindex::NONE;
        for h in &rows {
            let Some(cve) = view.cve_key(h.cve) else {
                continue;
            };
            if !h.decisive() {
                // An AND configuration whose nodes name products the image does not
                // have cannot apply; the rest are evaluated whole.
                let context = view.text_bytes(h.text);
                let possible = context.is_empty()
                    || context
                        .split(|&b| b == b';')
                        .all(|node| node.split(|&b| b == b',').any(|k| index.has_key(k)));
                if possible {
                    complex.push(cve);
                }
                continue;
            }
            if h.cve == last {
                continue; // first criterion per record and subject wins
            }
            last = h.cve;
            let Some(s) = index.subject(h.subject) else {
                continue;
            };
            let cond = view.text(h.text);
            let mut rule = String::with_capacity(5 + s.key.len() + cond.len());
            rule.push_str("cpe ");
            rule.push_str(&s.key);
            rule.push(' ');
            rule.push_str(cond);
            hits.push((
                cve,
                h.cve,
                matcher::Hit {
                    subject: h.subject,
                    rule,
                    unversioned: h.flags & memindex::NO_VERSION != 0,
                    platform_assumed: false,
                },
            ));
        }
    }
    (hits, complex)
}

/// The matches of `part`, in its order.
fn build_matches(
    part: Vec<Pending>,
    subjects: &[matcher::Subject],
    view: &memindex::View,
    details: &HashMap<i64, store::Details>,
) -> Vec<VulnMatch> {
    let mut out = Vec::with_capacity(part.len());
    for p in part {
        let Some(s) = subjects.get(p.subject) else {
            continue;
        };
        let published = match p.source {
            Source::Nvd { ord, .. } if ord != memindex::NONE => view.published(ord),
            _ => None,
        };
        let (id, score, severity, summary): (Text, _, Option<Text>, _) = match p.source {
            Source::Nvd { key, ord } => {
                let (score, severity, summary) = if ord != memindex::NONE {
                    let (score, severity, summary) = view.details(ord);
                    (score, severity.map(Text::from), summary.to_string())
                } else {
                    let (score, severity, summary) = details.get(&key).cloned().unwrap_or_default();
                    (score, severity.map(Text::from), summary)
                };
                (record::cve_text(key), score, severity, summary)
            }
            Source::Osv(o) => (o.id.into(), None, o.severity.map(Text::from), o.summary),
        };
        out.push(VulnMatch {
            kev: view.in_kev(&id),
            published,
            id,
            component: Text::from(s.display_name.as_str()),
            version: Text::from(s.display_version.as_str()),
            rule: p.rule,
            identity_source: s.source,
            cvss_score: score,
            cvss_severity: severity,
            summary,
            vex_status: p.status,
            vex_justification: None,
        });
    }
    out
}

/// A match before its texts are read.
struct Pending {
    /// `record::id_rank` of the id, when it is a CVE id (else the text is compared).
    rank: Option<u64>,
    /// Order among matches equal in id, component, version and rule.
    seq: u64,
    subject: usize,
    /// The subject's rank by (display name, display version).
    display: u32,
    rule: String,
    status: VexStatus,
    source: Source,
}

enum Source {
    /// An NVD record, by key and index ordinal ([`memindex::NONE`] if not indexed).
    Nvd {
        key: i64,
        ord: u32,
    },
    Osv(Box<OsvMatch>),
}

struct OsvMatch {
    id: String,
    severity: Option<String>,
    summary: String,
}

impl Pending {
    fn id_text(&self) -> std::borrow::Cow<'_, str> {
        match &self.source {
            Source::Nvd { key, .. } => record::cve_id(*key).into(),
            Source::Osv(o) => o.id.as_str().into(),
        }
    }
}

/// Each subject's rank by (display name, display version); equal pairs share a rank.
fn display_ranks(subjects: &[matcher::Subject]) -> Vec<u32> {
    let mut order: Vec<usize> = (0..subjects.len()).collect();
    let pair = |i: usize| {
        subjects
            .get(i)
            .map(|s| (s.display_name.as_str(), s.display_version.as_str()))
    };
    order.sort_by(|&a, &b| pair(a).cmp(&pair(b)));
    let mut rank = vec![0u32; subjects.len()];
    let mut r = 0u32;
    for (n, &i) in order.iter().enumerate() {
        if n > 0 && pair(order[n - 1]) != pair(i) {
            r += 1;
        }
        rank[i] = r;
    }
    rank
}

/// Positions of `pending` in report order (id, component, version, rule, then
/// `seq`), keeping the first of each (id, component, version): a component seen under
/// two CPE keys, such as curl and libcurl, is still one component.
fn report_order(pending: &[Pending]) -> Vec<usize> {
    let id_cmp = |a: &Pending, b: &Pending| match (a.rank, b.rank) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.id_text().cmp(&b.id_text()),
    };
    let mut order: Vec<usize>;
    // By id, component and version first (numbers only when every id is a CVE id),
    // then each run equal in those by rule: rules rarely tie, and comparing texts for
    // every pair cost more than the rest of the sort.
    if pending.iter().all(|p| p.rank.is_some()) {
        // Keys gathered once into a compact array: the sort then reads 24-byte
        // entries in order rather than whole `Pending`s at random.
        let mut keyed: Vec<(u64, u32, u64, u32)> = pending
            .iter()
            .enumerate()
            .map(|(i, p)| (p.rank.unwrap_or(0), p.display, p.seq, i as u32))
            .collect();
        keyed.sort_unstable();
        order = keyed.into_iter().map(|k| k.3 as usize).collect();
    } else {
        order = (0..pending.len()).collect();
        order.sort_unstable_by(|&x, &y| {
            let (a, b) = (&pending[x], &pending[y]);
            id_cmp(a, b)
                .then_with(|| a.display.cmp(&b.display))
                .then_with(|| a.seq.cmp(&b.seq))
        });
    }
    let same = |x: usize, y: usize| {
        let (a, b) = (&pending[x], &pending[y]);
        a.display == b.display && id_cmp(a, b).is_eq()
    };
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && same(order[start], order[end]) {
            end += 1;
        }
        if end - start > 1 {
            order[start..end].sort_by(|&x, &y| {
                let (a, b) = (&pending[x], &pending[y]);
                a.rule.cmp(&b.rule).then_with(|| a.seq.cmp(&b.seq))
            });
        }
        start = end;
    }
    order.dedup_by(|x, y| same(*x, *y));
    order
}

/// Stable stream of a kernel version: `4.9.118-rt` gives `4.9`.
fn kernel_stream(version: &str) -> String {
    let parts: Vec<&str> = version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(3)
        .collect();
    // 2.6 kernels were maintained per third number (2.6.32, 2.6.35, ...).
    let n = if parts.starts_with(&["2", "6"]) { 3 } else { 2 };
    parts.iter().take(n).copied().collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index fast path gives exactly what full evaluation of every record gives.
    #[test]
    fn index_fast_path_equals_full_evaluation() {
        let page = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/corpus/vulndata/nvd-cve-api-2.0-page.json"
        ));
        if !page.is_file() {
            eprintln!("skipping: corpus file {} is absent", page.display());
            assert!(
                std::env::var("CI").map_or(true, |v| v != "true"),
                "CI=true, so this test may not skip"
            );
            return;
        }
        let tmp = std::env::temp_dir().join(format!("baseliner-vulns-{}", std::process::id()));
        let kb = Kb::open(&tmp.join("kb.sqlite")).unwrap();
        kb.import(page).unwrap();
        let mut comps = Vec::new();
        for (name, versions) in [
            (
                "busybox",
                &[
                    "1.01", "1.16.0", "1.27.2", "1.30.0", "1.33.1", "1.36.1", "1.37",
                ][..],
            ),
            (
                "dropbear",
                &["2016.73", "2017.75", "2019.78", "2022.83"][..],
            ),
            ("dnsmasq", &["2.77", "2.78", "2.83", "2.86"][..]),
            (
                "openssl",
                &[
                    "1.0.1",
                    "1.0.1f",
                    "1.0.1g",
                    "1.0.2",
                    "1.0.2-beta1",
                    "1.0.2b",
                    "1.0.2g",
                    "1.0.2zd",
                    "1.1.1m",
                    "3.0.1",
                ][..],
            ),
            ("uclibc", &["0.9.33.2", "0.9.34"][..]),
            ("uclibc-ng", &["1.0.38", "1.0.40", "1.0.41"][..]),
            (
                "lighttpd",
                &["1.4.34", "1.4.35", "1.4.46", "1.4.63", "1.4.64"][..],
            ),
            ("hostapd", &["0.2.4", "2.6", "2.7"][..]),
            ("samba", &["3.5.0", "4.4.13", "4.6.4"][..]),
            ("openssh", &["7.7", "7.7p1", "9.6"][..]),
            ("miniupnpd", &["1.0", "2.0"][..]),
        ] {
            for v in versions {
                comps.push(baseliner_model::Component {
                    name: name.into(),
                    version: (*v).into(),
                    cpe: None,
                    purl: None,
                    evidence: vec![],
                    properties: Default::default(),
                });
            }
        }
        let device = DeviceIdentity {
            vendor: "TP-Link".into(),
            product: "TL-WR841N".into(),
            hardware_version: None,
            firmware_version: "3.16.9".into(),
            source: baseliner_model::IdentitySource::Declaration,
        };
        let fast: Vec<(String, String, String)> = kb
            .match_components(&comps, Some(&device))
            .unwrap()
            .into_iter()
            .map(|m| (m.id.into(), m.component.into(), m.version.into()))
            .collect();
        let subjects = matcher::subjects(&comps, Some(&device));
        let index = matcher::Index::new(&subjects);
        let all = kb
            .with_conn(async |c| {
                let ids: Vec<i64> = sqlx::query("SELECT k FROM cve")
                    .fetch_all(&mut *c)
                    .await?
                    .iter()
                    .map(|r| sqlx::Row::get(r, 0))
                    .collect();
                store::get_cves(c, &ids).await
            })
            .unwrap();
        let mut slow: Vec<(String, String, String)> = all
            .iter()
            .flat_map(|r| {
                index.match_record(r).into_iter().map(|h| {
                    let s = &subjects[h.subject];
                    (
                        r.id.clone(),
                        s.display_name.clone(),
                        s.display_version.clone(),
                    )
                })
            })
            .collect();
        slow.sort();
        slow.dedup();
        let mut fast_sorted = fast.clone();
        fast_sorted.sort();
        assert_eq!(fast_sorted, slow);
        assert!(fast.len() > 50, "{}", fast.len());
        drop(kb);
        let _ = std::fs::remove_dir_all(&tmp);
    }

    #[test]
    fn stream_of_kernel() {
        assert_eq!(kernel_stream("4.9.118-rt"), "4.9");
        assert_eq!(kernel_stream("3.10.14"), "3.10");
        assert_eq!(kernel_stream("2.6.36.4brcmarm"), "2.6.36");
    }

    #[test]
    fn time_format() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20);
        assert!(t.starts_with("20"));
    }
}
