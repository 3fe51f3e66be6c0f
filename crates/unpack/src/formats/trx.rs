//! Broadcom TRX (`HDR0`): a little-endian header with the total length, a CRC32 of
//! everything after the CRC field, and up to three (v1) or four (v2) partition
//! offsets. Each partition (loader, kernel, root file system) is written as
//! `part<N>.<ext>` and carved by the driver's recursion.

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::linux_kernel::sniff_compression;
use crate::formats::u32_at;
use crate::{Error, Sink};

pub struct Trx;

const MAGIC: &[u8; 4] = b"HDR0";

struct Header {
    version: u16,
    len: usize,
    /// (offset, end) of every non-empty partition, in order.
    parts: Vec<(usize, usize)>,
}

/// Parses and validates the header and CRC at the start of `d`.
fn parse(d: &[u8]) -> Option<Header> {
    if d.get(..4)? != MAGIC {
        return None;
    }
    let len = u32_at(d, 4, false)? as usize;
    let crc = u32_at(d, 8, false)?;
    let version = (u32_at(d, 12, false)? >> 16) as u16;
    let slots = match version {
        1 => 3,
        2 => 4,
        _ => return None,
    };
    let header_len = 16 + 4 * slots;
    if len < header_len {
        return None;
    }
    let mut offs = Vec::new();
    for i in 0..slots {
        let o = u32_at(d, 16 + 4 * i, false)? as usize;
        if o == 0 {
            continue;
        }
        if o < header_len || o >= len || offs.last().is_some_and(|&p| o <= p) {
            return None;
        }
        offs.push(o);
    }
    // The cheap checks above come first: the CRC is the costly one.
    let body = d.get(12..len)?;
    // TRX stores the CRC32 without the final inversion.
    if !crc32fast::hash(body) != crc {
        return None;
    }
    let parts = offs
        .iter()
        .enumerate()
        .map(|(i, &o)| (o, offs.get(i + 1).copied().unwrap_or(len)))
        .collect();
    Some(Header {
        version,
        len,
        parts,
    })
}

impl Format for Trx {
    fn name(&self) -> &'static str {
        "trx"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let h = parse(data.get(start..)?)?;
        let parts: Vec<String> = h
            .parts
            .iter()
            .map(|(o, e)| format!("0x{o:x}+{}", e - o))
            .collect();
        Some(Probe::extract(
            Some(h.len as u64),
            Confidence::Strong,
            format!(
                "TRX v{}, {} bytes, CRC ok, partitions {}",
                h.version,
                h.len,
                if parts.is_empty() {
                    "none".into()
                } else {
                    parts.join(", ")
                }
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
        let h =
            parse(d).ok_or_else(|| Error::bad(format!("TRX at 0x{start:x} no longer valid")))?;
        for (i, &(o, e)) in h.parts.iter().enumerate() {
            let part = d.get(o..e).unwrap_or_default();
            let ext = sniff_compression(part).unwrap_or("bin");
            sink.file_bytes(&format!("part{i}.{ext}"), 0o644, part)?;
        }
        Ok(h.len as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(version: u16, offs: &[u32], body: &[u8]) -> Vec<u8> {
        let slots = if version == 1 { 3 } else { 4 };
        let mut d = b"HDR0".to_vec();
        let len = 16 + 4 * slots + body.len();
        d.extend_from_slice(&(len as u32).to_le_bytes());
        d.extend_from_slice(&[0; 4]);
        d.extend_from_slice(&((version as u32) << 16).to_le_bytes());
        for i in 0..slots {
            d.extend_from_slice(&offs.get(i).copied().unwrap_or(0).to_le_bytes());
        }
        d.extend_from_slice(body);
        let crc = !crc32fast::hash(&d[12..]);
        d[8..12].copy_from_slice(&crc.to_le_bytes());
        d
    }

    #[test]
    fn partitions_and_crc() {
        let d = build(2, &[32, 40], b"kernel..rootfs");
        let h = parse(&d).unwrap();
        assert_eq!(h.parts, vec![(32, 40), (40, 46)]);
        let mut bad = d.clone();
        bad[44] ^= 1;
        assert!(parse(&bad).is_none());
        let d = build(1, &[40, 30], b"kernel..rootfs..");
        assert!(parse(&d).is_none(), "decreasing offsets");
    }
}
