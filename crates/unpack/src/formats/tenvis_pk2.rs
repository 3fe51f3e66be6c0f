//! Tenvis IP camera update package (`.pk2`): a 28-byte little-endian header
//! (`PK2\0`, camera type, creation time, version, section count) and a list of
//! sections, each a 24-byte header (type `CMD` or `FILE`, an MD5, payload size)
//! and a payload XOR-ed with a fixed, published 8-byte key.
//!
//! A `FILE` payload is a length-prefixed path, a data length and the encrypted
//! data; a `CMD` payload is an encrypted shell command the updater runs, written
//! as `cmd-0x<offset>.sh` because it says what the update does to the device. The
//! MD5 covers the payload with its encrypted part decrypted; a mismatch is
//! reported and the section still written. A section cut short ends the
//! extraction with an error naming its offset, keeping the sections before it.

use md5::{Digest, Md5};

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{cstr, u32_at};
use crate::{Error, Sink};

pub struct TenvisPk2;

const MAGIC: &[u8] = b"PK2\0";
const HEADER_LEN: usize = 28;
const SECTION_LEN: usize = 24;
const KEY: [u8; 8] = [0xa1, 0x83, 0x24, 0x78, 0xb3, 0x41, 0x43, 0x56];

fn xor(d: &[u8]) -> Vec<u8> {
    d.iter()
        .zip(KEY.iter().cycle())
        .map(|(b, k)| b ^ k)
        .collect()
}

/// The section count, if the header and the first section header are sane.
fn header(d: &[u8]) -> Option<u32> {
    if !d.starts_with(MAGIC) {
        return None;
    }
    let count = u32_at(d, 24, false)?;
    let first = d.get(HEADER_LEN..HEADER_LEN + 4)?;
    let fits = (count as usize).checked_mul(SECTION_LEN)? <= d.len() - HEADER_LEN;
    (count > 0 && fits && (first == b"CMD\0" || first == b"FILE")).then_some(count)
}

impl Format for TenvisPk2 {
    fn name(&self) -> &'static str {
        "tenvis_pk2"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        // A whole-file format: only recognised at the start of a file, which also
        // keeps a crafted file of repeated magics from costing quadratic time.
        if start != 0 {
            return None;
        }
        let d = data.get(start..)?;
        let count = header(d)?;
        Some(Probe::extract(
            None,
            Confidence::Strong,
            format!(
                "Tenvis PK2 update package: camera type {}, created {} (Unix time), {count} sections",
                u32_at(d, 4, false)?,
                u32_at(d, 8, false)?,
            ),
        ))
    }
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        _probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error> {
        let d = data.get(start..).unwrap_or_default();
        let count = header(d)
            .ok_or_else(|| Error::bad(format!("Tenvis PK2 at 0x{start:x} no longer valid")))?;
        let mut at = HEADER_LEN;
        for _ in 0..count {
            let cut = || {
                Error::bad(format!(
                    "Tenvis PK2 at 0x{start:x}: section at offset {at} (0x{at:x}) is cut short"
                ))
            };
            let sh = d.get(at..at + SECTION_LEN).ok_or_else(cut)?;
            let kind = sh.get(..4).unwrap_or_default();
            let md5 = sh.get(4..20).unwrap_or_default();
            let size = u32_at(sh, 20, false).unwrap_or(0) as usize;
            let body_at = at + SECTION_LEN;
            let body = body_at
                .checked_add(size)
                .and_then(|e| d.get(body_at..e))
                .ok_or_else(|| {
                    Error::bad(format!(
                        "Tenvis PK2 at 0x{start:x}: the {size}-byte payload of the section at offset {at}, at offset {body_at} (0x{body_at:x}), is cut short"
                    ))
                })?;
            // The payload as the MD5 sees it, and what is written.
            let (plain, name, content) = match kind {
                b"CMD\0" => {
                    let p = xor(body);
                    let name = format!("cmd-0x{at:x}.sh");
                    let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
                    let content = p.get(..end).unwrap_or_default().to_vec();
                    (p, name, content)
                }
                b"FILE" => {
                    let bad = || {
                        Error::bad(format!(
                            "Tenvis PK2 at 0x{start:x}: file section at offset {at} has lengths that overrun it"
                        ))
                    };
                    let nl = u32_at(body, 0, false).ok_or_else(bad)? as usize;
                    let name_end = 4usize.checked_add(nl).ok_or_else(bad)?;
                    let path = cstr(body.get(4..name_end).ok_or_else(bad)?);
                    let dl = u32_at(body, name_end, false).ok_or_else(bad)? as usize;
                    let data_at = name_end + 4;
                    let enc = data_at
                        .checked_add(dl)
                        .and_then(|e| body.get(data_at..e))
                        .ok_or_else(bad)?;
                    let content = xor(enc);
                    let mut p = body.get(..data_at).unwrap_or_default().to_vec();
                    p.extend_from_slice(&content);
                    (p, path, content)
                }
                other => {
                    return Err(Error::bad(format!(
                        "Tenvis PK2 at 0x{start:x}: unknown section type {:?} at offset {at}",
                        String::from_utf8_lossy(other)
                    )));
                }
            };
            if Md5::digest(&plain).as_slice() != md5 {
                sink.warn(format!(
                    "Tenvis PK2 at 0x{start:x}: MD5 of the section at offset {at} does not match"
                ));
            }
            sink.file_bytes(&name, 0o644, &content)?;
            at = body_at + size;
        }
        Ok(at as u64)
    }
}
