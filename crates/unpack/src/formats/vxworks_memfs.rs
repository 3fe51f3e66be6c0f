//! Wind River MemFS as TP-Link VxWorks firmware stores its web pages (the "owowowow"
//! file system): a flat list of named files, no directories, all big-endian.
//!
//! ```text
//! 0x00  "owow" x 8                  32-byte magic
//! 0x20  u32 version                  1
//! 0x24  u32 file count
//! 0x28  u32 largest file size        uncompressed, rounded up to 4: the reader's buffer
//! 0x2c  count x 48-byte entries:     name[40] (NUL-padded), u32 size, u32 offset
//! ```
//!
//! Offsets count from the magic; data follows the table, each file 4-byte aligned.
//! TP-Link stores every file as an LZMA-alone stream: such a file is written
//! decompressed (under its own name), anything else as stored.

use crate::codec::{Codec, block, lzma_props, reader};
use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{cstr, u32_at, u64_at};
use crate::{Error, Sink};

pub struct VxworksMemfs;

pub const MAGIC: &[u8; 32] = b"owowowowowowowowowowowowowowowow";
pub const HEADER_LEN: usize = 0x2c;
pub const ENTRY_LEN: usize = 48;
const NAME_LEN: usize = 40;
/// More entries than any firmware has; the table must also fit in the input.
const MAX_FILES: u32 = 100_000;
/// Files whose stated size is below this are decompressed in memory, so that a
/// stream that fails can still be written as stored; larger ones are streamed.
const IN_MEMORY: u64 = 16 << 20;

/// One entry of the file table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    /// Bytes stored (compressed, when the file is an LZMA stream).
    pub size: u32,
    /// From the start of the file system.
    pub offset: u32,
}

/// The header and file table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    /// The largest uncompressed file, rounded up to 4 bytes.
    pub max_file: u32,
    pub entries: Vec<Entry>,
    /// End of the furthest file, from the start: the file system's length.
    pub len: u64,
}

/// Parses the header and table at the start of `d`; `None` unless the magic and
/// version match and the whole table is present. Entries pointing outside the
/// input are kept: extraction reports them one by one.
pub fn parse(d: &[u8]) -> Option<Header> {
    if !d.starts_with(MAGIC) {
        return None;
    }
    let version = u32_at(d, 0x20, true)?;
    let count = u32_at(d, 0x24, true)?;
    let max_file = u32_at(d, 0x28, true)?;
    if version != 1 || count == 0 || count > MAX_FILES {
        return None;
    }
    let table_end = HEADER_LEN.checked_add((count as usize).checked_mul(ENTRY_LEN)?)?;
    let table = d.get(HEADER_LEN..table_end)?;
    let mut entries = Vec::with_capacity(count as usize);
    let mut len = table_end as u64;
    for e in table.chunks_exact(ENTRY_LEN) {
        let size = u32_at(e, NAME_LEN, true)?;
        let offset = u32_at(e, NAME_LEN + 4, true)?;
        len = len.max(offset as u64 + size as u64);
        entries.push(Entry {
            name: cstr(&e[..NAME_LEN]),
            size,
            offset,
        });
    }
    // Data starts right after the table in every image the format's writer makes;
    // demanding it keeps a stray magic from passing for a file system.
    let lowest = entries.iter().map(|e| e.offset as usize).min()?;
    if lowest < table_end || lowest > table_end + 16 {
        return None;
    }
    Some(Header {
        version,
        max_file,
        entries,
        len,
    })
}

/// The uncompressed size an LZMA-alone stream states, when `d` starts like one
/// whose output fits `limit`.
fn lzma_size(d: &[u8], limit: u64) -> Option<u64> {
    lzma_props(*d.first()?)?;
    let dict = u32_at(d, 1, false)?;
    let size = u64_at(d, 5, false)?;
    (dict <= 1 << 30 && size <= limit).then_some(size)
}

impl Format for VxworksMemfs {
    fn name(&self) -> &'static str {
        "vxworks_memfs"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let h = parse(d)?;
        let avail = d.len() as u64;
        let lzma = h
            .entries
            .first()
            .and_then(|e| d.get(e.offset as usize..))
            .and_then(|b| lzma_size(b, u64::MAX))
            .is_some();
        Some(Probe::extract(
            Some(h.len.min(avail)),
            Confidence::Strong,
            format!(
                "Wind River MemFS (TP-Link VxWorks) v{}, {} files, largest {} bytes{}, {} bytes{}",
                h.version,
                h.entries.len(),
                h.max_file,
                if lzma { ", LZMA-compressed files" } else { "" },
                h.len,
                if h.len > avail {
                    format!(" (truncated: {avail} present)")
                } else {
                    String::new()
                },
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
        let d = data.get(start..).unwrap_or(&[]);
        let h = parse(d).ok_or_else(|| {
            Error::bad(format!(
                "vxworks_memfs at 0x{start:x}: header or table invalid"
            ))
        })?;
        let limit = sink.limits().max_file_bytes;
        let mut missing = 0usize;
        for (i, e) in h.entries.iter().enumerate() {
            let name = if e.name.trim_matches('/').is_empty() {
                format!("entry-{i}")
            } else {
                e.name.clone()
            };
            let from = e.offset as usize;
            let to = from.saturating_add(e.size as usize);
            let Some(stored) = d.get(from..to.min(d.len())) else {
                sink.warn(format!(
                    "vxworks_memfs at 0x{start:x}: {name:?} at 0x{from:x} lies past the end of the input"
                ));
                missing += 1;
                continue;
            };
            if to > d.len() {
                sink.warn(format!(
                    "vxworks_memfs at 0x{start:x}: {name:?} truncated ({} of {} bytes present)",
                    stored.len(),
                    e.size
                ));
                missing += 1;
            }
            write_entry(sink, &name, stored, limit, start + from)?;
        }
        if missing > 0 {
            return Err(Error::bad(format!(
                "vxworks_memfs at 0x{start:x}: {missing} of {} files incomplete (input truncated)",
                h.entries.len()
            )));
        }
        Ok(h.len)
    }
}

/// Writes one file: decompressed when it is an LZMA stream that decodes to exactly
/// its stated size, as stored otherwise. Quota errors end the extraction; a bad
/// entry is a warning and the rest go on.
fn write_entry(
    sink: &mut Sink,
    name: &str,
    stored: &[u8],
    limit: u64,
    at: usize,
) -> Result<(), Error> {
    let res = match lzma_size(stored, limit) {
        Some(size) if size <= IN_MEMORY => match block(Codec::Lzma, stored, size as usize) {
            Ok(out) if out.len() as u64 == size => sink.file_bytes(name, 0o644, &out),
            _ => {
                sink.warn(format!(
                    "vxworks_memfs: {name:?} at 0x{at:x} looks like LZMA but does not decode; stored as is"
                ));
                sink.file_bytes(name, 0o644, stored)
            }
        },
        Some(size) => match reader(Codec::Lzma, stored) {
            Ok(mut r) => {
                let mut r = std::io::Read::take(&mut r, size);
                sink.file(name, 0o644, &mut r)
            }
            Err(_) => sink.file_bytes(name, 0o644, stored),
        },
        None => sink.file_bytes(name, 0o644, stored),
    };
    match res {
        Ok(_) => Ok(()),
        Err(e @ Error::Quota(_)) => Err(e),
        Err(e) => {
            sink.warn(format!("vxworks_memfs: {name:?} at 0x{at:x}: {e}"));
            Ok(())
        }
    }
}
