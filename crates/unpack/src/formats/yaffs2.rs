//! YAFFS2: the NAND flash file system, as raw dumps with the spare (OOB) area
//! after every page. Either byte order.
//!
//! YAFFS2 has no magic and no superblock: every page ("chunk") carries packed tags in
//! its spare area (block sequence number, object id, chunk id, byte count). Chunk 0
//! of an object is its header (type, parent, name, mode, size); chunks 1.. are file
//! data. Detection therefore validates the layout of the first object header and its
//! tags under each common geometry, and the latest (sequence, position) copy wins.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use super::{cstr, u32_at};
use crate::format::{Confidence, Format, Magic, Probe};
use crate::report::EntryKind;
use crate::{Error, Sink};

pub struct Yaffs2;

/// (page size, spare size) pairs tried, most common first.
const GEOMETRIES: &[(usize, usize)] = &[(2048, 64), (512, 16), (4096, 128)];
const LOWEST_SEQ: u32 = 0x1000;
const HIGHEST_SEQ: u32 = 0xefff_ff00;
const MAX_OBJECT_ID: u32 = 0x3ffff;
const EXTRA_HEADER_INFO: u32 = 0x8000_0000;
const EXTRA_MASK: u32 = 0xf000_0000;
const ROOT: u32 = 1;
const UNLINKED: u32 = 3;
const DELETED: u32 = 4;
const MAX_DEPTH: usize = 256;

const T_FILE: u32 = 1;
const T_SYMLINK: u32 = 2;
const T_DIR: u32 = 3;
const T_HARDLINK: u32 = 4;
const T_SPECIAL: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Geometry {
    page: usize,
    spare: usize,
    /// Where the packed tags start inside the spare (after a bad-block marker or not).
    tag_off: usize,
    be: bool,
}

impl Geometry {
    fn stride(&self) -> usize {
        self.page + self.spare
    }
}

#[derive(Debug, Clone, Copy)]
struct Tags {
    seq: u32,
    obj: u32,
    chunk: u32,
    bytes: u32,
}

fn tags(d: &[u8], chunk_off: usize, g: Geometry) -> Option<Tags> {
    let t = chunk_off.checked_add(g.page + g.tag_off)?;
    let seq = u32_at(d, t, g.be)?;
    let mut obj = u32_at(d, t + 4, g.be)?;
    let mut chunk = u32_at(d, t + 8, g.be)?;
    let bytes = u32_at(d, t + 12, g.be)?;
    if chunk & EXTRA_HEADER_INFO != 0 {
        // Header tags with extra info pack the object type into the id's top bits.
        chunk = 0;
        obj &= !EXTRA_MASK;
    }
    Some(Tags {
        seq,
        obj,
        chunk,
        bytes,
    })
}

fn erased(d: &[u8], chunk_off: usize, g: Geometry) -> bool {
    let t = chunk_off + g.page + g.tag_off;
    d.get(t..t + 16)
        .is_some_and(|b| b.iter().all(|&x| x == 0xff))
}

fn tags_valid(t: &Tags, g: Geometry) -> bool {
    (LOWEST_SEQ..=HIGHEST_SEQ).contains(&t.seq)
        && t.obj >= 1
        && t.obj <= MAX_OBJECT_ID
        && (t.chunk == 0 || t.bytes as usize <= g.page)
}

#[derive(Debug, Clone)]
struct Header {
    ty: u32,
    parent: u32,
    name: String,
    mode: u32,
    size: u64,
    equiv: u32,
    alias: String,
    rdev: u32,
}

fn header(d: &[u8], off: usize, be: bool) -> Option<Header> {
    let h = d.get(off..off.checked_add(512)?)?;
    let ty = u32_at(h, 0, be)?;
    if !(T_FILE..=T_SPECIAL).contains(&ty) {
        return None;
    }
    let name_field = h.get(10..266)?;
    let nul = memchr::memchr(0, name_field)?;
    let name = String::from_utf8_lossy(&name_field[..nul]).into_owned();
    let mode = u32_at(h, 268, be)?;
    let fmt = mode & 0o170000;
    let ok = match ty {
        T_FILE => fmt == 0o100000,
        T_SYMLINK => fmt == 0o120000,
        T_DIR => fmt == 0o040000,
        T_HARDLINK => true,
        _ => matches!(fmt, 0o020000 | 0o060000 | 0o010000 | 0o140000),
    };
    if !ok || mode > 0o177777 {
        return None;
    }
    let low = u32_at(h, 292, be)? as u64;
    let high = u32_at(h, 496, be)?;
    let size = if high == u32::MAX || high == 0 {
        low
    } else {
        low | ((high as u64) << 32)
    };
    Some(Header {
        ty,
        parent: u32_at(h, 4, be)?,
        name,
        mode,
        size,
        equiv: u32_at(h, 296, be)?,
        alias: cstr(h.get(300..460)?),
        rdev: u32_at(h, 460, be)?,
    })
}

/// Finds the geometry under which `d[0..]` is a valid first object header.
fn detect(d: &[u8]) -> Option<Geometry> {
    let be = match (d.first()?, d.get(3)?) {
        (0, t) if (1..=5).contains(t) => true,
        (t, 0) if (1..=5).contains(t) => false,
        _ => return None,
    };
    let h = header(d, 0, be)?;
    if h.name.is_empty() || h.name.contains('/') || h.parent == 0 || h.parent > MAX_OBJECT_ID {
        return None;
    }
    for &(page, spare) in GEOMETRIES {
        for tag_off in [0usize, 2] {
            if tag_off + 16 > spare {
                continue;
            }
            let g = Geometry {
                page,
                spare,
                tag_off,
                be,
            };
            let Some(t) = tags(d, 0, g) else { continue };
            if t.chunk != 0 || !tags_valid(&t, g) {
                continue;
            }
            // The next chunk must be valid too, or erased, or the end of the data.
            let next = g.stride();
            let next_ok = next >= d.len()
                || erased(d, next, g)
                || tags(d, next, g).is_some_and(|t| tags_valid(&t, g));
            if next_ok {
                return Some(g);
            }
        }
    }
    None
}

/// The latest copy of one data chunk: ((sequence, position), data offset, byte count).
type ChunkRef = ((u32, usize), usize, usize);

/// The replayed log: for each object its latest header, and its latest data chunks.
struct Image {
    end: usize,
    chunks: usize,
    headers: HashMap<u32, ((u32, usize), Header)>,
    /// object -> chunk id -> latest copy
    data: HashMap<u32, BTreeMap<u32, ChunkRef>>,
    bad_headers: usize,
}

fn scan(d: &[u8], g: Geometry) -> Image {
    let mut img = Image {
        end: 0,
        chunks: 0,
        headers: HashMap::new(),
        data: HashMap::new(),
        bad_headers: 0,
    };
    let mut off = 0usize;
    while off + g.stride() <= d.len() {
        let here = off;
        off += g.stride();
        if erased(d, here, g) {
            continue;
        }
        let Some(t) = tags(d, here, g).filter(|t| tags_valid(t, g)) else {
            break;
        };
        img.chunks += 1;
        img.end = off;
        let key = (t.seq, here);
        if t.chunk == 0 {
            match header(d, here, g.be) {
                Some(h) => {
                    let e = img.headers.entry(t.obj).or_insert((key, h.clone()));
                    if e.0 <= key {
                        *e = (key, h);
                    }
                }
                None => img.bad_headers += 1,
            }
        } else {
            let m = img.data.entry(t.obj).or_default();
            let v = (key, here, t.bytes as usize);
            let e = m.entry(t.chunk).or_insert(v);
            if e.0 <= key {
                *e = v;
            }
        }
    }
    img
}

impl Format for Yaffs2 {
    fn name(&self) -> &'static str {
        "yaffs2"
    }
    fn magics(&self) -> &'static [Magic] {
        // The first object header of an image: an entry of the root directory
        // (parent id 1) of any type, followed by the unused checksum field 0xffff.
        const M: &[Magic] = &[
            Magic::at0(&[0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff]),
            Magic::at0(&[0, 0, 0, 2, 0, 0, 0, 1, 0xff, 0xff]),
            Magic::at0(&[0, 0, 0, 3, 0, 0, 0, 1, 0xff, 0xff]),
            Magic::at0(&[0, 0, 0, 4, 0, 0, 0, 1, 0xff, 0xff]),
            Magic::at0(&[0, 0, 0, 5, 0, 0, 0, 1, 0xff, 0xff]),
            Magic::at0(&[1, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
            Magic::at0(&[2, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
            Magic::at0(&[3, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
            Magic::at0(&[4, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
            Magic::at0(&[5, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff]),
        ];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let g = detect(d)?;
        let img = scan(d, g);
        Some(Probe::extract(
            Some(img.end as u64),
            Confidence::Strong,
            format!(
                "yaffs2 {}, page {} + spare {} (tags at {}), {} objects, {} chunks",
                if g.be { "BE" } else { "LE" },
                g.page,
                g.spare,
                g.tag_off,
                img.headers.len(),
                img.chunks
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
        let g = detect(d)
            .ok_or_else(|| Error::bad(format!("yaffs2: no valid object header at 0x{start:x}")))?;
        let img = scan(d, g);
        if img.bad_headers > 0 {
            sink.warn(format!(
                "yaffs2: {} object header chunks did not parse",
                img.bad_headers
            ));
        }
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        for (&id, (_, h)) in &img.headers {
            if id != ROOT && h.parent != UNLINKED && h.parent != DELETED {
                children.entry(h.parent).or_default().push(id);
            }
        }
        for v in children.values_mut() {
            v.sort_unstable();
        }
        let mut w = Writer {
            d,
            g,
            img: &img,
            children: &children,
            seen: HashSet::new(),
            written: HashMap::new(),
        };
        w.dir(sink, ROOT, "", 0)?;
        Ok(img.end as u64)
    }
}

struct Writer<'a> {
    d: &'a [u8],
    g: Geometry,
    img: &'a Image,
    children: &'a HashMap<u32, Vec<u32>>,
    seen: HashSet<u32>,
    /// Object id -> path written, for hard links.
    written: HashMap<u32, String>,
}

impl Writer<'_> {
    fn dir(&mut self, sink: &mut Sink, id: u32, path: &str, depth: usize) -> Result<(), Error> {
        if depth > MAX_DEPTH || !self.seen.insert(id) {
            sink.warn(format!(
                "yaffs2: directory {path:?} (object {id}) loops or nests too deep; skipped"
            ));
            return Ok(());
        }
        let Some(kids) = self.children.get(&id) else {
            return Ok(());
        };
        for &kid in kids {
            let Some((_, h)) = self.img.headers.get(&kid) else {
                continue;
            };
            if h.name.is_empty() || h.name == "." || h.name == ".." || h.name.contains('/') {
                sink.warn(format!(
                    "yaffs2: unusable name {:?} of object {kid}",
                    h.name
                ));
                continue;
            }
            let p = format!("{path}/{}", h.name);
            match self.entry(sink, kid, h, &p, depth) {
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
        id: u32,
        h: &Header,
        path: &str,
        depth: usize,
    ) -> Result<(), Error> {
        match h.ty {
            T_DIR => {
                sink.dir(path, h.mode)?;
                self.dir(sink, id, path, depth + 1)
            }
            T_SYMLINK => sink.symlink(path, &h.alias),
            T_SPECIAL => {
                let kind = match h.mode & 0o170000 {
                    0o020000 => EntryKind::Chardev,
                    0o060000 => EntryKind::Blockdev,
                    0o010000 => EntryKind::Fifo,
                    _ => EntryKind::Socket,
                };
                let v = h.rdev;
                let rdev = matches!(kind, EntryKind::Chardev | EntryKind::Blockdev)
                    .then_some(((v >> 8) & 0xfff, (v & 0xff) | ((v >> 12) & 0xfff00)));
                sink.special(path, kind, h.mode, rdev)
            }
            T_HARDLINK => {
                if let Some(first) = self.written.get(&h.equiv).cloned() {
                    return sink.hardlink(path, &first);
                }
                match self.img.headers.get(&h.equiv) {
                    Some((_, t)) if t.ty == T_FILE => {
                        self.file(sink, h.equiv, t, path)?;
                        Ok(())
                    }
                    _ => Err(Error::bad(format!(
                        "yaffs2: hard link to object {} which is not a file",
                        h.equiv
                    ))),
                }
            }
            _ => self.file(sink, id, h, path),
        }
    }

    fn file(&mut self, sink: &mut Sink, id: u32, h: &Header, path: &str) -> Result<(), Error> {
        let empty = BTreeMap::new();
        let chunks = self.img.data.get(&id).unwrap_or(&empty);
        let page = self.g.page as u64;
        // A size beyond the last data chunk is a lie (or a hole at the end): clip it.
        let data_end = chunks
            .iter()
            .next_back()
            .map(|(c, v)| (*c as u64 - 1) * page + v.2 as u64)
            .unwrap_or(0);
        let mut r = ChunkReader {
            d: self.d,
            page,
            chunks,
            size: h.size.min(data_end),
            pos: 0,
        };
        let res = sink.file(path, h.mode, &mut r);
        self.written.insert(id, path.to_string());
        res.map(|_| ())
    }
}

/// Streams a file from its data chunks; missing chunks and short chunks read as zeros.
struct ChunkReader<'a> {
    d: &'a [u8],
    page: u64,
    chunks: &'a BTreeMap<u32, ChunkRef>,
    size: u64,
    pos: u64,
}

impl Read for ChunkReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos >= self.size || buf.is_empty() {
            return Ok(0);
        }
        let chunk = self.pos / self.page + 1;
        let within = self.pos % self.page;
        let take = (self.page - within)
            .min(self.size - self.pos)
            .min(buf.len() as u64) as usize;
        let src: &[u8] = u32::try_from(chunk)
            .ok()
            .and_then(|c| self.chunks.get(&c))
            .and_then(|&(_, off, n)| self.d.get(off..off + n.min(self.page as usize)))
            .unwrap_or(&[]);
        let avail = src.get(within as usize..).unwrap_or(&[]);
        let k = take.min(avail.len());
        buf[..k].copy_from_slice(&avail[..k]);
        buf[k..take].fill(0);
        self.pos += take as u64;
        Ok(take)
    }
}
