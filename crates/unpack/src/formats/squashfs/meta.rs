//! Metadata blocks: 8 KiB units, each behind a 16-bit length whose top bit means
//! "stored uncompressed", chained back to back. Inodes, directories and the
//! fragment table are addressed as (block offset, offset within the block).

use std::collections::HashMap;
use std::rc::Rc;

use super::bits::int;
use super::decomp::Decomp;
use super::superblock::{METADATA_SIZE, Super};

/// Decompressed metadata kept for reuse; dropped wholesale when it grows past this.
const CACHE_BYTES: usize = 32 << 20;

/// The file system being read: its bytes (exactly `bytes_used` long), superblock,
/// decompressor and caches. Offsets are relative to the start of the file system;
/// `base` turns them into offsets in the enclosing data for messages.
pub struct Fs<'a> {
    pub d: &'a [u8],
    pub sb: Super,
    pub base: usize,
    pub dec: Decomp,
    cache: HashMap<u64, (Rc<Vec<u8>>, u64)>,
    cached: usize,
    /// Last fragment block decoded: (its offset, its bytes).
    pub frag_cache: Option<(u64, Rc<Vec<u8>>)>,
}

/// A read position inside a chain of metadata blocks.
#[derive(Debug, Clone, Copy)]
pub struct Cursor {
    /// Offset of the current block's header in the file system.
    pub block: u64,
    pub offset: usize,
}

impl<'a> Fs<'a> {
    pub fn new(d: &'a [u8], sb: Super, base: usize) -> Self {
        let dec = Decomp::new(&sb);
        Fs {
            d,
            sb,
            base,
            dec,
            cache: HashMap::new(),
            cached: 0,
            frag_cache: None,
        }
    }

    /// Offset in the enclosing data, for error messages.
    pub fn at(&self, off: u64) -> u64 {
        off.saturating_add(self.base as u64)
    }

    /// Decodes the metadata block at `pos`; returns its bytes and the next block's offset.
    pub fn meta_block(&mut self, pos: u64) -> Result<(Rc<Vec<u8>>, u64), String> {
        if let Some((b, next)) = self.cache.get(&pos) {
            return Ok((b.clone(), *next));
        }
        let p = usize::try_from(pos).map_err(|_| "offset overflow".to_string())?;
        let at = self.at(pos);
        // AVM's big-endian 4.0 images keep these 16-bit headers little-endian.
        let h = int(self.d, p, 2, self.sb.be && self.sb.major < 4)
            .ok_or_else(|| format!("metadata block at 0x{at:x} lies beyond the file system"))?
            as usize;
        let mut start = p + 2;
        if self.sb.check_byte() {
            start += 1;
        }
        let len = h & 0x7fff;
        let end = start + len;
        let raw = self
            .d
            .get(start..end)
            .ok_or_else(|| format!("metadata block at 0x{at:x} ({len} bytes) runs past the end"))?;
        if len == 0 || len > METADATA_SIZE + 64 {
            return Err(format!("metadata block at 0x{at:x} has a bad length {len}"));
        }
        let bytes = if h & 0x8000 != 0 {
            raw.to_vec()
        } else {
            self.dec
                .block(raw, METADATA_SIZE, None)
                .map_err(|e| format!("metadata block at 0x{at:x}: {e}"))?
        };
        if bytes.len() > METADATA_SIZE {
            return Err(format!("metadata block at 0x{at:x} is larger than 8 KiB"));
        }
        let b = Rc::new(bytes);
        if self.cached + b.len() > CACHE_BYTES {
            self.cache.clear();
            self.cached = 0;
        }
        self.cached += b.len();
        self.cache.insert(pos, (b.clone(), end as u64));
        Ok((b, end as u64))
    }

    /// Reads `n` bytes at the cursor, following the chain, and advances it.
    pub fn read(&mut self, c: &mut Cursor, n: usize) -> Result<Vec<u8>, String> {
        let mut out = Vec::with_capacity(n.min(METADATA_SIZE));
        self.read_into(c, n, &mut out)?;
        Ok(out)
    }

    pub fn read_into(&mut self, c: &mut Cursor, n: usize, out: &mut Vec<u8>) -> Result<(), String> {
        let mut left = n;
        while left > 0 {
            let (b, next) = self.meta_block(c.block)?;
            if c.offset >= b.len() {
                if c.offset > b.len() {
                    return Err(format!(
                        "metadata read at 0x{:x}+{} runs past the end of its table",
                        self.at(c.block),
                        c.offset
                    ));
                }
                c.offset -= b.len();
                c.block = next;
                continue;
            }
            let take = left.min(b.len() - c.offset);
            out.extend_from_slice(&b[c.offset..c.offset + take]);
            c.offset += take;
            left -= take;
        }
        Ok(())
    }
}
