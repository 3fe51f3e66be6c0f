//! Decompressors shared by every format, all pure Rust.
//!
//! Two shapes: [`block`] decompresses a bounded block into memory (file system
//! blocks, whose size the format caps), [`reader`] streams a whole stream to a sink
//! so that memory does not grow with the size of the output.

use std::io::{self, Read};

use crate::Error;

/// A compression method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    /// zlib-wrapped deflate.
    Zlib,
    /// Raw deflate without a wrapper.
    Deflate,
    /// `.lzma` (LZMA-alone): 13-byte header of props, dict size, 64-bit size.
    Lzma,
    /// Raw LZMA with the properties given out of band (vendor variants).
    LzmaRaw {
        props: u8,
        dict_size: u32,
    },
    Xz,
    Bzip2,
    Zstd,
    /// LZO1X (raw blocks, as squashfs, jffs2, ubifs and kernels store it).
    Lzo,
    /// LZ4 raw block.
    Lz4Block,
    /// LZ4 frame format.
    Lz4Frame,
}

impl Codec {
    pub fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Zlib => "zlib",
            Codec::Deflate => "deflate",
            Codec::Lzma => "lzma",
            Codec::LzmaRaw { .. } => "lzma-raw",
            Codec::Xz => "xz",
            Codec::Bzip2 => "bzip2",
            Codec::Zstd => "zstd",
            Codec::Lzo => "lzo",
            Codec::Lz4Block => "lz4",
            Codec::Lz4Frame => "lz4-frame",
        }
    }
}

/// Splits an LZMA properties byte into (lc, lp, pb), rejecting impossible values.
pub fn lzma_props(props: u8) -> Option<(u32, u32, u32)> {
    if props >= 9 * 5 * 5 {
        return None;
    }
    let p = props as u32;
    Some((p % 9, (p / 9) % 5, p / 45))
}

/// Counts bytes pulled from the inner reader, so stream formats can report how much
/// input they consumed (their length in the image).
pub struct Counting<R> {
    pub inner: R,
    pub count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// A streaming decompressor over `input`.
pub fn reader<'a>(codec: Codec, input: &'a [u8]) -> Result<Box<dyn Read + 'a>, Error> {
    Ok(match codec {
        Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
        Codec::Zlib => Box::new(flate2::read::ZlibDecoder::new(input)),
        Codec::Deflate => Box::new(flate2::read::DeflateDecoder::new(input)),
        Codec::Lzma => {
            let r = lzma_rust2::LzmaReader::new_mem_limit(input, 1 << 20, None)
                .map_err(|e| Error::bad(format!("lzma header: {e}")))?;
            Box::new(r)
        }
        Codec::LzmaRaw { props, dict_size } => {
            lzma_props(props).ok_or_else(|| {
                Error::bad(format!("lzma properties byte 0x{props:02x} is invalid"))
            })?;
            let r = lzma_rust2::LzmaReader::new_with_props(
                input,
                u64::MAX,
                props,
                dict_size.clamp(4096, 1 << 30),
                None,
            )
            .map_err(|e| Error::bad(format!("lzma: {e}")))?;
            Box::new(r)
        }
        Codec::Xz => Box::new(lzma_rust2::XzReader::new(input, true)),
        Codec::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(input)),
        Codec::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(input)
                .map_err(|e| Error::bad(format!("zstd: {e}")))?,
        ),
        Codec::Lz4Frame => Box::new(lz4_flex::frame::FrameDecoder::new(input)),
        Codec::Lzo | Codec::Lz4Block => {
            return Err(Error::bad(format!(
                "{} has no stream form; use codec::block",
                codec.name()
            )));
        }
    })
}

/// Decompresses one block whose output cannot exceed `max_out` bytes.
pub fn block(codec: Codec, input: &[u8], max_out: usize) -> Result<Vec<u8>, Error> {
    match codec {
        Codec::Lzo => {
            let mut out = vec![0u8; max_out];
            let n = lzokay::decompress::decompress(input, &mut out)
                .map_err(|e| Error::bad(format!("lzo: {e:?}")))?;
            out.truncate(n);
            Ok(out)
        }
        Codec::Lz4Block => {
            let mut out = vec![0u8; max_out];
            let n = lz4_flex::block::decompress_into(input, &mut out)
                .map_err(|e| Error::bad(format!("lz4: {e}")))?;
            out.truncate(n);
            Ok(out)
        }
        _ => {
            let r = reader(codec, input)?;
            let mut out = Vec::with_capacity(max_out.min(1 << 20));
            r.take(max_out as u64 + 1)
                .read_to_end(&mut out)
                .map_err(|e| Error::bad(format!("{}: {e}", codec.name())))?;
            if out.len() > max_out {
                return Err(Error::bad(format!(
                    "{} block inflates past its limit of {max_out} bytes",
                    codec.name()
                )));
            }
            Ok(out)
        }
    }
}

/// Decompresses an LZMA block whose header form is not known in advance, as vendor
/// file systems store it: the standard 13-byte `.lzma` header, the 5-byte header
/// without a size (TP-Link, D-Link squashfs), or raw data with default properties.
pub fn lzma_any(
    input: &[u8],
    max_out: usize,
    default_props: u8,
    default_dict: u32,
) -> Result<Vec<u8>, Error> {
    let mut last = None;
    if input.len() >= 13 && lzma_props(input[0]).is_some() {
        let size = u64::from_le_bytes(input[5..13].try_into().unwrap_or_default());
        if size == u64::MAX || size <= max_out as u64 {
            match block(Codec::Lzma, input, max_out) {
                Ok(v) => return Ok(v),
                Err(e) => last = Some(e),
            }
        }
    }
    if input.len() >= 5 && lzma_props(input[0]).is_some() {
        let dict = u32::from_le_bytes(input[1..5].try_into().unwrap_or_default());
        match block(
            Codec::LzmaRaw {
                props: input[0],
                dict_size: dict,
            },
            &input[5..],
            max_out,
        ) {
            Ok(v) if !v.is_empty() => return Ok(v),
            Ok(_) => {}
            Err(e) => last = Some(e),
        }
    }
    match block(
        Codec::LzmaRaw {
            props: default_props,
            dict_size: default_dict,
        },
        input,
        max_out,
    ) {
        Ok(v) if !v.is_empty() => Ok(v),
        Ok(_) => Err(last.unwrap_or_else(|| Error::bad("lzma block decoded to nothing"))),
        Err(e) => Err(last.unwrap_or(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_and_zlib_round_trip() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b"hello firmware").unwrap();
        let gz = e.finish().unwrap();
        assert_eq!(block(Codec::Gzip, &gz, 100).unwrap(), b"hello firmware");
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&[0u8; 5000]).unwrap();
        let z = e.finish().unwrap();
        assert!(
            block(Codec::Zlib, &z, 100).is_err(),
            "block limit must hold"
        );
        assert_eq!(block(Codec::Zlib, &z, 5000).unwrap().len(), 5000);
    }

    #[test]
    fn props() {
        assert_eq!(lzma_props(0x5d), Some((3, 0, 2)));
        assert_eq!(lzma_props(225), None);
    }
}
