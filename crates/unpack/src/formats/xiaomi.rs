//! Xiaomi router firmware, `HDR1` layout: a 48-byte little-endian header with the
//! offset of an RSA signature, a CRC32 of everything between header and signature,
//! a device id and up to eight offsets of blobs. Each blob (magic 0xbabe) carries a flash
//! address, a size and a name (`uboot.bin`, `root.ubi`, ...) and is written under
//! that name for the driver to recurse into.

use std::collections::HashSet;

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{cstr, u32_at};
use crate::{Error, Sink};

pub struct Xiaomi;

const MAGIC: &[u8] = b"HDR1";
const HEADER_LEN: usize = 0x30;
const BLOB_MAGIC: u32 = 0xbabe;
const BLOB_HEADER: usize = 0x30;
const SIG_HEADER: usize = 16;

struct Blob<'a> {
    name: String,
    flash: u32,
    data: &'a [u8],
}

struct Image<'a> {
    device: u16,
    blobs: Vec<Blob<'a>>,
    sig_off: usize,
    /// End of the signature as stated, and whether the data holds all of it.
    end: usize,
    complete: bool,
}

fn parse(d: &[u8]) -> Option<Image<'_>> {
    if !d.starts_with(MAGIC) {
        return None;
    }
    let sig_off = u32_at(d, 4, false)? as usize;
    let crc = u32_at(d, 8, false)?;
    let body = d.get(HEADER_LEN..sig_off)?;
    // Stored without the final inversion, as TRX does.
    if !crc32fast::hash(body) != crc {
        return None;
    }
    let mut blobs = Vec::new();
    for i in 0..8 {
        let off = u32_at(d, 16 + 4 * i, false)? as usize;
        if off == 0 {
            continue;
        }
        let h = d.get(off..off.checked_add(BLOB_HEADER)?)?;
        if off < HEADER_LEN || u32_at(h, 0, false)? != BLOB_MAGIC {
            return None;
        }
        let size = u32_at(h, 8, false)? as usize;
        let at = off + BLOB_HEADER;
        let end = at.checked_add(size).filter(|&e| e <= sig_off)?;
        blobs.push(Blob {
            name: cstr(&h[16..48]),
            flash: u32_at(h, 4, false)?,
            data: &d[at..end],
        });
    }
    let sig_len = u32_at(d, sig_off, false).unwrap_or(0) as usize;
    let end = sig_off.saturating_add(SIG_HEADER).saturating_add(sig_len);
    Some(Image {
        device: crate::formats::u16_at(d, 14, false)?,
        blobs,
        sig_off,
        end: end.min(d.len()),
        complete: end <= d.len(),
    })
}

impl Format for Xiaomi {
    fn name(&self) -> &'static str {
        "xiaomi"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        // A whole-file format: only recognised at the start of a file, which also
        // keeps a crafted file of repeated magics from costing quadratic time.
        if start != 0 {
            return None;
        }
        let img = parse(data.get(start..)?)?;
        let list: Vec<String> = img
            .blobs
            .iter()
            .map(|b| {
                format!(
                    "{:?} {} bytes (flash 0x{:08x})",
                    b.name,
                    b.data.len(),
                    b.flash
                )
            })
            .collect();
        Some(Probe::extract(
            Some(img.end as u64),
            Confidence::Strong,
            format!(
                "Xiaomi firmware HDR1, device id 0x{:04x}, CRC ok, {} blobs: {}; signature at 0x{:x}{}",
                img.device,
                img.blobs.len(),
                list.join(", "),
                img.sig_off,
                if img.complete { "" } else { " (truncated)" }
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
        let img = parse(d)
            .ok_or_else(|| Error::bad(format!("Xiaomi HDR1 at 0x{start:x} no longer valid")))?;
        let mut used = HashSet::new();
        for (i, b) in img.blobs.iter().enumerate() {
            let mut name = if b.name.trim().is_empty() {
                format!("blob{i}.bin")
            } else {
                b.name.clone()
            };
            if !used.insert(name.clone()) {
                name = format!("{name}-{i}");
                used.insert(name.clone());
            }
            sink.file_bytes(&name, 0o644, b.data)?;
        }
        Ok(img.end as u64)
    }
}
