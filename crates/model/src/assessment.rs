//! The assessment document: the one versioned JSON contract every renderer reads.
//!
//! `schemas/assessment.schema.json` describes it; a field renamed here is a breaking
//! change of that schema and must bump [`ASSESSMENT_SCHEMA_VERSION`].

use serde::{Deserialize, Serialize};

use crate::{Component, Finding, VulnMatch};

/// Version of the assessment JSON contract (semver: major bumps break readers).
pub const ASSESSMENT_SCHEMA_VERSION: &str = "1.0.0";

/// Outcome for one provision.
///
/// `Declared` means the manufacturer's declaration is the only evidence: it is never
/// reported as `Pass`, because baseliner did not establish it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Obligation {
    Mandatory,
    Recommended,
}

/// One verdict for one provision of one scheme, with what it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// Counts of verdicts, and the overall result a label can state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// `FAIL` if any mandatory provision failed, `INCOMPLETE` if any is inconclusive,
    /// otherwise `MET` (every mandatory provision PASS, DECLARED or NOT_APPLICABLE).
    pub outcome: String,
    /// Highest level reached, for schemes with levels (Singapore CLS); otherwise absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<u8>,
}

/// The image that was assessed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// File name as given (no directories, so reports do not leak local paths).
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

/// Product facts taken from the declaration (all optional: a run may have none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    pub support_end: Option<String>,
    /// Where to report vulnerabilities (URL or `mailto:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure_contact: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure_policy: Option<String>,
}

/// Wall time of one pipeline stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StageTiming {
    pub stage: String,
    pub millis: u64,
}

/// Tool identity recorded in every assessment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
    /// Version of the requirement catalogue (the `standards/*.toml` set).
    pub catalogue_version: String,
    /// Vulnerability knowledge-base version or import date; absent when none was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kb_version: Option<String>,
}

/// The whole result of one `assess` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub schema_version: String,
    pub tool: ToolInfo,
    /// UTC time of the run, RFC 3339.
    pub created: String,
    /// Profile name, such as `uk-psti`.
    pub profile: String,
    pub image: ImageInfo,
    #[serde(default)]
    pub product: ProductInfo,
    pub components: Vec<Component>,
    pub findings: Vec<Finding>,
    pub vulnerabilities: Vec<VulnMatch>,
    pub verdicts: Vec<Verdict>,
    pub summary: VerdictSummary,
    pub timings: Vec<StageTiming>,
}
