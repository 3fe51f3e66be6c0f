//! 7z, read by the pure-Rust sevenz-rust2. The 32-byte signature header (its CRC
//! checked here) gives the archive's exact length: header + next-header offset + size.

use std::io::{Cursor, Read};

use sevenz_rust2::{ArchiveReader, EntryDecision, Password};

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{u32_at, u64_at};
use crate::report::EntryKind;
use crate::{Error, Sink};

pub struct Sevenz;

const MAGIC: &[u8] = &[b'7', b'z', 0xbc, 0xaf, 0x27, 0x1c];
/// Decoder dictionaries and header buffers above this are refused (KiB).
const MEM_LIMIT_KB: usize = 512 * 1024;
const MAX_LINK: u64 = 4096;
/// Windows attribute bit meaning "the high 16 bits hold a Unix mode" (p7zip).
const UNIX_EXTENSION: u32 = 0x8000;

/// Validates the signature header; returns the archive length.
fn archive_len(d: &[u8]) -> Option<u64> {
    if d.get(..6)? != MAGIC || *d.get(6)? != 0 {
        return None;
    }
    let stored = u32_at(d, 8, false)?;
    if crc32fast::hash(d.get(12..32)?) != stored {
        return None;
    }
    let off = u64_at(d, 12, false)?;
    let size = u64_at(d, 20, false)?;
    let len = 32u64.checked_add(off)?.checked_add(size)?;
    (size > 0 && len <= d.len() as u64).then_some(len)
}

impl Format for Sevenz {
    fn name(&self) -> &'static str {
        "7z"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let len = archive_len(d)?;
        Some(Probe::extract(
            Some(len),
            Confidence::Strong,
            format!("7z, version 0.{}", d.get(7)?),
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
        let len =
            archive_len(d).ok_or_else(|| Error::bad("7z signature header no longer valid"))?;
        let ar = d.get(..len as usize).unwrap_or(&[]);
        let mut reader =
            ArchiveReader::new_with_memory_limit(Cursor::new(ar), Password::empty(), MEM_LIMIT_KB)
                .map_err(|e| Error::bad(format!("7z at 0x{start:x}: {e}")))?;
        reader.set_thread_count(1);
        // Directories come last from the reader; create them first so that they are
        // recorded with their own modes rather than made implicitly by their files.
        let dirs: Vec<_> = reader
            .archive()
            .files
            .iter()
            .filter(|e| e.is_directory() && !e.is_anti_item())
            .cloned()
            .collect();
        for e in &dirs {
            match add(sink, e, &mut std::io::empty()) {
                Ok(()) => {}
                Err(err @ (Error::Quota(_) | Error::Io { .. })) => return Err(err),
                Err(err) => sink.warn(format!("7z entry {:?}: {err}", e.name())),
            }
        }
        let mut fatal: Option<Error> = None;
        let res = reader.for_each_entries_with_decision(|entry, r| {
            if entry.is_directory() {
                return Ok(EntryDecision::Continue);
            }
            match add(sink, entry, r) {
                Ok(()) => {}
                Err(e @ (Error::Quota(_) | Error::Io { .. })) => {
                    fatal = Some(e);
                    return Ok(EntryDecision::Stop);
                }
                Err(e) => sink.warn(format!("7z entry {:?}: {e}", entry.name())),
            }
            Ok(EntryDecision::Continue)
        });
        if let Some(e) = fatal {
            return Err(e);
        }
        if let Err(e) = res {
            let e = Error::bad(format!("7z at 0x{start:x}: {e}"));
            if sink.written() == 0 {
                return Err(e);
            }
            sink.warn(e.to_string());
        }
        Ok(len)
    }
}

fn add(sink: &mut Sink, e: &sevenz_rust2::ArchiveEntry, r: &mut dyn Read) -> Result<(), Error> {
    let attrs = e.windows_attributes();
    let unix = (attrs & UNIX_EXTENSION != 0).then_some(attrs >> 16);
    let perm = unix.map_or(if e.is_directory() { 0o755 } else { 0o644 }, |m| m & 0o7777);
    if e.is_anti_item() {
        return Ok(());
    }
    if e.is_directory() {
        return sink.dir(e.name(), perm);
    }
    match unix.map(|m| m & 0o170000) {
        Some(0o120000) => {
            if e.size() > MAX_LINK {
                return Err(Error::bad("symlink target too long"));
            }
            let mut t = Vec::new();
            r.take(MAX_LINK)
                .read_to_end(&mut t)
                .map_err(|err| Error::bad(err.to_string()))?;
            sink.symlink(e.name(), &String::from_utf8_lossy(&t))
        }
        Some(0o020000) => sink.special(e.name(), EntryKind::Chardev, perm, None),
        Some(0o060000) => sink.special(e.name(), EntryKind::Blockdev, perm, None),
        Some(0o010000) => sink.special(e.name(), EntryKind::Fifo, perm, None),
        _ => sink.file(e.name(), perm, r).map(|_| ()),
    }
}
