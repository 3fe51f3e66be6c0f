//! zip, carved from its first local header: the end of central directory record is
//! found forward from there and must point back at a central directory that ends
//! where it starts, which gives the archive's exact length. Entries are streamed
//! through the sink by the `zip` crate (which checks each CRC); entries whose data
//! overlap (the overlapping-entry zip bomb) are refused.

use std::io::{Cursor, Read};

use memchr::memmem;

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{u16_at, u32_at};
use crate::{Error, Sink};

pub struct Zip;

const LOCAL: &[u8] = b"PK\x03\x04";
const EOCD: &[u8] = b"PK\x05\x06";
const CENTRAL: &[u8] = b"PK\x01\x02";
const ZIP64_LOCATOR: &[u8] = b"PK\x06\x07";
const MAX_LINK: u64 = 4096;

/// Validates the first local header (version, method, name length).
fn local_ok(d: &[u8]) -> bool {
    let (Some(ver), Some(method), Some(name_len)) = (
        u16_at(d, 4, false),
        u16_at(d, 8, false),
        u16_at(d, 26, false),
    ) else {
        return false;
    };
    d.starts_with(LOCAL)
        // Low byte: the spec version needed; high byte: the host system (3 = Unix),
        // which real archives set.
        && (ver & 0xff) <= 0x3f
        && matches!(method, 0 | 1..=10 | 12 | 14 | 93 | 95 | 96 | 97 | 98 | 99)
        && name_len > 0
        && d.len() >= 30 + name_len as usize
}

/// Finds the end record that closes the archive starting at `d[0]`; returns
/// (archive length, entry count).
fn archive_len(d: &[u8]) -> Option<(usize, u64)> {
    for e in memmem::find_iter(d, EOCD) {
        let (Some(disk), Some(cd_disk), Some(n_here), Some(n), Some(size), Some(off), Some(cl)) = (
            u16_at(d, e + 4, false),
            u16_at(d, e + 6, false),
            u16_at(d, e + 8, false),
            u16_at(d, e + 10, false),
            u32_at(d, e + 12, false),
            u32_at(d, e + 16, false),
            u16_at(d, e + 20, false),
        ) else {
            return None;
        };
        let end = e + 22 + cl as usize;
        if end > d.len() {
            continue;
        }
        if size == u32::MAX || off == u32::MAX || n == u16::MAX {
            // zip64: trust the locator that must sit right before the record.
            if e >= 20 && d.get(e - 20..e - 16) == Some(ZIP64_LOCATOR) {
                return Some((end, n as u64));
            }
            continue;
        }
        if disk != 0 || cd_disk != 0 || n_here != n {
            continue;
        }
        let (size, off) = (size as usize, off as usize);
        if off.checked_add(size) != Some(e) {
            continue;
        }
        if n > 0 && d.get(off..off + 4) != Some(CENTRAL) {
            continue;
        }
        return Some((end, n as u64));
    }
    None
}

impl Format for Zip {
    fn name(&self) -> &'static str {
        "zip"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(LOCAL)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        if !local_ok(d) {
            return None;
        }
        let (len, n) = archive_len(d)?;
        Some(Probe::extract(
            Some(len as u64),
            Confidence::Strong,
            format!("zip, {n} entries"),
        ))
    }
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        _probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error> {
        let d = data.get(start..).unwrap_or(&[]);
        let (len, _) =
            archive_len(d).ok_or_else(|| Error::bad("zip end of central directory not found"))?;
        let zip = d.get(..len).unwrap_or(&[]);
        let mut ar = zip::ZipArchive::new(Cursor::new(zip))
            .map_err(|e| Error::bad(format!("zip at 0x{start:x}: {e}")))?;
        let overlapping = overlaps(&mut ar);
        for i in 0..ar.len() {
            if overlapping.get(i).copied().unwrap_or(false) {
                let name = ar.name_for_index(i).unwrap_or("?").to_string();
                sink.warn(format!(
                    "zip entry {name:?}: its data overlaps another entry's (an overlapping-entry \
                     zip bomb); skipped"
                ));
                continue;
            }
            match entry(&mut ar, i, sink) {
                Ok(()) => {}
                Err(e @ (Error::Quota(_) | Error::Io { .. })) => return Err(e),
                Err(e) => sink.warn(format!("zip entry {i} at 0x{start:x}: {e}")),
            }
        }
        Ok(len as u64)
    }
}

/// Marks entries whose local header and data overlap an earlier entry's.
fn overlaps(ar: &mut zip::ZipArchive<Cursor<&[u8]>>) -> Vec<bool> {
    let mut spans: Vec<(u64, u64, usize)> = Vec::with_capacity(ar.len());
    for i in 0..ar.len() {
        if let Ok(f) = ar.by_index_raw(i) {
            let s = f.header_start();
            let e = f.data_start().saturating_add(f.compressed_size());
            spans.push((s, e.max(s + 1), i));
        }
    }
    spans.sort_unstable();
    let mut bad = vec![false; ar.len()];
    let mut reach = 0u64;
    for (s, e, i) in spans {
        if s < reach
            && let Some(b) = bad.get_mut(i)
        {
            *b = true;
        }
        reach = reach.max(e);
    }
    bad
}

fn entry(ar: &mut zip::ZipArchive<Cursor<&[u8]>>, i: usize, sink: &mut Sink) -> Result<(), Error> {
    let mut f = ar
        .by_index(i)
        .map_err(|e| Error::bad(format!("cannot read: {e}")))?;
    let name = f.name().to_string();
    let mode = f
        .unix_mode()
        .unwrap_or(if f.is_dir() { 0o755 } else { 0o644 });
    if f.is_dir() {
        return sink.dir(&name, mode & 0o7777);
    }
    if f.is_symlink() {
        if f.size() > MAX_LINK {
            return Err(Error::bad(format!("{name}: symlink target too long")));
        }
        let mut target = Vec::new();
        (&mut f as &mut dyn Read)
            .take(MAX_LINK)
            .read_to_end(&mut target)
            .map_err(|e| Error::bad(format!("{name}: {e}")))?;
        return sink.symlink(&name, &String::from_utf8_lossy(&target));
    }
    sink.file(&name, mode & 0o7777, &mut f as &mut dyn Read)
        .map(|_| ())
}
