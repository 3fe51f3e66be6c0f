//! Requirement sets as data: `standards/*.toml`, embedded at build time so the binary
//! needs no files beside it, parsed and checked once per call.

use std::collections::BTreeMap;

use baseliner_model::Obligation;
use serde::Deserialize;

use crate::Error;

/// Version of the catalogue data; recorded in every assessment.
pub const CATALOGUE_VERSION: &str = "2026.12.0";

/// How a provision can be established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Static analysis of the firmware image.
    Firmware,
    /// A test against a running device.
    Live,
    /// Only the manufacturer's word (ICS, IXIT, published documents).
    Declaration,
}

/// What a piece of evidence does to a provision (see `docs/assessment.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Shows non-conformance: with certain confidence it makes the provision FAIL (or,
    /// for a recommendation, UNMET); with less, INCONCLUSIVE.
    Proof,
    /// Suggests non-conformance but cannot prove it: at most INCONCLUSIVE.
    Indication,
    /// Cited so a reviewer sees it; never changes the status.
    Context,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Proof => "proof",
            Role::Indication => "indication",
            Role::Context => "context",
        }
    }
}

/// One mapping row: a finding code (or an IXIT fact) and what it does to the provision.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRow {
    /// A finding code, or `FAMILY-*`.
    #[serde(default)]
    pub code: Option<String>,
    /// An IXIT field such as `UpdMech.signature_verification`, matched against `equals`.
    #[serde(default)]
    pub ixit: Option<String>,
    #[serde(default)]
    pub equals: Option<toml::Value>,
    pub role: Role,
    /// Codes whose presence in the image lifts this row (a signature check makes a plain
    /// HTTP download acceptable).
    #[serde(default)]
    pub unless: Vec<String>,
    /// One line: why the code bears on the provision this way.
    pub why: String,
}

impl EvidenceRow {
    /// The row's subject as the docs and reasons name it.
    pub fn subject(&self) -> String {
        match (&self.code, &self.ixit) {
            (Some(c), _) => c.clone(),
            (None, Some(f)) => format!(
                "IXIT {f} = {}",
                self.equals
                    .as_ref()
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            ),
            (None, None) => String::new(),
        }
    }
}

/// A live test whose result bears on a provision.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestRow {
    /// The live test id (`default-credentials`, `tls-audit`, ...).
    pub id: String,
    /// Whether passing the test over its whole scope proves the provision (PASS); an
    /// incomplete test adds evidence only.
    pub complete: bool,
    pub why: String,
}

/// One provision of a scheme.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provision {
    pub id: String,
    pub obligation: Obligation,
    /// Level of a levelled scheme (Singapore CLS) at which the provision first applies.
    #[serde(default)]
    pub level: Option<u8>,
    /// A variant of the scheme the provision belongs to only (`gateway` for CLS 7.x).
    #[serde(default)]
    pub variant: Option<String>,
    /// Flags that must all hold for the provision to apply; `!flag` means the flag is false.
    #[serde(default)]
    pub when: Vec<String>,
    /// The scheme's own notation of the condition, such as `MF(a)`.
    #[serde(default)]
    pub condition: Option<String>,
    /// Why the provision may not apply although it has no condition flag (CRA Part I(2)
    /// applies "where applicable"): an ICS N/A answer with a justification is honoured.
    #[serde(default)]
    pub applicability: Option<String>,
    pub title: String,
    pub checked_by: Vec<Method>,
    /// Mapping rows: finding codes and IXIT facts, each with its role and reason.
    #[serde(default)]
    pub evidence: Vec<EvidenceRow>,
    /// Live tests that bear on the provision.
    #[serde(default)]
    pub tests: Vec<TestRow>,
    /// Declaration facts that support the provision (see `evaluate`).
    #[serde(default)]
    pub facts: Vec<String>,
    /// The ETSI TS 103 701 test group that assesses the provision (EN 303 645 only).
    #[serde(default)]
    pub test_group: Option<String>,
}

impl Provision {
    pub fn is_conditional(&self) -> bool {
        !self.when.is_empty() || self.applicability.is_some()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemeHeader {
    profile: String,
    /// Short heading for reports and labels, such as `ETSI EN 303 645 V2.1.1`.
    title: String,
    name: String,
    edition: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemeFile {
    scheme: SchemeHeader,
    provision: Vec<Provision>,
}

/// A scheme narrowed to what one profile asks for.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Profile name, such as `sg-cls-2`.
    pub name: String,
    pub scheme_name: String,
    pub edition: String,
    /// Short heading, with the level for levelled schemes (`Singapore CLS, level 2`).
    pub title: String,
    /// For levelled schemes, the level this profile targets.
    pub level: Option<u8>,
    pub provisions: Vec<Provision>,
}

/// The embedded data files, by file stem.
const FILES: &[(&str, &str)] = &[
    (
        "etsi-en-303-645",
        include_str!("../standards/etsi-en-303-645.toml"),
    ),
    (
        "etsi-en-303-645-v3",
        include_str!("../standards/etsi-en-303-645-v3.toml"),
    ),
    ("uk-psti", include_str!("../standards/uk-psti.toml")),
    ("eu-cra", include_str!("../standards/eu-cra.toml")),
    ("sg-cls", include_str!("../standards/sg-cls.toml")),
    ("nistir-8425", include_str!("../standards/nistir-8425.toml")),
];
const FLAGS: &str = include_str!("../standards/flags.toml");

/// Profile names scripts may rely on.
pub const PROFILES: &[&str] = &[
    "etsi-en-303-645",
    "etsi-en-303-645-v3",
    "uk-psti",
    "eu-cra",
    "sg-cls-1",
    "sg-cls-2",
    "sg-cls-3",
    "sg-cls-4",
    "sg-cls-gw-1",
    "sg-cls-gw-2",
    "sg-cls-gw-3",
    "sg-cls-gw-4",
    "nistir-8425",
];

fn parse_scheme(stem: &str, text: &str) -> Result<SchemeFile, Error> {
    toml::from_str(text).map_err(|e| Error::Catalogue(format!("standards/{stem}.toml: {e}")))
}

/// Loads one profile by name.
pub fn profile(name: &str) -> Result<Profile, Error> {
    let (stem, level, variant) = match name.strip_prefix("sg-cls-") {
        Some(l) => {
            let (variant, l) = match l.strip_prefix("gw-") {
                Some(l) => (Some("gateway"), l),
                None => (None, l),
            };
            let level: u8 = l
                .parse()
                .ok()
                .filter(|n| (1..=4).contains(n))
                .ok_or_else(|| unknown_profile(name))?;
            ("sg-cls", Some(level), variant)
        }
        None => (name, None, None),
    };
    let text = FILES
        .iter()
        .find(|(s, _)| *s == stem && (stem != "sg-cls" || level.is_some()))
        .map(|(_, t)| *t)
        .ok_or_else(|| unknown_profile(name))?;
    let file = parse_scheme(stem, text)?;
    let provisions = file
        .provision
        .into_iter()
        .filter(|p| match (level, p.level) {
            (Some(max), Some(l)) => l <= max,
            _ => true,
        })
        .filter(|p| p.variant.is_none() || p.variant.as_deref() == variant)
        .collect();
    Ok(Profile {
        name: name.to_string(),
        title: match level {
            Some(l) if variant.is_some() => {
                format!("{} (home gateways), level {l}", file.scheme.title)
            }
            Some(l) => format!("{}, level {l}", file.scheme.title),
            None => file.scheme.title,
        },
        scheme_name: file.scheme.name,
        edition: file.scheme.edition,
        level,
        provisions,
    })
}

fn unknown_profile(name: &str) -> Error {
    Error::Catalogue(format!(
        "unknown profile `{name}`; choose one of: {}",
        PROFILES.join(", ")
    ))
}

/// Every condition/feature flag a declaration may set, with what it means.
pub fn flags() -> BTreeMap<String, String> {
    #[derive(Deserialize)]
    struct F {
        flags: BTreeMap<String, String>,
    }
    // Parsed once: evaluation looks flags up for every conditional provision.
    static PARSED: std::sync::OnceLock<BTreeMap<String, String>> = std::sync::OnceLock::new();
    PARSED
        .get_or_init(|| {
            toml::from_str::<F>(FLAGS)
                .map(|f| f.flags)
                .unwrap_or_default()
        })
        .clone()
}

/// Every finding code the mapping may name, with its title (the contract's table).
pub fn known_codes() -> BTreeMap<String, String> {
    baseliner_model::Code::ALL
        .iter()
        .map(|c| (c.as_str().to_string(), c.title().to_string()))
        .collect()
}

/// The profile header of each embedded file, to check file and profile names agree.
#[doc(hidden)]
pub fn embedded_headers() -> Vec<(String, String)> {
    FILES
        .iter()
        .filter_map(|(stem, text)| {
            parse_scheme(stem, text)
                .ok()
                .map(|f| (stem.to_string(), f.scheme.profile))
        })
        .collect()
}

/// Every provision id of every embedded scheme (ICS answers must name one of them).
pub fn all_provision_ids() -> std::collections::BTreeSet<String> {
    FILES
        .iter()
        .filter_map(|(stem, text)| parse_scheme(stem, text).ok())
        .flat_map(|f| f.provision.into_iter().map(|p| p.id))
        .collect()
}
