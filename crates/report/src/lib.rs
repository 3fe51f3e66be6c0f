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
