//! TLS audit without a TLS stack: a hand-built ClientHello per protocol version and
//! cipher family, and a parser for the server's first flight (ServerHello and, up
//! to TLS 1.2, the Certificate message, which travels in clear). This sees what
//! rustls deliberately cannot speak: SSL 3.0, TLS 1.0/1.1 and weak suites.

use std::time::Duration;

use crate::budget::Budget;
use crate::target::Target;
use crate::wire;

pub const SSL3: u16 = 0x0300;
pub const TLS10: u16 = 0x0301;
pub const TLS11: u16 = 0x0302;
pub const TLS12: u16 = 0x0303;
pub const TLS13: u16 = 0x0304;

pub fn version_name(v: u16) -> &'static str {
    match v {
        SSL3 => "SSL 3.0",
        TLS10 => "TLS 1.0",
        TLS11 => "TLS 1.1",
        TLS12 => "TLS 1.2",
        TLS13 => "TLS 1.3",
        _ => "unknown",
    }
}

/// Suites offered when probing versions: modern and legacy, so that any server
/// that speaks the version finds one it accepts.
const BROAD: &[u16] = &[
    0x1301, 0x1302, 0x1303, // TLS 1.3
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, // ECDHE AEAD
    0xc009, 0xc013, 0xc00a, 0xc014, 0xc023, 0xc027, 0xc024, 0xc028, // ECDHE CBC
    0x009e, 0x009f, 0x0033, 0x0039, 0x0067, 0x006b, // DHE
    0x009c, 0x009d, 0x002f, 0x0035, 0x003c, 0x003d, // RSA
    0x000a, 0x0016, 0xc012, // 3DES
    0x0005, 0x0004, 0xc011, // RC4
];

/// Suites nobody should accept, with their family.
pub const WEAK: &[(u16, &str)] = &[
    (0x0001, "NULL"),
    (0x0002, "NULL"),
    (0x003b, "NULL"),
    (0xc006, "NULL"),
    (0xc010, "NULL"),
    (0x0003, "EXPORT"),
    (0x0006, "EXPORT"),
    (0x0008, "EXPORT"),
    (0x0014, "EXPORT"),
    (0x0011, "EXPORT"),
    (0x0004, "RC4"),
    (0x0005, "RC4"),
    (0xc011, "RC4"),
    (0xc007, "RC4"),
    (0x0018, "RC4"),
    (0x0009, "DES"),
    (0x0015, "DES"),
    (0x0012, "DES"),
    (0x000a, "3DES"),
    (0x0016, "3DES"),
    (0x0013, "3DES"),
    (0xc012, "3DES"),
    (0xc008, "3DES"),
    (0x001b, "anonymous"),
    (0x0034, "anonymous"),
    (0x003a, "anonymous"),
    (0xc018, "anonymous"),
    (0x00a6, "anonymous"),
    (0x006c, "anonymous"),
];

pub fn weak_family(suite: u16) -> Option<&'static str> {
    WEAK.iter().find(|(s, _)| *s == suite).map(|(_, f)| *f)
}

fn u16be(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_be_bytes());
}

fn ext(v: &mut Vec<u8>, ty: u16, body: &[u8]) {
    u16be(v, ty);
    u16be(v, body.len() as u16);
    v.extend_from_slice(body);
}

fn random32() -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut h = Sha256::new();
    h.update(t.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    h.finalize().into()
}

/// A ClientHello for `version` offering `suites`.
pub fn client_hello(version: u16, suites: &[u16]) -> Vec<u8> {
    let mut body = vec![];
    u16be(&mut body, version.min(TLS12));
    body.extend_from_slice(&random32());
    body.push(0); // session id
    let mut cs = vec![];
    for s in suites {
        if version < TLS13 && (0x1301..=0x1305).contains(s) {
            continue;
        }
        u16be(&mut cs, *s);
    }
    u16be(&mut body, cs.len() as u16);
    body.extend_from_slice(&cs);
    body.extend_from_slice(&[1, 0]); // null compression
    if version > SSL3 {
        let mut exts = vec![];
        ext(&mut exts, 0x000a, &[0, 6, 0, 0x1d, 0, 0x17, 0, 0x18]);
        ext(&mut exts, 0x000b, &[1, 0]);
        ext(&mut exts, 0xff01, &[0]);
        if version >= TLS12 {
            let algs: &[u16] = &[
                0x0403, 0x0503, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0807, 0x0201,
                0x0203,
            ];
            let mut a = vec![];
            u16be(&mut a, (algs.len() * 2) as u16);
            for x in algs {
                u16be(&mut a, *x);
            }
            ext(&mut exts, 0x000d, &a);
        }
        if version == TLS13 {
            ext(&mut exts, 0x002b, &[2, 0x03, 0x04]);
            let mut ks = vec![];
            u16be(&mut ks, 36);
            u16be(&mut ks, 0x001d);
            u16be(&mut ks, 32);
            ks.extend_from_slice(&random32());
            ext(&mut exts, 0x0033, &ks);
        }
        u16be(&mut body, exts.len() as u16);
        body.extend_from_slice(&exts);
    }
    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![22];
    u16be(&mut rec, if version == SSL3 { SSL3 } else { TLS10 });
    u16be(&mut rec, hs.len() as u16);
    rec.extend_from_slice(&hs);
    rec
}

/// The server's answer to one ClientHello.
#[derive(Debug, Clone, Default)]
pub struct Hello {
    /// Negotiated version and suite (None when the server refused).
    pub version: Option<u16>,
    pub suite: Option<u16>,
    /// DER certificates (leaf first), when sent in clear.
    pub certs: Vec<Vec<u8>>,
    /// Alert description, when the server refused with one.
    pub alert: Option<u8>,
}

/// Parses the records of the server's first flight.
pub fn parse_flight(data: &[u8]) -> Hello {
    let mut h = Hello::default();
    let mut hs = vec![];
    let mut d = data;
    while d.len() >= 5 {
        let ty = d[0];
        let len = u16::from_be_bytes([d[3], d[4]]) as usize;
        let Some(body) = d.get(5..5 + len) else { break };
        match ty {
            22 => hs.extend_from_slice(body),
            21 => {
                h.alert = body.get(1).copied();
                break;
            }
            _ => break,
        }
        d = &d[5 + len..];
    }
    let mut m = &hs[..];
    while m.len() >= 4 {
        let ty = m[0];
        let len = u32::from_be_bytes([0, m[1], m[2], m[3]]) as usize;
        let Some(body) = m.get(4..4 + len) else { break };
        match ty {
            2 => {
                let (Some(v), Some(sid)) = (body.get(..2), body.get(34)) else {
                    break;
                };
                let mut version = u16::from_be_bytes([v[0], v[1]]);
                let at = 35 + *sid as usize;
                let Some(cs) = body.get(at..at + 2) else {
                    break;
                };
                h.suite = Some(u16::from_be_bytes([cs[0], cs[1]]));
                // Extensions: supported_versions overrides the legacy field.
                if let Some(e) = body.get(at + 3 + 2..) {
                    let mut e = e;
                    while e.len() >= 4 {
                        let et = u16::from_be_bytes([e[0], e[1]]);
                        let el = u16::from_be_bytes([e[2], e[3]]) as usize;
                        let Some(ev) = e.get(4..4 + el) else { break };
                        if et == 0x002b && ev.len() == 2 {
                            version = u16::from_be_bytes([ev[0], ev[1]]);
                        }
                        e = &e[4 + el..];
                    }
                }
                h.version = Some(version);
            }
            11 => {
                let mut c = body.get(3..).unwrap_or(&[]);
                while c.len() >= 3 && h.certs.len() < 8 {
                    let l = u32::from_be_bytes([0, c[0], c[1], c[2]]) as usize;
                    let Some(der) = c.get(3..3 + l) else { break };
                    h.certs.push(der.to_vec());
                    c = &c[3 + l..];
                }
            }
            _ => {}
        }
        m = &m[4 + len..];
    }
    h
}

/// Whether the flight so far holds everything we want (ServerHello plus Certificate,
/// ServerHelloDone, an alert, or a TLS 1.3 ServerHello after which all is encrypted).
fn flight_done(buf: &[u8]) -> bool {
    let h = parse_flight(buf);
    if h.alert.is_some() {
        return true;
    }
    if h.version == Some(TLS13) {
        return true;
    }
    h.version.is_some() && (!h.certs.is_empty() || buf.windows(4).any(|w| w == [14, 0, 0, 0]))
}

/// Sends one ClientHello and parses the answer.
pub fn hello(t: &Target, port: u16, version: u16, suites: &[u16], b: &Budget) -> Option<Hello> {
    let mut s = wire::connect(b, t.sock(port), Duration::from_secs(3)).ok()?;
    if !wire::send(&mut s, &client_hello(version, suites)) {
        return None;
    }
    let data = wire::read_until(&mut s, b, Duration::from_secs(5), 256 << 10, flight_done);
    Some(parse_flight(&data))
}

/// Which versions the server accepts (SSL 3.0 to TLS 1.3), and the first answer
/// that carried certificates.
pub fn versions(t: &Target, port: u16, b: &Budget) -> (Vec<u16>, Option<Hello>) {
    let mut ok = vec![];
    let mut with_cert = None;
    for v in [TLS13, TLS12, TLS11, TLS10, SSL3] {
        if b.over() {
            break;
        }
        if let Some(h) = hello(t, port, v, BROAD, b)
            && h.version == Some(v)
        {
            ok.push(v);
            if with_cert.is_none() && !h.certs.is_empty() {
                with_cert = Some(h);
            }
        }
    }
    ok.sort_unstable();
    (ok, with_cert)
}

/// Facts about a certificate the server presented.
#[derive(Debug, Clone, Default)]
pub struct CertFacts {
    pub subject: String,
    pub key: String,
    pub key_bits: Option<usize>,
    pub sig_alg: String,
    pub not_after: String,
    pub self_signed: bool,
    pub weak: Vec<String>,
    pub key_id: Option<crate::keys::KeyId>,
}

pub fn cert_facts(der: &[u8]) -> Option<CertFacts> {
    use x509_parser::prelude::*;
    let (_, c) = X509Certificate::from_der(der).ok()?;
    let spki = c.public_key();
    let (key, bits) = match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(k)) => ("RSA".to_string(), Some(k.key_size())),
        Ok(x509_parser::public_key::PublicKey::EC(p)) => ("EC".to_string(), Some(p.key_size())),
        _ => (spki.algorithm.algorithm.to_id_string(), None),
    };
    let sig_oid = c.signature_algorithm.algorithm.to_id_string();
    let sig_alg = baseliner_inspect::checks::crypto::signature_name(&sig_oid)
        .unwrap_or(&sig_oid)
        .to_string();
    let expired = c.validity().not_after.timestamp()
        < std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
    let mut f = CertFacts {
        subject: c.subject().to_string(),
        key: key.clone(),
        key_bits: bits,
        sig_alg: sig_alg.clone(),
        not_after: c.validity().not_after.to_string(),
        self_signed: c.subject().as_raw() == c.issuer().as_raw(),
        weak: vec![],
        key_id: crate::keys::from_spki(spki),
    };
    if key == "RSA" && bits.is_some_and(|b| b < 2048) {
        f.weak
            .push(format!("RSA key of {} bits", bits.unwrap_or(0)));
    }
    if sig_alg.contains("md5") || sig_alg.to_ascii_lowercase().contains("sha1") {
        f.weak.push(format!("{sig_alg} signature"));
    }
    if expired {
        f.weak.push(format!("expired {}", f.not_after));
    }
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_flights_do_not_panic() {
        let ch = client_hello(TLS12, BROAD);
        for cut in 0..ch.len() {
            let _ = parse_flight(&ch[..cut]);
        }
        let mut rec = vec![22, 3, 3, 0, 8, 2, 0, 0, 4, 3, 3];
        rec.extend([0xff; 40]);
        let _ = parse_flight(&rec);
        assert_eq!(parse_flight(&[21, 3, 1, 0, 2, 2, 70]).alert, Some(70));
    }
}
