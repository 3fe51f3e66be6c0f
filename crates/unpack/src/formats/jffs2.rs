//! JFFS2: the log-structured flash file system. Either byte order.
//!
//! There is no superblock: the file system is a log of nodes scattered over erase
//! blocks, each with a 12-byte header (magic 0x1985, type, length, header CRC).
//! Directory entry nodes name an inode inside a parent; inode nodes carry metadata
//! and one compressed range of the file. For every inode and every (parent, name)
//! the node with the highest version wins, which is how JFFS2 replays its log.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use super::{u16_at, u32_at};
use crate::codec::{self, Codec};
use crate::format::{Confidence, Format, Magic, Probe};
use crate::report::EntryKind;
use crate::{Error, Sink};

pub struct Jffs2;

const NODE_ACCURATE: u16 = 0x2000;
const DIRENT: u16 = 0xe001;
const INODE: u16 = 0xe002;
const HEADER_LEN: usize = 12;
const DIRENT_LEN: usize = 40;
const INODE_LEN: usize = 68;
/// A data node covers at most one page; the largest pages are 64 KiB.
const MAX_NODE_DATA: u32 = 64 * 1024;
/// Non-padding bytes tolerated between two nodes before the file system is taken to end.
const MAX_JUNK_GAP: usize = 64 * 1024;
const MAX_DEPTH: usize = 256;

/// The CRC JFFS2 uses: CRC-32 (IEEE) with a zero seed and no final inversion.
fn crc(d: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(u32::MAX);
    h.update(d);
    !h.finalize()
}

fn magic_be(d: &[u8], off: usize) -> Option<bool> {
    match d.get(off..off + 2)? {
        [0x19, 0x85] => Some(true),
        [0x85, 0x19] => Some(false),
        _ => None,
    }
}

/// A node whose header CRC holds: (type, total length).
fn node_header(d: &[u8], off: usize, be: bool) -> Option<(u16, usize)> {
    if magic_be(d, off)? != be {
        return None;
    }
    let ty = u16_at(d, off + 2, be)?;
    let totlen = u32_at(d, off + 4, be)? as usize;
    let stored = u32_at(d, off + 8, be)?;
    // Obsoleting a node clears its ACCURATE bit in place, after the CRC was written.
    let mut hdr = [0u8; 8];
    hdr.copy_from_slice(d.get(off..off + 8)?);
    let acc = ty | NODE_ACCURATE;
    let acc = if be {
        acc.to_be_bytes()
    } else {
        acc.to_le_bytes()
    };
    hdr[2..4].copy_from_slice(&acc);
    if crc(&hdr) != stored || totlen < HEADER_LEN || off.checked_add(totlen)? > d.len() {
        return None;
    }
    Some((ty, totlen))
}

#[derive(Clone)]
struct Dirent {
    pino: u32,
    version: u32,
    ino: u32,
    dtype: u8,
    name: String,
}

#[derive(Clone, Copy)]
struct DataNode {
    version: u32,
    mode: u32,
    isize: u32,
    offset: u32,
    csize: u32,
    dsize: u32,
    compr: u8,
    /// Offset of the compressed data in the image.
    data: usize,
}

fn parse_dirent(d: &[u8], off: usize, totlen: usize, be: bool) -> Result<Dirent, String> {
    let n = d.get(off..off + totlen).ok_or("dirent past the end")?;
    if totlen < DIRENT_LEN {
        return Err("dirent node too short".into());
    }
    if u32_at(n, 32, be) != Some(crc(&n[..32])) {
        return Err("dirent node CRC mismatch".into());
    }
    let nsize = n[28] as usize;
    let name = n
        .get(DIRENT_LEN..DIRENT_LEN + nsize)
        .ok_or("dirent name runs past the node")?;
    if u32_at(n, 36, be) != Some(crc(name)) {
        return Err("dirent name CRC mismatch".into());
    }
    Ok(Dirent {
        pino: u32_at(n, 12, be).unwrap_or(0),
        version: u32_at(n, 16, be).unwrap_or(0),
        ino: u32_at(n, 20, be).unwrap_or(0),
        dtype: n[29],
        name: String::from_utf8_lossy(name).into_owned(),
    })
}

fn parse_inode(d: &[u8], off: usize, totlen: usize, be: bool) -> Result<(u32, DataNode), String> {
    let n = d.get(off..off + totlen).ok_or("inode past the end")?;
    if totlen < INODE_LEN {
        return Err("inode node too short".into());
    }
    if u32_at(n, 64, be) != Some(crc(&n[..60])) {
        return Err("inode node CRC mismatch".into());
    }
    let r = |o: usize| u32_at(n, o, be).unwrap_or(0);
    let node = DataNode {
        version: r(16),
        mode: r(20),
        isize: r(28),
        offset: r(44),
        csize: r(48),
        dsize: r(52),
        compr: n[56],
        data: off + INODE_LEN,
    };
    if node.dsize > MAX_NODE_DATA || node.csize > MAX_NODE_DATA {
        return Err(format!(
            "data node claims {} bytes",
            node.dsize.max(node.csize)
        ));
    }
    let data = n
        .get(INODE_LEN..INODE_LEN + node.csize as usize)
        .ok_or("inode data runs past the node")?;
    if node.csize > 0 && r(60) != crc(data) {
        return Err("inode data CRC mismatch".into());
    }
    Ok((r(12), node))
}

/// Everything a scan of the log found.
#[derive(Default)]
struct Log {
    be: bool,
    end: usize,
    nodes: usize,
    dirents: Vec<Dirent>,
    inodes: HashMap<u32, Vec<DataNode>>,
    compressors: BTreeMap<u8, usize>,
    bad: Vec<String>,
}

/// Walks the node log from `d[0]`, resynchronising on 4-byte boundaries after noise.
fn scan(d: &[u8], be: bool, parse: bool) -> Log {
    let mut log = Log {
        be,
        ..Log::default()
    };
    let pat: &[u8] = if be { &[0x19, 0x85] } else { &[0x85, 0x19] };
    let finder = memchr::memmem::Finder::new(pat);
    let mut off = 0usize;
    while off < d.len() {
        let Some(hit) = finder.find(&d[off..]).map(|p| off + p) else {
            break;
        };
        if !hit.is_multiple_of(4) {
            off = hit + 1;
            continue;
        }
        let Some((ty, totlen)) = node_header(d, hit, be) else {
            off = hit + 4;
            continue;
        };
        // Between the end of the last node and this one: erased flash, or the end.
        let gap = d.get(log.end..hit).unwrap_or(&[]);
        if log.nodes > 0 && gap.len() > MAX_JUNK_GAP && gap.iter().any(|&b| b != 0xff) {
            break;
        }
        log.nodes += 1;
        off = hit + totlen.div_ceil(4) * 4;
        log.end = off.min(d.len());
        if ty & NODE_ACCURATE == 0 || !parse {
            continue;
        }
        match ty {
            DIRENT => match parse_dirent(d, hit, totlen, be) {
                Ok(de) => log.dirents.push(de),
                Err(e) => log.bad.push(format!("{e} at 0x{hit:x}")),
            },
            INODE => match parse_inode(d, hit, totlen, be) {
                Ok((ino, node)) => {
                    if node.csize > 0 {
                        *log.compressors.entry(node.compr).or_default() += 1;
                    }
                    log.inodes.entry(ino).or_default().push(node);
                }
                Err(e) => log.bad.push(format!("{e} at 0x{hit:x}")),
            },
            _ => {}
        }
    }
    log
}

fn compressor_name(c: u8) -> &'static str {
    match c {
        0 => "none",
        1 => "zero",
        2 => "rtime",
        3 => "rubinmips",
        4 => "copy",
        5 => "dynrubin",
        6 => "zlib",
        7 => "lzo",
        8 => "lzma",
        _ => "unknown",
    }
}

/// The rtime compressor: each literal byte is followed by a repeat count that
/// copies from where that byte value was last seen.
fn rtime(input: &[u8], out_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(out_len);
    let mut positions = [0usize; 256];
    let mut i = 0;
    while out.len() < out_len {
        let (Some(&value), Some(&repeat)) = (input.get(i), input.get(i + 1)) else {
            break;
        };
        i += 2;
        out.push(value);
        let back = positions[value as usize];
        positions[value as usize] = out.len();
        for k in back..back + repeat as usize {
            if out.len() >= out_len {
                break;
            }
            let b = out.get(k).copied().unwrap_or(0);
            out.push(b);
        }
    }
    out
}

fn decompress(d: &[u8], n: &DataNode) -> Result<Vec<u8>, String> {
    let input = d
        .get(n.data..n.data + n.csize as usize)
        .ok_or("data past the end")?;
    let want = n.dsize as usize;
    let out = match n.compr {
        0 | 4 => input.to_vec(),
        1 => vec![0u8; want],
        2 => rtime(input, want),
        6 => codec::block(Codec::Zlib, input, want).map_err(|e| e.to_string())?,
        7 => codec::block(Codec::Lzo, input, want).map_err(|e| e.to_string())?,
        // The LZMA compressor of OpenWrt's kernels: a raw stream (lc=0 lp=0 pb=0)
        // without an end marker, so the decoder must be told the output size.
        8 => {
            let r = lzma_rust2::LzmaReader::new_with_props(input, want as u64, 0, 1 << 16, None)
                .map_err(|e| format!("lzma: {e}"))?;
            let mut out = Vec::with_capacity(want);
            r.take(want as u64)
                .read_to_end(&mut out)
                .map_err(|e| format!("lzma: {e}"))?;
            out
        }
        c => return Err(format!("compressor {} not supported", compressor_name(c))),
    };
    Ok(out)
}

impl Format for Jffs2 {
    fn name(&self) -> &'static str {
        "jffs2"
    }
    fn magics(&self) -> &'static [Magic] {
        // Live and obsoleted dirent and inode nodes, clean markers and padding: what
        // the first node of an erase block can be.
        const M: &[Magic] = &[
            Magic::at0(&[0x19, 0x85, 0xe0, 0x01]),
            Magic::at0(&[0x19, 0x85, 0xe0, 0x02]),
            Magic::at0(&[0x19, 0x85, 0x20, 0x03]),
            Magic::at0(&[0x19, 0x85, 0x20, 0x04]),
            Magic::at0(&[0x19, 0x85, 0xc0, 0x01]),
            Magic::at0(&[0x19, 0x85, 0xc0, 0x02]),
            Magic::at0(&[0x85, 0x19, 0x01, 0xe0]),
            Magic::at0(&[0x85, 0x19, 0x02, 0xe0]),
            Magic::at0(&[0x85, 0x19, 0x03, 0x20]),
            Magic::at0(&[0x85, 0x19, 0x04, 0x20]),
            Magic::at0(&[0x85, 0x19, 0x01, 0xc0]),
            Magic::at0(&[0x85, 0x19, 0x02, 0xc0]),
        ];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let be = magic_be(d, 0)?;
        let (ty, totlen) = node_header(d, 0, be)?;
        match ty {
            DIRENT => parse_dirent(d, 0, totlen, be).ok().map(|_| ())?,
            INODE => parse_inode(d, 0, totlen, be).ok().map(|_| ())?,
            _ => {}
        }
        let log = scan(d, be, true);
        let comps: Vec<&str> = log
            .compressors
            .keys()
            .map(|&c| compressor_name(c))
            .collect();
        Some(Probe::extract(
            Some(log.end as u64),
            Confidence::Strong,
            format!(
                "jffs2 {}, {} nodes, {} inodes, {} dirents, compressors: {}",
                if be { "BE" } else { "LE" },
                log.nodes,
                log.inodes.len(),
                log.dirents.len(),
                if comps.is_empty() {
                    "none".to_string()
                } else {
                    comps.join(", ")
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
        let d = data.get(start..).unwrap_or(&[]);
        let be = magic_be(d, 0)
            .ok_or_else(|| Error::bad(format!("jffs2: no node magic at 0x{start:x}")))?;
        let log = scan(d, be, true);
        if log.nodes == 0 {
            return Err(Error::bad(format!("jffs2: no valid node at 0x{start:x}")));
        }
        for b in log.bad.iter().take(100) {
            sink.warn(format!(
                "jffs2: node skipped: {b} (image offset base 0x{start:x})"
            ));
        }
        let tree = Tree::build(&log);
        let mut w = Writer {
            d,
            log: &log,
            tree: &tree,
            written: HashMap::new(),
            dirs_seen: HashSet::new(),
        };
        w.dir(sink, 1, "", 0)?;
        Ok(log.end as u64)
    }
}

/// The replayed directory tree: parent inode -> its live entries.
struct Tree {
    children: HashMap<u32, Vec<Dirent>>,
}

impl Tree {
    fn build(log: &Log) -> Tree {
        let mut latest: HashMap<(u32, &str), &Dirent> = HashMap::new();
        for de in &log.dirents {
            let key = (de.pino, de.name.as_str());
            match latest.get(&key) {
                Some(old) if old.version >= de.version => {}
                _ => {
                    latest.insert(key, de);
                }
            }
        }
        let mut children: HashMap<u32, Vec<Dirent>> = HashMap::new();
        for de in latest.into_values() {
            // An entry naming inode 0 is a deletion.
            if de.ino != 0 {
                children.entry(de.pino).or_default().push(de.clone());
            }
        }
        for v in children.values_mut() {
            v.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Tree { children }
    }
}

struct Writer<'a> {
    d: &'a [u8],
    log: &'a Log,
    tree: &'a Tree,
    /// Inode -> path of the file already written, for hard links.
    written: HashMap<u32, String>,
    dirs_seen: HashSet<u32>,
}

impl Writer<'_> {
    fn dir(&mut self, sink: &mut Sink, ino: u32, path: &str, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH || !self.dirs_seen.insert(ino) {
            sink.warn(format!(
                "jffs2: directory {path:?} (inode {ino}) loops or nests too deep; skipped"
            ));
            return Ok(());
        }
        let Some(entries) = self.tree.children.get(&ino) else {
            return Ok(());
        };
        for de in entries {
            if de.name.is_empty() || de.name == "." || de.name == ".." || de.name.contains('/') {
                sink.warn(format!("jffs2: unusable name {:?} in inode {ino}", de.name));
                continue;
            }
            let p = format!("{path}/{}", de.name);
            match self.entry(sink, de, &p, depth) {
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
        de: &Dirent,
        path: &str,
        depth: usize,
    ) -> Result<(), Error> {
        let nodes: &[DataNode] = self
            .log
            .inodes
            .get(&de.ino)
            .map(|v| v.as_slice())
            .unwrap_or(&[]);
        let latest = nodes.iter().max_by_key(|n| n.version);
        // Without an inode node only the dirent's type is known.
        let mode = match latest {
            Some(n) => n.mode,
            None => match de.dtype {
                4 => 0o40755,
                10 => 0o120777,
                _ => 0o100644,
            },
        };
        match mode & 0o170000 {
            0o040000 => {
                sink.dir(path, mode)?;
                self.dir(sink, de.ino, path, depth + 1)
            }
            0o120000 => {
                let body = self.small_contents(nodes)?;
                sink.symlink(path, &String::from_utf8_lossy(&body))
            }
            0o020000 | 0o060000 => {
                // The device number is the node's data; the inode size says 0.
                let body = nodes
                    .iter()
                    .filter(|n| n.dsize > 0)
                    .max_by_key(|n| n.version)
                    .and_then(|n| decompress(self.d, n).ok())
                    .unwrap_or_default();
                let rdev = match body.len() {
                    2 => {
                        let v = u16_at(&body, 0, self.log.be).unwrap_or(0) as u32;
                        Some((v >> 8, v & 0xff))
                    }
                    4 => {
                        let v = u32_at(&body, 0, self.log.be).unwrap_or(0);
                        Some(((v & 0xfff00) >> 8, (v & 0xff) | ((v >> 12) & 0xfff00)))
                    }
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
                if let Some(first) = self.written.get(&de.ino).cloned() {
                    return sink.hardlink(path, &first);
                }
                let size = latest.map(|n| n.isize).unwrap_or(0) as u64;
                let mut r = FileReader::new(self.d, nodes, size);
                let res = sink.file(path, mode, &mut r);
                self.written.insert(de.ino, path.to_string());
                for e in r.errors.iter().take(10) {
                    sink.warn(format!("{path}: {e}"));
                }
                res.map(|_| ())
            }
        }
    }

    /// Contents of a symlink or device node: small, so read whole.
    fn small_contents(&self, nodes: &[DataNode]) -> Result<Vec<u8>, Error> {
        let size = nodes
            .iter()
            .max_by_key(|n| n.version)
            .map(|n| n.isize)
            .unwrap_or(0);
        let mut r = FileReader::new(self.d, nodes, (size as u64).min(4096));
        let mut out = Vec::new();
        r.read_to_end(&mut out)
            .map_err(|e| Error::bad(format!("jffs2: {e}")))?;
        Ok(out)
    }
}

/// A file's data: the byte ranges each data node still owns after replaying the
/// nodes in version order, read lazily so memory stays at one node.
struct FileReader<'a> {
    d: &'a [u8],
    nodes: Vec<DataNode>,
    /// start -> (end, index into `nodes`), non-overlapping.
    frags: BTreeMap<u64, (u64, usize)>,
    size: u64,
    pos: u64,
    cache: Option<(usize, Vec<u8>)>,
    errors: Vec<String>,
}

impl<'a> FileReader<'a> {
    fn new(d: &'a [u8], nodes: &[DataNode], size: u64) -> Self {
        let mut nodes: Vec<DataNode> = nodes.iter().filter(|n| n.dsize > 0).copied().collect();
        nodes.sort_by_key(|n| n.version);
        let mut frags: BTreeMap<u64, (u64, usize)> = BTreeMap::new();
        for (i, n) in nodes.iter().enumerate() {
            let s = n.offset as u64;
            let e = s + n.dsize as u64;
            // Trim every older fragment this node overlaps.
            let overlapping: Vec<(u64, (u64, usize))> = frags
                .range(..e)
                .rev()
                .take_while(|(_, (fe, _))| *fe > s)
                .map(|(k, v)| (*k, *v))
                .collect();
            for (fs, (fe, fi)) in overlapping {
                frags.remove(&fs);
                if fs < s {
                    frags.insert(fs, (s, fi));
                }
                if fe > e {
                    frags.insert(e, (fe, fi));
                }
            }
            frags.insert(s, (e, i));
        }
        // A size beyond the last data is a lie: JFFS2 writes holes as zero nodes.
        let data_end = frags.values().map(|(e, _)| *e).max().unwrap_or(0);
        FileReader {
            d,
            nodes,
            frags,
            size: size.min(data_end),
            pos: 0,
            cache: None,
            errors: Vec::new(),
        }
    }

    fn node_data(&mut self, i: usize) -> &[u8] {
        if self.cache.as_ref().map(|c| c.0) != Some(i) {
            let n = self.nodes[i];
            let v = match decompress(self.d, &n) {
                Ok(v) => v,
                Err(e) => {
                    self.errors
                        .push(format!("data node at file offset {}: {e}", n.offset));
                    Vec::new()
                }
            };
            self.cache = Some((i, v));
        }
        self.cache.as_ref().map(|c| c.1.as_slice()).unwrap_or(&[])
    }
}

impl Read for FileReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let room = (self.size - self.pos).min(buf.len() as u64);
        // The fragment covering pos, if any; otherwise a hole up to the next one.
        let cover = self
            .frags
            .range(..=self.pos)
            .next_back()
            .filter(|(_, (e, _))| *e > self.pos)
            .map(|(_, v)| *v);
        let n = match cover {
            Some((fe, i)) => {
                let node_off = self.nodes[i].offset as u64;
                let take = (fe - self.pos).min(room) as usize;
                let from = (self.pos - node_off) as usize;
                let src = self.node_data(i);
                let avail = src.get(from..).unwrap_or(&[]);
                let k = take.min(avail.len());
                buf[..k].copy_from_slice(&avail[..k]);
                // Data short of what the node claimed reads as zeros.
                buf[k..take].fill(0);
                take
            }
            None => {
                let next = self
                    .frags
                    .range(self.pos..)
                    .next()
                    .map(|(s, _)| *s)
                    .unwrap_or(self.size);
                let take = (next - self.pos).min(room) as usize;
                buf[..take].fill(0);
                take
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}
