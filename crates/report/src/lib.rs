//! Every renderer of an [`Assessment`] behind one table ([`OUTPUTS`]): a terminal
//! summary, the JSON contract, SARIF 2.1.0, a self-contained HTML report, CycloneDX,
//! SPDX, OpenVEX, the label files and the unpack listing. Pure functions from the
//! document to bytes: they never evaluate anything and never print.

mod html;
mod inspection;
pub mod openvex;
pub mod outputs;
mod sarif;
pub mod sbom;
mod text;

use baseliner_model::Assessment;

pub use html::render_html;
pub use inspection::render_inspection;
pub use outputs::{Artefacts, OUTPUTS, Output, OutputInfo};
pub use sarif::to_sarif;
pub use text::render_text;

/// The assessment JSON contract (`schemas/assessment.schema.json`), pretty-printed.
pub fn to_json(a: &Assessment) -> serde_json::Result<String> {
    serde_json::to_string_pretty(a)
}

/// The JSON Schema of the assessment document, as shipped in the repository.
pub const ASSESSMENT_SCHEMA: &str = include_str!("../../../schemas/assessment.schema.json");

/// What a baseliner result is and is not, said wherever one is shown.
pub const DISCLAIMER: &str = "A self-assessment by baseliner, not a certificate: FAIL comes from evidence, PASS only from a complete live test, DECLARED from the manufacturer's word.";

/// The overall result in words that say what it rests on.
/// The firmware's build date and how many vulnerabilities that may affect it were
/// public by then (those are evidence that updates were late, EN 303 645 5.3-8).
pub fn public_at_build(a: &Assessment) -> Option<(String, usize)> {
    let built = a.image.build_date.clone()?;
    let n = a
        .vulnerabilities
        .iter()
        .filter(|v| v.may_affect() && v.published.as_deref().is_some_and(|p| p <= built.as_str()))
        .count();
    Some((built, n))
}

/// One sentence on the build date and what it separates, for the reports.
pub fn build_time_sentence(a: &Assessment) -> Option<String> {
    let (built, n) = public_at_build(a)?;
    let src = a.image.build_date_source.as_deref().unwrap_or("the image");
    let open = a.vulnerabilities.iter().filter(|v| v.may_affect()).count();
    Some(format!(
        "Firmware built {built} ({src}): {n} of the {open} vulnerabilities that may affect it were public by then (evidence that updates were not timely); the others were published later (current risk only)."
    ))
}

/// A match's publication date and whether it was public when the firmware was built.
pub fn published_text(a: &Assessment, v: &baseliner_model::VulnMatch) -> String {
    match (v.published.as_deref(), a.image.build_date.as_deref()) {
        (Some(p), Some(b)) if p <= b => format!("{p} (before build)"),
        (Some(p), Some(_)) => format!("{p} (after build)"),
        (Some(p), None) => p.to_string(),
        (None, _) => String::new(),
    }
}

pub fn outcome_sentence(a: &Assessment) -> String {
    let s = &a.summary;
    match s.outcome {
        baseliner_model::Outcome::Fail => format!(
            "FAIL: {} mandatory provision{} failed on the evidence",
            s.mandatory_fail,
            if s.mandatory_fail == 1 { "" } else { "s" }
        ),
        baseliner_model::Outcome::Incomplete => format!(
            "INCOMPLETE: no failure found, {} mandatory provision{} not established",
            s.mandatory_inconclusive,
            if s.mandatory_inconclusive == 1 {
                ""
            } else {
                "s"
            }
        ),
        baseliner_model::Outcome::NoFailuresFound => format!(
            "NO FAILURES FOUND: {} mandatory provision{} rest on the manufacturer's declaration alone",
            s.mandatory_declared,
            if s.mandatory_declared == 1 { "" } else { "s" }
        ),
        baseliner_model::Outcome::Met => {
            "MET: every mandatory provision passed a live test or does not apply".to_string()
        }
    }
}

/// The level line of a levelled scheme: a claim, never a level reached.
pub fn level_sentence(a: &Assessment) -> Option<String> {
    let l = a.summary.level_claimed?;
    Some(if l == 0 {
        "no level claimed: level 1's mandatory provisions are not all met".to_string()
    } else {
        format!(
            "level {l} claimed (self-assessment; only the scheme owner grants a level, and levels 3 and 4 need an approved lab)"
        )
    })
}
