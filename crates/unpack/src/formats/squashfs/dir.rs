//! Directory listings: runs of entries that share a header naming the metadata
//! block their inodes live in.

use super::bits::bits;
use super::meta::{Cursor, Fs};

/// Listings larger than this are refused (the format's own limit is 128 MiB,
/// far beyond any real directory).
const MAX_LISTING: u64 = 16 << 20;

pub struct Entry {
    pub name: Vec<u8>,
    /// Inode reference: block (relative to the inode table) << 16 | offset.
    pub iref: u64,
}

/// Reads the whole listing of a directory (`len` bytes at `block`/`offset`, the
/// block relative to the directory table).
pub fn list(fs: &mut Fs, block: u64, offset: usize, len: u64) -> Result<Vec<Entry>, String> {
    if len > MAX_LISTING {
        return Err(format!("directory listing of {len} bytes is implausible"));
    }
    let start = fs
        .sb
        .dir_table
        .checked_add(block)
        .filter(|&b| b < fs.d.len() as u64)
        .ok_or_else(|| format!("directory block 0x{block:x} is outside the image"))?;
    let mut c = Cursor {
        block: start,
        offset,
    };
    let be = fs.sb.be;
    let major = fs.sb.major;
    let (hdr_len, ent_len) = match major {
        4 => (12usize, 8usize),
        3 => (9, 5),
        _ => (4, 3),
    };
    let mut out = Vec::new();
    let mut used = 0u64;
    while used + hdr_len as u64 <= len {
        let h = fs.read(&mut c, hdr_len)?;
        used += hdr_len as u64;
        let g = |d: &[u8], pos: usize, w: u32| {
            bits(d, pos, w, be).ok_or_else(|| "directory entry truncated".to_string())
        };
        let (count, iblock) = match major {
            4 => (g(&h, 0, 32)?, g(&h, 32, 32)?),
            3 => (g(&h, 0, 8)?, g(&h, 8, 32)?),
            _ => (g(&h, 0, 8)?, g(&h, 8, 24)?),
        };
        if count >= 256 {
            return Err(format!(
                "directory header at 0x{:x} claims {} entries",
                fs.at(c.block),
                count + 1
            ));
        }
        for _ in 0..=count {
            if used + ent_len as u64 > len {
                return Err("directory listing ends inside an entry".into());
            }
            let e = fs.read(&mut c, ent_len)?;
            let (ioff, size) = match major {
                4 => (g(&e, 0, 16)?, g(&e, 48, 16)?),
                3 => (g(&e, 0, 13)?, g(&e, 16, 8)?),
                _ => (g(&e, 0, 13)?, g(&e, 16, 8)?),
            };
            let name_len = size + 1;
            if major == 4 && name_len > 256 {
                return Err(format!("directory entry name of {name_len} bytes"));
            }
            let name = fs.read(&mut c, name_len as usize)?;
            used += ent_len as u64 + name_len;
            out.push(Entry {
                name,
                iref: (iblock << 16) | ioff,
            });
        }
    }
    Ok(out)
}
