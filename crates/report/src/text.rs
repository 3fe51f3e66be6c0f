//! The short verdict summary the terminal shows at the end of `assess`.

use std::fmt::Write;

use baseliner_model::{Assessment, Obligation, Outcome, Severity, VerdictStatus};

fn paint(s: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn status_colour(s: VerdictStatus) -> &'static str {
    match s {
        VerdictStatus::Fail => "1;31",
        VerdictStatus::Unmet => "35",
        VerdictStatus::Inconclusive => "33",
        VerdictStatus::Declared => "36",
        VerdictStatus::Pass => "32",
        VerdictStatus::NotApplicable => "2",
    }
}

/// A few lines: outcome, counts, each failed mandatory provision with its first reason.
pub fn render_text(a: &Assessment, color: bool) -> String {
    let mut o = String::new();
    let s = &a.summary;
    let _ = writeln!(
        o,
        "{} — {} ({} provisions)",
        &a.scheme.title,
        paint(
            &crate::outcome_sentence(a),
            match s.outcome {
                Outcome::Met => "1;32",
                Outcome::Incomplete | Outcome::NoFailuresFound => "1;33",
                Outcome::Fail => "1;31",
            },
            color
        ),
        a.verdicts.len()
    );
    if let Some(l) = crate::level_sentence(a) {
        let _ = writeln!(o, "  {l}");
    }
    let _ = writeln!(
        o,
        "  {} FAIL · {} UNMET (recommendations) · {} INCONCLUSIVE · {} DECLARED · {} PASS (live-tested) · {} NOT_APPLICABLE",
        s.fail, s.unmet, s.inconclusive, s.declared, s.pass, s.not_applicable
    );
    let sev = |x: Severity| a.findings.iter().filter(|f| f.severity == x).count();
    let vulns = if s.vulnerabilities_checked {
        format!(
            "{} ({} KEV{})",
            a.vulnerabilities.len(),
            a.vulnerabilities.iter().filter(|v| v.kev).count(),
            crate::public_at_build(a)
                .map(|(d, n)| format!(", {n} public when built {d}"))
                .unwrap_or_default()
        )
    } else {
        "not checked (no knowledge base)".to_string()
    };
    let _ = writeln!(
        o,
        "  findings: {} ({} critical, {} high, {} medium) · components: {} · vulnerabilities: {vulns}",
        a.findings.len(),
        sev(Severity::Critical),
        sev(Severity::High),
        sev(Severity::Medium),
        a.components.len(),
    );
    for v in a
        .verdicts
        .iter()
        .filter(|v| v.status == VerdictStatus::Fail)
    {
        let tag = if v.obligation == Obligation::Mandatory {
            "M"
        } else {
            "R"
        };
        let _ = writeln!(
            o,
            "  {} {:<10} [{tag}] {}",
            paint("FAIL", status_colour(v.status), color),
            v.provision,
            v.reasons.first().map(String::as_str).unwrap_or(&v.title)
        );
    }
    if s.unmet > 0 {
        let _ = writeln!(
            o,
            "  {} recommendations unmet on the evidence (not failures; EN 303 645 4-1 asks for a justification); see report.html",
            s.unmet
        );
    }
    if s.mandatory_inconclusive > 0 {
        let _ = writeln!(
            o,
            "  {} mandatory provisions need evidence baseliner cannot get from firmware (declaration or live test); see report.html",
            s.mandatory_inconclusive
        );
    }
    let _ = writeln!(o, "  {}", crate::DISCLAIMER);
    o
}
