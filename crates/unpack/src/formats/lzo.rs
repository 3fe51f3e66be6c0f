//! lzop files: a checksummed header, then blocks of LZO1X (or stored) data, each with
//! its sizes and optional Adler-32/CRC-32 of the decompressed and compressed bytes.

use std::io::{self, Read};

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::lzma::finish_stream;
use crate::formats::{u16_at, u32_at};
use crate::{Error, Sink};

pub struct Lzo;

const MAGIC: &[u8] = b"\x89LZO\x00\r\n\x1a\n";
/// lzop refuses blocks larger than this, and so do we.
const MAX_BLOCK: u32 = 64 << 20;

const F_ADLER32_D: u32 = 0x1;
const F_ADLER32_C: u32 = 0x2;
const F_H_EXTRA_FIELD: u32 = 0x40;
const F_CRC32_D: u32 = 0x100;
const F_CRC32_C: u32 = 0x200;
const F_H_FILTER: u32 = 0x800;
const F_H_CRC32: u32 = 0x1000;

/// Adler-32 as lzop computes it (seed 1 for a fresh sum).
fn adler32(seed: u32, d: &[u8]) -> u32 {
    let (mut a, mut b) = (seed & 0xffff, seed >> 16);
    // 5552 is the longest run before the sums could overflow a u32.
    for chunk in d.chunks(5552) {
        for &x in chunk {
            a += x as u32;
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    (b << 16) | a
}

struct Header {
    flags: u32,
    method: u8,
    name: String,
    /// Offset of the first block.
    len: usize,
}

fn header(d: &[u8]) -> Option<Header> {
    if d.get(..9)? != MAGIC {
        return None;
    }
    let mut p = 9usize;
    let version = u16_at(d, p, true)?;
    p += 4; // version, library version
    if version >= 0x0940 {
        p += 2; // version needed to extract
    }
    let method = *d.get(p)?;
    if !matches!(method, 1..=3) {
        return None;
    }
    p += 1;
    if version >= 0x0940 {
        p += 1; // level
    }
    let flags = u32_at(d, p, true)?;
    p += 4;
    if flags & F_H_FILTER != 0 {
        p += 4;
    }
    p += 8; // mode, mtime low
    if version >= 0x0940 {
        p += 4; // mtime high
    }
    let name_len = *d.get(p)? as usize;
    p += 1;
    let name = String::from_utf8_lossy(d.get(p..p + name_len)?).into_owned();
    p += name_len;
    let stored = u32_at(d, p, true)?;
    let hdr = d.get(9..p)?;
    let sum = if flags & F_H_CRC32 != 0 {
        crc32fast::hash(hdr)
    } else {
        adler32(1, hdr)
    };
    if sum != stored {
        return None;
    }
    p += 4;
    if flags & F_H_EXTRA_FIELD != 0 {
        let extra = u32_at(d, p, true)? as usize;
        p = p.checked_add(8)?.checked_add(extra)?;
    }
    (p <= d.len()).then_some(Header {
        flags,
        method,
        name,
        len: p,
    })
}

/// Walks the block headers to the end mark without decoding: the file's length.
fn file_len(d: &[u8], h: &Header) -> Option<usize> {
    let mut p = h.len;
    loop {
        let dst = u32_at(d, p, true)?;
        p += 4;
        if dst == 0 {
            return Some(p);
        }
        let src = u32_at(d, p, true)?;
        p += 4;
        if dst > MAX_BLOCK || src > dst || src == 0 {
            return None;
        }
        let mut sums = (h.flags & F_ADLER32_D != 0) as usize + (h.flags & F_CRC32_D != 0) as usize;
        if src < dst {
            sums += (h.flags & F_ADLER32_C != 0) as usize + (h.flags & F_CRC32_C != 0) as usize;
        }
        p = p.checked_add(4 * sums + src as usize)?;
        if p > d.len() {
            return None;
        }
    }
}

/// Streams the blocks of one lzop file.
struct Blocks<'a> {
    d: &'a [u8],
    pos: usize,
    flags: u32,
    buf: Vec<u8>,
    at: usize,
    done: bool,
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl Blocks<'_> {
    fn field(&mut self) -> io::Result<u32> {
        let v = u32_at(self.d, self.pos, true)
            .ok_or_else(|| bad(format!("lzop truncated at +0x{:x}", self.pos)))?;
        self.pos += 4;
        Ok(v)
    }
    fn next_block(&mut self) -> io::Result<()> {
        let at = self.pos;
        let dst_len = self.field()?;
        if dst_len == 0 {
            self.done = true;
            self.buf.clear();
            return Ok(());
        }
        let src_len = self.field()?;
        if dst_len > MAX_BLOCK || src_len > dst_len || src_len == 0 {
            return Err(bad(format!(
                "lzop block at +0x{at:x}: sizes {src_len} -> {dst_len} are impossible"
            )));
        }
        let d_adler = (self.flags & F_ADLER32_D != 0)
            .then(|| self.field())
            .transpose()?;
        let d_crc = (self.flags & F_CRC32_D != 0)
            .then(|| self.field())
            .transpose()?;
        if src_len < dst_len {
            // Compressed-data checksums: the decompressed ones cover the same ground.
            if self.flags & F_ADLER32_C != 0 {
                self.field()?;
            }
            if self.flags & F_CRC32_C != 0 {
                self.field()?;
            }
        }
        let src = self
            .d
            .get(self.pos..self.pos.saturating_add(src_len as usize))
            .filter(|s| s.len() == src_len as usize)
            .ok_or_else(|| bad(format!("lzop block at +0x{at:x} is truncated")))?;
        self.buf.clear();
        if src_len == dst_len {
            self.buf.extend_from_slice(src);
        } else {
            self.buf.resize(dst_len as usize, 0);
            let n = lzokay::decompress::decompress(src, &mut self.buf)
                .map_err(|e| bad(format!("lzop block at +0x{at:x}: lzo1x {e:?}")))?;
            if n != dst_len as usize {
                return Err(bad(format!(
                    "lzop block at +0x{at:x} decoded to {n} bytes, not {dst_len}"
                )));
            }
        }
        if d_adler.is_some_and(|s| s != adler32(1, &self.buf))
            || d_crc.is_some_and(|s| s != crc32fast::hash(&self.buf))
        {
            return Err(bad(format!("lzop block at +0x{at:x}: checksum mismatch")));
        }
        self.pos += src_len as usize;
        self.at = 0;
        Ok(())
    }
}

impl Read for Blocks<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.buf.len() {
            if self.done {
                return Ok(0);
            }
            self.next_block()?;
        }
        let src = self.buf.get(self.at..).unwrap_or(&[]);
        let n = src.len().min(out.len());
        out[..n].copy_from_slice(&src[..n]);
        self.at += n;
        Ok(n)
    }
}

impl Format for Lzo {
    fn name(&self) -> &'static str {
        "lzo"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let h = header(d)?;
        // A truncated file (no end mark) is still extracted, as far as it goes.
        let len = file_len(d, &h);
        let method = ["LZO1X-1", "LZO1X-1(15)", "LZO1X-999"]
            .get(h.method as usize - 1)
            .copied()
            .unwrap_or("?");
        Some(Probe::extract(
            len.map(|l| l as u64),
            Confidence::Strong,
            format!("lzop, {method}, original name {:?}", h.name),
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
        let h = header(d).ok_or_else(|| Error::bad("lzop header no longer valid"))?;
        let name = h
            .name
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty() && *n != "." && *n != "..")
            .unwrap_or("decompressed")
            .to_string();
        let mut r = Blocks {
            d,
            pos: h.len,
            flags: h.flags,
            buf: Vec::new(),
            at: 0,
            done: false,
        };
        let res = sink.stream(&name, &mut r);
        let out = sink.written();
        let ended = res.is_ok();
        finish_stream("lzo", start, res, out, ended, r.pos as u64, sink)
    }
}
