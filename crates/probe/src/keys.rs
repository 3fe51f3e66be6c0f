//! Public-key identities, so a key the device presents (SSH host key, TLS
//! certificate key) can be compared with the private keys shipped in its firmware.
//!
//! An identity is the SHA-256 of the key's defining public value with its type:
//! the RSA modulus (leading zeros removed), the Ed25519 point, or the EC point.
//! Firmware keys are read from PEM (PKCS#1, PKCS#8, SEC1 with its public key),
//! OpenSSH and dropbear files; keys whose public half cannot be read without
//! computation (PKCS#8 Ed25519 without the public key, SEC1 without it) are
//! skipped and counted.

use base64::Engine;
use sha2::{Digest, Sha256};

/// `rsa:` / `ed25519:` / `ec:` and a SHA-256 hex digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub String);

impl KeyId {
    fn of(kind: &str, value: &[u8]) -> KeyId {
        let v = strip_zeros(value);
        KeyId(format!("{kind}:{}", hex::encode(Sha256::digest(v))))
    }
    pub fn rsa(modulus: &[u8]) -> KeyId {
        KeyId::of("rsa", modulus)
    }
    pub fn ed25519(point: &[u8]) -> KeyId {
        KeyId::of("ed25519", point)
    }
    pub fn ec(point: &[u8]) -> KeyId {
        KeyId::of("ec", point)
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn strip_zeros(v: &[u8]) -> &[u8] {
    let i = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    &v[i..]
}

/// A firmware key: where it was found (evidence provenance) and its identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirmwareKey {
    pub provenance: String,
    pub id: KeyId,
}

/// Reads SSH wire `string`s.
struct Ssh<'a>(&'a [u8]);
impl<'a> Ssh<'a> {
    fn u32(&mut self) -> Option<u32> {
        let v = self.0.get(..4)?;
        self.0 = &self.0[4..];
        Some(u32::from_be_bytes([v[0], v[1], v[2], v[3]]))
    }
    fn string(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        let v = self.0.get(..n)?;
        self.0 = &self.0[n..];
        Some(v)
    }
}

/// Identity of an SSH public key blob (`string type, ...`), also the head of a
/// dropbear private key file (public parts come first).
pub fn from_ssh_blob(blob: &[u8]) -> Option<KeyId> {
    let mut r = Ssh(blob);
    let ty = r.string()?;
    match ty {
        b"ssh-rsa" => {
            let _e = r.string()?;
            Some(KeyId::rsa(r.string()?))
        }
        b"ssh-ed25519" => {
            let k = r.string()?;
            // dropbear stores seed||public (64 bytes); the public key is 32.
            let pk = if k.len() == 64 { &k[32..] } else { k };
            (pk.len() == 32).then(|| KeyId::ed25519(pk))
        }
        t if t.starts_with(b"ecdsa-sha2-") => {
            let _curve = r.string()?;
            Some(KeyId::ec(r.string()?))
        }
        _ => None,
    }
}

/// Minimal DER: (tag, content, rest).
fn tlv(d: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *d.first()?;
    let l0 = *d.get(1)? as usize;
    let (len, hdr) = if l0 < 0x80 {
        (l0, 2)
    } else {
        let n = l0 & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *d.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len)?;
    Some((tag, d.get(hdr..end)?, d.get(end..)?))
}

/// PKCS#1 RSAPrivateKey: SEQUENCE { version, n, e, ... } -> n.
fn pkcs1_modulus(d: &[u8]) -> Option<&[u8]> {
    let (t, seq, _) = tlv(d)?;
    if t != 0x30 {
        return None;
    }
    let (_, _ver, rest) = tlv(seq)?;
    let (t, n, _) = tlv(rest)?;
    (t == 0x02).then_some(n)
}

/// SEC1 ECPrivateKey: SEQUENCE { version, key, [0] params, [1] BIT STRING pub }.
fn sec1_point(d: &[u8]) -> Option<&[u8]> {
    let (_, mut seq, _) = tlv(d)?;
    while !seq.is_empty() {
        let (t, c, rest) = tlv(seq)?;
        if t == 0xa1 {
            let (t, bits, _) = tlv(c)?;
            return (t == 0x03).then(|| bits.get(1..)).flatten();
        }
        seq = rest;
    }
    None
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];

/// PKCS#8 PrivateKeyInfo: SEQUENCE { version, AlgorithmIdentifier, OCTET STRING key }.
fn pkcs8(d: &[u8]) -> Option<KeyId> {
    let (_, seq, _) = tlv(d)?;
    let (_, _ver, rest) = tlv(seq)?;
    let (_, alg, rest) = tlv(rest)?;
    let (_, oid, _) = tlv(alg)?;
    let (t, key, _) = tlv(rest)?;
    if t != 0x04 {
        return None;
    }
    if oid == OID_RSA {
        pkcs1_modulus(key).map(KeyId::rsa)
    } else if oid == OID_EC {
        sec1_point(key).map(KeyId::ec)
    } else {
        None
    }
}

fn openssh(body: &[u8]) -> Option<KeyId> {
    let rest = body.strip_prefix(b"openssh-key-v1\0")?;
    let mut r = Ssh(rest);
    r.string()?; // cipher
    r.string()?; // kdf
    r.string()?; // kdf options
    if r.u32()? < 1 {
        return None;
    }
    from_ssh_blob(r.string()?)
}

/// Identities of the private keys in one file (PEM blocks, or a binary dropbear or
/// DER key). Bounded: files over 1 MiB and more than 16 keys per file are ignored.
pub fn from_private_key_file(data: &[u8]) -> Vec<KeyId> {
    if data.len() > 1 << 20 {
        return vec![];
    }
    let mut out = vec![];
    let text = String::from_utf8_lossy(data);
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut rest: &str = &text;
    while let Some(i) = rest.find("-----BEGIN ") {
        let after = &rest[i + 11..];
        let Some(j) = after.find("-----") else { break };
        let label = after[..j].to_string();
        let body_start = &after[j + 5..];
        let Some(k) = body_start.find("-----END ") else {
            break;
        };
        let body: String = body_start[..k]
            .lines()
            .filter(|l| !l.contains(':'))
            .flat_map(|l| l.chars())
            .filter(|c| !c.is_whitespace())
            .collect();
        rest = &body_start[k + 9..];
        let Ok(der) = b64.decode(body.as_bytes()) else {
            continue;
        };
        let id = match label.as_str() {
            "RSA PRIVATE KEY" => pkcs1_modulus(&der).map(KeyId::rsa),
            "EC PRIVATE KEY" => sec1_point(&der).map(KeyId::ec),
            "PRIVATE KEY" => pkcs8(&der),
            "OPENSSH PRIVATE KEY" => openssh(&der),
            _ => None,
        };
        out.extend(id);
        if out.len() >= 16 {
            return out;
        }
    }
    if out.is_empty() && !text.contains("-----BEGIN ") {
        // Binary: dropbear (SSH wire) or DER.
        if let Some(id) = from_ssh_blob(data) {
            out.push(id);
        } else if let Some(id) = pkcs1_modulus(data).map(KeyId::rsa).or_else(|| pkcs8(data)) {
            out.push(id);
        }
    }
    out
}

/// Identity of a certificate's subject public key (DER SubjectPublicKeyInfo parsed
/// by x509-parser).
pub fn from_spki(spki: &x509_parser::x509::SubjectPublicKeyInfo) -> Option<KeyId> {
    use x509_parser::public_key::PublicKey;
    match spki.parsed().ok()? {
        PublicKey::RSA(k) => Some(KeyId::rsa(k.modulus)),
        PublicKey::EC(p) => Some(KeyId::ec(p.data())),
        _ => {
            let oid = spki.algorithm.algorithm.to_id_string();
            // Ed25519 (1.3.101.112): the key is the raw 32-byte point.
            (oid == "1.3.101.112").then(|| KeyId::ed25519(&spki.subject_public_key.data))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropbear_ed25519_uses_the_public_half() {
        let mut blob = vec![];
        blob.extend_from_slice(&11u32.to_be_bytes());
        blob.extend_from_slice(b"ssh-ed25519");
        blob.extend_from_slice(&64u32.to_be_bytes());
        blob.extend_from_slice(&[1u8; 32]);
        blob.extend_from_slice(&[2u8; 32]);
        assert_eq!(from_ssh_blob(&blob), Some(KeyId::ed25519(&[2u8; 32])));
        assert!(from_private_key_file(b"garbage").is_empty());
        assert!(from_private_key_file(&blob[..20]).is_empty());
    }
}
