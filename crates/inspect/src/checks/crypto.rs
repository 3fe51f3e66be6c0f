//! Crypto material: private keys (PEM, DER, PKCS#8, OpenSSH, dropbear), PKCS#12
//! stores, certificates (key size, signature, validity, self-signed) and weak
//! TLS/SSH settings in server configurations.

use base64::Engine;
use baseliner_model::Code;
use baseliner_model::Finding;

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::checks::credentials::pem_blocks;
use crate::checks::truststore::{SeenCert, TrustStore};
use crate::codes::finding;
use crate::context::{Context, text_lines};
use crate::{Check, CheckOutput, Family};

pub struct Crypto;

impl Check for Crypto {
    fn name(&self) -> &'static str {
        "crypto"
    }
    fn family(&self) -> Family {
        Family::Crypto
    }
    fn literals(&self) -> &'static [&'static str] {
        &["PRIVATE KEY-----", "-----BEGIN CERTIFICATE-----"]
    }
    fn run(&self, ctx: &Context) -> CheckOutput {
        let mut out = CheckOutput::default();
        out.findings.extend(pem_keys(ctx));
        let mut certs = Vec::new();
        out.findings.extend(der_files(ctx, &mut certs));
        pem_certs(ctx, &mut certs);
        out.findings.extend(judge_certs(ctx, certs));
        out.findings.extend(configs(ctx));
        out
    }
}

/// A certificate as found, with the findings it gets when it is device material.
struct Cert {
    seen: SeenCert,
    device: Vec<Finding>,
}

/// Splits certificates into trust anchors (one inventory finding) and the device's
/// own certificates (judged one by one).
fn judge_certs(ctx: &Context, certs: Vec<Cert>) -> Vec<Finding> {
    let store = TrustStore::new(ctx);
    let key_files: HashSet<usize> = ctx
        .hits("PRIVATE KEY-----")
        .iter()
        .map(|h| h.file)
        .collect();
    let seen: Vec<SeenCert> = certs.iter().map(|c| c.seen.clone()).collect();
    let anchor = store.anchors(ctx, &seen, &key_files);
    let mut out: Vec<Finding> = certs
        .into_iter()
        .zip(&anchor)
        .filter(|(_, a)| !**a)
        .flat_map(|(c, _)| c.device)
        .collect();
    out.extend(store.inventory(ctx, &seen, &anchor, now_unix()));
    out
}

/// Decodes the base64 body of a PEM block; `None` when there is no real body.
fn pem_body(block: &[u8]) -> Option<(Vec<u8>, bool)> {
    let text = std::str::from_utf8(block).ok()?;
    let encrypted = text.contains("ENCRYPTED");
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.contains(':'))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    if body.len() < 64 {
        return None;
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .ok()?;
    Some((der, encrypted))
}

/// DER length of the outer SEQUENCE at the start of `d` (header + content).
fn der_seq_len(d: &[u8]) -> Option<usize> {
    if *d.first()? != 0x30 {
        return None;
    }
    let l0 = *d.get(1)? as usize;
    if l0 < 0x80 {
        return Some(2 + l0);
    }
    let n = l0 & 0x7f;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for k in 0..n {
        len = (len << 8) | *d.get(2 + k)? as usize;
    }
    Some(2 + n + len)
}

/// Reads one TLV at `pos`: (tag, content start, content end).
fn tlv(d: &[u8], pos: usize) -> Option<(u8, usize, usize)> {
    let tag = *d.get(pos)?;
    let l0 = *d.get(pos + 1)? as usize;
    let (len, hdr) = if l0 < 0x80 {
        (l0, 2)
    } else {
        let n = l0 & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for k in 0..n {
            len = (len << 8) | *d.get(pos + 2 + k)? as usize;
        }
        (len, 2 + n)
    };
    let start = pos + hdr;
    let end = start.checked_add(len)?;
    if end > d.len() {
        return None;
    }
    Some((tag, start, end))
}

/// What a DER blob is, when it is key material.
#[derive(Debug, PartialEq, Eq)]
enum DerKind {
    /// PKCS#1 RSA or SEC1 EC private key, or PKCS#8; the modulus bits where known.
    PrivateKey(Option<usize>),
    Pkcs12,
}

fn classify_der(d: &[u8]) -> Option<DerKind> {
    let total = der_seq_len(d)?;
    if total > d.len() || total < 32 {
        return None;
    }
    let (_, s, e) = tlv(d, 0)?;
    let (t1, v1s, v1e) = tlv(d, s)?;
    if t1 != 0x02 {
        return None;
    }
    let version = d.get(v1s..v1e)?;
    let (t2, c2s, c2e) = tlv(d, v1e)?;
    match (version, t2) {
        // RSAPrivateKey: version 0, then the modulus INTEGER, then 7 more INTEGERs.
        ([0], 0x02) => {
            let mut pos = c2e;
            let mut ints = 2;
            while pos < e && ints < 9 {
                let (t, _, ne) = tlv(d, pos)?;
                if t != 0x02 {
                    return None;
                }
                ints += 1;
                pos = ne;
            }
            let modulus = d.get(c2s..c2e)?;
            let lead = modulus.iter().take_while(|&&b| b == 0).count();
            let bits = (modulus.len() - lead) * 8;
            (ints == 9 && bits >= 256).then_some(DerKind::PrivateKey(Some(bits)))
        }
        // PKCS#8: version 0, AlgorithmIdentifier, OCTET STRING key.
        ([0], 0x30) => {
            let (t3, _, _) = tlv(d, c2e)?;
            (t3 == 0x04).then_some(DerKind::PrivateKey(None))
        }
        // SEC1 EC key: version 1, OCTET STRING.
        ([1], 0x04) => Some(DerKind::PrivateKey(None)),
        // PFX: version 3, ContentInfo with the pkcs7-data OID.
        ([3], 0x30) => {
            let oid = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01];
            let (t, os, oe) = tlv(d, c2s)?;
            (t == 0x06 && d.get(os..oe)? == oid).then_some(DerKind::Pkcs12)
        }
        _ => None,
    }
}

fn pem_keys(ctx: &Context) -> Vec<Finding> {
    let mut files: Vec<usize> = ctx
        .hits("PRIVATE KEY-----")
        .iter()
        .map(|h| h.file)
        .collect();
    files.dedup();
    let mut findings = Vec::new();
    for i in files {
        let data = ctx.data(i);
        let offs = ctx
            .hits("PRIVATE KEY-----")
            .iter()
            .filter(|h| h.file == i)
            .map(|h| h.offset);
        for (start, block) in pem_blocks(data, offs) {
            if !block.starts_with(b"-----BEGIN") {
                continue; // an END line
            }
            let Some((der, encrypted_hdr)) = pem_body(block) else {
                continue;
            };
            let header =
                String::from_utf8_lossy(block.split(|&b| b == b'\n').next().unwrap_or(&[]))
                    .trim()
                    .to_string();
            let openssh = header.contains("OPENSSH");
            let encrypted = encrypted_hdr
                || header.contains("ENCRYPTED")
                || (openssh && !der.windows(4).any(|w| w == b"none"));
            // Legacy encrypted PEM (Proc-Type) holds ciphertext, not DER.
            let valid = encrypted_hdr && der.len() >= 64
                || openssh && der.starts_with(b"openssh-key-v1\0")
                || der.first() == Some(&0x30) && der_seq_len(&der).is_some_and(|l| l <= der.len());
            if !valid {
                continue;
            }
            let bits = match classify_der(&der) {
                Some(DerKind::PrivateKey(Some(b))) => format!(", RSA {b} bits"),
                _ => String::new(),
            };
            let ev = vec![ctx.evidence(i, Some(start as u64), Some(header.clone()))];
            findings.push(if encrypted {
                finding(
                    Code::Crypto002,
                    format!("encrypted private key ({header}{bits})"),
                    ev,
                )
            } else {
                finding(
                    Code::Crypto001,
                    format!("unencrypted private key ({header}{bits}): every unit shares it"),
                    ev,
                )
            });
        }
    }
    findings
}

/// DER keys, PKCS#12 stores and dropbear host keys, recognised whole-file.
fn der_files(ctx: &Context, certs: &mut Vec<Cert>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (i, e) in ctx.tree.files() {
        if e.size > 64 << 10 || e.size < 32 {
            continue;
        }
        let d = ctx.data(i);
        if d.starts_with(b"\0\0\0\x07ssh-rsa")
            || d.starts_with(b"\0\0\0\x07ssh-dss")
            || d.starts_with(b"\0\0\0\x13ecdsa-sha2-nistp")
            || d.starts_with(b"\0\0\0\x0bssh-ed25519")
        {
            // A dropbear key file holds the private parts after the public ones;
            // a public key blob alone is short.
            if d.len() > 200 {
                findings.push(finding(
                    Code::Crypto001,
                    "dropbear host private key: every unit shares the host identity",
                    vec![ctx.evidence(i, Some(0), None)],
                ));
            }
            continue;
        }
        match classify_der(d) {
            Some(DerKind::PrivateKey(bits)) => findings.push(finding(
                Code::Crypto001,
                format!(
                    "unencrypted DER private key{}: every unit shares it",
                    bits.map(|b| format!(" (RSA {b} bits)")).unwrap_or_default()
                ),
                vec![ctx.evidence(i, Some(0), None)],
            )),
            Some(DerKind::Pkcs12) => findings.push(finding(
                Code::Crypto006,
                "PKCS#12 key store (private key with certificates)",
                vec![ctx.evidence(i, Some(0), None)],
            )),
            None => {
                if d.first() == Some(&0x30)
                    && der_seq_len(d) == Some(d.len())
                    && let Ok((_, cert)) = x509_parser::parse_x509_certificate(d)
                {
                    certs.push(cert_findings(ctx, i, 0, d, &cert));
                }
            }
        }
    }
    findings
}

fn pem_certs(ctx: &Context, certs: &mut Vec<Cert>) {
    for h in ctx.hits("-----BEGIN CERTIFICATE-----").iter().take(4096) {
        let data = ctx.data(h.file);
        let rest = data.get(h.offset..).unwrap_or(&[]);
        let Some(end) = memchr::memmem::find(rest, b"-----END CERTIFICATE-----") else {
            continue;
        };
        if end > 64 << 10 {
            continue;
        }
        let Some((der, _)) = rest.get(..end).and_then(pem_body) else {
            continue;
        };
        if let Ok((_, cert)) = x509_parser::parse_x509_certificate(&der) {
            certs.push(cert_findings(ctx, h.file, h.offset, &der, &cert));
        }
    }
}

fn cert_findings(
    ctx: &Context,
    i: usize,
    offset: usize,
    der: &[u8],
    cert: &x509_parser::certificate::X509Certificate,
) -> Cert {
    use x509_parser::public_key::PublicKey;
    let subject = cert.subject().to_string();
    let issuer = cert.issuer().to_string();
    let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
    let sig = signature_name(&sig_oid).unwrap_or(&sig_oid).to_string();
    let key = match cert.public_key().parsed() {
        Ok(PublicKey::RSA(r)) => Some(("RSA", r.key_size())),
        Ok(PublicKey::EC(e)) => Some(("EC", e.key_size())),
        _ => None,
    };
    let validity = cert.validity();
    let not_after = validity.not_after.to_string();
    let expired = validity.not_after.timestamp() < now_unix();
    let self_signed = subject == issuer;
    let ev = || vec![ctx.evidence(i, Some(offset as u64), Some(format!("subject {subject}")))];
    let key_s = key
        .map(|(k, b)| format!("{k} {b} bits"))
        .unwrap_or_else(|| "key of unknown type".into());
    let mut out = vec![finding(
        Code::Crypto003,
        format!(
            "certificate subject `{subject}`, issuer `{issuer}`, {key_s}, {sig}, valid until {not_after}"
        ),
        ev(),
    )];
    let mut weak = Vec::new();
    if let Some(("RSA", b)) = key
        && b < 2048
    {
        weak.push(format!("RSA key of {b} bits"));
    }
    // A self-signed CA's own signature is never verified by whoever trusts it: only
    // the signatures a CA makes on other certificates matter.
    let root = self_signed && cert.is_ca();
    if (sig.contains("md5") || sig.contains("SHA1") || sig.contains("sha1")) && !root {
        weak.push(format!("{sig} signature"));
    }
    if expired {
        weak.push(format!("expired on {not_after}"));
    }
    if !weak.is_empty() {
        out.push(finding(
            Code::Crypto004,
            format!("certificate `{subject}`: {}", weak.join(", ")),
            ev(),
        ));
    }
    if self_signed {
        out.push(finding(
            Code::Crypto005,
            format!("certificate `{subject}` is self-signed"),
            ev(),
        ));
    }
    Cert {
        seen: SeenCert {
            file: i,
            offset,
            der_sha256: Sha256::digest(der).into(),
            subject,
            is_ca: cert.is_ca(),
            self_signed,
            not_after: validity.not_after.timestamp(),
        },
        device: out,
    }
}

/// The usual name of an X.509 signature algorithm OID (dotted), for findings that
/// say which signature a certificate carries; the live probe names the same way.
pub fn signature_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.113549.1.1.4" => "md5WithRSAEncryption",
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption",
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
        "1.2.840.10045.4.1" => "ecdsa-with-SHA1",
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
        "1.2.840.10040.4.3" => "dsa-with-SHA1",
        "1.3.101.112" => "Ed25519",
        _ => return None,
    })
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Weak settings in TLS and SSH server configurations.
fn configs(ctx: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (i, e) in ctx.tree.files() {
        let name = e.name();
        let kind = if name == "sshd_config" {
            "sshd"
        } else if name.starts_with("lighttpd") && name.ends_with(".conf")
            || name == "nginx.conf"
            || e.under("nginx") && name.ends_with(".conf")
            || name == "openssl.cnf"
            || name == "uhttpd" && e.under("config")
            || e.under("lighttpd") && name.ends_with(".conf")
        {
            "tls"
        } else if name == "dropbear" && (e.under("config") || e.under("default")) {
            "dropbear"
        } else {
            continue;
        };
        if e.size > 1 << 20 {
            continue;
        }
        let mut ev = Vec::new();
        for (off, line) in text_lines(ctx.data(i)) {
            let l = line.trim();
            if l.starts_with('#') || l.is_empty() {
                continue;
            }
            let low = l.to_ascii_lowercase();
            let bad = match kind {
                "sshd" => {
                    let mut w = low.split_whitespace();
                    let (k, v) = (w.next().unwrap_or(""), w.next().unwrap_or(""));
                    (v == "yes" && (k == "permitrootlogin" || k == "permitemptypasswords"))
                        || (k == "protocol" && v.contains('1'))
                        || (k == "ciphers"
                            && (v.contains("cbc") || v.contains("arcfour") || v.contains("3des")))
                }
                "dropbear" => {
                    (low.contains("rootpasswordauth") && low.contains("on"))
                        || (low.contains("passwordauth")
                            && low.contains("on")
                            && low.contains("root"))
                }
                _ => weak_tls_line(&low),
            };
            if bad {
                ev.push(ctx.evidence(i, Some(off as u64), Some(l.to_string())));
            }
        }
        if !ev.is_empty() {
            ev.truncate(16);
            findings.push(finding(
                Code::Crypto007,
                format!("{} enables weak settings ({} line(s))", e.fs_path, ev.len()),
                ev,
            ));
        }
    }
    findings
}

/// A TLS server setting (lighttpd, nginx, uhttpd, openssl.cnf) that enables an
/// obsolete protocol or a weak cipher. `low` is the lower-cased line.
fn weak_tls_line(low: &str) -> bool {
    // lighttpd's switches: `ssl.use-sslv3 = "enable"`.
    if low.contains("use-sslv2") || low.contains("use-sslv3") {
        return low.contains("enable");
    }
    let setting = low.contains("ssl")
        || low.contains("tls")
        || low.contains("cipher")
        || low.contains("protocol");
    if !setting {
        return false;
    }
    let old_protocol = contains_bare(low, "sslv2")
        || contains_bare(low, "sslv3")
        || low
            .split(|c: char| c.is_whitespace() || c == ';' || c == '"' || c == '=' || c == ',')
            .any(|w| w == "tlsv1" || w == "tlsv1.0" || w == "tlsv1.1");
    let weak_cipher = low.contains("cipher")
        && ["rc4", "des", "null", "export", "md5"]
            .iter()
            .any(|w| contains_bare(low, w));
    old_protocol || weak_cipher
}

/// `word` occurs in a cipher list not negated by `!` or `-`.
fn contains_bare(s: &str, word: &str) -> bool {
    s.match_indices(word).any(|(p, _)| {
        let before = s.get(..p).and_then(|b| b.chars().last());
        !matches!(before, Some('!') | Some('-'))
            && !matches!(before, Some(c) if c.is_ascii_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_are_checked() {
        // The false-positive fixture shape: a SEQUENCE claiming 65535 bytes in 27.
        let fp = [0x30, 0x82, 0xff, 0xff, 0x02, 0x01, 0x03, 0x82, 0x82, 0x82];
        assert_eq!(classify_der(&fp), None);
        assert!(contains_bare("ciphers = rc4-sha", "rc4"));
        assert!(!contains_bare("high:!rc4:!md5", "rc4"));
    }
}
