//! Every format baseliner knows, one module each. Add a module, then list it in [`all`].

use crate::Format;

pub mod alphanetworks;
pub mod ambarella;
pub mod android_sparse;
pub mod arcadyan;
pub mod bosch;
pub mod broadcom_sao;
pub mod buffalo;
pub mod bzip2;
pub mod cpio;
pub mod cramfs;
pub mod dahua;
pub mod dji;
pub mod dlink_encrpted;
pub mod dlink_mh01;
pub mod dlink_shrs;
pub mod draytek;
pub mod ext;
pub mod fit;
pub mod grain_media;
pub mod gzip;
pub mod jffs2;
pub mod linux_kernel;
pub mod lz4;
pub mod lzma;
pub mod lzo;
pub mod pfs;
pub mod pkcs7;
pub mod romfs;
pub mod senao;
pub mod sevenz;
pub mod squashfs;
pub mod tar;
pub mod tenvis_pk2;
pub mod tplink;
pub mod tplink_img0;
pub mod trx;
pub mod ubi;
pub mod uimage;
pub mod vxworks_memfs;
pub mod xiaomi;
pub mod xz;
pub mod yaffs2;
pub mod zip;
pub mod zlib;
pub mod zstd;

/// All formats in the order their candidates win when two start at the same offset:
/// file systems and archives before the compressors that could also match inside them.
pub fn all() -> Vec<&'static dyn Format> {
    vec![
        &tplink::Tplink,
        &tplink_img0::TplinkImg0,
        &uimage::Uimage,
        &fit::Fit,
        &trx::Trx,
        &android_sparse::AndroidSparse,
        &linux_kernel::LinuxKernel,
        &xiaomi::Xiaomi,
        &dahua::Dahua,
        &dlink_shrs::DlinkShrs,
        &dlink_encrpted::DlinkEncrpted,
        &arcadyan::Arcadyan,
        &dlink_mh01::DlinkMh01,
        &draytek::Draytek,
        &buffalo::Buffalo,
        &senao::Senao,
        &tenvis_pk2::TenvisPk2,
        &grain_media::GrainMedia,
        &alphanetworks::Alphanetworks,
        &broadcom_sao::BroadcomSao,
        &ambarella::Ambarella,
        &dji::Dji,
        &bosch::Bosch,
        &pkcs7::Pkcs7Signed,
        &squashfs::Squashfs,
        &cramfs::Cramfs,
        &jffs2::Jffs2,
        &yaffs2::Yaffs2,
        &ubi::Ubi,
        &romfs::Romfs,
        &pfs::Pfs,
        &vxworks_memfs::VxworksMemfs,
        &ext::Ext,
        &tar::Tar,
        &cpio::Cpio,
        &zip::Zip,
        &sevenz::Sevenz,
        &gzip::Gzip,
        &xz::Xz,
        &lzma::Lzma,
        &bzip2::Bzip2,
        &zstd::Zstd,
        &lz4::Lz4,
        &lzo::Lzo,
        &zlib::Zlib,
    ]
}

/// Reads a little- or big-endian integer at `off`, or `None` past the end.
pub fn u16_at(d: &[u8], off: usize, be: bool) -> Option<u16> {
    let b: [u8; 2] = d.get(off..off.checked_add(2)?)?.try_into().ok()?;
    Some(if be {
        u16::from_be_bytes(b)
    } else {
        u16::from_le_bytes(b)
    })
}

pub fn u32_at(d: &[u8], off: usize, be: bool) -> Option<u32> {
    let b: [u8; 4] = d.get(off..off.checked_add(4)?)?.try_into().ok()?;
    Some(if be {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

pub fn u64_at(d: &[u8], off: usize, be: bool) -> Option<u64> {
    let b: [u8; 8] = d.get(off..off.checked_add(8)?)?.try_into().ok()?;
    Some(if be {
        u64::from_be_bytes(b)
    } else {
        u64::from_le_bytes(b)
    })
}

/// A NUL-terminated string from a fixed-size field, lossily decoded.
pub fn cstr(d: &[u8]) -> String {
    let end = d.iter().position(|&b| b == 0).unwrap_or(d.len());
    String::from_utf8_lossy(&d[..end]).into_owned()
}
