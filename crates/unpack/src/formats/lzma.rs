//! LZMA-alone (`.lzma`): a 13-byte header (properties, dictionary size, 64-bit
//! uncompressed size or -1) and a raw LZMA1 stream. Kernels and uImages use it, often
//! with a size of -1 and no end marker, so a stream that runs into the data after it
//! is kept once it has produced a plausible amount of output.
//!
//! Also home of [`PushReader`], the adapter that turns lzma-rust2's push decoders
//! (which report exactly how much input they used) into a `Read` for the sink.

use std::io::{self, Read};

use lzma_rust2::{Action, LzmaStream, Status};

use crate::codec::lzma_props;
use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::u64_at;
use crate::{Error, Sink};

pub struct Lzma;

/// Input handed to a push decoder per call: bounds the decoder's own buffering.
const CHUNK: usize = 64 * 1024;
/// Output the probe's trial decode asks for before it believes a candidate.
const TRIAL_OUT: usize = 64 * 1024;
/// Output after which a stream that stops with an error is taken as a stream without
/// an end marker (the firmware habit) rather than as garbage.
pub(crate) const LENIENT_AFTER: u64 = 64 * 1024;

/// A decoder that takes input slices and fills output buffers, reporting usage.
pub(crate) trait Push {
    /// Returns (input consumed, output produced, stream ended).
    fn push(
        &mut self,
        input: &[u8],
        out: &mut [u8],
        finish: bool,
    ) -> io::Result<(usize, usize, bool)>;
    /// Input bytes taken but not part of the stream (known once it ended).
    fn unused(&self) -> usize {
        0
    }
}

impl Push for LzmaStream {
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
    fn unused(&self) -> usize {
        self.unused_input().len()
    }
}

/// Streams a push decoder's output from an in-memory input, counting exactly.
pub(crate) struct PushReader<'a, D> {
    input: &'a [u8],
    pos: usize,
    chunk: usize,
    /// From this input offset on, input is handed over one byte per call.
    fine_from: usize,
    pub(crate) dec: D,
    pub(crate) out_total: u64,
    ended: bool,
}

impl<'a, D: Push> PushReader<'a, D> {
    pub(crate) fn new(input: &'a [u8], dec: D) -> Self {
        PushReader {
            input,
            pos: 0,
            chunk: CHUNK,
            fine_from: usize::MAX,
            dec,
            out_total: 0,
            ended: false,
        }
    }
    /// Input bytes the stream used so far (exact once it has ended).
    pub(crate) fn consumed(&self) -> u64 {
        let unused = if self.ended { self.dec.unused() } else { 0 };
        self.pos.saturating_sub(unused) as u64
    }
    pub(crate) fn ended(&self) -> bool {
        self.ended
    }
}

impl<D: Push> Read for PushReader<'_, D> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.ended || buf.is_empty() {
            return Ok(0);
        }
        let mut idle = 0u32;
        loop {
            let end = if self.pos >= self.fine_from {
                self.pos + 1
            } else {
                self.pos.saturating_add(self.chunk).min(self.fine_from)
            }
            .min(self.input.len());
            let chunk = self.input.get(self.pos..end).unwrap_or(&[]);
            // Finish only once the input is spent: told earlier, a decoder may fail a
            // stream without an end marker before handing over what it decoded.
            let finish = chunk.is_empty();
            let (c, p, done) = self.dec.push(chunk, buf, finish)?;
            self.pos = self.pos.saturating_add(c.min(chunk.len()));
            self.out_total += p as u64;
            if done {
                self.ended = true;
                return Ok(p);
            }
            if p > 0 {
                return Ok(p);
            }
            if c == 0 {
                idle += 1;
                if finish || idle > 2 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "stream truncated: input ended after {} bytes without an end",
                            self.pos
                        ),
                    ));
                }
            } else {
                idle = 0;
            }
        }
    }
}

/// Fields of an LZMA-alone header that passed validation.
struct Header {
    props: u8,
    dict: u32,
    size: Option<u64>,
}

/// Dictionary sizes encoders write: 2^n or 2^n + 2^(n-1), 4 KiB to 1 GiB.
fn plausible_dict(d: u32) -> bool {
    (4096..=1 << 30).contains(&d)
        && (d.is_power_of_two() || (d.is_multiple_of(3) && (d / 3).is_power_of_two()))
}

fn header(d: &[u8]) -> Option<Header> {
    let props = *d.first()?;
    lzma_props(props)?;
    let dict = u32::from_le_bytes(d.get(1..5)?.try_into().ok()?);
    if !plausible_dict(dict) {
        return None;
    }
    let raw = u64_at(d, 5, false)?;
    let size = if raw == u64::MAX {
        None
    } else if raw > 0 && raw <= 1 << 32 {
        Some(raw)
    } else {
        return None;
    };
    // The range coder's first byte is always zero.
    if *d.get(13)? != 0 {
        return None;
    }
    Some(Header { props, dict, size })
}

/// Builds the decoder. The dictionary never needs to exceed the declared output.
fn decoder(h: &Header, dict_cap: u32) -> Result<LzmaStream, Error> {
    let dict = match h.size {
        Some(s) => h.dict.min(s.max(4096).min(u32::MAX as u64) as u32),
        None => h.dict,
    }
    .min(dict_cap);
    LzmaStream::new_with_props(h.size.unwrap_or(u64::MAX), h.props, dict, None)
        .map_err(|e| Error::bad(format!("lzma: {e}")))
}

/// Decodes up to `want` bytes; true when that worked or the stream ended cleanly.
fn trial(d: &[u8], h: &Header) -> bool {
    // Distances never reach past the output so far, so a small dictionary suffices.
    let Ok(dec) = decoder(h, 1 << 20) else {
        return false;
    };
    let Some(body) = d.get(13..) else {
        return false;
    };
    let want = h.size.map_or(TRIAL_OUT, |s| (s as usize).min(TRIAL_OUT));
    let mut r = PushReader::new(body, dec);
    let mut buf = vec![0u8; want];
    let mut got = 0usize;
    while got < want {
        match r.read(&mut buf[got..]) {
            Ok(0) => return got > 0,
            Ok(n) => got += n,
            Err(_) => return false,
        }
    }
    true
}

impl Format for Lzma {
    fn name(&self) -> &'static str {
        "lzma"
    }
    fn magics(&self) -> &'static [Magic] {
        // Properties byte followed by the low bytes of a dictionary of 64 KiB or more:
        // 0x5d is the encoders' default (lc=3 lp=0 pb=2), 0x6d the TP-Link/MediaTek
        // kernels' (lc=1 lp=2 pb=2), 0x6e TP-Link VxWorks images' (lc=2 lp=2 pb=2);
        // 0x5e and 0x6c are the other ones met in firmware.
        const M: &[Magic] = &[
            Magic::at0(&[0x5d, 0, 0]),
            Magic::at0(&[0x5e, 0, 0]),
            Magic::at0(&[0x6c, 0, 0]),
            Magic::at0(&[0x6d, 0, 0]),
            Magic::at0(&[0x6e, 0, 0]),
        ];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let h = header(d)?;
        if !trial(d, &h) {
            return None;
        }
        let (lc, lp, pb) = lzma_props(h.props)?;
        let size = h
            .size
            .map_or("unknown size".to_string(), |s| format!("{s} bytes"));
        Some(Probe::extract(
            None,
            Confidence::Weak,
            format!(
                "lzma, lc={lc} lp={lp} pb={pb}, dictionary {} KiB, {size}",
                h.dict / 1024
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
        let h = header(d).ok_or_else(|| Error::bad("lzma header no longer valid"))?;
        let body = d.get(13..).unwrap_or(&[]);
        let mut r = Replay {
            body,
            r: PushReader::new(body, decoder(&h, u32::MAX)?),
            h,
            skip: 0,
            replayed: false,
            delivered: 0,
        };
        let res = sink.stream("decompressed", &mut r);
        let consumed = 13 + r.r.consumed();
        finish_stream("lzma", start, res, r.delivered, r.r.ended(), consumed, sink)
    }
}

/// Streams an LZMA-alone body so that a failing stream gives all it decoded.
///
/// A decoder that fails returns nothing of what its last call decoded, and a stream
/// without an end marker always ends by failing on the data after it. So on the
/// first failure the stream is decoded again from the start, the output already
/// delivered is skipped, and the chunk that failed is fed one byte per call: the
/// output stops exactly where the stream's data does. Only failing streams pay for
/// the second pass.
struct Replay<'a> {
    body: &'a [u8],
    h: Header,
    r: PushReader<'a, LzmaStream>,
    skip: u64,
    replayed: bool,
    delivered: u64,
}

impl Read for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.skip > 0 {
                let mut scratch = [0u8; 8192];
                let want = (self.skip as usize).min(scratch.len());
                let n = self.r.read(&mut scratch[..want])?;
                if n == 0 {
                    return Ok(0);
                }
                self.skip -= n as u64;
                continue;
            }
            match self.r.read(buf) {
                Ok(n) => {
                    self.delivered += n as u64;
                    return Ok(n);
                }
                Err(e) if !self.replayed => {
                    let fail_at = self.r.pos;
                    let dec = decoder(&self.h, u32::MAX).map_err(|_| e)?;
                    self.r = PushReader::new(self.body, dec);
                    self.r.fine_from = fail_at;
                    self.skip = self.delivered;
                    self.replayed = true;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Shared ending of stream extractors: a quota stops everything; a stream that
/// breaks after a plausible amount of output is kept with a warning (firmware
/// streams without end markers, or trailing garbage); otherwise the error stands.
pub(crate) fn finish_stream(
    fmt: &str,
    start: usize,
    res: Result<u64, Error>,
    out_total: u64,
    ended: bool,
    consumed: u64,
    sink: &mut Sink,
) -> Result<u64, Error> {
    match res {
        Ok(0) => Err(Error::bad(format!(
            "{fmt} stream at 0x{start:x} decompressed to nothing"
        ))),
        Ok(_) if ended => Ok(consumed),
        Ok(_) => {
            sink.warn(format!(
                "{fmt} stream at 0x{start:x} has no end: input ran out after {consumed} bytes"
            ));
            Ok(consumed)
        }
        Err(e @ Error::Quota(_)) | Err(e @ Error::Io { .. }) | Err(e @ Error::Unsafe(_)) => Err(e),
        Err(e) if out_total >= LENIENT_AFTER => {
            sink.warn(format!(
                "{fmt} stream at 0x{start:x} stopped after {out_total} bytes of output and \
                 {consumed} of input: {e} (kept as a stream without an end marker)"
            ));
            Ok(consumed.max(1))
        }
        Err(e) => Err(Error::bad(format!(
            "{fmt} stream at 0x{start:x}, input offset +0x{consumed:x}: {e}"
        ))),
    }
}
