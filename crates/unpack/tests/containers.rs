//! Container and vendor-header formats (uImage, FIT/DTB, TRX, TP-Link, Android sparse,
//! Linux bzImage/zImage) on real fixtures from `../shared/corpus`, plus truncation
//! and corruption of each.
//!
//! Expected sizes and SHA-256 values were computed independently with Python
//! (`zlib.crc32`, `hashlib`, `struct`) from the offsets each header states.

mod common;
use common::{cuts, fixture, flips, hit, run, run_bytes};

use std::fs;
use std::path::Path;

use baseliner_unpack::formats::tplink::{Md5Check, parse_header};
use baseliner_unpack::{FileRecord, Limits, Report, unpack};
use sha2::{Digest, Sha256};

fn file<'a>(r: &'a Report, path: &str) -> &'a FileRecord {
    r.files
        .iter()
        .find(|f| f.path == Path::new(path))
        .unwrap_or_else(|| panic!("no file {path}; found {:#?}", r.files))
}

fn sha256_of(path: &Path) -> String {
    hex::encode(Sha256::digest(fs::read(path).unwrap()))
}

/// Asserts the extracted file exists with this size and SHA-256, on disk and in the listing.
fn assert_file(dir: &tempfile::TempDir, r: &Report, path: &str, size: u64, sha: &str) {
    let f = file(r, path);
    assert_eq!(f.size, size, "{path} size");
    assert_eq!(f.sha256.as_deref(), Some(sha), "{path} listing hash");
    assert_eq!(
        sha256_of(&dir.path().join("out").join(path)),
        sha,
        "{path} on disk"
    );
}

/// Whether any file extracted below `prefix` contains `needle` (decompressed kernels).
fn any_contains(dir: &tempfile::TempDir, r: &Report, prefix: &str, needle: &[u8]) -> bool {
    r.files.iter().any(|f| {
        f.path.starts_with(prefix)
            && f.size > 0
            && fs::read(dir.path().join("out").join(&f.path))
                .is_ok_and(|d| d.windows(needle.len()).any(|w| w == needle))
    })
}

/// Asserts the kernel banner appears in what the decompressors made of `payload`,
/// when a decompressor for it is present; returns whether it checked.
fn kernel_banner(dir: &tempfile::TempDir, r: &Report, payload: &str, banner: &[u8]) -> bool {
    let extract = format!("{payload}.extract");
    let decompressed = r.files.iter().any(|f| f.path.starts_with(&extract));
    if decompressed {
        assert!(
            any_contains(dir, r, &extract, banner),
            "{} not found below {extract}",
            String::from_utf8_lossy(banner)
        );
    } else {
        eprintln!("note: {payload} was not decompressed (no decompressor for it yet)");
    }
    decompressed
}

// ---------------------------------------------------------------- uImage

#[test]
fn uimage_wavlink_kernel() {
    let Some(img) = fixture("firmware/wavlink-529b3-kernel.uimage") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "uimage");
    assert_eq!(h.length, Some(1_451_278));
    for fact in [
        "\"WAVLINK_529B3EN\"",
        "Linux MIPS kernel",
        "lzma compression",
        "1451214 bytes",
        "load 0x80000000",
        "data CRC ok",
        "2016-07-18",
    ] {
        assert!(h.description.contains(fact), "{fact} in {}", h.description);
    }
    assert_file(
        &dir,
        &r,
        "0x0.uimage/kernel.lzma",
        1_451_214,
        "6c3df70cce5bcd2e9203aa61d5497c52f47655e81f4129479f4c4086d15c37dc",
    );
    kernel_banner(
        &dir,
        &r,
        "0x0.uimage/kernel.lzma",
        b"Linux version 3.10.14+ (root@wiair-desktop)",
    );
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
}

#[test]
fn uimage_openwrt_kernel() {
    let Some(img) = fixture("firmware/openwrt-mt7628-kernel.uimage") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "uimage");
    assert!(h.description.contains("\"OpenWrt Linux-3.10.14-p112871\""));
    assert!(h.description.contains("data CRC ok"));
    assert_file(
        &dir,
        &r,
        "0x0.uimage/kernel.lzma",
        1_281_569,
        "776f0258c379c57ffda9417ba378a5febc598a943f4e6a88423ab99dfc1f9ef9",
    );
    kernel_banner(
        &dir,
        &r,
        "0x0.uimage/kernel.lzma",
        b"Linux version 3.10.14 (osmar@",
    );
}

#[test]
fn uimage_payload_that_lies_about_its_compression() {
    // The header says gzip; the payload is ARM code. It is kept, named .bin, with a warning.
    let Some(img) = fixture("firmware/nvr2x-uboot.uimage") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "uimage");
    assert!(
        h.description
            .contains("\"NVR2X-4KS3\": Linux ARM firmware, gzip compression")
    );
    assert!(h.description.contains("data CRC ok"));
    assert_file(
        &dir,
        &r,
        "0x0.uimage/firmware.bin",
        405_608,
        "29fde2ecdf0f672e9977c13b45ca7cfa29cdb9bce21afbd579a7df52cd454b2d",
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("states gzip compression but the payload does not"))
    );
}

#[test]
fn uimage_followed_by_more_data() {
    let Some(img) = fixture("formats/uboot__uboot.image_with_header") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "uimage");
    assert_eq!(
        h.length,
        Some(64 + 32_753),
        "the uImage ends where its header says"
    );
    assert!(
        h.description
            .contains("\"u-boot image\": Linux MIPS firmware, lzma")
    );
    assert_file(
        &dir,
        &r,
        "0x0.uimage/firmware.lzma",
        32_753,
        "df52b81a1cfab204800004cd18149957db02cd543ae35732b6c5050806d94b32",
    );
    // Carving goes on after the uImage: a TP-Link header follows it.
    let tp = hit(&r, 0x1c5b0, "tplink");
    assert!(tp.description.contains("model 710 v1"));
    assert!(
        tp.description
            .contains("MD5 not checked (header inside the file)")
    );
    // parse_header checks it when asked: the image it describes is cut short here.
    let d = fs::read(&img).unwrap();
    assert_eq!(
        parse_header(&d[0x1c5b0..]).unwrap().md5,
        Md5Check::Truncated
    );
}

#[test]
fn uimage_with_bad_header_crc_is_not_trusted() {
    // uboot.dtb starts with a uImage header whose CRC does not match (verified with
    // zlib.crc32); what follows is an ARM zImage and, inside it, a device tree.
    let Some(img) = fixture("formats/uboot__uboot.dtb") else {
        return;
    };
    let (_dir, r) = run(&img);
    assert!(r.formats.iter().all(|h| h.format != "uimage"));
    let z = hit(&r, 0x40, "linux_kernel");
    assert!(
        z.description
            .contains("ARM Linux zImage (little-endian header)")
    );
    assert!(z.description.contains("endianness flag ok"));
    let dtb = hit(&r, 0x980, "fit");
    assert_eq!(dtb.extracted_to, None, "a plain device tree is a header");
    assert_eq!(dtb.length, Some(32_889));
    assert!(dtb.description.contains("flattened device tree v17"));
    assert!(dtb.description.contains("\"linksys,shelby\""));
}

/// A legacy image header around `payload` (as `mkimage` writes it).
fn uimage(payload: &[u8], image_type: u8, comp: u8, name: &str) -> Vec<u8> {
    let mut h = vec![0u8; 64];
    h[..4].copy_from_slice(&[0x27, 0x05, 0x19, 0x56]);
    h[8..12].copy_from_slice(&1_600_000_000u32.to_be_bytes());
    h[12..16].copy_from_slice(&(payload.len() as u32).to_be_bytes());
    h[24..28].copy_from_slice(&crc32fast::hash(payload).to_be_bytes());
    h[28] = 5; // Linux
    h[29] = 2; // ARM
    h[30] = image_type;
    h[31] = comp;
    h[32..32 + name.len()].copy_from_slice(name.as_bytes());
    let crc = crc32fast::hash(&h);
    h[4..8].copy_from_slice(&crc.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn uimage_multi_extracts_every_sub_image() {
    let kernel = gzip(b"Linux version 9.9.9 (test) kernel text");
    let ramdisk = gzip(&b"ramdisk bytes ".repeat(100));
    let mut payload = Vec::new();
    for s in [kernel.len() as u32, ramdisk.len() as u32, 0] {
        payload.extend_from_slice(&s.to_be_bytes());
    }
    payload.extend_from_slice(&kernel);
    while payload.len() % 4 != 0 {
        payload.push(0);
    }
    payload.extend_from_slice(&ramdisk);
    let img = uimage(&payload, 4, 0, "multi test");
    let (_dir, r) = run_bytes(&img);
    let h = hit(&r, 0, "uimage");
    assert!(h.description.contains("Linux ARM multi, none compression"));
    let k = file(&r, "0x0.uimage/part0.gz");
    assert_eq!(k.sha256, Some(hex::encode(Sha256::digest(&kernel))));
    let d = file(&r, "0x0.uimage/part1.gz");
    assert_eq!(d.sha256, Some(hex::encode(Sha256::digest(&ramdisk))));
    // The driver recursed into both and gunzipped them.
    let unzipped: Vec<_> = r
        .files
        .iter()
        .filter(|f| f.provenance.contains(":gzip:"))
        .map(|f| f.size)
        .collect();
    assert_eq!(unzipped.len(), 2, "{:#?}", r.files);
    assert!(unzipped.contains(&1400));
}

#[test]
fn uimage_data_crc_mismatch_is_reported() {
    let mut img = uimage(b"some kernel bytes", 2, 0, "k");
    let last = img.len() - 1;
    img[last] ^= 0x40;
    let (_dir, r) = run_bytes(&img);
    let h = hit(&r, 0, "uimage");
    assert!(
        h.description.contains("data CRC mismatch"),
        "{}",
        h.description
    );
    assert!(r.warnings.iter().any(|w| w.contains("data CRC mismatch")));
    assert_eq!(file(&r, "0x0.uimage/kernel.bin").size, 17);
}

#[test]
fn uimage_truncated_payload_keeps_what_is_there() {
    let img = uimage(&[7u8; 5000], 3, 0, "rd");
    let (_dir, r) = run_bytes(&img[..3000]);
    assert!(
        hit(&r, 0, "uimage")
            .description
            .contains("truncated: 2936 of 5000")
    );
    assert_eq!(file(&r, "0x0.uimage/ramdisk.bin").size, 2936);
    let e = r.errors.iter().find(|e| e.format == "uimage").unwrap();
    assert_eq!(e.offset, 0);
    assert!(e.reason.contains("only 2936 present"), "{}", e.reason);
}

// ---------------------------------------------------------------- FIT / DTB

#[test]
fn fit_images_are_extracted_by_node_name() {
    let Some(img) = fixture("formats/uboot__fit.itb") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "fit");
    assert_eq!(h.length, Some(2_099_624));
    assert!(h.description.contains("\"FACT Test FIT Image\""));
    assert!(h.description.contains("3 images"));
    assert!(
        h.description
            .contains("kernel (kernel arm64 gzip, 1048765 bytes")
    );
    assert_file(
        &dir,
        &r,
        "0x0.fit/kernel.gz",
        1_048_765,
        "b064b09c2cf90b2ccae1120a5d59431d9b3d615c046a22cc659d33021302f7cc",
    );
    assert_file(
        &dir,
        &r,
        "0x0.fit/fdt.dtb",
        155,
        "d96c22632f567aa2a40142bd720594dd89408c524325473f608b31c4fcc374c4",
    );
    assert_file(
        &dir,
        &r,
        "0x0.fit/rootfs.gz",
        1_049_072,
        "c960cc360f7739edc3e0add1723781d0f6bb50b8015b343c29960415cb5fdf38",
    );
    // The embedded device tree is recognised as a plain tree.
    assert!(
        r.formats
            .iter()
            .any(|f| f.file == "0x0.fit/fdt.dtb" && f.format == "fit" && f.extracted_to.is_none())
    );
    // The gzip payloads were handed on: the rootfs holds a squashfs image.
    assert!(any_contains(&dir, &r, "0x0.fit/rootfs.gz.extract", b"hsqs"));
}

// ---------------------------------------------------------------- TRX

#[test]
fn trx_partition() {
    let Some(img) = fixture("formats/trx__trx.img") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "trx");
    assert_eq!(h.length, Some(4096));
    assert_eq!(
        h.description,
        "TRX v1, 4096 bytes, CRC ok, partitions 0x1c+4068"
    );
    assert_file(
        &dir,
        &r,
        "0x0.trx/part0.bin",
        4068,
        "5140b7a0bca18dc6c000a77e7fd502a851f5b1ce2b067d3dc006a1fc3d9c3b70",
    );
}

#[test]
fn trx_with_bad_crc_is_rejected() {
    let Some(img) = fixture("formats/trx__trx.img") else {
        return;
    };
    let mut d = fs::read(img).unwrap();
    d[100] ^= 1;
    let (_dir, r) = run_bytes(&d);
    assert!(r.formats.iter().all(|h| h.format != "trx"));
}

// ---------------------------------------------------------------- TP-Link

#[test]
fn tplink_headers_identify_the_device() {
    let Some(img) = fixture("firmware/tplink-wr841nv10-3.16.9.bin") else {
        return;
    };
    let data = fs::read(&img).unwrap();
    let outer = parse_header(&data).unwrap();
    assert_eq!(outer.vendor, "TP-LINK Technologies");
    assert_eq!(outer.hardware_id, 0x0841_0010);
    assert_eq!(outer.model, "841");
    assert_eq!(outer.hardware_version, "10");
    assert_eq!(outer.version, "3.16.9");
    assert_eq!(outer.version_text, "ver. 1.0");
    assert_eq!(outer.image_len, 4_063_744);
    assert_eq!(outer.md5, Md5Check::WithBootloader);
    let inner = parse_header(&data[0x20200..]).unwrap();
    assert_eq!(inner.md5, Md5Check::Normal);
    assert_eq!((inner.kernel_offset, inner.kernel_len), (0x200, 761_358));
    assert_eq!(
        (inner.rootfs_offset, inner.rootfs_len),
        (0x100000, 0x2c0000)
    );

    let (_dir, r) = run(&img);
    let h = hit(&r, 0, "tplink");
    assert_eq!(h.length, Some(512));
    assert!(
        h.description
            .contains("model 841 v10 (hardware id 0x08410010 rev 1)")
    );
    assert!(h.description.contains("firmware 3.16.9"));
    assert!(h.description.contains("MD5 ok (image with bootloader)"));
    // The embedded header is recorded; its MD5 is left to parse_header (checked above).
    let inner_hit = hit(&r, 0x20200, "tplink");
    assert!(inner_hit.description.contains("model 841 v10"));
    assert!(inner_hit.description.contains("MD5 not checked"));
    // Carving continued into the kernel and the root file system.
    assert!(
        r.formats
            .iter()
            .any(|f| f.file.is_empty() && f.offset == 0x20400)
    );
    assert!(
        r.formats
            .iter()
            .any(|f| f.file.is_empty() && f.offset == 0x120200)
    );
}

#[test]
fn tplink_other_models() {
    for (rel, model, hw, version) in [
        ("firmware/tplink-wr940nv4-3.16.9.bin", "940", "4", "3.16.9"),
        ("formats/tpl__test.tpl", "3020", "1", "3.17.2"),
    ] {
        let Some(img) = fixture(rel) else {
            return;
        };
        let data = fs::read(&img).unwrap();
        let h = parse_header(&data).unwrap();
        assert_eq!((h.model.as_str(), h.hardware_version.as_str()), (model, hw));
        assert_eq!(h.version, version);
        assert_eq!(h.md5, Md5Check::WithBootloader, "{rel}");
        // One changed byte anywhere breaks the MD5.
        let mut bad = data.clone();
        bad[0x30_0000] ^= 1;
        assert_eq!(parse_header(&bad).unwrap().md5, Md5Check::Mismatch);
    }
}

#[test]
fn tplink_header_never_panics() {
    let Some(img) = fixture("formats/tpl__test.tpl") else {
        return;
    };
    let data = fs::read(img).unwrap();
    let head = &data[..0x2000];
    for cut in 0..0x240 {
        let _ = parse_header(&head[..cut]);
    }
    for i in 0..0x200 {
        let mut d = head.to_vec();
        d[i] ^= 0xff;
        let _ = parse_header(&d);
    }
}

// ---------------------------------------------------------------- Android sparse

#[test]
fn android_sparse_expands_to_raw_image() {
    let Some(img) = fixture("formats/android_simg__simg.img") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "android_sparse");
    assert_eq!(h.length, Some(127_284));
    assert!(
        h.description
            .contains("20 chunks, 2560 blocks of 4096 bytes")
    );
    assert_file(
        &dir,
        &r,
        "0x0.android_sparse/image.raw",
        10_485_760,
        "11863f39512c710d0a640d06582a08858e5e0c557a8327a6eb1d07d2fd3baf82",
    );
}

// ---------------------------------------------------------------- Linux kernels

#[test]
fn bzimage_payload_per_compressor() {
    let cases = [
        (
            "gzip",
            "gz",
            486_503,
            "5291bcfbbcdbf2c999d15bf4fbc2ab7ae047d3d65ffb0fbfb3ec01fd2562d166",
        ),
        (
            "bzip2",
            "bz2",
            458_014,
            "1bde807357f67432cfdea6a9b8bfa9b53b16439751445fab2cf9f5ec457084be",
        ),
        (
            "lzma",
            "lzma",
            426_908,
            "8bf4d36ca4c2fb97188dc2234c1993c76cbde550f7ac02a79d65ca814807c997",
        ),
        (
            "xz",
            "xz",
            409_300,
            "ef69b2f54c136e1a201aea2b0e7637fe7c73847e09e6988444e4d602c6e94b36",
        ),
        (
            "lzo",
            "lzo",
            526_215,
            "a5fd3f4eae4f43688edc4276a65f3058c6c4bc0003043b3d1283c9d00de42b75",
        ),
        (
            "lz4",
            "lz4",
            555_346,
            "141d0d7e6727dd473c434004bdf67a777d388440c4ba41ee9528102e7372d095",
        ),
    ];
    for (comp, ext, size, sha) in cases {
        let Some(img) = fixture(&format!("formats/linuxkernel__bzImage_{comp}")) else {
            return;
        };
        let (dir, r) = run(&img);
        let h = hit(&r, 0, "linux_kernel");
        assert_eq!(h.length, Some(fs::metadata(&img).unwrap().len()), "{comp}");
        assert!(h.description.contains("boot protocol 2.13"));
        assert!(
            h.description
                .contains("kernel 5.4.72 (root@caesurus-ubuntu20-04)")
        );
        assert!(
            h.description
                .contains(&format!("payload {ext} at 0x4269, {size} bytes"))
        );
        let payload = format!("0x0.linux_kernel/vmlinux.{ext}");
        assert_file(&dir, &r, &payload, size, sha);
        let checked = kernel_banner(&dir, &r, &payload, b"Linux version 5.4.72");
        if comp == "gzip" {
            assert!(checked, "gzip is always available");
        }
    }
}

#[test]
fn zimage_big_endian_header() {
    let Some(img) = fixture("formats/linuxkernel__zImage_be32") else {
        return;
    };
    let (_dir, r) = run(&img);
    let h = hit(&r, 0, "linux_kernel");
    assert_eq!(h.length, Some(0x30));
    assert_eq!(h.extracted_to, None);
    assert!(
        h.description
            .contains("ARM Linux zImage (big-endian header), 11946940 bytes")
    );
}

#[test]
fn bogus_kernel_is_rejected_cleanly() {
    let Some(img) = fixture("formats/linuxkernel__bogus_image.bin") else {
        return;
    };
    let (_dir, r) = run(&img);
    assert!(r.formats.iter().all(|h| h.format != "linux_kernel"));
    assert!(r.errors.iter().all(|e| !e.reason.contains("panicked")));
}

// ---------------------------------------------------------------- hostile input

/// Unpacks every variant; each must finish without a panic reaching the report.
fn survives(variants: impl Iterator<Item = Vec<u8>>) -> usize {
    let mut n = 0;
    for v in variants {
        let (_dir, r) = run_bytes(&v);
        if let Some(e) = r.errors.iter().find(|e| e.reason.contains("panicked")) {
            panic!("variant {n} ({} bytes): {e:?}", v.len());
        }
        n += 1;
    }
    n
}

#[test]
fn uimage_truncations_and_flips() {
    let Some(img) = fixture("formats/uboot__uboot.image_with_header") else {
        return;
    };
    let data = fs::read(img).unwrap();
    let u = &data[..64 + 32_753];
    let n = survives(cuts(u, 1024, 1024));
    assert_eq!(n, 1024 + 32);
    survives(flips(u, 0..64));
    survives(flips(u, 64..96));
}

#[test]
fn small_formats_truncations_and_flips() {
    let Some(trx) = fixture("formats/trx__trx.img") else {
        return;
    };
    let trx = fs::read(trx).unwrap();
    survives(cuts(&trx, 64, 61));
    survives(flips(&trx, 0..40));

    let Some(z) = fixture("formats/linuxkernel__zImage_be32") else {
        return;
    };
    let z = fs::read(z).unwrap();
    survives(cuts(&z, 0x40, 997));
    survives(flips(&z, 0x20..0x34));
}

#[test]
fn sparse_truncations_and_flips() {
    let Some(img) = fixture("formats/android_simg__simg.img") else {
        return;
    };
    let d = fs::read(img).unwrap();
    survives(cuts(&d, 80, 6007));
    // The file header and the first chunk headers.
    survives(flips(&d, 0..28));
    survives(flips(&d, 28..40).step_by(2));
}

#[test]
fn bzimage_and_fit_header_corruption() {
    let Some(bz) = fixture("formats/linuxkernel__bzImage_lz4") else {
        return;
    };
    let bz = fs::read(bz).unwrap();
    survives(flips(&bz, 0x1f0..0x250).step_by(3));
    survives(
        [0x1f0, 0x201, 0x250, 0x4000, 0x4269, 0x4270, 0x50000]
            .map(|c| bz[..c].to_vec())
            .into_iter(),
    );

    let Some(fit) = fixture("formats/uboot__fit.itb") else {
        return;
    };
    let fit = fs::read(fit).unwrap();
    // Header, then the start of the structure block (up to the first data property).
    survives(flips(&fit, 0..0xd0).step_by(4));
    survives(
        [0x28, 0x100, 0x10_0000, fit.len() - 1]
            .map(|c| fit[..c].to_vec())
            .into_iter(),
    );
}

// ---------------------------------------------------------------- further vendor headers

#[test]
fn xiaomi_hdr1_blobs_by_name() {
    let Some(img) = fixture("formats/xiaomi_hdr__test.hdr1") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "xiaomi");
    assert!(
        h.description.contains("device id 0x0047, CRC ok, 3 blobs"),
        "{}",
        h.description
    );
    assert!(h.description.contains("signature at 0x12e (truncated)"));
    assert_file(
        &dir,
        &r,
        "0x0.xiaomi/generic folder/test file 3_.txt",
        20,
        "289b5a050a83837f192d7129e4c4e02570b94b4924e50159fad5ed1067cfbfeb",
    );
    assert_file(
        &dir,
        &r,
        "0x0.xiaomi/testfile1",
        62,
        "d558c9339cb967341d701e3184f863d3928973fccdc1d96042583730b5c7b76a",
    );
    assert_file(
        &dir,
        &r,
        "0x0.xiaomi/testfile2",
        28,
        "faa11db49f32a90b51dfc3f0254f9fd7a7b46d0b570abd47e1943b86d554447a",
    );
    let d = fs::read(&img).unwrap();
    survives(cuts(&d, 128, 7));
    survives(flips(&d, 0..0x80).step_by(2));
}

#[test]
fn dahua_zip_with_restored_magic() {
    let Some(img) = fixture("formats/dahua__dh.bin") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "dahua");
    assert_eq!(h.length, Some(787));
    assert!(h.description.contains("5 entries"));
    assert_file(
        &dir,
        &r,
        "0x0.dahua/firmware.zip",
        787,
        "418a54d78550e8584291c96e5d6168133621f352bfc1d43cf84e81187fef4962",
    );
    // The zip format unpacks the restored archive, once it accepts a version-needed
    // field with the host byte set (0x0314, as here); until then only the zip is checked.
    let inner: Vec<_> = r
        .files
        .iter()
        .filter(|f| f.provenance.contains(":zip:") && f.size > 0)
        .map(|f| (f.fs_path.as_str(), f.size))
        .collect();
    if inner.is_empty() {
        eprintln!("note: the zip format did not unpack the restored Dahua archive");
    } else {
        assert!(
            inner.contains(&("/get_files_test/testfile1", 62)),
            "{inner:?}"
        );
    }
    let d = fs::read(&img).unwrap();
    survives(cuts(&d, 128, 7));
}

#[test]
fn sparse_bomb_is_stopped_by_the_quotas() {
    // 60 bytes that state 2^32-1 blocks of 4 KiB "don't care": 16 TiB of zeros.
    let mut d = vec![0x3a, 0xff, 0x26, 0xed];
    for v in [1u16, 0, 28, 12] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    for v in [4096u32, u32::MAX, 1, 0] {
        d.extend_from_slice(&v.to_le_bytes());
    }
    d.extend_from_slice(&0xcac3u16.to_le_bytes());
    d.extend_from_slice(&[0, 0]);
    d.extend_from_slice(&u32::MAX.to_le_bytes());
    d.extend_from_slice(&12u32.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("bomb.simg");
    fs::write(&img, &d).unwrap();
    let limits = Limits {
        ratio_floor: 1 << 20,
        ..Limits::default()
    };
    let r = unpack(&img, &dir.path().join("out"), &limits, None).unwrap();
    let e = r
        .errors
        .iter()
        .find(|e| e.format == "android_sparse")
        .unwrap();
    assert!(e.reason.contains("expansion ratio"), "{}", e.reason);
    let raw = file(&r, "0x0.android_sparse/image.raw");
    assert!(
        raw.size <= 2 << 20,
        "stopped soon after the floor: {}",
        raw.size
    );
}

#[test]
fn draytek_vigor_container() {
    let Some(img) = fixture("formats/draytek_vigor_167__valid_draytekvigor167_image.bin") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "draytek");
    assert_eq!(h.length, Some(4401));
    assert!(h.description.contains("kernel 0 bytes, rootfs 4096 bytes"));
    assert!(h.description.contains("bbc06553566f3d73c11299057ca45573"));
    assert_file(
        &dir,
        &r,
        "0x0.draytek/rootfs.bin",
        4096,
        "73b648f484ab0a34ce00729ce8b7ef183885b4b5c540344a8451d18fe94cc2fa",
    );
    // The squashfs inside was handed on.
    assert!(
        r.formats
            .iter()
            .any(|f| f.file == "0x0.draytek/rootfs.bin" && f.format == "squashfs")
    );
    let d = fs::read(&img).unwrap();
    survives(cuts(&d, 300, 97));
    survives(flips(&d, 0..0x60).step_by(2));

    // The broken sibling (cut short, footer damaged) is not claimed.
    let Some(bad) =
        fixture("formats/draytek_vigor_167__invalid_draytekvigor167_image_struct_error.bin")
    else {
        return;
    };
    let (_dir, r) = run(&bad);
    assert!(r.formats.iter().all(|f| f.format != "draytek"));
}

#[test]
fn encrypted_maxlinear_image_is_not_claimed() {
    // Listed beside the uImage fixtures, but its payload is encrypted: no container
    // format may claim it, and nothing may go wrong.
    let Some(img) = fixture("formats/maxlinear__maxlinear-uimage-v2.bin") else {
        return;
    };
    let (_dir, r) = run(&img);
    assert!(
        r.formats.iter().all(|f| f.format != "uimage"),
        "{:#?}",
        r.formats
    );
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
}

#[test]
fn dlink_shrs_decrypts_with_both_digests_checked() {
    let Some(img) = fixture("formats/dlink__test.dec") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "dlink_shrs");
    assert_eq!(h.length, Some(1788));
    assert!(
        h.description
            .contains("32 bytes encrypted, ciphertext SHA-512 ok")
    );
    let out = dir.path().join("out/0x0.dlink_shrs/decrypted.bin");
    assert_eq!(
        fs::read(out).unwrap(),
        b"This is a decrypted test file!\n\n"
    );
    // A changed plaintext digest is caught after decryption, with the offset named.
    let mut d = fs::read(&img).unwrap();
    d[0x5c] ^= 1;
    let (_dir, r) = run_bytes(&d);
    let e = r.errors.iter().find(|e| e.format == "dlink_shrs").unwrap();
    assert!(
        e.reason
            .contains("SHRS at 0x0: the decrypted data does not match"),
        "{}",
        e.reason
    );
    assert!(r.files.iter().all(|f| !f.path.ends_with("decrypted.bin")));
    // A changed ciphertext is not claimed at all.
    let mut d = fs::read(&img).unwrap();
    d[0x6e0] ^= 1;
    let (_dir, r) = run_bytes(&d);
    assert!(r.formats.iter().all(|f| f.format != "dlink_shrs"));
    survives(cuts(&fs::read(&img).unwrap(), 64, 37));
}

#[test]
fn dlink_encrpted_img_decrypts() {
    let Some(img) = fixture("formats/dlink__testfile.encrpted_img") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "dlink_encrpted_img");
    assert_eq!(h.length, Some(48));
    assert!(
        h.description
            .contains("32 bytes, decrypted data does not start like UBI")
    );
    let out = dir.path().join("out/0x0.dlink_encrpted_img/decrypted.bin");
    assert_eq!(fs::read(out).unwrap(), b"foobar 123 test 321 foobar test!");
    survives(cuts(&fs::read(&img).unwrap(), 48, 1));
}

#[test]
fn dlink_encrpted_img_erase_blocks_are_independent() {
    use cbc::cipher::{BlockEncryptMut, KeyIvInit, generic_array::GenericArray};
    // Two full 128 KiB erase blocks and a short last one, each encrypted on its own.
    let mut plain = Vec::new();
    for (i, len) in [(0u8, 0x20000usize), (1, 0x20000), (2, 0x1000)] {
        let mut peb = vec![i; len];
        peb[..4].copy_from_slice(b"UBI#");
        plain.extend_from_slice(&peb);
    }
    let mut img = b"encrpted_img".to_vec();
    img.extend_from_slice(&(plain.len() as u32).to_be_bytes());
    for peb in plain.chunks(0x20000) {
        let mut enc = cbc::Encryptor::<aes::Aes256>::new(
            b"he9-4+M!)d6=m~we1,q2a3d1n&2*Z^%8".into(),
            b"J%1iQl8$=lm-;8AE".into(),
        );
        let mut ct = peb.to_vec();
        for block in ct.chunks_exact_mut(16) {
            enc.encrypt_block_mut(GenericArray::from_mut_slice(block));
        }
        img.extend_from_slice(&ct);
    }
    let (dir, r) = run_bytes(&img);
    assert!(
        hit(&r, 0, "dlink_encrpted_img")
            .description
            .contains("decrypts to a UBI image")
    );
    let out = fs::read(dir.path().join("out/0x0.dlink_encrpted_img/decrypted.bin")).unwrap();
    assert_eq!(out.len(), plain.len());
    assert!(out == plain, "every erase block, first AES block included");
}
