//! Findings + declaration (+ later live-probe findings) -> one verdict per provision.
//!
//! The order of evidence is fixed and honest: firmware evidence of a problem is a FAIL
//! whatever the declaration says; the manufacturer's word alone gives DECLARED, never
//! PASS; with neither, the verdict is INCONCLUSIVE and says what is missing.

use baseliner_model::{
    Code, Finding, Obligation, Outcome, Severity, Verdict, VerdictStatus, VerdictSummary, VulnMatch,
};

use crate::catalogue::{Method, Profile, Provision};
use crate::date::Date;
use crate::declaration::{Declaration, Support};

/// Everything a verdict may rest on.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub findings: &'a [Finding],
    pub vulnerabilities: &'a [VulnMatch],
    pub declaration: Option<&'a Declaration>,
    /// The assessment date (expiry and support-period checks).
    pub today: Date,
    /// Whether known vulnerabilities were looked up (a knowledge base was given).
    /// Without one, `VULN-*` codes were never checked and must not read as clean.
    pub vulns_checked: bool,
}

/// A code the evaluation can cite: an inspect finding, or one derived from a vulnerability.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    pub code: Code,
    pub severity: Severity,
    pub text: String,
}

/// Derives VULN-00x citations from vulnerability matches that may affect the product.
pub fn vuln_citations(vulns: &[VulnMatch]) -> Vec<Citation> {
    vulns
        .iter()
        .filter(|v| v.may_affect())
        .map(|v| {
            let code = v.code();
            Citation {
                code,
                severity: code.info().severity,
                text: format!(
                    "{} in {} {}{}",
                    v.id,
                    v.component,
                    v.version,
                    if v.kev { " (CISA KEV)" } else { "" }
                ),
            }
        })
        .collect()
}

fn finding_citations(findings: &[Finding]) -> Vec<Citation> {
    findings
        .iter()
        .map(|f| {
            let at = f
                .evidence
                .iter()
                .take(3)
                .map(|e| e.path.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            Citation {
                code: f.code,
                severity: f.severity,
                text: if at.is_empty() {
                    f.title.clone()
                } else {
                    format!("{} ({at})", f.title)
                },
            }
        })
        .collect()
}

/// Whether a mapping entry names this code: exact, or `FAMILY-*`.
pub fn code_matches(pattern: &str, code: Code) -> bool {
    code.matches(pattern)
}

enum Fact {
    Met(String),
    Missing(String),
    Broken(String),
}

fn fact(name: &str, p: &Profile, decl: Option<&Declaration>, today: Date) -> (Fact, Vec<String>) {
    let Some(d) = decl else {
        return (
            Fact::Missing(format!("no declaration was given to supply `{name}`")),
            vec![],
        );
    };
    match name {
        "disclosure" => {
            let mut fields = vec![];
            let mut missing = vec![];
            match &d.disclosure.contact {
                Some(_) => fields.push("disclosure.contact".to_string()),
                None => missing.push("disclosure.contact"),
            }
            let st_policy = d
                .security_txt
                .as_ref()
                .is_some_and(|s| !s.policies.is_empty());
            match (&d.disclosure.policy_url, st_policy) {
                (Some(_), _) => fields.push("disclosure.policy_url".into()),
                (None, true) => fields.push("disclosure.security_txt".into()),
                (None, false) => missing.push("disclosure.policy_url"),
            }
            for (v, f) in [
                (
                    d.disclosure.acknowledgement_days,
                    "disclosure.acknowledgement_days",
                ),
                (
                    d.disclosure.status_update_days,
                    "disclosure.status_update_days",
                ),
            ] {
                match v {
                    Some(_) => fields.push(f.into()),
                    None => missing.push(f),
                }
            }
            if let Some(st) = &d.security_txt {
                fields.push("disclosure.security_txt".into());
                let problems = st.problems(today);
                if !problems.is_empty() {
                    return (Fact::Missing(problems.join("; ")), fields);
                }
            }
            if missing.is_empty() {
                let contact = d.disclosure.contact.as_deref().unwrap_or_default();
                (
                    Fact::Met(format!(
                        "declared disclosure route: contact {contact}, acknowledgement within {} days, status updates every {} days",
                        d.disclosure.acknowledgement_days.unwrap_or_default(),
                        d.disclosure.status_update_days.unwrap_or_default()
                    )),
                    fields,
                )
            } else {
                (
                    Fact::Missing(format!("the declaration lacks {}", missing.join(", "))),
                    fields,
                )
            }
        }
        "support_period" => match d.support.end_date {
            Some(end) if end < today => (
                Fact::Met(format!(
                    "declared support period ended on {end}, before the assessment date {today}: no further security updates are promised"
                )),
                vec!["support.end_date".into()],
            ),
            Some(end) => (
                Fact::Met(format!("declared support period ends on {end}")),
                vec!["support.end_date".into()],
            ),
            None => (
                Fact::Missing("the declaration lacks support.end_date".into()),
                vec![],
            ),
        },
        "model" => match &d.product.model {
            Some(m) => (
                Fact::Met(format!("declared model designation `{m}`")),
                vec!["product.model".into()],
            ),
            None => (
                Fact::Missing("the declaration lacks product.model".into()),
                vec![],
            ),
        },
        "sbom" => match &d.support.sbom_url {
            Some(u) => (
                Fact::Met(format!("declared SBOM at {u}")),
                vec!["support.sbom_url".into()],
            ),
            None => (
                Fact::Missing("the declaration lacks support.sbom_url".into()),
                vec![],
            ),
        },
        "lab_report" => match &d.lab.report {
            Some(r) => (
                Fact::Met(format!("declared lab report {r}")),
                vec!["lab.report".into()],
            ),
            None => (
                Fact::Missing("the declaration lacks lab.report from an approved lab".into()),
                vec![],
            ),
        },
        "ics_justified" => {
            if d.ics.is_empty() {
                return (
                    Fact::Missing("the declaration has no ICS answers".into()),
                    vec![],
                );
            }
            let unjustified: Vec<&str> = d
                .ics
                .iter()
                .filter(|(_, a)| a.support != Support::Yes && a.detail.trim().is_empty())
                .map(|(id, _)| id.as_str())
                .collect();
            if !unjustified.is_empty() {
                let fields = unjustified
                    .iter()
                    .map(|id| format!("ics.\"{id}\""))
                    .collect();
                return (
                    Fact::Broken(format!(
                        "ICS answers N or N/A without a justification: {}",
                        unjustified.join(", ")
                    )),
                    fields,
                );
            }
            let unanswered: Vec<&str> = p
                .provisions
                .iter()
                .filter(|q| q.obligation == Obligation::Recommended && !d.ics.contains_key(&q.id))
                .map(|q| q.id.as_str())
                .collect();
            if unanswered.is_empty() {
                (
                    Fact::Met("every N or N/A answer in the ICS carries a justification".into()),
                    vec!["ics".into()],
                )
            } else {
                (
                    Fact::Missing(format!(
                        "{} recommendations have no ICS answer, so their justification cannot be checked (first: {})",
                        unanswered.len(),
                        unanswered.first().copied().unwrap_or_default()
                    )),
                    vec!["ics".into()],
                )
            }
        }
        soc if soc.starts_with("soc.") => {
            let s = &d.soc;
            let present = match soc {
                "soc.product" => s.product.is_some(),
                "soc.manufacturer" => s.manufacturer.is_some(),
                "soc.prepared_by" => s.prepared_by.is_some(),
                "soc.compliance" => s.compliance.is_some(),
                "soc.signatory" => s.signatory.is_some(),
                "soc.place_date" => s.place.is_some() && s.date.is_some(),
                _ => false,
            };
            let field = format!("statement_of_compliance.{}", soc.trim_start_matches("soc."));
            if present {
                (Fact::Met(format!("declared in {field}")), vec![field])
            } else {
                (
                    Fact::Missing(format!("the declaration lacks {field}")),
                    vec![],
                )
            }
        }
        other => (
            Fact::Missing(format!("unknown fact `{other}` in the catalogue")),
            vec![],
        ),
    }
}

fn flag_meaning(flag: &str) -> String {
    crate::catalogue::flags()
        .get(flag)
        .cloned()
        .unwrap_or_else(|| flag.to_string())
}

fn verdict(p: &Profile, prov: &Provision, cites: &[Citation], inputs: &Inputs) -> Verdict {
    let mut v = Verdict {
        scheme: p.name.clone(),
        provision: prov.id.clone(),
        status: VerdictStatus::Inconclusive,
        obligation: prov.obligation,
        condition: prov
            .condition
            .clone()
            .or_else(|| (!prov.when.is_empty()).then(|| prov.when.join(" and "))),
        title: prov.title.clone(),
        reasons: vec![],
        findings: vec![],
        declaration: vec![],
    };
    let decl = inputs.declaration;
    let ics = decl.and_then(|d| d.ics.get(&prov.id));
    let ics_field = format!("ics.\"{}\"", prov.id);

    let is_fail_code = |c: &Citation| prov.findings.iter().any(|pat| code_matches(pat, c.code));
    let matching: Vec<&Citation> = cites
        .iter()
        .filter(|c| is_fail_code(c) || prov.notes.iter().any(|pat| code_matches(pat, c.code)))
        .collect();
    for c in &matching {
        if !v.findings.iter().any(|f| f == c.code.as_str()) {
            v.findings.push(c.code.as_str().to_string());
        }
    }
    let (failing, noted): (Vec<&Citation>, Vec<&Citation>) = matching
        .iter()
        .partition(|c| is_fail_code(c) && c.severity >= Severity::Low);
    if !failing.is_empty() {
        v.status = VerdictStatus::Fail;
        for c in failing.iter().take(8) {
            v.reasons.push(format!(
                "firmware shows {} ({}): {}",
                c.code, c.severity, c.text
            ));
        }
        if failing.len() > 8 {
            v.reasons.push(format!("and {} more", failing.len() - 8));
        }
        if ics.is_some_and(|a| a.support != Support::No) {
            v.reasons.push(
                "the declaration's ICS answer is contradicted by this firmware evidence".into(),
            );
            v.declaration.push(ics_field);
        }
        return v;
    }
    for c in noted.iter().take(8) {
        v.reasons
            .push(format!("noted {} ({}): {}", c.code, c.severity, c.text));
    }

    // Applicability from declared condition flags.
    let mut undeclared = vec![];
    if let Some(d) = decl {
        for w in &prov.when {
            let (neg, flag) = match w.strip_prefix('!') {
                Some(f) => (true, f),
                None => (false, w.as_str()),
            };
            match d.conditions.get(flag) {
                Some(&val) if val == neg => {
                    v.status = VerdictStatus::NotApplicable;
                    v.reasons.push(format!(
                        "not applicable: the declaration sets conditions.{flag} = {val} ({})",
                        flag_meaning(flag)
                    ));
                    v.declaration.push(format!("conditions.{flag}"));
                    return v;
                }
                Some(_) => v.declaration.push(format!("conditions.{flag}")),
                None => undeclared.push(flag),
            }
        }
    } else {
        undeclared.extend(prov.when.iter().map(|w| w.trim_start_matches('!')));
    }

    if let Some(a) = ics {
        match a.support {
            Support::NotApplicable if prov.is_conditional() => {
                v.status = VerdictStatus::NotApplicable;
                v.reasons.push(format!(
                    "not applicable per the ICS: {}",
                    nonempty(&a.detail)
                ));
                v.declaration.push(ics_field);
                return v;
            }
            Support::NotApplicable => {
                v.reasons.push(
                    "the ICS answers N/A, which is allowed only for conditional provisions".into(),
                );
                v.declaration.push(ics_field);
                return v;
            }
            Support::No => {
                v.status = VerdictStatus::Fail;
                v.reasons.push(format!(
                    "the manufacturer declares it is not met: {}",
                    nonempty(&a.detail)
                ));
                v.declaration.push(ics_field);
                return v;
            }
            Support::Yes => {}
        }
    }

    if !prov.facts.is_empty() {
        let mut all_met = true;
        let mut broken = false;
        for name in &prov.facts {
            let (f, fields) = fact(name, p, decl, inputs.today);
            v.declaration.extend(fields);
            match f {
                Fact::Met(r) => v.reasons.push(r),
                Fact::Missing(r) => {
                    all_met = false;
                    v.reasons.push(r);
                }
                Fact::Broken(r) => {
                    broken = true;
                    v.reasons.push(r);
                }
            }
        }
        v.status = if broken {
            VerdictStatus::Fail
        } else if all_met {
            VerdictStatus::Declared
        } else {
            VerdictStatus::Inconclusive
        };
        if let Some(a) = ics {
            v.declaration.push(ics_field);
            v.reasons.push(format!("ICS: {}", nonempty(&a.detail)));
        }
        return v;
    }

    if let Some(a) = ics {
        v.declaration.push(ics_field);
        if a.detail.trim().is_empty() {
            v.reasons
                .push("the ICS answers Y but does not describe the measures taken".into());
        } else {
            v.status = VerdictStatus::Declared;
            v.reasons
                .push(format!("declared in the ICS: {}", a.detail.trim()));
        }
        return v;
    }

    if prov.checked_by.contains(&Method::Firmware) && !prov.findings.is_empty() {
        let (vuln, other): (Vec<&String>, Vec<&String>) =
            prov.findings.iter().partition(|c| c.starts_with("VULN-"));
        let checked: Vec<&str> = other
            .iter()
            .chain(if inputs.vulns_checked { &vuln[..] } else { &[] })
            .map(|c| c.as_str())
            .collect();
        if !checked.is_empty() {
            v.reasons.push(format!(
                "firmware checks for {} found nothing, which does not by itself prove conformance",
                checked.join(", ")
            ));
        }
        if !inputs.vulns_checked && !vuln.is_empty() {
            v.reasons.push(
                "known vulnerabilities were not checked: no knowledge base was given (baseliner db import)"
                    .into(),
            );
        }
    }
    if prov.checked_by.contains(&Method::Live) {
        v.reasons.push("needs a test against a live device".into());
    }
    v.reasons
        .push(format!("needs the manufacturer's ICS answer ({ics_field})"));
    if !undeclared.is_empty() {
        v.reasons.push(format!(
            "the declaration does not say whether {} (conditions.{})",
            undeclared
                .iter()
                .map(|f| flag_meaning(f))
                .collect::<Vec<_>>()
                .join(" / "),
            undeclared.join(", conditions.")
        ));
    }
    v
}

fn nonempty(s: &str) -> &str {
    let t = s.trim();
    if t.is_empty() { "(no detail given)" } else { t }
}

/// One verdict per provision of the profile, in catalogue order.
pub fn evaluate(profile: &Profile, inputs: &Inputs) -> Vec<Verdict> {
    let mut cites = finding_citations(inputs.findings);
    cites.extend(vuln_citations(inputs.vulnerabilities));
    profile
        .provisions
        .iter()
        .map(|prov| verdict(profile, prov, &cites, inputs))
        .collect()
}

fn acceptable(s: VerdictStatus) -> bool {
    matches!(
        s,
        VerdictStatus::Pass | VerdictStatus::Declared | VerdictStatus::NotApplicable
    )
}

/// Counts, overall outcome and (for levelled schemes) the level reached.
pub fn summarize(profile: &Profile, verdicts: &[Verdict]) -> VerdictSummary {
    let mut s = VerdictSummary::default();
    for v in verdicts {
        match v.status {
            VerdictStatus::Pass => s.pass += 1,
            VerdictStatus::Fail => s.fail += 1,
            VerdictStatus::Inconclusive => s.inconclusive += 1,
            VerdictStatus::NotApplicable => s.not_applicable += 1,
            VerdictStatus::Declared => s.declared += 1,
        }
        if v.obligation == Obligation::Mandatory {
            match v.status {
                VerdictStatus::Fail => s.mandatory_fail += 1,
                VerdictStatus::Inconclusive => s.mandatory_inconclusive += 1,
                _ => {}
            }
        }
    }
    s.outcome = if s.mandatory_fail > 0 {
        Outcome::Fail
    } else if s.mandatory_inconclusive > 0 {
        Outcome::Incomplete
    } else {
        Outcome::Met
    };
    if let Some(max) = profile.level {
        let mut reached = 0;
        for level in 1..=max {
            let ok = profile
                .provisions
                .iter()
                .zip(verdicts)
                .filter(|(p, _)| p.level.is_some_and(|l| l <= level))
                .all(|(p, v)| p.obligation != Obligation::Mandatory || acceptable(v.status));
            if !ok {
                break;
            }
            reached = level;
        }
        s.level = Some(reached);
    }
    s
}
