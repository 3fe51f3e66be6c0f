//! CISA Known Exploited Vulnerabilities catalogue, CSV and JSON.

use serde::Deserialize;

use crate::record::KevEntry;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(default)]
    date_added: String,
    #[serde(default)]
    vulnerability_name: String,
    #[serde(default)]
    known_ransomware_campaign_use: String,
}

impl Row {
    fn into_entry(self) -> Result<KevEntry, (String, String)> {
        let cve = self.cve_id.trim().to_string();
        if !cve.starts_with("CVE-") || cve.len() > 64 {
            return Err((cve, "not a CVE id".into()));
        }
        Ok(KevEntry {
            cve,
            date_added: self.date_added,
            name: self.vulnerability_name,
            ransomware: self.known_ransomware_campaign_use,
        })
    }
}

/// Parsed entries and per-row errors `(id or row, message)`.
pub type Parsed = (Vec<KevEntry>, Vec<(String, String)>);

/// Reads the CSV catalogue (header `cveID,vendorProject,...`).
pub fn parse_csv(bytes: &[u8]) -> Parsed {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    for (i, row) in rdr.deserialize::<Row>().enumerate() {
        match row {
            Ok(r) => match r.into_entry() {
                Ok(e) => out.push(e),
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push((format!("row {}", i + 2), e.to_string())),
        }
    }
    (out, errors)
}

/// Reads the JSON catalogue's `vulnerabilities` array.
pub fn parse_json(vulns: &serde_json::value::RawValue) -> Result<Parsed, String> {
    let rows: Vec<&serde_json::value::RawValue> =
        serde_json::from_str(vulns.get()).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in rows.into_iter().enumerate() {
        match serde_json::from_str::<Row>(raw.get()) {
            Ok(r) => match r.into_entry() {
                Ok(e) => out.push(e),
                Err(e) => errors.push(e),
            },
            Err(e) => errors.push((format!("entry {i}"), e.to_string())),
        }
    }
    Ok((out, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_quotes_and_a_bad_row() {
        let csv = "cveID,vendorProject,product,vulnerabilityName,dateAdded,shortDescription,requiredAction,dueDate,knownRansomwareCampaignUse,notes,cwes\n\
            CVE-2017-17215,Huawei,HG532,\"Huawei HG532, RCE\",2022-03-15,d,a,2022-04-15,Unknown,n,\"CWE-20, CWE-1\"\n\
            junk,x\n";
        let (ok, bad) = parse_csv(csv.as_bytes());
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].name, "Huawei HG532, RCE");
        assert_eq!(bad.len(), 1);
    }
}
