//! Inodes of every version, read into one shape (1.x in `v1`). Layouts are given as
//! (bit position, width) pairs because versions 2 and 3 pack them as bit fields.

use super::bits::bits;
use super::meta::{Cursor, Fs};

/// Longest symlink target accepted (Linux PATH_MAX).
pub const MAX_LINK: u64 = 4096;
/// No fragment.
pub const NO_FRAG: u32 = 0xffff_ffff;

#[derive(Debug, Clone)]
pub enum Kind {
    Dir {
        /// Listing start, relative to the directory table.
        block: u64,
        offset: usize,
        /// Bytes of listing.
        len: u64,
    },
    File {
        /// Offset of the first data block in the file system.
        start: u64,
        size: u64,
        /// Fragment index and offset in the fragment block.
        frag: Option<(u32, u32)>,
        /// Where the list of block sizes begins.
        list: Cursor,
    },
    Symlink(String),
    Dev {
        chr: bool,
        major: u32,
        minor: u32,
    },
    Fifo,
    Socket,
}

#[derive(Debug, Clone)]
pub struct Inode {
    pub kind: Kind,
    pub mode: u32,
}

/// Reads the inode that `iref` (block << 16 | offset, block relative to the inode
/// table) names.
pub fn read(fs: &mut Fs, iref: u64) -> Result<Inode, String> {
    let block = fs
        .sb
        .inode_table
        .checked_add(iref >> 16)
        .filter(|&b| b < fs.sb.dir_table)
        .ok_or_else(|| format!("inode reference 0x{iref:x} is outside the inode table"))?;
    let mut c = Cursor {
        block,
        offset: (iref & 0xffff) as usize,
    };
    if fs.sb.major == 1 {
        return super::v1::inode(fs, c, iref);
    }
    let be = fs.sb.be;
    let major = fs.sb.major;
    // Every layout is at most 56 bytes before its variable part.
    let (base_len, type_bits, mode_pos, mode_bits) = match major {
        4 => (16, 16, 16, 16),
        3 => (12, 4, 4, 12),
        _ => (4, 4, 4, 12),
    };
    let mut h = fs.read(&mut c, base_len)?;
    let g = |h: &[u8], pos: usize, w: u32| {
        bits(h, pos, w, be).ok_or_else(|| format!("inode 0x{iref:x} is truncated"))
    };
    let itype = g(&h, 0, type_bits)?;
    let mode = (g(&h, mode_pos, mode_bits)? & 0o7777) as u32;
    // Body length in bytes after the base, per (version, type).
    let more = |len: usize| len.saturating_sub(base_len);
    let need = match (major, itype) {
        (4, 1) => 32,
        (4, 2) => 32,
        (4, 3 | 10) => 24,
        (4, 4 | 5 | 11 | 12) => 24,
        (4, 6 | 7 | 13 | 14) => 20,
        (4, 8) => 40,
        (4, 9) => 56,
        (3, 1) => 28,
        (3, 2) => 32,
        (3, 3..=5) => 18,
        (3, 6 | 7) => 16,
        (3, 8) => 31,
        (3, 9) => 40,
        (2, 1) => 15,
        (2, 2) => 24,
        (2, 3..=5) => 6,
        (2, 6 | 7) => 4,
        (2, 8) => 18,
        _ => {
            return Err(format!(
                "inode 0x{iref:x} has unknown type {itype} for version {major}"
            ));
        }
    };
    fs.read_into(&mut c, more(need), &mut h)?;
    let f = |pos: usize, w: u32| g(&h, pos, w);
    let kind = match (major, itype) {
        (4, 1) => Kind::Dir {
            block: f(128, 32)?,
            len: f(192, 16)?.saturating_sub(3),
            offset: f(208, 16)? as usize,
        },
        (4, 8) => Kind::Dir {
            len: f(160, 32)?.saturating_sub(3),
            block: f(192, 32)?,
            offset: f(272, 16)? as usize,
        },
        (3, 1) => Kind::Dir {
            len: f(128, 19)?.saturating_sub(3),
            offset: f(147, 13)? as usize,
            block: f(160, 32)?,
        },
        (3, 8) => Kind::Dir {
            len: f(128, 27)?.saturating_sub(3),
            offset: f(155, 13)? as usize,
            block: f(168, 32)?,
        },
        (2, 1) => Kind::Dir {
            len: f(32, 19)?,
            offset: f(51, 13)? as usize,
            block: f(96, 24)?,
        },
        (2, 8) => Kind::Dir {
            len: f(32, 27)?,
            offset: f(59, 13)? as usize,
            block: f(104, 24)?,
        },
        (4, 2) => file(
            f(128, 32)?,
            f(160, 32)? as u32,
            f(192, 32)? as u32,
            f(224, 32)?,
            c,
        ),
        (4, 9) => file(
            f(128, 64)?,
            f(352, 32)? as u32,
            f(384, 32)? as u32,
            f(192, 64)?,
            c,
        ),
        (3, 2) => file(
            f(96, 64)?,
            f(160, 32)? as u32,
            f(192, 32)? as u32,
            f(224, 32)?,
            c,
        ),
        (3, 9) => file(
            f(128, 64)?,
            f(192, 32)? as u32,
            f(224, 32)? as u32,
            f(256, 64)?,
            c,
        ),
        (2, 2) => file(
            f(64, 32)?,
            f(96, 32)? as u32,
            f(128, 32)? as u32,
            f(160, 32)?,
            c,
        ),
        (_, 3 | 10) => {
            let len = match major {
                4 => f(160, 32)?,
                3 => f(128, 16)?,
                _ => f(32, 16)?,
            };
            if len > MAX_LINK {
                return Err(format!(
                    "symlink inode 0x{iref:x} claims a {len}-byte target"
                ));
            }
            let t = fs.read(&mut c, len as usize)?;
            Kind::Symlink(String::from_utf8_lossy(&t).into_owned())
        }
        (_, 4 | 5 | 11 | 12) => {
            let (major_n, minor_n) = match major {
                4 => {
                    let r = f(160, 32)? as u32;
                    ((r >> 8) & 0xfff, (r & 0xff) | ((r >> 12) & 0xfff00))
                }
                3 => {
                    let r = f(128, 16)? as u32;
                    (r >> 8, r & 0xff)
                }
                _ => {
                    let r = f(32, 16)? as u32;
                    (r >> 8, r & 0xff)
                }
            };
            Kind::Dev {
                chr: matches!(itype, 5 | 12),
                major: major_n,
                minor: minor_n,
            }
        }
        (_, 6 | 13) => Kind::Fifo,
        (_, 7 | 14) => Kind::Socket,
        _ => {
            return Err(format!(
                "inode 0x{iref:x} has unknown type {itype} for version {major}"
            ));
        }
    };
    Ok(Inode { kind, mode })
}

fn file(start: u64, frag: u32, frag_off: u32, size: u64, list: Cursor) -> Kind {
    Kind::File {
        start,
        size,
        frag: (frag != NO_FRAG).then_some((frag, frag_off)),
        list,
    }
}
