//! PFS/0.9, the flat read-only file system RTOS routers (Arcadyan-built Linksys,
//! ZyXEL, DrayTek) keep their web interface in: a 16-byte header, a table of
//! fixed-size entries (a NUL-padded DOS-style path, an id, the data offset and the
//! size), then the file data.
//!
//! Header: `PFS/0.9\0`, 4 zero bytes, the little-endian width of the path field
//! (0 in images that leave it implicit) and the entry count. Each entry is the path
//! field, then three little-endian u32: an id (not needed to extract), the offset of
//! the file's data from the end of the table, and its size. Where the header leaves
//! the path width at 0 it is taken from the first entry (its name, then the zero
//! padding) and accepted only if every entry of the table is then consistent.
//!
//! Files are written under their stored path with `\` read as a separator; entries of
//! size 0 (names the web server answers from code) are written as empty files.

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{u16_at, u32_at};
use crate::{Error, Sink};

pub struct Pfs;

const MAGIC: &[u8] = b"PFS/0.9\0";
const HEADER: usize = 16;
/// Id, offset and size after each path field.
const TAIL: usize = 12;
/// Widest path field accepted.
const MAX_NAME: usize = 1024;

/// One table entry, validated against the image.
struct Entry {
    name: String,
    offset: usize,
    size: usize,
}

/// A table that passed validation.
struct Table {
    name_width: usize,
    entries: Vec<Entry>,
    /// Offset of the file data (the end of the table).
    data_at: usize,
    /// Bytes from the header to the end of the last file's data.
    len: usize,
}

/// A stored path: printable ASCII up to a NUL inside the field.
fn entry_name(field: &[u8]) -> Option<String> {
    let end = field.iter().position(|&b| b == 0)?;
    let name = &field[..end];
    if name.is_empty() || !name.iter().all(|&b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    Some(String::from_utf8_lossy(name).replace('\\', "/"))
}

/// Reads and checks the whole table for one path width.
fn table(d: &[u8], count: usize, name_width: usize) -> Option<Table> {
    let stride = name_width.checked_add(TAIL)?;
    let data_at = stride.checked_mul(count)?.checked_add(HEADER)?;
    let data_len = d.len().checked_sub(data_at)?;
    let mut entries = Vec::with_capacity(count);
    let mut end = 0usize;
    for i in 0..count {
        let at = HEADER + i * stride;
        let name = entry_name(d.get(at..at + name_width)?)?;
        let offset = u32_at(d, at + name_width + 4, false)? as usize;
        let size = u32_at(d, at + name_width + 8, false)? as usize;
        let stop = offset.checked_add(size)?;
        if stop > data_len {
            return None;
        }
        end = end.max(stop);
        entries.push(Entry { name, offset, size });
    }
    Some(Table {
        name_width,
        entries,
        data_at,
        len: data_at + end,
    })
}

/// The table of a PFS image at `d[0]`, with the path width the header states or,
/// where it states none, the one the first entry implies.
fn parse(d: &[u8]) -> Option<Table> {
    if !d.starts_with(MAGIC) || u32_at(d, 8, false)? != 0 {
        return None;
    }
    let count = u16_at(d, 14, false)? as usize;
    if count == 0 {
        return None;
    }
    let stated = u16_at(d, 12, false)? as usize;
    if stated != 0 {
        return (stated <= MAX_NAME)
            .then(|| table(d, count, stated))
            .flatten();
    }
    // The field ends where the zero padding after the first name does; the id after
    // it may itself start with zero bytes, so up to three narrower widths are tried.
    let first = d.get(HEADER..)?;
    let first = &first[..first.len().min(MAX_NAME + TAIL)];
    let nul = first.iter().position(|&b| b == 0)?;
    let pad_end = nul + first[nul..].iter().position(|&b| b != 0)?;
    (0..4)
        .filter_map(|back| pad_end.checked_sub(back))
        .filter(|&w| w > nul && w <= MAX_NAME)
        .find_map(|w| table(d, count, w))
}

impl Format for Pfs {
    fn name(&self) -> &'static str {
        "pfs"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let t = parse(data.get(start..)?)?;
        let stored = t.entries.iter().filter(|e| e.size > 0).count();
        Some(Probe::extract(
            Some(t.len as u64),
            Confidence::Strong,
            format!(
                "PFS/0.9 file system, {} entries ({stored} with data), {}-byte paths, {} bytes",
                t.entries.len(),
                t.name_width,
                t.len
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
        let t = parse(d)
            .ok_or_else(|| Error::bad(format!("pfs at 0x{start:x}: table no longer valid")))?;
        for (i, e) in t.entries.iter().enumerate() {
            let at = t.data_at + e.offset;
            let Some(body) = d.get(at..at + e.size) else {
                sink.warn(format!(
                    "pfs at 0x{start:x}: entry {i} ({}) lies outside the image",
                    e.name
                ));
                continue;
            };
            match sink.file_bytes(&e.name, 0o644, body) {
                Ok(_) => {}
                Err(err @ (Error::Quota(_) | Error::Io { .. })) => return Err(err),
                Err(err) => sink.warn(format!(
                    "pfs at 0x{start:x}: entry {i} ({}) at +0x{at:x}: {err}",
                    e.name
                )),
            }
        }
        Ok(t.len as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(width: u16, names: &[(&str, &[u8])]) -> Vec<u8> {
        let w = if width == 0 { 40 } else { width as usize };
        let mut d = MAGIC.to_vec();
        d.extend_from_slice(&[0; 4]);
        d.extend_from_slice(&width.to_le_bytes());
        d.extend_from_slice(&(names.len() as u16).to_le_bytes());
        let mut off = 0u32;
        for (n, body) in names {
            let mut field = n.as_bytes().to_vec();
            field.resize(w, 0);
            d.extend_from_slice(&field);
            d.extend_from_slice(&0x1234_5678u32.to_le_bytes());
            d.extend_from_slice(&off.to_le_bytes());
            d.extend_from_slice(&(body.len() as u32).to_le_bytes());
            off += body.len() as u32;
        }
        for (_, body) in names {
            d.extend_from_slice(body);
        }
        d
    }

    #[test]
    fn stated_and_implicit_widths() {
        let files: &[(&str, &[u8])] = &[("www\\a.htm", b"<html>"), ("www\\b.gif", b"GIF89a")];
        for width in [0u16, 64] {
            let d = image(width, files);
            let t = parse(&d).expect("valid table");
            assert_eq!(t.entries.len(), 2);
            assert_eq!(t.entries[1].name, "www/b.gif");
            assert_eq!(t.len, d.len());
        }
    }

    #[test]
    fn data_past_the_end_is_refused() {
        let d = image(64, &[("a", b"0123456789")]);
        assert!(parse(&d[..d.len() - 1]).is_none());
    }
}
