//! A regular file's contents as a `Read`: one data block decoded at a time, sparse
//! blocks as zeros, and the tail from a shared fragment block. Sizes are checked
//! against the data actually present, so a lying size ends in an error, not a loop.

use std::io::{self, Read};
use std::rc::Rc;

use super::bits::{bits, int};
use super::meta::{Cursor, Fs};
use super::v1;

/// Bit of a data block size that means "stored uncompressed".
const UNCOMPRESSED: u64 = 1 << 24;

pub struct FileReader<'f, 'a> {
    fs: &'f mut Fs<'a>,
    /// Full blocks still to read from the block list.
    blocks_left: u64,
    list: Cursor,
    /// Offset of the next data block.
    pos: u64,
    /// Bytes of the file not yet produced.
    remaining: u64,
    frag: Option<(u32, u32)>,
    buf: Vec<u8>,
    buf_pos: usize,
}

impl<'f, 'a> FileReader<'f, 'a> {
    pub fn new(
        fs: &'f mut Fs<'a>,
        start: u64,
        size: u64,
        frag: Option<(u32, u32)>,
        list: Cursor,
    ) -> Self {
        let bs = u64::from(fs.sb.block_size);
        // With a fragment, the tail lives there; without, the last block is partial.
        let blocks_left = if frag.is_some() {
            size / bs
        } else {
            size.div_ceil(bs)
        };
        FileReader {
            fs,
            blocks_left,
            list,
            pos: start,
            remaining: size,
            frag,
            buf: Vec::new(),
            buf_pos: 0,
        }
    }

    fn next_chunk(&mut self) -> Result<(), String> {
        let bs = u64::from(self.fs.sb.block_size);
        if self.blocks_left > 0 {
            self.blocks_left -= 1;
            let want = self.remaining.min(bs) as usize;
            // 1.x lists 16-bit sizes with their own flag bit; later versions 32-bit.
            let v1 = self.fs.sb.major == 1;
            let w = self.fs.read(&mut self.list, if v1 { 2 } else { 4 })?;
            let word = bits(&w, 0, w.len() as u32 * 8, self.fs.sb.be).ok_or("short block list")?;
            let (csize, raw_block) = if v1 {
                v1::block_word(word)
            } else {
                (word & !UNCOMPRESSED, word & UNCOMPRESSED != 0)
            };
            let at = self.fs.at(self.pos);
            if csize == 0 {
                self.buf.clear();
                self.buf.resize(want, 0);
            } else {
                if csize > bs {
                    return Err(format!(
                        "data block at 0x{at:x} claims {csize} bytes, more than the block size"
                    ));
                }
                let end = self.pos.checked_add(csize).ok_or("offset overflow")?;
                let raw = self
                    .fs
                    .d
                    .get(self.pos as usize..end as usize)
                    .ok_or_else(|| {
                        format!("data block at 0x{at:x} runs past the end of the image")
                    })?;
                self.buf = if raw_block {
                    raw.to_vec()
                } else {
                    self.fs
                        .dec
                        .block(raw, bs as usize, Some(want))
                        .map_err(|e| format!("data block at 0x{at:x}: {e}"))?
                };
                if self.buf.len() < want {
                    return Err(format!(
                        "data block at 0x{at:x} holds {} bytes, {want} expected",
                        self.buf.len()
                    ));
                }
                self.buf.truncate(want);
                self.pos = end;
            }
        } else if let Some((idx, off)) = self.frag.take() {
            let block = self.fragment(idx)?;
            let start = off as usize;
            let part = start
                .checked_add(self.remaining as usize)
                .and_then(|end| block.get(start..end))
                .ok_or_else(|| {
                    format!(
                        "fragment {idx} holds {} bytes; the file's tail needs {} at offset {off}",
                        block.len(),
                        self.remaining
                    )
                })?;
            self.buf = part.to_vec();
        } else {
            return Err("file data ends before its stated size".into());
        }
        self.buf_pos = 0;
        Ok(())
    }

    /// Decodes fragment block `idx` (the last one is kept: neighbours share it).
    fn fragment(&mut self, idx: u32) -> Result<Rc<Vec<u8>>, String> {
        let sb = &self.fs.sb;
        if idx >= sb.frags {
            return Err(format!(
                "fragment index {idx} is out of range ({} fragments)",
                sb.frags
            ));
        }
        let (entry, ptr) = if sb.major == 2 {
            (8u64, 4usize)
        } else {
            (16, 8)
        };
        let per_block = 8192 / entry;
        let slot = sb
            .frag_table
            .checked_add(u64::from(idx) / per_block * ptr as u64)
            .ok_or("offset overflow")?;
        let be = sb.be;
        let meta = int(self.fs.d, slot as usize, ptr, be)
            .ok_or_else(|| format!("fragment index at 0x{:x} is past the end", self.fs.at(slot)))?;
        let mut c = Cursor {
            block: meta,
            offset: (u64::from(idx) % per_block * entry) as usize,
        };
        let e = self.fs.read(&mut c, entry as usize)?;
        let (start, word) = if entry == 8 {
            (int(&e, 0, 4, be), int(&e, 4, 4, be))
        } else {
            (int(&e, 0, 8, be), int(&e, 8, 4, be))
        };
        let (start, word) = (
            start.ok_or("short fragment entry")?,
            word.ok_or("short fragment entry")?,
        );
        if let Some((s, b)) = &self.fs.frag_cache
            && *s == start
        {
            return Ok(b.clone());
        }
        let csize = word & !UNCOMPRESSED;
        let bs = u64::from(self.fs.sb.block_size);
        let at = self.fs.at(start);
        if csize == 0 || csize > bs {
            return Err(format!("fragment block at 0x{at:x} has a bad size {csize}"));
        }
        let raw = start
            .checked_add(csize)
            .and_then(|end| self.fs.d.get(start as usize..end as usize))
            .ok_or_else(|| format!("fragment block at 0x{at:x} runs past the end of the image"))?;
        let bytes = if word & UNCOMPRESSED != 0 {
            raw.to_vec()
        } else {
            self.fs
                .dec
                .block(raw, bs as usize, None)
                .map_err(|e| format!("fragment block at 0x{at:x}: {e}"))?
        };
        let b = Rc::new(bytes);
        self.fs.frag_cache = Some((start, b.clone()));
        Ok(b)
    }
}

impl Read for FileReader<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.buf_pos >= self.buf.len() {
            if self.remaining == 0 {
                return Ok(0);
            }
            self.next_chunk().map_err(io::Error::other)?;
            if self.buf.is_empty() {
                return Err(io::Error::other("file data block is empty"));
            }
        }
        let n = out.len().min(self.buf.len() - self.buf_pos);
        out[..n].copy_from_slice(&self.buf[self.buf_pos..self.buf_pos + n]);
        self.buf_pos += n;
        self.remaining = self.remaining.saturating_sub(n as u64);
        Ok(n)
    }
}
