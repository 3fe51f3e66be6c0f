//! DrayTek Vigor 167 firmware container (`2RDH`): a 256-byte big-endian header with
//! the sizes of a kernel and a squashfs that follow it, and a footer
//! `DrayTekImageMD5\n` plus 32 hex digits and a newline.
//!
//! The header also holds a CRC32 and the footer an MD5, but what they cover is not
//! public (neither matches the header, payload or file on the corpus fixture), so
//! validation is structural: header size, total size and footer must all agree.

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::linux_kernel::sniff_compression;
use crate::formats::u32_at;
use crate::{Error, Sink};

pub struct Draytek;

const MAGIC: &[u8] = b"2RDH";
const HEADER_LEN: usize = 0x100;
const FOOTER_MAGIC: &[u8] = b"DrayTekImageMD5\n";
const FOOTER_LEN: usize = 16 + 33;

struct Layout {
    total: usize,
    kernel: (usize, usize),
    rootfs: (usize, usize),
    md5: String,
}

fn parse(d: &[u8]) -> Option<Layout> {
    if !d.starts_with(MAGIC) || u32_at(d, 4, true)? as usize != HEADER_LEN {
        return None;
    }
    let total = u32_at(d, 8, true)? as usize;
    let ks = u32_at(d, 0x50, true)? as usize;
    let rs = u32_at(d, 0x54, true)? as usize;
    let footer = HEADER_LEN.checked_add(ks)?.checked_add(rs)?;
    if footer.checked_add(FOOTER_LEN)? != total || total > d.len() {
        return None;
    }
    let f = d.get(footer..total)?;
    let hex = f.get(16..48)?;
    if !f.starts_with(FOOTER_MAGIC) || !hex.iter().all(u8::is_ascii_hexdigit) || f[48] != b'\n' {
        return None;
    }
    Some(Layout {
        total,
        kernel: (HEADER_LEN, HEADER_LEN + ks),
        rootfs: (HEADER_LEN + ks, footer),
        md5: String::from_utf8_lossy(hex).into_owned(),
    })
}

impl Format for Draytek {
    fn name(&self) -> &'static str {
        "draytek"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let l = parse(data.get(start..)?)?;
        Some(Probe::extract(
            Some(l.total as u64),
            Confidence::Strong,
            format!(
                "DrayTek Vigor 167 container, {} bytes: kernel {} bytes, rootfs {} bytes, footer MD5 {} (not verified: coverage unknown)",
                l.total,
                l.kernel.1 - l.kernel.0,
                l.rootfs.1 - l.rootfs.0,
                l.md5
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
        let l = parse(d).ok_or_else(|| {
            Error::bad(format!("DrayTek container at 0x{start:x} no longer valid"))
        })?;
        for (stem, (a, b)) in [("kernel", l.kernel), ("rootfs", l.rootfs)] {
            let part = d.get(a..b).unwrap_or_default();
            if !part.is_empty() {
                let ext = sniff_compression(part).unwrap_or("bin");
                sink.file_bytes(&format!("{stem}.{ext}"), 0o644, part)?;
            }
        }
        Ok(l.total as u64)
    }
}
