//! `db update` against a real HTTP server on 127.0.0.1 that answers in the feeds' real
//! shapes: NVD API 2.0 pages cut from the corpus page (`startIndex`, `resultsPerPage`,
//! `totalResults`, `lastModStartDate`/`lastModEndDate` filtering), rate-limit and 503
//! answers, a connection cut mid-page, OSV `all.zip` archives with validators, and the
//! KEV JSON catalogue.

mod common;

use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baseliner_model::Component;
use baseliner_vulns::time::{self, Secs};
use baseliner_vulns::update::{
    Event, Feed, Observer, Proxy, RateLimit, Retry, UpdateOptions, UpdateReport,
};
use baseliner_vulns::{Kb, SourceStatus};
use common::server::{Reply, Seen, Server};
use serde_json::{Value, json};

const PAGE: u32 = 10;

/// The corpus page's 36 records, each `{"cve": {...}}`.
fn corpus_records() -> Option<Vec<Value>> {
    let bytes = baseliner_testkit::corpus_bytes("vulndata/nvd-cve-api-2.0-page.json")?;
    let page: Value = serde_json::from_slice(&bytes).expect("corpus page parses");
    Some(page["vulnerabilities"].as_array().expect("array").clone())
}

/// An NVD API mirror: the records it holds, and answers to give instead of pages.
#[derive(Default)]
struct Nvd {
    records: Mutex<Vec<Value>>,
    /// Given in order before any page.
    faults: Mutex<VecDeque<Reply>>,
    /// `startIndex` whose page is always cut halfway.
    cut_at: Mutex<Option<u64>>,
}

impl Nvd {
    fn page(&self, seen: &Seen) -> Reply {
        if !seen.path.ends_with("/cves/2.0") {
            return Reply::status(404);
        }
        if let Some(r) = self.faults.lock().unwrap().pop_front() {
            return r;
        }
        let num = |k: &str| seen.param(k).and_then(|v| v.parse::<usize>().ok());
        let (Some(start), Some(per)) = (num("startIndex"), num("resultsPerPage")) else {
            return Reply::status(400);
        };
        let window = match (seen.param("lastModStartDate"), seen.param("lastModEndDate")) {
            (Some(a), Some(b)) => match (time::parse(a), time::parse(b)) {
                // The API refuses ranges over 120 days.
                (Some(a), Some(b)) if b - a <= 120 * 86_400 => Some((a, b)),
                _ => return Reply::status(400),
            },
            (None, None) => None,
            _ => return Reply::status(400),
        };
        let records = self.records.lock().unwrap();
        let chosen: Vec<&Value> = records
            .iter()
            .filter(|r| {
                let m = r["cve"]["lastModified"].as_str().and_then(time::parse);
                window.is_none_or(|(a, b)| m.is_some_and(|m| a <= m && m <= b))
            })
            .collect();
        let slice: Vec<&Value> = chosen.iter().skip(start).take(per).copied().collect();
        let body = serde_json::to_vec(&json!({
            "resultsPerPage": slice.len(), "startIndex": start, "totalResults": chosen.len(),
            "format": "NVD_CVE", "version": "2.0", "timestamp": "2026-01-10T00:00:00.000",
            "vulnerabilities": slice,
        }))
        .unwrap();
        if *self.cut_at.lock().unwrap() == Some(start as u64) {
            let sent = body.len() / 2;
            return Reply::Cut { body, sent };
        }
        Reply::json(body)
    }
}

fn nvd_server(records: Vec<Value>) -> (Server, Arc<Nvd>) {
    let nvd = Arc::new(Nvd::default());
    *nvd.records.lock().unwrap() = records;
    let n = nvd.clone();
    (Server::start(move |s| n.page(s)), nvd)
}

const T0: &str = "2026-11-20T00:00:00Z";

fn t0() -> Secs {
    time::parse(T0).unwrap()
}

fn opts(server: &Server, now: Secs) -> UpdateOptions {
    UpdateOptions {
        feeds: vec![Feed::Nvd],
        nvd_url: format!("{}/rest/json/cves/2.0", server.base),
        osv_url: format!("{}/osv", server.base),
        kev_url: format!("{}/kev.json", server.base),
        nvd_page_size: PAGE,
        nvd_rate: RateLimit {
            requests: 1000,
            per: Duration::from_secs(1),
        },
        retry: Retry {
            attempts: 3,
            first_wait: Duration::from_millis(20),
            max_wait: Duration::from_millis(100),
        },
        proxy: Proxy::Direct,
        now: Some(now),
        ..UpdateOptions::default()
    }
}

/// Collects events as text.
#[derive(Default)]
struct Log(Mutex<Vec<String>>);

impl Observer for Log {
    fn event(&self, e: &Event) {
        self.0.lock().unwrap().push(format!("{e:?}"));
    }
}

impl Log {
    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

fn status_of(kb: &Kb, kind: &str) -> Option<SourceStatus> {
    kb.status()
        .unwrap()
        .sources
        .into_iter()
        .find(|s| s.kind == kind)
}

fn nvd_count(kb: &Kb) -> u64 {
    status_of(kb, "nvd").map_or(0, |s| s.records)
}

fn one(report: &UpdateReport) -> &baseliner_vulns::update::FeedReport {
    assert_eq!(report.feeds.len(), 1, "{report:?}");
    &report.feeds[0]
}

fn comp(name: &str, version: &str) -> Component {
    Component {
        name: name.into(),
        version: version.into(),
        cpe: None,
        purl: None,
        evidence: vec![],
        properties: Default::default(),
    }
}

fn starts(seen: &[Seen]) -> Vec<u64> {
    seen.iter()
        .filter_map(|s| s.param("startIndex")?.parse().ok())
        .collect()
}

#[test]
fn full_download_then_only_the_changes_since_the_last_run() {
    let Some(records) = corpus_records() else {
        return;
    };
    let total = records.len() as u64;
    let (server, nvd) = nvd_server(records);
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();

    // First run: every page, no date window.
    let log = Log::default();
    let report = kb.update(&opts(&server, t0()), &log).unwrap();
    let f = one(&report);
    assert!(f.error.is_none(), "{f:?}");
    assert_eq!(f.plan, "full download");
    assert_eq!(f.counts.added, total);
    let seen = server.take();
    assert_eq!(starts(&seen), vec![0, 10, 20, 30]);
    assert!(seen.iter().all(|s| s.param("resultsPerPage") == Some("10")));
    assert!(seen.iter().all(|s| s.param("lastModStartDate").is_none()));
    assert_eq!(nvd_count(&kb), total);
    assert!(
        log.all()
            .iter()
            .any(|e| e.contains("Page") && e.contains("done: 36"))
    );
    let before = kb
        .match_components(&[comp("openssl", "1.0.1f")], None)
        .unwrap();
    let heartbleed = before.iter().find(|m| m.id == "CVE-2014-0160").unwrap();
    assert!(!heartbleed.summary.contains("REVISED"));

    // NVD changes one record and publishes a new one after the first run.
    {
        let mut recs = nvd.records.lock().unwrap();
        let r = recs
            .iter_mut()
            .find(|r| r["cve"]["id"] == "CVE-2014-0160")
            .unwrap();
        r["cve"]["lastModified"] = json!("2026-11-21T08:00:00.000");
        r["cve"]["descriptions"][0]["value"] = json!("REVISED description of Heartbleed");
        let mut new = recs[0].clone();
        new["cve"]["id"] = json!("CVE-2026-0001");
        new["cve"]["lastModified"] = json!("2026-11-22T09:30:00.000");
        recs.push(new);
    }
    let t1 = t0() + 5 * 86_400;
    let report = kb.update(&opts(&server, t1), &Log::default()).unwrap();
    let f = one(&report);
    assert!(f.error.is_none(), "{f:?}");
    assert_eq!(f.plan, format!("changes since {T0} (1 window)"));
    assert_eq!((f.counts.added, f.counts.replaced), (1, 1), "{f:?}");
    let seen = server.take();
    assert_eq!(seen.len(), 1, "{seen:?}");
    // The window starts where the first run began and ends now, with the offset
    // written out as the API documents it.
    assert_eq!(
        seen[0].param("lastModStartDate"),
        Some("2026-11-20T00:00:00.000+00:00")
    );
    assert_eq!(
        seen[0].param("lastModEndDate"),
        Some("2026-11-25T00:00:00.000+00:00")
    );
    assert_eq!(nvd_count(&kb), total + 1);
    let after = kb
        .match_components(&[comp("openssl", "1.0.1f")], None)
        .unwrap();
    let heartbleed = after.iter().find(|m| m.id == "CVE-2014-0160").unwrap();
    assert!(heartbleed.summary.starts_with("REVISED"), "{heartbleed:?}");

    // 200 days later: two windows, neither longer than the API's 120 days.
    let t2 = t1 + 200 * 86_400;
    let report = kb.update(&opts(&server, t2), &Log::default()).unwrap();
    let f = one(&report);
    assert!(f.error.is_none(), "{f:?}");
    assert_eq!(
        f.plan,
        format!("changes since {} (2 windows)", time::rfc3339(t1))
    );
    let seen = server.take();
    let w: Vec<(Secs, Secs)> = seen
        .iter()
        .map(|s| {
            (
                time::parse(s.param("lastModStartDate").unwrap()).unwrap(),
                time::parse(s.param("lastModEndDate").unwrap()).unwrap(),
            )
        })
        .collect();
    assert_eq!(w, vec![(t1, t1 + 120 * 86_400), (t1 + 120 * 86_400, t2)]);
    assert_eq!(f.counts, Default::default(), "nothing changed: {f:?}");
}

#[test]
fn rate_limit_and_server_errors_are_waited_out() {
    let Some(records) = corpus_records() else {
        return;
    };
    let (server, nvd) = nvd_server(records);
    nvd.faults.lock().unwrap().extend([
        // NVD answers a rate-limited client with 403; others use 429 + Retry-After.
        Reply::status(403),
        Reply::status(429).with_header("Retry-After", "0"),
        Reply::status(503),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    let log = Log::default();
    let mut o = opts(&server, t0());
    o.retry.attempts = 4;
    let report = kb.update(&o, &log).unwrap();
    let f = one(&report);
    assert!(f.error.is_none(), "{f:?}");
    assert_eq!(nvd_count(&kb), 36);
    // Three failed tries of the first page, then 4 pages.
    assert_eq!(f.requests, 7);
    let waits: Vec<String> = log
        .all()
        .into_iter()
        .filter(|e| e.starts_with("Waiting"))
        .collect();
    assert_eq!(waits.len(), 3, "{waits:?}");
    assert!(waits[0].contains("HTTP 403 (attempt 1 of 4)"), "{waits:?}");
    assert!(waits[1].contains("HTTP 429 (attempt 2 of 4)"), "{waits:?}");
    // Retry-After: 0 is honoured instead of the doubling wait.
    assert!(waits[1].contains("seconds: 0.0"), "{waits:?}");
    assert!(waits[2].contains("HTTP 503 (attempt 3 of 4)"), "{waits:?}");

    // A server that keeps failing: the update reports it and writes nothing.
    let (server, nvd) = nvd_server(corpus_records().unwrap());
    nvd.faults
        .lock()
        .unwrap()
        .extend((0..10).map(|_| Reply::status(503)));
    let kb2 = Kb::open(&tmp.path().join("kb2.sqlite")).unwrap();
    let report = kb2.update(&opts(&server, t0()), &Log::default()).unwrap();
    let f = one(&report);
    let e = f.error.as_deref().unwrap();
    assert!(e.contains("gave up after 3 attempts: HTTP 503"), "{e}");
    assert!(!report.ok());
    assert_eq!(nvd_count(&kb2), 0);
}

#[test]
fn requests_keep_within_the_rate_limit_and_send_the_api_key() {
    let Some(records) = corpus_records() else {
        return;
    };
    let (server, _nvd) = nvd_server(records);
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    let log = Log::default();
    let mut o = opts(&server, t0()).with_nvd_api_key(Some("test-key-123".into()));
    // The key's own limit (50 in 30 s) applies; make it small enough to see here.
    assert_eq!(o.nvd_rate, RateLimit::nvd(true));
    o.nvd_rate = RateLimit {
        requests: 2,
        per: Duration::from_millis(400),
    };
    let started = Instant::now();
    let report = kb.update(&o, &log).unwrap();
    assert!(report.ok(), "{report:?}");
    let seen = server.take();
    assert_eq!(seen.len(), 4);
    assert!(
        seen.iter()
            .all(|s| s.header("apiKey") == Some("test-key-123"))
    );
    // No three requests within one 400 ms window.
    for w in seen.windows(3) {
        let gap = w[2].at.duration_since(w[0].at);
        assert!(gap >= Duration::from_millis(380), "{gap:?}");
    }
    assert!(started.elapsed() >= Duration::from_millis(380));
    assert!(
        log.all()
            .iter()
            .any(|e| e.starts_with("Waiting") && e.contains("rate limit: 2 requests per 0.4 s")),
        "{:?}",
        log.all()
    );
    assert_eq!(RateLimit::nvd(false).requests, 5);
    assert_eq!(RateLimit::nvd(false).per, Duration::from_secs(30));
}

#[test]
fn a_cut_connection_is_retried_and_an_interrupted_run_resumes_without_duplicates() {
    let Some(records) = corpus_records() else {
        return;
    };
    // Cut once, then whole: the run retries and completes.
    let (server, nvd) = nvd_server(records.clone());
    let body = serde_json::to_vec(&json!({"resultsPerPage": 10, "startIndex": 0,
        "totalResults": 36, "vulnerabilities": records[..10]}))
    .unwrap();
    let sent = body.len() / 3;
    nvd.faults
        .lock()
        .unwrap()
        .push_back(Reply::Cut { body, sent });
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    let log = Log::default();
    let report = kb.update(&opts(&server, t0()), &log).unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(nvd_count(&kb), 36);
    assert!(
        log.all()
            .iter()
            .any(|e| e.starts_with("Waiting") && e.contains("reading the body")),
        "{:?}",
        log.all()
    );

    // The page at 20 is cut every time: the run stops there, with pages 0 and 10
    // written whole and nothing of the cut page.
    let (server, nvd) = nvd_server(records);
    *nvd.cut_at.lock().unwrap() = Some(20);
    let kb = Kb::open(&tmp.path().join("kb2.sqlite")).unwrap();
    let report = kb.update(&opts(&server, t0()), &Log::default()).unwrap();
    let f = one(&report);
    assert!(
        f.error
            .as_deref()
            .unwrap()
            .contains("gave up after 3 attempts"),
        "{f:?}"
    );
    assert_eq!(f.counts.added, 20);
    assert_eq!(nvd_count(&kb), 20);
    assert_eq!(starts(&server.take()), vec![0, 10, 20, 20, 20]);

    // The next run (the mirror healthy again) resumes at record 20, not 0.
    *nvd.cut_at.lock().unwrap() = None;
    let later = t0() + 3600;
    let report = kb.update(&opts(&server, later), &Log::default()).unwrap();
    let f = one(&report);
    assert!(f.error.is_none(), "{f:?}");
    assert!(
        f.plan
            .starts_with("resuming the run of 2026-11-20T00:00:00Z at record 20"),
        "{}",
        f.plan
    );
    assert_eq!(starts(&server.take()), vec![20, 30]);
    assert_eq!((f.counts.added, f.counts.replaced), (16, 0));
    assert_eq!(nvd_count(&kb), 36);
    // The completed run counts from when it began: the next asks for changes since.
    let report = kb
        .update(&opts(&server, later + 60), &Log::default())
        .unwrap();
    assert_eq!(one(&report).plan, format!("changes since {T0} (1 window)"));
}

/// An OSV `all.zip` with the given advisories.
fn osv_zip(records: &[Value]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let o = zip::write::SimpleFileOptions::default();
        for r in records {
            z.start_file(format!("{}.json", r["id"].as_str().unwrap()), o)
                .unwrap();
            std::io::Write::write_all(&mut z, r.to_string().as_bytes()).unwrap();
        }
        z.finish().unwrap();
    }
    buf.into_inner()
}

fn debian_advisory(modified: &str, fixed: &str) -> Value {
    json!({"schema_version": "1.6.0", "id": "DEBIAN-CVE-2022-48174", "modified": modified,
        "aliases": ["CVE-2022-48174"], "summary": "ash stack overflow",
        "affected": [{"package": {"ecosystem": "Debian:12", "name": "busybox",
            "purl": "pkg:deb/debian/busybox"},
          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]})
}

/// Archives by ecosystem, with an ETag each.
type Archives = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

fn osv_server(archives: Archives) -> Server {
    Server::start(move |seen| {
        let list = archives.lock().unwrap();
        let Some((_, etag, body)) = list
            .iter()
            .find(|(eco, ..)| seen.path == format!("/osv/{eco}/all.zip"))
        else {
            return Reply::status(404);
        };
        if seen.header("If-None-Match") == Some(etag.as_str()) {
            return Reply::status(304);
        }
        Reply::Full {
            status: 200,
            headers: vec![
                ("ETag".into(), etag.clone()),
                (
                    "Last-Modified".into(),
                    "Sat, 10 Jan 2026 00:00:00 GMT".into(),
                ),
            ],
            body: body.clone(),
        }
    })
}

#[test]
fn osv_archives_are_fetched_again_only_when_they_change() {
    let alpine = json!({"id": "ALPINE-CVE-2023-0001", "modified": "2025-01-01T00:00:00Z",
        "aliases": ["CVE-2023-0001"], "summary": "musl bug",
        "affected": [{"package": {"ecosystem": "Alpine:v3.18", "name": "musl"},
          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2.4-r1"}]}]}]});
    let archives: Archives = Arc::new(Mutex::new(vec![
        (
            "Debian".into(),
            "\"v1\"".into(),
            osv_zip(&[debian_advisory("2025-01-01T00:00:00Z", "1:1.35.0-4+b4")]),
        ),
        ("Alpine".into(), "\"a1\"".into(), osv_zip(&[alpine])),
    ]));
    let server = osv_server(archives.clone());
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    let mut o = opts(&server, t0());
    o.feeds = vec![Feed::Osv];
    assert_eq!(o.osv_ecosystems, vec!["Debian", "Alpine"]);

    let report = kb.update(&o, &Log::default()).unwrap();
    assert!(report.ok(), "{report:?}");
    let names: Vec<&str> = report.feeds.iter().map(|f| f.source.as_str()).collect();
    assert_eq!(names, vec!["osv Debian", "osv Alpine"]);
    assert!(
        report
            .feeds
            .iter()
            .all(|f| f.counts.added == 1 && !f.unchanged)
    );
    assert_eq!(status_of(&kb, "osv").unwrap().records, 2);
    let seen = server.take();
    assert!(seen.iter().all(|s| s.header("If-None-Match").is_none()));
    let mut bb = comp("busybox", "1:1.35.0-4");
    bb.purl = Some("pkg:deb/busybox@1%3A1.35.0-4".into());
    let m = kb.match_components(&[bb.clone()], None).unwrap();
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].id, "CVE-2022-48174");
    // No download left behind.
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Unchanged archives: conditional requests, 304, nothing imported.
    let report = kb.update(&o, &Log::default()).unwrap();
    assert!(report.ok(), "{report:?}");
    assert!(report.feeds.iter().all(|f| f.unchanged), "{report:?}");
    let seen = server.take();
    assert_eq!(seen[0].header("If-None-Match"), Some("\"v1\""));
    assert_eq!(
        seen[0].header("If-Modified-Since"),
        Some("Sat, 10 Jan 2026 00:00:00 GMT")
    );
    assert_eq!(seen[1].header("If-None-Match"), Some("\"a1\""));

    // Debian's archive changes (a later fix): fetched and the advisory replaced.
    archives.lock().unwrap()[0] = (
        "Debian".into(),
        "\"v2\"".into(),
        osv_zip(&[debian_advisory("2025-06-01T00:00:00Z", "1:1.35.0-3")]),
    );
    let report = kb.update(&o, &Log::default()).unwrap();
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.feeds[0].counts.replaced, 1, "{report:?}");
    assert!(report.feeds[1].unchanged);
    assert!(kb.match_components(&[bb], None).unwrap().is_empty());

    // An ecosystem the mirror lacks fails alone.
    o.osv_ecosystems = vec!["Debian".into(), "Nope".into()];
    let report = kb.update(&o, &Log::default()).unwrap();
    assert!(report.feeds[0].error.is_none());
    assert!(
        report.feeds[1]
            .error
            .as_deref()
            .unwrap()
            .contains("HTTP 404"),
        "{report:?}"
    );
}

fn kev_json(ids: &[&str]) -> Vec<u8> {
    let vulns: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({"cveID": id, "vendorProject": "v", "product": "p",
            "vulnerabilityName": format!("{id} name"), "dateAdded": "2025-12-01",
            "shortDescription": "d", "requiredAction": "a", "dueDate": "2025-12-22",
            "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []})
        })
        .collect();
    serde_json::to_vec(
        &json!({"title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2026.01.09", "dateReleased": "2026-01-09T17:00:00.000Z",
        "count": vulns.len(), "vulnerabilities": vulns}),
    )
    .unwrap()
}

#[test]
fn kev_catalogue_is_imported_refreshed_and_withdrawn_entries_dropped() {
    let catalogue = Arc::new(Mutex::new((
        "\"k1\"".to_string(),
        kev_json(&["CVE-2014-0160", "CVE-2017-17215"]),
    )));
    let c = catalogue.clone();
    let server = Server::start(move |seen| {
        let (etag, body) = c.lock().unwrap().clone();
        if seen.path != "/kev.json" {
            return Reply::status(404);
        }
        if seen.header("If-None-Match") == Some(etag.as_str()) {
            return Reply::status(304);
        }
        Reply::json(body).with_header("ETag", &etag)
    });
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    let mut o = opts(&server, t0());
    o.feeds = vec![Feed::Kev];
    let report = kb.update(&o, &Log::default()).unwrap();
    let f = one(&report);
    assert!(f.error.is_none(), "{f:?}");
    assert_eq!(f.counts.added, 2);
    assert_eq!(status_of(&kb, "kev").unwrap().records, 2);

    let report = kb.update(&o, &Log::default()).unwrap();
    assert!(one(&report).unchanged);

    *catalogue.lock().unwrap() = ("\"k2\"".into(), kev_json(&["CVE-2014-0160"]));
    let report = kb.update(&o, &Log::default()).unwrap();
    let f = one(&report);
    assert_eq!((f.counts.unchanged, f.removed), (1, 1), "{f:?}");
    assert_eq!(status_of(&kb, "kev").unwrap().records, 1);

    // A mirror answering something else is refused, the catalogue kept.
    *catalogue.lock().unwrap() = ("\"k3\"".into(), b"{\"hello\": 1}".to_vec());
    let report = kb.update(&o, &Log::default()).unwrap();
    assert!(one(&report).error.is_some(), "{report:?}");
    assert_eq!(status_of(&kb, "kev").unwrap().records, 1);
}

#[test]
fn an_http_proxy_is_used_when_given() {
    let catalogue = kev_json(&["CVE-2014-0160"]);
    let proxy = Server::start(move |seen| {
        if seen.path == "/kev.json" {
            Reply::json(catalogue.clone())
        } else {
            Reply::status(404)
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    let mut o = opts(&proxy, t0());
    o.feeds = vec![Feed::Kev];
    // A name that does not resolve: only the proxy can reach it.
    o.kev_url = "http://kev.mirror.invalid/kev.json".into();
    o.proxy = Proxy::Url(format!("http://127.0.0.1:{}", proxy.port));
    let report = kb.update(&o, &Log::default()).unwrap();
    assert!(report.ok(), "{report:?}");
    let seen = proxy.take();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].via_proxy.as_deref(), Some("kev.mirror.invalid:80"));
    assert_eq!(status_of(&kb, "kev").unwrap().records, 1);
}

#[test]
fn a_mirror_answering_garbage_fails_cleanly() {
    let server = Server::start(|seen| {
        if seen.param("startIndex") == Some("0") {
            Reply::json(b"{\"not\": \"a page\"}".to_vec())
        } else {
            Reply::status(404)
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(Path::new(&tmp.path().join("kb.sqlite"))).unwrap();
    let report = kb.update(&opts(&server, t0()), &Log::default()).unwrap();
    let e = one(&report).error.clone().unwrap();
    assert!(e.contains("not an NVD API 2.0 page"), "{e}");
    // A page that does not start where asked.
    let server = Server::start(|_| {
        Reply::json(
            serde_json::to_vec(&json!({"startIndex": 5, "totalResults": 9,
                "resultsPerPage": 0, "vulnerabilities": []}))
            .unwrap(),
        )
    });
    let report = kb.update(&opts(&server, t0()), &Log::default()).unwrap();
    let e = one(&report).error.clone().unwrap();
    assert!(e.contains("the page starts at 5, not 0"), "{e}");
}
