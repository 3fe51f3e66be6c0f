//! `db update`, `db export`, `db import` of a snapshot, `db status` and the staleness
//! gate of `assess`, end to end through the binary. `db update` fetches from a real
//! HTTP server on 127.0.0.1 serving the corpus NVD page and a KEV catalogue.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use assert_cmd::Command;
use baseliner_testkit::corpus_file;

fn bin() -> Command {
    Command::cargo_bin("baseliner").unwrap()
}

/// Serves `/nvd` (one API 2.0 page with every record) and `/kev.json` until dropped.
fn mirror(nvd_page: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let kev = serde_json::to_vec(&serde_json::json!({
        "title": "CISA Catalog of Known Exploited Vulnerabilities",
        "catalogVersion": "2026.12.01", "dateReleased": "2026-12-01T17:00:00.000Z", "count": 1,
        "vulnerabilities": [{"cveID": "CVE-2017-17215", "vendorProject": "Huawei",
            "product": "HG532", "vulnerabilityName": "Huawei HG532 RCE",
            "dateAdded": "2022-03-15", "knownRansomwareCampaignUse": "Unknown"}]}))
    .unwrap();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut first = String::new();
            let _ = r.read_line(&mut first);
            loop {
                let mut l = String::new();
                if r.read_line(&mut l).unwrap_or(0) == 0 || l.trim().is_empty() {
                    break;
                }
            }
            let path = first.split_whitespace().nth(1).unwrap_or("");
            let body: &[u8] = if path.starts_with("/nvd?") && path.contains("startIndex=0") {
                &nvd_page
            } else if path == "/kev.json" {
                &kev
            } else {
                b"not found"
            };
            let status = if body == b"not found" { 404 } else { 200 };
            let mut w = s;
            let _ = write!(
                w,
                "HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            let _ = w.write_all(body);
        }
    });
    base
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn status_json(db: &Path) -> serde_json::Value {
    let (code, out, err) = run(bin().args(["db", "status", "--json", "--db"]).arg(db));
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn assess(db: &Path, out: &Path, extra: &[&str]) -> (i32, String, String) {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples/router-fw.bin");
    run(bin()
        .arg("assess")
        .arg(sample)
        .arg("--db")
        .arg(db)
        .arg("--out")
        .arg(out)
        .args(extra))
}

#[test]
fn update_from_a_mirror_then_snapshot_to_another_machine() {
    let Some(page) = corpus_file("vulndata/nvd-cve-api-2.0-page.json") else {
        return;
    };
    let base = mirror(std::fs::read(page).unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("a/kb.sqlite");

    let (code, out, err) = run(bin()
        .args(["db", "update", "--source", "nvd", "--source", "kev", "--db"])
        .arg(&db)
        .args(["--nvd-url", &format!("{base}/nvd")])
        .args(["--kev-url", &format!("{base}/kev.json")])
        .env_remove("NVD_API_KEY"));
    assert_eq!(code, 0, "{out}\n{err}");
    // Not a terminal: one summary line.
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with("db update: nvd 36 added, 0 replaced, 0 unchanged; kev 1 added"),
        "{out}"
    );
    let st = status_json(&db);
    assert_eq!(st["freshness"][0]["kind"], "nvd");
    assert_eq!(st["freshness"][0]["basis"], "update");
    assert_eq!(st["age_days"], 0);

    // Freshly updated: no warning, and the staleness gate passes.
    let (code, out, err) = assess(&db, &tmp.path().join("r1"), &["--fail-on", "stale"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("note: knowledge base is 0 days old (nvd as of"),
        "{out}"
    );
    assert!(!out.contains("WARNING"), "{out}");

    // Export, signed; import elsewhere with the public key.
    let keys = tmp.path().join("k");
    let (code, _, err) = run(bin().args(["keys", "new", "--out"]).arg(&keys));
    assert_eq!(code, 0, "{err}");
    let snap = tmp.path().join("kb.snapshot");
    let (code, out, err) = run(bin()
        .args(["db", "export"])
        .arg(&snap)
        .arg("--db")
        .arg(&db)
        .arg("--key")
        .arg(keys.with_extension("key")));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("signed by"), "{out}");
    let id = status_json(&db)["snapshot"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let fleet = tmp.path().join("b/kb.sqlite");
    let (code, out, err) = run(bin()
        .args(["db", "import"])
        .arg(&snap)
        .arg("--db")
        .arg(&fleet)
        .arg("--key")
        .arg(keys.with_extension("pub")));
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains(&format!("snapshot {id}")) && out.contains("signature verified"),
        "{out}"
    );
    let st = status_json(&fleet);
    assert_eq!(st["snapshot"]["id"], id);
    assert_eq!(st["sources"], status_json(&db)["sources"]);
    // The assessment records the snapshot it used.
    let (code, _, err) = assess(&fleet, &tmp.path().join("r2"), &[]);
    assert_eq!(code, 0, "{err}");
    let a: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("r2/assessment.json")).unwrap())
            .unwrap();
    let v = a["tool"]["kb_version"].as_str().unwrap();
    assert!(v.contains(&format!("snapshot:{id}")), "{v}");

    // A tampered snapshot is refused and the knowledge base left as it was.
    let mut bytes = std::fs::read(&snap).unwrap();
    let n = bytes.len();
    bytes[n - 40] ^= 0x01;
    let bad = tmp.path().join("bad.snapshot");
    std::fs::write(&bad, bytes).unwrap();
    let (code, _, err) = run(bin()
        .args(["db", "import"])
        .arg(&bad)
        .arg("--db")
        .arg(&fleet));
    assert_eq!(code, 1);
    assert!(err.contains("bad.snapshot"), "{err}");
    assert_eq!(status_json(&fleet)["snapshot"]["id"], id);
}

#[test]
fn assess_warns_on_a_stale_knowledge_base_and_can_fail_on_it() {
    let Some(page) = corpus_file("vulndata/nvd-cve-api-2.0-page.json") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("kb.sqlite");
    // A hand import is as current as its newest record: months old here.
    let (code, _, err) = run(bin().args(["db", "import", "--db"]).arg(&db).arg(page));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = assess(&db, &tmp.path().join("r1"), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("note: WARNING: knowledge base is ") && out.contains("by newest record"),
        "{out}"
    );
    assert!(
        out.contains("past 7 days: run `baseliner db update`"),
        "{out}"
    );
    let (code, out, _) = assess(&db, &tmp.path().join("r2"), &["--fail-on", "stale"]);
    assert_eq!(code, 1, "{out}");
    // A larger threshold accepts it.
    let (code, out, _) = assess(
        &db,
        &tmp.path().join("r3"),
        &["--fail-on", "stale", "--stale-after", "100000"],
    );
    assert_eq!(code, 0, "{out}");
    // No knowledge base at all also fails the gate.
    let (code, out, _) = assess(
        &tmp.path().join("none.sqlite"),
        &tmp.path().join("r4"),
        &["--fail-on", "stale"],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("no vulnerability knowledge base"), "{out}");
}
