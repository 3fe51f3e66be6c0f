//! Every mapping row of every scheme, run both ways: with the evidence the row names
//! (the provision must FAIL or be UNMET for a proof row, INCONCLUSIVE for an indication,
//! unchanged for context) and without it (never FAIL or UNMET). Proof rows also run with
//! weaker confidence (INCONCLUSIVE, not FAIL) and with their `unless` codes present
//! (lifted). IXIT rows run with the stated fact and its opposite.

use baseliner_baseline::catalogue::{self, PROFILES};
use baseliner_baseline::{Date, Declaration, EvidenceRow, Inputs, Provision, Role, evaluate};
use baseliner_model::{
    Code, Confidence, Evidence, Finding, IdentitySource, Obligation, Severity, Verdict,
    VerdictStatus, VexStatus, VulnMatch,
};

fn today() -> Date {
    Date::parse("2026-11-23").unwrap()
}

fn build_date() -> Date {
    Date::parse("2026-01-01").unwrap()
}

fn finding(code: Code, confidence: Confidence) -> Finding {
    let mut f = Finding::new(
        code,
        "test",
        vec![Evidence {
            path: "/etc/x".into(),
            provenance: "img@0x0:squashfs:/etc/x".into(),
            sha256: "00".repeat(32),
            ..Default::default()
        }],
    );
    if confidence != Confidence::Certain {
        f = f.with_confidence(confidence, "the test says so");
    }
    f
}

/// A vulnerability match classified as `code`, published before the build date.
fn vuln(code: Code) -> VulnMatch {
    VulnMatch {
        id: "CVE-2025-0001".into(),
        component: "busybox".into(),
        version: "1.01".into(),
        rule: "test".into(),
        identity_source: IdentitySource::BinaryString,
        cvss_score: Some(if code == Code::Vuln002 { 9.8 } else { 5.0 }),
        cvss_severity: None,
        kev: code == Code::Vuln001,
        published: Some("2025-01-01".into()),
        summary: String::new(),
        vex_status: VexStatus::Affected,
        vex_justification: None,
    }
}

/// Findings and matches carrying `codes` (a `FAMILY-*` pattern takes its first code).
fn evidence_for(codes: &[&str], confidence: Confidence) -> (Vec<Finding>, Vec<VulnMatch>) {
    let mut f = vec![];
    let mut v = vec![];
    for pattern in codes {
        let code = *Code::ALL
            .iter()
            .find(|c| c.matches(pattern))
            .unwrap_or_else(|| panic!("no code for {pattern}"));
        if code.as_str().starts_with("VULN-") {
            let mut m = vuln(code);
            if confidence != Confidence::Certain {
                m.vex_status = VexStatus::UnderInvestigation;
            }
            v.push(m);
        } else {
            f.push(finding(code, confidence));
        }
    }
    (f, v)
}

fn verdict_of(
    profile: &str,
    prov: &Provision,
    f: &[Finding],
    v: &[VulnMatch],
    decl: Option<&Declaration>,
) -> Verdict {
    let p = catalogue::profile(profile).unwrap();
    evaluate(
        &p,
        &Inputs {
            findings: f,
            vulnerabilities: v,
            declaration: decl,
            live_tests: &[],
            today: today(),
            build_date: Some(build_date()),
            vulns_checked: true,
        },
    )
    .into_iter()
    .find(|x| x.provision == prov.id)
    .unwrap()
}

fn not_met(prov: &Provision) -> VerdictStatus {
    match prov.obligation {
        Obligation::Mandatory => VerdictStatus::Fail,
        Obligation::Recommended => VerdictStatus::Unmet,
    }
}

fn bad(s: VerdictStatus) -> bool {
    matches!(s, VerdictStatus::Fail | VerdictStatus::Unmet)
}

fn check_code_row(profile: &str, prov: &Provision, row: &EvidenceRow) -> usize {
    let code = row.code.as_deref().unwrap();
    let label = format!("{profile} {} {code} ({})", prov.id, row.role.as_str());
    let (f, v) = evidence_for(&[code], Confidence::Certain);
    let decides = f.iter().all(|x| x.severity >= Severity::Low);
    let with = verdict_of(profile, prov, &f, &v, None);
    match (row.role, decides) {
        (Role::Proof, true) => {
            assert_eq!(with.status, not_met(prov), "{label}: {:#?}", with.reasons);
            assert!(
                with.findings
                    .iter()
                    .any(|c| Code::ALL.iter().any(|k| k.matches(code) && c == k.as_str())),
                "{label}"
            );
            // Weaker confidence: evidence, not proof.
            let (fw, vw) = evidence_for(&[code], Confidence::Likely);
            let weak = verdict_of(profile, prov, &fw, &vw, None);
            assert!(!bad(weak.status), "{label} likely: {:?}", weak.status);
            // An `unless` code lifts the row.
            if !row.unless.is_empty() {
                let mut codes = vec![code];
                codes.extend(row.unless.iter().map(String::as_str));
                let (fu, vu) = evidence_for(&codes, Confidence::Certain);
                let lifted = verdict_of(profile, prov, &fu, &vu, None);
                assert!(
                    !bad(lifted.status),
                    "{label} with {:?}: {:?}",
                    row.unless,
                    lifted.status
                );
            }
        }
        (Role::Indication, true) => {
            assert_eq!(with.status, VerdictStatus::Inconclusive, "{label}");
            assert!(!with.findings.is_empty(), "{label}");
        }
        _ => {
            assert!(!bad(with.status), "{label}: {:?}", with.reasons);
        }
    }
    // Without the evidence the provision never fails.
    let without = verdict_of(profile, prov, &[], &[], None);
    assert!(
        !bad(without.status),
        "{label} without: {:?}",
        without.status
    );
    1
}

fn check_ixit_row(profile: &str, prov: &Provision, row: &EvidenceRow) -> usize {
    let field = row.ixit.as_deref().unwrap();
    let (table, key) = field.split_once('.').unwrap();
    let value = row.equals.clone().unwrap();
    let label = format!("{profile} {} ixit {field}", prov.id);
    let text = format!("[ixit.{table}]\n{key} = {value}\n");
    let d = Declaration::parse(&text, "d.toml").unwrap();
    let with = verdict_of(profile, prov, &[], &[], Some(&d));
    if row.role == Role::Proof {
        assert_eq!(with.status, not_met(prov), "{label}: {:#?}", with.reasons);
    }
    let opposite = match value {
        toml::Value::Boolean(b) => toml::Value::Boolean(!b),
        _ => toml::Value::String("something else".into()),
    };
    let d = Declaration::parse(&format!("[ixit.{table}]\n{key} = {opposite}\n"), "d.toml").unwrap();
    let other = verdict_of(profile, prov, &[], &[], Some(&d));
    assert!(!bad(other.status), "{label} opposite: {:?}", other.status);
    1
}

#[test]
fn every_mapping_row_fails_with_its_evidence_and_not_without() {
    let mut rows = 0;
    for profile in PROFILES {
        let p = catalogue::profile(profile).unwrap();
        for prov in &p.provisions {
            for row in &prov.evidence {
                rows += if row.ixit.is_some() {
                    check_ixit_row(profile, prov, row)
                } else {
                    check_code_row(profile, prov, row)
                };
            }
        }
    }
    // Every scheme's rows, gateway profiles included.
    assert!(rows > 300, "only {rows} rows checked");
}
