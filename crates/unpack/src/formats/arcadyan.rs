//! Arcadyan obfuscated firmware, as Arcadyan builds it for RTOS routers it makes
//! under other brands (Linksys WRT120N and relatives): a 4-byte build date, then an
//! LZMA-alone stream whose start is scrambled so that carvers miss it.
//!
//! The scrambling touches two 32-byte blocks of the file: the block at 0x68 holds
//! what belongs at 0x04 (where the LZMA header starts) with each byte pair swapped
//! and each byte's nibbles swapped, and the block at 0x04 holds what belongs at 0x68,
//! unchanged. Undoing it puts a plain LZMA header at 0x04; the stream is decoded here
//! (its end is only known by decoding it) and written as `decompressed.bin`, usually
//! the RTOS runtime image, which the driver then carves like any other file.
//!
//! Each section of these images ends, at the end of its padding, with a 12-byte
//! footer: the section's length, `0x12345678` and the CRC32 of the section (all
//! little-endian). Where one follows the stream and its CRC matches, the hit runs to
//! the end of the footer and the description says so.
//!
//! Recognised by the scrambled form of an LZMA header with the encoders' default
//! properties (0x5d) and a power-of-two dictionary of 64 KiB to 8 MiB at 0x68; the
//! header must then be plausible and the first 64 KiB must decode.

use std::io::Read;

use lzma_rust2::LzmaStream;
use memchr::memmem;

use crate::codec::lzma_props;
use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::lzma::{PushReader, finish_stream};
use crate::formats::{u32_at, u64_at};
use crate::{Error, Sink};

pub struct Arcadyan;

/// Where the LZMA header starts once the data is de-obfuscated.
const LZMA_AT: usize = 4;
const BLOCK: usize = 32;
/// Where the scrambled copy of the header block sits.
const SWAPPED_AT: usize = 0x68;
/// Bytes the obfuscation touches: everything after them is plain.
const PREFIX: usize = SWAPPED_AT + BLOCK;
/// LZMA-alone header: properties, dictionary size, 64-bit uncompressed size.
const LZMA_HEADER: usize = 13;
/// Output the probe decodes before it believes a candidate.
const TRIAL_OUT: usize = 64 * 1024;
/// Input copied for the trial decode: far more than 64 KiB of output can need.
const TRIAL_IN: usize = 256 * 1024;

/// Magic of the section footer (`0x12345678` little-endian).
const FOOTER_MAGIC: &[u8] = &[0x78, 0x56, 0x34, 0x12];
/// Largest gap (padding) accepted between a section and its footer.
const FOOTER_GAP: usize = 64 * 1024;
/// Footer candidates whose CRC is computed, so a crafted file cannot cost
/// (magics x section length).
const FOOTER_TRIES: usize = 4;

/// The section footer of a container at `d[0]`: (section length, end of the footer),
/// the first one within `window` whose length field is `section` (any plausible
/// length when `None`) and whose CRC32 over the section matches.
fn footer(
    d: &[u8],
    window: std::ops::Range<usize>,
    section: Option<usize>,
) -> Option<(usize, usize)> {
    let from = window.start.min(d.len());
    let hay = &d[from..window.end.clamp(from, d.len())];
    memmem::find_iter(hay, FOOTER_MAGIC)
        .filter_map(|m| {
            let m = from + m;
            let len_at = m.checked_sub(4)?;
            let len = u32_at(d, len_at, false)? as usize;
            let fits = len >= PREFIX && len <= len_at && len_at - len <= FOOTER_GAP;
            (fits && section.is_none_or(|s| s == len)).then_some((m, len))
        })
        .take(FOOTER_TRIES)
        .find_map(|(m, len)| {
            let crc = u32_at(d, m + 4, false)?;
            (crc32fast::hash(d.get(..len)?) == crc).then_some((len, m + 8))
        })
}

/// Input a stream of `size` output bytes can occupy, at most (output capped by the
/// per-file limit): LZMA never grows data by more than a small fraction.
fn input_cap(size: u64, max_file: u64) -> usize {
    let out = size.min(max_file) as usize;
    out.saturating_add(out / 4).saturating_add(1 << 16)
}

/// One scrambled byte pair: swapped, each byte nibble-swapped (its own inverse).
const fn unscramble(a: u8, b: u8) -> [u8; 2] {
    [b.rotate_left(4), a.rotate_left(4)]
}

/// The de-obfuscated first [`PREFIX`] bytes of a candidate at `d[0]`.
pub fn deobfuscate_prefix(d: &[u8]) -> Option<[u8; PREFIX]> {
    let src: &[u8; PREFIX] = d.get(..PREFIX)?.try_into().ok()?;
    let mut out = *src;
    let swapped = &src[SWAPPED_AT..PREFIX];
    for (i, pair) in swapped.chunks_exact(2).enumerate() {
        let [x, y] = unscramble(pair[0], pair[1]);
        out[LZMA_AT + 2 * i] = x;
        out[LZMA_AT + 2 * i + 1] = y;
    }
    out[SWAPPED_AT..PREFIX].copy_from_slice(&src[LZMA_AT..LZMA_AT + BLOCK]);
    Some(out)
}

/// The LZMA header fields of a de-obfuscated prefix that passed validation.
struct Header {
    props: u8,
    dict: u32,
    size: u64,
}

fn header(prefix: &[u8; PREFIX]) -> Option<Header> {
    let h = &prefix[LZMA_AT..];
    let props = *h.first()?;
    lzma_props(props)?;
    let dict = u32_at(h, 1, false)?;
    if !(4096..=1 << 30).contains(&dict) || !dict.is_power_of_two() {
        return None;
    }
    // Arcadyan always states the size; an unknown size (-1) is not this format.
    let size = u64_at(h, 5, false)?;
    if size == 0 || size > 1 << 32 {
        return None;
    }
    // The range coder's first byte is always zero.
    if *h.get(LZMA_HEADER)? != 0 {
        return None;
    }
    Some(Header { props, dict, size })
}

/// The build date of the first 4 bytes (BCD day, month, year low, year high), when
/// they read as one.
fn build_date(d: &[u8]) -> Option<String> {
    let b = d.get(..4)?;
    let bcd = |x: u8| ((x >> 4) < 10 && (x & 15) < 10).then(|| (x >> 4) * 10 + (x & 15));
    let (day, month, yl, yh) = (bcd(b[0])?, bcd(b[1])?, bcd(b[2])?, bcd(b[3])?);
    ((1..=31).contains(&day) && (1..=12).contains(&month) && (19..=20).contains(&yh))
        .then(|| format!("{yh:02}{yl:02}-{month:02}-{day:02}"))
}

/// The de-obfuscated stream from the LZMA header on, at most `cap` bytes of it.
fn plain_stream(d: &[u8], prefix: &[u8; PREFIX], cap: usize) -> Vec<u8> {
    let rest = d.get(PREFIX..).unwrap_or_default();
    let rest = &rest[..rest.len().min(cap.saturating_sub(PREFIX - LZMA_AT))];
    let mut v = Vec::with_capacity(PREFIX - LZMA_AT + rest.len());
    v.extend_from_slice(&prefix[LZMA_AT..]);
    v.extend_from_slice(rest);
    v
}

fn decoder(h: &Header, dict_cap: u32) -> Result<LzmaStream, Error> {
    // The dictionary never needs to exceed the declared output.
    let dict = h
        .dict
        .min(h.size.max(4096).min(u32::MAX as u64) as u32)
        .min(dict_cap);
    LzmaStream::new_with_props(h.size, h.props, dict, None)
        .map_err(|e| Error::bad(format!("arcadyan: lzma: {e}")))
}

/// Whether the first 64 KiB (or the whole stated output) decode.
fn trial(stream: &[u8], h: &Header) -> bool {
    let Ok(dec) = decoder(h, 1 << 20) else {
        return false;
    };
    let body = stream.get(LZMA_HEADER..).unwrap_or_default();
    let want = (h.size as usize).min(TRIAL_OUT);
    let mut r = PushReader::new(body, dec);
    let mut buf = vec![0u8; want];
    let mut got = 0usize;
    while got < want {
        match r.read(&mut buf[got..]) {
            Ok(0) => return false,
            Ok(n) => got += n,
            Err(_) => return false,
        }
    }
    true
}

impl Format for Arcadyan {
    fn name(&self) -> &'static str {
        "arcadyan"
    }
    fn magics(&self) -> &'static [Magic] {
        // `5d 00 00 XX 00` scrambled: `00 d5`, then the nibble-swapped third byte of the
        // dictionary size and 00, for dictionaries of 64 KiB (0x01) to 8 MiB (0x80).
        const M: &[Magic] = &[
            Magic::at(&[0x00, 0xd5, 0x10, 0x00], SWAPPED_AT),
            Magic::at(&[0x00, 0xd5, 0x20, 0x00], SWAPPED_AT),
            Magic::at(&[0x00, 0xd5, 0x40, 0x00], SWAPPED_AT),
            Magic::at(&[0x00, 0xd5, 0x80, 0x00], SWAPPED_AT),
            Magic::at(&[0x00, 0xd5, 0x01, 0x00], SWAPPED_AT),
            Magic::at(&[0x00, 0xd5, 0x02, 0x00], SWAPPED_AT),
            Magic::at(&[0x00, 0xd5, 0x04, 0x00], SWAPPED_AT),
            Magic::at(&[0x00, 0xd5, 0x08, 0x00], SWAPPED_AT),
        ];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let prefix = deobfuscate_prefix(d)?;
        let h = header(&prefix)?;
        if !trial(&plain_stream(d, &prefix, TRIAL_IN), &h) {
            return None;
        }
        let date = build_date(d).map_or(String::new(), |s| format!(", built {s}"));
        // Where the stream ends is only known by decoding it, so the probe looks for
        // the footer only in a container at the start of a file (as these images
        // are): a search over the whole stream per carved candidate could cost
        // (candidates x image size). Extraction checks it for every candidate.
        let (len, foot) = if start == 0 {
            let window = PREFIX..input_cap(h.size, u64::MAX).saturating_add(FOOTER_GAP);
            match footer(d, window, None) {
                Some((section, end)) => (
                    Some(end as u64),
                    format!(", footer: section of {section} bytes, CRC32 ok"),
                ),
                None => (None, ", no footer".to_string()),
            }
        } else {
            (None, String::new())
        };
        Some(Probe::extract(
            len,
            Confidence::Strong,
            format!(
                "Arcadyan obfuscated LZMA firmware{date}, dictionary {} KiB, {} bytes decompressed{foot}",
                h.dict / 1024,
                h.size
            ),
        ))
    }
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error> {
        let d = data.get(start..).unwrap_or_default();
        let prefix = deobfuscate_prefix(d)
            .ok_or_else(|| Error::bad(format!("arcadyan at 0x{start:x}: truncated header")))?;
        let h = header(&prefix).ok_or_else(|| {
            Error::bad(format!(
                "arcadyan at 0x{start:x}: LZMA header no longer valid"
            ))
        })?;
        // The copy is bounded by the output that may be written, not by whatever
        // follows the stream in the image.
        let stream = plain_stream(d, &prefix, input_cap(h.size, sink.limits().max_file_bytes));
        let body = stream.get(LZMA_HEADER..).unwrap_or_default();
        let mut r = PushReader::new(body, decoder(&h, u32::MAX)?);
        let res = sink.stream("decompressed.bin", &mut r);
        let consumed = (LZMA_AT + LZMA_HEADER) as u64 + r.consumed();
        let ended = r.ended();
        let used = finish_stream("arcadyan", start, res, r.out_total, ended, consumed, sink)?;
        // The footer, if any, closes the section: the hit covers its padding too.
        let at = used as usize;
        let window = at..at.saturating_add(FOOTER_GAP + 12);
        Ok(match footer(d, window, Some(at)) {
            Some((_, end)) => end as u64,
            None => {
                if let Some(end) = probe.len {
                    sink.warn(format!(
                        "arcadyan at 0x{start:x}: the footer ending at +0x{end:x} does not \
                         close the stream, which ended after {used} bytes"
                    ));
                }
                used
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unscramble_is_the_documented_swap() {
        // `5d 00` `00 80` of a plain header appear as `00 d5` `08 00`.
        assert_eq!(unscramble(0x00, 0xd5), [0x5d, 0x00]);
        assert_eq!(unscramble(0x08, 0x00), [0x00, 0x80]);
    }

    #[test]
    fn dates() {
        assert_eq!(
            build_date(&[0x04, 0x01, 0x09, 0x20]).as_deref(),
            Some("2009-01-04")
        );
        assert_eq!(build_date(&[0x4a, 0x01, 0x09, 0x20]), None);
    }
}
