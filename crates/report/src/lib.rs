//! Renderers of an [`Assessment`]: a terminal summary, the JSON contract, SARIF 2.1.0
//! and a self-contained HTML report. Pure functions from the document to text: they
//! never evaluate anything and never print.

mod html;
mod sarif;
mod text;

use baseliner_model::Assessment;

pub use html::render_html;
pub use sarif::to_sarif;
pub use text::render_text;

/// The assessment JSON contract (`schemas/assessment.schema.json`), pretty-printed.
pub fn to_json(a: &Assessment) -> serde_json::Result<String> {
    serde_json::to_string_pretty(a)
}

/// Writes `assessment.json`, `findings.sarif` and `report.html` into an existing folder;
/// returns the paths written.
pub fn write_outputs(
    a: &Assessment,
    dir: &std::path::Path,
) -> std::io::Result<Vec<std::path::PathBuf>> {
    let json = to_json(a).map_err(std::io::Error::other)?;
    let sarif = serde_json::to_string_pretty(&to_sarif(a)).map_err(std::io::Error::other)?;
    let html = render_html(a);
    let mut written = vec![];
    for (name, text) in [
        ("assessment.json", json),
        ("findings.sarif", sarif),
        ("report.html", html),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text)?;
        written.push(p);
    }
    Ok(written)
}

/// The JSON Schema of the assessment document, as shipped in the repository.
pub const ASSESSMENT_SCHEMA: &str = include_str!("../../../schemas/assessment.schema.json");

/// Display name of a profile, for headings.
pub fn scheme_title(profile: &str) -> &'static str {
    match profile {
        "etsi-en-303-645" => "ETSI EN 303 645 V2.1.1",
        "etsi-en-303-645-v3" => "ETSI EN 303 645 V3.1.3",
        "uk-psti" => "UK PSTI (SI 2023/1007)",
        "eu-cra" => "EU Cyber Resilience Act, Annex I",
        "sg-cls-1" => "Singapore CLS, level 1",
        "sg-cls-2" => "Singapore CLS, level 2",
        "sg-cls-3" => "Singapore CLS, level 3",
        "sg-cls-4" => "Singapore CLS, level 4",
        "nistir-8425" => "NIST IR 8425",
        _ => "unknown scheme",
    }
}
