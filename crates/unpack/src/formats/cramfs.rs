//! cramfs: the compressed read-only file system of older embedded Linux, either
//! byte order (the creator's), zlib-compressed 4 KiB blocks.
//!
//! Layout: a 76-byte superblock (magic, size, flags, "Compressed ROMFS", a CRC over
//! the whole image, the root inode), then 12-byte inodes with packed bit fields
//! whose packing follows the byte order, names in 4-byte units, and per-file block
//! pointer tables that hold the end offset of each compressed block.

use std::collections::HashSet;

use super::{cstr, u32_at};
use crate::codec::{self, Codec};
use crate::format::{Confidence, Format, Magic, Probe};
use crate::report::EntryKind;
use crate::{Error, Sink};

pub struct Cramfs;

const SIGNATURE: &[u8] = b"Compressed ROMFS";
const SUPER_LEN: usize = 76;
/// Block sizes `mkcramfs -b` can produce (the creator's page size); 4 KiB almost always.
const BLOCK_SIZES: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// `mkcramfs -p` leaves this much room for boot code before the superblock.
const BOOT_PAD: usize = 512;
const FLAG_FSID_V2: u32 = 0x1;
const FLAG_HOLES: u32 = 0x100;
const FLAG_EXT_BLOCK_POINTERS: u32 = 0x800;
const SUPPORTED_FLAGS: u32 = 0xff | 0x100 | 0x200 | 0x400 | 0x800;
const BLK_UNCOMPRESSED: u32 = 1 << 31;
const BLK_DIRECT: u32 = 1 << 30;
const BLK_FLAGS: u32 = BLK_UNCOMPRESSED | BLK_DIRECT;
const MAX_DEPTH: usize = 256;

#[derive(Clone, Copy)]
struct Inode {
    mode: u32,
    size: u32,
    name_len: usize,
    offset: usize,
}

fn inode(d: &[u8], off: usize, be: bool) -> Option<Inode> {
    let w0 = u32_at(d, off, be)?;
    let w1 = u32_at(d, off + 4, be)?;
    let w2 = u32_at(d, off + 8, be)?;
    // GCC packs bit fields from the low bits on little-endian targets and from the
    // high bits on big-endian ones, so the layout mirrors with the byte order.
    Some(if be {
        Inode {
            mode: w0 >> 16,
            size: w1 >> 8,
            name_len: ((w2 >> 26) as usize) * 4,
            offset: ((w2 & 0x03ff_ffff) as usize) * 4,
        }
    } else {
        Inode {
            mode: w0 & 0xffff,
            size: w1 & 0x00ff_ffff,
            name_len: ((w2 & 0x3f) as usize) * 4,
            offset: ((w2 >> 6) as usize) * 4,
        }
    })
}

struct Superblock {
    be: bool,
    size: u32,
    flags: u32,
    crc: u32,
    edition: u32,
    blocks: u32,
    files: u32,
    name: String,
    root: Inode,
}

fn superblock(d: &[u8]) -> Option<Superblock> {
    let be = match d.get(..4)? {
        [0x45, 0x3d, 0xcd, 0x28] => false,
        [0x28, 0xcd, 0x3d, 0x45] => true,
        _ => return None,
    };
    if d.get(16..32)? != SIGNATURE {
        return None;
    }
    let size = u32_at(d, 4, be)?;
    let flags = u32_at(d, 8, be)?;
    if flags & !SUPPORTED_FLAGS != 0 || (size as usize) < SUPER_LEN {
        return None;
    }
    let root = inode(d, 64, be)?;
    if root.mode & 0o170000 != 0o040000 {
        return None;
    }
    Some(Superblock {
        be,
        size,
        flags,
        crc: u32_at(d, 32, be)?,
        edition: u32_at(d, 36, be)?,
        blocks: u32_at(d, 40, be)?,
        files: u32_at(d, 44, be)?,
        name: cstr(d.get(48..64)?),
        root,
    })
}

/// CRC32 of the image with the CRC field read as zero.
fn image_crc(d: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&d[..32.min(d.len())]);
    h.update(&[0u8; 4]);
    if let Some(rest) = d.get(36..) {
        h.update(rest);
    }
    h.finalize()
}

impl Format for Cramfs {
    fn name(&self) -> &'static str {
        "cramfs"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[
            Magic::at0(&[0x45, 0x3d, 0xcd, 0x28]),
            Magic::at0(&[0x28, 0xcd, 0x3d, 0x45]),
        ];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let (sb, base, note) = locate(data, start)?;
        let image = image_of(data, base, &sb);
        let w = Walker::new(image, &sb);
        Some(Probe::extract(
            Some((base + image.len()).saturating_sub(start) as u64),
            Confidence::Strong,
            format!(
                "cramfs {} {}, zlib, {}-byte blocks, volume {:?}, edition {}, {} blocks, {} files, {} bytes, {note}{}",
                if sb.flags & FLAG_FSID_V2 != 0 {
                    "v2"
                } else {
                    "v1"
                },
                if sb.be { "BE" } else { "LE" },
                w.page,
                sb.name,
                sb.edition,
                sb.blocks,
                sb.files,
                sb.size,
                if base < start {
                    ", after a 512-byte boot pad"
                } else {
                    ""
                }
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
        let (sb, base, _) = locate(data, start)
            .ok_or_else(|| Error::bad(format!("cramfs: superblock at 0x{start:x} invalid")))?;
        let image = image_of(data, base, &sb);
        let mut w = Walker::new(image, &sb);
        w.dir(sink, sb.root, "", 0)?;
        Ok((base + image.len()).saturating_sub(start) as u64)
    }
}

/// Finds where the image the superblock at `start` describes begins: at the
/// superblock, or 512 bytes before it when `mkcramfs -p` left room for boot code
/// (offsets and the size then count from the pad). The CRC, over the bytes from the
/// superblock to the end, decides between the two; without one, the root offset does.
fn locate(data: &[u8], start: usize) -> Option<(Superblock, usize, &'static str)> {
    let sb = superblock(data.get(start..)?)?;
    let size = sb.size as usize;
    let mut bases = vec![start];
    if start >= BOOT_PAD && size > BOOT_PAD + SUPER_LEN {
        bases.push(start - BOOT_PAD);
    }
    if sb.flags & FLAG_FSID_V2 != 0 {
        let mut truncated = false;
        for &base in &bases {
            match data.get(start..base + size) {
                Some(region) if image_crc(region) == sb.crc => return Some((sb, base, "CRC ok")),
                Some(_) => {}
                None => truncated = true,
            }
        }
        // A version-2 image whose CRC fails is corrupt or not cramfs at all.
        if !truncated {
            return None;
        }
    }
    let padded = bases.len() > 1 && sb.root.offset >= BOOT_PAD + SUPER_LEN;
    let base = if padded { start - BOOT_PAD } else { start };
    let note = if sb.flags & FLAG_FSID_V2 == 0 {
        "no CRC"
    } else {
        "truncated, CRC not checked"
    };
    Some((sb, base, note))
}

fn image_of<'a>(data: &'a [u8], base: usize, sb: &Superblock) -> &'a [u8] {
    let end = base.saturating_add(sb.size as usize).min(data.len());
    data.get(base..end).unwrap_or(&[])
}

struct Walker<'a> {
    d: &'a [u8],
    be: bool,
    flags: u32,
    page: usize,
    /// Directory contents already walked: a second visit means a loop.
    seen: HashSet<usize>,
}

impl<'a> Walker<'a> {
    fn new(d: &'a [u8], sb: &Superblock) -> Self {
        let mut w = Walker {
            d,
            be: sb.be,
            flags: sb.flags,
            page: BLOCK_SIZES[0],
            seen: HashSet::new(),
        };
        w.page = w.detect_block_size(sb.root);
        w
    }

    /// The block size is not recorded: take the smallest one under which the block
    /// tables of a sample of multi-block files are ordered, in range, and followed by
    /// a zlib stream.
    fn detect_block_size(&self, root: Inode) -> usize {
        if self.flags & FLAG_EXT_BLOCK_POINTERS != 0 {
            return BLOCK_SIZES[0];
        }
        let mut sample = Vec::new();
        let mut dirs = vec![root];
        let mut seen = HashSet::new();
        let mut visited = 0;
        while let Some(dir) = dirs.pop() {
            if !seen.insert(dir.offset) {
                continue;
            }
            let end = dir
                .offset
                .saturating_add(dir.size as usize)
                .min(self.d.len());
            let mut off = dir.offset;
            while off < end && visited < 10_000 && sample.len() < 32 {
                let Some(child) = inode(self.d, off, self.be) else {
                    break;
                };
                visited += 1;
                off += 12 + child.name_len.max(4);
                match child.mode & 0o170000 {
                    0o040000 => dirs.push(child),
                    0o100000 if child.size as usize > BLOCK_SIZES[0] => sample.push(child),
                    _ => {}
                }
            }
        }
        BLOCK_SIZES
            .into_iter()
            .find(|&b| sample.iter().all(|f| self.table_fits(*f, b)))
            .unwrap_or(BLOCK_SIZES[0])
    }

    fn table_fits(&self, f: Inode, block: usize) -> bool {
        let n = (f.size as usize).div_ceil(block);
        let Some(mut prev) = f.offset.checked_add(n * 4) else {
            return false;
        };
        let first_data = prev;
        for i in 0..n {
            match u32_at(self.d, f.offset + i * 4, self.be) {
                Some(p) if p as usize >= prev && p as usize <= self.d.len() => prev = p as usize,
                _ => return false,
            }
        }
        // Unless the first block is a hole, a zlib header follows the table.
        u32_at(self.d, f.offset, self.be) == Some(first_data as u32)
            || self.d.get(first_data) == Some(&0x78)
    }

    fn dir(&mut self, sink: &mut Sink, ino: Inode, path: &str, depth: usize) -> Result<(), Error> {
        if ino.size == 0 {
            return Ok(());
        }
        if depth > MAX_DEPTH {
            return Err(Error::bad(format!(
                "cramfs: directories nested deeper than {MAX_DEPTH} at 0x{:x}",
                ino.offset
            )));
        }
        if !self.seen.insert(ino.offset) {
            sink.warn(format!(
                "cramfs: directory {path:?} at 0x{:x} was already visited (a loop)",
                ino.offset
            ));
            return Ok(());
        }
        let end = ino.offset.saturating_add(ino.size as usize);
        let mut off = ino.offset;
        while off < end {
            let Some(child) = inode(self.d, off, self.be) else {
                sink.warn(format!("cramfs: inode at 0x{off:x} runs past the end"));
                break;
            };
            let name_off = off + 12;
            let Some(raw) = self.d.get(name_off..name_off + child.name_len) else {
                sink.warn(format!("cramfs: name at 0x{name_off:x} runs past the end"));
                break;
            };
            off = name_off + child.name_len;
            if child.name_len == 0 {
                sink.warn(format!("cramfs: empty name at 0x{name_off:x}"));
                break;
            }
            let name = cstr(raw);
            if name.is_empty() || name == "." || name == ".." || name.contains('/') {
                sink.warn(format!("cramfs: unusable name {name:?} at 0x{name_off:x}"));
                continue;
            }
            let child_path = format!("{path}/{name}");
            match self.entry(sink, child, &child_path, depth) {
                Ok(()) => {}
                Err(e @ (Error::Quota(_) | Error::Io { .. })) => return Err(e),
                Err(e) => sink.warn(format!("{child_path}: {e}")),
            }
        }
        Ok(())
    }

    fn entry(
        &mut self,
        sink: &mut Sink,
        ino: Inode,
        path: &str,
        depth: usize,
    ) -> Result<(), Error> {
        match ino.mode & 0o170000 {
            0o040000 => {
                sink.dir(path, ino.mode)?;
                self.dir(sink, ino, path, depth + 1)
            }
            0o100000 => {
                let body = self.contents(ino)?;
                sink.file_bytes(path, ino.mode, &body).map(|_| ())
            }
            0o120000 => {
                let body = self.contents(ino)?;
                sink.symlink(path, &String::from_utf8_lossy(&body))
            }
            0o020000 | 0o060000 => {
                let kind = if ino.mode & 0o170000 == 0o020000 {
                    EntryKind::Chardev
                } else {
                    EntryKind::Blockdev
                };
                // The size field holds the old 16-bit device number.
                let rdev = ((ino.size >> 8) & 0xff, ino.size & 0xff);
                sink.special(path, kind, ino.mode, Some(rdev))
            }
            0o010000 => sink.special(path, EntryKind::Fifo, ino.mode, None),
            0o140000 => sink.special(path, EntryKind::Socket, ino.mode, None),
            m => Err(Error::bad(format!(
                "cramfs: unknown file type 0o{m:o} of inode data at 0x{:x}",
                ino.offset
            ))),
        }
    }

    /// Decompresses the blocks of a file or symlink (at most 16 MiB: a 24-bit size).
    fn contents(&self, ino: Inode) -> Result<Vec<u8>, Error> {
        let size = ino.size as usize;
        let nblocks = size.div_ceil(self.page);
        if size == 0 {
            return Ok(Vec::new());
        }
        let table = ino.offset;
        let bad = |what: String| Error::bad(format!("cramfs: {what}"));
        if table.saturating_add(nblocks * 4) > self.d.len() {
            return Err(bad(format!(
                "block table of {nblocks} entries at 0x{table:x} runs past the end"
            )));
        }
        let ext = self.flags & FLAG_EXT_BLOCK_POINTERS != 0;
        let mut out = Vec::with_capacity(size);
        let mut prev_end = table + nblocks * 4;
        for i in 0..nblocks {
            let want = (size - out.len()).min(self.page);
            let ptr = u32_at(self.d, table + i * 4, self.be).unwrap_or(0);
            let (flags, value) = if ext {
                (ptr & BLK_FLAGS, ptr & !BLK_FLAGS)
            } else {
                (0, ptr)
            };
            let (start, end) = if flags & BLK_DIRECT != 0 {
                let s = (value as usize) << 2;
                if flags & BLK_UNCOMPRESSED != 0 {
                    (s, s + want)
                } else {
                    let len = self
                        .d
                        .get(s..s + 2)
                        .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
                        .ok_or_else(|| bad(format!("block length at 0x{s:x} past the end")))?;
                    (s + 2, s + 2 + len)
                }
            } else {
                (prev_end, value as usize)
            };
            prev_end = end;
            if start == end && (self.flags & FLAG_HOLES != 0 || ext) {
                out.resize(out.len() + want, 0);
                continue;
            }
            let block = self
                .d
                .get(start..end)
                .ok_or_else(|| bad(format!("block {i} at 0x{start:x}..0x{end:x} out of range")))?;
            if flags & BLK_UNCOMPRESSED != 0 {
                out.extend_from_slice(block.get(..want).unwrap_or(block));
            } else {
                let b = codec::block(Codec::Zlib, block, self.page)
                    .map_err(|e| bad(format!("block {i} at 0x{start:x}: {e}")))?;
                out.extend_from_slice(b.get(..want).unwrap_or(&b));
            }
        }
        if out.len() != size {
            return Err(bad(format!(
                "data at 0x{table:x} decompressed to {} of {size} bytes",
                out.len()
            )));
        }
        Ok(out)
    }
}
