//! VEX: OpenVEX documents, and evidence that a CVE does not apply.
//!
//! A status other than `affected` needs evidence the tool actually has. The one kind
//! established here is "the vulnerable BusyBox applet is not built in": BusyBox CVEs
//! are nearly all in a single applet, and the applet list is read from the binary.

use baseliner_model::{Component, VulnMatch};
use serde_json::{Value, json};

use crate::sbom::SbomMeta;

/// BusyBox CVEs and the applets whose code they are in (from each record's description).
const BUSYBOX_APPLETS: &[(&str, &[&str])] = &[
    ("CVE-2016-2147", &["udhcpc"]),
    ("CVE-2016-2148", &["udhcpc"]),
    ("CVE-2017-16544", &["ash"]),
    ("CVE-2018-20679", &["udhcpc", "udhcpd"]),
    ("CVE-2019-5747", &["udhcpc", "udhcpd"]),
    ("CVE-2021-42374", &["unlzma", "lzcat", "lzma"]),
    ("CVE-2021-42375", &["ash"]),
    ("CVE-2021-42376", &["hush"]),
    ("CVE-2021-42377", &["hush"]),
    ("CVE-2021-42378", &["awk"]),
    ("CVE-2021-42379", &["awk"]),
    ("CVE-2021-42380", &["awk"]),
    ("CVE-2021-42381", &["awk"]),
    ("CVE-2021-42382", &["awk"]),
    ("CVE-2021-42383", &["awk"]),
    ("CVE-2021-42384", &["awk"]),
    ("CVE-2021-42385", &["awk"]),
    ("CVE-2021-42386", &["awk"]),
    ("CVE-2022-48174", &["ash"]),
];

/// Marks BusyBox matches `not_affected` where the binary's applet list (`applets`)
/// shows the vulnerable applet is not built in. Matches of other components, and CVEs
/// not in the table, are left as they are. Returns how many were changed.
pub fn busybox_applets(matches: &mut [VulnMatch], component: &str, applets: &[String]) -> usize {
    let mut changed = 0;
    for m in matches.iter_mut().filter(|m| m.component == component) {
        let Some((_, needed)) = BUSYBOX_APPLETS.iter().find(|(id, _)| *id == m.id) else {
            continue;
        };
        if needed.iter().any(|a| applets.iter().any(|b| b == a)) {
            continue;
        }
        m.vex_status = "not_affected".into();
        m.vex_justification = Some("vulnerable_code_not_present".into());
        m.rule = format!(
            "{}; applet {} not built in ({} applets listed)",
            m.rule,
            needed.join("/"),
            applets.len()
        );
        changed += 1;
    }
    changed
}

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
    let time = meta.timestamp.clone().unwrap_or_else(crate::now_rfc3339);
    let statements: Vec<Value> = vulns
        .iter()
        .map(|m| {
            let mut s = json!({
                "vulnerability": {"name": m.id, "@id": crate::sbom::advisory_url(&m.id)},
                "products": [{"@id": product_id(components, m)}],
                "status": m.vex_status,
                "status_notes": m.rule,
            });
            match m.vex_status.as_str() {
                "affected" => {
                    s["action_statement"] = json!(
                        "Update the component to a version outside the affected range, or obtain the vendor's fix."
                    );
                }
                "not_affected" => {
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

    fn m(id: &str) -> VulnMatch {
        VulnMatch {
            id: id.into(),
            component: "busybox".into(),
            version: "1.01".into(),
            rule: "cpe busybox:busybox versionEndExcluding 1.30.0".into(),
            identity_source: "binary-string".into(),
            cvss_score: Some(9.8),
            cvss_severity: Some("critical".into()),
            kev: false,
            summary: String::new(),
            vex_status: "affected".into(),
            vex_justification: None,
        }
    }

    #[test]
    fn missing_applet_is_evidence_present_applet_is_not() {
        let mut ms = vec![m("CVE-2021-42386"), m("CVE-2018-20679"), m("CVE-2099-1")];
        let applets: Vec<String> = ["ash", "udhcpc", "sh"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(busybox_applets(&mut ms, "busybox", &applets), 1);
        assert_eq!(ms[0].vex_status, "not_affected");
        assert_eq!(
            ms[0].vex_justification.as_deref(),
            Some("vulnerable_code_not_present")
        );
        assert!(ms[0].rule.contains("applet awk not built in"));
        assert_eq!(ms[1].vex_status, "affected");
        assert_eq!(ms[2].vex_status, "affected");
    }

    #[test]
    fn openvex_statements_carry_what_the_spec_requires() {
        let mut ms = vec![m("CVE-2021-42386"), m("CVE-2018-20679")];
        busybox_applets(&mut ms, "busybox", &["udhcpc".to_string()]);
        let doc = openvex(&[], &ms, &SbomMeta::default());
        let st = doc["statements"].as_array().unwrap();
        assert_eq!(st[0]["status"], "not_affected");
        assert_eq!(st[0]["justification"], "vulnerable_code_not_present");
        assert_eq!(st[1]["status"], "affected");
        assert!(st[1]["action_statement"].is_string());
        assert_eq!(st[1]["products"][0]["@id"], "pkg:generic/busybox@1.01");
    }
}
