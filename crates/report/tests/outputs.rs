//! Every renderer's output checked against its contract: the assessment JSON Schema in
//! the repository, the official SARIF 2.1.0 schema, and a real browser for the HTML.

use baseliner_baseline::{AssessmentInput, Date, Declaration, PROFILES, assess, profile};
use baseliner_model::{
    Assessment, Component, Evidence, Finding, ImageInfo, Severity, StageTiming, VulnMatch,
};
use baseliner_report::{ASSESSMENT_SCHEMA, render_html, render_text, to_json, to_sarif};

const SARIF_SCHEMA: &str = include_str!("../schemas/sarif-schema-2.1.0.json");

fn ev(path: &str) -> Evidence {
    Evidence {
        path: path.into(),
        provenance: format!("tplink-wr841nv10-3.16.9.bin@0x120200:squashfs:{path}"),
        offset: Some(0),
        excerpt: Some("root:$1$GTN.gpri$…:15502:0:99999:7:::".into()),
        sha256: "5f".repeat(32),
        ..Default::default()
    }
}

fn finding(code: &str, family: &str, severity: Severity, title: &str, path: &str) -> Finding {
    let mut f = Finding::new(
        code.parse().unwrap(),
        format!("{title} <script>alert(1)</script>"),
        vec![ev(path)],
    );
    assert_eq!(f.family.as_str(), family);
    f.severity = severity;
    f.title = title.into();
    f
}

fn sample(profile_name: &str, decl: Option<&Declaration>) -> Assessment {
    let p = profile(profile_name).unwrap();
    assess(AssessmentInput {
        profile: &p,
        image: ImageInfo {
            name: "tplink-wr841nv10-3.16.9.bin".into(),
            sha256: "a1".repeat(32),
            size: 3_932_160,
            ..Default::default()
        },
        components: vec![Component {
            name: "busybox".into(),
            version: "1.01".into(),
            cpe: Some("cpe:2.3:a:busybox:busybox:1.01:*:*:*:*:*:*:*".into()),
            purl: Some("pkg:generic/busybox@1.01".into()),
            evidence: vec![ev("/bin/busybox")],
            properties: [("busybox:applets".into(), "[,cat,msh,sh,udhcpc".into())].into(),
        }],
        findings: vec![
            finding(
                "CRED-001",
                "credentials",
                Severity::High,
                "Universal default password hash in image",
                "/etc/shadow",
            ),
            finding(
                "CRED-002",
                "credentials",
                Severity::Medium,
                "Weak password hash scheme",
                "/etc/shadow",
            ),
            finding(
                "SVC-001",
                "services",
                Severity::High,
                "telnetd started at boot",
                "/etc/rc.d/rcS",
            ),
            finding(
                "CRYPTO-001",
                "crypto",
                Severity::High,
                "Private key in image",
                "/etc/ssl/key.pem",
            ),
            finding(
                "UPD-001",
                "update",
                Severity::Info,
                "Update client present",
                "/usr/bin/upgrade",
            ),
        ],
        live_tests: vec![],
        vulnerabilities: vec![VulnMatch {
            id: "CVE-2018-20679".into(),
            component: "busybox".into(),
            version: "1.01".into(),
            rule: "cpe busybox:busybox versionEndExcluding 1.30.0".into(),
            identity_source: baseliner_model::IdentitySource::BinaryString,
            cvss_score: Some(7.5),
            cvss_severity: Some("HIGH".into()),
            kev: false,
            published: None,
            summary: "udhcp out-of-bounds read".into(),
            vex_status: baseliner_model::VexStatus::Affected,
            vex_justification: None,
        }],
        declaration: decl,
        timings: vec![
            StageTiming {
                stage: "unpack".into(),
                millis: 420,
            },
            StageTiming {
                stage: "inspect".into(),
                millis: 130,
            },
        ],
        tool_version: "0.1.0".into(),
        kb_version: Some("nvd-2026-11-20".into()),
        today: Date::parse("2026-11-23").unwrap(),
        created: "2026-11-23T01:00:00Z".into(),
    })
}

const DECL: &str = r#"
[product]
manufacturer = "TP-Link"
name = "TL-WR841N"
model = "TL-WR841N v10"
firmware_version = "3.16.9"
[support]
end_date = 2027-06-30
[disclosure]
contact = "mailto:security@tp-link.example"
policy_url = "https://tp-link.example/vdp"
acknowledgement_days = 5
status_update_days = 30
[conditions]
telemetry = false
"#;

fn errors(schema: &serde_json::Value, doc: &serde_json::Value) -> Vec<String> {
    let v = jsonschema::validator_for(schema).expect("schema compiles");
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn assessment_json_validates_for_every_profile() {
    let schema: serde_json::Value = serde_json::from_str(ASSESSMENT_SCHEMA).unwrap();
    let decl = Declaration::parse(DECL, "decl.toml").unwrap();
    for name in PROFILES {
        for d in [None, Some(&decl)] {
            let a = sample(name, d);
            let doc: serde_json::Value = serde_json::from_str(&to_json(&a).unwrap()).unwrap();
            let errs = errors(&schema, &doc);
            assert!(
                errs.is_empty(),
                "{name} (declaration: {}): {errs:#?}",
                d.is_some()
            );
            // The document reads back into the same value.
            let back: Assessment = serde_json::from_value(doc).unwrap();
            assert_eq!(back, a);
        }
    }
}

#[test]
fn schema_rejects_a_broken_document() {
    let schema: serde_json::Value = serde_json::from_str(ASSESSMENT_SCHEMA).unwrap();
    let a = sample("uk-psti", None);
    let mut doc = serde_json::to_value(&a).unwrap();
    doc["verdicts"][0]["status"] = "MAYBE".into();
    doc["image"]["sha256"] = "xyz".into();
    assert!(errors(&schema, &doc).len() >= 2);
    // DECLARED without a declaration field behind it is not allowed.
    let mut doc = serde_json::to_value(&a).unwrap();
    doc["verdicts"][1]["status"] = "DECLARED".into();
    doc["verdicts"][1]["declaration"] = serde_json::json!([]);
    assert!(!errors(&schema, &doc).is_empty());
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let schema: serde_json::Value = serde_json::from_str(SARIF_SCHEMA).unwrap();
    let a = sample("etsi-en-303-645", None);
    let sarif = to_sarif(&a);
    let errs = errors(&schema, &sarif);
    assert!(errs.is_empty(), "{errs:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), a.findings.len() + a.vulnerabilities.len());
    assert_eq!(results[0]["ruleId"], "CRED-001");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "etc/shadow"
    );
    // An empty run validates too.
    let mut empty = a.clone();
    empty.findings.clear();
    empty.vulnerabilities.clear();
    assert!(errors(&schema, &to_sarif(&empty)).is_empty());
}

#[test]
fn text_summary_lists_failed_provisions() {
    let a = sample("etsi-en-303-645", None);
    let t = render_text(&a, false);
    assert!(t.starts_with("ETSI EN 303 645 V2.1.1 — FAIL"), "{t}");
    assert!(t.contains("FAIL 5.1-1"), "{t}");
    assert!(t.contains("FAIL 5.1-3"), "{t}");
    assert!(!t.contains('\x1b'));
    assert!(render_text(&a, true).contains("\x1b[1;31m"));
}

#[test]
fn html_is_self_contained_and_escaped() {
    let decl = Declaration::parse(DECL, "decl.toml").unwrap();
    let a = sample("uk-psti", Some(&decl));
    let h = render_html(&a);
    assert!(h.starts_with("<!DOCTYPE html>"));
    for needle in [
        "<details",
        "<svg",
        "Verdicts per provision",
        "busybox",
        "CVE-2018-20679",
        "2027-06-30",
    ] {
        assert!(h.contains(needle), "missing {needle}");
    }
    for external in ["<script", "<link", " src=", "url(", "@import"] {
        assert!(!h.contains(external), "report refers to {external}");
    }
    assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

/// Renders the report in headless Chromium, when installed, and checks the screenshot
/// is a real page (a blank or error page compresses to a few KiB).
#[test]
fn html_renders_in_chromium() {
    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
    else {
        baseliner_testkit::skip::<()>("no chromium on PATH (apt-get install -y chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let decl = Declaration::parse(DECL, "decl.toml").unwrap();
    let html = dir.path().join("report.html");
    std::fs::write(&html, render_html(&sample("etsi-en-303-645", Some(&decl)))).unwrap();
    let png = dir.path().join("r.png");
    let profile_dir = dir.path().join("profile");
    let out = std::process::Command::new(chromium)
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
        .arg(format!("--user-data-dir={}", profile_dir.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,2000")
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let bytes = std::fs::read(&png)
        .unwrap_or_else(|_| panic!("no screenshot: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((w, h), (1280, 2000));
    assert!(
        bytes.len() > 60_000,
        "screenshot only {} bytes",
        bytes.len()
    );
    if let Ok(keep) = std::env::var("BASELINER_REPORT_SCREENSHOT") {
        std::fs::copy(&png, keep).unwrap();
        std::fs::copy(
            &html,
            format!(
                "{}.html",
                std::env::var("BASELINER_REPORT_SCREENSHOT").unwrap()
            ),
        )
        .unwrap();
    }
}

#[test]
fn the_output_table_writes_what_assess_owns_and_each_file_parses() {
    let dir = tempfile::tempdir().unwrap();
    let a = sample("eu-cra", None);
    let art = baseliner_report::Artefacts::new(&a, "https://registry.example/labels");
    let files = baseliner_report::outputs::write(
        &art,
        dir.path(),
        baseliner_report::outputs::assess_outputs(),
    )
    .unwrap();
    // Without a key and an unpack report, label.json and unpack.json do not apply.
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "assessment.json",
            "report.html",
            "findings.sarif",
            "sbom.cdx.json",
            "label.svg",
            "label.png"
        ]
    );
    let cdx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("sbom.cdx.json")).unwrap()).unwrap();
    assert_eq!(cdx["specVersion"], "1.6");
    let back: Assessment =
        serde_json::from_slice(&std::fs::read(dir.path().join("assessment.json")).unwrap())
            .unwrap();
    assert_eq!(back, a);
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("findings.sarif")).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
}
