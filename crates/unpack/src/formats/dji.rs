//! DJI `xV4` firmware container (Phantom 3, Inspire 1, Matrice 100 era): a 64-byte
//! little-endian header (magic 0x12345678, format version, end of the headers,
//! timestamp, manufacturer, model, module count) and one 52-byte entry per module
//! (target, encoding, version, offset, length, allocated length, MD5 of the stored
//! data, second hash), then a 2-byte header checksum and the modules.
//!
//! Every module's MD5 must match for the container to be accepted. Modules are
//! written as stored, as `m<kind><model>.module` (the target byte holds the kind in
//! its low 5 bits and the model in the top 3, so 0xa3 is `m0305`, the main
//! controller). Modules whose encoding says AES-encrypted are not decrypted.

use md5::{Digest, Md5};

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::{cstr, u16_at, u32_at};
use crate::{Error, Sink};

pub struct Dji;

const MAGIC: &[u8] = &[0x78, 0x56, 0x34, 0x12];
const HEADER_LEN: usize = 64;
const ENTRY_LEN: usize = 52;

struct Module<'a> {
    name: String,
    encoding: u8,
    version: u32,
    data: &'a [u8],
}

struct Container<'a> {
    model: String,
    modules: Vec<Module<'a>>,
    end: usize,
}

fn parse(d: &[u8]) -> Option<Container<'_>> {
    if !d.starts_with(MAGIC) {
        return None;
    }
    let count = u16_at(d, 0x2c, false)? as usize;
    let hdr_end = u16_at(d, 6, false)? as usize;
    // The headers end after the entries and the 2-byte checksum.
    if count == 0 || hdr_end != HEADER_LEN + count * ENTRY_LEN + 2 {
        return None;
    }
    let manufacturer = cstr(d.get(12..28)?);
    if manufacturer.is_empty() || !manufacturer.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let mut modules = Vec::with_capacity(count);
    let mut end = hdr_end;
    for i in 0..count {
        let e = d.get(HEADER_LEN + i * ENTRY_LEN..HEADER_LEN + (i + 1) * ENTRY_LEN)?;
        let target = *e.first()?;
        let off = u32_at(e, 8, false)? as usize;
        let len = u32_at(e, 12, false)? as usize;
        let stored_end = off.checked_add(len)?;
        if off < hdr_end {
            return None;
        }
        let data = d.get(off..stored_end)?;
        if Md5::digest(data).as_slice() != e.get(20..36)? {
            return None;
        }
        let alloc = u32_at(e, 16, false)? as usize;
        end = end.max(off.saturating_add(alloc.max(len)).min(d.len()));
        modules.push(Module {
            name: format!("m{:02}{:02}.module", target & 0x1f, target >> 5),
            encoding: *e.get(1)?,
            version: u32_at(e, 4, false)?,
            data,
        });
    }
    Some(Container {
        model: cstr(d.get(28..44)?),
        modules,
        end,
    })
}

impl Format for Dji {
    fn name(&self) -> &'static str {
        "dji_xv4"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let c = parse(data.get(start..)?)?;
        let list: Vec<String> = c
            .modules
            .iter()
            .map(|m| {
                format!(
                    "{} {} bytes (version {}.{}.{}.{}, encoding 0x{:02x})",
                    m.name,
                    m.data.len(),
                    m.version >> 24,
                    (m.version >> 16) & 0xff,
                    (m.version >> 8) & 0xff,
                    m.version & 0xff,
                    m.encoding
                )
            })
            .collect();
        Some(Probe::extract(
            Some(c.end as u64),
            Confidence::Strong,
            format!(
                "DJI xV4 firmware container for {:?}, {} modules, MD5s ok: {}",
                c.model,
                c.modules.len(),
                list.join(", ")
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
        let c = parse(data.get(start..).unwrap_or_default()).ok_or_else(|| {
            Error::bad(format!("DJI xV4 container at 0x{start:x} no longer valid"))
        })?;
        let mut used = std::collections::HashSet::new();
        for (i, m) in c.modules.iter().enumerate() {
            let mut name = m.name.clone();
            if !used.insert(name.clone()) {
                name = format!("{}-{i}.module", name.trim_end_matches(".module"));
                used.insert(name.clone());
            }
            sink.file_bytes(&name, 0o644, m.data)?;
        }
        Ok(c.end as u64)
    }
}
