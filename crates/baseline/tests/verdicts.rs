//! Verdicts from constructed findings and declarations, plus real KEV data from the corpus.

use baseliner_baseline::{Date, Declaration, Inputs, catalogue, evaluate, summarize};
use baseliner_model::{Evidence, Finding, Severity, Verdict, VerdictStatus, VulnMatch};

fn finding(code: &str, severity: Severity, path: &str) -> Finding {
    let mut f = Finding::new(
        code.parse().unwrap(),
        String::new(),
        vec![Evidence {
            path: path.into(),
            provenance: format!("image.bin@0x120200:squashfs:{path}"),
            sha256: "00".repeat(32),
            ..Default::default()
        }],
    );
    f.severity = severity;
    f
}

/// What inspect reports on the TP-Link WR841N v10 image (corpus README facts):
/// one MD5-crypt root hash in /etc/shadow shipped in every unit, telnetd at boot.
fn wr841n_findings() -> Vec<Finding> {
    vec![
        finding("CRED-001", Severity::High, "/etc/shadow"),
        finding("CRED-002", Severity::Medium, "/etc/shadow"),
        finding("SVC-001", Severity::High, "/etc/rc.d/rcS"),
        finding(
            "UPD-001",
            Severity::Info,
            "/web/userRpm/SoftwareUpgradeRpm.htm",
        ),
    ]
}

fn today() -> Date {
    Date::parse("2026-11-23").unwrap()
}

fn run(
    profile: &str,
    findings: &[Finding],
    vulns: &[VulnMatch],
    decl: Option<&Declaration>,
) -> Vec<Verdict> {
    run_built(profile, findings, vulns, decl, None)
}

fn run_built(
    profile: &str,
    findings: &[Finding],
    vulns: &[VulnMatch],
    decl: Option<&Declaration>,
    build_date: Option<Date>,
) -> Vec<Verdict> {
    let p = catalogue::profile(profile).unwrap();
    evaluate(
        &p,
        &Inputs {
            findings,
            vulnerabilities: vulns,
            declaration: decl,
            live_tests: &[],
            today: today(),
            build_date,
            vulns_checked: true,
        },
    )
}

fn get<'a>(v: &'a [Verdict], id: &str) -> &'a Verdict {
    v.iter()
        .find(|x| x.provision == id)
        .unwrap_or_else(|| panic!("no verdict for {id}"))
}

const FULL_DECL: &str = r#"
[product]
manufacturer = "TP-Link"
name = "TL-WR841N"
model = "TL-WR841N v10"
firmware_version = "3.16.9"
[support]
end_date = 2027-06-30
published_at = "https://tp-link.example/support-period"
[disclosure]
contact = "mailto:security@tp-link.example"
policy_url = "https://tp-link.example/vdp"
acknowledgement_days = 5
status_update_days = 30
[conditions]
telemetry = false
[ics."5.1-4"]
support = "Y"
detail = "Password change page in the web UI."
[ics."5.6-3"]
support = "N"
detail = "UART header populated for repairs."
"#;

#[test]
fn wr841n_fails_5_1_1_and_5_1_3_on_firmware_evidence() {
    let v = run("etsi-en-303-645", &wr841n_findings(), &[], None);
    let a = get(&v, "5.1-1");
    assert_eq!(a.status, VerdictStatus::Fail);
    assert_eq!(a.scheme, "etsi-en-303-645");
    assert!(a.findings.contains(&"CRED-001".to_string()));
    assert!(
        a.reasons.iter().any(|r| r.contains("/etc/shadow")),
        "{:?}",
        a.reasons
    );
    assert_eq!(get(&v, "5.1-3").status, VerdictStatus::Fail);
    assert_eq!(
        get(&v, "5.6-1").status,
        VerdictStatus::Fail,
        "telnetd at boot"
    );
    // Info-level positive evidence is cited as context, never turned into a PASS.
    let upd = get(&v, "5.3-2");
    assert_eq!(upd.status, VerdictStatus::Inconclusive);
    assert!(upd.context.contains(&"UPD-001".to_string()));
    assert!(upd.findings.is_empty());
    // No provision may PASS on firmware silence.
    assert!(v.iter().all(|x| x.status != VerdictStatus::Pass));
    let s = summarize(&catalogue::profile("etsi-en-303-645").unwrap(), &v);
    assert_eq!(s.outcome, baseliner_model::Outcome::Fail);
    assert!(s.mandatory_fail >= 3);
}

#[test]
fn psti_without_declaration_is_inconclusive_then_declared() {
    let f = wr841n_findings();
    let v = run("uk-psti", &f, &[], None);
    assert_eq!(get(&v, "1").status, VerdictStatus::Fail);
    assert_eq!(get(&v, "2").status, VerdictStatus::Inconclusive);
    assert_eq!(get(&v, "3").status, VerdictStatus::Inconclusive);

    let d = Declaration::parse(FULL_DECL, "wr841n.toml").unwrap();
    let v = run("uk-psti", &f, &[], Some(&d));
    let disc = get(&v, "2");
    assert_eq!(disc.status, VerdictStatus::Declared, "{:?}", disc.reasons);
    assert!(disc.declaration.contains(&"disclosure.contact".to_string()));
    let sup = get(&v, "3");
    assert_eq!(sup.status, VerdictStatus::Declared);
    assert!(sup.reasons.iter().any(|r| r.contains("2027-06-30")));
    // A declaration cannot talk its way out of firmware evidence.
    assert_eq!(get(&v, "1").status, VerdictStatus::Fail);
    // SoC fields were not given.
    assert_eq!(get(&v, "SoC-6").status, VerdictStatus::Inconclusive);
}

#[test]
fn declaration_drives_na_declared_and_fail() {
    let d = Declaration::parse(FULL_DECL, "d.toml").unwrap();
    let v = run("etsi-en-303-645", &[], &[], Some(&d));
    let tel = get(&v, "6-5");
    assert_eq!(tel.status, VerdictStatus::NotApplicable);
    assert_eq!(tel.declaration, vec!["conditions.telemetry".to_string()]);
    assert_eq!(get(&v, "5.1-4").status, VerdictStatus::Declared);
    // A recommendation the manufacturer says is not followed is UNMET, not a failure.
    assert_eq!(get(&v, "5.6-3").status, VerdictStatus::Unmet);
    assert_eq!(get(&v, "5.3-16").status, VerdictStatus::Declared);
    // 4-1: ICS given, N answer justified, but most recommendations unanswered.
    assert_eq!(get(&v, "4-1").status, VerdictStatus::Inconclusive);
    let d2 = Declaration::parse("[ics.\"5.6-3\"]\nsupport = \"N\"\n", "d.toml").unwrap();
    let v2 = run("etsi-en-303-645", &[], &[], Some(&d2));
    assert_eq!(get(&v2, "4-1").status, VerdictStatus::Fail);
    // N/A on an unconditional provision is not accepted.
    let d3 = Declaration::parse("[ics.\"5.3-13\"]\nsupport = \"N/A\"\n", "d.toml").unwrap();
    let v3 = run("etsi-en-303-645", &[], &[], Some(&d3));
    assert_eq!(get(&v3, "5.3-13").status, VerdictStatus::Inconclusive);
}

#[test]
fn a_declared_na_contradicted_by_firmware_is_reported_naming_both() {
    let d = Declaration::parse("[conditions]\npasswords_used = false\n", "d.toml").unwrap();
    let v = run("etsi-en-303-645", &wr841n_findings(), &[], Some(&d));
    let a = get(&v, "5.1-1");
    assert_eq!(a.status, VerdictStatus::Inconclusive);
    let c = a.contradiction.as_deref().expect("a contradiction");
    assert!(
        c.contains("conditions.passwords_used") && c.contains("CRED-001"),
        "{c}"
    );
    // Without firmware evidence against it, the declared N/A is honoured.
    let v = run("etsi-en-303-645", &[], &[], Some(&d));
    assert_eq!(get(&v, "5.1-1").status, VerdictStatus::NotApplicable);
}

#[test]
fn expired_security_txt_keeps_disclosure_inconclusive() {
    let mut d = Declaration::parse(FULL_DECL, "d.toml").unwrap();
    d.security_txt = Some(baseliner_baseline::securitytxt::SecurityTxt::parse(
        "Contact: mailto:security@tp-link.example\nExpires: 2024-01-01T00:00:00Z\n",
    ));
    let v = run("etsi-en-303-645", &[], &[], Some(&d));
    let r = get(&v, "5.2-1");
    assert_eq!(r.status, VerdictStatus::Inconclusive);
    assert!(
        r.reasons
            .iter()
            .any(|x| x.contains("expired on 2024-01-01")),
        "{:?}",
        r.reasons
    );
}

#[test]
fn cls_level_stops_at_first_gap() {
    let p = catalogue::profile("sg-cls-4").unwrap();
    let v = run("sg-cls-4", &wr841n_findings(), &[], None);
    assert_eq!(summarize(&p, &v).level_claimed, Some(0));
    // Everything declared for level 1: level 1 reached, level 2 still open.
    let mut text = String::from(FULL_DECL);
    for id in [
        "5.1-1", "5.1-2", "5.1-3", "5.1-5", "5.3-1", "5.3-2", "5.3-3", "5.3-6", "5.3-7", "5.3-8",
        "5.3-9", "5.3-10",
    ] {
        text.push_str(&format!(
            "[ics.\"{id}\"]\nsupport = \"Y\"\ndetail = \"described measure for {id} in the security design document\"\n"
        ));
    }
    let d = Declaration::parse(&text, "d.toml").unwrap();
    let v = run("sg-cls-4", &[], &[], Some(&d));
    // A claim on the manufacturer's word, never a level reached.
    let sum = summarize(&p, &v);
    assert_eq!(sum.level_claimed, Some(1));
    assert_ne!(sum.outcome, baseliner_model::Outcome::Met);
}

/// Real KEV data: the CISA catalogue in the corpus lists CVE-2023-50224 for the
/// TL-WR841N; a match on it fails CRA Annex I (2)(a) and Part II (2).
#[test]
fn kev_listed_vulnerability_fails_cra_2a() {
    let Some(csv) = baseliner_testkit::corpus_bytes("vulndata/cisa-kev.csv") else {
        return;
    };
    let csv = String::from_utf8(csv).unwrap();
    let line = csv
        .lines()
        .find(|l| l.starts_with("CVE-2023-50224,"))
        .expect("CVE-2023-50224 in the KEV catalogue");
    assert!(line.contains("TL-WR841N"));
    let m = VulnMatch {
        id: "CVE-2023-50224".into(),
        component: "TL-WR841N".into(),
        version: "3.16.9".into(),
        rule: "cpe tp-link:tl-wr841n_firmware".into(),
        identity_source: baseliner_model::IdentitySource::Declaration,
        cvss_score: Some(6.5),
        cvss_severity: Some("MEDIUM".into()),
        kev: true,
        published: None,
        summary: "authentication bypass".into(),
        vex_status: baseliner_model::VexStatus::Affected,
        vex_justification: None,
    };
    let v = run("eu-cra", &[], std::slice::from_ref(&m), None);
    let a = get(&v, "I-2a");
    assert_eq!(a.status, VerdictStatus::Fail);
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("CVE-2023-50224") && r.contains("KEV"))
    );
    // II-2 asks whether fixes came without delay: with no build date known, a
    // vulnerability still present is not proof of delay.
    let ii2 = get(&v, "II-2");
    assert_eq!(ii2.status, VerdictStatus::Inconclusive, "{:?}", ii2.reasons);
    assert!(ii2.reasons.iter().any(|r| r.contains("build date")));
    // Published before the firmware was built: proof; published after: context only.
    let mut early = m.clone();
    early.published = Some("2023-11-14T15:15:07.560".into());
    let built = |d| Date::parse(d);
    let v2 = run_built(
        "eu-cra",
        &[],
        std::slice::from_ref(&early),
        None,
        built("2024-06-01"),
    );
    assert_eq!(get(&v2, "II-2").status, VerdictStatus::Fail);
    let v3 = run_built(
        "eu-cra",
        &[],
        std::slice::from_ref(&early),
        None,
        built("2015-06-16"),
    );
    assert_eq!(get(&v3, "II-2").status, VerdictStatus::Inconclusive);
    assert!(get(&v3, "II-2").context.contains(&"VULN-001".to_string()));
    // Current risk either way: I-2a does not depend on when it was published.
    assert_eq!(get(&v3, "I-2a").status, VerdictStatus::Fail);
    // The same match marked not_affected by VEX does not count.
    let mut na = m;
    na.vex_status = baseliner_model::VexStatus::NotAffected;
    let v = run("eu-cra", &[], &[na], None);
    assert_eq!(get(&v, "I-2a").status, VerdictStatus::Inconclusive);
}

fn live(id: &str, outcome: baseliner_model::TestOutcome) -> baseliner_model::LiveTest {
    baseliner_model::LiveTest {
        id: id.into(),
        title: id.into(),
        host: "10.77.0.2".into(),
        scope: "telnet/23, ssh/22, http/80: 412 credential pairs".into(),
        outcome,
        findings: if outcome == baseliner_model::TestOutcome::Failed {
            vec![baseliner_model::Code::Cred004]
        } else {
            vec![]
        },
        details: vec![],
        started: "2026-11-23T01:00:00Z".into(),
        duration_ms: 1200,
    }
}

fn run_live(findings: &[Finding], tests: &[baseliner_model::LiveTest]) -> Vec<Verdict> {
    let p = catalogue::profile("etsi-en-303-645").unwrap();
    evaluate(
        &p,
        &Inputs {
            findings,
            vulnerabilities: &[],
            declaration: None,
            live_tests: tests,
            today: today(),
            build_date: None,
            vulns_checked: true,
        },
    )
}

#[test]
fn pass_comes_only_from_a_complete_live_test_and_names_it() {
    use baseliner_model::{Basis, TestOutcome};
    let passed = [live("default-credentials", TestOutcome::Passed)];
    let v = run_live(&[], &passed);
    let p = get(&v, "5.1-1");
    assert_eq!(p.status, VerdictStatus::Pass, "{:?}", p.reasons);
    assert_eq!(p.tests, vec!["default-credentials".to_string()]);
    assert!(p.basis.contains(&Basis::LiveTest));
    assert!(p.reasons.iter().any(|r| r.contains("412 credential pairs")));
    // Firmware evidence of a universal password still wins over a clean live test.
    let v = run_live(&wr841n_findings(), &passed);
    assert_eq!(get(&v, "5.1-1").status, VerdictStatus::Fail);
    // A failed test is a FAIL on its own; an incomplete one proves nothing.
    let v = run_live(&[], &[live("default-credentials", TestOutcome::Failed)]);
    let f = get(&v, "5.1-1");
    assert_eq!(f.status, VerdictStatus::Fail);
    assert!(f.basis.contains(&Basis::LiveTest));
    let v = run_live(&[], &[live("default-credentials", TestOutcome::Incomplete)]);
    assert_eq!(get(&v, "5.1-1").status, VerdictStatus::Inconclusive);
    // A test that is not a complete test of the provision adds evidence, no PASS.
    let v = run_live(&[], &[live("tls-audit", TestOutcome::Passed)]);
    assert_eq!(get(&v, "5.5-1").status, VerdictStatus::Inconclusive);
}
