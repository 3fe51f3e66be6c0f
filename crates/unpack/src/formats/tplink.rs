//! TP-Link firmware header, version 1 (`mktplinkfw`): 512 big-endian bytes naming
//! the vendor, hardware id and firmware version, the kernel and root file system
//! offsets and lengths, and an MD5 of the image computed with a fixed salt in
//! place of the MD5 field.
//!
//! The header only describes what follows, so it is returned as a header probe:
//! carving continues after it into the bootloader, kernel and file system. Later
//! stages read [`parse_header`] to identify the device.

use md5::{Digest, Md5};

use crate::format::{Format, Magic, Probe};
use crate::formats::{cstr, u16_at, u32_at};
use crate::{Error, Sink};

pub struct Tplink;

pub const HEADER_LEN: usize = 0x200;
const MAGIC: &[u8] = b"\x01\x00\x00\x00TP-LINK Technologies\0";
const MD5_AT: usize = 0x4c;

/// Salt of images without a bootloader (`mktplinkfw` "md5salt_normal").
const SALT_NORMAL: [u8; 16] = [
    0xdc, 0xd7, 0x3a, 0xa5, 0xc3, 0x95, 0x98, 0xfb, 0xdd, 0xf9, 0xe7, 0xf4, 0x0e, 0xae, 0x47, 0x38,
];
/// Salt of images that carry the bootloader ("md5salt_boot").
const SALT_BOOT: [u8; 16] = [
    0x8c, 0xef, 0x33, 0x5b, 0xd5, 0xc5, 0xce, 0xfa, 0xa7, 0x9c, 0x28, 0xda, 0xb2, 0xe9, 0x0f, 0x42,
];

/// Outcome of the image MD5 check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Md5Check {
    /// Matches with the salt of images without a bootloader.
    Normal,
    /// Matches with the salt of images that include the bootloader.
    WithBootloader,
    /// The image is shorter than the length the header states.
    Truncated,
    Mismatch,
    /// Not computed: the header sits inside another file (see [`Tplink`]'s probe).
    NotChecked,
}

/// The fields of a version 1 header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TplinkHeader {
    pub vendor: String,
    /// Free text such as `ver. 1.0`.
    pub version_text: String,
    /// Hardware id, such as 0x08410010 for the TL-WR841N v10.
    pub hardware_id: u32,
    pub hardware_revision: u32,
    /// Model number read from the hardware id's upper half (`841`, `940`, `3020`).
    pub model: String,
    /// Hardware version read from its lower half (`10` for v10).
    pub hardware_version: String,
    /// Firmware version from the numeric fields, such as `3.16.9`.
    pub version: String,
    pub kernel_load: u32,
    pub kernel_entry: u32,
    /// Bytes of the whole image, header included.
    pub image_len: u32,
    pub kernel_offset: u32,
    pub kernel_len: u32,
    pub rootfs_offset: u32,
    pub rootfs_len: u32,
    pub md5: Md5Check,
}

/// Parses and checks a version 1 header at the start of `data`; `None` unless the
/// magic, vendor text and length fields are consistent. The MD5 outcome is a field,
/// so that a modified image is still identified.
pub fn parse_header(data: &[u8]) -> Option<TplinkHeader> {
    parse(data, true)
}

fn parse(data: &[u8], check_md5: bool) -> Option<TplinkHeader> {
    let h = data.get(..HEADER_LEN)?;
    if !h.starts_with(MAGIC) {
        return None;
    }
    let be = |o| u32_at(h, o, true);
    let image_len = be(0x7c)?;
    let kernel_offset = be(0x80)?;
    let kernel_len = be(0x84)?;
    let rootfs_offset = be(0x88)?;
    let rootfs_len = be(0x8c)?;
    let inside = |o: u32, l: u32| o.checked_add(l).is_some_and(|e| e <= image_len);
    if (image_len as usize) < HEADER_LEN
        || !inside(kernel_offset, kernel_len)
        || !inside(rootfs_offset, rootfs_len)
    {
        return None;
    }
    let hardware_id = be(0x40)?;
    let md5 = match data.get(..image_len as usize) {
        _ if !check_md5 => Md5Check::NotChecked,
        None => Md5Check::Truncated,
        Some(img) => {
            let stored = h.get(MD5_AT..MD5_AT + 16)?;
            let digest = |salt: &[u8; 16]| {
                let mut m = Md5::new();
                m.update(&img[..MD5_AT]);
                m.update(salt);
                m.update(&img[MD5_AT + 16..]);
                m.finalize()
            };
            if digest(&SALT_NORMAL).as_slice() == stored {
                Md5Check::Normal
            } else if digest(&SALT_BOOT).as_slice() == stored {
                Md5Check::WithBootloader
            } else {
                Md5Check::Mismatch
            }
        }
    };
    Some(TplinkHeader {
        vendor: cstr(&h[4..0x1c]),
        version_text: cstr(&h[0x1c..0x40]),
        hardware_id,
        hardware_revision: be(0x44)?,
        model: format!("{:x}", hardware_id >> 16),
        hardware_version: format!("{:x}", hardware_id & 0xffff),
        version: format!(
            "{}.{}.{}",
            u16_at(h, 0x98, true)?,
            u16_at(h, 0x9a, true)?,
            u16_at(h, 0x9c, true)?
        ),
        kernel_load: be(0x74)?,
        kernel_entry: be(0x78)?,
        image_len,
        kernel_offset,
        kernel_len,
        rootfs_offset,
        rootfs_len,
        md5,
    })
}

impl Format for Tplink {
    fn name(&self) -> &'static str {
        "tplink"
    }
    fn magics(&self) -> &'static [Magic] {
        const M: &[Magic] = &[Magic::at0(MAGIC)];
        M
    }
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe> {
        // The MD5 covers the whole image and the header only moves the cursor 512
        // bytes, so checking every embedded header would cost candidates x image
        // length on a crafted file; only a header at the start of a file is checked.
        let h = parse(data.get(start..)?, start == 0)?;
        let md5 = match h.md5 {
            Md5Check::Normal => "MD5 ok",
            Md5Check::WithBootloader => "MD5 ok (image with bootloader)",
            Md5Check::Truncated => "image truncated, MD5 not checked",
            Md5Check::Mismatch => "MD5 MISMATCH",
            Md5Check::NotChecked => "MD5 not checked (header inside the file)",
        };
        Some(Probe::header(
            HEADER_LEN as u64,
            format!(
                "TP-Link firmware header v1: vendor {:?}, model {} v{} (hardware id 0x{:08x} rev {}), firmware {} ({:?}), image {} bytes, kernel 0x{:x}+{} (load 0x{:08x}, entry 0x{:08x}), rootfs 0x{:x}+{}, {md5}",
                h.vendor,
                h.model,
                h.hardware_version,
                h.hardware_id,
                h.hardware_revision,
                h.version,
                h.version_text,
                h.image_len,
                h.kernel_offset,
                h.kernel_len,
                h.kernel_load,
                h.kernel_entry,
                h.rootfs_offset,
                h.rootfs_len,
            ),
        ))
    }
    fn extract(
        &self,
        _data: &[u8],
        start: usize,
        _probe: &Probe,
        _sink: &mut Sink,
    ) -> Result<u64, Error> {
        // Header probes are recorded by the driver and never extracted.
        Err(Error::bad(format!(
            "TP-Link header at 0x{start:x} has nothing to extract"
        )))
    }
}
