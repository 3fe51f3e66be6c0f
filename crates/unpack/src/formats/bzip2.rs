//! bzip2: `BZh` + block size digit + the first block's magic (the BCD digits of pi).
//! One stream per candidate, so its consumed length is exact.

use std::io::Read;

use crate::codec::Counting;
use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::lzma::finish_stream;
use crate::{Error, Sink};

pub struct Bzip2;

const BLOCK_MAGIC: &[u8] = &[0x31, 0x41, 0x59, 0x26, 0x53, 0x59];

impl Format for Bzip2 {
    fn name(&self) -> &'static str {
        "bzip2"
    }
    fn magics(&self) -> &'static [Magic] {
        // `BZh` + level + block magic: ten bytes, strong enough without a trial.
        const M: &[Magic] = &[
            Magic::at0(b"BZh11AY&SY"),
            Magic::at0(b"BZh21AY&SY"),
            Magic::at0(b"BZh31AY&SY"),
            Magic::at0(b"BZh41AY&SY"),
            Magic::at0(b"BZh51AY&SY"),
            Magic::at0(b"BZh61AY&SY"),
            Magic::at0(b"BZh71AY&SY"),
            Magic::at0(b"BZh81AY&SY"),
            Magic::at0(b"BZh91AY&SY"),
        ];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..start.checked_add(10)?)?;
        if &d[..3] != b"BZh" || !(b'1'..=b'9').contains(&d[3]) || &d[4..10] != BLOCK_MAGIC {
            return None;
        }
        Some(Probe::extract(
            None,
            Confidence::Strong,
            format!("bzip2, {}00 KiB blocks", d[3] as char),
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
            inner: bzip2::bufread::BzDecoder::new(&mut rest),
            count: 0,
        };
        let res = sink.stream("decompressed", &mut dec as &mut dyn Read);
        let out = dec.count;
        drop(dec);
        let consumed = (d.len() - rest.len()) as u64;
        let ended = res.is_ok();
        finish_stream("bzip2", start, res, out, ended, consumed, sink)
    }
}
