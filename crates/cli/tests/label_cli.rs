//! `keys new`, `label make`, `label verify` and `declare` end to end through the binary.

use assert_cmd::Command;
use baseliner_baseline::{AssessmentInput, Date, Declaration, assess, profile};
use baseliner_model::{Code, Evidence, Finding, ImageInfo};

fn bin() -> Command {
    Command::cargo_bin("baseliner").unwrap()
}

fn write_assessment(path: &std::path::Path) {
    let p = profile("uk-psti").unwrap();
    let decl =
        Declaration::parse(&baseliner_baseline::declaration::template(), "decl.toml").unwrap();
    let a = assess(AssessmentInput {
        profile: &p,
        image: ImageInfo {
            name: "sample.bin".into(),
            sha256: "c3".repeat(32),
            size: 1024,
            ..Default::default()
        },
        components: vec![],
        findings: vec![Finding::new(
            Code::Cred001,
            String::new(),
            vec![Evidence {
                path: "/etc/shadow".into(),
                ..Default::default()
            }],
        )],
        vulnerabilities: vec![],
        live_tests: vec![],
        declaration: Some(&decl),
        timings: vec![],
        tool_version: "0.1.0".into(),
        kb_version: None,
        today: Date::parse("2026-11-23").unwrap(),
        created: "2026-11-23T01:00:00Z".into(),
    });
    std::fs::write(path, baseliner_report::to_json(&a).unwrap()).unwrap();
}

#[test]
fn keys_make_and_verify_a_label_and_reject_a_tampered_one() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("issuer");
    bin()
        .args(["keys", "new", "--out"])
        .arg(&prefix)
        .assert()
        .success();
    assert!(dir.path().join("issuer.key").exists() && dir.path().join("issuer.pub").exists());
    // A second run must not overwrite the secret key.
    bin()
        .args(["keys", "new", "--out"])
        .arg(&prefix)
        .assert()
        .failure();

    let assessment = dir.path().join("assessment.json");
    write_assessment(&assessment);
    let out = dir.path().join("out");
    bin()
        .args(["label", "make"])
        .arg(&assessment)
        .arg("--out")
        .arg(&out)
        .arg("--key")
        .arg(dir.path().join("issuer.key"))
        .assert()
        .success();
    for f in ["label.svg", "label.png", "label.json"] {
        assert!(out.join(f).metadata().unwrap().len() > 500, "{f}");
    }
    let label = out.join("label.json");
    let pubkey = dir.path().join("issuer.pub");
    let ok = bin()
        .args(["label", "verify"])
        .arg(&label)
        .arg("--key")
        .arg(&pubkey)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&ok.get_output().stdout).to_string();
    assert!(
        stdout.contains("valid signature") && stdout.contains("uk-psti: FAIL"),
        "{stdout}"
    );

    let text = std::fs::read_to_string(&label).unwrap();
    let tampered = text.replace("\"outcome\":\"FAIL\"", "\"outcome\":\"MET\"");
    assert_ne!(tampered, text);
    std::fs::write(&label, tampered).unwrap();
    let bad = bin()
        .args(["label", "verify"])
        .arg(&label)
        .arg("--key")
        .arg(&pubkey)
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&bad.get_output().stderr).to_string();
    assert!(stderr.contains("changed after signing"), "{stderr}");
}

#[test]
fn declare_init_writes_a_template_that_checks_and_errors_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("decl.toml");
    bin()
        .args(["declare", "--init", "-o"])
        .arg(&f)
        .assert()
        .success();
    bin()
        .args(["declare", "--init", "-o"])
        .arg(&f)
        .assert()
        .failure();
    let ok = bin()
        .args(["declare", "--check"])
        .arg(&f)
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&ok.get_output().stdout).contains("ok"));

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[support]\nend_date = 2030-12-31\nsbom = \"x\"\n").unwrap();
    let r = bin()
        .args(["declare", "--check"])
        .arg(&bad)
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&r.get_output().stderr).to_string();
    assert!(
        stderr.contains("bad.toml:3:1") && stderr.contains("`sbom`"),
        "{stderr}"
    );
    assert!(stderr.contains("fix:"), "{stderr}");
}
