//! `db import`, `db status` and `sbom` end to end through the binary, on the corpus.

use assert_cmd::Command;

use baseliner_testkit::corpus;

fn bin() -> Command {
    Command::cargo_bin("baseliner").unwrap()
}

#[test]
fn import_status_and_sbom_of_the_tplink_image() {
    let Some(c) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("kb.sqlite");
    let vd = c.join("vulndata");
    let out = bin()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(vd.join("nvd-cve-api-2.0-page.json"))
        .arg(vd.join("cisa-kev.csv"))
        .arg(vd.join("stream_fixes.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("NVD CVE API 2.0 page: 36 added"), "{text}");

    // A file that is no feed fails with its name, the others still import.
    let bad = tmp.path().join("notes.txt");
    std::fs::write(&bad, "hello").unwrap();
    let out = bin()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("notes.txt"));

    let out = bin()
        .args(["db", "status", "--json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(out.status.success());
    let st: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = st["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["kernel-stream-fixes", "kev", "nvd"]);

    let bom = tmp.path().join("bom.json");
    let out = bin()
        .arg("sbom")
        .arg(c.join("firmware/tplink-wr841nv10-3.16.9.bin"))
        .args(["--db"])
        .arg(&db)
        .args([
            "--vendor",
            "TP-Link",
            "--model",
            "TL-WR841N",
            "--hardware-version",
            "v10",
        ])
        .args(["--firmware-version", "3.16.9", "-o"])
        .arg(&bom)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&bom).unwrap()).unwrap();
    assert_eq!(doc["specVersion"], "1.6");
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    let has = |id: &str| vulns.iter().any(|v| v["id"] == id);
    assert!(
        has("CVE-2018-20679"),
        "BusyBox 1.01 is inside CVE-2018-20679"
    );
    assert!(
        !has("CVE-2021-42386"),
        "BusyBox 1.01 is outside CVE-2021-42386"
    );
    assert!(
        has("CVE-2020-8423"),
        "device-level CVE from the declared identity"
    );
    // The BusyBox applet table is VEX evidence in the SBOM too.
    let state = |id: &str| vulns.iter().find(|v| v["id"] == id).unwrap()["analysis"].clone();
    assert_eq!(state("CVE-2017-16544")["state"], "not_affected");
    assert_eq!(state("CVE-2017-16544")["justification"], "code_not_present");
    assert_eq!(state("CVE-2016-2148")["state"], "exploitable");
    let bb = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "busybox")
        .unwrap();
    assert!(
        bb["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "baseliner:busybox:applets"
                && p["value"].as_str().unwrap().contains("udhcpc")),
        "{bb}"
    );

    let out = bin()
        .arg("sbom")
        .arg(c.join("firmware/tplink-wr841nv10-3.16.9.bin"))
        .args(["--format", "spdx", "--no-vulns"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert!(doc["packages"].as_array().unwrap().len() > 3);
}
