//! The checks a publication passes before anything is stored: the label is a valid
//! signature by the given key, the assessment passes the JSON schema, and the label
//! states exactly what the assessment and the image hash say.

use baseliner_label::SignedLabel;
use baseliner_model::Assessment;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use crate::store::{NewProduct, Product};
use crate::{Error, now, sha256_hex};

/// What `POST /api/v1/publish` takes: the two files of an assessment folder, as text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// label.json, byte for byte as signed.
    pub label: String,
    /// assessment.json.
    pub assessment: String,
}

/// Reads the label far enough to learn which key signed it; nothing is trusted yet.
pub fn signer(label: &str) -> Result<String, Error> {
    let l: SignedLabel = serde_json::from_str(label)
        .map_err(|e| Error::Invalid(format!("label.json is not a baseliner label: {e}")))?;
    Ok(l.signature.public_key.to_ascii_lowercase())
}

/// The JSON schema of assessments, compiled once.
pub fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value = serde_json::from_str(baseliner_report::ASSESSMENT_SCHEMA)
        .expect("the bundled schema is JSON");
    jsonschema::validator_for(&schema).expect("the bundled schema compiles")
}

/// Checks a submission signed by `key` for `org`; returns the rows to store.
pub fn check(
    sub: &Submission,
    org: &str,
    key: &VerifyingKey,
    schema: &jsonschema::Validator,
) -> Result<NewProduct, Error> {
    let label = baseliner_label::verify(sub.label.as_bytes(), key)
        .map_err(|e| Error::Invalid(format!("label.json: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(&sub.assessment)
        .map_err(|e| Error::Invalid(format!("assessment.json is not JSON: {e}")))?;
    if let Some(first) = schema.iter_errors(&value).next() {
        return Err(Error::Invalid(format!(
            "assessment.json does not match the assessment schema at `{}`: {first}",
            first.instance_path()
        )));
    }
    let a: Assessment = serde_json::from_value(value).map_err(|e| {
        Error::Invalid(format!(
            "assessment.json is not a baseliner assessment: {e}"
        ))
    })?;
    let s = &label.statement;
    let mut expected = baseliner_label::statement_from(&a, "")
        .map_err(|e| Error::Invalid(format!("assessment.json: {e}")))?;
    if s.assessment_sha256 != expected.assessment_sha256 {
        return Err(Error::Invalid(
            "the label does not belong to this assessment: its assessment_sha256 differs from the assessment's digest".into(),
        ));
    }
    if s.firmware_sha256 != a.image.sha256 {
        return Err(Error::Invalid(
            "the label's firmware_sha256 differs from the assessment's image hash".into(),
        ));
    }
    expected.registry_url = s.registry_url.clone();
    if *s != expected {
        return Err(Error::Invalid(
            "the label's statement differs from what the assessment says".into(),
        ));
    }
    let product = Product {
        label_id: sha256_hex(sub.label.as_bytes()),
        org: org.to_string(),
        manufacturer: s.manufacturer.clone(),
        product: s.product.clone(),
        model: s.model.clone(),
        firmware_version: s.firmware_version.clone(),
        firmware_sha256: s.firmware_sha256.clone(),
        assessment_sha256: s.assessment_sha256.clone(),
        profile: s.profile.clone(),
        scheme: s.scheme.clone(),
        outcome: s.outcome.to_string(),
        support_end: s.support_end.clone(),
        disclosure_contact: s.disclosure_contact.clone(),
        issued: s.issued.clone(),
        published: now(),
        leaf_index: 0,
        withdrawn: None,
        withdraw_reason: None,
        withdraw_leaf: None,
        kev_gained: vec![],
    };
    let components = a
        .components
        .iter()
        .map(|c| (c.name.clone(), c.version.clone()))
        .collect();
    let vulns = a
        .vulnerabilities
        .iter()
        .map(|v| {
            (
                v.id.to_string(),
                v.component.to_string(),
                v.version.to_string(),
                v.kev,
            )
        })
        .collect();
    Ok(NewProduct {
        product,
        label: sub.label.clone(),
        assessment: sub.assessment.clone(),
        components,
        vulns,
    })
}
