//! Linux kernel boot images.
//!
//! x86 bzImage: the real-mode setup header (`HdrS` at 0x202, boot protocol 2.08+)
//! states where the compressed kernel sits (`payload_offset`/`payload_length`), so the
//! payload is extracted exactly and named by its compressor (`vmlinux.gz`, ...) for the
//! decompressors to take over.
//!
//! ARM zImage: only a magic word (0x016f2818 at 0x24) and the load range; where the
//! compressed kernel sits is code, not data, so the header is recorded and carving
//! continues after it to find the payload.

use crate::codec::lzma_props;
use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{cstr, u16_at, u32_at};
use crate::{Error, Sink};

pub struct LinuxKernel;

const ZIMAGE_LE: [u8; 4] = [0x18, 0x28, 0x6f, 0x01];
const ZIMAGE_BE: [u8; 4] = [0x01, 0x6f, 0x28, 0x18];
const ZIMAGE_HEADER_LEN: u64 = 0x30;
/// No real zImage is larger; bigger load ranges are chance matches.
const ZIMAGE_MAX: u32 = 64 << 20;

/// The file extension of the compressor whose magic starts `d`, as kernels and
/// U-Boot store them (LZO as `lzop`, LZ4 as the legacy or frame format).
pub fn sniff_compression(d: &[u8]) -> Option<&'static str> {
    if d.starts_with(&[0x1f, 0x8b]) {
        Some("gz")
    } else if d.starts_with(b"BZh") && d.get(3).is_some_and(|c| (b'1'..=b'9').contains(c)) {
        Some("bz2")
    } else if d.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Some("xz")
    } else if d.starts_with(&[0x89, b'L', b'Z', b'O', 0, 0x0d, 0x0a, 0x1a, 0x0a]) {
        Some("lzo")
    } else if d.starts_with(&[0x02, 0x21, 0x4c, 0x18]) || d.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
        Some("lz4")
    } else if d.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some("zst")
    } else if d.first().and_then(|&p| lzma_props(p)).is_some()
        && u32_at(d, 1, false).is_some_and(|dict| dict.is_power_of_two() && dict >= 4096)
    {
        // LZMA-alone has no magic; a valid properties byte plus a power-of-two
        // dictionary is what kernels and U-Boot produce.
        Some("lzma")
    } else {
        None
    }
}

/// Facts of an x86 boot-protocol header.
struct Bz {
    protocol: u16,
    setup_len: usize,
    /// Bytes of the whole image (setup plus protected-mode part) as the header states.
    total: u64,
    payload: Option<(usize, usize)>,
    version: String,
}

fn parse_bzimage(d: &[u8]) -> Option<Bz> {
    if d.get(0x202..0x206)? != b"HdrS" || u16_at(d, 0x1fe, false)? != 0xaa55 {
        return None;
    }
    let protocol = u16_at(d, 0x206, false)?;
    if protocol < 0x200 {
        return None;
    }
    let sects = match *d.get(0x1f1)? {
        0 => 4,
        n => n as usize,
    };
    let setup_len = (sects + 1) * 512;
    let syssize = u32_at(d, 0x1f4, false)? as u64;
    let total = setup_len as u64 + syssize * 16;
    let payload = if protocol >= 0x208 {
        let off = u32_at(d, 0x248, false)? as usize;
        let len = u32_at(d, 0x24c, false)? as usize;
        Some((setup_len.checked_add(off)?, len))
    } else {
        None
    };
    let version = match u16_at(d, 0x20e, false)? {
        0 => String::new(),
        v => {
            let at = v as usize + 0x200;
            d.get(at..)
                .map(|s| cstr(&s[..s.len().min(128)]))
                .unwrap_or_default()
        }
    };
    Some(Bz {
        protocol,
        setup_len,
        total,
        payload,
        version,
    })
}

fn probe_zimage(d: &[u8]) -> Option<Probe> {
    let magic = d.get(0x24..0x28)?;
    let be = if magic == ZIMAGE_LE {
        false
    } else if magic == ZIMAGE_BE {
        true
    } else {
        return None;
    };
    let load = u32_at(d, 0x28, be)?;
    let end = u32_at(d, 0x2c, be)?;
    let size = end.checked_sub(load)?;
    if size == 0 || size > ZIMAGE_MAX {
        return None;
    }
    let flag = match u32_at(d, 0x30, be) {
        Some(0x0403_0201) => ", endianness flag ok",
        _ => "",
    };
    Some(Probe::header(
        ZIMAGE_HEADER_LEN,
        format!(
            "ARM Linux zImage ({} header), {size} bytes, load range 0x{load:08x}-0x{end:08x}{flag}",
            if be { "big-endian" } else { "little-endian" }
        ),
    ))
}

impl Format for LinuxKernel {
    fn name(&self) -> &'static str {
        "linux_kernel"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[
            Magic::at(b"HdrS", 0x202),
            Magic::at(&ZIMAGE_LE, 0x24),
            Magic::at(&ZIMAGE_BE, 0x24),
        ];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        if d.get(0x202..0x206) == Some(b"HdrS") {
            let bz = parse_bzimage(d)?;
            let version = if bz.version.is_empty() {
                String::new()
            } else {
                format!(", kernel {}", bz.version)
            };
            let proto = format!("{}.{:02}", bz.protocol >> 8, bz.protocol & 0xff);
            return match bz.payload {
                Some((off, len)) => {
                    let comp = d
                        .get(off..)
                        .and_then(sniff_compression)
                        .unwrap_or("unknown compression");
                    Some(Probe::extract(
                        Some(bz.total.min(d.len() as u64)),
                        Confidence::Strong,
                        format!(
                            "Linux x86 bzImage, boot protocol {proto}{version}, payload {comp} at 0x{off:x}, {len} bytes"
                        ),
                    ))
                }
                None => Some(Probe::header(
                    bz.setup_len as u64,
                    format!("Linux x86 bzImage, boot protocol {proto}{version}"),
                )),
            };
        }
        probe_zimage(d)
    }
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        _probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error> {
        let d = data.get(start..).unwrap_or_default();
        let bz = parse_bzimage(d)
            .ok_or_else(|| Error::bad(format!("bzImage header at 0x{start:x} no longer valid")))?;
        let (off, len) = bz.payload.ok_or_else(|| {
            Error::bad(format!(
                "bzImage at 0x{start:x}: boot protocol before 2.08 states no payload"
            ))
        })?;
        let end = off.checked_add(len).ok_or_else(|| {
            Error::bad(format!("bzImage at 0x{start:x}: payload range overflows"))
        })?;
        let payload = d.get(off..end).ok_or_else(|| {
            Error::bad(format!(
                "bzImage at 0x{start:x}: payload 0x{off:x}+{len} runs past the end of the data ({} bytes)",
                d.len()
            ))
        })?;
        let ext = sniff_compression(payload).unwrap_or("bin");
        sink.file_bytes(&format!("vmlinux.{ext}"), 0o644, payload)?;
        Ok(bz.total.max(end as u64).min(d.len() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs() {
        assert_eq!(sniff_compression(&[0x1f, 0x8b, 8]), Some("gz"));
        assert_eq!(sniff_compression(b"BZh91AY"), Some("bz2"));
        assert_eq!(sniff_compression(b"BZhx"), None);
        assert_eq!(sniff_compression(&[0x5d, 0, 0, 0x80, 0]), Some("lzma"));
        assert_eq!(sniff_compression(&[0x5d, 0, 0, 0x81, 0]), None);
        assert_eq!(sniff_compression(&[]), None);
    }

    #[test]
    fn zimage_needs_sane_range() {
        let mut d = vec![0u8; 0x40];
        d[0x24..0x28].copy_from_slice(&ZIMAGE_LE);
        assert!(probe_zimage(&d).is_none(), "empty range");
        d[0x2c..0x30].copy_from_slice(&0x1000u32.to_le_bytes());
        assert!(probe_zimage(&d).is_some());
        d[0x28..0x2c].copy_from_slice(&0x2000u32.to_le_bytes());
        assert!(probe_zimage(&d).is_none(), "end before start");
    }
}
