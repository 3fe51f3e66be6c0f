//! A DER-encoded PKCS#7 / CMS `SignedData` block in front of a firmware image, as
//! DOCSIS cable modems carry it (CableLabs code verification: MaxLinear/Intel Puma
//! images, for example). It only describes what follows, so it is a header hit:
//! the listing names the organisations in its certificates (who signed the image)
//! and carving continues after it. The signature is not verified.

use crate::format::{Format, Magic, Probe};
use crate::{Error, Sink};

pub struct Pkcs7Signed;

/// The `signedData` content type OID (1.2.840.113549.1.7.2), DER-encoded.
const OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
];
/// The organizationName attribute type OID (2.5.4.10).
const ORG: &[u8] = &[0x06, 0x03, 0x55, 0x04, 0x0a];

/// Length of the outer SEQUENCE (long-form length of 1 to 4 bytes), header included.
fn der_len(d: &[u8]) -> Option<usize> {
    if *d.first()? != 0x30 {
        return None;
    }
    let first = *d.get(1)?;
    let n = (first & 0x7f) as usize;
    if first & 0x80 == 0 || !(1..=4).contains(&n) {
        return None;
    }
    let len = d
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |acc, &b| (acc << 8) | b as usize);
    len.checked_add(2 + n)
}

/// The distinct organisation names in the block's certificates.
fn organisations(der: &[u8]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for at in memchr::memmem::find_iter(der, ORG) {
        let v = at + ORG.len();
        let (Some(&tag), Some(&len)) = (der.get(v), der.get(v + 1)) else {
            continue;
        };
        // PrintableString, UTF8String or IA5String with a short-form length.
        if !matches!(tag, 0x0c | 0x13 | 0x16) || len > 0x7f {
            continue;
        }
        if let Some(s) = der.get(v + 2..v + 2 + len as usize) {
            let s = String::from_utf8_lossy(s).into_owned();
            if !out.contains(&s) && out.len() < 8 {
                out.push(s);
            }
        }
    }
    out
}

impl Format for Pkcs7Signed {
    fn name(&self) -> &'static str {
        "pkcs7_signed"
    }
    fn magics(&self) -> &'static [Magic] {
        // After a SEQUENCE with a two-byte length: `30 82 LL LL`.
        const M: &[Magic] = &[Magic::at(OID, 4)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        if d.get(1) != Some(&0x82) {
            return None;
        }
        let len = der_len(d)?;
        // The [0] EXPLICIT content follows the OID; a whole block must be present.
        let der = d.get(..len)?;
        if der.get(4 + OID.len()) != Some(&0xa0) {
            return None;
        }
        let orgs = organisations(der);
        Some(Probe::header(
            len as u64,
            format!(
                "PKCS#7 signedData block, {len} bytes, signature not verified; certificate organisations: {}",
                if orgs.is_empty() {
                    "none found".to_string()
                } else {
                    orgs.join(", ")
                }
            ),
        ))
    }
    fn extract(
        &self,
        _data: &[u8],
        start: usize,
        _probe: &Probe,
        _sink: &mut Sink,
    ) -> Result<u64, Error> {
        // Header probes are recorded by the driver and never extracted.
        Err(Error::bad(format!(
            "PKCS#7 block at 0x{start:x} has nothing to extract"
        )))
    }
}
