//! D-Link `SHRS` encrypted firmware (DIR-8xx and related): AES-128-CBC under a key
//! that is the same for every device and has been published, with the IV in the
//! header and SHA-512 digests of both the ciphertext and the plaintext.
//!
//! Both digests are checked, so a wrong key or a damaged image is reported rather
//! than written as garbage. The decrypted image goes to `decrypted.bin` for the
//! driver to carve. Recognised only at the start of a file (a whole-file format,
//! and the digest check is not repeated for every embedded magic).

use aes::Aes128;
use cbc::cipher::{BlockDecryptMut, KeyIvInit, generic_array::GenericArray};
use sha2::{Digest, Sha512};

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::u32_at;
use crate::{Error, Sink};

pub struct DlinkShrs;

const MAGIC: &[u8] = b"SHRS";
const IV_AT: usize = 0x0c;
const PLAIN_SHA_AT: usize = 0x5c;
const CIPHER_SHA_AT: usize = 0x9c;
const DATA_AT: usize = 0x6dc;
/// The firmware key shared by these devices (public since 2020).
const KEY: [u8; 16] = [
    0xc0, 0x5f, 0xbf, 0x19, 0x36, 0xc9, 0x94, 0x29, 0xce, 0x2a, 0x07, 0x81, 0xf0, 0x8d, 0x6a, 0xd8,
];

/// The header's two size fields, as lengths to try (the image does not say which is
/// the padded one; the digests decide).
fn sizes(d: &[u8]) -> Option<[usize; 2]> {
    Some([u32_at(d, 4, true)? as usize, u32_at(d, 8, true)? as usize])
}

/// The ciphertext whose SHA-512 matches the header's.
fn ciphertext(d: &[u8]) -> Option<&[u8]> {
    if !d.starts_with(MAGIC) {
        return None;
    }
    let want = d.get(CIPHER_SHA_AT..CIPHER_SHA_AT + 64)?;
    sizes(d)?.into_iter().find_map(|s| {
        let len = s.checked_add(15)? & !15;
        let ct = d.get(DATA_AT..DATA_AT.checked_add(len)?)?;
        (len > 0 && Sha512::digest(ct).as_slice() == want).then_some(ct)
    })
}

impl Format for DlinkShrs {
    fn name(&self) -> &'static str {
        "dlink_shrs"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        if start != 0 {
            return None;
        }
        let ct = ciphertext(data)?;
        Some(Probe::extract(
            Some((DATA_AT + ct.len()) as u64),
            Confidence::Strong,
            format!(
                "D-Link SHRS encrypted firmware (AES-128-CBC, published key), {} bytes encrypted, ciphertext SHA-512 ok",
                ct.len()
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
        let ct = ciphertext(d)
            .ok_or_else(|| Error::bad(format!("SHRS at 0x{start:x} no longer valid")))?;
        let iv = d.get(IV_AT..IV_AT + 16).unwrap_or(&[0; 16]);
        let mut dec = cbc::Decryptor::<Aes128>::new(&KEY.into(), GenericArray::from_slice(iv));
        let mut pt = ct.to_vec();
        for block in pt.chunks_exact_mut(16) {
            dec.decrypt_block_mut(GenericArray::from_mut_slice(block));
        }
        let want = d.get(PLAIN_SHA_AT..PLAIN_SHA_AT + 64).unwrap_or_default();
        let len = sizes(d)
            .unwrap_or_default()
            .into_iter()
            .chain([pt.len()])
            .filter(|&n| n <= pt.len())
            .find(|&n| Sha512::digest(&pt[..n]).as_slice() == want)
            .ok_or_else(|| {
                Error::bad(format!(
                    "SHRS at 0x{start:x}: the decrypted data does not match its SHA-512 (a different key?)"
                ))
            })?;
        sink.file_bytes("decrypted.bin", 0o644, &pt[..len])?;
        Ok((DATA_AT + ct.len()) as u64)
    }
}
