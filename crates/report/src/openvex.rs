//! OpenVEX 0.2.0: one statement per vulnerability match.

use baseliner_model::{Component, VexStatus, VulnMatch};
use serde_json::{Value, json};

use crate::sbom::{SbomMeta, advisory_url};

fn product_id(components: &[Component], m: &VulnMatch) -> String {
    let c = components
        .iter()
        .find(|c| c.name == m.component && c.version == m.version)
        .or_else(|| components.iter().find(|c| c.name == m.component));
    if let Some(c) = c {
        if let Some(p) = &c.purl {
            return p.clone();
        }
        if let Some(cpe) = &c.cpe {
            return cpe.clone();
        }
    }
    let enc = |s: &str| -> String {
        s.chars()
            .map(|ch| {
                if ch.is_ascii_alphanumeric() || "-._~".contains(ch) {
                    ch.to_string()
                } else {
                    format!("%{:02X}", u32::from(ch) & 0xff)
                }
            })
            .collect()
    };
    format!("pkg:generic/{}@{}", enc(&m.component), enc(&m.version))
}

/// OpenVEX 0.2.0 document with one statement per match.
pub fn openvex(components: &[Component], vulns: &[VulnMatch], meta: &SbomMeta) -> Value {
    let time = meta
        .timestamp
        .clone()
        .unwrap_or_else(baseliner_model::now_rfc3339);
    let statements: Vec<Value> = vulns
        .iter()
        .map(|m| {
            let mut s = json!({
                "vulnerability": {"name": m.id, "@id": advisory_url(&m.id)},
                "products": [{"@id": product_id(components, m)}],
                "status": m.vex_status,
                "status_notes": m.rule,
            });
            match m.vex_status {
                VexStatus::Affected => {
                    s["action_statement"] = json!(
                        "Update the component to a version outside the affected range, or obtain the vendor's fix."
                    );
                }
                VexStatus::NotAffected => {
                    s["justification"] = json!(
                        m.vex_justification.clone().unwrap_or_else(|| "vulnerable_code_not_present".into())
                    );
                    s["impact_statement"] = json!(m.rule);
                }
                _ => {}
            }
            s
        })
        .collect();
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("https://baseliner.invalid/vex/{}", meta.sha256.clone().unwrap_or_else(|| time.replace(':', ""))),
        "author": format!("baseliner {}", meta.tool_version),
        "timestamp": time,
        "version": 1,
        "statements": statements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use baseliner_model::IdentitySource;

    fn m(id: &str, status: VexStatus) -> VulnMatch {
        VulnMatch {
            id: id.into(),
            component: "busybox".into(),
            version: "1.01".into(),
            rule: "cpe busybox:busybox versionEndExcluding 1.30.0".into(),
            identity_source: IdentitySource::BinaryString,
            cvss_score: Some(9.8),
            cvss_severity: Some("critical".into()),
            kev: false,
            published: None,
            summary: String::new(),
            vex_status: status,
            vex_justification: None,
        }
    }

    #[test]
    fn openvex_statements_carry_what_the_spec_requires() {
        let mut a = m("CVE-2021-42386", VexStatus::NotAffected);
        a.vex_justification = Some("vulnerable_code_not_present".into());
        let ms = vec![a, m("CVE-2018-20679", VexStatus::Affected)];
        let doc = openvex(&[], &ms, &SbomMeta::default());
        let st = doc["statements"].as_array().unwrap();
        assert_eq!(st[0]["status"], "not_affected");
        assert_eq!(st[0]["justification"], "vulnerable_code_not_present");
        assert_eq!(st[1]["status"], "affected");
        assert!(st[1]["action_statement"].is_string());
        assert_eq!(st[1]["products"][0]["@id"], "pkg:generic/busybox@1.01");
    }
}
