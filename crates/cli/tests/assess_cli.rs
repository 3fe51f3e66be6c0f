//! `baseliner assess` end to end through the binary: the bundled sample (always
//! present) and a real vendor image with a knowledge base built from the corpus.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

use baseliner_testkit::corpus;

fn bin() -> Command {
    Command::cargo_bin("baseliner").unwrap()
}

fn verdict<'a>(a: &'a Value, provision: &str) -> &'a str {
    a["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["provision"] == provision)
        .unwrap_or_else(|| panic!("no verdict for {provision}"))["status"]
        .as_str()
        .unwrap()
}

fn load(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn sample_with_declaration_writes_every_output_and_gates() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report");
    let sample = root().join("samples/router-fw.bin");
    let decl = root().join("samples/router-fw.toml");
    let key = tmp.path().join("issuer");
    bin()
        .args(["keys", "new", "--out"])
        .arg(&key)
        .assert()
        .success();

    let o = bin()
        .arg("assess")
        .arg(&sample)
        .arg("--declaration")
        .arg(&decl)
        .arg("--out")
        .arg(&out)
        .arg("--key")
        .arg(key.with_extension("key"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("FAIL 5.1-1"), "{stdout}");
    for f in [
        "assessment.json",
        "report.html",
        "findings.sarif",
        "sbom.cdx.json",
        "label.svg",
        "label.png",
        "label.json",
        "unpack.json",
    ] {
        assert!(out.join(f).is_file(), "{f} written");
    }
    assert!(out.join("unpacked").is_dir());

    let a = load(&out.join("assessment.json"));
    assert_eq!(a["profile"], "etsi-en-303-645");
    // Planted problems fail their provisions with firmware evidence.
    assert_eq!(verdict(&a, "5.1-1"), "FAIL");
    assert_eq!(verdict(&a, "5.1-3"), "FAIL");
    assert_eq!(verdict(&a, "5.4-1"), "FAIL");
    assert_eq!(verdict(&a, "5.6-1"), "FAIL");
    // What only the manufacturer can say is DECLARED, never PASS.
    assert_eq!(verdict(&a, "5.2-1"), "DECLARED");
    assert_eq!(verdict(&a, "5.3-13"), "DECLARED");
    assert!(
        a["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["status"] != "PASS")
    );
    let stages: Vec<&str> = a["timings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["unpack", "inspect", "vulns", "evaluate", "report"]);
    // Each finding's evidence names the file inside the image and its provenance.
    let key_finding = a["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "CRYPTO-001")
        .expect("the planted private key is found");
    assert_eq!(
        key_finding["evidence"][0]["path"],
        "/etc/ssl/private/device.key"
    );
    assert!(
        key_finding["evidence"][0]["provenance"]
            .as_str()
            .unwrap()
            .starts_with("router-fw.bin@0x0:uimage:/ramdisk.gz@0x0:gzip:/decompressed@0x0:cpio:")
    );
    // The container files are not inspected twice.
    assert_eq!(
        a["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "CRYPTO-001")
            .count(),
        1
    );

    // The signed label verifies, and a changed byte does not.
    bin()
        .args(["label", "verify"])
        .arg(out.join("label.json"))
        .arg("--key")
        .arg(key.with_extension("pub"))
        .assert()
        .success();
    let mut bytes = std::fs::read(out.join("label.json")).unwrap();
    let i = bytes.iter().position(|&b| b == b'5').unwrap();
    bytes[i] = b'6';
    let tampered = tmp.path().join("tampered.json");
    std::fs::write(&tampered, bytes).unwrap();
    bin()
        .args(["label", "verify"])
        .arg(&tampered)
        .arg("--key")
        .arg(key.with_extension("pub"))
        .assert()
        .code(1);

    // Running again into the same folder replaces the previous run; --fail-on gates.
    bin()
        .arg("assess")
        .arg(&sample)
        .arg("--out")
        .arg(&out)
        .args(["--fail-on", "fail"])
        .assert()
        .code(1);
}

#[test]
fn psti_without_then_with_declaration() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = root().join("samples/router-fw.bin");
    let out1 = tmp.path().join("a");
    bin()
        .arg("assess")
        .arg(&sample)
        .args(["--profile", "uk-psti", "--out"])
        .arg(&out1)
        .assert()
        .success();
    let a = load(&out1.join("assessment.json"));
    assert_eq!(verdict(&a, "1"), "FAIL");
    assert_eq!(verdict(&a, "2"), "INCONCLUSIVE");
    assert_eq!(verdict(&a, "3"), "INCONCLUSIVE");
    let out2 = tmp.path().join("b");
    bin()
        .arg("assess")
        .arg(&sample)
        .args(["--profile", "uk-psti", "--declaration"])
        .arg(root().join("samples/router-fw.toml"))
        .arg("--out")
        .arg(&out2)
        .assert()
        .success();
    let a = load(&out2.join("assessment.json"));
    assert_eq!(verdict(&a, "2"), "DECLARED");
    assert_eq!(verdict(&a, "3"), "DECLARED");
}

#[test]
fn refuses_a_foreign_non_empty_output_folder() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("precious.txt"), b"keep").unwrap();
    let o = bin()
        .arg("assess")
        .arg(root().join("samples/router-fw.bin"))
        .arg("--out")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not empty"));
    assert!(tmp.path().join("precious.txt").is_file());
}

#[test]
fn tplink_image_with_corpus_knowledge_base() {
    let Some(c) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("kb.sqlite");
    let vd = c.join("vulndata");
    bin()
        .args(["db", "import", "--db"])
        .arg(&db)
        .arg(vd.join("nvd-cve-api-2.0-page.json"))
        .arg(vd.join("cisa-kev.csv"))
        .arg(vd.join("stream_fixes.json"))
        .assert()
        .success();
    let out = tmp.path().join("r");
    bin()
        .arg("assess")
        .arg(c.join("firmware/tplink-wr841nv10-3.16.9.bin"))
        .arg("--db")
        .arg(&db)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let a = load(&out.join("assessment.json"));
    assert_eq!(verdict(&a, "5.1-1"), "FAIL");
    assert_eq!(verdict(&a, "5.1-3"), "FAIL");
    let vulns = a["vulnerabilities"].as_array().unwrap();
    let ids: Vec<&str> = vulns.iter().map(|v| v["id"].as_str().unwrap()).collect();
    // BusyBox 1.01 is inside CVE-2018-20679's range and outside CVE-2021-42386's.
    assert!(ids.contains(&"CVE-2018-20679"), "{ids:?}");
    assert!(!ids.contains(&"CVE-2021-42386"), "{ids:?}");
    // VEX from the applet table of /bin/busybox (`msh` is its shell, no `ash`; `udhcpc`
    // and `udhcpd` are built in): the ash CVEs do not apply, the udhcp ones do.
    let bb = a["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "busybox")
        .expect("busybox component");
    let applets = bb["properties"]["busybox:applets"].as_str().unwrap();
    assert!(applets.split(',').any(|x| x == "msh"), "{applets}");
    let vuln = |id: &str| {
        vulns
            .iter()
            .find(|v| v["id"] == id)
            .unwrap_or_else(|| panic!("{id} matched: {ids:?}"))
    };
    for id in ["CVE-2017-16544", "CVE-2022-48174"] {
        let v = vuln(id);
        assert_eq!(v["vex_status"], "not_affected", "{v}");
        assert_eq!(v["vex_justification"], "vulnerable_code_not_present", "{v}");
        assert!(
            v["rule"]
                .as_str()
                .unwrap()
                .contains("applet ash not built in"),
            "{v}"
        );
    }
    for id in ["CVE-2016-2148", "CVE-2018-20679"] {
        let v = vuln(id);
        assert_eq!(v["vex_status"], "affected", "{v}");
        assert!(v["vex_justification"].is_null(), "{v}");
        assert!(!v["rule"].as_str().unwrap().contains("not built in"), "{v}");
    }
    // The device itself is identified from the TP-Link header.
    let dev = vulns
        .iter()
        .find(|v| v["id"] == "CVE-2020-8423")
        .unwrap_or_else(|| panic!("device-level CVE matched: {ids:?}"));
    assert_eq!(dev["identity_source"], "vendor-header");
    assert!(a["tool"]["kb_version"].is_string());
}

/// The reproduction from the honest-verdicts review: a five-file image, a declaration
/// answering "Y" with "yes" on every row, a lab report "trust me" and a support period
/// that ended in 2020. Through the binary, nothing may read as a level reached, a met
/// outcome or a green label, and the label may not promise a signed statement it lacks.
#[test]
fn adversarial_declaration_earns_no_level_and_no_green_label() {
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("five.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&img).unwrap());
    for (name, body) in [
        ("etc/passwd", "admin:x:1000:1000::/home/admin:/bin/sh\n"),
        ("etc/hostname", "x-1\n"),
        ("etc/version", "1.0.0\n"),
        ("www/index.html", "<html>hello</html>\n"),
        ("usr/bin/app", "#!/bin/sh\necho hello\n"),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, body.as_bytes()).unwrap();
    }
    b.finish().unwrap();
    drop(b);
    let profile = baseliner_baseline::profile("sg-cls-4").unwrap();
    let mut decl = String::from(
        "[product]\nmanufacturer = \"Example\"\nmodel = \"X-1\"\n[support]\nend_date = 2020-01-01\npublished_at = \"https://example.com/s\"\n[lab]\nreport = \"trust me\"\n",
    );
    for p in &profile.provisions {
        decl.push_str(&format!(
            "[ics.\"{}\"]\nsupport = \"Y\"\ndetail = \"yes\"\n",
            p.id
        ));
    }
    let d = tmp.path().join("d.toml");
    std::fs::write(&d, decl).unwrap();
    let out = tmp.path().join("out");
    let o = bin()
        .arg("assess")
        .arg(&img)
        .args(["--profile", "sg-cls-4", "--declaration"])
        .arg(&d)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(!stdout.contains("reached"), "{stdout}");
    assert!(
        !stdout.contains("— MET") && !stdout.contains("NO FAILURES FOUND"),
        "{stdout}"
    );
    assert!(stdout.contains("not a certificate"), "{stdout}");
    assert!(stdout.contains("no level claimed"), "{stdout}");
    let a = load(&out.join("assessment.json"));
    assert_eq!(a["summary"]["level_claimed"], 0);
    assert_eq!(verdict(&a, "5.3-13"), "FAIL");
    assert_eq!(verdict(&a, "BA-1"), "INCONCLUSIVE");
    // The declaration that produced the DECLARED rows is recorded and hashed.
    assert_eq!(a["declaration"]["ics"]["5.1-1"]["detail"], "yes");
    assert_eq!(a["declaration"]["sha256"].as_str().unwrap().len(), 64);
    let svg = std::fs::read_to_string(out.join("label.svg")).unwrap();
    assert!(!svg.contains("reached"), "{svg}");
    assert!(!svg.contains("#15803d"), "green headline");
    assert!(svg.contains("ended 2020-01-01"));
    assert!(svg.contains("not a certificate"));
    assert!(
        !svg.contains("label.json"),
        "no key, so no signed statement"
    );
    assert!(!out.join("label.json").exists());
}
