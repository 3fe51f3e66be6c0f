//! The signed statement: what the label claims, canonicalised (RFC 8785) and signed.

use baseliner_model::{Assessment, Outcome};
use ed25519_dalek::{Signature, Signer, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::keys::KeyPair;

/// Version of the statement format.
pub const LABEL_VERSION: &str = "2";

/// What a baseliner label is, stated in every statement so no reader takes it for more.
pub const LABEL_KIND: &str = "self-assessment by baseliner; not a certificate";

/// Verdict counts as stated on the label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerdictCounts {
    /// Provisions a complete live test showed met.
    pub pass: u32,
    pub fail: u32,
    /// Recommendations the evidence shows are not followed.
    pub unmet: u32,
    pub inconclusive: u32,
    pub not_applicable: u32,
    pub declared: u32,
}

/// What the label states. Every field is covered by the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub label_version: String,
    /// Always [`LABEL_KIND`].
    pub kind: String,
    pub manufacturer: Option<String>,
    pub product: Option<String>,
    pub model: Option<String>,
    pub firmware_version: Option<String>,
    pub firmware_sha256: String,
    /// Profile name, such as `uk-psti`.
    pub profile: String,
    /// The scheme's short heading, such as `ETSI EN 303 645 V2.1.1`.
    pub scheme: String,
    /// The assessment's overall outcome.
    pub outcome: Outcome,
    /// For levelled schemes, the level the evidence and declaration would support.
    /// A claim: only the scheme owner grants a level.
    pub level_claimed: Option<u8>,
    /// Mandatory provisions that rest only on the manufacturer's declaration.
    pub mandatory_declared: u32,
    /// Whether known vulnerabilities were checked against a knowledge base.
    pub vulnerabilities_checked: bool,
    pub verdicts: VerdictCounts,
    pub support_end: Option<String>,
    pub disclosure_contact: Option<String>,
    /// Issue date, `YYYY-MM-DD`.
    pub issued: String,
    pub tool_version: String,
    pub catalogue_version: String,
    pub kb_version: Option<String>,
    /// SHA-256 of the canonical JSON of the whole assessment.
    pub assessment_sha256: String,
    /// Where the registry entry for this label lives (the QR code's target).
    pub registry_url: String,
}

/// The detached signature and who made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureBlock {
    pub algorithm: String,
    /// Public key, hex.
    pub public_key: String,
    /// Signature over the canonical JSON of `statement`, hex.
    pub value: String,
}

/// `label.json`: statement plus signature, itself written in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedLabel {
    pub statement: Statement,
    pub signature: SignatureBlock,
}

/// Builds the statement for an assessment. `registry_base` is joined with the
/// assessment digest to form the registry entry URL.
pub fn statement_from(a: &Assessment, registry_base: &str) -> Result<Statement, Error> {
    let canonical = serde_json_canonicalizer::to_vec(a)?;
    let digest = hex::encode(Sha256::digest(&canonical));
    let s = &a.summary;
    Ok(Statement {
        label_version: LABEL_VERSION.into(),
        kind: LABEL_KIND.into(),
        manufacturer: a.product.manufacturer.clone(),
        product: a.product.product.clone(),
        model: a.product.model.clone(),
        firmware_version: a.product.firmware_version.clone(),
        firmware_sha256: a.image.sha256.clone(),
        profile: a.profile.clone(),
        scheme: a.scheme.title.clone(),
        outcome: s.outcome,
        level_claimed: s.level_claimed,
        mandatory_declared: s.mandatory_declared,
        vulnerabilities_checked: s.vulnerabilities_checked,
        verdicts: VerdictCounts {
            pass: s.pass,
            fail: s.fail,
            unmet: s.unmet,
            inconclusive: s.inconclusive,
            not_applicable: s.not_applicable,
            declared: s.declared,
        },
        support_end: a.product.support_end.clone(),
        disclosure_contact: a.product.disclosure_contact.clone(),
        issued: a.created.get(..10).unwrap_or(&a.created).to_string(),
        tool_version: a.tool.version.clone(),
        catalogue_version: a.tool.catalogue_version.clone(),
        kb_version: a.tool.kb_version.clone(),
        registry_url: format!("{}/{}", registry_base.trim_end_matches('/'), &digest),
        assessment_sha256: digest,
    })
}

/// Signs the statement; returns the label and its canonical bytes (what `label.json` holds).
pub fn sign(statement: Statement, key: &KeyPair) -> Result<(SignedLabel, Vec<u8>), Error> {
    let msg = serde_json_canonicalizer::to_vec(&statement)?;
    let sig = key.signing.sign(&msg);
    let label = SignedLabel {
        statement,
        signature: SignatureBlock {
            algorithm: "ed25519".into(),
            public_key: hex::encode(key.public().to_bytes()),
            value: hex::encode(sig.to_bytes()),
        },
    };
    let bytes = serde_json_canonicalizer::to_vec(&label)?;
    Ok((label, bytes))
}

/// Verifies `label.json` bytes against a trusted public key.
///
/// Strict on purpose: the file must be exactly the canonical form that was signed, so
/// any changed byte (even whitespace) fails with a message saying what is wrong.
pub fn verify(bytes: &[u8], key: &VerifyingKey) -> Result<SignedLabel, Error> {
    let label: SignedLabel = serde_json::from_slice(bytes).map_err(|e| {
        Error::Verify(format!(
            "not a baseliner label (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })?;
    let canonical = serde_json_canonicalizer::to_vec(&label)?;
    if canonical != bytes {
        let at = canonical
            .iter()
            .zip(bytes)
            .position(|(a, b)| a != b)
            .unwrap_or(canonical.len().min(bytes.len()));
        return Err(Error::Verify(format!(
            "the file is not in the canonical form it was signed in (first difference at byte {at}): it was modified after signing"
        )));
    }
    if label.signature.algorithm != "ed25519" {
        return Err(Error::Verify(format!(
            "unsupported signature algorithm `{}`",
            label.signature.algorithm
        )));
    }
    if label.signature.public_key != hex::encode(key.to_bytes()) {
        return Err(Error::Verify(
            "the label was signed by a different key than the one given".into(),
        ));
    }
    let sig_bytes: [u8; 64] = hex::decode(&label.signature.value)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Verify("the signature is not 64 bytes of hex".into()))?;
    let msg = serde_json_canonicalizer::to_vec(&label.statement)?;
    key.verify_strict(&msg, &Signature::from_bytes(&sig_bytes)).map_err(|_| {
        Error::Verify(
            "the signature does not match the statement: the label's content was changed after signing".into(),
        )
    })?;
    Ok(label)
}
