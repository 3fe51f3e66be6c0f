//! D-Link `encrpted_img` firmware (DIR-X1560, DIR-X5460 and relatives): a 16-byte
//! header (`encrpted_img` and the big-endian ciphertext length) and AES-256-CBC data
//! under a key and IV that are the same for every device and have been published.
//!
//! Each 128 KiB flash erase block is encrypted on its own with the same IV, so each
//! is decrypted on its own: the first block of every erase block then comes out
//! right (tools that run one CBC stream over the whole image have to patch it). The
//! result, normally a UBI image, is streamed to `decrypted.bin` one erase block at a
//! time. There is no MAC: the description says whether the output starts like UBI.

use std::io::{self, Read};

use aes::Aes256;
use cbc::cipher::{BlockDecryptMut, KeyIvInit, generic_array::GenericArray};

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::u32_at;
use crate::{Error, Sink};

pub struct DlinkEncrpted;

const MAGIC: &[u8] = b"encrpted_img";
const HEADER_LEN: usize = 16;
const PEB: usize = 0x20000;
const KEY: &[u8; 32] = b"he9-4+M!)d6=m~we1,q2a3d1n&2*Z^%8";
const IV: &[u8; 16] = b"J%1iQl8$=lm-;8AE";

/// The ciphertext the header states, if it is whole and block-aligned.
fn ciphertext(d: &[u8]) -> Option<&[u8]> {
    if !d.starts_with(MAGIC) {
        return None;
    }
    let len = u32_at(d, 12, true)? as usize;
    if len == 0 || !len.is_multiple_of(16) {
        return None;
    }
    d.get(HEADER_LEN..HEADER_LEN.checked_add(len)?)
}

/// Decrypts one erase block (or the final, shorter piece) with a fresh CBC state.
fn decrypt_peb(ct: &[u8]) -> Vec<u8> {
    let mut dec = cbc::Decryptor::<Aes256>::new(KEY.into(), IV.into());
    let mut out = ct.to_vec();
    for block in out.chunks_exact_mut(16) {
        dec.decrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    out
}

/// Streams the plaintext one erase block at a time.
struct Plain<'a> {
    ct: &'a [u8],
    next: usize,
    buf: Vec<u8>,
    at: usize,
}

impl Read for Plain<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.at == self.buf.len() {
            let Some(piece) = self.ct.get(self.next..) else {
                return Ok(0);
            };
            if piece.is_empty() {
                return Ok(0);
            }
            let piece = &piece[..piece.len().min(PEB)];
            self.next += piece.len();
            self.buf = decrypt_peb(piece);
            self.at = 0;
        }
        let n = out.len().min(self.buf.len() - self.at);
        out[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl Format for DlinkEncrpted {
    fn name(&self) -> &'static str {
        "dlink_encrpted_img"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let ct = ciphertext(data.get(start..)?)?;
        let first = decrypt_peb(&ct[..ct.len().min(16)]);
        let ubi = if first.starts_with(b"UBI#") {
            "decrypts to a UBI image"
        } else {
            "decrypted data does not start like UBI"
        };
        Some(Probe::extract(
            Some((HEADER_LEN + ct.len()) as u64),
            Confidence::Strong,
            format!(
                "D-Link encrpted_img firmware (AES-256-CBC per 128 KiB erase block, published key), {} bytes, {ubi}",
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
            .ok_or_else(|| Error::bad(format!("encrpted_img at 0x{start:x} no longer valid")))?;
        let mut plain = Plain {
            ct,
            next: 0,
            buf: Vec::new(),
            at: 0,
        };
        sink.stream("decrypted.bin", &mut plain)?;
        Ok((HEADER_LEN + ct.len()) as u64)
    }
}
