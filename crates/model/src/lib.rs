//! Types of the assessment contract that more than one stage produces or reads.
//!
//! They live in their own crate so that `inspect`, `vulns`, `baseline` and `report`
//! can share them without depending on each other. Field names are part of the
//! JSON contract: renaming one is a breaking change of the assessment schema.

use serde::{Deserialize, Serialize};

/// How bad a finding is. Ordered, so `>=` comparisons work for gating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where something was seen: enough for a person to find it again in the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Evidence {
    /// Path inside the unpacked filesystem that held it, such as `/etc/shadow`.
    pub path: String,
    /// Provenance chain from the image down to this file,
    /// such as `image.bin@0x120200:squashfs:/etc/shadow`.
    pub provenance: String,
    /// Byte offset inside the file, where the evidence is a part of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// A short excerpt (one line, secrets elided where they would leak more than needed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// SHA-256 of the whole file, hex.
    pub sha256: String,
}

/// One thing an inspection check established, identified by a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable code such as `CRED-001`. Renaming one is a breaking change.
    pub code: String,
    /// Check family: `credentials`, `crypto`, `services`, `components`, `hardening`, `update`.
    pub family: String,
    pub severity: Severity,
    pub title: String,
    pub detail: String,
    pub evidence: Vec<Evidence>,
}

/// A software component found in the image (one SBOM entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    pub version: String,
    /// CPE 2.3 formatted string, such as `cpe:2.3:a:busybox:busybox:1.01:*:*:*:*:*:*:*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    /// Package URL, such as `pkg:generic/busybox@1.01`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    pub evidence: Vec<Evidence>,
    /// Extra facts about the component, such as `busybox:applets` (the applets built
    /// into a BusyBox binary, comma-separated), that later stages use as evidence
    /// (VEX) and the SBOM carries as CycloneDX `properties`. Additive: older
    /// documents without it still parse.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub properties: std::collections::BTreeMap<String, String>,
}

/// A known vulnerability that applies to a component (or to the whole device).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnMatch {
    /// `CVE-2018-20679`, or an OSV id where no CVE exists.
    pub id: String,
    /// Component name as in [`Component::name`], or the device model for device-level CVEs.
    pub component: String,
    pub version: String,
    /// Which rule matched, for example `cpe busybox:busybox versionEndExcluding 1.30.0`.
    pub rule: String,
    /// Where the identity came from: `binary-string`, `package-db`, `declaration`, `vendor-header`.
    pub identity_source: String,
    /// CVSS base score and severity from the highest-version metric available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_severity: Option<String>,
    /// Listed in CISA's Known Exploited Vulnerabilities catalogue.
    pub kev: bool,
    /// One-line description from the record.
    pub summary: String,
    /// VEX status: `affected`, `not_affected`, `under_investigation`, `fixed`.
    pub vex_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vex_justification: Option<String>,
}

mod assessment;
pub use assessment::{
    ASSESSMENT_SCHEMA_VERSION, Assessment, ImageInfo, Obligation, ProductInfo, StageTiming,
    ToolInfo, Verdict, VerdictStatus, VerdictSummary,
};

/// Current UTC time as RFC 3339 with second precision (`2026-11-23T03:05:00Z`), the
/// one clock format every output of the tool uses.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_properties_are_optional_and_omitted_when_empty() {
        let old = r#"{"name":"busybox","version":"1.01","evidence":[]}"#;
        let mut c: Component = serde_json::from_str(old).unwrap();
        assert!(c.properties.is_empty());
        assert_eq!(serde_json::to_string(&c).unwrap(), old);
        c.properties
            .insert("busybox:applets".into(), "ash,sh".into());
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["properties"]["busybox:applets"], "ash,sh");
    }
}
