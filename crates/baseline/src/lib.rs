//! Requirement sets as data, the manufacturer's declaration, and the evaluation of
//! findings + declaration into one verdict per provision.
//!
//! Library only: nothing here prints. The catalogue lives in `standards/*.toml` so that a
//! reviewer can check the mapping provision by provision without reading Rust.

pub mod catalogue;
pub mod date;
pub mod declaration;
pub mod evaluate;
pub mod securitytxt;

use baseliner_model::{
    ASSESSMENT_SCHEMA_VERSION, Assessment, Component, Finding, ImageInfo, LiveTest, ProductInfo,
    StageTiming, ToolInfo, VulnMatch,
};

pub use catalogue::{
    CATALOGUE_VERSION, EvidenceRow, Method, PROFILES, Profile, Provision, Role, TestRow, profile,
};
pub use date::Date;
pub use declaration::{Declaration, DeclarationError, IcsAnswer, Support, substantive};
pub use evaluate::{Inputs, evaluate, summarize};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("requirement catalogue: {0}")]
    Catalogue(String),
    #[error(transparent)]
    Declaration(#[from] DeclarationError),
}

/// What the pipeline hands over to build the assessment document.
#[derive(Debug, Clone)]
pub struct AssessmentInput<'a> {
    pub profile: &'a Profile,
    pub image: ImageInfo,
    pub components: Vec<Component>,
    pub findings: Vec<Finding>,
    pub vulnerabilities: Vec<VulnMatch>,
    /// Live tests of a lab device, when a probe ran.
    pub live_tests: Vec<LiveTest>,
    pub declaration: Option<&'a Declaration>,
    pub timings: Vec<StageTiming>,
    pub tool_version: String,
    pub kb_version: Option<String>,
    pub today: Date,
    /// RFC 3339 UTC time of the run (see [`now_rfc3339`]).
    pub created: String,
}

/// Evaluates and assembles the assessment document.
pub fn assess(input: AssessmentInput<'_>) -> Assessment {
    let verdicts = evaluate(
        input.profile,
        &Inputs {
            findings: &input.findings,
            vulnerabilities: &input.vulnerabilities,
            declaration: input.declaration,
            live_tests: &input.live_tests,
            today: input.today,
            build_date: input.image.build_date.as_deref().and_then(Date::parse),
            vulns_checked: input.kb_version.is_some(),
        },
    );
    let mut summary = summarize(input.profile, &verdicts);
    summary.vulnerabilities_checked = input.kb_version.is_some();
    Assessment {
        schema_version: ASSESSMENT_SCHEMA_VERSION.to_string(),
        tool: ToolInfo {
            name: "baseliner".into(),
            version: input.tool_version,
            catalogue_version: CATALOGUE_VERSION.into(),
            kb_version: input.kb_version,
        },
        created: input.created,
        profile: input.profile.name.clone(),
        scheme: baseliner_model::SchemeInfo {
            profile: input.profile.name.clone(),
            name: input.profile.scheme_name.clone(),
            edition: input.profile.edition.clone(),
            title: input.profile.title.clone(),
            level: input.profile.level,
        },
        image: input.image,
        product: input.declaration.map(product_info).unwrap_or_default(),
        declaration: input.declaration.map(Declaration::record),
        components: input.components,
        findings: input.findings,
        vulnerabilities: input.vulnerabilities,
        live_tests: input.live_tests,
        verdicts,
        summary,
        timings: input.timings,
    }
}

/// Product facts for reports and the label, from the declaration.
pub fn product_info(d: &Declaration) -> ProductInfo {
    ProductInfo {
        manufacturer: d.product.manufacturer.clone(),
        product: d.product.name.clone(),
        model: d.product.model.clone(),
        hardware_version: d.product.hardware_version.clone(),
        firmware_version: d.product.firmware_version.clone(),
        support_end: d.support.end_date.map(|e| e.to_string()),
        disclosure_contact: d.disclosure.contact.clone(),
        disclosure_policy: d.disclosure.policy_url.clone(),
    }
}

pub use baseliner_model::now_rfc3339;

/// What makes `assess` exit non-zero in CI (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Any mandatory provision FAIL.
    Fail,
    /// Any mandatory provision FAIL or still INCONCLUSIVE.
    Inconclusive,
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fail" => Ok(FailOn::Fail),
            "inconclusive" => Ok(FailOn::Inconclusive),
            other => Err(format!("`{other}`: expected `fail` or `inconclusive`")),
        }
    }
}

/// Whether the summary trips the CI gate.
pub fn gate_fails(summary: &baseliner_model::VerdictSummary, on: FailOn) -> bool {
    match on {
        FailOn::Fail => summary.mandatory_fail > 0,
        FailOn::Inconclusive => summary.mandatory_fail > 0 || summary.mandatory_inconclusive > 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate() {
        let mut s = baseliner_model::VerdictSummary {
            mandatory_inconclusive: 2,
            ..Default::default()
        };
        assert!(!gate_fails(&s, "fail".parse().unwrap()));
        assert!(gate_fails(&s, FailOn::Inconclusive));
        s.mandatory_fail = 1;
        assert!(gate_fails(&s, FailOn::Fail));
        assert!("maybe".parse::<FailOn>().is_err());
    }
}
