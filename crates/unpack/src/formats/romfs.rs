//! romfs (`-rom1fs-`): the Linux read-only file system, big endian, 16-byte aligned
//! headers each covered by a checksum.
//!
//! Layout: superblock (magic, full size, checksum of the first 512 bytes, volume
//! name), then file headers `next|type, spec, size, checksum, name` followed by data.
//! A directory's `spec` points at its first entry; entries chain through `next`.

use std::collections::{HashMap, HashSet};

use super::{cstr, u32_at};
use crate::format::{Confidence, Format, Magic, Probe};
use crate::report::EntryKind;
use crate::{Error, Sink};

pub struct Romfs;

const MAGIC: &[u8] = b"-rom1fs-";
/// Deepest directory nesting followed; deeper is a crafted loop or bomb.
const MAX_DEPTH: usize = 256;

/// Sum of big-endian words over `d` (romfs checksums make this zero).
fn checksum(d: &[u8]) -> u32 {
    d.chunks(4).fold(0u32, |acc, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        acc.wrapping_add(u32::from_be_bytes(w))
    })
}

/// Length of a NUL-terminated name padded to 16 bytes, starting at `off`.
fn padded_name_len(d: &[u8], off: usize) -> Option<usize> {
    let rest = d.get(off..)?;
    let nul = memchr::memchr(0, rest)?;
    Some((nul + 1).div_ceil(16) * 16)
}

struct Superblock {
    size: u32,
    name: String,
    first: usize,
}

fn superblock(d: &[u8]) -> Option<Superblock> {
    if d.get(..8)? != MAGIC {
        return None;
    }
    let size = u32_at(d, 8, true)?;
    if size < 32 {
        return None;
    }
    let sum_len = (size as usize).min(512);
    if checksum(d.get(..sum_len)?) != 0 {
        return None;
    }
    let name_len = padded_name_len(d, 16)?;
    if name_len > 256 {
        return None;
    }
    let name = cstr(d.get(16..16 + name_len)?);
    Some(Superblock {
        size,
        name,
        first: 16 + name_len,
    })
}

/// One file header.
struct Header {
    off: usize,
    next: usize,
    kind: u32,
    exec: bool,
    spec: u32,
    size: u32,
    name: String,
    data: usize,
}

fn header(d: &[u8], off: usize) -> Result<Header, Error> {
    let bad = |what: &str| Error::bad(format!("romfs: {what} at offset 0x{off:x}"));
    if !off.is_multiple_of(16) || off < 32 {
        return Err(bad("misaligned file header"));
    }
    let next = u32_at(d, off, true).ok_or_else(|| bad("file header past the end"))?;
    let spec = u32_at(d, off + 4, true).ok_or_else(|| bad("file header past the end"))?;
    let size = u32_at(d, off + 8, true).ok_or_else(|| bad("file header past the end"))?;
    let name_len = padded_name_len(d, off + 16).ok_or_else(|| bad("unterminated name"))?;
    if name_len > 4096 {
        return Err(bad("name longer than 4096 bytes"));
    }
    let meta = d
        .get(off..off + 16 + name_len)
        .ok_or_else(|| bad("name past the end"))?;
    if checksum(meta) != 0 {
        return Err(bad("file header checksum mismatch"));
    }
    Ok(Header {
        off,
        next: (next & !0xf) as usize,
        kind: next & 7,
        exec: next & 8 != 0,
        spec,
        size,
        name: cstr(&meta[16..]),
        data: off + 16 + name_len,
    })
}

impl Format for Romfs {
    fn name(&self) -> &'static str {
        "romfs"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let sb = superblock(d)?;
        // The first header (the root's ".") must itself be valid.
        let first = header(d, sb.first).ok()?;
        if first.kind != 1 && first.kind != 0 {
            return None;
        }
        let truncated = sb.size as usize > d.len();
        Some(Probe::extract(
            Some((sb.size as u64).min(d.len() as u64)),
            Confidence::Strong,
            format!(
                "romfs BE, volume {:?}, {} bytes{}",
                sb.name,
                sb.size,
                if truncated { " (truncated)" } else { "" }
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
        let sb = superblock(d)
            .ok_or_else(|| Error::bad(format!("romfs: superblock at 0x{start:x} invalid")))?;
        let d = &d[..(sb.size as usize).min(d.len())];
        let mut w = Walker {
            d,
            seen: HashSet::new(),
            files: HashMap::new(),
        };
        w.dir(sink, sb.first, "", 0)?;
        Ok(sb.size as u64)
    }
}

struct Walker<'a> {
    d: &'a [u8],
    /// Headers already visited: a second visit means a loop.
    seen: HashSet<usize>,
    /// Header offset -> path written, for hard links.
    files: HashMap<usize, String>,
}

impl Walker<'_> {
    /// Extracts the chain of entries starting at `first` into `dir`.
    fn dir(&mut self, sink: &mut Sink, first: usize, dir: &str, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            return Err(Error::bad(format!(
                "romfs: directories nested deeper than {MAX_DEPTH} at 0x{first:x}"
            )));
        }
        let mut off = first;
        while off != 0 {
            if !self.seen.insert(off) {
                sink.warn(format!("romfs: entry chain loops back to 0x{off:x}"));
                break;
            }
            let h = match header(self.d, off) {
                Ok(h) => h,
                Err(e) => {
                    sink.warn(e.to_string());
                    break;
                }
            };
            off = h.next;
            if h.name.is_empty() || h.name == "." || h.name == ".." || h.name.contains('/') {
                continue;
            }
            let path = format!("{dir}/{}", h.name);
            match self.entry(sink, &h, &path, depth) {
                Ok(()) => {}
                Err(e @ (Error::Quota(_) | Error::Io { .. })) => return Err(e),
                Err(e) => sink.warn(format!("{path}: {e}")),
            }
        }
        Ok(())
    }

    fn data_of(&self, h: &Header) -> Result<&[u8], Error> {
        let end = h.data.checked_add(h.size as usize);
        end.and_then(|e| self.d.get(h.data..e)).ok_or_else(|| {
            Error::bad(format!(
                "romfs: data of {} bytes at 0x{:x} runs past the end of the image",
                h.size, h.data
            ))
        })
    }

    fn entry(
        &mut self,
        sink: &mut Sink,
        h: &Header,
        path: &str,
        depth: usize,
    ) -> Result<(), Error> {
        let perm = if h.exec { 0o755 } else { 0o644 };
        match h.kind {
            0 => {
                // Hard link: `spec` is the header of the linked entry.
                let target = h.spec as usize & !0xf;
                if let Some(t) = self.files.get(&target).cloned() {
                    return sink.hardlink(path, &t);
                }
                let th = header(self.d, target)?;
                if th.kind != 2 {
                    return Err(Error::bad(format!(
                        "romfs: hard link at 0x{:x} to a non-file at 0x{target:x}",
                        h.off
                    )));
                }
                let body = self.data_of(&th)?;
                sink.file_bytes(path, 0o100000 | perm, body)?;
                Ok(())
            }
            1 => {
                sink.dir(path, 0o40755)?;
                self.dir(sink, h.spec as usize & !0xf, path, depth + 1)
            }
            2 => {
                let body = self.data_of(h)?;
                sink.file_bytes(path, 0o100000 | perm, body)?;
                self.files.insert(h.off, path.to_string());
                Ok(())
            }
            3 => {
                let target = String::from_utf8_lossy(self.data_of(h)?).into_owned();
                sink.symlink(path, target.trim_end_matches('\0'))
            }
            4 | 5 => {
                let rdev = (h.spec >> 16, h.spec & 0xffff);
                let (kind, ty) = if h.kind == 4 {
                    (EntryKind::Blockdev, 0o60000)
                } else {
                    (EntryKind::Chardev, 0o20000)
                };
                sink.special(path, kind, ty | 0o644, Some(rdev))
            }
            6 => sink.special(path, EntryKind::Socket, 0o140644, None),
            _ => sink.special(path, EntryKind::Fifo, 0o10644, None),
        }
    }
}
