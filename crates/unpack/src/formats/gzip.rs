//! gzip (RFC 1952), including concatenated members.

use std::io::Read;

use crate::codec::Counting;
use crate::format::{Confidence, Format, Magic, Probe};
use crate::{Error, Sink};

pub struct Gzip;

const FTEXT_RESERVED: u8 = 0xe0;

/// Parses the member header; returns (header length, original file name).
fn header(d: &[u8]) -> Option<(usize, Option<String>)> {
    if d.len() < 18 || d[0] != 0x1f || d[1] != 0x8b || d[2] != 8 {
        return None;
    }
    let flags = d[3];
    if flags & FTEXT_RESERVED != 0 || !matches!(d[8], 0 | 2 | 4) || (d[9] > 13 && d[9] != 255) {
        return None;
    }
    let mut p = 10usize;
    if flags & 4 != 0 {
        let xlen = u16::from_le_bytes([*d.get(p)?, *d.get(p + 1)?]) as usize;
        p = p.checked_add(2 + xlen)?;
    }
    let mut name = None;
    if flags & 8 != 0 {
        let end = p + memchr::memchr(0, d.get(p..)?)?;
        name = Some(String::from_utf8_lossy(&d[p..end]).into_owned());
        p = end + 1;
    }
    if flags & 16 != 0 {
        p += memchr::memchr(0, d.get(p..)?)? + 1;
    }
    if flags & 2 != 0 {
        p += 2;
    }
    // The first deflate block must have a valid block type (not the reserved 3).
    let b = *d.get(p)?;
    if (b >> 1) & 3 == 3 {
        return None;
    }
    Some((p, name))
}

impl Format for Gzip {
    fn name(&self) -> &'static str {
        "gzip"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(&[0x1f, 0x8b, 0x08])];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let (_, name) = header(&data[start..])?;
        let desc = match name {
            Some(n) => format!("gzip, original name {n:?}"),
            None => "gzip".into(),
        };
        Some(Probe::extract(None, Confidence::Weak, desc))
    }
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        _probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error> {
        let d = &data[start..];
        let (_, name) = header(d).ok_or_else(|| Error::bad("gzip header no longer valid"))?;
        let name = name
            .as_deref()
            .and_then(|n| n.rsplit('/').next())
            .filter(|n| !n.is_empty() && *n != "." && *n != "..")
            .unwrap_or("decompressed")
            .to_string();
        // One member at a time, so the consumed length is exact and trailing data
        // (the rest of the image) is not mistaken for more members.
        let mut counting = Counting { inner: d, count: 0 };
        let mut dec = flate2::bufread::GzDecoder::new(std::io::BufReader::with_capacity(
            64 * 1024,
            &mut counting,
        ));
        let r = sink.stream(&name, &mut dec as &mut dyn Read);
        let buffered = dec.get_ref().buffer().len() as u64;
        drop(dec);
        let consumed = counting.count.saturating_sub(buffered);
        let n = r?;
        if n == 0 {
            return Err(Error::bad("gzip stream decompressed to nothing"));
        }
        Ok(consumed.max(18))
    }
}
