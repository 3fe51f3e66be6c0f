//! cpio archives: newc (`070701`), newc with checksums (`070702`), portable ASCII
//! (`070707`) and the old binary format (0x71c7, either byte order), as initramfs
//! and vendor update bundles use them. Parsed here: the format is small and the
//! details that matter (hard links by inode, device numbers) are the ones crates skip.

use std::collections::HashMap;

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::u16_at;
use crate::report::EntryKind;
use crate::{Error, Sink};

pub struct Cpio;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Newc,
    Crc,
    Odc,
    Bin { be: bool },
}

impl Kind {
    fn detect(d: &[u8]) -> Option<Kind> {
        match d.get(..6)? {
            b"070701" => Some(Kind::Newc),
            b"070702" => Some(Kind::Crc),
            b"070707" => Some(Kind::Odc),
            _ => match d.get(..2)? {
                [0xc7, 0x71] => Some(Kind::Bin { be: false }),
                [0x71, 0xc7] => Some(Kind::Bin { be: true }),
                _ => None,
            },
        }
    }
    fn name(self) -> &'static str {
        match self {
            Kind::Newc => "newc",
            Kind::Crc => "newc+crc",
            Kind::Odc => "odc (portable ASCII)",
            Kind::Bin { be: false } => "old binary, little-endian",
            Kind::Bin { be: true } => "old binary, big-endian",
        }
    }
}

/// Longest entry name accepted (PATH_MAX).
const MAX_NAME: usize = 4096;
/// Longest symlink target accepted.
const MAX_LINK: u64 = 4096;
const TRAILER: &str = "TRAILER!!!";

#[derive(Debug)]
struct Entry {
    dev: u64,
    ino: u64,
    mode: u32,
    nlink: u64,
    size: u64,
    rdev: (u32, u32),
    name: String,
    data: usize,
    next: usize,
}

fn num(field: &[u8], radix: u32) -> Option<u64> {
    let s = std::str::from_utf8(field).ok()?;
    u64::from_str_radix(s, radix).ok()
}

fn align(x: usize, a: usize) -> Option<usize> {
    x.checked_add(a - 1).map(|v| v / a * a)
}

/// Parses the entry header at `p` (offsets relative to the archive start `d`).
fn entry(d: &[u8], p: usize, kind: Kind) -> Result<Entry, String> {
    let trunc = || format!("header at +0x{p:x} is truncated");
    let (dev, ino, mode, nlink, size, rdev, namesize, name_at, name_pad, data_pad) = match kind {
        Kind::Newc | Kind::Crc => {
            let h = d.get(p..p + 110).ok_or_else(trunc)?;
            let f = |i: usize| {
                num(&h[6 + 8 * i..14 + 8 * i], 16)
                    .ok_or_else(|| format!("header at +0x{p:x}: field {i} is not hexadecimal"))
            };
            let dev = (f(7)? << 32) | f(8)?;
            let rdev = (f(9)? as u32, f(10)? as u32);
            (dev, f(0)?, f(1)?, f(4)?, f(6)?, rdev, f(11)?, p + 110, 4, 4)
        }
        Kind::Odc => {
            let h = d.get(p..p + 76).ok_or_else(trunc)?;
            let f = |a: usize, b: usize| {
                num(&h[a..b], 8)
                    .ok_or_else(|| format!("header at +0x{p:x}: field at {a} is not octal"))
            };
            let rdev = f(42, 48)?;
            let rdev = (((rdev >> 8) & 0xfff) as u32, (rdev & 0xff) as u32);
            (
                f(6, 12)?,
                f(12, 18)?,
                f(18, 24)?,
                f(36, 42)?,
                f(65, 76)?,
                rdev,
                f(59, 65)?,
                p + 76,
                1,
                1,
            )
        }
        Kind::Bin { be } => {
            let h = d.get(p..p + 26).ok_or_else(trunc)?;
            let f = |i: usize| u16_at(h, 2 * i, be).unwrap_or(0) as u64;
            if f(0) != 0o070707 {
                return Err(format!("header at +0x{p:x}: bad binary magic"));
            }
            let rdev = f(7);
            let rdev = (((rdev >> 8) & 0xff) as u32, (rdev & 0xff) as u32);
            let size = (f(11) << 16) | f(12);
            (f(1), f(2), f(3), f(6), size, rdev, f(10), p + 26, 2, 2)
        }
    };
    let namesize = namesize as usize;
    if namesize == 0 || namesize > MAX_NAME {
        return Err(format!(
            "header at +0x{p:x}: name size {namesize} is implausible"
        ));
    }
    let raw = d.get(name_at..name_at + namesize).ok_or_else(trunc)?;
    let Some((&0, name)) = raw.split_last() else {
        return Err(format!("header at +0x{p:x}: name is not NUL-terminated"));
    };
    if name.contains(&0) {
        return Err(format!("header at +0x{p:x}: name holds a NUL"));
    }
    let data = align(name_at + namesize, name_pad).ok_or_else(trunc)?;
    let end = usize::try_from(size)
        .ok()
        .and_then(|s| data.checked_add(s))
        .ok_or_else(trunc)?;
    if end > d.len() {
        return Err(format!(
            "entry at +0x{p:x} claims {size} bytes of data, past the end of the input"
        ));
    }
    Ok(Entry {
        dev,
        ino,
        mode: mode as u32,
        nlink,
        size,
        rdev,
        name: String::from_utf8_lossy(name).into_owned(),
        data,
        next: align(end, data_pad).ok_or_else(trunc)?,
    })
}

const S_IFMT: u32 = 0o170000;

impl Format for Cpio {
    fn name(&self) -> &'static str {
        "cpio"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[
            Magic::at0(b"070701"),
            Magic::at0(b"070702"),
            Magic::at0(b"070707"),
            Magic::at0(&[0xc7, 0x71]),
            Magic::at0(&[0x71, 0xc7]),
        ];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let kind = Kind::detect(d)?;
        let e = entry(d, 0, kind).ok()?;
        let ftype = e.mode & S_IFMT;
        if !matches!(
            ftype,
            0o010000 | 0o020000 | 0o040000 | 0o060000 | 0o100000 | 0o120000 | 0o140000
        ) && e.name != TRAILER
        {
            return None;
        }
        let strong = !matches!(kind, Kind::Bin { .. });
        if !strong && e.name.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return None;
        }
        Some(Probe::extract(
            None,
            if strong {
                Confidence::Strong
            } else {
                Confidence::Weak
            },
            format!("cpio, {}", kind.name()),
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
        let kind = Kind::detect(d).ok_or_else(|| Error::bad("cpio magic no longer valid"))?;
        let mut p = 0usize;
        let mut entries = 0u64;
        let mut ended = false;
        // (dev, inode) -> path of the hard-link group's data, and names still waiting
        // for it (newc stores the data with the last link only).
        let mut written: HashMap<(u64, u64), String> = HashMap::new();
        let mut waiting: HashMap<(u64, u64), Vec<(String, u32)>> = HashMap::new();
        while p < d.len() {
            if Kind::detect(&d[p..]) != Some(kind) {
                break;
            }
            let e = match entry(d, p, kind) {
                Ok(e) => e,
                Err(msg) => {
                    let err = Error::bad(format!("cpio ({}) at 0x{start:x}: {msg}", kind.name()));
                    if entries == 0 {
                        return Err(err);
                    }
                    sink.warn(err.to_string());
                    break;
                }
            };
            p = e.next.max(p + 1);
            if e.name == TRAILER {
                ended = true;
                break;
            }
            entries += 1;
            let body = d.get(e.data..e.data + e.size as usize).unwrap_or(&[]);
            match add(sink, &e, body, &mut written, &mut waiting) {
                Ok(()) => {}
                Err(err @ (Error::Quota(_) | Error::Io { .. })) => return Err(err),
                Err(err) => sink.warn(format!("cpio entry {:?}: {err}", e.name)),
            }
        }
        // Links whose data never came: they are empty files.
        for (_, names) in waiting.drain() {
            for (name, mode) in names {
                match sink.file_bytes(&name, mode, &[]) {
                    Ok(_) => {}
                    Err(err @ (Error::Quota(_) | Error::Io { .. })) => return Err(err),
                    Err(err) => sink.warn(format!("cpio entry {name:?}: {err}")),
                }
            }
        }
        if entries == 0 && !ended {
            return Err(Error::bad(format!("cpio at 0x{start:x} holds no entry")));
        }
        if !ended {
            sink.warn(format!(
                "cpio at 0x{start:x} ends at +0x{p:x} without a {TRAILER} entry"
            ));
        } else {
            // Writers pad the archive with zeros to a 512-byte block.
            let padded = align(p, 512).unwrap_or(p).min(d.len());
            if d.get(p..padded).is_some_and(|s| s.iter().all(|&b| b == 0)) {
                p = padded;
            }
        }
        Ok(p.min(d.len()) as u64)
    }
}

fn add(
    sink: &mut Sink,
    e: &Entry,
    body: &[u8],
    written: &mut HashMap<(u64, u64), String>,
    waiting: &mut HashMap<(u64, u64), Vec<(String, u32)>>,
) -> Result<(), Error> {
    let perm = e.mode & 0o7777;
    let key = (e.dev, e.ino);
    match e.mode & S_IFMT {
        0o040000 => sink.dir(&e.name, perm),
        0o120000 => {
            if e.size > MAX_LINK {
                return Err(Error::bad(format!(
                    "symlink target of {} bytes is implausible",
                    e.size
                )));
            }
            sink.symlink(&e.name, &String::from_utf8_lossy(body))
        }
        0o020000 => sink.special(&e.name, EntryKind::Chardev, perm, Some(e.rdev)),
        0o060000 => sink.special(&e.name, EntryKind::Blockdev, perm, Some(e.rdev)),
        0o010000 => sink.special(&e.name, EntryKind::Fifo, perm, None),
        0o140000 => sink.special(&e.name, EntryKind::Socket, perm, None),
        _ if e.nlink > 1 && e.size == 0 => {
            if let Some(target) = written.get(&key) {
                sink.hardlink(&e.name, target)
            } else {
                let w = waiting.entry(key).or_default();
                w.push((e.name.clone(), perm));
                Ok(())
            }
        }
        _ => {
            let mut r = body;
            sink.file(&e.name, perm, &mut r)?;
            if e.nlink > 1 {
                written.entry(key).or_insert_with(|| e.name.clone());
                for (name, _) in waiting.remove(&key).unwrap_or_default() {
                    if let Err(err) = sink.hardlink(&name, &e.name) {
                        sink.warn(format!("cpio hard link {name:?}: {err}"));
                    }
                }
            }
            Ok(())
        }
    }
}
