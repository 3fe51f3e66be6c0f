//! Grain Media GM8126 (IP camera SoC) kernel image: a 256-byte header starting
//! `\x80ZGM`, with the payload size as a big-endian word at 8 and an image name
//! at 0x10, then the payload, written as `kernel.img` (FACT's name for it).
//!
//! No checksum is known, so the probe asks for a printable, NUL-terminated image
//! name and a payload that fits.

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{cstr, u32_at};
use crate::{Error, Sink};

pub struct GrainMedia;

const MAGIC: &[u8] = b"\x80ZGM";
const HEADER_LEN: usize = 0x100;
const NAME: std::ops::Range<usize> = 0x10..0x30;

/// Payload size and image name.
fn parse(d: &[u8]) -> Option<(usize, String)> {
    if !d.starts_with(MAGIC) || d.len() < HEADER_LEN {
        return None;
    }
    let size = u32_at(d, 8, true)? as usize;
    let field = d.get(NAME)?;
    let name = cstr(field);
    let printable = !name.is_empty()
        && name.len() < field.len()
        && name.bytes().all(|b| (0x20..0x7f).contains(&b));
    let fits = HEADER_LEN.checked_add(size)? <= d.len();
    (size > 0 && printable && fits).then_some((size, name))
}

impl Format for GrainMedia {
    fn name(&self) -> &'static str {
        "grain_media"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let (size, name) = parse(data.get(start..)?)?;
        Some(Probe::extract(
            Some((HEADER_LEN + size) as u64),
            Confidence::Strong,
            format!("Grain Media GM8126 image {name:?}, {size} bytes"),
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
        let (size, _) = parse(d).ok_or_else(|| {
            Error::bad(format!("Grain Media image at 0x{start:x} no longer valid"))
        })?;
        let end = HEADER_LEN + size;
        sink.file_bytes(
            "kernel.img",
            0o644,
            d.get(HEADER_LEN..end).unwrap_or_default(),
        )?;
        Ok(end as u64)
    }
}
