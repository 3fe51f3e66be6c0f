//! The assessment document: the one versioned JSON contract every renderer reads.
//!
//! `schemas/assessment.schema.json` describes it; a field renamed here is a breaking
//! change of that schema and must bump [`ASSESSMENT_SCHEMA_VERSION`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Component, Finding, LiveTest, VulnMatch};

/// Version of the assessment JSON contract (semver: major bumps break readers).
pub const ASSESSMENT_SCHEMA_VERSION: &str = "2.0.0";

/// Outcome for one provision.
///
/// `Declared` means the manufacturer's declaration is the only evidence: it is never
/// reported as `Pass`, because baseliner did not establish it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerdictStatus {
    Fail,
    Inconclusive,
    Declared,
    Pass,
    NotApplicable,
}

impl VerdictStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictStatus::Pass => "PASS",
            VerdictStatus::Fail => "FAIL",
            VerdictStatus::Inconclusive => "INCONCLUSIVE",
            VerdictStatus::NotApplicable => "NOT_APPLICABLE",
            VerdictStatus::Declared => "DECLARED",
        }
    }
}

impl std::fmt::Display for VerdictStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How binding a provision is in its scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Obligation {
    Mandatory,
    Recommended,
}

/// One verdict for one provision of one scheme, with what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
// A DECLARED verdict names the declaration fields it rests on.
#[schemars(extend(
    "if" = {"properties": {"status": {"const": "DECLARED"}}},
    "then" = {"properties": {"declaration": {"minItems": 1}}, "required": ["declaration"]}
))]
pub struct Verdict {
    /// Profile name of the scheme, such as `etsi-en-303-645`.
    pub scheme: String,
    /// The scheme's own provision id, such as `5.1-1`.
    pub provision: String,
    pub status: VerdictStatus,
    pub obligation: Obligation,
    /// Condition or feature the provision depends on, in our words; absent when unconditional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// One-line paraphrase of the provision (our words, not the standard's text).
    pub title: String,
    /// Why this status: one sentence per reason.
    pub reasons: Vec<String>,
    /// Finding codes (and vulnerability ids) behind the verdict.
    #[serde(default)]
    pub findings: Vec<String>,
    /// Declaration fields behind the verdict, as TOML paths such as `ics."5.2-1"`.
    #[serde(default)]
    pub declaration: Vec<String>,
}

/// The overall result of an assessment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// A mandatory provision failed.
    Fail,
    /// A mandatory provision is still inconclusive.
    #[default]
    Incomplete,
    /// Every mandatory provision is PASS, DECLARED or NOT_APPLICABLE.
    Met,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Fail => "FAIL",
            Outcome::Incomplete => "INCOMPLETE",
            Outcome::Met => "MET",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Counts of verdicts, and the overall result a label can state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct VerdictSummary {
    pub pass: u32,
    pub fail: u32,
    pub inconclusive: u32,
    pub not_applicable: u32,
    pub declared: u32,
    /// Mandatory provisions with FAIL.
    pub mandatory_fail: u32,
    /// Mandatory provisions still INCONCLUSIVE.
    pub mandatory_inconclusive: u32,
    pub outcome: Outcome,
    /// Highest level reached, for schemes with levels (Singapore CLS); otherwise absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
}

/// The image that was assessed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ImageInfo {
    /// File name as given (no directories, so reports do not leak local paths).
    pub name: String,
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: String,
    pub size: u64,
}

/// Product facts taken from the declaration (all optional: a run may have none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ProductInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hardware_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmware_version: Option<String>,
    /// End of the security-update support period, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
    pub support_end: Option<String>,
    /// Where to report vulnerabilities (URL or `mailto:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure_contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure_policy: Option<String>,
}

/// Wall time of one pipeline stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct StageTiming {
    pub stage: String,
    pub millis: u64,
}

/// Tool identity recorded in every assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    /// Version of the requirement catalogue (the `standards/*.toml` set).
    pub catalogue_version: String,
    /// Vulnerability knowledge-base version or import date; absent when none was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb_version: Option<String>,
}

/// The scheme an assessment was made against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct SchemeInfo {
    /// Profile name, such as `sg-cls-2` (the same as [`Assessment::profile`]).
    pub profile: String,
    /// The scheme's name, such as `ETSI EN 303 645`.
    pub name: String,
    /// Edition, such as `V2.1.1 (2020-06)`.
    pub edition: String,
    /// Short heading for reports and labels, such as `ETSI EN 303 645 V2.1.1` or
    /// `Singapore CLS, level 2`.
    pub title: String,
    /// For levelled schemes, the level the profile targets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
}

/// The whole result of one `assess` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Assessment {
    #[schemars(regex(pattern = r"^2\.[0-9]+\.[0-9]+$"))]
    pub schema_version: String,
    pub tool: ToolInfo,
    /// UTC time of the run, RFC 3339.
    #[schemars(regex(
        pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$"
    ))]
    pub created: String,
    /// Profile name, such as `uk-psti`.
    pub profile: String,
    pub scheme: SchemeInfo,
    pub image: ImageInfo,
    #[serde(default)]
    pub product: ProductInfo,
    pub components: Vec<Component>,
    pub findings: Vec<Finding>,
    pub vulnerabilities: Vec<VulnMatch>,
    /// Live tests of a lab device, when a probe ran.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub live_tests: Vec<LiveTest>,
    pub verdicts: Vec<Verdict>,
    pub summary: VerdictSummary,
    pub timings: Vec<StageTiming>,
}

/// The JSON Schema of the assessment document, generated from these types: the file
/// `schemas/assessment.schema.json` is this value, and a test fails on any drift.
pub fn assessment_schema() -> serde_json::Value {
    let mut schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<Assessment>()
        .to_value();
    if let Some(o) = schema.as_object_mut() {
        o.insert(
            "$id".into(),
            format!(
                "https://baseliner.invalid/schemas/assessment-{}.json",
                ASSESSMENT_SCHEMA_VERSION.split('.').next().unwrap_or("0")
            )
            .into(),
        );
        o.insert("title".into(), "baseliner assessment".into());
        o.insert(
            "description".into(),
            "One run of `baseliner assess`: the image, what was found in it, and one verdict per provision of the chosen profile. schema_version follows semver; a reader accepts any version with its major number. Generated from the types in crates/model; see schemas/CHANGELOG.md.".into(),
        );
    }
    schema
}
