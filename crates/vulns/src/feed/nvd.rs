//! NVD CVE API 2.0 records (single records and result pages).
//!
//! Only the fields matching needs are declared; serde ignores the rest, so newer
//! fields (`cveTags`, `affected`, `ssvcV203`, `cisa*`) import without change.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::record::{Config, CpeCriterion, CveRecord, Node};

#[derive(Deserialize)]
struct Wrapped {
    cve: NvdCve,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NvdCve {
    id: String,
    #[serde(default)]
    published: String,
    last_modified: String,
    #[serde(default)]
    descriptions: Vec<LangString>,
    #[serde(default)]
    metrics: Metrics,
    #[serde(default)]
    configurations: Vec<NvdConfig>,
}

#[derive(Deserialize)]
struct LangString {
    lang: String,
    value: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Metrics {
    #[serde(default)]
    cvss_metric_v40: Vec<Metric>,
    #[serde(default)]
    cvss_metric_v31: Vec<Metric>,
    #[serde(default)]
    cvss_metric_v30: Vec<Metric>,
    #[serde(default)]
    cvss_metric_v2: Vec<Metric>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metric {
    #[serde(rename = "type", default)]
    kind: String,
    cvss_data: CvssData,
    /// CVSS v2 keeps its severity here rather than in `cvssData`.
    base_severity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CvssData {
    base_score: f64,
    base_severity: Option<String>,
}

#[derive(Deserialize)]
struct NvdConfig {
    operator: Option<String>,
    #[serde(default)]
    negate: bool,
    #[serde(default)]
    nodes: Vec<NvdNode>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NvdNode {
    operator: Option<String>,
    #[serde(default)]
    negate: bool,
    #[serde(default)]
    cpe_match: Vec<NvdCpeMatch>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NvdCpeMatch {
    vulnerable: bool,
    criteria: String,
    version_start_including: Option<String>,
    version_start_excluding: Option<String>,
    version_end_including: Option<String>,
    version_end_excluding: Option<String>,
}

impl NvdCve {
    fn into_record(self) -> Result<CveRecord, String> {
        if self.id.is_empty() || self.id.len() > 64 {
            return Err("record has no usable id".into());
        }
        if crate::record::cve_key(&self.id).is_none() {
            return Err(format!("id {:?} is not a CVE id (CVE-YYYY-NNNN)", self.id));
        }
        if self.last_modified.is_empty() {
            return Err("record has no lastModified".into());
        }
        let summary = self
            .descriptions
            .iter()
            .find(|d| d.lang == "en")
            .or_else(|| self.descriptions.first())
            .map(|d| d.value.lines().next().unwrap_or("").to_string())
            .unwrap_or_default();
        let m = &self.metrics;
        // Highest CVSS version wins; within one, NVD's Primary score over a Secondary one.
        let metric = [
            &m.cvss_metric_v40,
            &m.cvss_metric_v31,
            &m.cvss_metric_v30,
            &m.cvss_metric_v2,
        ]
        .into_iter()
        .find(|l| !l.is_empty())
        .and_then(|l| l.iter().find(|x| x.kind == "Primary").or_else(|| l.first()));
        let (cvss_score, cvss_severity) = match metric {
            Some(x) => (
                Some(x.cvss_data.base_score),
                x.cvss_data
                    .base_severity
                    .clone()
                    .or_else(|| x.base_severity.clone())
                    .map(|s| s.to_ascii_lowercase()),
            ),
            None => (None, None),
        };
        let configs = self
            .configurations
            .into_iter()
            .map(|c| Config {
                and: c.operator.as_deref() == Some("AND"),
                negate: c.negate,
                nodes: c
                    .nodes
                    .into_iter()
                    .map(|n| Node {
                        and: n.operator.as_deref() == Some("AND"),
                        negate: n.negate,
                        matches: n
                            .cpe_match
                            .into_iter()
                            .map(|x| CpeCriterion {
                                vulnerable: x.vulnerable,
                                criteria: x.criteria,
                                start_including: x.version_start_including,
                                start_excluding: x.version_start_excluding,
                                end_including: x.version_end_including,
                                end_excluding: x.version_end_excluding,
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
        Ok(CveRecord {
            id: self.id,
            published: self.published,
            last_modified: self.last_modified,
            summary,
            cvss_score,
            cvss_severity,
            configs,
        })
    }
}

/// Best-effort id of a record that did not parse, for the error message.
fn id_of(raw: &str) -> String {
    #[derive(Deserialize)]
    struct Id {
        id: Option<String>,
        cve: Option<Box<Id>>,
    }
    match serde_json::from_str::<Id>(raw) {
        Ok(Id { id: Some(id), .. }) => id,
        Ok(Id {
            cve: Some(inner), ..
        }) => inner.id.unwrap_or_else(|| "?".into()),
        _ => "?".into(),
    }
}

/// Parses one NVD record, bare (`{"id": ...}`) or wrapped (`{"cve": {...}}`, as in
/// result pages). The error names the record's id where it can be found.
pub fn parse_record(raw: &RawValue, wrapped: bool) -> Result<CveRecord, (String, String)> {
    let text = raw.get();
    let parsed = if wrapped {
        serde_json::from_str::<Wrapped>(text).map(|w| w.cve)
    } else {
        serde_json::from_str::<NvdCve>(text)
    };
    parsed
        .map_err(|e| e.to_string())
        .and_then(NvdCve::into_record)
        .map_err(|e| (id_of(text), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerates_new_fields_and_reports_bad_records() {
        let good = r#"{"cve":{"id":"CVE-2020-0001","lastModified":"2020-01-01T00:00:00.000","cveTags":[],
            "affected":[{"x":1}],"metrics":{"ssvcV203":[{}],"cvssMetricV2":[{"type":"Primary",
            "cvssData":{"baseScore":5.0},"baseSeverity":"MEDIUM"}]},
            "descriptions":[{"lang":"es","value":"hola"},{"lang":"en","value":"hello\nmore"}]}}"#;
        let raw: Box<RawValue> = serde_json::from_str(good).unwrap();
        let r = parse_record(&raw, true).unwrap();
        assert_eq!(r.id, "CVE-2020-0001");
        assert_eq!(r.summary, "hello");
        assert_eq!(r.cvss_score, Some(5.0));
        assert_eq!(r.cvss_severity.as_deref(), Some("medium"));

        let bad = r#"{"cve":{"id":"CVE-2","lastModified":"x","configurations":"oops"}}"#;
        let raw: Box<RawValue> = serde_json::from_str(bad).unwrap();
        let (id, _) = parse_record(&raw, true).unwrap_err();
        assert_eq!(id, "CVE-2");

        // The store keys records by a canonical CVE id; anything else is refused by name.
        let odd = r#"{"cve":{"id":"CVE-2020-00001","lastModified":"2020-01-01T00:00:00.000"}}"#;
        let raw: Box<RawValue> = serde_json::from_str(odd).unwrap();
        let (id, why) = parse_record(&raw, true).unwrap_err();
        assert_eq!(id, "CVE-2020-00001");
        assert!(why.contains("not a CVE id"), "{why}");
    }
}
