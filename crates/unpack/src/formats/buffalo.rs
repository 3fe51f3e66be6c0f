//! Buffalo encrypted firmware (`buffalo-enc` from OpenWrt's firmware-utils): the
//! magic `start` (or `asar1`), a seed byte, then three length-prefixed big-endian
//! fields, each run through a byte-wise stream cipher keyed with the published
//! default key `Buffalo`: the product name, the version and the data, then a
//! checksum of the plain data.
//!
//! The cipher is an RC4-like generator whose state is 256 bytes ("normal") or as
//! long as the field it encrypts ("long state"); the probe finds which by the
//! product and version decrypting to short NUL-terminated text, which also keeps
//! the common string `start` inside programs from being claimed. Extraction checks
//! the checksum and writes `decrypted.bin`.

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::u32_at;
use crate::{Error, Sink};

pub struct Buffalo;

const KEY: &[u8] = b"Buffalo";
const MAGIC_LEN: usize = 6;
const PRODUCT_MAX: usize = 32;
const VERSION_MAX: usize = 8;

/// Runs the `buffalo-enc` stream cipher over `src` with `seed` prepended to the key.
/// `long` sizes the state to the data instead of 256 bytes, with the tool's
/// one-byte counters kept as they are.
fn bcrypt(seed: u8, src: &[u8], long: bool) -> Vec<u8> {
    let n = if long { src.len().max(1) } else { 256 };
    let mut key = Vec::with_capacity(KEY.len() + 1);
    key.push(seed);
    key.extend_from_slice(KEY);
    // The tool stores `i` in a byte, so a long state repeats every 256 values.
    let mut st: Vec<u8> = (0..n).map(|i| i as u8).collect();
    let mut k = 0usize;
    for i in 0..n {
        let t = st[i];
        k = (k + key[i % key.len()] as usize + t as usize) % n;
        st[i] = st[k];
        st[k] = t;
    }
    let (mut i, mut j) = (0u8, 0u8);
    src.iter()
        .map(|&b| {
            i = ((i as usize + 1) % n) as u8;
            j = ((j as usize + st[i as usize] as usize) % n) as u8;
            st.swap(i as usize, j as usize);
            b ^ st[(st[i as usize] as usize + st[j as usize] as usize) % n]
        })
        .collect()
}

/// The tool's checksum: a reflected CRC-32 step seeded with the length, fed with
/// *signed* bytes (so bytes above 0x7f flip the upper bits too) and not inverted.
fn csum(len: u32, data: &[u8]) -> u32 {
    let mut c = len;
    for &b in data {
        c ^= b as i8 as i32 as u32;
        for _ in 0..8 {
            c = (c >> 1) ^ if c & 1 != 0 { 0xedb8_8320 } else { 0 };
        }
    }
    c
}

/// A short NUL-terminated printable string, as the product and version are.
fn text(d: &[u8]) -> Option<String> {
    let (last, body) = d.split_last()?;
    (*last == 0 && !body.is_empty() && body.iter().all(|b| (0x20..0x7f).contains(b)))
        .then(|| String::from_utf8_lossy(body).into_owned())
}

struct Image<'a> {
    product: String,
    version: String,
    long: bool,
    /// First byte of the encrypted version: the seed of the data.
    data_seed: u8,
    data: &'a [u8],
    stored: u32,
    /// Bytes from the magic to the end of the padding (clamped to the input).
    end: usize,
}

fn parse(d: &[u8]) -> Option<Image<'_>> {
    let magic = d.get(..MAGIC_LEN)?;
    if magic != b"start\0" && magic != b"asar1\0" {
        return None;
    }
    let seed = *d.get(MAGIC_LEN)?;
    let mut at = MAGIC_LEN + 1;
    let pl = u32_at(d, at, true)? as usize;
    if !(2..=PRODUCT_MAX).contains(&pl) {
        return None;
    }
    at += 4;
    let prod = d.get(at..at + pl)?;
    at += pl;
    let vl = u32_at(d, at, true)? as usize;
    if !(2..=VERSION_MAX).contains(&vl) {
        return None;
    }
    at += 4;
    let ver = d.get(at..at + vl)?;
    at += vl;
    let dl = u32_at(d, at, true)?;
    at += 4;
    let data = d.get(at..at.checked_add(dl as usize)?)?;
    at += dl as usize;
    let stored = u32_at(d, at, true)?;
    at += 4;
    // The tool pads the whole (from the magic) to the next multiple of 4, always
    // adding at least one byte.
    let end = (at + (4 - at % 4)).min(d.len());
    let (long, product, version) = [false, true].into_iter().find_map(|long| {
        Some((
            long,
            text(&bcrypt(seed, prod, long))?,
            text(&bcrypt(prod[0], ver, long))?,
        ))
    })?;
    Some(Image {
        product,
        version,
        long,
        data_seed: ver[0],
        data,
        stored,
        end,
    })
}

impl Format for Buffalo {
    fn name(&self) -> &'static str {
        "buffalo_enc"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(b"start\0"), Magic::at0(b"asar1\0")];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let img = parse(data.get(start..)?)?;
        Some(Probe::extract(
            Some(img.end as u64),
            Confidence::Strong,
            format!(
                "Buffalo encrypted firmware: product {:?}, version {:?}, {} bytes of data, {} state",
                img.product,
                img.version,
                img.data.len(),
                if img.long { "long" } else { "256-byte" }
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
        let img = parse(data.get(start..).unwrap_or_default())
            .ok_or_else(|| Error::bad(format!("Buffalo image at 0x{start:x} no longer valid")))?;
        let plain = bcrypt(img.data_seed, img.data, img.long);
        let sum = csum(img.data.len() as u32, &plain);
        if sum != img.stored {
            return Err(Error::bad(format!(
                "Buffalo image at 0x{start:x}: checksum of the decrypted data is 0x{sum:08x}, the header states 0x{:08x} (not the default key?)",
                img.stored
            )));
        }
        sink.file_bytes("decrypted.bin", 0o644, &plain)?;
        Ok(img.end as u64)
    }
}
