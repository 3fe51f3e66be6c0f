//! Bosch security camera firmware (`.fw`, firmware up to about 6.50): 0x400-byte
//! big-endian headers (magic 0x10122003, target, variant, version, length, base,
//! checksum, type). A root header with target 0x10 ("nested") is followed by
//! sub-headers, each with `length` bytes of data; other roots carry their data
//! directly. Data is obfuscated by XOR with 0x42 and holds file records: a 64-byte
//! header (magic 0xdeadaffe, offset to the next record, a 32-byte name, the file
//! length) and the file, up to a record of length 0.
//!
//! Layout and constants from Anvil Secure's BoschFirmwareTool. Files are written
//! under their names; a root without sub-headers is written as `firmware.bin`.
//! Later firmware encrypts the data with AES under RSA-wrapped keys: not handled
//! (the sub-header's data then does not start with a file record and the image is
//! not claimed).

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{cstr, u32_at};
use crate::{Error, Sink};

pub struct Bosch;

const MAGIC: &[u8] = &[0x10, 0x12, 0x20, 0x03];
const HEADER_LEN: usize = 0x400;
const NESTED: u32 = 0x10;
const XOR: u8 = 0x42;
const FILE_MAGIC: u32 = 0xdead_affe;
const FILE_HEADER: usize = 0x40;

fn unxor(d: &[u8]) -> Vec<u8> {
    d.iter().map(|b| b ^ XOR).collect()
}

/// The data of each sub-header of a nested image (or of the root), and the end.
fn sections(d: &[u8]) -> Option<(bool, Vec<&[u8]>, usize)> {
    if !d.starts_with(MAGIC) || d.len() < HEADER_LEN {
        return None;
    }
    if u32_at(d, 4, true)? != NESTED {
        let len = u32_at(d, 16, true)? as usize;
        let data = d.get(HEADER_LEN..HEADER_LEN.checked_add(len)?)?;
        return Some((false, vec![data], HEADER_LEN + len));
    }
    let mut out = Vec::new();
    let mut at = HEADER_LEN;
    while let Some(h) = d.get(at..at + HEADER_LEN) {
        if !h.starts_with(MAGIC) {
            break;
        }
        let len = u32_at(h, 16, true)? as usize;
        let body = at + HEADER_LEN;
        let Some(data) = body.checked_add(len).and_then(|e| d.get(body..e)) else {
            break;
        };
        out.push(data);
        at = body + len;
    }
    Some((true, out, at))
}

/// The file records in one section's (de-obfuscated) data: name and contents.
fn records(plain: &[u8]) -> Vec<(String, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(h) = plain.get(at..at.saturating_add(FILE_HEADER)) {
        if u32_at(h, 0, true) != Some(FILE_MAGIC) {
            break;
        }
        let len = u32_at(h, 40, true).unwrap_or(0) as usize;
        let next = u32_at(h, 4, true).unwrap_or(0) as usize;
        let body = at + FILE_HEADER;
        let Some(data) = body.checked_add(len).and_then(|e| plain.get(body..e)) else {
            break;
        };
        if len == 0 {
            break;
        }
        out.push((cstr(h.get(8..40).unwrap_or_default()), data));
        // The next record follows the data (padded); a link that does not move
        // forward past this header ends the walk.
        if next < FILE_HEADER + len {
            break;
        }
        at = at.saturating_add(next);
    }
    out
}

impl Format for Bosch {
    fn name(&self) -> &'static str {
        "bosch_fw"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let (nested, secs, end) = sections(data.get(start..)?)?;
        // A single (non-nested) image is only taken at the start of a file: the
        // sub-headers of a nested image carry the same magic and must not be
        // claimed on their own when the nested image was refused (encrypted).
        if !nested && start != 0 {
            return None;
        }
        // A nested image must start with a file record, or it is encrypted or not
        // this format. Only that record is read: the probe stays cheap.
        let first = secs.first().and_then(|s| s.get(..4)).map(unxor);
        if nested && first.and_then(|m| u32_at(&m, 0, true)) != Some(FILE_MAGIC) {
            return None;
        }
        Some(Probe::extract(
            Some(end as u64),
            if nested {
                Confidence::Strong
            } else {
                Confidence::Weak
            },
            if nested {
                format!(
                    "Bosch camera firmware, {} sections of file records (XOR-obfuscated)",
                    secs.len()
                )
            } else {
                format!(
                    "Bosch camera firmware, single image of {} bytes (XOR-obfuscated)",
                    end - HEADER_LEN
                )
            },
        ))
    }
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        _probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error> {
        let (nested, secs, end) = sections(data.get(start..).unwrap_or_default())
            .ok_or_else(|| Error::bad(format!("Bosch firmware at 0x{start:x} no longer valid")))?;
        if !nested {
            let plain = unxor(secs.first().copied().unwrap_or_default());
            sink.file_bytes("firmware.bin", 0o644, &plain)?;
            return Ok(end as u64);
        }
        for sec in &secs {
            let plain = unxor(sec);
            for (name, contents) in records(&plain) {
                let name = if name.is_empty() {
                    "unnamed.bin".to_string()
                } else {
                    name
                };
                if let Err(e) = sink.file_bytes(&name, 0o644, contents) {
                    if matches!(e, Error::Quota(_)) {
                        return Err(e);
                    }
                    sink.warn(format!("{name}: {e}"));
                }
            }
        }
        Ok(end as u64)
    }
}
