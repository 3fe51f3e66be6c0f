//! Findings + declaration + live tests -> one verdict per provision.
//!
//! The order is fixed, and each step says what the verdict rests on:
//! 1. applicability: a provision the declaration shows does not apply is NOT_APPLICABLE,
//!    unless certain evidence contradicts that, which is reported naming both;
//! 2. certain evidence of non-conformance (a firmware finding the mapping calls proof, a
//!    failed live test, the manufacturer's own IXIT or ICS "N") gives FAIL, or UNMET for a
//!    recommendation; the manufacturer's "Y" never outweighs it;
//! 3. weaker evidence gives INCONCLUSIVE with the finding attached and the reason, unless
//!    the ICS answers it with substance (then DECLARED, the evidence cited);
//! 4. a complete live test that passed gives PASS, naming the test and its scope;
//! 5. the manufacturer's word alone (facts, ICS "Y" with substance) gives DECLARED,
//!    never PASS; "known vulnerabilities not checked" is never overridden by it;
//! 6. otherwise INCONCLUSIVE, saying what is missing.

use baseliner_model::{
    Basis, Code, Confidence, Finding, IdentitySource, LiveTest, Obligation, Outcome, Severity,
    TestOutcome, Verdict, VerdictStatus, VerdictSummary, VexStatus, VulnMatch,
};

use crate::catalogue::{EvidenceRow, Method, Profile, Provision, Role};
use crate::date::Date;
use crate::declaration::{Declaration, Support, substantive};

/// Everything a verdict may rest on.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub findings: &'a [Finding],
    pub vulnerabilities: &'a [VulnMatch],
    pub declaration: Option<&'a Declaration>,
    /// Live tests of a lab device, when a probe ran.
    pub live_tests: &'a [LiveTest],
    /// The assessment date (expiry and support-period checks).
    pub today: Date,
    /// When the firmware was built, where the image says: a vulnerability published
    /// after it is current risk but no evidence that updates were late.
    pub build_date: Option<Date>,
    /// Whether known vulnerabilities were looked up (a knowledge base was given).
    /// Without one, `VULN-*` codes were never checked and must not read as clean.
    pub vulns_checked: bool,
}

/// A finding, a vulnerability match or a live result the evaluation can cite.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    pub code: Code,
    pub severity: Severity,
    pub confidence: Confidence,
    /// Why the confidence is what it is, when not certain.
    pub confidence_reason: Option<String>,
    pub text: String,
    pub basis: Basis,
    /// Publication date, for vulnerability citations.
    pub published: Option<Date>,
}

/// VULN-00x citations from vulnerability matches that may affect the product.
pub fn vuln_citations(vulns: &[VulnMatch]) -> Vec<Citation> {
    vulns
        .iter()
        .filter(|v| v.may_affect())
        .map(|v| {
            let code = v.code();
            let (confidence, confidence_reason) = match v.vex_status {
                // A kernel's version read from the binary (banner, modules folder) is not
                // proof: SoC and vendor kernels take fixes without changing the version.
                VexStatus::Affected
                    if v.component == "linux" && v.identity_source != IdentitySource::PackageDb =>
                {
                    (
                        Confidence::Likely,
                        Some(format!(
                            "the kernel version {} is read from the image ({}), and vendor kernels often carry backported fixes without changing it",
                            v.version,
                            v.identity_source.as_str()
                        )),
                    )
                }
                VexStatus::Affected => (Confidence::Certain, None),
                _ => (
                    Confidence::Possible,
                    Some(format!("the match is under investigation: {}", v.rule)),
                ),
            };
            Citation {
                code,
                severity: code.info().severity,
                confidence,
                confidence_reason,
                text: format!(
                    "{} in {} {}{}",
                    v.id,
                    v.component,
                    v.version,
                    if v.kev { " (CISA KEV)" } else { "" }
                ),
                basis: Basis::KnowledgeBase,
                published: v.published.as_deref().and_then(Date::parse),
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
                .map(|e| match &e.host {
                    Some(h) => e.provenance.clone().max(h.clone()),
                    None => e.path.clone(),
                })
                .collect::<Vec<_>>()
                .join(", ");
            let live = f.evidence.iter().any(|e| e.host.is_some());
            Citation {
                code: f.code,
                severity: f.severity,
                confidence: f.confidence,
                confidence_reason: f.confidence_reason.clone(),
                text: if at.is_empty() {
                    f.title.clone()
                } else {
                    format!("{} ({at})", f.title)
                },
                basis: if live {
                    Basis::LiveTest
                } else {
                    Basis::Firmware
                },
                published: None,
            }
        })
        .collect()
}

/// Whether a mapping entry names this code: exact, or `FAMILY-*`.
pub fn code_matches(pattern: &str, code: Code) -> bool {
    code.matches(pattern)
}

/// A piece of evidence matched to one mapping row.
struct Cited<'a> {
    row: &'a EvidenceRow,
    /// The citation (absent for an IXIT row, which cites the declaration).
    cite: Option<&'a Citation>,
    /// The effective role after `unless`, severity and timing rules.
    role: Role,
    certain: bool,
    note: Option<String>,
}

impl Cited<'_> {
    fn code(&self) -> String {
        match self.cite {
            Some(c) => c.code.as_str().to_string(),
            None => self.row.subject(),
        }
    }

    fn describe(&self) -> String {
        let why = &self.row.why;
        match self.cite {
            Some(c) => {
                let conf = match (c.confidence, &c.confidence_reason) {
                    (Confidence::Certain, _) => String::new(),
                    (k, Some(r)) => format!(", {k}: {r}"),
                    (k, None) => format!(", {k}"),
                };
                let note = self
                    .note
                    .as_ref()
                    .map(|n| format!("; {n}"))
                    .unwrap_or_default();
                format!(
                    "{} {} ({}{conf}): {} — {why}{note}",
                    match c.basis {
                        Basis::LiveTest => "a live test shows",
                        Basis::KnowledgeBase => "the knowledge base lists",
                        _ => "firmware shows",
                    },
                    c.code,
                    c.severity,
                    c.text
                )
            }
            None => format!("the declaration states {} — {why}", self.row.subject()),
        }
    }

    fn basis(&self) -> Basis {
        self.cite.map_or(Basis::Declaration, |c| c.basis)
    }
}

fn ixit_matches(row: &EvidenceRow, decl: Option<&Declaration>) -> bool {
    let (Some(field), Some(want), Some(d)) = (&row.ixit, &row.equals, decl) else {
        return false;
    };
    d.ixit_value(field).is_some_and(|v| v == want)
}

/// Matches every mapping row of `prov` against the evidence.
fn cite<'a>(prov: &'a Provision, cites: &'a [Citation], inputs: &Inputs) -> Vec<Cited<'a>> {
    let present = |pattern: &str| {
        cites
            .iter()
            .any(|c| code_matches(pattern, c.code) && c.confidence >= Confidence::Likely)
    };
    let mut out = vec![];
    for row in &prov.evidence {
        if row.ixit.is_some() {
            if ixit_matches(row, inputs.declaration) {
                out.push(Cited {
                    row,
                    cite: None,
                    role: row.role,
                    certain: true,
                    note: None,
                });
            }
            continue;
        }
        let Some(pattern) = &row.code else { continue };
        let lifted = row.unless.iter().find(|u| present(u));
        for c in cites.iter().filter(|c| code_matches(pattern, c.code)) {
            let mut role = row.role;
            let mut note = None;
            if let Some(u) = lifted
                && role != Role::Context
            {
                note = Some(format!(
                    "{u} is also found, so this does not count against the provision"
                ));
                role = Role::Context;
            }
            // Informational findings never decide a status.
            if c.severity < Severity::Low && role != Role::Context {
                role = Role::Context;
            }
            // For timeliness, a vulnerability published after the firmware was built is
            // current risk, not evidence that updates were late.
            if timing_row(prov) && c.code.family() == baseliner_model::Family::Vulnerabilities {
                match (c.published, inputs.build_date) {
                    (Some(p), Some(b)) if p > b => {
                        role = Role::Context;
                        note = Some(format!(
                            "published {p}, after the firmware was built ({b}): current risk, not evidence of late updates"
                        ));
                    }
                    (Some(p), Some(b)) => {
                        note = Some(format!(
                            "published {p}, before the firmware was built ({b})"
                        ));
                    }
                    _ if role == Role::Proof => {
                        role = Role::Indication;
                        note = Some(
                            "the build date or the publication date is unknown, so whether it was public when the firmware was built cannot be told"
                                .into(),
                        );
                    }
                    _ => {}
                }
            }
            out.push(Cited {
                row,
                cite: Some(c),
                role,
                certain: c.confidence == Confidence::Certain,
                note,
            });
        }
    }
    out
}

/// Provisions about the timeliness of fixes, where a vulnerability counts only if it
/// was public when the firmware was built.
fn timing_row(prov: &Provision) -> bool {
    const TIMELY: &[&str] = &["5.3-8", "5.2-3", "II-2", "II-8"];
    TIMELY.contains(&prov.id.as_str())
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
                    Some(n) if n > 0 => fields.push(f.into()),
                    Some(_) => {
                        return (
                            Fact::Missing(format!("{f} = 0 is not a timeline")),
                            vec![f.into()],
                        );
                    }
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
                Fact::Broken(format!(
                    "the declared support period ended on {end}, before the assessment date {today}: no security updates are promised any more"
                )),
                vec!["support.end_date".into()],
            ),
            Some(end) => match &d.support.published_at {
                Some(url) if url.to_ascii_lowercase().starts_with("https://") => (
                    Fact::Met(format!(
                        "declared support period ends on {end}, published at {url}"
                    )),
                    vec!["support.end_date".into(), "support.published_at".into()],
                ),
                Some(url) => (
                    Fact::Missing(format!(
                        "support.published_at `{url}` is not an https:// address where the support period is published"
                    )),
                    vec!["support.end_date".into(), "support.published_at".into()],
                ),
                None => (
                    Fact::Missing(format!(
                        "the declared support period ends on {end}, but the declaration does not say where it is published (support.published_at)"
                    )),
                    vec!["support.end_date".into()],
                ),
            },
            None => (
                Fact::Missing("the declaration lacks support.end_date".into()),
                vec![],
            ),
        },
        "model" => match &d.product.model {
            Some(m) if !m.trim().is_empty() => (
                Fact::Met(format!("declared model designation `{m}`")),
                vec!["product.model".into()],
            ),
            _ => (
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
        "lab_report" => {
            let l = &d.lab;
            match (&l.report_id, l.report_verified) {
                (Some(id), true) => (
                    Fact::Met(format!(
                        "lab report {id}{} referenced, its file's SHA-256 verified (baseliner does not judge the lab's findings)",
                        l.name
                            .as_ref()
                            .map(|n| format!(" by {n}"))
                            .unwrap_or_default()
                    )),
                    vec![
                        "lab.report_id".into(),
                        "lab.report_file".into(),
                        "lab.report_sha256".into(),
                    ],
                ),
                (Some(id), false) => (
                    Fact::Missing(format!(
                        "lab report {id} is referenced but its file could not be read or its SHA-256 does not match (lab.report_file, lab.report_sha256)"
                    )),
                    vec!["lab.report_id".into()],
                ),
                (None, _) if l.report.is_some() => (
                    Fact::Missing(
                        "lab.report is free text, which is not evidence: give lab.report_id, lab.report_file and lab.report_sha256 of a report from an approved lab"
                            .into(),
                    ),
                    vec!["lab.report".into()],
                ),
                (None, _) => (
                    Fact::Missing(
                        "the declaration references no report from an approved lab (lab.report_id, lab.report_file, lab.report_sha256)"
                            .into(),
                    ),
                    vec![],
                ),
            }
        }
        "ics_justified" => ics_justified(p, d),
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

/// 4-1: every N or N/A answer justified with substance, every recommendation answered.
fn ics_justified(p: &Profile, d: &Declaration) -> (Fact, Vec<String>) {
    if d.ics.is_empty() {
        return (
            Fact::Missing("the declaration has no ICS answers".into()),
            vec![],
        );
    }
    let unjustified: Vec<&str> = d
        .ics
        .iter()
        .filter(|(_, a)| a.support != Support::Yes && !substantive(&a.detail))
        .map(|(id, _)| id.as_str())
        .collect();
    if !unjustified.is_empty() {
        let fields = unjustified
            .iter()
            .map(|id| format!("ics.\"{id}\""))
            .collect();
        return (
            Fact::Broken(format!(
                "ICS answers N or N/A without a justification of substance: {}",
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

fn flag_meaning(flag: &str) -> String {
    crate::catalogue::flags()
        .get(flag)
        .cloned()
        .unwrap_or_else(|| flag.to_string())
}

fn nonempty(s: &str) -> &str {
    let t = s.trim();
    if t.is_empty() { "(no detail given)" } else { t }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// The status for evidence of non-conformance, by obligation.
fn not_met(prov: &Provision) -> VerdictStatus {
    match prov.obligation {
        Obligation::Mandatory => VerdictStatus::Fail,
        Obligation::Recommended => VerdictStatus::Unmet,
    }
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
        basis: vec![],
        findings: vec![],
        context: vec![],
        tests: vec![],
        declaration: vec![],
        contradiction: None,
        test_group: prov.test_group.clone(),
    };
    let decl = inputs.declaration;
    let ics = decl.and_then(|d| d.ics.get(&prov.id));
    let ics_field = format!("ics.\"{}\"", prov.id);
    let cited = cite(prov, cites, inputs);

    let firm: Vec<&Cited> = cited
        .iter()
        .filter(|c| c.role == Role::Proof && c.certain)
        .collect();
    let weak: Vec<&Cited> = cited
        .iter()
        .filter(|c| (c.role == Role::Proof && !c.certain) || c.role == Role::Indication)
        .collect();
    for c in cited.iter().filter(|c| c.role == Role::Context) {
        push_unique(&mut v.context, c.code());
    }
    // Live tests that bear on the provision.
    let mut failed_tests = vec![];
    let mut complete_passed = vec![];
    let mut complete_wanted = 0;
    for row in &prov.tests {
        if row.complete {
            complete_wanted += 1;
        }
        let Some(t) = inputs.live_tests.iter().find(|t| t.id == row.id) else {
            continue;
        };
        push_unique(&mut v.tests, t.id.clone());
        match t.outcome {
            TestOutcome::Failed => failed_tests.push((row, t)),
            TestOutcome::Passed if row.complete => complete_passed.push((row, t)),
            TestOutcome::Passed => v.reasons.push(format!(
                "live test {} passed on {} ({}), which is evidence but not a complete test of the provision",
                t.id, t.host, t.scope
            )),
            TestOutcome::Incomplete => v.reasons.push(format!(
                "live test {} did not cover its scope on {} ({}): it proves nothing either way",
                t.id,
                t.host,
                t.details.first().map(String::as_str).unwrap_or(&t.scope)
            )),
        }
    }

    // 1. Applicability.
    let mut undeclared = vec![];
    let mut na_reason: Option<(String, String)> = None;
    if let Some(d) = decl {
        for w in &prov.when {
            let (neg, flag) = match w.strip_prefix('!') {
                Some(f) => (true, f),
                None => (false, w.as_str()),
            };
            match d.conditions.get(flag) {
                Some(&val) if val == neg && na_reason.is_none() => {
                    na_reason = Some((
                        format!(
                            "the declaration sets conditions.{flag} = {val} ({})",
                            flag_meaning(flag)
                        ),
                        format!("conditions.{flag}"),
                    ));
                }
                Some(_) => v.declaration.push(format!("conditions.{flag}")),
                None => undeclared.push(flag),
            }
        }
    } else {
        undeclared.extend(prov.when.iter().map(|w| w.trim_start_matches('!')));
    }
    if na_reason.is_none()
        && let Some(a) = ics.filter(|a| a.support == Support::NotApplicable)
    {
        if !prov.is_conditional() {
            v.reasons.push(
                "the ICS answers N/A, which is allowed only for conditional provisions".into(),
            );
            v.declaration.push(ics_field.clone());
        } else if !substantive(&a.detail) {
            v.reasons.push(format!(
                "the ICS answers N/A without a justification of substance (\"{}\"), so it is not honoured",
                a.detail.trim()
            ));
            v.declaration.push(ics_field.clone());
        } else {
            na_reason = Some((
                format!("the ICS answers N/A: {}", a.detail.trim()),
                ics_field.clone(),
            ));
        }
    }
    if let Some((why, field)) = na_reason {
        v.declaration.push(field);
        push_unique(&mut v.basis, Basis::Declaration);
        let against: Vec<&&Cited> = firm.iter().chain(&weak).collect();
        if against.iter().any(|c| c.certain) || !failed_tests.is_empty() {
            v.status = VerdictStatus::Inconclusive;
            let shown: Vec<String> = against.iter().map(|c| c.code()).collect();
            v.contradiction = Some(format!(
                "not applicable per the declaration ({why}), but the evidence shows {} bearing on it",
                if shown.is_empty() {
                    "a failed live test".to_string()
                } else {
                    shown.join(", ")
                }
            ));
            v.reasons.push(format!(
                "contradiction: {}; neither is taken on trust, resolve it",
                v.contradiction.clone().unwrap_or_default()
            ));
            for c in against {
                push_unique(&mut v.findings, c.code());
                v.reasons.push(c.describe());
                push_unique(&mut v.basis, c.basis());
            }
        } else {
            v.status = VerdictStatus::NotApplicable;
            v.reasons.push(format!("not applicable: {why}"));
        }
        return v;
    }

    // 2. Certain evidence of non-conformance.
    if !firm.is_empty() || !failed_tests.is_empty() {
        v.status = not_met(prov);
        for c in firm.iter().take(8) {
            v.reasons.push(c.describe());
            push_unique(&mut v.findings, c.code());
            push_unique(&mut v.basis, c.basis());
            if c.cite.is_none() {
                v.declaration
                    .push(format!("ixit.{}", c.row.ixit.clone().unwrap_or_default()));
            }
        }
        if firm.len() > 8 {
            v.reasons.push(format!("and {} more", firm.len() - 8));
        }
        for (row, t) in &failed_tests {
            v.reasons.push(format!(
                "live test {} failed on {} ({}): {}",
                t.id, t.host, t.scope, row.why
            ));
            for c in &t.findings {
                push_unique(&mut v.findings, c.as_str().to_string());
            }
            push_unique(&mut v.basis, Basis::LiveTest);
        }
        if let Some(a) = ics.filter(|a| a.support != Support::No) {
            let contra = format!(
                "the ICS answers {} for {}, but the evidence shows non-conformance; the evidence is taken over the manufacturer's word",
                if a.support == Support::Yes {
                    "Y"
                } else {
                    "N/A"
                },
                prov.id
            );
            v.reasons.push(contra.clone());
            v.contradiction = Some(contra);
            v.declaration.push(ics_field);
        }
        return v;
    }

    // The manufacturer's own "not met".
    if let Some(a) = ics.filter(|a| a.support == Support::No) {
        v.status = not_met(prov);
        v.reasons.push(format!(
            "the manufacturer declares it is not met: {}",
            nonempty(&a.detail)
        ));
        v.declaration.push(ics_field);
        v.basis.push(Basis::IcsAnswer);
        return v;
    }

    let has_vuln_rows = prov
        .evidence
        .iter()
        .any(|r| r.code.as_deref().is_some_and(|c| c.starts_with("VULN-")));
    let not_checked = has_vuln_rows && !inputs.vulns_checked;
    if not_checked {
        v.reasons.push(
            "known vulnerabilities were not checked: no knowledge base was given, so this cannot be DECLARED or PASS (baseliner db update / db import)"
                .into(),
        );
    }
    let ics_yes = ics.filter(|a| a.support == Support::Yes);
    let ics_substantive = ics_yes.is_some_and(|a| substantive(&a.detail));

    // 3. Weaker evidence.
    if !weak.is_empty() {
        for c in weak.iter().take(8) {
            v.reasons.push(format!(
                "{}, which suggests non-conformance but does not prove it",
                c.describe()
            ));
            push_unique(&mut v.findings, c.code());
            push_unique(&mut v.basis, c.basis());
        }
        if let (true, Some(a), false) = (ics_substantive, ics_yes, not_checked) {
            v.status = VerdictStatus::Declared;
            v.reasons.push(format!(
                "the ICS answers Y and describes the measures, which closes the weaker evidence above on the manufacturer's word: {}",
                a.detail.trim()
            ));
            v.declaration.push(ics_field);
            push_unique(&mut v.basis, Basis::IcsAnswer);
        } else {
            v.status = VerdictStatus::Inconclusive;
            v.reasons.push(match ics_yes {
                Some(_) => "the ICS answers Y, but without a description of substance that would answer the evidence above".to_string(),
                None => format!("the manufacturer's ICS answer ({ics_field}) or a live test could settle it"),
            });
        }
        return v;
    }

    // 4. A complete live test that passed.
    if complete_wanted > 0 && complete_passed.len() == complete_wanted && !not_checked {
        v.status = VerdictStatus::Pass;
        for (row, t) in &complete_passed {
            v.reasons.push(format!(
                "live test {} passed on {} over its whole scope ({}): {}",
                t.id, t.host, t.scope, row.why
            ));
        }
        v.basis.push(Basis::LiveTest);
        if prov.checked_by.contains(&Method::Firmware) {
            v.basis.push(Basis::Firmware);
            v.reasons
                .push("and the firmware shows nothing against it".to_string());
        }
        return v;
    }

    // 5. The manufacturer's word.
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
            not_met(prov)
        } else if all_met && !not_checked {
            VerdictStatus::Declared
        } else {
            VerdictStatus::Inconclusive
        };
        if decl.is_some() {
            v.basis.push(Basis::Declaration);
        }
        if let Some(a) = ics {
            v.declaration.push(ics_field);
            v.reasons.push(format!("ICS: {}", nonempty(&a.detail)));
        }
        return v;
    }
    if let Some(a) = ics_yes {
        v.declaration.push(ics_field);
        v.basis.push(Basis::IcsAnswer);
        if !ics_substantive {
            v.reasons.push(format!(
                "the ICS answers Y but does not describe the measures taken (\"{}\")",
                a.detail.trim()
            ));
        } else if not_checked {
            v.reasons
                .push(format!("declared in the ICS: {}", a.detail.trim()));
        } else {
            v.status = VerdictStatus::Declared;
            v.reasons
                .push(format!("declared in the ICS: {}", a.detail.trim()));
        }
        return v;
    }

    // 6. Nothing settles it.
    if prov.checked_by.contains(&Method::Firmware) && !prov.evidence.is_empty() {
        let (vuln, other): (Vec<String>, Vec<String>) = prov
            .evidence
            .iter()
            .filter(|r| r.role != Role::Context)
            .map(EvidenceRow::subject)
            .partition(|c| c.starts_with("VULN-"));
        let checked: Vec<String> = other
            .into_iter()
            .chain(if inputs.vulns_checked { vuln } else { vec![] })
            .collect();
        if !checked.is_empty() {
            v.reasons.push(format!(
                "firmware checks for {} found nothing, which does not by itself prove conformance",
                checked.join(", ")
            ));
            v.basis.push(Basis::Firmware);
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

/// 4-1 (5.0-1 in V3): fails when the evidence shows a recommendation unmet that the
/// ICS does not justify with an N or N/A answer of substance.
fn justify_recommendations(v: &mut Verdict, verdicts: &[Verdict], decl: Option<&Declaration>) {
    let unmet: Vec<&Verdict> = verdicts
        .iter()
        .filter(|x| x.status == VerdictStatus::Unmet)
        .collect();
    if unmet.is_empty() || v.status == VerdictStatus::NotApplicable {
        return;
    }
    let justified = |id: &str| {
        decl.and_then(|d| d.ics.get(id))
            .is_some_and(|a| a.support != Support::Yes && substantive(&a.detail))
    };
    let open: Vec<&&Verdict> = unmet.iter().filter(|x| !justified(&x.provision)).collect();
    let list = open
        .iter()
        .map(|x| format!("{} ({})", x.provision, x.findings.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    if open.is_empty() {
        v.reasons.push(format!(
            "the evidence shows {} recommendations unmet, each justified in the ICS",
            unmet.len()
        ));
        return;
    }
    push_unique(&mut v.basis, Basis::Firmware);
    for x in &open {
        for f in &x.findings {
            push_unique(&mut v.findings, f.clone());
        }
    }
    if decl.is_some_and(|d| !d.ics.is_empty()) {
        v.status = VerdictStatus::Fail;
        v.reasons.push(format!(
            "the evidence shows recommendations unmet that the ICS does not justify: {list}"
        ));
    } else {
        v.status = VerdictStatus::Inconclusive;
        v.reasons.push(format!(
            "the evidence shows recommendations unmet ({list}); their justification needs the ICS"
        ));
    }
}

/// One verdict per provision of the profile, in catalogue order.
pub fn evaluate(profile: &Profile, inputs: &Inputs) -> Vec<Verdict> {
    let mut cites = finding_citations(inputs.findings);
    cites.extend(vuln_citations(inputs.vulnerabilities));
    let mut verdicts: Vec<Verdict> = profile
        .provisions
        .iter()
        .map(|prov| verdict(profile, prov, &cites, inputs))
        .collect();
    let justify: Vec<usize> = profile
        .provisions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.facts.iter().any(|f| f == "ics_justified"))
        .map(|(i, _)| i)
        .collect();
    for i in justify {
        let others = verdicts.clone();
        justify_recommendations(&mut verdicts[i], &others, inputs.declaration);
    }
    verdicts
}

fn acceptable(s: VerdictStatus) -> bool {
    matches!(
        s,
        VerdictStatus::Pass | VerdictStatus::Declared | VerdictStatus::NotApplicable
    )
}

/// Counts, overall outcome and (for levelled schemes) the level the evidence would
/// support as a claim.
pub fn summarize(profile: &Profile, verdicts: &[Verdict]) -> VerdictSummary {
    let mut s = VerdictSummary::default();
    for v in verdicts {
        match v.status {
            VerdictStatus::Pass => s.pass += 1,
            VerdictStatus::Fail => s.fail += 1,
            VerdictStatus::Unmet => s.unmet += 1,
            VerdictStatus::Inconclusive => s.inconclusive += 1,
            VerdictStatus::NotApplicable => s.not_applicable += 1,
            VerdictStatus::Declared => s.declared += 1,
        }
        if v.obligation == Obligation::Mandatory {
            match v.status {
                VerdictStatus::Fail => s.mandatory_fail += 1,
                VerdictStatus::Inconclusive => s.mandatory_inconclusive += 1,
                VerdictStatus::Declared => s.mandatory_declared += 1,
                _ => {}
            }
        }
    }
    s.outcome = if s.mandatory_fail > 0 {
        Outcome::Fail
    } else if s.mandatory_inconclusive > 0 {
        Outcome::Incomplete
    } else if s.mandatory_declared > 0 {
        Outcome::NoFailuresFound
    } else {
        Outcome::Met
    };
    if let Some(max) = profile.level {
        let mut claimed = 0;
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
            claimed = level;
        }
        s.level_claimed = Some(claimed);
    }
    s
}
