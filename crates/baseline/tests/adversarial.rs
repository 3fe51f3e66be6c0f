//! Declarations written to get a better result than the evidence supports: all-"Y"
//! answers with no substance, an expired support period, a bogus lab report, answers that
//! contradict the firmware. None may produce a level, a "met" outcome or a clean verdict,
//! and each must say why.

use baseliner_baseline::catalogue;
use baseliner_baseline::{Date, Declaration, Inputs, evaluate, summarize};
use baseliner_model::{Code, Evidence, Finding, Outcome, Verdict, VerdictStatus, VerdictSummary};

fn today() -> Date {
    Date::parse("2026-11-23").unwrap()
}

fn run(
    profile: &str,
    findings: &[Finding],
    decl: Option<&Declaration>,
    vulns_checked: bool,
) -> (Vec<Verdict>, VerdictSummary) {
    let p = catalogue::profile(profile).unwrap();
    let v = evaluate(
        &p,
        &Inputs {
            findings,
            vulnerabilities: &[],
            declaration: decl,
            live_tests: &[],
            today: today(),
            build_date: None,
            vulns_checked,
        },
    );
    let s = summarize(&p, &v);
    (v, s)
}

fn get<'a>(v: &'a [Verdict], id: &str) -> &'a Verdict {
    v.iter().find(|x| x.provision == id).unwrap()
}

/// Every ICS row of a profile answered "Y" with `detail`.
fn all_yes(profile: &str, detail: &str, extra: &str) -> Declaration {
    let p = catalogue::profile(profile).unwrap();
    let mut t = String::from(extra);
    for prov in &p.provisions {
        t.push_str(&format!(
            "[ics.\"{}\"]\nsupport = \"Y\"\ndetail = \"{detail}\"\n",
            prov.id
        ));
    }
    Declaration::parse(&t, "adversarial.toml").unwrap()
}

const PRODUCT: &str = r#"
[product]
manufacturer = "Example"
model = "X-1"
[support]
end_date = 2020-01-01
published_at = "https://example.com/support"
[disclosure]
contact = "mailto:security@example.com"
policy_url = "https://example.com/vdp"
acknowledgement_days = 5
status_update_days = 30
[lab]
report = "trust me"
"#;

#[test]
fn all_yes_with_no_substance_claims_no_level_and_says_why() {
    let d = all_yes("sg-cls-4", "yes", PRODUCT);
    let (v, s) = run("sg-cls-4", &[], Some(&d), false);
    assert_eq!(s.level_claimed, Some(0), "{s:?}");
    assert_ne!(s.outcome, Outcome::Met);
    assert_ne!(s.outcome, Outcome::NoFailuresFound);
    // "Y" with "yes" is not a description of measures.
    let r = get(&v, "5.1-2");
    assert_eq!(r.status, VerdictStatus::Inconclusive);
    assert!(
        r.reasons.iter().any(|x| x.contains("does not describe")),
        "{:?}",
        r.reasons
    );
    // The expired support period fails the support-period provision.
    let sup = get(&v, "5.3-13");
    assert_eq!(sup.status, VerdictStatus::Fail, "{:?}", sup.reasons);
    assert!(
        sup.reasons
            .iter()
            .any(|x| x.contains("ended on 2020-01-01"))
    );
    // A lab report given as free text is not evidence.
    let ba = get(&v, "BA-1");
    assert_eq!(ba.status, VerdictStatus::Inconclusive);
    assert!(
        ba.reasons.iter().any(|x| x.contains("free text")),
        "{:?}",
        ba.reasons
    );
    // "Y" on a known-vulnerability provision cannot stand in for a check that was not made.
    let p538 = get(&v, "5.3-8");
    assert_eq!(p538.status, VerdictStatus::Inconclusive);
    assert!(p538.reasons.iter().any(|x| x.contains("not checked")));
}

#[test]
fn substantive_answers_still_only_claim_a_level_and_say_self_declared() {
    let detail = "documented in the security design file, section four, with test evidence";
    let extra = PRODUCT.replace("2020-01-01", "2030-01-01");
    let d = all_yes("sg-cls-2", detail, &extra);
    let (v, s) = run("sg-cls-2", &[], Some(&d), true);
    // Everything declared: a claim, resting on the manufacturer's word.
    assert_eq!(
        s.level_claimed,
        Some(2),
        "{:#?}",
        v.iter()
            .filter(|x| x.status == VerdictStatus::Inconclusive)
            .collect::<Vec<_>>()
    );
    assert_eq!(s.outcome, Outcome::NoFailuresFound);
    assert!(s.mandatory_declared > 20);
    assert_eq!(s.pass, 0, "nothing is PASS without a live test");
    // Level 3 needs the approved lab's report, as a verified reference.
    let d4 = all_yes("sg-cls-4", detail, &extra);
    let (_, s4) = run("sg-cls-4", &[], Some(&d4), true);
    assert_eq!(s4.level_claimed, Some(2));
}

#[test]
fn a_lab_report_counts_only_as_a_verified_reference() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.pdf");
    std::fs::write(&report, b"%PDF-1.7 lab report body").unwrap();
    let sha = "b5f6b7f3e5d7b8f2e3b1d9c6c2c4e7a1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5";
    let decl = |sha: &str| {
        let p = dir.path().join("d.toml");
        std::fs::write(
            &p,
            format!(
                "[lab]\nname = \"Approved Lab\"\nreport_id = \"CLS-2026-0042\"\nreport_file = \"report.pdf\"\nreport_sha256 = \"{sha}\"\n"
            ),
        )
        .unwrap();
        Declaration::load(&p).unwrap()
    };
    // A hash that does not match the file: not verified, not evidence.
    let bogus = decl(sha);
    assert!(!bogus.lab.report_verified);
    let (v, _) = run("sg-cls-4", &[], Some(&bogus), true);
    let ba = get(&v, "BA-1");
    assert_eq!(ba.status, VerdictStatus::Inconclusive);
    assert!(
        ba.reasons.iter().any(|x| x.contains("does not match")),
        "{:?}",
        ba.reasons
    );
    // The real hash: the reference is recorded as verified and BA-1 is DECLARED.
    use sha2::Digest;
    let real = hex::encode(sha2::Sha256::digest(std::fs::read(&report).unwrap()));
    let good = decl(&real);
    assert!(good.lab.report_verified);
    let (v, _) = run("sg-cls-4", &[], Some(&good), true);
    assert_eq!(get(&v, "BA-1").status, VerdictStatus::Declared);
    assert!(good.record().lab.unwrap().verified);
}

fn shadow_finding() -> Finding {
    Finding::new(
        Code::Cred001,
        "root:$1$... in every unit",
        vec![Evidence {
            path: "/etc/shadow".into(),
            provenance: "img@0x0:squashfs:/etc/shadow".into(),
            sha256: "00".repeat(32),
            ..Default::default()
        }],
    )
}

#[test]
fn a_declaration_contradicting_the_firmware_loses_and_both_are_named() {
    let d = Declaration::parse(
        "[ics.\"5.1-1\"]\nsupport = \"Y\"\ndetail = \"every unit gets a random password printed on its label\"\n[conditions]\nphysical_debug_interface = false\n",
        "d.toml",
    )
    .unwrap();
    let console = Finding::new(
        Code::Svc007,
        "ttyS0::respawn:/bin/sh",
        vec![Evidence {
            path: "/etc/inittab".into(),
            provenance: "img@0x0:squashfs:/etc/inittab".into(),
            sha256: "00".repeat(32),
            ..Default::default()
        }],
    );
    let (v, s) = run(
        "etsi-en-303-645",
        &[shadow_finding(), console],
        Some(&d),
        true,
    );
    let p = get(&v, "5.1-1");
    assert_eq!(p.status, VerdictStatus::Fail);
    let c = p.contradiction.as_deref().unwrap();
    assert!(
        c.contains("ICS answers Y") && c.contains("evidence is taken"),
        "{c}"
    );
    // The declared "no physical debug interface" meets a root shell on the console.
    let dbg = get(&v, "5.6-4");
    assert_eq!(dbg.status, VerdictStatus::Inconclusive);
    let c = dbg.contradiction.as_deref().unwrap();
    assert!(
        c.contains("physical_debug_interface") && c.contains("SVC-007"),
        "{c}"
    );
    assert_eq!(s.outcome, Outcome::Fail);
}

#[test]
fn a_universal_hash_that_may_be_changed_at_first_use_is_not_proof() {
    let likely = shadow_finding().with_confidence(
        baseliner_model::Confidence::Likely,
        "/etc/shadow lives on a writable overlay and the setup wizard calls passwd",
    );
    let (v, _) = run("etsi-en-303-645", std::slice::from_ref(&likely), None, true);
    let p = get(&v, "5.1-1");
    assert_eq!(p.status, VerdictStatus::Inconclusive);
    assert!(
        p.reasons.iter().any(|r| r.contains("setup wizard")),
        "{:?}",
        p.reasons
    );
    // The manufacturer's description of the first-use change closes it, on their word.
    let d = Declaration::parse(
        "[ics.\"5.1-1\"]\nsupport = \"Y\"\ndetail = \"the setup wizard forces a new root password before any service starts\"\n",
        "d.toml",
    )
    .unwrap();
    let (v, _) = run("etsi-en-303-645", &[likely], Some(&d), true);
    let p = get(&v, "5.1-1");
    assert_eq!(p.status, VerdictStatus::Declared);
    assert!(p.findings.contains(&"CRED-001".to_string()));
}

#[test]
fn recommendations_unmet_feed_4_1() {
    let hard = Finding::new(
        Code::Hard001,
        "12 of 40 ELF files",
        vec![Evidence {
            path: "/bin/busybox".into(),
            ..Default::default()
        }],
    );
    // No ICS at all: the justification cannot be checked.
    let (v, s) = run("etsi-en-303-645", std::slice::from_ref(&hard), None, true);
    assert_eq!(get(&v, "5.6-8").status, VerdictStatus::Unmet);
    assert_eq!(s.fail, 0, "an unmet recommendation is not a failure");
    assert_eq!(s.unmet, 1);
    assert_eq!(get(&v, "4-1").status, VerdictStatus::Inconclusive);
    // An ICS that does not justify it: 4-1 fails.
    let d = Declaration::parse(
        "[ics.\"5.1-4\"]\nsupport = \"Y\"\ndetail = \"the web page lets the user change it\"\n",
        "d.toml",
    )
    .unwrap();
    let (v, _) = run(
        "etsi-en-303-645",
        std::slice::from_ref(&hard),
        Some(&d),
        true,
    );
    let p = get(&v, "4-1");
    assert_eq!(p.status, VerdictStatus::Fail, "{:?}", p.reasons);
    assert!(p.reasons.iter().any(|r| r.contains("5.6-8")));
    // Justified with an N of substance: 4-1 does not fail on it.
    let d = Declaration::parse("[ics.\"5.6-8\"]\nsupport = \"N\"\ndetail = \"the MIPS 24Kc core has no execute-never bit in its MMU\"\n", "d.toml").unwrap();
    let (v, _) = run("etsi-en-303-645", &[hard], Some(&d), true);
    assert_ne!(get(&v, "4-1").status, VerdictStatus::Fail);
}

#[test]
fn the_record_carries_the_declaration_hash_and_answers() {
    let text = "[ics.\"5.1-4\"]\nsupport = \"Y\"\ndetail = \"the web page lets the user change it\"\n[ixit.UpdMech]\nsignature_verification = false\n";
    let d = Declaration::parse(text, "d.toml").unwrap();
    let r = d.record();
    use sha2::Digest;
    assert_eq!(r.sha256, hex::encode(sha2::Sha256::digest(text.as_bytes())));
    assert_eq!(r.ics["5.1-4"].support, "Y");
    assert_eq!(r.ixit["UpdMech"]["signature_verification"], false);
    // And the IXIT statement is used: the manufacturer says updates are not verified.
    let (v, _) = run("etsi-en-303-645", &[], Some(&d), true);
    assert_eq!(get(&v, "5.3-10").status, VerdictStatus::Fail);
    assert!(
        get(&v, "5.3-10")
            .declaration
            .contains(&"ixit.UpdMech.signature_verification".to_string())
    );
}
