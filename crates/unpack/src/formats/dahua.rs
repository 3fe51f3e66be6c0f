//! Dahua firmware (`.bin`): a zip archive whose first local-header magic reads
//! `DH` instead of `PK`. The archive is written back as `firmware.zip` with the
//! magic restored, and the zip format takes it from there through recursion.

use std::io::Read;

use memchr::memmem;

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{u16_at, u32_at};
use crate::{Error, Sink};

pub struct Dahua;

const MAGIC: &[u8] = b"DH\x03\x04";
const EOCD: &[u8] = b"PK\x05\x06";
const CENTRAL: &[u8] = b"PK\x01\x02";
const EOCD_LEN: usize = 22;

/// Facts of the archive: its length and entry count.
fn archive(d: &[u8]) -> Option<(usize, u16)> {
    if !d.starts_with(MAGIC) {
        return None;
    }
    let version = u16_at(d, 4, false)?;
    let name_len = u16_at(d, 26, false)?;
    // The high byte names the host system; the low one is the version (2.0 = 20).
    if version & 0xff > 63 || name_len == 0 {
        return None;
    }
    // The first end-of-central-directory record whose directory ends where the
    // record starts and begins with a central header: the archive's end.
    memmem::find_iter(d, EOCD).find_map(|at| {
        let entries = u16_at(d, at + 10, false)?;
        let cd_size = u32_at(d, at + 12, false)? as usize;
        let cd_off = u32_at(d, at + 16, false)? as usize;
        let comment = u16_at(d, at + 20, false)? as usize;
        let end = at.checked_add(EOCD_LEN + comment)?;
        let consistent = cd_off.checked_add(cd_size)? == at
            && entries > 0
            && d.get(cd_off..)?.starts_with(CENTRAL)
            && end <= d.len();
        consistent.then_some((end, entries))
    })
}

impl Format for Dahua {
    fn name(&self) -> &'static str {
        "dahua"
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
        let (len, entries) = archive(data.get(start..)?)?;
        Some(Probe::extract(
            Some(len as u64),
            Confidence::Strong,
            format!("Dahua firmware: zip archive with a DH magic, {len} bytes, {entries} entries"),
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
        let (len, _) = archive(d)
            .ok_or_else(|| Error::bad(format!("Dahua archive at 0x{start:x} no longer valid")))?;
        let rest = d.get(2..len).unwrap_or_default();
        let mut zip = (&b"PK"[..]).chain(rest);
        sink.file("firmware.zip", 0o644, &mut zip)?;
        Ok(len as u64)
    }
}
