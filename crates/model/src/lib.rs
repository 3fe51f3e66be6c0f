//! Types of the assessment contract that more than one stage produces or reads.
//!
//! They live in their own crate so that `inspect`, `vulns`, `baseline` and `report`
//! can share them without depending on each other. Field names are part of the
//! JSON contract: renaming one is a breaking change of the assessment schema.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

mod codes;
mod live;
pub use codes::{Code, CodeInfo, Family, UnknownCode};
pub use live::{LiveEvidence, LiveTest, TestOutcome};

/// How bad a finding is. Ordered, so `>=` comparisons work for gating.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
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

/// Where something was seen: enough for a person to find it again, in the image or on
/// the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Evidence {
    /// Path inside the unpacked filesystem that held it, such as `/etc/shadow`; empty
    /// for evidence seen on the network.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// Provenance chain from the image down to this file,
    /// such as `image.bin@0x120200:squashfs:/etc/shadow`; for live evidence,
    /// `host:port/protocol`.
    pub provenance: String,
    /// Byte offset inside the file, where the evidence is a part of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// A short excerpt or transcript (one line, secrets elided where they would leak more than needed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// SHA-256 of the whole file, hex; empty for live evidence.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(regex(pattern = r"^([0-9a-f]{64})?$"))]
    pub sha256: String,
    /// Host a live test talked to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `tcp`, `udp`, or the application protocol (`telnet`, `ssh`, `tls`, `http`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// When it was seen (RFC 3339 UTC), for live evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// How sure a finding is that the problem is present on the device as shipped.
///
/// Only `Certain` evidence can make a FAIL; weaker evidence leaves the provision
/// INCONCLUSIVE with the finding attached.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// The evidence may not be what it seems (a pattern match, a context not understood).
    Possible,
    /// The evidence shows the problem unless something the image does not show changes it.
    Likely,
    /// The evidence shows the problem is present as shipped.
    Certain,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Possible => "possible",
            Confidence::Likely => "likely",
            Confidence::Certain => "certain",
        }
    }
}

impl std::fmt::Display for Confidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn certain() -> Confidence {
    Confidence::Certain
}

/// One thing an inspection check established, identified by a stable code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Finding {
    /// Stable code such as `CRED-001`. Renaming one is a breaking change.
    pub code: Code,
    /// Check family; always the family of `code`.
    pub family: Family,
    pub severity: Severity,
    /// How sure the finding is; see [`Confidence`].
    #[serde(default = "certain")]
    pub confidence: Confidence,
    /// Why the confidence is not `certain` (or what makes it certain), in one sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence_reason: Option<String>,
    pub title: String,
    pub detail: String,
    pub evidence: Vec<Evidence>,
}

impl Finding {
    /// A finding with the code table's family, severity and title, and full confidence.
    pub fn new(code: Code, detail: impl Into<String>, evidence: Vec<Evidence>) -> Finding {
        let i = code.info();
        Finding {
            code,
            family: i.family,
            severity: i.severity,
            confidence: Confidence::Certain,
            confidence_reason: None,
            title: i.title.to_string(),
            detail: detail.into(),
            evidence,
        }
    }

    /// The same finding with a lower (or stated) confidence and the reason.
    pub fn with_confidence(mut self, c: Confidence, reason: impl Into<String>) -> Finding {
        self.confidence = c;
        self.confidence_reason = Some(reason.into());
        self
    }
}

/// A software component found in the image (one SBOM entry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
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

/// Keys of [`Component::properties`] that more than one stage reads.
pub mod props {
    /// Which kind of evidence decided the version: `package-db`, `build-metadata`,
    /// `binary-string` or `file-name` (most trustworthy first).
    pub const VERSION_SOURCE: &str = "baseliner:version-source";
    /// Package manager whose database listed it: `dpkg`, `opkg` or `apk`.
    pub const PACKAGE_MANAGER: &str = "package:manager";
    /// The package's name in that database (`libssl3`).
    pub const PACKAGE_NAME: &str = "package:name";
    /// The package's full version as the database states it (`1:1.35.0-4+deb12u1`).
    pub const PACKAGE_VERSION: &str = "package:version";
    /// The source package it was built from (`openssl` for `libssl3`), where stated.
    pub const PACKAGE_SOURCE: &str = "package:source";
    /// The distribution and release it was built for (`debian:12`, `alpine:v3.18`,
    /// `openwrt:23.05.2`), from the version (`+deb12u1`) or the image's release file.
    pub const PACKAGE_DISTRO: &str = "package:distro";
}

/// VEX status of a vulnerability for the product (CycloneDX/OpenVEX vocabulary).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    Affected,
    NotAffected,
    UnderInvestigation,
    Fixed,
}

impl VexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::Affected => "affected",
            VexStatus::NotAffected => "not_affected",
            VexStatus::UnderInvestigation => "under_investigation",
            VexStatus::Fixed => "fixed",
        }
    }
}

impl std::fmt::Display for VexStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where the identity a vulnerability was matched on came from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum IdentitySource {
    /// A version string inside a binary or library.
    BinaryString,
    /// A package database in the image (opkg, dpkg, apk, rpm).
    PackageDb,
    /// What the build wrote down: a kernel's `/lib/modules/<release>/` folder, a
    /// distribution kernel's package version in its banner.
    BuildMetadata,
    /// A library's file name (`libuClibc-0.9.33.2.so`), the weakest evidence.
    FileName,
    /// The manufacturer's declaration.
    Declaration,
    /// A vendor header of the image (model and version fields).
    VendorHeader,
    /// A banner seen on the network by a live test.
    Network,
}

impl IdentitySource {
    pub fn as_str(self) -> &'static str {
        match self {
            IdentitySource::BinaryString => "binary-string",
            IdentitySource::PackageDb => "package-db",
            IdentitySource::BuildMetadata => "build-metadata",
            IdentitySource::FileName => "file-name",
            IdentitySource::Declaration => "declaration",
            IdentitySource::VendorHeader => "vendor-header",
            IdentitySource::Network => "network",
        }
    }
}

impl std::fmt::Display for IdentitySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A known vulnerability that applies to a component (or to the whole device).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct VulnMatch {
    /// `CVE-2018-20679`, or an OSV id where no CVE exists.
    #[schemars(with = "String")]
    pub id: Text,
    /// Component name as in [`Component::name`], or the device model for device-level CVEs.
    #[schemars(with = "String")]
    pub component: Text,
    #[schemars(with = "String")]
    pub version: Text,
    /// Which rule matched, for example `cpe busybox:busybox versionEndExcluding 1.30.0`.
    pub rule: String,
    /// Where the identity came from.
    pub identity_source: IdentitySource,
    /// CVSS base score and severity from the highest-version metric available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvss_score: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub cvss_severity: Option<Text>,
    /// Listed in CISA's Known Exploited Vulnerabilities catalogue.
    pub kev: bool,
    /// When the vulnerability was published (`YYYY-MM-DD`), where the record says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub published: Option<Text>,
    /// One-line description from the record.
    pub summary: String,
    pub vex_status: VexStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vex_justification: Option<String>,
}

/// A short text held inline (up to 24 bytes) rather than on the heap: ids, names,
/// versions and dates of vulnerability matches, which a large image has by the ten
/// thousand; allocating each was most of the matcher's output time (issue 13).
/// Serialises as a plain string, so the JSON contract is unchanged.
pub type Text = compact_str::CompactString;

/// CVSS base score from which a vulnerability counts as critical (`VULN-002`).
pub const CRITICAL_CVSS: f64 = 9.0;

impl VulnMatch {
    /// Whether the match may affect the product (affected, or not yet ruled out).
    pub fn may_affect(&self) -> bool {
        matches!(
            self.vex_status,
            VexStatus::Affected | VexStatus::UnderInvestigation
        )
    }

    /// The finding code this match is cited as: the one classification every
    /// renderer and the evaluation use.
    pub fn code(&self) -> Code {
        if self.kev {
            Code::Vuln001
        } else if self.cvss_score.is_some_and(|s| s >= CRITICAL_CVSS) {
            Code::Vuln002
        } else {
            Code::Vuln003
        }
    }
}

mod assessment;
pub use assessment::{
    ASSESSMENT_SCHEMA_VERSION, Assessment, Basis, DeclarationRecord, IcsRecord, ImageInfo,
    LabRecord, Obligation, Outcome, ProductInfo, SchemeInfo, StageTiming, ToolInfo, Verdict,
    VerdictStatus, VerdictSummary, assessment_schema,
};

/// The UTC day (`YYYY-MM-DD`) of a Unix time.
pub fn utc_date(secs: u64) -> String {
    let (y, m, d) = civil(i64::try_from(secs / 86_400).unwrap_or(0));
    format!("{y:04}-{m:02}-{d:02}")
}

/// (year, month, day) of days since 1970-01-01 (Howard Hinnant's civil_from_days).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Current UTC time as RFC 3339 with second precision (`2026-11-23T03:05:00Z`), the
/// one clock format every output of the tool uses.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let rem = secs % 86_400;
    let (y, m, d) = civil(i64::try_from(secs / 86_400).unwrap_or(0));
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
