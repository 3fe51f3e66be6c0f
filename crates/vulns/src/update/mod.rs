//! `db update`: brings the knowledge base current from the feeds' own endpoints, or
//! from mirrors of them.
//!
//! - **NVD CVE API 2.0.** The first run pages through every record; later runs ask
//!   only for records modified since the last complete run began
//!   (`lastModStartDate`/`lastModEndDate`, in windows of at most 120 days, the API's
//!   limit). Each page is written in one transaction together with the cursor that
//!   says where the run is, so an interrupted run resumes at the first page not
//!   written, and the knowledge base never holds half a page. NVD's published rate
//!   limits (5 requests in a rolling 30 s without an API key, 50 with one) are kept;
//!   403, 429 and 5xx answers and broken connections are retried after a wait.
//! - **OSV.** One `all.zip` archive per ecosystem, fetched only when it changed
//!   (`If-None-Match`/`If-Modified-Since` against the copy imported last).
//! - **CISA KEV.** The JSON catalogue, likewise conditional; entries CISA removed are
//!   removed here too.
//!
//! Nothing here prints: progress goes to an [`Observer`], the outcome per feed comes
//! back in an [`UpdateReport`].

mod http;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sqlx::Connection;

use crate::time::{self, Secs};
use crate::{Counts, Kb, Result, store};
use http::{Fetched, Http, Limiter, Req};

/// The NVD CVE API 2.0 endpoint.
pub const NVD_URL: &str = "https://services.nvd.nist.gov/rest/json/cves/2.0";
/// The OSV archive bucket: `{OSV_URL}/{ecosystem}/all.zip`.
pub const OSV_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// The CISA Known Exploited Vulnerabilities catalogue (JSON).
pub const KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// OSV ecosystems fetched unless told otherwise: those of the package databases
/// inspection reads (dpkg status: Debian; apk installed: Alpine).
pub const DEFAULT_OSV_ECOSYSTEMS: &[&str] = &["Debian", "Alpine"];
/// Longest `lastModStartDate`..`lastModEndDate` range the NVD API accepts.
pub const NVD_MAX_WINDOW_DAYS: i64 = 120;
/// Most records per NVD page the API serves.
pub const NVD_MAX_PAGE: u32 = 2_000;

/// Largest NVD page accepted (a full page of 2,000 records is 5-30 MB).
const MAX_PAGE_BYTES: u64 = 256 << 20;
/// Largest OSV archive accepted.
const MAX_ARCHIVE_BYTES: u64 = 4 << 30;
/// Largest KEV catalogue accepted (about 1.5 MB today).
const MAX_KEV_BYTES: u64 = 64 << 20;
/// Most pages in one window: a bound on a mirror that keeps growing `totalResults`.
const MAX_PAGES: u64 = 100_000;

/// A feed `db update` fetches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    Nvd,
    Osv,
    Kev,
}

/// At most `requests` requests in any rolling window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub per: Duration,
}

impl RateLimit {
    /// NVD's published limits: 5 requests in a rolling 30 s window without an API key,
    /// 50 with one (the same rate as the "10 / 100 in 60 s" wording, never above it).
    pub fn nvd(with_key: bool) -> RateLimit {
        RateLimit {
            requests: if with_key { 50 } else { 5 },
            per: Duration::from_secs(30),
        }
    }
}

/// Waits between tries of one request: `first_wait`, doubling, at most `max_wait`
/// (a server's `Retry-After` replaces the doubling, within `max_wait`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    pub first_wait: Duration,
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 6,
            first_wait: Duration::from_secs(6),
            max_wait: Duration::from_secs(120),
        }
    }
}

/// How requests reach the feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Proxy {
    /// The environment's proxy, if any (`ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`, in
    /// either case, with `NO_PROXY`).
    Environment,
    /// Straight to the server.
    Direct,
    /// This proxy (`http://host:port`).
    Url(String),
}

/// What to fetch and from where.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    pub feeds: Vec<Feed>,
    /// NVD CVE API 2.0 endpoint (or a mirror of it).
    pub nvd_url: String,
    /// Base of `{ecosystem}/all.zip` archives.
    pub osv_url: String,
    pub kev_url: String,
    /// OSV ecosystem names as OSV spells them (`Debian`, `Alpine`, `PyPI`, ...).
    pub osv_ecosystems: Vec<String>,
    /// Sent as the `apiKey` header to NVD.
    pub nvd_api_key: Option<String>,
    /// Records per NVD page (at most [`NVD_MAX_PAGE`]).
    pub nvd_page_size: u32,
    pub nvd_rate: RateLimit,
    pub retry: Retry,
    pub proxy: Proxy,
    /// The time the run counts as (the clock's when `None`).
    pub now: Option<Secs>,
}

impl Default for UpdateOptions {
    fn default() -> Self {
        UpdateOptions {
            feeds: vec![Feed::Nvd, Feed::Osv, Feed::Kev],
            nvd_url: NVD_URL.into(),
            osv_url: OSV_URL.into(),
            kev_url: KEV_URL.into(),
            osv_ecosystems: DEFAULT_OSV_ECOSYSTEMS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            nvd_api_key: None,
            nvd_page_size: NVD_MAX_PAGE,
            nvd_rate: RateLimit::nvd(false),
            retry: Retry::default(),
            proxy: Proxy::Environment,
            now: None,
        }
    }
}

impl UpdateOptions {
    /// Sets the NVD API key and the rate limit that goes with it.
    pub fn with_nvd_api_key(mut self, key: Option<String>) -> Self {
        self.nvd_rate = RateLimit::nvd(key.is_some());
        self.nvd_api_key = key;
        self
    }
}

/// Progress of an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// A feed starts: what it will fetch.
    Plan { source: &'a str, what: &'a str },
    /// One NVD page written: its records, records done so far, total announced.
    Page {
        source: &'a str,
        records: u64,
        done: u64,
        total: u64,
    },
    /// Waiting before the next request: the rate limit, or a retry after a failure.
    Waiting {
        source: &'a str,
        seconds: f64,
        reason: String,
    },
    /// The copy imported last is current (`304 Not Modified`).
    Unchanged { source: &'a str },
    /// An archive or catalogue was downloaded.
    Downloaded { source: &'a str, bytes: u64 },
}

/// Receives [`Event`]s; every method has an empty default.
pub trait Observer {
    fn event(&self, _e: &Event) {}
}

/// An observer that shows nothing.
pub struct Quiet;
impl Observer for Quiet {}

/// What an update did to one feed (`nvd`, `osv Debian`, `kev`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedReport {
    pub source: String,
    /// What it fetched: `full download`, `changes since ...`, `resumed ...`.
    pub plan: String,
    pub requests: u64,
    pub counts: Counts,
    /// Records that did not parse and were skipped, as `id: why` (at most 20 kept).
    pub skipped: Vec<String>,
    pub skipped_total: usize,
    /// Entries removed (KEV entries CISA withdrew).
    pub removed: u64,
    /// The copy imported last was current.
    pub unchanged: bool,
    /// Why the feed failed; what it wrote before that stays written.
    pub error: Option<String>,
}

impl FeedReport {
    fn new(source: &str) -> FeedReport {
        FeedReport {
            source: source.into(),
            plan: String::new(),
            requests: 0,
            counts: Counts::default(),
            skipped: Vec::new(),
            skipped_total: 0,
            removed: 0,
            unchanged: false,
            error: None,
        }
    }

    fn skip(&mut self, items: Vec<(String, String)>) {
        self.skipped_total += items.len();
        for (id, why) in items {
            if self.skipped.len() < 20 {
                self.skipped.push(format!("{id}: {why}"));
            }
        }
    }

    fn add(&mut self, c: Counts) {
        self.counts.added += c.added;
        self.counts.replaced += c.replaced;
        self.counts.unchanged += c.unchanged;
    }
}

/// What an update did, per feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateReport {
    pub feeds: Vec<FeedReport>,
}

impl UpdateReport {
    /// Every feed succeeded.
    pub fn ok(&self) -> bool {
        self.feeds.iter().all(|f| f.error.is_none())
    }
}

/// `db update`'s cursor for NVD (`update_state` key `nvd`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct NvdState {
    /// When the last complete run began: the next one asks for changes since then.
    #[serde(default)]
    last_success: Option<Secs>,
    /// A run that has not finished.
    #[serde(default)]
    run: Option<NvdRun>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct NvdRun {
    /// When the run began: what its data is current to once it completes.
    as_of: Secs,
    /// Changed-since windows `(start, end)`; none for a full download.
    windows: Vec<(Secs, Secs)>,
    /// Window being fetched.
    window: usize,
    /// `startIndex` of the next page to fetch.
    next: u64,
}

/// A conditional download's validators (`update_state` keys `osv:<ecosystem>`, `kev`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Validators {
    #[serde(default)]
    etag: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
}

/// One NVD API page: the paging fields and the records, not yet parsed.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<'a> {
    #[serde(default)]
    start_index: u64,
    total_results: u64,
    #[serde(borrow, default)]
    vulnerabilities: Vec<&'a RawValue>,
}

/// `update_state` key holding when a feed was last made current (RFC 3339).
pub(crate) fn refreshed_key(feed: &str) -> String {
    format!("refreshed:{feed}")
}

/// `(start, end)` windows of at most [`NVD_MAX_WINDOW_DAYS`] covering `from..=to`.
fn windows(from: Secs, to: Secs) -> Vec<(Secs, Secs)> {
    let span = NVD_MAX_WINDOW_DAYS * 86_400;
    let mut out = Vec::new();
    let mut start = from;
    loop {
        let end = start.saturating_add(span).min(to);
        out.push((start, end));
        if end >= to {
            return out;
        }
        start = end;
    }
}

impl Kb {
    /// Fetches the chosen feeds and writes what changed (see the module docs). A
    /// failing feed does not stop the others; its error is in the report. `Err` only
    /// when no request could be made at all (a malformed proxy URL).
    pub fn update(&self, opts: &UpdateOptions, obs: &dyn Observer) -> Result<UpdateReport> {
        let mut http = Http::new(opts.retry, &opts.proxy).map_err(|msg| crate::Error::Update {
            source_name: "proxy".into(),
            msg,
        })?;
        let now = opts.now.unwrap_or_else(time::now);
        let mut feeds = Vec::new();
        for feed in [Feed::Nvd, Feed::Osv, Feed::Kev] {
            if !opts.feeds.contains(&feed) {
                continue;
            }
            match feed {
                Feed::Nvd => feeds.push(self.update_nvd(opts, now, &mut http, obs)),
                Feed::Osv => feeds.extend(self.update_osv(opts, now, &mut http, obs)),
                Feed::Kev => feeds.push(self.update_kev(opts, now, &mut http, obs)),
            }
        }
        Ok(UpdateReport { feeds })
    }

    fn state<T: for<'de> Deserialize<'de> + Default>(&self, key: &str) -> Result<T> {
        let text = self.with_conn(async |c| store::get_state(c, key).await)?;
        // A state this version cannot read is started afresh, not an error.
        Ok(text
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default())
    }

    fn update_nvd(
        &self,
        opts: &UpdateOptions,
        now: Secs,
        http: &mut Http,
        obs: &dyn Observer,
    ) -> FeedReport {
        let mut report = FeedReport::new("nvd");
        let before = http.requests;
        if let Err(e) = self.nvd_run(opts, now, http, obs, &mut report) {
            report.error = Some(message(&e));
        }
        report.requests = http.requests - before;
        report
    }

    fn nvd_run(
        &self,
        opts: &UpdateOptions,
        now: Secs,
        http: &mut Http,
        obs: &dyn Observer,
        report: &mut FeedReport,
    ) -> Result<()> {
        let source = "nvd";
        let err = |msg: String| crate::Error::Update {
            source_name: source.into(),
            msg,
        };
        let mut state: NvdState = self.state("nvd")?;
        let mut run = match state.run.take() {
            Some(run) => {
                report.plan = format!(
                    "resuming the run of {} at record {}{}",
                    time::rfc3339(run.as_of),
                    run.next,
                    if run.windows.is_empty() {
                        " of the full download".to_string()
                    } else {
                        format!(" of window {} of {}", run.window + 1, run.windows.len())
                    }
                );
                run
            }
            None => {
                let windows = match state.last_success {
                    Some(last) => windows(last.min(now), now),
                    None => Vec::new(),
                };
                report.plan = match windows.first() {
                    None => "full download".into(),
                    Some((from, _)) => format!(
                        "changes since {} ({} window{})",
                        time::rfc3339(*from),
                        windows.len(),
                        if windows.len() == 1 { "" } else { "s" }
                    ),
                };
                NvdRun {
                    as_of: now,
                    windows,
                    window: 0,
                    next: 0,
                }
            }
        };
        obs.event(&Event::Plan {
            source,
            what: &report.plan,
        });
        let per_page = opts.nvd_page_size.clamp(1, NVD_MAX_PAGE);
        let mut limiter = Limiter::new(opts.nvd_rate);
        let key_header;
        let mut headers = Vec::new();
        if let Some(k) = &opts.nvd_api_key {
            key_header = k.clone();
            headers.push(("apiKey", key_header.as_str()));
        }
        let base = opts.nvd_url.trim_end_matches(['?', '&']);
        let sep = if base.contains('?') { '&' } else { '?' };
        loop {
            let window = run.windows.get(run.window).copied();
            if !run.windows.is_empty() && window.is_none() {
                // Every window done (a state this version never writes): end the run.
                let done = NvdState {
                    last_success: Some(run.as_of),
                    run: None,
                };
                let json = serde_json::to_string(&done).map_err(|e| err(e.to_string()))?;
                self.with_conn(async |c| store::set_state(c, "nvd", Some(&json)).await)?;
                break;
            }
            let mut pages = 0u64;
            loop {
                pages += 1;
                if pages > MAX_PAGES {
                    return Err(err(format!("more than {MAX_PAGES} pages in one window")));
                }
                let mut url = format!(
                    "{base}{sep}resultsPerPage={per_page}&startIndex={}",
                    run.next
                );
                if let Some((from, to)) = window {
                    url.push_str(&format!(
                        "&lastModStartDate={}&lastModEndDate={}",
                        time::nvd_param(from),
                        time::nvd_param(to)
                    ));
                }
                let req = Req {
                    url: &url,
                    source,
                    headers: headers.clone(),
                    limit: MAX_PAGE_BYTES,
                    body_timeout: Duration::from_secs(600),
                };
                let bytes = match http
                    .get_bytes(&req, Some(&mut limiter), obs)
                    .map_err(|e| err(e.to_string()))?
                {
                    Fetched::Body { body, .. } => body,
                    Fetched::NotModified => {
                        return Err(err(format!("{url}: 304 to an unconditional request")));
                    }
                };
                let page: Page = serde_json::from_slice(&bytes)
                    .map_err(|e| err(format!("{url}: not an NVD API 2.0 page: {e}")))?;
                if page.start_index != run.next {
                    return Err(err(format!(
                        "{url}: the page starts at {}, not {}",
                        page.start_index, run.next
                    )));
                }
                let mut recs = Vec::with_capacity(page.vulnerabilities.len());
                let mut skipped = Vec::new();
                for (i, item) in page.vulnerabilities.iter().enumerate() {
                    match crate::feed::nvd::parse_record(item, true) {
                        Ok(r) => recs.push(r),
                        Err((id, why)) => {
                            skipped.push((format!("{id} (record {})", run.next + i as u64), why))
                        }
                    }
                }
                let got = page.vulnerabilities.len() as u64;
                let next = run.next + got;
                let done = got == 0 || next >= page.total_results;
                if got == 0 && run.next < page.total_results {
                    return Err(err(format!(
                        "{url}: an empty page at {} of {}",
                        run.next, page.total_results
                    )));
                }
                // The page, the cursor past it and (on the last page) the end of the
                // run are written together.
                run.next = next;
                let mut after = NvdState {
                    last_success: state.last_success,
                    run: Some(run.clone()),
                };
                if done {
                    let last_window = run.window + 1 >= run.windows.len();
                    if last_window {
                        after = NvdState {
                            last_success: Some(run.as_of),
                            run: None,
                        };
                    } else if let Some(r) = after.run.as_mut() {
                        r.window += 1;
                        r.next = 0;
                    }
                }
                let json = serde_json::to_string(&after).map_err(|e| err(e.to_string()))?;
                let newest = recs.iter().map(|r| r.last_modified.clone()).max();
                let at = crate::now_rfc3339();
                let label = format!("{base} (db update)");
                let finished = after.run.is_none().then(|| time::rfc3339(run.as_of));
                let c = self.with_conn(async |conn| {
                    let mut tx = conn.begin().await?;
                    let c = store::put_cves_in(&mut tx, &recs).await?;
                    store::note_source(&mut tx, "nvd", &label, &at, newest.as_deref()).await?;
                    store::set_state(&mut tx, "nvd", Some(&json)).await?;
                    if let Some(t) = &finished {
                        store::set_state(&mut tx, &refreshed_key("nvd"), Some(t)).await?;
                    }
                    store::bump_generation(&mut tx).await?;
                    tx.commit().await?;
                    Ok(c)
                })?;
                report.add(c);
                report.skip(skipped);
                obs.event(&Event::Page {
                    source,
                    records: got,
                    done: next,
                    total: page.total_results,
                });
                state = after.clone();
                if let Some(r) = after.run {
                    run = r;
                }
                if done {
                    break;
                }
            }
            if run.windows.is_empty() || state.run.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// A temporary file next to the knowledge base for a download.
    fn download_path(&self, what: &str) -> PathBuf {
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "kb".into());
        let safe: String = what
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.path
            .with_file_name(format!(".{name}.{safe}.{}.part", std::process::id()))
    }

    fn update_osv(
        &self,
        opts: &UpdateOptions,
        now: Secs,
        http: &mut Http,
        obs: &dyn Observer,
    ) -> Vec<FeedReport> {
        let mut out = Vec::new();
        for eco in &opts.osv_ecosystems {
            let source = format!("osv {eco}");
            let mut report = FeedReport::new(&source);
            let before = http.requests;
            if let Err(e) = self.osv_one(opts, eco, &source, http, obs, &mut report) {
                report.error = Some(message(&e));
            }
            report.requests = http.requests - before;
            out.push(report);
        }
        if !out.is_empty() && out.iter().all(|r| r.error.is_none()) {
            let t = time::rfc3339(now);
            let _ = self
                .with_conn(async |c| store::set_state(c, &refreshed_key("osv"), Some(&t)).await);
        }
        out
    }

    fn osv_one(
        &self,
        opts: &UpdateOptions,
        eco: &str,
        source: &str,
        http: &mut Http,
        obs: &dyn Observer,
        report: &mut FeedReport,
    ) -> Result<()> {
        let err = |msg: String| crate::Error::Update {
            source_name: source.into(),
            msg,
        };
        if eco.is_empty() || eco.contains(['/', '?', '#']) || eco.starts_with('.') {
            return Err(err(format!("{eco:?} is not an OSV ecosystem name")));
        }
        let key = format!("osv:{eco}");
        let url = format!("{}/{eco}/all.zip", opts.osv_url.trim_end_matches('/'));
        report.plan = url.clone();
        obs.event(&Event::Plan {
            source,
            what: &report.plan,
        });
        let have: Validators = self.state(&key)?;
        let tmp = self.download_path(&key);
        let fetched = {
            let headers = conditional(&have);
            let req = Req {
                url: &url,
                source,
                headers: headers.iter().map(|(k, v)| (*k, v.as_str())).collect(),
                limit: MAX_ARCHIVE_BYTES,
                body_timeout: Duration::from_secs(3600),
            };
            http.get_file(&req, &tmp, obs)
        };
        let result = (|| -> Result<()> {
            match fetched.map_err(|e| err(e.to_string()))? {
                Fetched::NotModified => {
                    report.unchanged = true;
                    obs.event(&Event::Unchanged { source });
                    Ok(())
                }
                Fetched::Body {
                    body: bytes,
                    etag,
                    last_modified,
                } => {
                    obs.event(&Event::Downloaded { source, bytes });
                    let parsed = crate::import::parse_file(&tmp)?;
                    if parsed.format != "OSV zip dump" {
                        return Err(err(format!(
                            "{url}: not an OSV archive ({})",
                            parsed.format
                        )));
                    }
                    report.skip(parsed.skipped);
                    let json = serde_json::to_string(&Validators {
                        etag,
                        last_modified,
                    })
                    .map_err(|e| err(e.to_string()))?;
                    let newest = parsed.osv.iter().map(|r| r.modified.clone()).max();
                    let at = crate::now_rfc3339();
                    let label = format!("{url} (db update)");
                    let recs = parsed.osv;
                    let c = self.with_conn(async |conn| {
                        let mut tx = conn.begin().await?;
                        let c = store::put_osv_in(&mut tx, &recs).await?;
                        store::note_source(&mut tx, "osv", &label, &at, newest.as_deref()).await?;
                        store::set_state(&mut tx, &key, Some(&json)).await?;
                        store::bump_generation(&mut tx).await?;
                        tx.commit().await?;
                        Ok(c)
                    })?;
                    report.add(c);
                    Ok(())
                }
            }
        })();
        let _ = std::fs::remove_file(&tmp);
        result
    }

    fn update_kev(
        &self,
        opts: &UpdateOptions,
        now: Secs,
        http: &mut Http,
        obs: &dyn Observer,
    ) -> FeedReport {
        let source = "kev";
        let mut report = FeedReport::new(source);
        let before = http.requests;
        if let Err(e) = self.kev_run(opts, now, http, obs, &mut report) {
            report.error = Some(message(&e));
        }
        report.requests = http.requests - before;
        report
    }

    fn kev_run(
        &self,
        opts: &UpdateOptions,
        now: Secs,
        http: &mut Http,
        obs: &dyn Observer,
        report: &mut FeedReport,
    ) -> Result<()> {
        let source = "kev";
        let err = |msg: String| crate::Error::Update {
            source_name: source.into(),
            msg,
        };
        let url = opts.kev_url.clone();
        report.plan = url.clone();
        obs.event(&Event::Plan {
            source,
            what: &report.plan,
        });
        let have: Validators = self.state("kev")?;
        let headers = conditional(&have);
        let req = Req {
            url: &url,
            source,
            headers: headers.iter().map(|(k, v)| (*k, v.as_str())).collect(),
            limit: MAX_KEV_BYTES,
            body_timeout: Duration::from_secs(600),
        };
        let refreshed = time::rfc3339(now);
        match http
            .get_bytes(&req, None, obs)
            .map_err(|e| err(e.to_string()))?
        {
            Fetched::NotModified => {
                report.unchanged = true;
                obs.event(&Event::Unchanged { source });
                self.with_conn(async |c| {
                    store::set_state(c, &refreshed_key("kev"), Some(&refreshed)).await
                })?;
                Ok(())
            }
            Fetched::Body {
                body,
                etag,
                last_modified,
            } => {
                obs.event(&Event::Downloaded {
                    source,
                    bytes: body.len() as u64,
                });
                let parsed = crate::import::parse_bytes(Path::new(&url), &body)?;
                if parsed.kev.is_empty() && !parsed.format.starts_with("CISA KEV") {
                    return Err(err(format!(
                        "{url}: not the KEV catalogue ({})",
                        parsed.format
                    )));
                }
                report.skip(parsed.skipped);
                let json = serde_json::to_string(&Validators {
                    etag,
                    last_modified,
                })
                .map_err(|e| err(e.to_string()))?;
                let newest = parsed.kev.iter().map(|r| r.date_added.clone()).max();
                let at = crate::now_rfc3339();
                let label = format!("{url} (db update)");
                let rows = parsed.kev;
                let (c, removed) = self.with_conn(async |conn| {
                    let mut tx = conn.begin().await?;
                    let c = store::put_kev_in(&mut tx, &rows).await?;
                    let removed = store::kev_retain(&mut tx, &rows).await?;
                    store::note_source(&mut tx, "kev", &label, &at, newest.as_deref()).await?;
                    store::set_state(&mut tx, "kev", Some(&json)).await?;
                    store::set_state(&mut tx, &refreshed_key("kev"), Some(&refreshed)).await?;
                    store::bump_generation(&mut tx).await?;
                    tx.commit().await?;
                    Ok((c, removed))
                })?;
                report.add(c);
                report.removed = removed;
                Ok(())
            }
        }
    }
}

/// An error as a feed report says it (the report already names the feed).
fn message(e: &crate::Error) -> String {
    match e {
        crate::Error::Update { msg, .. } => msg.clone(),
        e => e.to_string(),
    }
}

/// `If-None-Match` / `If-Modified-Since` from the validators of the last import.
fn conditional(v: &Validators) -> Vec<(&'static str, String)> {
    let mut h = Vec::new();
    if let Some(e) = &v.etag {
        h.push(("If-None-Match", e.clone()));
    }
    if let Some(m) = &v.last_modified {
        h.push(("If-Modified-Since", m.clone()));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_range_in_spans_the_api_accepts() {
        let day = 86_400;
        assert_eq!(windows(0, 10 * day), vec![(0, 10 * day)]);
        assert_eq!(windows(0, 120 * day), vec![(0, 120 * day)]);
        assert_eq!(
            windows(0, 200 * day),
            vec![(0, 120 * day), (120 * day, 200 * day)]
        );
        assert_eq!(windows(5, 5), vec![(5, 5)]);
        let w = windows(0, 1000 * day);
        assert_eq!(w.len(), 9);
        assert!(w.iter().all(|(a, b)| b - a <= 120 * day));
        assert!(w.windows(2).all(|p| p[0].1 == p[1].0));
    }
}
