//! xz (one stream: header with CRC32, blocks, index, footer). Concatenated streams
//! are carved one by one so each reports its exact length.

use std::io;

use lzma_rust2::{Action, Status, XzStream};

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::lzma::{Push, PushReader, finish_stream};
use crate::{Error, Sink};

pub struct Xz;

const MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0];

impl Push for XzStream {
    fn push(
        &mut self,
        input: &[u8],
        out: &mut [u8],
        finish: bool,
    ) -> io::Result<(usize, usize, bool)> {
        let action = if finish { Action::Finish } else { Action::Run };
        let r = self.process(input, out, action)?;
        Ok((
            r.bytes_consumed,
            r.bytes_produced,
            r.status == Status::StreamEnd,
        ))
    }
}

/// Validates the 12-byte stream header; returns the check type's name.
fn header(d: &[u8]) -> Option<&'static str> {
    let h = d.get(..12)?;
    if &h[..6] != MAGIC || h[6] != 0 {
        return None;
    }
    let check = match h[7] {
        0 => "no check",
        1 => "CRC32",
        4 => "CRC64",
        10 => "SHA-256",
        _ => return None,
    };
    let stored = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
    (crc32fast::hash(&h[6..8]) == stored).then_some(check)
}

impl Format for Xz {
    fn name(&self) -> &'static str {
        "xz"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let check = header(data.get(start..)?)?;
        Some(Probe::extract(
            None,
            Confidence::Strong,
            format!("xz, {check}"),
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
        // 1 GiB covers every dictionary xz presets use; larger ones are hostile.
        let mut r = PushReader::new(d, XzStream::new_mem_limit(false, 1 << 20));
        let res = sink.stream("decompressed", &mut r);
        finish_stream("xz", start, res, r.out_total, r.ended(), r.consumed(), sink)
    }
}
