//! TP-Link `IMG0` container of VxWorks firmware (TL-WR702N and kin), big-endian.
//!
//! ```text
//! update file prefix (optional): u32 (meaning unknown), 16-byte MD5
//! 0x00  "IMG0"
//! 0x04  u32 length              from the magic to the end of the container
//! 0x08  u16 product id          0x0702 on the TL-WR702N
//! 0x0a  u16 language            0x1101 English, 0x0001 Chinese
//! 0x0c  three u32 of unknown meaning
//! 0x40  3 x (u32 offset, u32 length) of the parts, from the magic; unused pairs are 0
//! ```
//!
//! The header ends where the first part starts (0x80 in practice). An update file
//! nests two: the outer container has one part, the bootloader followed by a second
//! `IMG0` whose parts are the LZMA-compressed VxWorks image, the MemFS of web pages
//! and a small part of unknown content. Each part is written as a named file for the
//! driver to unpack in turn; the MD5 is shown, not checked (its salt is not public).

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::vxworks_memfs;
use crate::formats::{u16_at, u32_at};
use crate::{Error, Sink};

pub struct TplinkImg0;

pub const MAGIC: &[u8; 4] = b"IMG0";
/// Bytes of the update-file prefix before the magic: a word and an MD5.
pub const PREFIX_LEN: usize = 20;
const TABLE_AT: usize = 0x40;
const TABLE_END: usize = 0x58;

/// One part named by the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// 1 to 3, the slot in the header's table.
    pub index: u8,
    /// From the magic.
    pub offset: u32,
    pub len: u32,
}

/// The fields of an `IMG0` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Img0 {
    /// Bytes from the magic to the end of the container.
    pub len: u32,
    pub product: u16,
    pub language: u16,
    /// The words at 0x0c, 0x10 and 0x14, shown as they are.
    pub unknown: [u32; 3],
    /// The non-empty parts, in offset order.
    pub parts: Vec<Part>,
}

impl Img0 {
    /// Bytes of the header: up to the first part.
    pub fn header_len(&self) -> u32 {
        self.parts.first().map_or(TABLE_END as u32, |p| p.offset)
    }
}

/// Parses an `IMG0` header at the start of `d`; `None` unless the part table is
/// consistent (parts after the table, inside the stated length, not overlapping).
/// The data itself may be truncated.
pub fn parse(d: &[u8]) -> Option<Img0> {
    if !d.starts_with(MAGIC) {
        return None;
    }
    let be = |o| u32_at(d, o, true);
    let len = be(4)?;
    let mut parts = Vec::new();
    for i in 0..3u8 {
        let at = TABLE_AT + 8 * i as usize;
        let (offset, plen) = (be(at)?, be(at + 4)?);
        if plen == 0 {
            continue;
        }
        let end = offset.checked_add(plen)?;
        if (offset as usize) < TABLE_END || end > len {
            return None;
        }
        parts.push(Part {
            index: i + 1,
            offset,
            len: plen,
        });
    }
    parts.sort_by_key(|p| p.offset);
    if parts.is_empty()
        || parts
            .windows(2)
            .any(|w| w[0].offset + w[0].len > w[1].offset)
    {
        return None;
    }
    Some(Img0 {
        len,
        product: u16_at(d, 8, true)?,
        language: u16_at(d, 10, true)?,
        unknown: [be(0x0c)?, be(0x10)?, be(0x14)?],
        parts,
    })
}

/// The update-file prefix in front of a header, if `d` starts with one: an MD5 of
/// zeros or 0xff is erased flash or padding, not a prefix.
fn prefix(d: &[u8]) -> Option<(u32, &[u8])> {
    if d.get(PREFIX_LEN..PREFIX_LEN + 4)? != MAGIC {
        return None;
    }
    let md5 = d.get(4..PREFIX_LEN)?;
    if md5.iter().all(|&b| b == 0) || md5.iter().all(|&b| b == 0xff) {
        return None;
    }
    Some((u32_at(d, 0, true)?, md5))
}

/// Where a header starts in `d` (0, or after the prefix) and the header.
fn locate(d: &[u8]) -> Option<(usize, Img0)> {
    if let Some(h) = parse(d) {
        return Some((0, h));
    }
    prefix(d)?;
    Some((PREFIX_LEN, parse(d.get(PREFIX_LEN..)?)?))
}

/// A second container that fills the end of `part` exactly, after a leading stretch
/// (the bootloader, in update files): its offset in the part.
fn nested(part: &[u8]) -> Option<usize> {
    let mut from = 1;
    while let Some(k) = part
        .get(from..)?
        .windows(MAGIC.len())
        .position(|w| w == MAGIC)
    {
        let at = from + k;
        let rest = part.get(at..)?;
        if parse(rest).is_some_and(|h| h.len as usize == rest.len()) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// A file name for a part, from what its first bytes are.
fn part_name(index: u8, d: &[u8]) -> String {
    let kind = if d.starts_with(vxworks_memfs::MAGIC) {
        "memfs"
    } else if d.starts_with(MAGIC) {
        "img0"
    } else if d
        .first()
        .is_some_and(|&p| crate::codec::lzma_props(p).is_some())
        && u32_at(d, 1, false).is_some_and(|dict| (4096..=1 << 30).contains(&dict))
        && d.get(5..13).is_some_and(|s| s.iter().any(|&b| b != 0))
    {
        "lzma"
    } else {
        "bin"
    };
    format!("part{index}.{kind}")
}

impl Format for TplinkImg0 {
    fn name(&self) -> &'static str {
        "tplink_img0"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC), Magic::at(MAGIC, PREFIX_LEN)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let (at, h) = locate(d)?;
        let total = at as u64 + h.len as u64;
        let pre = match prefix(d).filter(|_| at > 0) {
            Some((word, md5)) => format!(
                "update file (word 0x{word:08x}, MD5 {} not checked), ",
                hex::encode(md5)
            ),
            None => String::new(),
        };
        let language = match h.language {
            0x1101 => " (English)",
            0x0001 => " (Chinese)",
            _ => "",
        };
        let parts: Vec<String> = h
            .parts
            .iter()
            .map(|p| format!("{} at 0x{:x}+{}", p.index, p.offset, p.len))
            .collect();
        // A header claiming more than the input holds is as likely a chance match
        // of the 4-byte magic as a truncated image: weak, so a failure stays quiet.
        let confidence = if total > d.len() as u64 {
            Confidence::Weak
        } else {
            Confidence::Strong
        };
        Some(Probe::extract(
            Some(total.min(d.len() as u64)),
            confidence,
            format!(
                "TP-Link IMG0 {pre}product 0x{:04x}, language 0x{:04x}{language}, {} bytes{}, header {} bytes, words 0x{:08x} 0x{:08x} 0x{:08x}, parts {}",
                h.product,
                h.language,
                h.len,
                if total > d.len() as u64 {
                    format!(" (truncated: {} present)", d.len().saturating_sub(at))
                } else {
                    String::new()
                },
                h.header_len(),
                h.unknown[0],
                h.unknown[1],
                h.unknown[2],
                parts.join(", "),
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
        let (at, h) = locate(d)
            .ok_or_else(|| Error::bad(format!("tplink_img0 at 0x{start:x}: header invalid")))?;
        let body = d.get(at..).unwrap_or(&[]);
        let mut short = Vec::new();
        for p in &h.parts {
            let from = p.offset as usize;
            let to = from.saturating_add(p.len as usize);
            let bytes = body.get(from..to.min(body.len())).unwrap_or(&[]);
            if bytes.len() < p.len as usize {
                short.push(format!(
                    "part {} ({} of {} bytes)",
                    p.index,
                    bytes.len(),
                    p.len
                ));
                if bytes.is_empty() {
                    continue;
                }
            }
            match nested(bytes).and_then(|k| bytes.split_at_checked(k)) {
                Some((boot, image)) => {
                    sink.file_bytes("bootloader.bin", 0o644, boot)?;
                    sink.file_bytes("firmware.img0", 0o644, image)?;
                }
                None => {
                    sink.file_bytes(&part_name(p.index, bytes), 0o644, bytes)?;
                }
            }
        }
        if !short.is_empty() {
            return Err(Error::bad(format!(
                "tplink_img0 at 0x{start:x}: input truncated: {}",
                short.join(", ")
            )));
        }
        Ok(at as u64 + h.len as u64)
    }
}
