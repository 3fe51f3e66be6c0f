//! Proof bundles: everything needed to check, offline and later, that a label was
//! published in the log (and whether it was withdrawn): the label, the log entries
//! that name it with their inclusion proofs, and the signed checkpoint they lead to.

use baseliner_tlog::{Checkpoint, Hash, LogVerifier, leaf_hash, verify_inclusion};
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Serialize};

use crate::{Error, sha256_hex};

/// One leaf of the log: a publication or a withdrawal. Stored as canonical JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEntry {
    /// `publish` or `withdraw`.
    pub kind: String,
    pub org: String,
    /// SHA-256 of label.json: the label's id.
    pub label_sha256: String,
    pub firmware_sha256: String,
    pub assessment_sha256: String,
    /// The label-signing public key (hex).
    pub signing_key: String,
    pub time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A log entry with its place and inclusion proof.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleEntry {
    pub index: u64,
    /// The entry's exact bytes (canonical JSON).
    pub entry: String,
    /// Audit path to the checkpoint's root, hex hashes.
    pub inclusion: Vec<String>,
}

/// label + entries + checkpoint: verifies with no network.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bundle {
    pub label: String,
    /// The log's verifier key as the registry states it (`name+id+key`).
    pub log_key: String,
    /// The signed checkpoint (C2SP signed note).
    pub checkpoint: String,
    pub entries: Vec<BundleEntry>,
}

/// What a bundle proved.
#[derive(Debug, Clone)]
pub struct BundleCheck {
    pub checkpoint: Checkpoint,
    pub label: baseliner_label::SignedLabel,
    pub published: LogEntry,
    pub publish_index: u64,
    pub withdrawn: Option<LogEntry>,
}

fn decode_hash(h: &str) -> Result<Hash, Error> {
    hex::decode(h)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Invalid("an inclusion proof hash is not 32 bytes of hex".into()))
}

/// Checks a bundle: the label's signature by `label_key`, the checkpoint's by `log`,
/// and every entry's inclusion in that checkpoint's tree. The entries must name this
/// label; one must be its publication.
pub fn verify_bundle(
    b: &Bundle,
    label_key: &VerifyingKey,
    log: &LogVerifier,
) -> Result<BundleCheck, Error> {
    let label = baseliner_label::verify(b.label.as_bytes(), label_key)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let checkpoint = log
        .verify(&b.checkpoint)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let id = sha256_hex(b.label.as_bytes());
    let mut published = None;
    let mut withdrawn = None;
    for e in &b.entries {
        let entry: LogEntry = serde_json::from_str(&e.entry)
            .map_err(|err| Error::Invalid(format!("log entry {}: {err}", e.index)))?;
        if entry.label_sha256 != id {
            return Err(Error::Invalid(format!(
                "log entry {} names another label",
                e.index
            )));
        }
        let proof = e
            .inclusion
            .iter()
            .map(|h| decode_hash(h))
            .collect::<Result<Vec<_>, _>>()?;
        verify_inclusion(
            &leaf_hash(e.entry.as_bytes()),
            e.index,
            checkpoint.size,
            &proof,
            &checkpoint.root,
        )
        .map_err(|err| Error::Invalid(format!("log entry {}: {err}", e.index)))?;
        match entry.kind.as_str() {
            "publish" => published = Some((entry, e.index)),
            "withdraw" => withdrawn = Some(entry),
            k => {
                return Err(Error::Invalid(format!(
                    "log entry {}: unknown kind `{k}`",
                    e.index
                )));
            }
        }
    }
    let (published, publish_index) = published
        .ok_or_else(|| Error::Invalid("the bundle holds no publication of this label".into()))?;
    if published.firmware_sha256 != label.statement.firmware_sha256
        || published.assessment_sha256 != label.statement.assessment_sha256
        || published.signing_key != label.signature.public_key
    {
        return Err(Error::Invalid(
            "the log entry does not describe this label".into(),
        ));
    }
    Ok(BundleCheck {
        checkpoint,
        label,
        published,
        publish_index,
        withdrawn,
    })
}
