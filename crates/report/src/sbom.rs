//! SBOM documents: CycloneDX 1.6 JSON (with VEX analysis) and SPDX 2.3 JSON.
//!
//! Written with the crate's own serde structs: `cyclonedx-bom` stops at spec 1.5 and
//! the SPDX crates do not build or are stale (see the dependency survey). Tests validate
//! the output against the official JSON schemas in `schemas/`.

use baseliner_model::{Component, VexStatus, VulnMatch};
use serde::Serialize;
use serde_json::Value;

/// What the document describes and who made it.
#[derive(Debug, Clone, Default)]
pub struct SbomMeta {
    /// Image or device name.
    pub name: String,
    /// Firmware version, where known.
    pub version: Option<String>,
    /// SHA-256 of the image, hex.
    pub sha256: Option<String>,
    /// Version of baseliner that made it.
    pub tool_version: String,
    /// RFC 3339 time; the current time when `None`.
    pub timestamp: Option<String>,
}

impl SbomMeta {
    fn time(&self) -> String {
        self.timestamp
            .clone()
            .unwrap_or_else(baseliner_model::now_rfc3339)
    }
}

fn component_type(name: &str) -> &'static str {
    let n = name.to_ascii_lowercase();
    if matches!(n.as_str(), "linux" | "linux_kernel" | "kernel") {
        "operating-system"
    } else if n.starts_with("lib")
        || matches!(
            n.as_str(),
            "openssl"
                | "uclibc"
                | "uclibc-ng"
                | "glibc"
                | "zlib"
                | "mbedtls"
                | "wolfssl"
                | "expat"
                | "sqlite"
        )
    {
        "library"
    } else {
        "application"
    }
}

/// The component index a match refers to, or `None` for the device itself.
fn component_index(components: &[Component], m: &VulnMatch) -> Option<usize> {
    components
        .iter()
        .position(|c| c.name == m.component && c.version == m.version)
        .or_else(|| components.iter().position(|c| c.name == m.component))
}

/// Advisory URL for an id.
pub(crate) fn advisory_url(id: &str) -> String {
    if id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{id}")
    } else {
        format!("https://osv.dev/vulnerability/{id}")
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CdxBom {
    bom_format: &'static str,
    spec_version: &'static str,
    version: u32,
    metadata: CdxMetadata,
    components: Vec<CdxComponent>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<CdxVuln>,
}

#[derive(Serialize)]
struct CdxMetadata {
    timestamp: String,
    tools: CdxTools,
    component: CdxComponent,
}

#[derive(Serialize)]
struct CdxTools {
    components: Vec<CdxComponent>,
}

#[derive(Serialize)]
struct CdxComponent {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cpe: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<CdxHash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<CdxProperty>,
}

#[derive(Serialize)]
struct CdxHash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize)]
struct CdxProperty {
    name: String,
    value: String,
}

#[derive(Serialize)]
struct CdxSource {
    name: String,
    url: String,
}

#[derive(Serialize)]
struct CdxRating {
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    severity: String,
}

#[derive(Serialize)]
struct CdxAnalysis {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'static str>,
    detail: String,
}

#[derive(Serialize)]
struct CdxAffects {
    #[serde(rename = "ref")]
    reference: String,
}

#[derive(Serialize)]
struct CdxVuln {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    id: String,
    source: CdxSource,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ratings: Vec<CdxRating>,
    description: String,
    analysis: CdxAnalysis,
    affects: Vec<CdxAffects>,
    properties: Vec<CdxProperty>,
}

/// CycloneDX analysis state for a VEX status.
fn cdx_state(status: VexStatus) -> &'static str {
    match status {
        VexStatus::NotAffected => "not_affected",
        VexStatus::Fixed => "resolved",
        VexStatus::Affected => "exploitable",
        VexStatus::UnderInvestigation => "in_triage",
    }
}

/// CycloneDX justification for an OpenVEX one.
fn cdx_justification(j: &str) -> Option<&'static str> {
    Some(match j {
        "component_not_present" | "vulnerable_code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary" => "requires_environment",
        "inline_mitigations_already_exist" => "protected_by_mitigating_control",
        _ => return None,
    })
}

fn severity_word(s: Option<&str>) -> String {
    match s.map(str::to_ascii_lowercase).as_deref() {
        Some(s @ ("critical" | "high" | "medium" | "low" | "info" | "none")) => s.to_string(),
        Some("moderate") => "medium".into(),
        _ => "unknown".into(),
    }
}

/// CycloneDX 1.6 JSON with the components and, as VEX, each match's analysis.
pub fn cyclonedx(components: &[Component], vulns: &[VulnMatch], meta: &SbomMeta) -> Value {
    let comps: Vec<CdxComponent> = components
        .iter()
        .enumerate()
        .map(|(i, c)| CdxComponent {
            kind: component_type(&c.name),
            bom_ref: Some(format!("component-{i}")),
            name: c.name.clone(),
            version: Some(c.version.clone()).filter(|v| !v.is_empty()),
            cpe: c.cpe.clone(),
            purl: c.purl.clone(),
            hashes: vec![],
            properties: c
                .evidence
                .first()
                .map(|e| CdxProperty {
                    name: "baseliner:evidence".into(),
                    value: e.provenance.clone(),
                })
                .into_iter()
                .chain(c.properties.iter().map(|(k, v)| CdxProperty {
                    name: format!("baseliner:{k}"),
                    value: v.clone(),
                }))
                .collect(),
        })
        .collect();
    let vulnerabilities = vulns
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let reference = component_index(components, m)
                .map(|i| format!("component-{i}"))
                .unwrap_or_else(|| "device".into());
            let mut properties = vec![
                CdxProperty {
                    name: "baseliner:rule".into(),
                    value: m.rule.clone(),
                },
                CdxProperty {
                    name: "baseliner:identity-source".into(),
                    value: m.identity_source.as_str().to_string(),
                },
            ];
            if m.kev {
                properties.push(CdxProperty {
                    name: "baseliner:cisa-kev".into(),
                    value: "true".into(),
                });
            }
            CdxVuln {
                bom_ref: format!("vulnerability-{i}"),
                id: m.id.to_string(),
                source: CdxSource {
                    name: if m.id.starts_with("CVE-") {
                        "NVD"
                    } else {
                        "OSV"
                    }
                    .into(),
                    url: advisory_url(&m.id),
                },
                ratings: if m.cvss_score.is_some() || m.cvss_severity.is_some() {
                    vec![CdxRating {
                        score: m.cvss_score,
                        severity: severity_word(m.cvss_severity.as_deref()),
                    }]
                } else {
                    vec![]
                },
                description: m.summary.clone(),
                analysis: CdxAnalysis {
                    state: cdx_state(m.vex_status),
                    justification: m.vex_justification.as_deref().and_then(cdx_justification),
                    detail: m.rule.clone(),
                },
                affects: vec![CdxAffects { reference }],
                properties,
            }
        })
        .collect();
    let bom = CdxBom {
        bom_format: "CycloneDX",
        spec_version: "1.6",
        version: 1,
        metadata: CdxMetadata {
            timestamp: meta.time(),
            tools: CdxTools {
                components: vec![CdxComponent {
                    kind: "application",
                    bom_ref: None,
                    name: "baseliner".into(),
                    version: Some(meta.tool_version.clone()),
                    cpe: None,
                    purl: None,
                    hashes: vec![],
                    properties: vec![],
                }],
            },
            component: CdxComponent {
                kind: "firmware",
                bom_ref: Some("device".into()),
                name: meta.name.clone(),
                version: meta.version.clone(),
                cpe: None,
                purl: None,
                hashes: meta
                    .sha256
                    .iter()
                    .map(|h| CdxHash {
                        alg: "SHA-256",
                        content: h.clone(),
                    })
                    .collect(),
                properties: vec![],
            },
        },
        components: comps,
        vulnerabilities,
    };
    serde_json::to_value(bom).unwrap_or(Value::Null)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxDoc {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: SpdxCreation,
    packages: Vec<SpdxPackage>,
    relationships: Vec<SpdxRelationship>,
}

#[derive(Serialize)]
struct SpdxCreation {
    created: String,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    download_location: &'static str,
    files_analyzed: bool,
    license_concluded: &'static str,
    license_declared: &'static str,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<SpdxChecksum>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<SpdxExternalRef>,
}

#[derive(Serialize)]
struct SpdxChecksum {
    algorithm: &'static str,
    #[serde(rename = "checksumValue")]
    value: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxRelationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

/// Characters SPDX allows in a namespace path segment.
fn slug(s: &str) -> String {
    let out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if out.is_empty() {
        "unnamed".into()
    } else {
        out
    }
}

/// SPDX 2.3 JSON: the device as the described package, each component contained in it,
/// and each match as a security advisory reference on its package.
pub fn spdx(components: &[Component], vulns: &[VulnMatch], meta: &SbomMeta) -> Value {
    let created = meta.time();
    let unique = meta.sha256.clone().unwrap_or_else(|| created.clone());
    let mut packages = vec![SpdxPackage {
        spdx_id: "SPDXRef-Device".into(),
        name: meta.name.clone(),
        version_info: meta.version.clone(),
        download_location: "NOASSERTION",
        files_analyzed: false,
        license_concluded: "NOASSERTION",
        license_declared: "NOASSERTION",
        copyright_text: "NOASSERTION",
        primary_package_purpose: Some("FIRMWARE"),
        checksums: meta
            .sha256
            .iter()
            .map(|h| SpdxChecksum {
                algorithm: "SHA256",
                value: h.clone(),
            })
            .collect(),
        external_refs: vec![],
    }];
    let mut relationships = vec![SpdxRelationship {
        spdx_element_id: "SPDXRef-DOCUMENT".into(),
        relationship_type: "DESCRIBES",
        related_spdx_element: "SPDXRef-Device".into(),
    }];
    for (i, c) in components.iter().enumerate() {
        let id = format!("SPDXRef-Package-{i}");
        let mut refs = Vec::new();
        if let Some(cpe) = &c.cpe {
            refs.push(SpdxExternalRef {
                reference_category: "SECURITY",
                reference_type: "cpe23Type",
                reference_locator: cpe.clone(),
            });
        }
        if let Some(p) = &c.purl {
            refs.push(SpdxExternalRef {
                reference_category: "PACKAGE-MANAGER",
                reference_type: "purl",
                reference_locator: p.clone(),
            });
        }
        packages.push(SpdxPackage {
            spdx_id: id.clone(),
            name: c.name.clone(),
            version_info: Some(c.version.clone()).filter(|v| !v.is_empty()),
            download_location: "NOASSERTION",
            files_analyzed: false,
            license_concluded: "NOASSERTION",
            license_declared: "NOASSERTION",
            copyright_text: "NOASSERTION",
            primary_package_purpose: Some(match component_type(&c.name) {
                "operating-system" => "OPERATING_SYSTEM",
                "library" => "LIBRARY",
                _ => "APPLICATION",
            }),
            checksums: vec![],
            external_refs: refs,
        });
        relationships.push(SpdxRelationship {
            spdx_element_id: "SPDXRef-Device".into(),
            relationship_type: "CONTAINS",
            related_spdx_element: id,
        });
    }
    for m in vulns
        .iter()
        .filter(|m| m.vex_status != VexStatus::NotAffected)
    {
        let idx = component_index(components, m).map_or(0, |i| i + 1);
        if let Some(p) = packages.get_mut(idx) {
            let url = advisory_url(&m.id);
            if !p.external_refs.iter().any(|r| r.reference_locator == url) {
                p.external_refs.push(SpdxExternalRef {
                    reference_category: "SECURITY",
                    reference_type: "advisory",
                    reference_locator: url,
                });
            }
        }
    }
    let doc = SpdxDoc {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name: meta.name.clone(),
        document_namespace: format!(
            "https://baseliner.invalid/spdx/{}-{}",
            slug(&meta.name),
            slug(&unique)
        ),
        creation_info: SpdxCreation {
            created,
            creators: vec![format!("Tool: baseliner-{}", meta.tool_version)],
        },
        packages,
        relationships,
    };
    serde_json::to_value(doc).unwrap_or(Value::Null)
}
