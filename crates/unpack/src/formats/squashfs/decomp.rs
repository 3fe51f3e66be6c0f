//! Block decompression for every squashfs compressor and the vendor variants that
//! hide behind the compressor id: LZMA with the standard 13-byte header, with a
//! 5-byte header and no size (TP-Link, D-Link), raw with default or TP-Link
//! properties, and LZMA under the zlib id (Broadcom, squashfs-lzma 3.x).
//!
//! The first block that decodes fixes the method; later blocks try it first and
//! fall back to the others, so one odd block does not stop the extraction.

use std::io::Read;

use super::superblock::{GZIP, LZ4, LZMA, LZO, Super, XZ, ZSTD};
use crate::codec::{self, Codec};

/// Properties byte of lc=3 lp=0 pb=2, the LZMA default.
const PROPS_DEFAULT: u8 = 0x5d;
/// Properties byte of lc=1 lp=2 pb=2, TP-Link's raw LZMA.
const PROPS_TPLINK: u8 = 0x6d;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Zlib,
    /// `.lzma` header: properties, dictionary size, 64-bit uncompressed size.
    Lzma13,
    /// Properties and dictionary size only.
    Lzma5,
    /// No header; properties fixed by the vendor.
    LzmaRaw(u8),
    Xz,
    Lzo,
    Lz4,
    Zstd,
}

impl Method {
    pub fn describe(self) -> String {
        match self {
            Method::Zlib => "gzip".into(),
            Method::Lzma13 => "lzma".into(),
            Method::Lzma5 => "lzma (vendor 5-byte header)".into(),
            Method::LzmaRaw(p) => match codec::lzma_props(p) {
                Some((lc, lp, pb)) => format!("lzma (raw, lc={lc} lp={lp} pb={pb})"),
                None => "lzma (raw)".into(),
            },
            Method::Xz => "xz".into(),
            Method::Lzo => "lzo".into(),
            Method::Lz4 => "lz4".into(),
            Method::Zstd => "zstd".into(),
        }
    }
}

const LZMA_ALL: [Method; 4] = [
    Method::Lzma13,
    Method::Lzma5,
    Method::LzmaRaw(PROPS_DEFAULT),
    Method::LzmaRaw(PROPS_TPLINK),
];

pub struct Decomp {
    candidates: Vec<Method>,
    /// The method that decoded the last block.
    pub current: Option<Method>,
}

impl Decomp {
    pub fn new(sb: &Super) -> Self {
        let mut candidates = match sb.compressor {
            GZIP => vec![Method::Zlib],
            LZMA => vec![],
            LZO => vec![Method::Lzo],
            XZ => vec![Method::Xz],
            LZ4 => vec![Method::Lz4],
            ZSTD => vec![Method::Zstd],
            _ => vec![],
        };
        // squashfs-lzma marks 2.x/3.x images with minor version 'L'; Broadcom
        // and AVM put LZMA under the zlib id; the LZMA id has four forms.
        if sb.major < 4 && sb.minor == u16::from(b'L') {
            candidates.insert(0, Method::Lzma13);
        }
        if matches!(sb.compressor, GZIP | LZMA) {
            for m in LZMA_ALL {
                if !candidates.contains(&m) {
                    candidates.push(m);
                }
            }
        }
        Decomp {
            candidates,
            current: None,
        }
    }

    /// Decompresses one block into at most `max_out` bytes. `exact` is the size the
    /// block must inflate to, where the caller knows it (full data blocks).
    pub fn block(
        &mut self,
        input: &[u8],
        max_out: usize,
        exact: Option<usize>,
    ) -> Result<Vec<u8>, String> {
        let mut first_err = None;
        let order = self.current.into_iter().chain(
            self.candidates
                .iter()
                .copied()
                .filter(|m| Some(*m) != self.current),
        );
        for m in order.collect::<Vec<_>>() {
            match decode(m, input, max_out, exact) {
                Ok(v) if !v.is_empty() => {
                    self.current = Some(m);
                    return Ok(v);
                }
                Ok(_) => {
                    first_err.get_or_insert_with(|| format!("{} block is empty", m.describe()))
                }
                Err(e) => first_err.get_or_insert(e),
            };
        }
        Err(first_err.unwrap_or_else(|| "no decompressor for this compressor id".into()))
    }
}

fn decode(
    m: Method,
    input: &[u8],
    max_out: usize,
    exact: Option<usize>,
) -> Result<Vec<u8>, String> {
    let c = |codec: Codec| codec::block(codec, input, max_out).map_err(|e| e.to_string());
    match m {
        Method::Zlib => c(Codec::Zlib),
        Method::Xz => c(Codec::Xz),
        Method::Lzo => c(Codec::Lzo),
        Method::Lz4 => c(Codec::Lz4Block),
        Method::Zstd => c(Codec::Zstd),
        Method::Lzma13 => {
            let props = *input.first().ok_or("empty lzma block")?;
            let dict = le32(input, 1)?;
            let size = input
                .get(5..13)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_le_bytes)
                .ok_or("lzma block shorter than its header")?;
            let size = if size == u64::MAX {
                None
            } else if size <= max_out as u64 {
                Some(size as usize)
            } else {
                return Err(format!("lzma header size {size} exceeds the block limit"));
            };
            lzma(
                input.get(13..).unwrap_or(&[]),
                props,
                dict,
                size.or(exact),
                max_out,
            )
        }
        Method::Lzma5 => {
            let props = *input.first().ok_or("empty lzma block")?;
            let dict = le32(input, 1)?;
            lzma(input.get(5..).unwrap_or(&[]), props, dict, exact, max_out)
        }
        Method::LzmaRaw(props) => lzma(input, props, max_out as u32, exact, max_out),
    }
}

fn le32(d: &[u8], off: usize) -> Result<u32, String> {
    d.get(off..off + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| "lzma block shorter than its header".into())
}

/// Raw LZMA into at most `max_out` bytes. A stream without an end marker whose size
/// is not known stops where its input ends; what it produced until then is kept.
fn lzma(
    input: &[u8],
    props: u8,
    dict: u32,
    size: Option<usize>,
    max_out: usize,
) -> Result<Vec<u8>, String> {
    if codec::lzma_props(props).is_none() {
        return Err(format!("lzma properties byte 0x{props:02x} is invalid"));
    }
    // The window never needs to exceed the block: cap the allocation by it.
    let cap = (max_out as u32).max(4096);
    let dict = dict.clamp(4096, cap);
    let run = |size: Option<usize>| -> Result<Vec<u8>, String> {
        let mut r = lzma_rust2::LzmaReader::new_with_props(
            input,
            size.map_or(u64::MAX, |s| s as u64),
            props,
            dict,
            None,
        )
        .map_err(|e| format!("lzma: {e}"))?;
        r.set_relaxed_end_condition(false);
        let mut out = Vec::with_capacity(size.unwrap_or(max_out).min(max_out));
        (&mut r)
            .take(max_out as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("lzma: {e}"))?;
        if out.len() > max_out {
            return Err(format!(
                "lzma block inflates past its limit of {max_out} bytes"
            ));
        }
        Ok(out)
    };
    match size {
        Some(s) => run(Some(s)).or_else(|e| run(None).map_err(|_| e)),
        None => run(None),
    }
}
