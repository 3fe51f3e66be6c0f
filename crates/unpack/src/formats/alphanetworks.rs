//! Alpha Networks firmware update: a shell script that the updater runs, then
//! optionally `=== ddPack Boundary ===` and a `begin-base64` block (a helper
//! program), then `=== Firmware Boundary ===` and the firmware image up to the end
//! of the file. Images whose firmware starts with `REDSONIC` in inverted bits are
//! stored bit-inverted and are inverted back.
//!
//! Written as `script.sh`, `ddPack.elf` and `firmware.bin` (the names FACT uses).

use memchr::memmem;

use crate::format::{Confidence, Format, Magic, Probe};
use crate::{Error, Sink};

pub struct Alphanetworks;

const MAGIC: &[u8] = b"#!/bin/sh\n";
const FW_BOUNDARY: &[u8] = b"=== Firmware Boundary ===\n";
const DDPACK_BOUNDARY: &[u8] = b"=== ddPack Boundary ===\n";
const BASE64_BEGIN: &[u8] = b"begin-base64";
const BASE64_END: &[u8] = b"\n====\n";

struct Parts<'a> {
    script: &'a [u8],
    /// The base64 text of the ddPack, if there is one.
    ddpack: Option<&'a [u8]>,
    firmware: &'a [u8],
    inverted: bool,
}

fn parse(d: &[u8]) -> Option<Parts<'_>> {
    if !d.starts_with(MAGIC) {
        return None;
    }
    let fw_at = memmem::find(d, FW_BOUNDARY)?;
    let head = d.get(..fw_at)?;
    let (script, ddpack) = match memmem::find(head, DDPACK_BOUNDARY) {
        Some(dd) => {
            let rest = head.get(dd + DDPACK_BOUNDARY.len()..)?;
            let text = memmem::find(rest, BASE64_BEGIN).and_then(|b| {
                let body = rest.get(b..)?;
                let line_end = memchr::memchr(b'\n', body)? + 1;
                let body = body.get(line_end..)?;
                let end = memmem::find(body, BASE64_END).unwrap_or(body.len());
                body.get(..end)
            });
            (head.get(..dd)?, text)
        }
        None => (head, None),
    };
    let firmware = d.get(fw_at + FW_BOUNDARY.len()..)?;
    let inverted = firmware
        .iter()
        .zip(b"REDSONIC")
        .filter(|(a, b)| **a == !**b)
        .count()
        == 8;
    Some(Parts {
        script,
        ddpack,
        firmware,
        inverted,
    })
}

/// Decodes standard base64, skipping line breaks and stopping at padding or at
/// the first character outside the alphabet.
fn base64(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'\n' | b'\r' => continue,
            _ => break,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

impl Format for Alphanetworks {
    fn name(&self) -> &'static str {
        "alphanetworks"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        // A whole-file format (the firmware runs to the end of the file), and the
        // boundary search reads the whole file: only at the start of a file.
        if start != 0 {
            return None;
        }
        let p = parse(data)?;
        Some(Probe::extract(
            Some(data.len() as u64),
            Confidence::Strong,
            format!(
                "Alpha Networks update: {}-byte script, {}{} bytes of firmware{}",
                p.script.len(),
                if p.ddpack.is_some() {
                    "base64 ddPack, "
                } else {
                    ""
                },
                p.firmware.len(),
                if p.inverted { " (bit-inverted)" } else { "" }
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
        let p = parse(d).ok_or_else(|| {
            Error::bad(format!(
                "Alpha Networks update at 0x{start:x} no longer valid"
            ))
        })?;
        sink.file_bytes("script.sh", 0o644, p.script)?;
        if let Some(text) = p.ddpack {
            sink.file_bytes("ddPack.elf", 0o644, &base64(text))?;
        }
        if p.inverted {
            let fw: Vec<u8> = p.firmware.iter().map(|b| !b).collect();
            sink.file_bytes("firmware.bin", 0o644, &fw)?;
        } else {
            sink.file_bytes("firmware.bin", 0o644, p.firmware)?;
        }
        Ok(d.len() as u64)
    }
}
