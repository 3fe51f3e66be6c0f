//! U-Boot legacy image (`mkimage -A .. -T ..`): a 64-byte big-endian header whose
//! CRC32 covers itself (with the CRC field zeroed) plus a CRC32 of the payload.
//!
//! Single images carry one payload, written as `<type>.<compression>` (for example
//! `kernel.lzma`) so that the driver's recursion hands it to the decompressor.
//! Type "multi" images carry a zero-terminated table of sub-image sizes followed by
//! the sub-images, each padded to 4 bytes; each becomes `part<N>.<ext>`.

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::linux_kernel::sniff_compression;
use crate::formats::{cstr, u32_at};
use crate::{Error, Sink};

pub struct Uimage;

pub const MAGIC: [u8; 4] = [0x27, 0x05, 0x19, 0x56];
const HEADER_LEN: usize = 64;
const TYPE_MULTI: u8 = 4;

/// The decoded fields of a legacy image header whose header CRC was verified.
#[derive(Debug, Clone)]
pub struct Header {
    pub timestamp: u32,
    /// Payload bytes stated by the header (the data CRC covers exactly these).
    pub size: u32,
    pub load: u32,
    pub entry: u32,
    pub data_crc: u32,
    pub os: u8,
    pub arch: u8,
    pub image_type: u8,
    pub compression: u8,
    pub name: String,
}

/// Parses the header at the start of `d`; `None` unless the magic and header CRC hold.
pub fn parse_header(d: &[u8]) -> Option<Header> {
    let h = d.get(..HEADER_LEN)?;
    if h.get(..4)? != MAGIC {
        return None;
    }
    let stored = u32_at(h, 4, true)?;
    let mut crc = crc32fast::Hasher::new();
    crc.update(&h[..4]);
    crc.update(&[0; 4]);
    crc.update(&h[8..]);
    if crc.finalize() != stored {
        return None;
    }
    Some(Header {
        timestamp: u32_at(h, 8, true)?,
        size: u32_at(h, 12, true)?,
        load: u32_at(h, 16, true)?,
        entry: u32_at(h, 20, true)?,
        data_crc: u32_at(h, 24, true)?,
        os: h[28],
        arch: h[29],
        image_type: h[30],
        compression: h[31],
        name: cstr(&h[32..64]),
    })
}

fn os_name(v: u8) -> String {
    const T: &[&str] = &[
        "invalid",
        "OpenBSD",
        "NetBSD",
        "FreeBSD",
        "4.4BSD",
        "Linux",
        "SVR4",
        "Esix",
        "Solaris",
        "Irix",
        "SCO",
        "Dell",
        "NCR",
        "LynxOS",
        "VxWorks",
        "pSOS",
        "QNX",
        "U-Boot",
        "RTEMS",
        "ARTOS",
        "Unity",
        "INTEGRITY",
        "OSE",
        "Plan 9",
        "OpenRTOS",
    ];
    T.get(v as usize)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("os {v}"))
}

fn arch_name(v: u8) -> String {
    const T: &[&str] = &[
        "invalid",
        "Alpha",
        "ARM",
        "x86",
        "IA-64",
        "MIPS",
        "MIPS64",
        "PowerPC",
        "S390",
        "SuperH",
        "SPARC",
        "SPARC64",
        "M68K",
        "Nios",
        "MicroBlaze",
        "Nios-II",
        "Blackfin",
        "AVR32",
        "ST200",
        "Sandbox",
        "NDS32",
        "OpenRISC",
        "ARM64",
        "ARC",
        "x86-64",
        "Xtensa",
        "RISC-V",
    ];
    T.get(v as usize)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("arch {v}"))
}

/// The image type as `mkimage -T` names it; also the stem of the payload file name.
fn type_name(v: u8) -> String {
    const T: &[&str] = &[
        "invalid",
        "standalone",
        "kernel",
        "ramdisk",
        "multi",
        "firmware",
        "script",
        "filesystem",
        "flat_dt",
        "kwbimage",
        "imximage",
        "ubl",
        "omapimage",
        "aisimage",
        "kernel_noload",
    ];
    T.get(v as usize)
        .map(|s| s.to_string())
        .unwrap_or_else(|| format!("type{v}"))
}

/// (name, file extension) of a compression id.
fn compression(v: u8) -> (&'static str, &'static str) {
    match v {
        0 => ("none", "bin"),
        1 => ("gzip", "gz"),
        2 => ("bzip2", "bz2"),
        3 => ("lzma", "lzma"),
        4 => ("lzo", "lzo"),
        5 => ("lz4", "lz4"),
        6 => ("zstd", "zst"),
        _ => ("unknown", "bin"),
    }
}

/// Whether `payload` starts the way the stated compression requires.
fn compression_matches(comp: u8, payload: &[u8]) -> bool {
    match comp {
        0 => true,
        // LZMA-alone has no magic: a valid properties byte and a sane dictionary.
        3 => {
            payload
                .first()
                .and_then(|&p| crate::codec::lzma_props(p))
                .is_some()
                && u32_at(payload, 1, false).is_some_and(|d| d >= 4096)
        }
        _ => sniff_compression(payload) == Some(compression(comp).1),
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` from a Unix time (civil-from-days, proleptic Gregorian).
pub(crate) fn utc(ts: u32) -> String {
    let secs = ts as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Splits a multi-image payload into its sub-images; `None` if the table is malformed.
fn multi_parts(payload: &[u8]) -> Option<Vec<&[u8]>> {
    let mut sizes = Vec::new();
    let mut p = 0usize;
    loop {
        let s = u32_at(payload, p, true)?;
        p = p.checked_add(4)?;
        if s == 0 {
            break;
        }
        sizes.push(s as usize);
        // Every entry costs 4 bytes of table, so this bounds the loop by the input.
    }
    let mut parts = Vec::with_capacity(sizes.len());
    for s in sizes {
        let end = p.checked_add(s)?;
        parts.push(payload.get(p..end)?);
        p = end.checked_add(3)? & !3;
    }
    Some(parts)
}

impl Format for Uimage {
    fn name(&self) -> &'static str {
        "uimage"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(&MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let d = data.get(start..)?;
        let h = parse_header(d)?;
        let stated = HEADER_LEN as u64 + h.size as u64;
        let avail = d.len().saturating_sub(HEADER_LEN).min(h.size as usize);
        let payload = &d[HEADER_LEN..HEADER_LEN + avail];
        let crc = if avail < h.size as usize {
            format!("truncated: {avail} of {} bytes present", h.size)
        } else if crc32fast::hash(payload) == h.data_crc {
            "data CRC ok".into()
        } else {
            format!("data CRC mismatch (header 0x{:08x})", h.data_crc)
        };
        let desc = format!(
            "U-Boot legacy image {:?}: {} {} {}, {} compression, {} bytes, load 0x{:08x}, entry 0x{:08x}, created {}, {crc}",
            h.name,
            os_name(h.os),
            arch_name(h.arch),
            type_name(h.image_type),
            compression(h.compression).0,
            h.size,
            h.load,
            h.entry,
            utc(h.timestamp),
        );
        Some(Probe::extract(
            Some(stated.min(d.len() as u64)),
            Confidence::Strong,
            desc,
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
        let h = parse_header(d).ok_or_else(|| Error::bad("uImage header no longer valid"))?;
        let avail = d.len().saturating_sub(HEADER_LEN).min(h.size as usize);
        let payload = d.get(HEADER_LEN..HEADER_LEN + avail).unwrap_or_default();
        let truncated = avail < h.size as usize;
        if !truncated && crc32fast::hash(payload) != h.data_crc {
            sink.warn(format!(
                "uImage data CRC mismatch at 0x{start:x}: header says 0x{:08x}, data gives 0x{:08x}; extracted anyway",
                h.data_crc,
                crc32fast::hash(payload)
            ));
        }
        let (comp_name, comp_ext) = compression(h.compression);
        if h.image_type == TYPE_MULTI && !truncated {
            let parts = multi_parts(payload).ok_or_else(|| {
                Error::bad(format!(
                    "uImage at 0x{start:x}: multi-image size table runs past the payload"
                ))
            })?;
            for (i, part) in parts.iter().enumerate() {
                let ext = sniff_compression(part).unwrap_or("bin");
                sink.file_bytes(&format!("part{i}.{ext}"), 0o644, part)?;
            }
        } else {
            let ext = if compression_matches(h.compression, payload) {
                comp_ext
            } else {
                sink.warn(format!(
                    "uImage at 0x{start:x} states {comp_name} compression but the payload does not start like {comp_name}; written as .bin"
                ));
                "bin"
            };
            let stem = match h.image_type {
                8 => "fdt".to_string(),
                14 => "kernel".to_string(),
                t => type_name(t),
            };
            let ext = if h.image_type == 8 && ext == "bin" {
                "dtb"
            } else {
                ext
            };
            sink.file_bytes(&format!("{stem}.{ext}"), 0o644, payload)?;
        }
        if truncated {
            return Err(Error::bad(format!(
                "uImage at 0x{start:x}: header states {} payload bytes, only {avail} present (partial payload kept)",
                h.size
            )));
        }
        Ok(HEADER_LEN as u64 + h.size as u64)
    }
}

/// Builds a legacy image around `payload` (unit tests).
#[cfg(test)]
fn build(payload: &[u8], os: u8, arch: u8, image_type: u8, comp: u8, name: &str) -> Vec<u8> {
    let mut h = vec![0u8; HEADER_LEN];
    h[..4].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&1_500_000_000u32.to_be_bytes());
    h[12..16].copy_from_slice(&(payload.len() as u32).to_be_bytes());
    h[16..20].copy_from_slice(&0x8000_0000u32.to_be_bytes());
    h[20..24].copy_from_slice(&0x8000_0000u32.to_be_bytes());
    h[24..28].copy_from_slice(&crc32fast::hash(payload).to_be_bytes());
    h[28] = os;
    h[29] = arch;
    h[30] = image_type;
    h[31] = comp;
    let n = name.as_bytes();
    let n = &n[..n.len().min(31)];
    h[32..32 + n.len()].copy_from_slice(n);
    let crc = crc32fast::hash(&h);
    h[4..8].copy_from_slice(&crc.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formatting() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_500_000_000), "2017-07-14 02:40:00 UTC");
    }

    #[test]
    fn header_crc_is_enforced() {
        let img = build(b"hello", 5, 5, 2, 0, "x");
        assert!(parse_header(&img).is_some());
        let mut bad = img.clone();
        bad[40] ^= 1;
        assert!(parse_header(&bad).is_none());
    }

    #[test]
    fn multi_table() {
        let mut p = Vec::new();
        p.extend_from_slice(&3u32.to_be_bytes());
        p.extend_from_slice(&2u32.to_be_bytes());
        p.extend_from_slice(&0u32.to_be_bytes());
        p.extend_from_slice(b"abc\0de");
        let parts = multi_parts(&p).unwrap();
        assert_eq!(parts, vec![&b"abc"[..], &b"de"[..]]);
        assert!(multi_parts(&p[..14]).is_none());
    }
}
