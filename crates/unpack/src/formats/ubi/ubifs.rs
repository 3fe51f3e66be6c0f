//! UBIFS: the file system that runs on UBI volumes. All fields little endian.
//!
//! Every node starts with a 24-byte common header (magic 0x06101831, CRC, sequence
//! number, length, type). The superblock (LEB 0) gives the LEB size; the newest
//! master node (LEB 1) points at the root of the index B-tree, whose leaves are the
//! inode, directory-entry and data nodes of the committed file system.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use super::super::{u16_at, u32_at, u64_at};
use crate::codec::{self, Codec};
use crate::report::EntryKind;
use crate::{Error, Sink};

pub const NODE_MAGIC: [u8; 4] = [0x31, 0x18, 0x10, 0x06];
const HDR: usize = 24;
const T_INO: u8 = 0;
const T_DATA: u8 = 1;
const T_DENT: u8 = 2;
const T_TRUN: u8 = 4;
const T_SB: u8 = 6;
const T_MST: u8 = 7;
const T_REF: u8 = 8;
const T_IDX: u8 = 9;
const T_CS: u8 = 10;
/// The log's first LEB (after the superblock and the two master LEBs).
const LOG_LNUM: u32 = 3;
const KEY_INO: u32 = 0;
const KEY_DATA: u32 = 1;
const KEY_DENT: u32 = 2;
const BLOCK: usize = 4096;
const ROOT_INO: u64 = 1;
const MAX_LEVELS: usize = 64;
const MAX_DEPTH: usize = 256;
const FLG_AUTHENTICATION: u32 = 0x40;

/// Where a UBIFS image's logical erase blocks live: a flat image or a UBI volume.
pub trait Lebs {
    fn leb(&self, lnum: u32) -> Option<&[u8]>;
}

/// A flat UBIFS image: LEB `n` is `leb_size` bytes at `n * leb_size`.
pub struct Flat<'a> {
    pub data: &'a [u8],
    pub leb_size: usize,
}

impl Lebs for Flat<'_> {
    fn leb(&self, lnum: u32) -> Option<&[u8]> {
        let s = (lnum as usize).checked_mul(self.leb_size)?;
        let e = s.checked_add(self.leb_size)?.min(self.data.len());
        self.data.get(s..e)
    }
}

/// The UBIFS CRC: CRC-32 seeded with all ones and not inverted at the end.
pub fn crc(d: &[u8]) -> u32 {
    !crc32fast::hash(d)
}

/// A node whose magic and CRC hold: (type, sequence number, node bytes).
pub fn node(leb: &[u8], offs: usize) -> Option<(u8, u64, &[u8])> {
    let h = leb.get(offs..offs.checked_add(HDR)?)?;
    if h[..4] != NODE_MAGIC {
        return None;
    }
    let len = u32_at(h, 16, false)? as usize;
    if len < HDR {
        return None;
    }
    let n = leb.get(offs..offs.checked_add(len)?)?;
    if u32_at(n, 4, false)? != crc(&n[8..]) {
        return None;
    }
    Some((n[20], u64_at(n, 8, false)?, n))
}

#[derive(Debug, Clone)]
pub struct Superblock {
    pub leb_size: u32,
    pub leb_cnt: u32,
    pub min_io: u32,
    pub fmt_version: u32,
    pub default_compr: u16,
    pub flags: u32,
    pub log_lebs: u32,
}

/// Parses the superblock node at the start of LEB 0.
pub fn superblock(leb0: &[u8]) -> Option<Superblock> {
    let (ty, _, n) = node(leb0, 0)?;
    if ty != T_SB || n.len() < 88 {
        return None;
    }
    let sb = Superblock {
        flags: u32_at(n, 28, false)?,
        min_io: u32_at(n, 32, false)?,
        leb_size: u32_at(n, 36, false)?,
        leb_cnt: u32_at(n, 40, false)?,
        fmt_version: u32_at(n, 80, false)?,
        default_compr: u16_at(n, 84, false)?,
        log_lebs: u32_at(n, 56, false)?,
    };
    let ok = sb.leb_size >= 15 * 1024
        && sb.leb_size <= 16 << 20
        && sb.min_io > 0
        && sb.min_io <= sb.leb_size
        && sb.leb_cnt >= 4
        && (1..=5).contains(&sb.fmt_version);
    ok.then_some(sb)
}

pub fn compr_name(c: u16) -> &'static str {
    match c {
        0 => "none",
        1 => "lzo",
        2 => "zlib",
        3 => "zstd",
        _ => "unknown",
    }
}

pub fn describe(sb: &Superblock) -> String {
    format!(
        "ubifs format {}, LEB {} bytes x {}, min I/O {}, default compressor {}",
        sb.fmt_version,
        sb.leb_size,
        sb.leb_cnt,
        sb.min_io,
        compr_name(sb.default_compr)
    )
}

#[derive(Clone, Copy)]
struct Loc {
    lnum: u32,
    offs: u32,
    len: u32,
}

struct Inode {
    size: u64,
    mode: u32,
    nlink: u32,
    /// Symlink target or device number, inline in the inode node.
    data: Vec<u8>,
}

#[derive(Default)]
struct Index {
    inodes: HashMap<u64, Inode>,
    /// Directory inode -> name -> target inode (sorted, and replaced in O(log n)).
    dents: HashMap<u64, BTreeMap<String, u64>>,
    data: HashMap<u64, BTreeMap<u32, Loc>>,
    nodes: usize,
}

fn key(n: &[u8]) -> Option<(u64, u32, u32)> {
    let inum = u32_at(n, 24, false)? as u64;
    let k = u32_at(n, 28, false)?;
    Some((inum, k >> 29, k & 0x1fff_ffff))
}

/// Extracts the UBIFS tree stored in `lebs` into `sink` below `prefix`.
pub fn extract(lebs: &dyn Lebs, prefix: &str, sink: &mut Sink) -> Result<(), Error> {
    let leb0 = lebs
        .leb(0)
        .ok_or_else(|| Error::bad("ubifs: LEB 0 missing"))?;
    let sb = superblock(leb0).ok_or_else(|| Error::bad("ubifs: superblock node invalid"))?;
    if sb.flags & FLG_AUTHENTICATION != 0 {
        return Err(Error::bad(
            "ubifs: authenticated file systems (hashed index branches) are not supported",
        ));
    }
    // The newest valid master node in LEB 1 (LEB 2 holds a copy).
    let mut master: Option<(u64, Loc, u32)> = None;
    for lnum in [1u32, 2] {
        let Some(leb) = lebs.leb(lnum) else { continue };
        let mut offs = 0usize;
        while offs + HDR <= leb.len() {
            match node(leb, offs) {
                Some((T_MST, sq, n)) if n.len() >= 60 => {
                    let root = Loc {
                        lnum: u32_at(n, 48, false).unwrap_or(0),
                        offs: u32_at(n, 52, false).unwrap_or(0),
                        len: u32_at(n, 56, false).unwrap_or(0),
                    };
                    let log_lnum = u32_at(n, 44, false).unwrap_or(LOG_LNUM);
                    if master.as_ref().is_none_or(|m| m.0 < sq) {
                        master = Some((sq, root, log_lnum));
                    }
                    offs += n.len().div_ceil(8) * 8;
                }
                Some((_, _, n)) => offs += n.len().div_ceil(8) * 8,
                None => offs += 8,
            }
        }
    }
    let (_, root, log_lnum) =
        master.ok_or_else(|| Error::bad("ubifs: no valid master node in LEB 1 or 2"))?;
    let mut idx = Index::default();
    let mut seen = HashSet::new();
    walk(lebs, root, 0, &mut idx, &mut seen, sink)?;
    replay(lebs, log_lnum, sb.log_lebs, &mut idx);
    let mut w = Writer {
        lebs,
        idx: &idx,
        dirs: HashSet::new(),
        written: HashMap::new(),
    };
    w.dir(sink, ROOT_INO, prefix, 0)
}

/// Reads the index B-tree from `loc`, collecting leaf locations.
fn walk(
    lebs: &dyn Lebs,
    loc: Loc,
    level: usize,
    idx: &mut Index,
    seen: &mut HashSet<(u32, u32)>,
    sink: &mut Sink,
) -> Result<(), Error> {
    if level > MAX_LEVELS || !seen.insert((loc.lnum, loc.offs)) {
        return Err(Error::bad(format!(
            "ubifs: index loops or nests too deep at LEB {} offset 0x{:x}",
            loc.lnum, loc.offs
        )));
    }
    let bad = |what: &str| {
        Error::bad(format!(
            "ubifs: {what} at LEB {} offset 0x{:x}",
            loc.lnum, loc.offs
        ))
    };
    let leb = lebs
        .leb(loc.lnum)
        .ok_or_else(|| bad("index node in a missing LEB"))?;
    let (ty, _, n) = node(leb, loc.offs as usize).ok_or_else(|| bad("bad index node"))?;
    if n.len() != loc.len as usize {
        return Err(bad("index node length differs from its branch"));
    }
    if ty != T_IDX {
        return Err(bad("index branch does not lead to an index node"));
    }
    let count = u16_at(n, 24, false).unwrap_or(0) as usize;
    let lvl = u16_at(n, 26, false).unwrap_or(0);
    for i in 0..count {
        let b = 28 + i * 20;
        let (Some(lnum), Some(offs), Some(len)) = (
            u32_at(n, b, false),
            u32_at(n, b + 4, false),
            u32_at(n, b + 8, false),
        ) else {
            return Err(bad("index node branches run past its end"));
        };
        let child = Loc { lnum, offs, len };
        if lvl > 0 {
            match walk(lebs, child, level + 1, idx, seen, sink) {
                Ok(()) => {}
                Err(e) => sink.warn(e.to_string()),
            }
        } else {
            leaf(lebs, child, idx, sink);
        }
    }
    Ok(())
}

fn leaf(lebs: &dyn Lebs, loc: Loc, idx: &mut Index, sink: &mut Sink) {
    let found = lebs
        .leb(loc.lnum)
        .and_then(|leb| node(leb, loc.offs as usize))
        .filter(|(_, _, n)| n.len() == loc.len as usize);
    let Some((ty, _, n)) = found else {
        sink.warn(format!(
            "ubifs: bad leaf node at LEB {} offset 0x{:x}",
            loc.lnum, loc.offs
        ));
        return;
    };
    idx.nodes += 1;
    apply(idx, ty, n, loc);
}

/// Applies one leaf node (from the index or, newer, from the journal) to the tree.
fn apply(idx: &mut Index, ty: u8, n: &[u8], loc: Loc) {
    let Some((inum, kty, kval)) = key(n) else {
        return;
    };
    match (ty, kty) {
        (T_INO, KEY_INO) if n.len() >= 160 => {
            let nlink = u32_at(n, 92, false).unwrap_or(0);
            if nlink == 0 {
                // A deleted inode: drop it and its data.
                idx.inodes.remove(&inum);
                idx.data.remove(&inum);
                return;
            }
            let dlen = u32_at(n, 112, false).unwrap_or(0) as usize;
            idx.inodes.insert(
                inum,
                Inode {
                    size: u64_at(n, 48, false).unwrap_or(0),
                    nlink,
                    mode: u32_at(n, 104, false).unwrap_or(0),
                    data: n.get(160..160 + dlen.min(4096)).unwrap_or(&[]).to_vec(),
                },
            );
        }
        (T_DENT, KEY_DENT) if n.len() >= 56 => {
            let nlen = u16_at(n, 50, false).unwrap_or(0) as usize;
            let name = String::from_utf8_lossy(n.get(56..56 + nlen).unwrap_or(&[])).into_owned();
            let target = u64_at(n, 40, false).unwrap_or(0);
            let list = idx.dents.entry(inum).or_default();
            // Target inode 0 is a deletion entry.
            if target == 0 {
                list.remove(&name);
            } else {
                list.insert(name, target);
            }
        }
        (T_DATA, KEY_DATA) => {
            idx.data.entry(inum).or_default().insert(kval, loc);
        }
        (T_TRUN, _) if n.len() >= 56 => {
            let new_size = u64_at(n, 48, false).unwrap_or(0);
            let keep = new_size.div_ceil(BLOCK as u64);
            if let Some(blocks) = idx.data.get_mut(&inum) {
                blocks.retain(|&b, _| u64::from(b) < keep);
            }
            if let Some(i) = idx.inodes.get_mut(&inum) {
                i.size = i.size.min(new_size);
            }
        }
        _ => {}
    }
}

/// Replays the journal: nodes written to the buds the log references since the
/// last commit, which the index does not cover yet, applied in sequence order.
fn replay(lebs: &dyn Lebs, log_lnum: u32, log_lebs: u32, idx: &mut Index) {
    let Some(first) = lebs.leb(log_lnum) else {
        return;
    };
    let Some((T_CS, cs_sqnum, _)) = node(first, 0) else {
        return;
    };
    let log_lebs = log_lebs.clamp(1, 1024);
    let mut buds: Vec<(u32, usize)> = Vec::new();
    for i in 0..log_lebs {
        let lnum = LOG_LNUM + (log_lnum.saturating_sub(LOG_LNUM) + i) % log_lebs;
        let Some(leb) = lebs.leb(lnum) else {
            break;
        };
        let mut fresh = false;
        for_each_node(leb, 0, |_, ty, sq, n| {
            if sq < cs_sqnum {
                return;
            }
            fresh = true;
            if ty == T_REF {
                let lnum = u32_at(n, 24, false).unwrap_or(u32::MAX);
                let offs = u32_at(n, 28, false).unwrap_or(0) as usize;
                if !buds.contains(&(lnum, offs)) {
                    buds.push((lnum, offs));
                }
            }
        });
        // A log LEB with nothing from this commit on ends the log.
        if !fresh {
            break;
        }
    }
    let mut nodes: Vec<(u64, u8, Loc)> = Vec::new();
    for (lnum, offs) in buds {
        let Some(leb) = lebs.leb(lnum) else { continue };
        for_each_node(leb, offs, |offs, ty, sq, n| {
            if sq >= cs_sqnum && matches!(ty, T_INO | T_DATA | T_DENT | T_TRUN) {
                nodes.push((
                    sq,
                    ty,
                    Loc {
                        lnum,
                        offs: offs as u32,
                        len: n.len() as u32,
                    },
                ));
            }
        });
    }
    nodes.sort_by_key(|n| n.0);
    for (_, ty, loc) in nodes {
        if let Some((_, _, n)) = lebs.leb(loc.lnum).and_then(|l| node(l, loc.offs as usize)) {
            idx.nodes += 1;
            apply(idx, ty, n, loc);
        }
    }
}

/// Calls `f` for every valid node in `leb` from `offs`, stepping over padding and
/// noise 8 bytes at a time (nodes are 8-byte aligned).
fn for_each_node(leb: &[u8], mut offs: usize, mut f: impl FnMut(usize, u8, u64, &[u8])) {
    while offs + HDR <= leb.len() {
        match node(leb, offs) {
            Some((ty, sq, n)) => {
                f(offs, ty, sq, n);
                offs += n.len().div_ceil(8) * 8;
            }
            None => offs += 8,
        }
    }
}

struct Writer<'a> {
    lebs: &'a dyn Lebs,
    idx: &'a Index,
    dirs: HashSet<u64>,
    written: HashMap<u64, String>,
}

impl Writer<'_> {
    fn dir(&mut self, sink: &mut Sink, inum: u64, path: &str, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH || !self.dirs.insert(inum) {
            sink.warn(format!(
                "ubifs: directory {path:?} (inode {inum}) loops or nests too deep; skipped"
            ));
            return Ok(());
        }
        let Some(dents) = self.idx.dents.get(&inum) else {
            return Ok(());
        };
        for (name, &target) in dents {
            if name.is_empty() || name == "." || name == ".." || name.contains('/') {
                sink.warn(format!("ubifs: unusable name {name:?} in inode {inum}"));
                continue;
            }
            let p = format!("{path}/{name}");
            match self.entry(sink, target, &p, depth) {
                Ok(()) => {}
                Err(e @ (Error::Quota(_) | Error::Io { .. })) => return Err(e),
                Err(e) => sink.warn(format!("{p}: {e}")),
            }
        }
        Ok(())
    }

    fn entry(&mut self, sink: &mut Sink, inum: u64, path: &str, depth: usize) -> Result<(), Error> {
        let ino = self
            .idx
            .inodes
            .get(&inum)
            .ok_or_else(|| Error::bad(format!("ubifs: inode {inum} is not in the index")))?;
        let mode = ino.mode;
        match mode & 0o170000 {
            0o040000 => {
                sink.dir(path, mode)?;
                self.dir(sink, inum, path, depth + 1)
            }
            0o120000 => sink.symlink(path, &String::from_utf8_lossy(&ino.data)),
            0o020000 | 0o060000 => {
                let rdev = match ino.data.len() {
                    4 => u32_at(&ino.data, 0, false)
                        .map(|v| ((v & 0xfff00) >> 8, (v & 0xff) | ((v >> 12) & 0xfff00))),
                    8 => u64_at(&ino.data, 0, false).map(|v| {
                        (
                            ((v >> 8) & 0xfff) as u32,
                            ((v & 0xff) | ((v >> 12) & 0xfff00)) as u32,
                        )
                    }),
                    _ => None,
                };
                let kind = if mode & 0o170000 == 0o020000 {
                    EntryKind::Chardev
                } else {
                    EntryKind::Blockdev
                };
                sink.special(path, kind, mode, rdev)
            }
            0o010000 => sink.special(path, EntryKind::Fifo, mode, None),
            0o140000 => sink.special(path, EntryKind::Socket, mode, None),
            _ => {
                if ino.nlink > 1
                    && let Some(first) = self.written.get(&inum).cloned()
                {
                    return sink.hardlink(path, &first);
                }
                let empty = BTreeMap::new();
                let blocks = self.idx.data.get(&inum).unwrap_or(&empty);
                // Sizes past the last data block are holes or lies: clip them.
                let data_end = blocks
                    .keys()
                    .next_back()
                    .map(|&b| (b as u64 + 1) * BLOCK as u64)
                    .unwrap_or(0);
                let mut r = BlockReader {
                    lebs: self.lebs,
                    blocks,
                    size: ino.size.min(data_end),
                    pos: 0,
                    cur: None,
                    errors: Vec::new(),
                };
                let res = sink.file(path, mode, &mut r);
                for e in r.errors.iter().take(10) {
                    sink.warn(format!("{path}: {e}"));
                }
                self.written.insert(inum, path.to_string());
                res.map(|_| ())
            }
        }
    }
}

/// Streams a file block by block; missing blocks are holes and read as zeros.
struct BlockReader<'a> {
    lebs: &'a dyn Lebs,
    blocks: &'a BTreeMap<u32, Loc>,
    size: u64,
    pos: u64,
    cur: Option<(u32, Vec<u8>)>,
    errors: Vec<String>,
}

impl BlockReader<'_> {
    fn load(&mut self, block: u32) -> Vec<u8> {
        let Some(loc) = self.blocks.get(&block) else {
            return Vec::new();
        };
        let found = self
            .lebs
            .leb(loc.lnum)
            .and_then(|leb| node(leb, loc.offs as usize));
        let Some((T_DATA, _, n)) = found else {
            self.errors.push(format!(
                "data node of block {block} at LEB {} offset 0x{:x} is bad",
                loc.lnum, loc.offs
            ));
            return Vec::new();
        };
        let size = (u32_at(n, 40, false).unwrap_or(0) as usize).min(BLOCK);
        let compr = u16_at(n, 44, false).unwrap_or(0);
        let input = n.get(48..).unwrap_or(&[]);
        let out = match compr {
            0 => Ok(input.get(..size).unwrap_or(input).to_vec()),
            1 => codec::block(Codec::Lzo, input, size),
            2 => codec::block(Codec::Deflate, input, size),
            3 => codec::block(Codec::Zstd, input, size),
            c => Err(Error::bad(format!("compressor {c} not supported"))),
        };
        out.unwrap_or_else(|e| {
            self.errors.push(format!(
                "block {block} ({}) at LEB {} offset 0x{:x}: {e}",
                compr_name(compr),
                loc.lnum,
                loc.offs
            ));
            Vec::new()
        })
    }
}

impl Read for BlockReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let block = (self.pos / BLOCK as u64) as u32;
        let within = (self.pos % BLOCK as u64) as usize;
        if self.cur.as_ref().map(|c| c.0) != Some(block) {
            let v = self.load(block);
            self.cur = Some((block, v));
        }
        let take = ((BLOCK - within) as u64)
            .min(self.size - self.pos)
            .min(buf.len() as u64) as usize;
        let src = self.cur.as_ref().map(|c| c.1.as_slice()).unwrap_or(&[]);
        let avail = src.get(within..).unwrap_or(&[]);
        let k = take.min(avail.len());
        buf[..k].copy_from_slice(&avail[..k]);
        buf[k..take].fill(0);
        self.pos += take as u64;
        Ok(take)
    }
}
