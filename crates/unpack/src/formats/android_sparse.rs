//! Android sparse image (`img2simg`): a 28-byte header and a list of chunks that
//! are raw blocks, a 4-byte fill pattern, "don't care" blocks or a CRC32.
//!
//! The expanded image is streamed to `image.raw` by a reader that produces the
//! blocks on demand, so memory stays constant whatever size the image states; the
//! sink's per-file and ratio quotas bound the output.

use std::io::{self, Read};

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{u16_at, u32_at};
use crate::{Error, Sink};

pub struct AndroidSparse;

const MAGIC: [u8; 4] = [0x3a, 0xff, 0x26, 0xed];
const FILE_HEADER: usize = 28;
const CHUNK_HEADER: usize = 12;
const RAW: u16 = 0xcac1;
const FILL: u16 = 0xcac2;
const DONT_CARE: u16 = 0xcac3;
const CRC32: u16 = 0xcac4;

#[derive(Debug, Clone, Copy)]
struct Header {
    major: u16,
    minor: u16,
    file_hdr: usize,
    chunk_hdr: usize,
    blk_sz: u32,
    total_blks: u32,
    total_chunks: u32,
}

fn parse(d: &[u8]) -> Option<Header> {
    if d.get(..4)? != MAGIC {
        return None;
    }
    let h = Header {
        major: u16_at(d, 4, false)?,
        minor: u16_at(d, 6, false)?,
        file_hdr: u16_at(d, 8, false)? as usize,
        chunk_hdr: u16_at(d, 10, false)? as usize,
        blk_sz: u32_at(d, 12, false)?,
        total_blks: u32_at(d, 16, false)?,
        total_chunks: u32_at(d, 20, false)?,
    };
    let ok = h.major == 1
        && h.file_hdr >= FILE_HEADER
        && h.chunk_hdr >= CHUNK_HEADER
        && h.blk_sz >= 4
        && h.blk_sz.is_multiple_of(4)
        && d.len() >= h.file_hdr;
    ok.then_some(h)
}

/// What the reader is emitting now.
enum Run {
    None,
    Raw {
        at: usize,
        left: u64,
    },
    Fill {
        pattern: [u8; 4],
        phase: usize,
        left: u64,
    },
    Zero {
        left: u64,
    },
}

/// Expands the chunks lazily; `pos` ends at the first byte after the last chunk.
struct Expander<'a> {
    d: &'a [u8],
    h: Header,
    pos: usize,
    chunks_left: u32,
    blocks: u64,
    run: Run,
}

fn bad(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

impl Expander<'_> {
    /// Reads the next chunk header; `Ok(false)` once every chunk is done.
    fn next_chunk(&mut self) -> io::Result<bool> {
        if self.chunks_left == 0 {
            return Ok(false);
        }
        let at = self.pos;
        let (Some(kind), Some(blocks), Some(total)) = (
            u16_at(self.d, at, false),
            u32_at(self.d, at + 4, false),
            u32_at(self.d, at + 8, false),
        ) else {
            return Err(bad(format!("chunk header at 0x{at:x} is truncated")));
        };
        let body = at + self.h.chunk_hdr;
        let bytes = blocks as u64 * self.h.blk_sz as u64;
        let expect = match kind {
            RAW => self.h.chunk_hdr as u64 + bytes,
            FILL | CRC32 => self.h.chunk_hdr as u64 + 4,
            DONT_CARE => self.h.chunk_hdr as u64,
            _ => {
                return Err(bad(format!(
                    "chunk at 0x{at:x} has unknown type 0x{kind:04x}"
                )));
            }
        };
        if total as u64 != expect {
            return Err(bad(format!(
                "chunk at 0x{at:x} states {total} bytes, its type and {blocks} blocks need {expect}"
            )));
        }
        let Some(next) = (at as u64)
            .checked_add(expect)
            .filter(|&n| n <= self.d.len() as u64)
        else {
            return Err(bad(format!(
                "chunk at 0x{at:x} runs past the end of the data ({} bytes)",
                self.d.len()
            )));
        };
        let next = next as usize;
        if kind != CRC32 {
            self.blocks += blocks as u64;
            if self.blocks > self.h.total_blks as u64 {
                return Err(bad(format!(
                    "chunk at 0x{at:x} goes past the {} blocks the header states",
                    self.h.total_blks
                )));
            }
        }
        self.run = match kind {
            RAW => Run::Raw {
                at: body,
                left: bytes,
            },
            FILL => {
                let mut pattern = [0u8; 4];
                pattern.copy_from_slice(self.d.get(body..body + 4).unwrap_or(&[0; 4]));
                Run::Fill {
                    pattern,
                    phase: 0,
                    left: bytes,
                }
            }
            DONT_CARE => Run::Zero { left: bytes },
            _ => Run::None,
        };
        self.pos = next;
        self.chunks_left -= 1;
        Ok(true)
    }
}

impl Read for Expander<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = match &mut self.run {
                Run::None => 0,
                Run::Raw { at, left } => {
                    let n = (*left).min(buf.len() as u64) as usize;
                    let src = self.d.get(*at..*at + n).unwrap_or_default();
                    buf[..src.len()].copy_from_slice(src);
                    *at += src.len();
                    *left -= src.len() as u64;
                    src.len()
                }
                Run::Fill {
                    pattern,
                    phase,
                    left,
                } => {
                    let n = (*left).min(buf.len() as u64) as usize;
                    for b in &mut buf[..n] {
                        *b = pattern[*phase];
                        *phase = (*phase + 1) % 4;
                    }
                    *left -= n as u64;
                    n
                }
                Run::Zero { left } => {
                    let n = (*left).min(buf.len() as u64) as usize;
                    buf[..n].fill(0);
                    *left -= n as u64;
                    n
                }
            };
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            self.run = Run::None;
            if !self.next_chunk()? {
                return Ok(0);
            }
        }
    }
}

impl Format for AndroidSparse {
    fn name(&self) -> &'static str {
        "android_sparse"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(&MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let h = parse(data.get(start..)?)?;
        Some(Probe::extract(
            None,
            Confidence::Strong,
            format!(
                "Android sparse image v{}.{}, {} chunks, {} blocks of {} bytes ({} bytes expanded)",
                h.major,
                h.minor,
                h.total_chunks,
                h.total_blks,
                h.blk_sz,
                h.total_blks as u64 * h.blk_sz as u64
            ),
        ))
    }
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        _probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error> {
        let d = data.get(start..).unwrap_or_default();
        let h = parse(d).ok_or_else(|| {
            Error::bad(format!(
                "Android sparse header at 0x{start:x} no longer valid"
            ))
        })?;
        let mut ex = Expander {
            d,
            h,
            pos: h.file_hdr,
            chunks_left: h.total_chunks,
            blocks: 0,
            run: Run::None,
        };
        let r = sink.stream("image.raw", &mut ex);
        let pos = ex.pos as u64;
        r.map_err(|e| match e {
            Error::Format(m) => Error::bad(format!("Android sparse image at 0x{start:x}: {m}")),
            other => other,
        })?;
        if ex.blocks < h.total_blks as u64 {
            sink.warn(format!(
                "Android sparse image at 0x{start:x}: chunks cover {} of the {} blocks stated",
                ex.blocks, h.total_blks
            ));
        }
        Ok(pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(chunks: &[(u16, u32, &[u8])], total_blks: u32) -> Vec<u8> {
        let mut d = MAGIC.to_vec();
        for v in [1u16, 0, 28, 12] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        for v in [8u32, total_blks, chunks.len() as u32, 0] {
            d.extend_from_slice(&v.to_le_bytes());
        }
        for (kind, blocks, body) in chunks {
            d.extend_from_slice(&kind.to_le_bytes());
            d.extend_from_slice(&[0, 0]);
            d.extend_from_slice(&blocks.to_le_bytes());
            d.extend_from_slice(&(12 + body.len() as u32).to_le_bytes());
            d.extend_from_slice(body);
        }
        d
    }

    fn expand(d: &[u8]) -> io::Result<Vec<u8>> {
        let h = parse(d).unwrap();
        let mut ex = Expander {
            d,
            h,
            pos: h.file_hdr,
            chunks_left: h.total_chunks,
            blocks: 0,
            run: Run::None,
        };
        let mut out = Vec::new();
        ex.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn expands_every_chunk_type() {
        let d = image(
            &[
                (RAW, 1, b"ABCDEFGH"),
                (FILL, 2, b"wxyz"),
                (DONT_CARE, 1, b""),
                (CRC32, 0, b"\0\0\0\0"),
            ],
            4,
        );
        let out = expand(&d).unwrap();
        assert_eq!(out, b"ABCDEFGHwxyzwxyzwxyzwxyz\0\0\0\0\0\0\0\0");
    }

    #[test]
    fn rejects_inconsistent_chunks() {
        assert!(expand(&image(&[(RAW, 2, b"ABCDEFGH")], 2)).is_err());
        assert!(expand(&image(&[(DONT_CARE, 5, b"")], 4)).is_err());
        assert!(expand(&image(&[(0x1234, 1, b"")], 4)).is_err());
    }
}
