//! Broadcom "SAO" images (set-top boxes and cable gateways): a chain of objects,
//! each a 64-byte big-endian header (`SOBJ`, a CRC32 of the rest of the header, a
//! four-letter name such as `META`, `DTBB`, `KRNL`, `RTFS`, the data size twice,
//! and at 0x34 a CRC32 of the data) followed by the data.
//!
//! The data CRC must match for an object to be accepted; the header CRC is
//! reported (the corpus fixture's `META` object does not match its own). Each
//! object is written under its name (FACT names them the same way), and the walk
//! stops at the first object that is not valid.

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::u32_at;
use crate::{Error, Sink};

pub struct BroadcomSao;

const MAGIC: &[u8] = b"SOBJ";
const HEADER_LEN: usize = 64;

struct Object<'a> {
    name: String,
    data: &'a [u8],
    header_crc_ok: bool,
}

fn object(d: &[u8]) -> Option<Object<'_>> {
    let h = d.get(..HEADER_LEN)?;
    if !h.starts_with(MAGIC) {
        return None;
    }
    let size = u32_at(h, 16, true)? as usize;
    if u32_at(h, 20, true)? as usize != size {
        return None;
    }
    let data = d.get(HEADER_LEN..HEADER_LEN.checked_add(size)?)?;
    if crc32fast::hash(data) != u32_at(h, 0x34, true)? {
        return None;
    }
    let raw = h.get(8..12)?;
    let name = if raw.iter().all(|b| b.is_ascii_alphanumeric()) {
        String::from_utf8_lossy(raw).into_owned()
    } else {
        hex::encode(raw)
    };
    Some(Object {
        name,
        data,
        header_crc_ok: crc32fast::hash(h.get(8..)?) == u32_at(h, 4, true)?,
    })
}

/// The valid objects from the start of `d`, in order.
fn chain(d: &[u8]) -> Vec<Object<'_>> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(o) = d.get(at..).and_then(object) {
        at += HEADER_LEN + o.data.len();
        out.push(o);
    }
    out
}

impl Format for BroadcomSao {
    fn name(&self) -> &'static str {
        "broadcom_sao"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let objs = chain(data.get(start..)?);
        if objs.is_empty() {
            return None;
        }
        let len: usize = objs.iter().map(|o| HEADER_LEN + o.data.len()).sum();
        let list: Vec<String> = objs
            .iter()
            .map(|o| {
                format!(
                    "{} {} bytes{}",
                    o.name,
                    o.data.len(),
                    if o.header_crc_ok {
                        ""
                    } else {
                        " (header CRC mismatch)"
                    }
                )
            })
            .collect();
        Some(Probe::extract(
            Some(len as u64),
            Confidence::Strong,
            format!(
                "Broadcom SAO image, {} objects, data CRCs ok: {}",
                objs.len(),
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
        let objs = chain(data.get(start..).unwrap_or_default());
        if objs.is_empty() {
            return Err(Error::bad(format!(
                "Broadcom SAO at 0x{start:x} no longer valid"
            )));
        }
        let mut len = 0usize;
        let mut used = std::collections::HashSet::new();
        for (i, o) in objs.iter().enumerate() {
            let mut name = o.name.clone();
            if !used.insert(name.clone()) {
                name = format!("{name}-{i}");
                used.insert(name.clone());
            }
            sink.file_bytes(&name, 0o644, o.data)?;
            len += HEADER_LEN + o.data.len();
        }
        Ok(len as u64)
    }
}
