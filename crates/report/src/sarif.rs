//! SARIF 2.1.0 for code-scanning tools: one rule per finding code, one result per
//! finding and per known vulnerability, locations inside the unpacked image.

use std::collections::BTreeMap;

use baseliner_model::{Assessment, Code, Severity, VexStatus};
use serde_json::{Value, json};

const SARIF_SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// A relative URI for a path inside the image (SARIF wants URI references).
fn uri(path: &str) -> String {
    let mut o = String::new();
    for b in path.trim_start_matches('/').bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                o.push(b as char)
            }
            _ => o.push_str(&format!("%{b:02X}")),
        }
    }
    if o.is_empty() { ".".into() } else { o }
}

/// The SARIF log as a JSON value.
pub fn to_sarif(a: &Assessment) -> Value {
    let mut rules: BTreeMap<Code, Value> = BTreeMap::new();
    let mut results = vec![];
    for f in &a.findings {
        rules.entry(f.code).or_insert_with(|| {
            json!({
                "id": f.code,
                "name": f.code.as_str().replace('-', ""),
                "shortDescription": { "text": f.title },
                "defaultConfiguration": { "level": level(f.severity) },
                "properties": { "family": f.family, "security-severity": severity_score(f.severity) }
            })
        });
        let locations: Vec<Value> = f
            .evidence
            .iter()
            .take(20)
            .map(|e| {
                let mut phys = json!({ "artifactLocation": { "uri": uri(&e.path), "uriBaseId": "IMAGEROOT" } });
                if let Some(off) = e.offset {
                    phys["region"] = json!({ "byteOffset": off });
                }
                let mut loc = json!({ "physicalLocation": phys });
                if !e.provenance.is_empty() {
                    loc["message"] = json!({ "text": e.provenance });
                }
                loc
            })
            .collect();
        let text = if f.detail.is_empty() {
            f.title.clone()
        } else {
            format!("{}: {}", f.title, f.detail)
        };
        results.push(json!({
            "ruleId": f.code,
            "level": level(f.severity),
            "message": { "text": text },
            "locations": locations,
            "properties": { "severity": f.severity.as_str(), "confidence": f.confidence.as_str() }
        }));
    }
    for v in &a.vulnerabilities {
        let code = v.code();
        let sev = code.info().severity;
        rules.entry(code).or_insert_with(|| {
            json!({
                "id": code,
                "shortDescription": { "text": code.title() },
                "defaultConfiguration": { "level": level(sev) },
            })
        });
        results.push(json!({
            "ruleId": code,
            "level": if v.vex_status == VexStatus::Affected { level(sev) } else { "note" },
            "message": { "text": format!("{} in {} {}: {} (VEX: {})", v.id, v.component, v.version, v.summary, v.vex_status) },
            "properties": { "cve": v.id, "kev": v.kev, "cvss": v.cvss_score, "rule": v.rule }
        }));
    }
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "baseliner",
                "version": a.tool.version,
                "informationUri": "https://example.invalid/baseliner",
                "rules": rules.into_values().collect::<Vec<_>>()
            } },
            "originalUriBaseIds": { "IMAGEROOT": { "description": { "text": format!("root of the unpacked image {}", a.image.name) } } },
            "results": results,
            "properties": {
                "profile": a.profile,
                "imageSha256": a.image.sha256,
                "outcome": a.summary.outcome
            }
        }]
    })
}

fn severity_score(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}
