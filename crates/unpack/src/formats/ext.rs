//! ext2, ext3 and ext4, read with the pure-Rust `ext4-view` crate.
//!
//! The probe validates the superblock (magic 0xEF53 at byte 1080) itself so that
//! the description can name the generation, block size and counts; the walk goes
//! through `ext4-view`, which checks metadata checksums and replays the journal.

use std::io::Read;

use ext4_view::{Ext4, Metadata, PathBuf as ExtPath};

use super::{cstr, u16_at, u32_at};
use crate::format::{Confidence, Format, Magic, Probe};
use crate::report::EntryKind;
use crate::{Error, Sink};

pub struct Ext;

const SB: usize = 1024;
const MAGIC: u16 = 0xef53;
const MAX_DEPTH: usize = 128;
const COMPAT_HAS_JOURNAL: u32 = 0x4;
const INCOMPAT_EXTENTS: u32 = 0x40;
const INCOMPAT_64BIT: u32 = 0x80;
const INCOMPAT_FLEX_BG: u32 = 0x200;

struct Superblock {
    inodes: u32,
    blocks: u64,
    block_size: u64,
    generation: &'static str,
    label: String,
}

impl Superblock {
    fn len(&self) -> u64 {
        self.blocks.saturating_mul(self.block_size)
    }
}

fn superblock(d: &[u8]) -> Option<Superblock> {
    let s = d.get(SB..SB + 1024)?;
    if u16_at(s, 56, false)? != MAGIC {
        return None;
    }
    let inodes = u32_at(s, 0, false)?;
    let log_block = u32_at(s, 24, false)?;
    let first_data_block = u32_at(s, 20, false)?;
    let blocks_per_group = u32_at(s, 32, false)?;
    let inodes_per_group = u32_at(s, 40, false)?;
    let rev = u32_at(s, 76, false)?;
    if log_block > 6
        || inodes == 0
        || blocks_per_group == 0
        || inodes_per_group == 0
        || rev > 1
        || first_data_block != u32::from(log_block == 0)
    {
        return None;
    }
    let block_size = 1024u64 << log_block;
    let compat = u32_at(s, 92, false)?;
    let incompat = u32_at(s, 96, false)?;
    let mut blocks = u32_at(s, 4, false)? as u64;
    if incompat & INCOMPAT_64BIT != 0 {
        blocks |= (u32_at(s, 0x150, false)? as u64) << 32;
    }
    if blocks == 0 || blocks <= first_data_block as u64 {
        return None;
    }
    let generation = if incompat & (INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_FLEX_BG) != 0 {
        "ext4"
    } else if compat & COMPAT_HAS_JOURNAL != 0 {
        "ext3"
    } else {
        "ext2"
    };
    Some(Superblock {
        inodes,
        blocks,
        block_size,
        generation,
        label: cstr(s.get(120..136)?),
    })
}

impl Format for Ext {
    fn name(&self) -> &'static str {
        "ext"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at(&[0x53, 0xef], SB + 56)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let sb = superblock(d)?;
        let truncated = sb.len() > d.len() as u64;
        Some(Probe::extract(
            Some(sb.len().min(d.len() as u64)),
            Confidence::Strong,
            format!(
                "{} LE, label {:?}, block size {}, {} blocks, {} inodes{}",
                sb.generation,
                sb.label,
                sb.block_size,
                sb.blocks,
                sb.inodes,
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
            .ok_or_else(|| Error::bad(format!("ext: superblock at 0x{start:x} invalid")))?;
        let len = sb.len().min(d.len() as u64) as usize;
        if len as u64 > sink.limits().max_file_bytes {
            return Err(Error::quota(
                crate::QuotaKind::FileBytes,
                sink.limits().max_file_bytes,
                format!("ext file system at 0x{start:x} is {len} bytes, above the per-file limit"),
            ));
        }
        // ext4-view owns its reader, so the file system is copied out of the map.
        let fs = Ext4::load(Box::new(d[..len].to_vec())).map_err(|e| {
            Error::bad(format!(
                "ext: file system at 0x{start:x} does not load: {e}"
            ))
        })?;
        let mut w = Walker {
            fs: &fs,
            // Entries visited: more than the inodes (plus hard links) means a loop.
            budget: (sb.inodes as u64).saturating_mul(4).saturating_add(64),
        };
        w.dir(sink, ExtPath::new("/"), "", 0)?;
        Ok(sb.len().min(d.len() as u64))
    }
}

struct Walker<'a> {
    fs: &'a Ext4,
    budget: u64,
}

fn full_mode(m: &Metadata) -> u32 {
    let t = m.file_type();
    let ty = if t.is_dir() {
        0o040000
    } else if t.is_symlink() {
        0o120000
    } else if t.is_char_dev() {
        0o020000
    } else if t.is_block_dev() {
        0o060000
    } else if t.is_fifo() {
        0o010000
    } else if t.is_socket() {
        0o140000
    } else {
        0o100000
    };
    ty | u32::from(m.mode())
}

impl Walker<'_> {
    fn dir(
        &mut self,
        sink: &mut Sink,
        dir: ExtPath,
        path: &str,
        depth: usize,
    ) -> Result<(), Error> {
        if depth > MAX_DEPTH {
            sink.warn(format!(
                "ext: {path:?} nests deeper than {MAX_DEPTH}; skipped"
            ));
            return Ok(());
        }
        let entries = self
            .fs
            .read_dir(&dir)
            .map_err(|e| Error::bad(format!("ext: reading directory {path:?}: {e}")))?;
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    sink.warn(format!("ext: directory {path:?}: {e}"));
                    break;
                }
            };
            let name = String::from_utf8_lossy(entry.file_name().as_ref()).into_owned();
            if name == "." || name == ".." || name.is_empty() || name.contains('/') {
                continue;
            }
            if self.budget == 0 {
                return Err(Error::bad(format!(
                    "ext: more directory entries than the inode table allows at {path:?} (a loop)"
                )));
            }
            self.budget -= 1;
            let p = format!("{path}/{name}");
            match self.entry(sink, &entry.path(), &p, depth) {
                Ok(()) => {}
                Err(e @ (Error::Quota(_) | Error::Io { .. })) => return Err(e),
                Err(e) => sink.warn(format!("{p}: {e}")),
            }
        }
        Ok(())
    }

    fn entry(
        &mut self,
        sink: &mut Sink,
        ep: &ExtPath,
        path: &str,
        depth: usize,
    ) -> Result<(), Error> {
        let bad = |e: ext4_view::Ext4Error| Error::bad(format!("ext: {e}"));
        let meta = self.fs.symlink_metadata(ep).map_err(bad)?;
        let mode = full_mode(&meta);
        let t = meta.file_type();
        if t.is_dir() {
            sink.dir(path, mode)?;
            self.dir(sink, ep.clone(), path, depth + 1)
        } else if t.is_symlink() {
            let target = self.fs.read_link(ep).map_err(bad)?;
            sink.symlink(path, &String::from_utf8_lossy(target.as_ref()))
        } else if t.is_regular_file() {
            let mut f = self.fs.open(ep).map_err(bad)?;
            sink.file(path, mode, &mut f as &mut dyn Read).map(|_| ())
        } else {
            let kind = if t.is_char_dev() {
                EntryKind::Chardev
            } else if t.is_block_dev() {
                EntryKind::Blockdev
            } else if t.is_fifo() {
                EntryKind::Fifo
            } else {
                EntryKind::Socket
            };
            // ext4-view does not expose device numbers.
            sink.special(path, kind, mode, None)
        }
    }
}
