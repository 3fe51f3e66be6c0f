//! tar: ustar, GNU (long names, sparse headers read as data) and pax.

use std::io::Read;

use crate::format::{Confidence, Format, Magic, Probe};
use crate::report::EntryKind;
use crate::{Error, Sink};

pub struct Tar;

/// Validates the header checksum of the 512-byte block at `h`.
fn checksum_ok(h: &[u8]) -> bool {
    if h.len() < 512 {
        return false;
    }
    let field = &h[148..156];
    let s = String::from_utf8_lossy(field);
    let Ok(stored) = u32::from_str_radix(s.trim_matches(|c: char| c == '\0' || c == ' '), 8) else {
        return false;
    };
    let sum: u32 = h[..512]
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                b as u32
            }
        })
        .sum();
    sum == stored
}

impl Format for Tar {
    fn name(&self) -> &'static str {
        "tar"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at(b"ustar\0", 257), Magic::at(b"ustar  \0", 257)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let h = data.get(start..start + 512)?;
        if !checksum_ok(h) {
            return None;
        }
        let kind = if &h[257..263] == b"ustar\0" {
            "ustar/pax"
        } else {
            "GNU"
        };
        Some(Probe::extract(
            None,
            Confidence::Strong,
            format!("tar ({kind})"),
        ))
    }
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        _probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error> {
        let d = &data[start..];
        let mut ar = tar::Archive::new(d);
        let mut end = 0u64;
        let entries = ar.entries().map_err(|e| Error::bad(format!("tar: {e}")))?;
        let mut first_err: Option<Error> = None;
        for entry in entries {
            let mut entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    first_err = Some(Error::bad(format!("tar entry after offset 0x{end:x}: {e}")));
                    break;
                }
            };
            let pos = entry.raw_file_position();
            let size = entry.header().entry_size().unwrap_or(0);
            end = end.max(pos + size.div_ceil(512) * 512);
            let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let mode = entry.header().mode().unwrap_or(0o644);
            let et = entry.header().entry_type();
            let link = entry
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(&l).into_owned());
            let res = match et {
                tar::EntryType::Directory => sink.dir(&path, mode),
                tar::EntryType::Symlink => sink.symlink(&path, link.as_deref().unwrap_or("")),
                tar::EntryType::Link => sink.hardlink(&path, link.as_deref().unwrap_or("")),
                tar::EntryType::Char | tar::EntryType::Block => {
                    let maj = entry.header().device_major().ok().flatten().unwrap_or(0);
                    let min = entry.header().device_minor().ok().flatten().unwrap_or(0);
                    let k = if et == tar::EntryType::Char {
                        EntryKind::Chardev
                    } else {
                        EntryKind::Blockdev
                    };
                    sink.special(&path, k, mode, Some((maj, min)))
                }
                tar::EntryType::Fifo => sink.special(&path, EntryKind::Fifo, mode, None),
                tar::EntryType::Regular
                | tar::EntryType::Continuous
                | tar::EntryType::GNUSparse => sink
                    .file(&path, mode, &mut entry as &mut dyn Read)
                    .map(|_| ()),
                _ => Ok(()),
            };
            match res {
                Ok(()) => {}
                Err(e @ Error::Quota(_)) => return Err(e),
                Err(e @ Error::Io { .. }) => return Err(e),
                Err(e) => sink.warn(format!(
                    "entry {path:?} at 0x{:x}: {e}",
                    pos.saturating_sub(512)
                )),
            }
        }
        if let Some(e) = first_err {
            if sink.written() == 0 && end == 0 {
                return Err(e);
            }
            sink.warn(e.to_string());
        }
        // Two zero blocks end the archive; include them when present.
        let mut consumed = end;
        while consumed + 512 <= d.len() as u64
            && consumed < end + 1024
            && d[consumed as usize..consumed as usize + 512]
                .iter()
                .all(|&b| b == 0)
        {
            consumed += 512;
        }
        Ok(consumed.max(512))
    }
}
