//! A squashfs 1.x image writer for tests: no 1.x image is in the corpus and no
//! maintained tool writes one, while Debian's `unsquashfs` still reads them. The
//! layout follows the 1.x on-disk structures (51-byte superblock, 3-byte inode
//! headers, 2.x-style directory listings, 16-bit block sizes, uid/gid tables at the
//! end), in either byte order, with zlib-compressed data and metadata blocks.
//!
//! Like `mksquashfs`, it writes bottom-up: a directory's children first, then its
//! listing, then its inode, so every reference is known when it is written.

use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;

const METADATA: usize = 8192;
const SUPER_LEN: usize = 51;

/// One entry of the tree to write.
#[derive(Debug, Clone)]
pub struct Node {
    pub name: String,
    pub mode: u16,
    pub uid: u32,
    pub gid: u32,
    pub kind: Kind,
}

#[derive(Debug, Clone)]
pub enum Kind {
    File(Vec<u8>),
    Dir(Vec<Node>),
    Symlink(String),
    Chardev(u8, u8),
    Blockdev(u8, u8),
    Fifo,
    Socket,
    /// Hostile: a directory entry naming its own parent directory (a loop).
    LoopToParent,
    /// Hostile: a regular file whose inode claims `size` bytes for this content.
    Lying(Vec<u8>, u32),
}

impl Node {
    pub fn new(name: &str, mode: u16, kind: Kind) -> Self {
        Node {
            name: name.into(),
            mode,
            uid: 0,
            gid: 0,
            kind,
        }
    }
    pub fn owner(mut self, uid: u32, gid: u32) -> Self {
        self.uid = uid;
        self.gid = gid;
        self
    }
}

/// Options of one image.
#[derive(Debug, Clone, Copy)]
pub struct Opts {
    pub be: bool,
    /// log2 of the data block size (12 to 15).
    pub block_log: u16,
    /// Compress metadata blocks (otherwise stored, flagged uncompressed).
    pub compress_meta: bool,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            be: false,
            block_log: 12,
            compress_meta: true,
        }
    }
}

/// Writes `value` into a `width`-bit field `pos` bits into `buf`, laid out as the C
/// bit fields of a little-endian (from each byte's low bit) or big-endian (from
/// each byte's high bit) host.
fn put(buf: &mut [u8], pos: usize, width: u32, value: u64, be: bool) {
    for i in 0..width as usize {
        let bit = if be {
            (value >> (width as usize - 1 - i)) & 1
        } else {
            (value >> i) & 1
        };
        let at = pos + i;
        let shift = if be { 7 - at % 8 } else { at % 8 };
        buf[at / 8] |= (bit as u8) << shift;
    }
}

fn zlib(b: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::best());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// A chain of metadata blocks being written: finished blocks plus the open one.
struct Meta {
    done: Vec<u8>,
    cur: Vec<u8>,
    be: bool,
    compress: bool,
}

impl Meta {
    fn new(o: &Opts) -> Self {
        Meta {
            done: Vec::new(),
            cur: Vec::new(),
            be: o.be,
            compress: o.compress_meta,
        }
    }
    /// (block offset in the table, offset in the block) of the next byte.
    fn pos(&self) -> (u64, u64) {
        (self.done.len() as u64, self.cur.len() as u64)
    }
    fn flush(&mut self) {
        if self.cur.is_empty() {
            return;
        }
        let z = zlib(&self.cur);
        let (hdr, body) = if self.compress && z.len() < self.cur.len() {
            (z.len() as u16, z)
        } else {
            (
                0x8000 | self.cur.len() as u16,
                std::mem::take(&mut self.cur),
            )
        };
        let h = if self.be {
            hdr.to_be_bytes()
        } else {
            hdr.to_le_bytes()
        };
        self.done.extend_from_slice(&h);
        self.done.extend_from_slice(&body);
        self.cur.clear();
    }
    fn write(&mut self, mut b: &[u8]) {
        while !b.is_empty() {
            let n = b.len().min(METADATA - self.cur.len());
            self.cur.extend_from_slice(&b[..n]);
            b = &b[n..];
            if self.cur.len() == METADATA {
                self.flush();
            }
        }
    }
    fn finish(mut self) -> Vec<u8> {
        self.flush();
        self.done
    }
}

struct Writer {
    o: Opts,
    /// The image so far: superblock space, then data blocks.
    out: Vec<u8>,
    inodes: Meta,
    dirs: Meta,
    uids: Vec<u32>,
    gids: Vec<u32>,
    count: u32,
}

/// Directory entry type of an inode kind (2.x numbering).
fn dir_type(k: &Kind) -> u64 {
    match k {
        Kind::Dir(_) | Kind::LoopToParent => 1,
        Kind::File(_) | Kind::Lying(..) => 2,
        Kind::Symlink(_) => 3,
        Kind::Blockdev(..) => 4,
        Kind::Chardev(..) => 5,
        Kind::Fifo => 6,
        Kind::Socket => 7,
    }
}

fn index(table: &mut Vec<u32>, id: u32) -> u64 {
    match table.iter().position(|&x| x == id) {
        Some(i) => i as u64,
        None => {
            table.push(id);
            (table.len() - 1) as u64
        }
    }
}

impl Writer {
    /// Writes the 3-byte base header (type folded with the uid index's high bits)
    /// into a fresh inode buffer of `len` bytes.
    fn base(&mut self, n: &Node, t: u64, len: usize) -> Vec<u8> {
        let be = self.o.be;
        let uid = index(&mut self.uids, n.uid);
        let gid = index(&mut self.gids, n.gid);
        assert!(uid < 48 && gid < 15, "too many ids for 1.x");
        let mut b = vec![0u8; len];
        if t >= 6 {
            // IPC inode: type 0, then the real type and the uid's high bits.
            put(&mut b, 0, 4, 0, be);
            put(&mut b, 24, 4, t, be);
            put(&mut b, 28, 4, uid / 16, be);
        } else {
            put(&mut b, 0, 4, t + uid / 16 * 5, be);
        }
        put(&mut b, 4, 12, u64::from(n.mode & 0o7777), be);
        put(&mut b, 16, 4, uid % 16, be);
        put(&mut b, 20, 4, gid, be);
        self.count += 1;
        b
    }

    fn iref(&self) -> u64 {
        let (blk, off) = self.inodes.pos();
        (blk << 16) | off
    }

    /// Writes a file's data blocks; returns (start, 16-bit block list).
    fn data(&mut self, content: &[u8]) -> (u32, Vec<u16>) {
        let start = self.out.len() as u32;
        let bs = 1usize << self.o.block_log;
        let mut list = Vec::new();
        for blk in content.chunks(bs) {
            let z = zlib(blk);
            if z.len() < blk.len() {
                self.out.extend_from_slice(&z);
                list.push(z.len() as u16);
            } else {
                self.out.extend_from_slice(blk);
                // A full 32 KiB raw block is 0x8000: size bits 0 mean 32 KiB.
                list.push(0x8000 | (blk.len() & 0x7fff) as u16);
            }
        }
        (start, list)
    }

    /// Writes `n` (and below it, everything it holds); returns its inode reference.
    fn node(&mut self, n: &Node) -> u64 {
        let be = self.o.be;
        match &n.kind {
            Kind::Dir(children) => {
                let mut kids: Vec<&Node> = children.iter().collect();
                kids.sort_by(|a, b| a.name.cmp(&b.name));
                let mut refs = Vec::new();
                for k in &kids {
                    let r = match k.kind {
                        Kind::LoopToParent => None,
                        _ => Some(self.node(k)),
                    };
                    refs.push(r);
                }
                // Nothing more goes into the inode table before this directory's
                // own inode, so its reference is known now.
                let me = self.iref();
                let (dblk, doff) = self.dirs.pos();
                let mut listing = Vec::new();
                let mut i = 0;
                while i < kids.len() {
                    let blk = refs[i].unwrap_or(me) >> 16;
                    let mut j = i;
                    while j < kids.len() && j - i < 256 && refs[j].unwrap_or(me) >> 16 == blk {
                        j += 1;
                    }
                    let mut h = [0u8; 4];
                    put(&mut h, 0, 8, (j - i - 1) as u64, be);
                    put(&mut h, 8, 24, blk, be);
                    listing.extend_from_slice(&h);
                    for (k, r) in kids[i..j].iter().zip(&refs[i..j]) {
                        let mut e = [0u8; 3];
                        put(&mut e, 0, 13, r.unwrap_or(me) & 0xffff, be);
                        put(&mut e, 13, 3, dir_type(&k.kind), be);
                        put(&mut e, 16, 8, k.name.len() as u64 - 1, be);
                        listing.extend_from_slice(&e);
                        listing.extend_from_slice(k.name.as_bytes());
                    }
                    i = j;
                }
                self.dirs.write(&listing);
                let mut b = self.base(n, 1, 14);
                put(&mut b, 24, 19, listing.len() as u64, be);
                put(&mut b, 43, 13, doff, be);
                put(&mut b, 56, 32, 0x3c000000, be);
                put(&mut b, 88, 24, dblk, be);
                assert_eq!(self.iref(), me);
                self.inodes.write(&b);
                me
            }
            Kind::File(content) | Kind::Lying(content, _) => {
                let (start, list) = self.data(content);
                let size = match &n.kind {
                    Kind::Lying(_, s) => *s,
                    _ => content.len() as u32,
                };
                let mut b = self.base(n, 2, 15);
                put(&mut b, 24, 32, 0x3c000000, be);
                put(&mut b, 56, 32, u64::from(start), be);
                put(&mut b, 88, 32, u64::from(size), be);
                for s in list {
                    b.extend_from_slice(&if be { s.to_be_bytes() } else { s.to_le_bytes() });
                }
                let r = self.iref();
                self.inodes.write(&b);
                r
            }
            Kind::Symlink(target) => {
                let mut b = self.base(n, 3, 5);
                put(&mut b, 24, 16, target.len() as u64, be);
                b.extend_from_slice(target.as_bytes());
                let r = self.iref();
                self.inodes.write(&b);
                r
            }
            Kind::Blockdev(ma, mi) | Kind::Chardev(ma, mi) => {
                let t = dir_type(&n.kind);
                let mut b = self.base(n, t, 5);
                put(&mut b, 24, 16, (u64::from(*ma) << 8) | u64::from(*mi), be);
                let r = self.iref();
                self.inodes.write(&b);
                r
            }
            Kind::Fifo | Kind::Socket => {
                let b = self.base(n, dir_type(&n.kind), 4);
                let r = self.iref();
                self.inodes.write(&b);
                r
            }
            Kind::LoopToParent => unreachable!("only inside a directory"),
        }
    }
}

/// Builds a 1.x image of the directory `root` (its name is ignored).
pub fn build(root: &Node, o: Opts) -> Vec<u8> {
    assert!(matches!(root.kind, Kind::Dir(_)));
    let mut w = Writer {
        o,
        out: vec![0u8; SUPER_LEN],
        inodes: Meta::new(&o),
        dirs: Meta::new(&o),
        uids: Vec::new(),
        gids: Vec::new(),
        count: 0,
    };
    let root_ref = w.node(root);
    let be = o.be;
    let inodes = std::mem::replace(&mut w.inodes, Meta::new(&o)).finish();
    let dirs = std::mem::replace(&mut w.dirs, Meta::new(&o)).finish();
    let mut out = std::mem::take(&mut w.out);
    let inode_table = out.len() as u64;
    out.extend_from_slice(&inodes);
    let dir_table = out.len() as u64;
    out.extend_from_slice(&dirs);
    let word = |v: u32| if be { v.to_be_bytes() } else { v.to_le_bytes() };
    let uid_start = out.len() as u64;
    for &u in &w.uids {
        out.extend_from_slice(&word(u));
    }
    let gid_start = out.len() as u64;
    for &g in &w.gids {
        out.extend_from_slice(&word(g));
    }
    let used = out.len() as u64;
    let sb = &mut out[..SUPER_LEN];
    sb[..4].copy_from_slice(if be { b"sqsh" } else { b"hsqs" });
    let fields: [(usize, u32, u64); 15] = [
        (32, 32, u64::from(w.count)),
        (64, 32, used),
        (96, 32, uid_start),
        (128, 32, if w.gids.is_empty() { 0 } else { gid_start }),
        (160, 32, inode_table),
        (192, 32, dir_table),
        (224, 16, 1),
        (240, 16, 0),
        (256, 16, 1u64 << o.block_log),
        (272, 16, u64::from(o.block_log)),
        (288, 8, 0),
        (296, 8, w.uids.len() as u64),
        (304, 8, w.gids.len() as u64),
        (312, 32, 0x3c000000),
        (344, 64, root_ref),
    ];
    for (pos, width, v) in fields {
        put(sb, pos, width, v, be);
    }
    out
}
