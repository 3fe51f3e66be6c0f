//! OSV advisories (single JSON files; the zip dumps are opened by the importer).

use serde::Deserialize;

use crate::record::{OsvPackage, OsvRecord};

#[derive(Deserialize)]
struct Osv {
    id: String,
    modified: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    affected: Vec<Affected>,
    #[serde(default)]
    database_specific: Option<DbSpecific>,
    #[serde(default)]
    withdrawn: Option<String>,
}

#[derive(Deserialize)]
struct DbSpecific {
    severity: Option<String>,
}

#[derive(Deserialize)]
struct Affected {
    package: Option<Package>,
    #[serde(default)]
    ranges: Vec<Range>,
    #[serde(default)]
    versions: Vec<String>,
}

#[derive(Deserialize)]
struct Package {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct Range {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<std::collections::BTreeMap<String, String>>,
}

/// Parses one OSV record. Withdrawn advisories come back with no affected packages,
/// so importing one removes what an older copy claimed.
pub fn parse(text: &str) -> Result<OsvRecord, (String, String)> {
    let o: Osv = serde_json::from_str(text).map_err(|e| (id_of(text), e.to_string()))?;
    if o.id.is_empty() || o.id.len() > 128 || o.modified.is_empty() {
        return Err((o.id, "record has no usable id or modified date".into()));
    }
    let summary = o
        .summary
        .filter(|s| !s.is_empty())
        .or(o.details)
        .map(|s| s.lines().next().unwrap_or("").to_string())
        .unwrap_or_default();
    let affected = if o.withdrawn.is_some() {
        Vec::new()
    } else {
        o.affected
            .into_iter()
            .filter_map(|a| {
                let p = a.package?;
                let ecosystem = p
                    .ecosystem
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let release = p
                    .ecosystem
                    .split_once(':')
                    .map(|(_, r)| r.trim().to_string())
                    .filter(|r| !r.is_empty());
                let ranges = a
                    .ranges
                    .into_iter()
                    // GIT ranges name commits, not versions a firmware image shows.
                    .filter(|r| r.kind == "ECOSYSTEM" || r.kind == "SEMVER")
                    .map(|r| r.events.into_iter().flat_map(|e| e.into_iter()).collect())
                    .collect();
                Some(OsvPackage {
                    ecosystem,
                    name: p.name,
                    ranges,
                    versions: a.versions,
                    release,
                })
            })
            .collect()
    };
    Ok(OsvRecord {
        id: o.id,
        modified: o.modified,
        aliases: o.aliases,
        summary,
        severity: o
            .database_specific
            .and_then(|d| d.severity)
            .map(|s| s.to_ascii_lowercase()),
        affected,
    })
}

fn id_of(text: &str) -> String {
    #[derive(Deserialize)]
    struct Id {
        id: Option<String>,
    }
    serde_json::from_str::<Id>(text)
        .ok()
        .and_then(|i| i.id)
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_debian_advisory() {
        let t = r#"{"schema_version":"1.6.0","id":"DEBIAN-CVE-2022-48174","modified":"2024-01-01T00:00:00Z",
          "aliases":["CVE-2022-48174"],"details":"stack overflow in ash",
          "affected":[{"package":{"ecosystem":"Debian:12","name":"busybox","purl":"pkg:deb/debian/busybox"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.35.0-4+b3"}]},
                      {"type":"GIT","repo":"x","events":[{"introduced":"abc"}]}]}]}"#;
        let r = parse(t).unwrap();
        assert_eq!(r.affected[0].ecosystem, "debian");
        assert_eq!(r.affected[0].ranges.len(), 1);
        assert_eq!(
            r.affected[0].ranges[0][1],
            ("fixed".to_string(), "1:1.35.0-4+b3".to_string())
        );
        assert_eq!(r.summary, "stack overflow in ash");
        assert_eq!(parse(r#"{"id":"X","modified":5}"#).unwrap_err().0, "X");
    }
}
