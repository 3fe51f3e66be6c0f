//! `baseliner bulk` end to end through the binary: a run killed with SIGKILL and
//! resumed gives the same database as an uninterrupted one; two shard processes against
//! one database (SQLite here, PostgreSQL where `BASELINER_TEST_PG` names a server) assess
//! every image exactly once; the corpus report renders in headless Chromium; the
//! Kubernetes Indexed Job example validates against the Kubernetes schema.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use baseliner_bulk::Store;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_baseliner"))
}

/// A manifest of the corpus firmware plus the bundled sample, with product metadata
/// (release years spread so the report has a trend), or `None` without the corpus.
fn manifest(dir: &Path) -> Option<(PathBuf, usize)> {
    let fw = baseliner_testkit::corpus_file("firmware")?;
    let mut names: Vec<PathBuf> = std::fs::read_dir(&fw)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/router-fw.bin"));
    let mut text = String::from("# path\tvendor\tmodel\tversion\trelease date\n");
    for (i, p) in names.iter().enumerate() {
        text.push_str(&format!(
            "{}\tVendor{}\tModel{i}\t1.{i}\t{}-06-01\n",
            p.display(),
            i % 3,
            2014 + i % 6
        ));
    }
    let m = dir.join("corpus.tsv");
    std::fs::write(&m, text).unwrap();
    Some((m, names.len()))
}

fn bulk(args: &[&str], db: &str, scratch: &Path) -> Command {
    let mut c = Command::new(bin());
    c.arg("bulk")
        .args(args)
        .args(["--db", db, "--out"])
        .arg(scratch)
        // No knowledge base: the test is about the run, not the matches.
        .args(["--kb", "/nonexistent/kb.sqlite"]);
    c
}

/// Every stored image: key, outcome and counts (what a resumed run must reproduce).
fn dump(db: &str) -> Vec<Vec<Option<String>>> {
    Store::open(db)
        .unwrap()
        .rows(
            "SELECT key, path, vendor, release_date, outcome, mandatory_fail, findings, components
             FROM bulk_assessment ORDER BY key",
        )
        .unwrap()
}

#[test]
fn a_killed_run_resumes_to_the_same_database() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((m, n)) = manifest(tmp.path()) else {
        return;
    };
    let scratch = tmp.path().join("scratch");
    // Uninterrupted.
    let full = tmp.path().join("full.sqlite").display().to_string();
    let o = bulk(&[m.to_str().unwrap()], &full, &scratch)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(dump(&full).len(), n);

    // Killed with SIGKILL after the third image is stored, then resumed.
    let part = tmp.path().join("part.sqlite").display().to_string();
    let mut child = bulk(&[m.to_str().unwrap()], &part, &scratch)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = BufReader::new(child.stdout.take().unwrap());
    let mut done = 0;
    for line in out.lines() {
        if line.unwrap().contains("\"event\":\"done\"") {
            done += 1;
            if done == 3 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let stored = dump(&part).len();
    assert!((3..n).contains(&stored), "{stored} stored before the kill");
    let o = bulk(&[m.to_str().unwrap()], &part, &scratch)
        .output()
        .unwrap();
    assert!(o.status.success());
    let summary = String::from_utf8_lossy(&o.stdout);
    assert!(
        summary.contains(&format!("\"skipped\":{stored}")),
        "{summary}"
    );
    assert_eq!(dump(&part), dump(&full));
    // With the content cache, twice (filling it, then served by it): the same database.
    let cache = tmp.path().join("cache");
    for pass in ["fill", "hit"] {
        let db = tmp
            .path()
            .join(format!("cached-{pass}.sqlite"))
            .display()
            .to_string();
        let o = bulk(
            &[m.to_str().unwrap(), "--cache", cache.to_str().unwrap()],
            &db,
            &scratch,
        )
        .output()
        .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(dump(&db), dump(&full), "cache pass {pass}");
    }
    // Trees are removed after each image: the scratch folder does not grow with the corpus.
    let left = std::fs::read_dir(&scratch).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "scratch trees left behind");

    // The report over the database renders, and in a real browser.
    let rep = tmp.path().join("report");
    let o = Command::new(bin())
        .args(["bulk", "report", "--db", &full, "--out"])
        .arg(&rep)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(rep.join("stats.json")).unwrap()).unwrap();
    assert_eq!(stats["images"], n as u64);
    assert!(stats["years"].as_array().unwrap().len() >= 5);
    let html = std::fs::read_to_string(rep.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("5.1-1"));
    for external in ["<script", "<link", " src=", "@import"] {
        assert!(!html.contains(external), "report refers to {external}");
    }
    for chart in ["provisions", "components", "hardening", "trend"] {
        let png = std::fs::read(rep.join(format!("{chart}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{chart}.png");
    }
    chromium_screenshot(&rep.join("report.html"), tmp.path());
}

fn chromium_screenshot(html: &Path, tmp: &Path) {
    let Some(chromium) = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| baseliner_testkit::find_on_path(c).is_some())
    else {
        baseliner_testkit::skip::<()>("no chromium on PATH (apt-get install chromium)");
        return;
    };
    let png = tmp.join("shot.png");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", tmp.join("chrome").display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1200,2400")
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let bytes = std::fs::read(&png)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // Charts and tables: far from a blank or error page.
    assert!(
        bytes.len() > 60_000,
        "screenshot only {} bytes",
        bytes.len()
    );
}

/// Two shard processes at once against one database: every image exactly once.
fn two_shards(db: &str, manifest: &Path, n: usize, scratch: &Path) {
    let m = manifest.to_str().unwrap();
    let a = bulk(&[m, "--shard", "0/2"], db, &scratch.join("a"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let b = bulk(&[m, "--shard", "1/2"], db, &scratch.join("b"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    for mut c in [a, b] {
        assert!(c.wait().unwrap().success());
    }
    let rows = dump(db);
    assert_eq!(rows.len(), n, "every image once");
    let paths: std::collections::BTreeSet<_> = rows.iter().map(|r| r[1].clone()).collect();
    assert_eq!(paths.len(), n, "no image twice");
    let workers = Store::open(db)
        .unwrap()
        .rows("SELECT DISTINCT worker FROM bulk_assessment")
        .unwrap();
    assert_eq!(workers.len(), 2, "both shards did work: {workers:?}");
}

#[test]
fn two_shards_share_one_sqlite_file() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((m, n)) = manifest(tmp.path()) else {
        return;
    };
    let db = tmp.path().join("shards.sqlite").display().to_string();
    two_shards(&db, &m, n, &tmp.path().join("s"));
}

#[test]
fn two_shards_share_one_postgresql() {
    let Some(base) = std::env::var("BASELINER_TEST_PG")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        baseliner_testkit::skip::<()>(
            "BASELINER_TEST_PG is not set (a postgres:// URL of a server the test may create databases on; .ci/run starts one)",
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let Some((m, n)) = manifest(tmp.path()) else {
        return;
    };
    // A fresh database for this test on that server.
    let name = format!("bulk_shards_{}", std::process::id());
    let psql = |sql: &str| {
        let o = Command::new("psql")
            .arg(&base)
            .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
            .output()
            .expect("psql (postgresql-client) is needed beside the server");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    psql(&format!("DROP DATABASE IF EXISTS {name}"));
    psql(&format!("CREATE DATABASE {name}"));
    let (prefix, _) = base.rsplit_once('/').expect("a URL ending in /DATABASE");
    let db = format!("{prefix}/{name}");
    two_shards(&db, &m, n, &tmp.path().join("s"));
    psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}

/// The Kubernetes Indexed Job example is valid against the Kubernetes schema
/// (`kubernetes-validate` from PyPI, which `.ci/run` installs).
#[test]
fn kubernetes_indexed_job_example_validates() {
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/kubernetes/bulk-indexed-job.yaml");
    let text = std::fs::read_to_string(&example).unwrap();
    assert!(text.contains("completionMode: Indexed"));
    assert!(text.contains("--shard") && text.contains("JOB_COMPLETION_INDEX"));
    let Some(tool) =
        baseliner_testkit::tool("kubernetes-validate", "pip install kubernetes-validate")
    else {
        return;
    };
    let o = Command::new(tool)
        .args(["--strict", "-k", "1.30.0"])
        .arg(&example)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
