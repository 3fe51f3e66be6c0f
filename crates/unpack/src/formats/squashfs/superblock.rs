//! The superblock of every squashfs version, in both byte orders, reduced to the
//! facts the reader needs. Validation here is what makes a magic match a file system.

use super::bits::int;

/// Metadata blocks (inode, directory, fragment tables) never inflate past this.
pub const METADATA_SIZE: usize = 8192;

/// Compressor ids of squashfs 4 (earlier versions always say zlib).
pub const GZIP: u16 = 1;
pub const LZMA: u16 = 2;
pub const LZO: u16 = 3;
pub const XZ: u16 = 4;
pub const LZ4: u16 = 5;
pub const ZSTD: u16 = 6;

/// Flag bit of versions 1 to 3: every metadata block carries a check byte.
const FLAG_CHECK: u16 = 1 << 2;

#[derive(Debug, Clone)]
pub struct Super {
    pub major: u16,
    pub minor: u16,
    pub be: bool,
    pub magic: [u8; 4],
    pub compressor: u16,
    pub block_size: u32,
    pub block_log: u16,
    pub flags: u16,
    pub inodes: u32,
    pub bytes_used: u64,
    /// Root inode reference: metadata block offset << 16 | offset in the block.
    pub root: u64,
    pub inode_table: u64,
    pub dir_table: u64,
    pub frag_table: u64,
    pub frags: u32,
    /// Version 1.x only (zero otherwise): the uid and gid tables that close the image.
    pub ids: super::v1::Ids,
}

impl Super {
    /// Parses and validates the superblock at the start of `d` (which runs to the
    /// end of the enclosing data). The error says which check failed.
    pub fn parse(d: &[u8]) -> Result<Super, String> {
        let magic: [u8; 4] = d
            .get(..4)
            .and_then(|m| m.try_into().ok())
            .ok_or("truncated superblock")?;
        // The major version sits at byte 28 in every layout: it decides the byte order.
        let le = int(d, 28, 2, false).ok_or("truncated superblock")? as u16;
        let be_major = int(d, 28, 2, true).ok_or("truncated superblock")? as u16;
        let be = match (le, be_major) {
            (1..=4, _) => false,
            (_, 1..=4) => true,
            _ => return Err(format!("unknown version {le} (or {be_major} big-endian)")),
        };
        let g = |off: usize, len: usize| int(d, off, len, be).ok_or("truncated superblock");
        let major = g(28, 2)? as u16;
        let minor = g(30, 2)? as u16;
        let sb = if major == 4 {
            Super {
                major,
                minor,
                be,
                magic,
                inodes: g(4, 4)? as u32,
                block_size: g(12, 4)? as u32,
                frags: g(16, 4)? as u32,
                compressor: g(20, 2)? as u16,
                block_log: g(22, 2)? as u16,
                flags: g(24, 2)? as u16,
                root: g(32, 8)?,
                bytes_used: g(40, 8)?,
                inode_table: g(64, 8)?,
                dir_table: g(72, 8)?,
                frag_table: g(80, 8)?,
                ids: super::v1::Ids::default(),
            }
        } else {
            let v3 = major == 3;
            Super {
                major,
                minor,
                be,
                magic,
                inodes: g(4, 4)? as u32,
                block_log: g(34, 2)? as u16,
                flags: g(36, 1)? as u16,
                compressor: GZIP,
                root: g(43, 8)?,
                block_size: if major == 1 {
                    g(32, 2)? as u32
                } else {
                    g(51, 4)? as u32
                },
                frags: if major == 1 { 0 } else { g(55, 4)? as u32 },
                bytes_used: if v3 { g(63, 8)? } else { g(8, 4)? },
                inode_table: if v3 { g(87, 8)? } else { g(20, 4)? },
                dir_table: if v3 { g(95, 8)? } else { g(24, 4)? },
                frag_table: if v3 {
                    g(103, 8)?
                } else if major == 2 {
                    g(59, 4)?
                } else {
                    0
                },
                ids: if major == 1 {
                    super::v1::Ids {
                        uid_start: g(12, 4)?,
                        gid_start: g(16, 4)?,
                        uids: g(37, 1)? as u32,
                        gids: g(38, 1)? as u32,
                    }
                } else {
                    super::v1::Ids::default()
                },
            }
        };
        sb.validate(d.len() as u64)?;
        Ok(sb)
    }

    fn validate(&self, avail: u64) -> Result<(), String> {
        if self.major == 4 && self.minor != 0 {
            return Err(format!("unknown version 4.{}", self.minor));
        }
        if !self.block_size.is_power_of_two()
            || !(4096..=1 << 20).contains(&self.block_size)
            || u32::from(self.block_log) >= 32
            || 1u32 << self.block_log != self.block_size
        {
            return Err(format!(
                "block size {} does not match block log {}",
                self.block_size, self.block_log
            ));
        }
        if self.major < 4 && self.block_size > 1 << 16 {
            return Err(format!(
                "block size {} is too large for version {}",
                self.block_size, self.major
            ));
        }
        if !(1..=6).contains(&self.compressor) {
            return Err(format!("unknown compressor id {}", self.compressor));
        }
        // A 1.x superblock is 51 bytes; later ones 96.
        let min = if self.major == 1 { 51 } else { 96 };
        if self.bytes_used < min || self.bytes_used > avail {
            return Err(format!(
                "bytes used {} is beyond the {} bytes available",
                self.bytes_used, avail
            ));
        }
        if self.inodes == 0 {
            return Err("no inodes".into());
        }
        let tables = [self.inode_table, self.dir_table];
        if tables.iter().any(|&t| t < 40 || t >= self.bytes_used)
            || self.inode_table > self.dir_table
        {
            return Err(format!(
                "inode table 0x{:x} or directory table 0x{:x} lies outside the {} bytes used",
                self.inode_table, self.dir_table, self.bytes_used
            ));
        }
        if self.frags > 0 && self.frag_table >= self.bytes_used {
            return Err(format!(
                "fragment table 0x{:x} lies outside the {} bytes used",
                self.frag_table, self.bytes_used
            ));
        }
        // The root inode must be inside the inode table.
        let root_block = self.root >> 16;
        if self.inode_table + root_block >= self.dir_table {
            return Err(format!(
                "root inode reference 0x{:x} is outside the inode table",
                self.root
            ));
        }
        if self.major == 1 {
            self.ids.validate(self)?;
        }
        Ok(())
    }

    /// Versions 1 to 3 may add a check byte after each metadata block header.
    pub fn check_byte(&self) -> bool {
        self.major < 4 && self.flags & FLAG_CHECK != 0
    }

    pub fn order(&self) -> &'static str {
        if self.be { "BE" } else { "LE" }
    }
}
