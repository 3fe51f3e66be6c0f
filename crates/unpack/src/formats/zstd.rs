//! zstd: one frame (magic 0xFD2FB528, a checked frame header, blocks, optional
//! XXH64 checksum), decoded by the pure-Rust ruzstd, which caps the window at 100 MiB.

use std::io::Read;

use ruzstd::decoding::StreamingDecoder;

use crate::codec::Counting;
use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::lzma::finish_stream;
use crate::{Error, Sink};

pub struct Zstd;

const MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
/// Largest window accepted: ruzstd's own cap.
const MAX_WINDOW: u64 = 100 << 20;

/// Checks the frame header; returns (window size or content size, checksum flag,
/// header length).
fn header(d: &[u8]) -> Option<(u64, bool, usize)> {
    if d.get(..4)? != MAGIC {
        return None;
    }
    let fhd = *d.get(4)?;
    if fhd & 0x08 != 0 {
        return None; // reserved bit
    }
    let single = fhd & 0x20 != 0;
    let did_len = [0usize, 1, 2, 4][(fhd & 3) as usize];
    let fcs_len = match fhd >> 6 {
        0 if single => 1,
        0 => 0,
        1 => 2,
        2 => 4,
        _ => 8,
    };
    let mut p = 5usize;
    let mut window = 0u64;
    if !single {
        let wd = *d.get(p)?;
        let log = 10 + (wd >> 3) as u32;
        if log > 31 {
            return None;
        }
        let base = 1u64 << log;
        window = base + (base / 8) * (wd & 7) as u64;
        p += 1;
    }
    p += did_len;
    let fcs = d.get(p..p + fcs_len)?;
    let mut size = 0u64;
    for (i, b) in fcs.iter().enumerate() {
        size |= (*b as u64) << (8 * i);
    }
    if fcs_len == 2 {
        size += 256;
    }
    p += fcs_len;
    // The first block header: type 3 is reserved.
    let bh = *d.get(p)?;
    if (bh >> 1) & 3 == 3 {
        return None;
    }
    let w = if single { size } else { window };
    (w <= MAX_WINDOW).then_some((w, fhd & 0x04 != 0, p))
}

/// Walks the block headers (without decoding) to the end of the frame, so that the
/// frame's length is known before it is decoded and bounds the decoder's input.
fn frame_len(d: &[u8]) -> Option<(u64, bool, usize)> {
    let (w, sum, mut p) = header(d)?;
    loop {
        let b = d.get(p..p + 3)?;
        let bh = u32::from_le_bytes([b[0], b[1], b[2], 0]);
        let size = (bh >> 3) as usize;
        let body = match (bh >> 1) & 3 {
            0 | 2 => size,
            1 => 1,
            _ => return None,
        };
        // A block never exceeds 128 KiB (nor the window).
        if size > 128 * 1024 {
            return None;
        }
        p = p.checked_add(3 + body)?;
        if p > d.len() {
            return None;
        }
        if bh & 1 == 1 {
            break;
        }
    }
    if sum {
        p += 4;
    }
    (p <= d.len()).then_some((w, sum, p))
}

impl Format for Zstd {
    fn name(&self) -> &'static str {
        "zstd"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let (w, sum, _) = header(d)?;
        // A truncated frame has no length but is still extracted, as far as it goes.
        let len = frame_len(d).map(|(_, _, l)| l as u64);
        Some(Probe::extract(
            len,
            Confidence::Strong,
            format!(
                "zstd, window {} KiB{}",
                w / 1024,
                if sum { ", checksum" } else { "" }
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
        let d = data.get(start..).unwrap_or(&[]);
        let (_, has_sum, _) = header(d).ok_or_else(|| Error::bad("zstd header no longer valid"))?;
        let d = match frame_len(d) {
            Some((_, _, len)) => d.get(..len).unwrap_or(d),
            None => d,
        };
        let mut rest: &[u8] = d;
        let dec = StreamingDecoder::new(&mut rest)
            .map_err(|e| Error::bad(format!("zstd frame header at 0x{start:x}: {e}")))?;
        let mut dec = Counting {
            inner: dec,
            count: 0,
        };
        let mut res = sink.stream("decompressed", &mut dec as &mut dyn Read);
        let out = dec.count;
        let frame = dec.inner.into_frame_decoder();
        if res.is_ok()
            && has_sum
            && frame.get_checksum_from_data() != frame.get_calculated_checksum()
        {
            res = Err(Error::bad("zstd content checksum mismatch"));
        }
        let consumed = (d.len() - rest.len()) as u64;
        let ended = res.is_ok();
        finish_stream("zstd", start, res, out, ended, consumed, sink)
    }
}
