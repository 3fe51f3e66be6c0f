//! When the firmware was built, as far as the image says: a vulnerability that was
//! public by then is evidence that updates were not timely (EN 303 645 5.3-8), one
//! published later is current risk only.
//!
//! Sources, most direct first: a vendor header's build stamp (TP-Link `Build
//! 150310`), the outermost U-Boot image header's creation time, a squashfs
//! superblock's creation time. Dates before 1995 or in the future are an unset or
//! wrong clock and are not used.

use baseliner_unpack::Report;

/// Earliest credible build date (`YYYY-MM-DD`): Linux firmware predates none of it.
const EARLIEST: &str = "1995-01-01";

/// The build date and where it was read, when the image states one.
pub fn build_date(image: &[u8], report: &Report, today: &str) -> Option<(String, String)> {
    let ok = |d: &str| d >= EARLIEST && d <= today;
    // 1. TP-Link header: `3.16.9 Build 150310`.
    if let Some(hit) = report
        .formats
        .iter()
        .find(|f| f.format == "tplink" && f.file.is_empty())
        && let Some(h) = image
            .get(usize::try_from(hit.offset).unwrap_or(usize::MAX)..)
            .and_then(baseliner_unpack::formats::tplink::parse_header)
        && let Some(d) = build_stamp(&h.version).filter(|d| ok(d))
    {
        return Some((d, format!("TP-Link header: firmware version {}", h.version)));
    }
    // 2. U-Boot legacy image headers: the outermost first.
    let mut uimages: Vec<_> = report
        .formats
        .iter()
        .filter(|f| f.format == "uimage")
        .collect();
    uimages.sort_by_key(|f| (f.file.len(), f.offset));
    for f in uimages {
        if let Some(d) = f
            .description
            .split_once("created ")
            .and_then(|(_, rest)| rest.get(..10))
            .filter(|d| is_date(d) && ok(d))
        {
            let at = if f.file.is_empty() { "image" } else { &f.file };
            return Some((
                d.to_string(),
                format!("U-Boot image header at {at}@0x{:x}: created {d}", f.offset),
            ));
        }
    }
    // 3. Squashfs superblocks: their creation time.
    let mut squash: Vec<_> = report
        .formats
        .iter()
        .filter(|f| f.format.starts_with("squashfs"))
        .collect();
    squash.sort_by_key(|f| (f.file.len(), f.offset));
    for f in squash {
        let head = if f.file.is_empty() {
            image
                .get(usize::try_from(f.offset).unwrap_or(usize::MAX)..)
                .map(|s| s.get(..64).unwrap_or(s).to_vec())
        } else {
            read_head(report, &f.file, f.offset)
        };
        if let Some(d) = head
            .as_deref()
            .and_then(squashfs_time)
            .map(baseliner_model::utc_date)
            .filter(|d| ok(d))
        {
            let at = if f.file.is_empty() { "image" } else { &f.file };
            return Some((
                d.clone(),
                format!("squashfs superblock at {at}@0x{:x}: created {d}", f.offset),
            ));
        }
    }
    None
}

/// `Build 150310` (YYMMDD, as TP-Link writes it) as `2015-03-10`.
fn build_stamp(version: &str) -> Option<String> {
    let s = version.split("Build ").nth(1)?.get(..6)?;
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let d = format!("20{}-{}-{}", &s[..2], &s[2..4], &s[4..6]);
    is_date(&d).then_some(d)
}

fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    let num = |r: std::ops::Range<usize>| {
        d.get(r)
            .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|s| s.parse::<u32>().ok())
    };
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && num(0..4).is_some()
        && num(5..7).is_some_and(|m| (1..=12).contains(&m))
        && num(8..10).is_some_and(|d| (1..=31).contains(&d))
}

/// The first 64 bytes at `offset` of the extracted file `fs_path`.
fn read_head(report: &Report, fs_path: &str, offset: u64) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let rec = report.files.iter().find(|r| r.fs_path == fs_path)?;
    let mut f = std::fs::File::open(&rec.path).ok()?;
    f.seek(SeekFrom::Start(offset)).ok()?;
    let mut buf = Vec::with_capacity(64);
    f.take(64).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// A squashfs superblock's creation time (Unix seconds): version 4 keeps it at
/// byte 8, versions 2 and 3 at byte 39; little- (`hsqs`) or big-endian (`sqsh`).
fn squashfs_time(sb: &[u8]) -> Option<u64> {
    let le = match sb.get(..4)? {
        b"hsqs" => true,
        b"sqsh" => false,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let b: [u8; 2] = sb.get(o..o + 2)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let b: [u8; 4] = sb.get(o..o + 4)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let t = match u16_at(28)? {
        4 => u32_at(8)?,
        2 | 3 => u32_at(39)?,
        _ => return None,
    };
    (t > 0).then_some(u64::from(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_and_dates() {
        assert_eq!(
            build_stamp("3.16.9 Build 150310 Rel.39224n").as_deref(),
            Some("2015-03-10")
        );
        assert_eq!(build_stamp("3.16.9 Build 151399"), None);
        assert_eq!(build_stamp("3.16.9"), None);
        assert!(is_date("2015-03-10"));
        assert!(!is_date("2015-3-10x"));
    }
}
