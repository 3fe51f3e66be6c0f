//! zlib (RFC 1950): a two-byte header and a deflate stream with an Adler-32 trailer.
//!
//! The magic is two bytes, so a candidate is only believed once a trial decode gives
//! a reasonable amount of output or reaches the checked end of the stream.

use std::io::Read;

use crate::codec::Counting;
use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::lzma::finish_stream;
use crate::{Error, Sink};

pub struct Zlib;

const TRIAL_OUT: u64 = 64 * 1024;

/// Header check: deflate with a 32 KiB window, no preset dictionary, FCHECK valid.
fn header_ok(d: &[u8]) -> bool {
    match (d.first(), d.get(1)) {
        (Some(&0x78), Some(&flg)) => flg & 0x20 == 0 && (0x7800u16 | flg as u16).is_multiple_of(31),
        _ => false,
    }
}

fn level(flg: u8) -> &'static str {
    match flg >> 6 {
        0 => "fastest",
        1 => "fast",
        2 => "default",
        _ => "best",
    }
}

impl Format for Zlib {
    fn name(&self) -> &'static str {
        "zlib"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[
            Magic::at0(&[0x78, 0x01]),
            Magic::at0(&[0x78, 0x5e]),
            Magic::at0(&[0x78, 0x9c]),
            Magic::at0(&[0x78, 0xda]),
        ];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        if !header_ok(d) {
            return None;
        }
        // Trial decode: the first 64 KiB of output, or the whole (checked) stream.
        let mut out = Vec::with_capacity(TRIAL_OUT as usize);
        let n = flate2::read::ZlibDecoder::new(d)
            .take(TRIAL_OUT)
            .read_to_end(&mut out)
            .ok()?;
        if n == 0 {
            return None;
        }
        Some(Probe::extract(
            None,
            Confidence::Weak,
            format!("zlib, {} compression", level(*d.get(1)?)),
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
        let mut rest: &[u8] = d;
        let mut dec = Counting {
            inner: flate2::bufread::ZlibDecoder::new(&mut rest),
            count: 0,
        };
        let res = sink.stream("decompressed", &mut dec as &mut dyn Read);
        let out = dec.count;
        drop(dec);
        let consumed = (d.len() - rest.len()) as u64;
        let ended = res.is_ok();
        finish_stream("zlib", start, res, out, ended, consumed, sink)
    }
}
