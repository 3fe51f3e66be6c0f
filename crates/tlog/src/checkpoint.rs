//! Checkpoints as C2SP signed notes (`c2sp.org/tlog-checkpoint`, `c2sp.org/signed-note`).
//!
//! The body is three lines: origin, decimal tree size, base64 root hash. A signature
//! line is `— <key name> base64(4-byte key id || 64-byte Ed25519 signature)`, the key
//! id being the first four bytes of SHA-256(name || "\n" || 0x01 || public key). Other
//! signers' lines (witness cosignatures) are kept by the note but ignored here.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::hash::{HASH_LEN, Hash};

/// Signed notes larger than this are refused before parsing.
const MAX_NOTE_LEN: usize = 64 * 1024;
/// The signature-type byte of Ed25519 in signed notes.
const ALG_ED25519: u8 = 0x01;
const DASH: &str = "\u{2014} ";

fn err(msg: impl Into<String>) -> Error {
    Error::Checkpoint(msg.into())
}

/// The signed-note key id of an Ed25519 key under `name`.
pub fn key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(key.to_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// A tree head: what a checkpoint body says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's identity, conventionally its URL without scheme.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The note body, newline-terminated.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parses a body (three lines, then optional extension lines).
    pub fn parse_body(body: &str) -> Result<Checkpoint, Error> {
        let mut lines = body.split_terminator('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| err("no origin line"))?;
        let size = lines
            .next()
            .filter(|s| {
                !s.is_empty()
                    && s.bytes().all(|b| b.is_ascii_digit())
                    && (s.len() == 1 || !s.starts_with('0'))
            })
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| err("tree size is not a decimal number"))?;
        let root: Hash = lines
            .next()
            .and_then(|r| B64.decode(r).ok())
            .and_then(|b| <[u8; HASH_LEN]>::try_from(b).ok())
            .ok_or_else(|| err("root hash is not 32 bytes of base64"))?;
        if !body.ends_with('\n') {
            return Err(err("body must end with a newline"));
        }
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }
}

/// A log's signing key.
pub struct LogKey {
    pub name: String,
    signing: SigningKey,
}

impl LogKey {
    /// A key named `name` (the log's origin, by convention) from a 32-byte seed.
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<LogKey, Error> {
        if !valid_name(name) {
            return Err(err(format!("`{name}` is not a valid key name")));
        }
        Ok(LogKey {
            name: name.to_string(),
            signing: SigningKey::from_bytes(&seed),
        })
    }

    pub fn seed(&self) -> [u8; 32] {
        self.signing.to_bytes()
    }

    /// The public half, as a verifier.
    pub fn verifier(&self) -> LogVerifier {
        let key = self.signing.verifying_key();
        LogVerifier {
            name: self.name.clone(),
            id: key_id(&self.name, &key),
            key,
        }
    }

    /// The signed note of `cp`.
    pub fn sign(&self, cp: &Checkpoint) -> String {
        let body = cp.body();
        let sig = self.signing.sign(body.as_bytes());
        let mut blob = Vec::with_capacity(68);
        blob.extend_from_slice(&self.verifier().id);
        blob.extend_from_slice(&sig.to_bytes());
        format!("{body}\n{DASH}{} {}\n", self.name, B64.encode(blob))
    }
}

/// A log's public key in the signed-note verifier form `name+hexid+base64(0x01||key)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogVerifier {
    pub name: String,
    pub id: [u8; 4],
    pub key: VerifyingKey,
}

impl std::fmt::Display for LogVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut k = vec![ALG_ED25519];
        k.extend_from_slice(&self.key.to_bytes());
        write!(
            f,
            "{}+{}+{}",
            self.name,
            hex::encode(self.id),
            B64.encode(k)
        )
    }
}

impl std::str::FromStr for LogVerifier {
    type Err = Error;
    fn from_str(s: &str) -> Result<LogVerifier, Error> {
        let s = s.trim();
        // The name and the id hold no `+`; the base64 key may.
        let mut parts = s.splitn(3, '+');
        let (Some(name), Some(id), Some(k)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(err("a verifier key is `name+hexid+base64key`"));
        };
        if !valid_name(name) {
            return Err(err("verifier key name is not valid"));
        }
        let raw = B64
            .decode(k)
            .map_err(|_| err("verifier key is not base64"))?;
        let bytes: [u8; 33] = raw
            .try_into()
            .map_err(|_| err("verifier key must be 33 bytes"))?;
        if bytes[0] != ALG_ED25519 {
            return Err(err("only Ed25519 verifier keys are supported"));
        }
        let key = VerifyingKey::from_bytes(bytes[1..].try_into().expect("32 bytes"))
            .map_err(|_| err("not a valid Ed25519 public key"))?;
        let want = key_id(name, &key);
        if hex::encode(want) != id {
            return Err(err("verifier key id does not match its name and key"));
        }
        Ok(LogVerifier {
            name: name.to_string(),
            id: want,
            key,
        })
    }
}

impl LogVerifier {
    /// Checks a signed note carries a valid signature by this key, and returns its
    /// checkpoint. Signatures by other keys (cosigners) are allowed and ignored.
    pub fn verify(&self, note: &str) -> Result<Checkpoint, Error> {
        Checkpoint::parse_body(self.verify_note(note)?)
    }

    /// Checks a signed note of any body carries a valid signature by this key, and
    /// returns the body (newline-terminated).
    pub fn verify_note<'a>(&self, note: &'a str) -> Result<&'a str, Error> {
        if note.len() > MAX_NOTE_LEN {
            return Err(err("signed note is too large"));
        }
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| err("no blank line before the signatures"))?;
        let (body, sigs) = (&note[..split + 1], &note[split + 2..]);
        if !sigs.ends_with('\n') {
            return Err(err("signature block must end with a newline"));
        }
        let mut found = false;
        for line in sigs.split_terminator('\n') {
            let rest = line
                .strip_prefix(DASH)
                .ok_or_else(|| err("a signature line must start with an em dash"))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| err("malformed signature line"))?;
            let blob = B64
                .decode(b64)
                .map_err(|_| err("signature is not base64"))?;
            if name != self.name || blob.len() < 4 || blob[..4] != self.id {
                continue;
            }
            let sig: [u8; 64] = blob[4..]
                .try_into()
                .map_err(|_| err("Ed25519 signature must be 64 bytes"))?;
            self.key
                .verify_strict(body.as_bytes(), &Signature::from_bytes(&sig))
                .map_err(|_| err("the log's signature does not match the checkpoint"))?;
            found = true;
        }
        if !found {
            return Err(err(format!("no signature by the log key `{}`", self.name)));
        }
        Ok(body)
    }
}
