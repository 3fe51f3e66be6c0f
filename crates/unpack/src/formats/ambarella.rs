//! Ambarella ROM file system (`rom.fs` in camera firmware such as GoPro and
//! dash cams): a little-endian header (file count, magic 0x66fc328a) padded to
//! 0x800, then one 128-byte entry per file (a 116-byte NUL-terminated name, the
//! data offset and size, and the entry magic 0x2387ab76), then the data.
//!
//! Every entry must carry the entry magic, a printable name and data inside the
//! input. Files are written under their names, flat as the format stores them.

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{cstr, u32_at};
use crate::{Error, Sink};

pub struct Ambarella;

const MAGIC: &[u8] = &[0x8a, 0x32, 0xfc, 0x66];
const ENTRY_MAGIC: u32 = 0x2387_ab76;
const TABLE_AT: usize = 0x800;
const ENTRY_LEN: usize = 128;
const NAME_LEN: usize = 116;
const MAX_FILES: usize = 16 * 1024;

struct Entry<'a> {
    name: String,
    data: &'a [u8],
    end: usize,
}

fn entries(d: &[u8]) -> Option<Vec<Entry<'_>>> {
    if d.get(4..8)? != MAGIC {
        return None;
    }
    let count = u32_at(d, 0, false)? as usize;
    let table_end = count.checked_mul(ENTRY_LEN)?.checked_add(TABLE_AT)?;
    // Ambarella's own tools treat more than 16384 files as damage; the cap also
    // bounds the work of one probe.
    if count == 0 || count > MAX_FILES || table_end > d.len() {
        return None;
    }
    (0..count)
        .map(|i| {
            let e = d.get(TABLE_AT + i * ENTRY_LEN..TABLE_AT + (i + 1) * ENTRY_LEN)?;
            if u32_at(e, 124, false)? != ENTRY_MAGIC {
                return None;
            }
            let field = e.get(..NAME_LEN)?;
            let name = cstr(field);
            if name.is_empty()
                || name.len() == NAME_LEN
                || !name.bytes().all(|b| (0x20..0x7f).contains(&b))
            {
                return None;
            }
            let off = u32_at(e, NAME_LEN, false)? as usize;
            let size = u32_at(e, NAME_LEN + 4, false)? as usize;
            let end = off.checked_add(size)?;
            if off < table_end {
                return None;
            }
            Some(Entry {
                name,
                data: d.get(off..end)?,
                end,
            })
        })
        .collect()
}

impl Format for Ambarella {
    fn name(&self) -> &'static str {
        "ambarella_romfs"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at(MAGIC, 4)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let list = entries(data.get(start..)?)?;
        let end = list.iter().map(|e| e.end).max()?;
        let bytes: usize = list.iter().map(|e| e.data.len()).sum();
        Some(Probe::extract(
            Some(end as u64),
            Confidence::Strong,
            format!(
                "Ambarella ROM file system, {} files, {bytes} bytes of data",
                list.len()
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
        let list = entries(data.get(start..).unwrap_or_default()).ok_or_else(|| {
            Error::bad(format!(
                "Ambarella ROM file system at 0x{start:x} no longer valid"
            ))
        })?;
        let mut end = 0;
        for e in &list {
            if let Err(err) = sink.file_bytes(&e.name, 0o644, e.data) {
                if matches!(err, Error::Quota(_)) {
                    return Err(err);
                }
                sink.warn(format!("{}: {err}", e.name));
            }
            end = end.max(e.end);
        }
        Ok(end as u64)
    }
}
