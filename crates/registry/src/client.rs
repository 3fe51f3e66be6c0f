//! The client side, for the CLI: publish an assessment folder, fetch a proof bundle.
//! Blocking (ureq); responses are size-bounded.

use std::path::Path;

use crate::Error;
use crate::bundle::Bundle;
use crate::submit::Submission;

const MAX_RESPONSE: u64 = 64 * 1024 * 1024;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(120)))
        .build()
        .into()
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))
}

/// Uploads `dir/label.json` and `dir/assessment.json`; returns the registry's answer.
pub fn publish(registry: &str, token: &str, dir: &Path) -> Result<serde_json::Value, Error> {
    let sub = Submission {
        label: read(&dir.join("label.json"))?,
        assessment: read(&dir.join("assessment.json"))?,
    };
    let url = format!("{}/api/v1/publish", registry.trim_end_matches('/'));
    let body = serde_json::to_vec(&sub).map_err(|e| Error::Io(e.to_string()))?;
    let mut r = agent()
        .post(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(&body[..])
        .map_err(|e| Error::Io(format!("{url}: {e}")))?;
    let status = r.status().as_u16();
    let text = r
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE)
        .read_to_string()
        .map_err(|e| Error::Io(e.to_string()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
    if status == 201 {
        Ok(v)
    } else {
        let msg = v
            .get("error")
            .and_then(|e| e.as_str())
            .map(String::from)
            .unwrap_or_else(|| v.to_string());
        Err(Error::Client(format!(
            "the registry refused the publication (HTTP {status}): {msg}"
        )))
    }
}

/// Fetches the proof bundle of a label.
pub fn fetch_bundle(registry: &str, label_id: &str) -> Result<Bundle, Error> {
    let url = format!("{}/api/v1/proof/{label_id}", registry.trim_end_matches('/'));
    let mut r = agent()
        .get(&url)
        .call()
        .map_err(|e| Error::Io(format!("{url}: {e}")))?;
    let status = r.status().as_u16();
    let text = r
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE)
        .read_to_string()
        .map_err(|e| Error::Io(e.to_string()))?;
    if status != 200 {
        return Err(Error::Client(format!("{url}: HTTP {status}: {text}")));
    }
    serde_json::from_str(&text)
        .map_err(|e| Error::Client(format!("{url}: not a proof bundle: {e}")))
}
