//! D-Link `MH01` firmware (DAP/DIR models built on this layout): a 16-byte header
//! (`MH01`, the offset and size of the second of two parts, an endianness mark
//! 0x2b1a) followed by the two parts. The outer image holds an inner MH01 image and
//! a signature; the inner one holds the AES IV (as hex text) and the firmware
//! encrypted with `openssl enc -aes-128-cbc -md sha256` under one of a set of
//! passphrases D-Link published under the GPL. The decrypted data is a third MH01
//! image: the firmware and its signature.
//!
//! Each passphrase is tried on the first cipher block only (the plaintext must
//! start with `MH01`), so a wrong one costs one block. Written as `Sig2.bin` (outer
//! signature), `fw.bin` and `Sig1.bin` (inner signature), the names FACT uses.
//! Signatures are not verified (the public keys are not part of the image).

use aes::Aes128;
use cbc::cipher::{BlockDecryptMut, KeyIvInit, generic_array::GenericArray};
use sha2::{Digest, Sha256};

use crate::format::{Confidence, Format, Magic, Probe};
use crate::formats::u32_at;
use crate::{Error, Sink};

pub struct DlinkMh01;

const MAGIC: &[u8] = b"MH01";
const HEADER_LEN: usize = 16;

/// The passphrases (as the hex text given to `openssl -k`) D-Link released.
const PASSPHRASES: [&[u8; 32]; 34] = [
    b"044b4e59846ecee953662ff2238fcc23",
    b"08324188e8c509105186636274cf4bea",
    b"0b8073ca811bf3de07a4b79d90cdb49e",
    b"0bcca591c37f932c839d1eaa4dafc292",
    b"118e57f905f0690157f8389b745b6ac8",
    b"1ae6c79be7d069ca74df7670bdfc4952",
    b"29f9ef6781fa478377d9954187fd078b",
    b"3fb5d73c6ee959edb17ab70f4fb097cf",
    b"443a194860796cd9d9a24d99c4242e64",
    b"4d5ee2c8b5d0fdd9a9a2d351ba897752",
    b"4e5aad6e440bdd16bdc8b6ad441e47ba",
    b"5655840cefb7da085e7c3d9640e64922",
    b"5c67ae65b2329711441a965bc3a73667",
    b"6922920d95a6a48a44d8bf237bea3924",
    b"6b29f1d663a21b35fb45b69a42649f5e",
    b"6cc5de3f0022442fe809981fc1f40d4d",
    b"70070e579f97548a96a7794d4d779376",
    b"80c4d262297149e54c04a91bc3329175",
    b"94706d6f4245039c411af6c3a705e607",
    b"95d620854d9a51c90ae0a22787f50e17",
    b"a07e5f355c8f4037a218d791e2d58fa6",
    b"a4f7c17c3e0aa4532c2024ce6ac5f17c",
    b"b0b2e9efd78ec5dba99e02293c36a94f",
    b"b40c8b7a06b235471b69591021f82e60",
    b"b4517d9b98e04d9f075f5e78c743e097",
    b"c5f8a1e22f808abc84f2e4a6fa5f10bb",
    b"c5ffe41dcdd9518060243921393e7d19",
    b"ddcada1120056f68738e39d7336630eb",
    b"df9c62b095a04e1f67bf4ffe21117eae",
    b"e1d72a0952b1d349be0b7a32fbd1341e",
    b"e5af7b6761f9791b6a522738275002db",
    b"f21247200ea5d552efa08740522d0ff1",
    b"f23051f55ed058c103c25ec37c6e1601",
    b"fa0c50b3d95816b3fffd7da3efd5cb66",
];

/// One MH01 image: its first and second part.
struct Mh01<'a> {
    first: &'a [u8],
    second: &'a [u8],
    /// Bytes from the magic to the end of the second part.
    end: usize,
}

fn parse(d: &[u8]) -> Option<Mh01<'_>> {
    if !d.starts_with(MAGIC) {
        return None;
    }
    let be = match d.get(12..14)? {
        [0x2b, 0x1a] => false,
        [0x1a, 0x2b] => true,
        _ => return None,
    };
    let second_off = HEADER_LEN.checked_add(u32_at(d, 4, be)? as usize)?;
    let second_len = u32_at(d, 8, be)? as usize;
    let end = second_off.checked_add(second_len)?;
    Some(Mh01 {
        first: d.get(HEADER_LEN..second_off)?,
        second: d.get(second_off..end)?,
        end,
    })
}

/// The IV from the inner image's first part: 32 hex digits and a line break.
fn iv(text: &[u8]) -> Option<[u8; 16]> {
    let text = text.strip_suffix(b"\n").unwrap_or(text);
    let v = hex::decode(text).ok()?;
    v.try_into().ok()
}

fn decrypt(ct: &[u8], pass: &[u8], iv: &[u8; 16], blocks: usize) -> Option<Vec<u8>> {
    // `openssl enc` output: "Salted__", an 8-byte salt, then the ciphertext; the
    // key is EVP_BytesToKey with SHA-256 and one round: SHA-256(pass || salt).
    let salt = ct.strip_prefix(b"Salted__")?.get(..8)?;
    let body = ct.get(16..)?;
    if body.is_empty() || !body.len().is_multiple_of(16) {
        return None;
    }
    let digest = Sha256::new()
        .chain_update(pass)
        .chain_update(salt)
        .finalize();
    let key = digest.get(..16)?;
    let mut dec = cbc::Decryptor::<Aes128>::new(key.into(), iv.into());
    let take = body.len().min(blocks.saturating_mul(16));
    let mut out = body.get(..take)?.to_vec();
    for block in out.chunks_exact_mut(16) {
        dec.decrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    Some(out)
}

struct Image<'a> {
    outer: Mh01<'a>,
    enc: &'a [u8],
    iv: [u8; 16],
}

fn image(d: &[u8]) -> Option<Image<'_>> {
    let outer = parse(d)?;
    let inner = parse(outer.first)?;
    let iv = iv(inner.first)?;
    inner.second.starts_with(b"Salted__").then_some(Image {
        enc: inner.second,
        iv,
        outer,
    })
}

impl Format for DlinkMh01 {
    fn name(&self) -> &'static str {
        "dlink_mh01"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        let img = image(data.get(start..)?)?;
        Some(Probe::extract(
            Some(img.outer.end as u64),
            Confidence::Strong,
            format!(
                "D-Link MH01 firmware: {} bytes encrypted (AES-128-CBC), {}-byte signature",
                img.enc.len(),
                img.outer.second.len()
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
        let img = image(data.get(start..).unwrap_or_default())
            .ok_or_else(|| Error::bad(format!("D-Link MH01 at 0x{start:x} no longer valid")))?;
        sink.file_bytes("Sig2.bin", 0o644, img.outer.second)?;
        let pass = PASSPHRASES
            .iter()
            .find(|p| {
                decrypt(img.enc, &p[..], &img.iv, 1).is_some_and(|b| b.starts_with(MAGIC))
            })
            .ok_or_else(|| {
                Error::bad(format!(
                    "D-Link MH01 at 0x{start:x}: none of the published passphrases decrypts the firmware"
                ))
            })?;
        let mut plain = decrypt(img.enc, &pass[..], &img.iv, usize::MAX).unwrap_or_default();
        // PKCS#7 padding.
        let pad = plain.last().copied().unwrap_or(0) as usize;
        if !(1..=16).contains(&pad) || pad > plain.len() {
            return Err(Error::bad(format!(
                "D-Link MH01 at 0x{start:x}: bad padding after decryption"
            )));
        }
        plain.truncate(plain.len() - pad);
        let fw = parse(&plain).ok_or_else(|| {
            Error::bad(format!(
                "D-Link MH01 at 0x{start:x}: the decrypted data is not an MH01 image"
            ))
        })?;
        sink.file_bytes("fw.bin", 0o644, fw.first)?;
        sink.file_bytes("Sig1.bin", 0o644, fw.second)?;
        Ok(img.outer.end as u64)
    }
}
