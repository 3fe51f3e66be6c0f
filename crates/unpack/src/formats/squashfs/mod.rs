//! squashfs 1.x, 2.x, 3.x and 4.0 in both byte orders, with every compressor and the
//! vendor LZMA variants found in router firmware. Our own reader (not backhand):
//! the old versions and vendor forms matter for firmware, and every offset and size
//! read from the image is checked before use.

mod bits;
mod decomp;
mod dir;
mod file;
mod inode;
mod meta;
mod superblock;
mod v1;

use std::collections::{HashMap, HashSet};

use crate::format::{Confidence, Format, Magic, Probe};
use crate::report::EntryKind;
use crate::{Error, Sink};

use inode::Kind;
use meta::Fs;
use superblock::Super;

pub struct Squashfs;

/// Deepest directory nesting followed.
const MAX_DEPTH: u32 = 256;
/// Inode table blocks the probe decodes at most to name the compressor.
const PROBE_BLOCKS: usize = 16;
/// How far into the directory table the probe looks for a compressed block.
const METADATA_SPAN: u64 = 16 * 8192;
/// Entry errors tolerated before the extraction is abandoned.
const MAX_ENTRY_ERRORS: usize = 200;

/// Standard magics in both byte orders and the vendor ones (DD-WRT `shsq`/`qshs`,
/// `hsqt`/`tqsh`, squashfs-lzma `sqlz`): byte order is decided by the version field.
const MAGICS: &[Magic] = &[
    Magic::at0(b"hsqs"),
    Magic::at0(b"sqsh"),
    Magic::at0(b"shsq"),
    Magic::at0(b"qshs"),
    Magic::at0(b"hsqt"),
    Magic::at0(b"tqsh"),
    Magic::at0(b"sqlz"),
];

fn describe(sb: &Super, method: &str) -> String {
    let bs = sb.block_size;
    let block = if bs >= 1024 && bs.is_multiple_of(1024) {
        format!("{} KiB", bs / 1024)
    } else {
        format!("{bs} bytes")
    };
    let magic = String::from_utf8_lossy(&sb.magic).into_owned();
    let vendor = if matches!(&sb.magic, b"hsqs" | b"sqsh") {
        String::new()
    } else {
        format!(", magic {magic:?}")
    };
    format!(
        "squashfs {}.{} {}, {method}, {} inodes, block {block}{vendor}",
        sb.major,
        sb.minor,
        sb.order(),
        sb.inodes
    )
}

/// Length with the 4 KiB padding mkfs adds, when that padding is really there.
fn padded_len(data: &[u8], start: usize, used: u64) -> u64 {
    let padded = used.div_ceil(4096) * 4096;
    let zeros = usize::try_from(padded)
        .ok()
        .and_then(|p| start.checked_add(p))
        .and_then(|end| data.get(start + used as usize..end))
        .is_some_and(|pad| pad.iter().all(|&b| b == 0));
    if zeros && padded > used { padded } else { used }
}

impl Format for Squashfs {
    fn name(&self) -> &'static str {
        "squashfs"
    }
    fn magics(&self) -> &'static [Magic] {
        MAGICS
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let sb = Super::parse(d).ok()?;
        let used = sb.bytes_used;
        // Decoding the root inode's metadata block proves the file system; the first
        // compressed block of the inode or directory table names the compressor
        // variant (some images store all inodes uncompressed).
        let mut fs = Fs::new(d.get(..used as usize)?, sb.clone(), start);
        let root_block = sb.inode_table.checked_add(sb.root >> 16)?;
        fs.meta_block(root_block).ok()?;
        let mut pos = sb.inode_table;
        for _ in 0..PROBE_BLOCKS {
            if fs.dec.current.is_some() || pos >= sb.dir_table.saturating_add(METADATA_SPAN) {
                break;
            }
            match fs.meta_block(pos) {
                Ok((_, next)) => pos = next,
                Err(_) => break,
            }
        }
        if fs.dec.current.is_none() {
            // All metadata stored raw: a file's first block names the compressor.
            sample_file(&mut fs);
        }
        let method = match fs.dec.current {
            Some(m) if sb.compressor == superblock::GZIP && m != decomp::Method::Zlib => {
                format!("{} under the gzip id", m.describe())
            }
            Some(m) => m.describe(),
            None => "uncompressed metadata".into(),
        };
        Some(Probe::extract(
            Some(padded_len(data, start, used)),
            Confidence::Strong,
            describe(&sb, &method),
        ))
    }
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error> {
        let d = data.get(start..).unwrap_or(&[]);
        let sb = Super::parse(d)
            .map_err(|e| Error::bad(format!("squashfs superblock at 0x{start:x}: {e}")))?;
        let used = sb.bytes_used as usize;
        let fs = Fs::new(d.get(..used).unwrap_or(d), sb, start);
        Walker::new(fs).run(sink)?;
        Ok(probe.len.unwrap_or(used as u64))
    }
}

/// Reads the first byte of the first non-empty file found near the root, so that
/// its data block (or fragment) is decoded. Looks at a bounded number of entries.
fn sample_file(fs: &mut Fs) {
    let mut dirs = std::collections::VecDeque::from([fs.sb.root]);
    let mut budget = 64usize;
    while let Some(dref) = dirs.pop_front() {
        let Ok(inode::Inode {
            kind: Kind::Dir { block, offset, len },
            ..
        }) = inode::read(fs, dref)
        else {
            continue;
        };
        let Ok(list) = dir::list(fs, block, offset, len) else {
            continue;
        };
        for e in list {
            if budget == 0 {
                return;
            }
            budget -= 1;
            match inode::read(fs, e.iref) {
                Ok(inode::Inode {
                    kind: Kind::Dir { .. },
                    ..
                }) => dirs.push_back(e.iref),
                Ok(inode::Inode {
                    kind:
                        Kind::File {
                            start,
                            size,
                            frag,
                            list,
                        },
                    ..
                }) if size > 0 => {
                    let mut byte = [0u8; 1];
                    let mut r = file::FileReader::new(fs, start, size, frag, list);
                    let _ = std::io::Read::read(&mut r, &mut byte);
                    return;
                }
                _ => {}
            }
        }
    }
}

/// The tree walk: iterative, with every directory inode visited once.
struct Walker<'a> {
    fs: Fs<'a>,
    /// Directory inodes already entered (a second visit is a loop).
    seen_dirs: HashSet<u64>,
    /// Regular-file inodes already written, with their first path (hard links).
    seen_files: HashMap<u64, String>,
    errors: Vec<String>,
}

impl<'a> Walker<'a> {
    fn new(fs: Fs<'a>) -> Self {
        Walker {
            fs,
            seen_dirs: HashSet::new(),
            seen_files: HashMap::new(),
            errors: Vec::new(),
        }
    }

    fn run(mut self, sink: &mut Sink) -> Result<(), Error> {
        let base = self.fs.base;
        let root = self.fs.sb.root;
        let ino = inode::read(&mut self.fs, root)
            .map_err(|e| Error::bad(format!("squashfs at 0x{base:x}: root inode: {e}")))?;
        if !matches!(ino.kind, Kind::Dir { .. }) {
            return Err(Error::bad(format!(
                "squashfs at 0x{base:x}: the root inode is not a directory"
            )));
        }
        self.seen_dirs.insert(root);
        let mut stack: Vec<(inode::Inode, String, u32)> = vec![(ino, String::new(), 0)];
        while let Some((dir_ino, path, depth)) = stack.pop() {
            let Kind::Dir { block, offset, len } = dir_ino.kind else {
                continue;
            };
            let entries = match dir::list(&mut self.fs, block, offset, len) {
                Ok(e) => e,
                Err(e) => {
                    self.error(format!("directory /{path}: {e}"))?;
                    continue;
                }
            };
            for e in entries {
                let name = String::from_utf8_lossy(&e.name).into_owned();
                if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
                    sink.warn(format!("squashfs: skipped entry {name:?} in /{path}"));
                    continue;
                }
                let child = if path.is_empty() {
                    name
                } else {
                    format!("{path}/{name}")
                };
                let ino = match inode::read(&mut self.fs, e.iref) {
                    Ok(i) => i,
                    Err(err) => {
                        self.error(format!("/{child}: {err}"))?;
                        continue;
                    }
                };
                let res = match &ino.kind {
                    Kind::Dir { .. } => {
                        if !self.seen_dirs.insert(e.iref) {
                            self.error(format!(
                                "/{child}: directory inode 0x{:x} seen before (a loop)",
                                e.iref
                            ))?;
                            continue;
                        }
                        if depth + 1 >= MAX_DEPTH {
                            self.error(format!("/{child}: nesting deeper than {MAX_DEPTH}"))?;
                            continue;
                        }
                        let r = sink.dir(&child, ino.mode);
                        if r.is_ok() {
                            stack.push((ino, child.clone(), depth + 1));
                        }
                        r
                    }
                    Kind::File {
                        start,
                        size,
                        frag,
                        list,
                    } => {
                        if let Some(first) = self.seen_files.get(&e.iref) {
                            sink.hardlink(&child, first)
                        } else {
                            let mut r =
                                file::FileReader::new(&mut self.fs, *start, *size, *frag, *list);
                            let out = sink.file(&child, ino.mode, &mut r).map(|_| ());
                            self.seen_files.insert(e.iref, child.clone());
                            out
                        }
                    }
                    Kind::Symlink(t) => sink.symlink(&child, t),
                    Kind::Dev { chr, major, minor } => {
                        let k = if *chr {
                            EntryKind::Chardev
                        } else {
                            EntryKind::Blockdev
                        };
                        sink.special(&child, k, ino.mode, Some((*major, *minor)))
                    }
                    Kind::Fifo => sink.special(&child, EntryKind::Fifo, ino.mode, None),
                    Kind::Socket => sink.special(&child, EntryKind::Socket, ino.mode, None),
                };
                match res {
                    Ok(()) => {}
                    Err(e @ (Error::Quota(_) | Error::Io { .. })) => return Err(e),
                    Err(err) => self.error(format!("/{child}: {err}"))?,
                }
            }
        }
        if let Some(first) = self.errors.first() {
            return Err(Error::bad(format!(
                "squashfs at 0x{base:x}: {} entries failed; first: {first}",
                self.errors.len()
            )));
        }
        Ok(())
    }

    /// Records a bad entry; too many of them abandon the extraction.
    fn error(&mut self, msg: String) -> Result<(), Error> {
        self.errors.push(msg);
        if self.errors.len() >= MAX_ENTRY_ERRORS {
            return Err(Error::bad(format!(
                "squashfs at 0x{:x}: abandoned after {} bad entries; first: {}",
                self.fs.base,
                self.errors.len(),
                self.errors.first().map(String::as_str).unwrap_or("")
            )));
        }
        Ok(())
    }
}
