//! Senao / EnGenius firmware (also D-Link access points built by Senao): a
//! big-endian header that ends with a 32-bit "magic", and a payload XOR-ed with
//! that magic shifted right by 0..7 bits (byte `i` uses `magic >> (i % 8)`), so
//! the key is in the header itself.
//!
//! Two header layouts are recognised:
//! - v1 (`mksenaofw` in OpenWrt's firmware-utils): 0x60 bytes, magic 0x12345678 at
//!   0x5c, payload size at 0x20, and a checksum at 0x58 that is the byte sum of the
//!   rest of the header. Firmware type 0 may add a "capwap" header (model tag
//!   `all`, versions, a length-prefixed model name) before the payload; its bytes
//!   count towards the checksum.
//! - v2: 0x80 bytes with magic 0x30471688 at 0x7c, or 0xb8 bytes with it at 0xb4;
//!   no known checksum and no size field whose meaning is established, so the
//!   payload runs to the end of the input (as FACT's unpacker reads it), the
//!   candidate is weak and only taken at the start of a file.
//!
//! The payload is decrypted to `decrypted.bin`; for v1, padding beyond the stated
//! size is dropped.

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::u32_at;
use crate::{Error, Sink};

pub struct Senao;

const V1_MAGIC: u32 = 0x1234_5678;
const V2_MAGIC: u32 = 0x3047_1688;
/// Longest model name accepted in a capwap header (the tool writes a short one).
const CAPWAP_MODEL_MAX: usize = 256;

struct Header {
    version: u8,
    magic: u32,
    header_len: usize,
    size: usize,
    /// Whether a header checksum was checked (v1) or none exists (v2).
    checksum: bool,
}

fn parse(d: &[u8], whole_file: bool) -> Option<Header> {
    // A v2 payload runs to the end of the input, so it is only taken at the start
    // of a file: a chance match of the magic inside an image would otherwise hide
    // everything after it from carving.
    let v2_at = [0x7c, 0xb4]
        .into_iter()
        .find(|&at| whole_file && u32_at(d, at, true) == Some(V2_MAGIC));
    let h = if let Some(at) = v2_at {
        Header {
            version: 2,
            magic: V2_MAGIC,
            header_len: at + 4,
            size: d.len().checked_sub(at + 4)?,
            checksum: false,
        }
    } else if u32_at(d, 0x5c, true) == Some(V1_MAGIC) {
        let hdr = d.get(..0x60)?;
        // Firmware type 0 with the model tag "all" carries the capwap header, whose
        // bytes count towards the checksum too.
        let capwap = if u32_at(hdr, 0x1c, true)? == 0 && d.get(0x60..0x64)? == b"all\0" {
            let model = u32_at(d, 0x84, true)? as usize;
            if model > CAPWAP_MODEL_MAX {
                return None;
            }
            d.get(0x60..0x88 + model)?
        } else {
            &[]
        };
        let stored = u32_at(hdr, 0x58, true)?;
        let sum = hdr
            .iter()
            .enumerate()
            .filter(|(i, _)| !(0x58..0x5c).contains(i))
            .map(|(_, &b)| b)
            .chain(capwap.iter().copied())
            .fold(0u32, |acc, b| acc.wrapping_add(b as u32));
        if sum != stored {
            return None;
        }
        Header {
            version: 1,
            magic: V1_MAGIC,
            header_len: 0x60 + capwap.len(),
            size: u32_at(d, 0x20, true)? as usize,
            checksum: true,
        }
    } else {
        return None;
    };
    // The payload must be there in full.
    let end = h.header_len.checked_add(h.size)?;
    (h.size > 0 && end <= d.len()).then_some(h)
}

impl Format for Senao {
    fn name(&self) -> &'static str {
        "senao"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[
            Magic::at(&[0x30, 0x47, 0x16, 0x88], 0x7c),
            Magic::at(&[0x30, 0x47, 0x16, 0x88], 0xb4),
            Magic::at(&[0x12, 0x34, 0x56, 0x78], 0x5c),
        ];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let h = parse(data.get(start..)?, start == 0)?;
        Some(Probe::extract(
            Some((h.header_len + h.size) as u64),
            // A v2 header has only its 4-byte magic and a size that fits to go by.
            if h.checksum {
                Confidence::Strong
            } else {
                Confidence::Weak
            },
            format!(
                "Senao firmware v{}: {} bytes XOR-encrypted with key 0x{:08x}{}",
                h.version,
                h.size,
                h.magic,
                if h.checksum {
                    ", header checksum ok"
                } else {
                    ""
                }
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
        let h = parse(d, start == 0)
            .ok_or_else(|| Error::bad(format!("Senao header at 0x{start:x} no longer valid")))?;
        let end = h.header_len + h.size;
        let payload = d.get(h.header_len..end).unwrap_or_default();
        let plain: Vec<u8> = payload
            .iter()
            .enumerate()
            .map(|(i, &b)| b ^ (h.magic >> (i % 8)) as u8)
            .collect();
        sink.file_bytes("decrypted.bin", 0o644, &plain)?;
        Ok(end as u64)
    }
}
