//! LZ4: the frame format (0x184D2204) and the legacy format the Linux kernel and
//! initramfs use (0x184C2102: 8 MiB blocks, no end mark).
//!
//! A frame's length is found by walking its block headers, without decoding, so
//! the decoder is handed exactly the frame. A legacy stream ends at the first block
//! that decodes to less than 8 MiB (every block but the last is full), which keeps
//! the kernel's appended size field out of it.

use std::io::{self, Read};

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::lzma::finish_stream;
use crate::formats::u32_at;
use crate::{Error, Sink};

pub struct Lz4;

const FRAME_MAGIC: &[u8] = &[0x04, 0x22, 0x4d, 0x18];
const LEGACY_MAGIC: &[u8] = &[0x02, 0x21, 0x4c, 0x18];
const LEGACY_BLOCK: usize = 8 << 20;
/// LZ4_compressBound(8 MiB): no legacy block can be larger.
const LEGACY_BOUND: usize = LEGACY_BLOCK + LEGACY_BLOCK / 255 + 16;

/// Walks a frame's header and blocks; returns (length, content size if stated).
fn frame_len(d: &[u8]) -> Option<(usize, Option<u64>)> {
    if d.get(..4)? != FRAME_MAGIC {
        return None;
    }
    let flg = *d.get(4)?;
    let bd = *d.get(5)?;
    if flg >> 6 != 1 || flg & 0x02 != 0 || bd & 0x8f != 0 || (bd >> 4) < 4 {
        return None;
    }
    let max_block = 1usize << (8 + 2 * ((bd >> 4) as usize));
    let block_sum = flg & 0x10 != 0;
    let mut p = 6usize;
    let mut content = None;
    if flg & 0x08 != 0 {
        content = Some(crate::formats::u64_at(d, p, false)?);
        p += 8;
    }
    if flg & 0x01 != 0 {
        p += 4;
    }
    p += 1; // header checksum, verified by the decoder
    loop {
        let raw = u32_at(d, p, false)?;
        p += 4;
        if raw == 0 {
            break;
        }
        let size = (raw & 0x7fff_ffff) as usize;
        if size > max_block {
            return None;
        }
        p = p.checked_add(size + if block_sum { 4 } else { 0 })?;
        if p > d.len() {
            return None;
        }
    }
    if flg & 0x04 != 0 {
        p += 4;
    }
    (p <= d.len()).then_some((p, content))
}

/// Streams a legacy-format LZ4 stream block by block.
struct Legacy<'a> {
    d: &'a [u8],
    pos: usize,
    buf: Vec<u8>,
    at: usize,
    len: usize,
    done: bool,
    blocks: u64,
}

impl Legacy<'_> {
    fn next_block(&mut self) -> io::Result<()> {
        let size = u32_at(self.d, self.pos, false).map(|s| s as usize);
        let block = size
            .filter(|&s| s > 0 && s <= LEGACY_BOUND)
            .and_then(|s| self.d.get(self.pos + 4..self.pos.checked_add(4 + s)?));
        let Some(block) = block else {
            return self.end("a block size that is not plausible");
        };
        if self.buf.is_empty() {
            self.buf = vec![0u8; LEGACY_BLOCK];
        }
        match lz4_flex::block::decompress_into(block, &mut self.buf) {
            Ok(n) => {
                self.pos += 4 + block.len();
                self.blocks += 1;
                self.at = 0;
                self.len = n;
                if n < LEGACY_BLOCK {
                    self.done = true;
                }
                Ok(())
            }
            Err(e) => self.end(&e.to_string()),
        }
    }
    /// A stream without a short last block ends at the first block that is not one.
    fn end(&mut self, why: &str) -> io::Result<()> {
        if self.blocks == 0 {
            return Err(io::Error::other(format!("first lz4 block: {why}")));
        }
        self.done = true;
        self.len = 0;
        Ok(())
    }
}

impl Read for Legacy<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.at >= self.len {
            if self.done {
                return Ok(0);
            }
            self.next_block()?;
        }
        let src = self.buf.get(self.at..self.len).unwrap_or(&[]);
        let n = src.len().min(out.len());
        out[..n].copy_from_slice(&src[..n]);
        self.at += n;
        Ok(n)
    }
}

impl Format for Lz4 {
    fn name(&self) -> &'static str {
        "lz4"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(FRAME_MAGIC), Magic::at0(LEGACY_MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        if d.starts_with(LEGACY_MAGIC) {
            let first = u32_at(d, 4, false)? as usize;
            if first == 0 || first > LEGACY_BOUND || first + 8 > d.len() {
                return None;
            }
            return Some(Probe::extract(
                None,
                Confidence::Weak,
                "lz4 legacy (kernel) format",
            ));
        }
        let (len, content) = frame_len(d)?;
        let desc = match content {
            Some(c) => format!("lz4 frame, {c} bytes"),
            None => "lz4 frame".to_string(),
        };
        Some(Probe::extract(Some(len as u64), Confidence::Strong, desc))
    }
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        _probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error> {
        let d = data.get(start..).unwrap_or(&[]);
        if d.starts_with(LEGACY_MAGIC) {
            let mut r = Legacy {
                d,
                pos: 4,
                buf: Vec::new(),
                at: 0,
                len: 0,
                done: false,
                blocks: 0,
            };
            let res = sink.stream("decompressed", &mut r);
            let out = sink.written();
            let ended = res.is_ok();
            return finish_stream("lz4", start, res, out, ended, r.pos as u64, sink);
        }
        let (len, _) = frame_len(d).ok_or_else(|| Error::bad("lz4 frame no longer valid"))?;
        let frame = d.get(..len).unwrap_or(&[]);
        let mut r = crate::codec::Counting {
            inner: lz4_flex::frame::FrameDecoder::new(frame),
            count: 0,
        };
        let res = sink.stream("decompressed", &mut r as &mut dyn Read);
        let ended = res.is_ok();
        finish_stream("lz4", start, res, r.count, ended, len as u64, sink)
    }
}
