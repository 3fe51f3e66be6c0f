//! What version 1.x does differently from 2.x: a 51-byte superblock whose uid and
//! gid tables close the image, 3-byte inode headers that fold the high bits of the
//! uid index into the inode type, no fragments, and 16-bit data block sizes. The
//! directory listings are those of 2.x and are read by `dir`.

use super::inode::{Inode, Kind, MAX_LINK};
use super::meta::{Cursor, Fs};
use super::superblock::Super;

/// Data block size word: the block is stored uncompressed.
pub const BLOCK_RAW: u64 = 1 << 15;
/// Most uids and gids a 1.x image can index (4-bit index plus 2 bits in the type).
const MAX_UIDS: u32 = 48;
const MAX_GIDS: u32 = 15;
/// Inode types 1 to 5 repeat three times, the repeat being the uid index's high bits.
const TYPES: u64 = 5;

/// The uid and gid tables of a 1.x image: 32-bit ids, the gid table (if any) last,
/// each ending exactly where the next thing starts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ids {
    pub uid_start: u64,
    pub gid_start: u64,
    pub uids: u32,
    pub gids: u32,
}

impl Ids {
    /// The tables must tile the end of the image exactly, after the directory table:
    /// this is what lets `bytes_used` be trusted as the image's length.
    pub fn validate(&self, sb: &Super) -> Result<(), String> {
        if self.uids == 0 || self.uids > MAX_UIDS || self.gids > MAX_GIDS {
            return Err(format!(
                "{} uids and {} gids is not a 1.x id table",
                self.uids, self.gids
            ));
        }
        let uid_end = if self.gids > 0 {
            if self.gid_start + u64::from(self.gids) * 4 != sb.bytes_used {
                return Err(format!(
                    "gid table at 0x{:x} does not end at bytes used {}",
                    self.gid_start, sb.bytes_used
                ));
            }
            self.gid_start
        } else {
            sb.bytes_used
        };
        if self.uid_start + u64::from(self.uids) * 4 != uid_end {
            return Err(format!(
                "uid table at 0x{:x} does not end at 0x{uid_end:x}",
                self.uid_start
            ));
        }
        if sb.dir_table > self.uid_start {
            return Err(format!(
                "directory table 0x{:x} starts after the uid table 0x{:x}",
                sb.dir_table, self.uid_start
            ));
        }
        Ok(())
    }
}

/// Reads the 1.x inode at cursor `c` (named `iref` in messages).
pub fn inode(fs: &mut Fs, mut c: Cursor, iref: u64) -> Result<Inode, String> {
    let be = fs.sb.be;
    let mut h = fs.read(&mut c, 3)?;
    let g = |h: &[u8], pos: usize, w: u32| {
        super::bits::bits(h, pos, w, be).ok_or_else(|| format!("inode 0x{iref:x} is truncated"))
    };
    let itype = g(&h, 0, 4)?;
    let mode = g(&h, 4, 12)? as u32;
    if itype == 0 {
        // IPC inode: one more byte says FIFO or socket (and holds uid bits).
        fs.read_into(&mut c, 1, &mut h)?;
        let kind = if g(&h, 24, 4)? == 7 {
            Kind::Socket
        } else {
            Kind::Fifo
        };
        return Ok(Inode { kind, mode });
    }
    let t = (itype - 1) % TYPES + 1;
    let need = match t {
        1 => 14,
        2 => 15,
        _ => 5,
    };
    fs.read_into(&mut c, need - 3, &mut h)?;
    let f = |pos: usize, w: u32| g(&h, pos, w);
    let kind = match t {
        1 => Kind::Dir {
            len: f(24, 19)?,
            offset: f(43, 13)? as usize,
            block: f(88, 24)?,
        },
        2 => Kind::File {
            start: f(56, 32)?,
            size: f(88, 32)?,
            frag: None,
            list: c,
        },
        3 => {
            let len = f(24, 16)?;
            if len > MAX_LINK {
                return Err(format!(
                    "symlink inode 0x{iref:x} claims a {len}-byte target"
                ));
            }
            let target = fs.read(&mut c, len as usize)?;
            Kind::Symlink(String::from_utf8_lossy(&target).into_owned())
        }
        _ => {
            let rdev = f(24, 16)? as u32;
            Kind::Dev {
                chr: t == 5,
                major: rdev >> 8,
                minor: rdev & 0xff,
            }
        }
    };
    Ok(Inode { kind, mode })
}

/// Decodes a 1.x block list entry into (stored size, stored uncompressed). A size
/// of zero means a whole 32 KiB block, the largest 1.x knows.
pub fn block_word(w: u64) -> (u64, bool) {
    let size = w & (BLOCK_RAW - 1);
    (if size == 0 { BLOCK_RAW } else { size }, w & BLOCK_RAW != 0)
}
