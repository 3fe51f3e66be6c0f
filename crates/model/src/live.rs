//! Results of live tests against a running lab device: the only evidence that can
//! make a provision PASS, because a test can show a negative that firmware cannot.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Code;

/// How one live test ended.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TestOutcome {
    /// The test ran over its whole scope and found the problem absent.
    Passed,
    /// The test showed the problem (its findings say where).
    Failed,
    /// The test could not cover its scope (a port filtered, a budget exhausted, a
    /// protocol not understood); it proves nothing either way.
    Incomplete,
}

impl TestOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            TestOutcome::Passed => "passed",
            TestOutcome::Failed => "failed",
            TestOutcome::Incomplete => "incomplete",
        }
    }
}

/// One live test: what it tried, against what, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LiveTest {
    /// Stable test id, such as `default-credentials` or `tls-versions`.
    pub id: String,
    /// One line: what the test checks.
    pub title: String,
    /// The host tested.
    pub host: String,
    /// What the test covered, such as `telnet/23, ssh/22, http/80: 412 credential pairs`.
    pub scope: String,
    pub outcome: TestOutcome,
    /// Finding codes the test produced (empty when it passed).
    #[serde(default)]
    pub findings: Vec<Code>,
    /// Facts a reviewer needs, one sentence each (what was not covered and why included).
    #[serde(default)]
    pub details: Vec<String>,
    /// Start time (RFC 3339 UTC) and duration.
    pub started: String,
    pub duration_ms: u64,
}

/// What a probe of a lab device hands to an assessment: findings with network
/// evidence, the tests it ran, and component versions seen on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct LiveEvidence {
    /// The host tested.
    pub host: String,
    #[serde(default)]
    pub findings: Vec<crate::Finding>,
    #[serde(default)]
    pub tests: Vec<LiveTest>,
    /// Versions seen in banners, matched like firmware components.
    #[serde(default)]
    pub components: Vec<crate::Component>,
}
