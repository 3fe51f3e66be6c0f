//! The assessment document: the one versioned JSON contract every renderer reads.
//!
//! `schemas/assessment.schema.json` describes it; a field renamed here is a breaking
//! change of that schema and must bump [`ASSESSMENT_SCHEMA_VERSION`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Component, Finding, LiveTest, VulnMatch};

/// Version of the assessment JSON contract (semver: major bumps break readers).
pub const ASSESSMENT_SCHEMA_VERSION: &str = "2.1.0";

/// Outcome for one provision.
///
/// `Declared` means the manufacturer's declaration is the only evidence: it is never
/// reported as `Pass`, because baseliner did not establish it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VerdictStatus {
    /// The evidence shows a mandatory provision is not met.
    Fail,
    /// The evidence shows a recommendation is not followed. Not a failure of the scheme
    /// by itself: the scheme asks for a justification (EN 303 645 4-1).
    Unmet,
    /// Not established either way; the reasons say what is missing.
    Inconclusive,
    /// The manufacturer's word is the only evidence.
    Declared,
    /// A complete live test showed the provision is met; the verdict names the test.
    Pass,
    NotApplicable,
}

impl VerdictStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictStatus::Pass => "PASS",
            VerdictStatus::Fail => "FAIL",
            VerdictStatus::Unmet => "UNMET",
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

/// What a verdict rests on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// Static analysis of the firmware image.
    Firmware,
    /// A live test of a running device.
    LiveTest,
    /// The declaration's facts or IXIT.
    Declaration,
    /// The manufacturer's answer in the implementation conformance statement.
    IcsAnswer,
    /// The vulnerability knowledge base.
    KnowledgeBase,
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
    /// What the status rests on.
    #[serde(default)]
    pub basis: Vec<Basis>,
    /// Finding codes that decided the status (those that make it FAIL, UNMET or
    /// INCONCLUSIVE).
    #[serde(default)]
    pub findings: Vec<String>,
    /// Finding codes cited as context only: they did not decide the status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<String>,
    /// Live tests behind the status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<String>,
    /// Declaration fields behind the verdict, as TOML paths such as `ics."5.2-1"`.
    #[serde(default)]
    pub declaration: Vec<String>,
    /// Where the declaration and the evidence disagree, both named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contradiction: Option<String>,
    /// The ETSI TS 103 701 test group that assesses the provision (EN 303 645).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_group: Option<String>,
}

/// The overall result of an assessment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// A mandatory provision failed.
    Fail,
    /// No failure found, but a mandatory provision is still inconclusive.
    #[default]
    Incomplete,
    /// No failure found and no mandatory provision inconclusive, but some rest only
    /// on the manufacturer's declaration.
    NoFailuresFound,
    /// Every mandatory provision passed a live test or does not apply.
    Met,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Fail => "FAIL",
            Outcome::Incomplete => "INCOMPLETE",
            Outcome::NoFailuresFound => "NO_FAILURES_FOUND",
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
    /// Recommendations the evidence shows are not followed.
    #[serde(default)]
    pub unmet: u32,
    pub inconclusive: u32,
    pub not_applicable: u32,
    pub declared: u32,
    /// Mandatory provisions with FAIL.
    pub mandatory_fail: u32,
    /// Mandatory provisions still INCONCLUSIVE.
    pub mandatory_inconclusive: u32,
    /// Mandatory provisions resting only on the manufacturer's word.
    #[serde(default)]
    pub mandatory_declared: u32,
    pub outcome: Outcome,
    /// For levelled schemes (Singapore CLS): the highest level the evidence and the
    /// declaration would support. Only the scheme owner grants a level, so this is a
    /// claim, never a level reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_claimed: Option<u8>,
    /// Whether known vulnerabilities were looked up (a knowledge base was used).
    #[serde(default)]
    pub vulnerabilities_checked: bool,
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
    /// When the firmware was built (`YYYY-MM-DD`), as far as the image says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_date: Option<String>,
    /// Where the build date was read (a header, file timestamps, a banner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_date_source: Option<String>,
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

/// One ICS answer as the assessment used it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct IcsRecord {
    /// `Y`, `N` or `N/A`.
    pub support: String,
    #[serde(default)]
    pub detail: String,
}

/// A third-party lab report as the declaration references it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LabRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The report's identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_id: Option<String>,
    /// SHA-256 of the report file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report_sha256: Option<String>,
    /// Whether the report file was read and its hash matched.
    pub verified: bool,
}

/// The declaration an assessment used: its hash, so the assessment digest (and the
/// label) covers what produced the DECLARED rows, and the answers that were read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DeclarationRecord {
    /// File name.
    pub file: String,
    /// SHA-256 of the declaration file's bytes.
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: String,
    #[serde(default)]
    pub conditions: std::collections::BTreeMap<String, bool>,
    #[serde(default)]
    pub ics: std::collections::BTreeMap<String, IcsRecord>,
    /// IXIT tables as given.
    #[serde(default)]
    pub ixit: std::collections::BTreeMap<String, serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<LabRecord>,
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
    /// The declaration used, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration: Option<DeclarationRecord>,
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
