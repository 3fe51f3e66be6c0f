//! Vendor firmware headers and wrappers (Buffalo, Senao, D-Link MH01, Tenvis PK2,
//! Grain Media, Alpha Networks, TP-Link with bootloader) on the fixtures in
//! `../shared/corpus/formats`, which come from FACT's extractor test data
//! (`fact_extractor/plugins/unpacking/<family>/test/data`).
//!
//! Expected contents: where FACT's tests state the plaintext (`foobar 123 test\n`
//! for Buffalo, `foobar 1234 test\n` for MH01, `foobar\n` for PK2's `/foo`, ...)
//! that text is asserted; the SHA-256 values were computed independently, with
//! Python (`hashlib`, `struct`) following each header by hand, and for MH01 with
//! `openssl aes-128-cbc -d -md sha256` and the published passphrase.

mod common;
use common::{cuts, fixture, flips, hit, run_bytes, sha};

use std::fs;
use std::path::{Path, PathBuf};

use baseliner_unpack::{FileRecord, Report};

fn run(image: &Path) -> (tempfile::TempDir, Report) {
    run_bytes(&fs::read(image).unwrap())
}

fn file<'a>(r: &'a Report, path: &str) -> &'a FileRecord {
    r.files
        .iter()
        .find(|f| f.path == Path::new(path))
        .unwrap_or_else(|| panic!("no file {path}; found {:#?}", r.files))
}

/// Asserts the extracted file has these contents (by SHA-256), on disk and in the listing.
fn assert_file(dir: &tempfile::TempDir, r: &Report, path: &str, size: u64, hash: &str) {
    let f = file(r, path);
    assert_eq!(f.size, size, "{path} size");
    assert_eq!(f.sha256.as_deref(), Some(hash), "{path} listing hash");
    let on_disk = fs::read(dir.path().join("out").join(path)).unwrap();
    assert_eq!(sha(&on_disk), hash, "{path} on disk");
}

fn contents(dir: &tempfile::TempDir, path: &str) -> Vec<u8> {
    fs::read(dir.path().join("out").join(path)).unwrap()
}

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

fn read(rel: &str) -> Option<(PathBuf, Vec<u8>)> {
    let p = fixture(rel)?;
    let d = fs::read(&p).unwrap();
    Some((p, d))
}

// ---------------------------------------------------------------- Buffalo

#[test]
fn buffalo_enc_decrypts_with_the_default_key() {
    let Some((img, d)) = read("formats/buffalo__buffalo.bin") else {
        return;
    };
    let (dir, r) = run(&img);
    // The 20-byte `bgn` prefix is not part of the encrypted image, which starts
    // at its `start` magic.
    let h = hit(&r, 0x14, "buffalo_enc");
    assert_eq!(h.length, Some(60));
    assert!(
        h.description
            .contains("product \"test-product\", version \"0.1.0\", 16 bytes of data"),
        "{}",
        h.description
    );
    // FACT's test: one file holding `foobar 123 test\n`.
    assert_eq!(
        contents(&dir, "0x14.buffalo_enc/decrypted.bin"),
        b"foobar 123 test\n"
    );
    assert_file(
        &dir,
        &r,
        "0x14.buffalo_enc/decrypted.bin",
        16,
        "a84bda046df21f68223b6a82ed8e7011996284cee469c9bd0a45109837e70b11",
    );
    // A changed data byte fails the checksum, reported with the offset.
    let mut bad = d.clone();
    bad[0x44] ^= 1;
    let (_dir, r) = run_bytes(&bad);
    let e = r.errors.iter().find(|e| e.format == "buffalo_enc").unwrap();
    assert!(e.reason.contains("at 0x14: checksum"), "{}", e.reason);
    survives(cuts(&d, d.len(), 1));
    survives(flips(&d, 0x14..0x50));
}

// ---------------------------------------------------------------- Senao

#[test]
fn senao_v2_payload_is_unxored() {
    let Some((img, d)) = read("formats/senao__testfw_1.enc") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "senao");
    assert!(
        h.description
            .contains("v2: 44 bytes XOR-encrypted with key 0x30471688"),
        "{}",
        h.description
    );
    let out = contents(&dir, "0x0.senao/decrypted.bin");
    // FACT's test: 44 bytes starting with `foobar`.
    assert_eq!(out, b"foobar1234test\nthis is a test firmware image");
    assert_file(
        &dir,
        &r,
        "0x0.senao/decrypted.bin",
        44,
        "505fcfd0123ac204248fc064531ca07c36541f10f4fc7d8a94a735fe17e4f149",
    );
    survives(cuts(&d, d.len(), 1));
    // Inside a larger file the weak v2 magic is not taken: it would hide the rest.
    let mut inside = vec![0u8; 16];
    inside.extend_from_slice(&d);
    let (_dir, r) = run_bytes(&inside);
    assert!(r.formats.iter().all(|f| f.format != "senao"));
}

/// A v1 image as OpenWrt's `mksenaofw -e` lays it out (built here), with the
/// capwap header (`-c`, `-n`) when `model` is given: the header checksum is the
/// byte sum of the rest of the header and of the capwap header.
fn senao_v1(payload: &[u8], size: u32, model: Option<&[u8]>) -> Vec<u8> {
    let mut h = vec![0u8; 0x60];
    h[4..8].copy_from_slice(&0x0101u32.to_be_bytes()); // vendor
    h[8..12].copy_from_slice(&0x0202u32.to_be_bytes()); // product
    h[12..15].copy_from_slice(b"123");
    let kind: u32 = if model.is_some() { 0 } else { 2 }; // combo / kernel
    h[0x1c..0x20].copy_from_slice(&kind.to_be_bytes());
    h[0x20..0x24].copy_from_slice(&size.to_be_bytes());
    h[0x5c..0x60].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    let mut cw = Vec::new();
    if let Some(m) = model {
        cw.extend_from_slice(b"all\0");
        cw.extend_from_slice(&[0; 4]); // sku
        for v in [3u32, 0, 1, 171101, 1, 8, 53] {
            cw.extend_from_slice(&v.to_be_bytes());
        }
        cw.extend_from_slice(&(m.len() as u32).to_be_bytes());
        cw.extend_from_slice(m);
    }
    let sum: u32 = h.iter().chain(&cw).map(|&b| b as u32).sum();
    h[0x58..0x5c].copy_from_slice(&sum.to_be_bytes());
    h.extend_from_slice(&cw);
    h.extend(
        payload
            .iter()
            .enumerate()
            .map(|(i, &b)| b ^ (0x1234_5678u32 >> (i % 8)) as u8),
    );
    h
}

#[test]
fn senao_v1_header_checksum() {
    let payload = b"senao v1 payload, padded by the tool\0\0\0\0";
    for model in [None, Some(&b"ENS620EXT"[..])] {
        let img = senao_v1(payload, 36, model);
        let (dir, r) = run_bytes(&img);
        let hit = hit(&r, 0, "senao");
        assert!(
            hit.description.contains("v1: 36 bytes"),
            "{}",
            hit.description
        );
        assert!(hit.description.contains("header checksum ok"));
        assert_eq!(contents(&dir, "0x0.senao/decrypted.bin"), &payload[..36]);
        // A wrong checksum is not claimed.
        let mut bad = img.clone();
        bad[0x10] ^= 1;
        let (_dir, r) = run_bytes(&bad);
        assert!(r.formats.iter().all(|f| f.format != "senao"));
        survives(cuts(&img, img.len(), 1));
    }
}

/// The long v2 header keeps the magic at 0xb4 (FACT's "v2a").
#[test]
fn senao_v2_long_header() {
    let mut img = vec![0u8; 0xb4];
    img.extend_from_slice(&0x3047_1688u32.to_be_bytes());
    let payload = b"long header payload";
    img.extend(
        payload
            .iter()
            .enumerate()
            .map(|(i, &b)| b ^ (0x3047_1688u32 >> (i % 8)) as u8),
    );
    let (dir, r) = run_bytes(&img);
    assert!(hit(&r, 0, "senao").description.contains("v2: 19 bytes"));
    assert_eq!(contents(&dir, "0x0.senao/decrypted.bin"), payload);
}

// ---------------------------------------------------------------- D-Link MH01

#[test]
fn dlink_mh01_decrypts_with_a_published_passphrase() {
    let Some((img, d)) = read("formats/dlink__fw_mh01_test.bin") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "dlink_mh01");
    assert_eq!(h.length, Some(641));
    assert!(
        h.description
            .contains("320 bytes encrypted (AES-128-CBC), 256-byte signature"),
        "{}",
        h.description
    );
    // FACT's test: three files, `fw.bin` holding `foobar 1234 test\n`.
    assert_eq!(
        contents(&dir, "0x0.dlink_mh01/fw.bin"),
        b"foobar 1234 test\n"
    );
    assert_file(
        &dir,
        &r,
        "0x0.dlink_mh01/fw.bin",
        17,
        "b49da8e9b214911062a4422300c46c6adbd25d2a9e28813bb6a5763b0be0ced4",
    );
    assert_file(
        &dir,
        &r,
        "0x0.dlink_mh01/Sig1.bin",
        256,
        "953df64a889c61873b1cd3e3a0ede289be0585c8d77564cd0c0b1734687bfaad",
    );
    assert_file(
        &dir,
        &r,
        "0x0.dlink_mh01/Sig2.bin",
        256,
        "ca47da6193eae8400003fe1b2f403030e2900df50202040288fccfb85715e5ac",
    );
    // A damaged first cipher block matches no passphrase: a clear error.
    let mut bad = d.clone();
    bad[0x52] ^= 1;
    let (_dir, r) = run_bytes(&bad);
    let e = r.errors.iter().find(|e| e.format == "dlink_mh01").unwrap();
    assert!(
        e.reason.contains("none of the published passphrases"),
        "{}",
        e.reason
    );
    survives(cuts(&d, 128, 13));
    survives(flips(&d, 0..0x60).step_by(2));
}

// ---------------------------------------------------------------- Tenvis PK2

#[test]
fn tenvis_pk2_sections() {
    let Some((img, d)) = read("formats/tenvis_pk2__test.pk2") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "tenvis_pk2");
    assert_eq!(h.length, Some(158));
    assert!(h.description.contains("3 sections"), "{}", h.description);
    // FACT's test: files `foo` (`foobar\n`) and `bar`, and the command section at
    // offset 28 is `echo "foobar"\n`.
    assert_file(
        &dir,
        &r,
        "0x0.tenvis_pk2/foo",
        7,
        "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f",
    );
    assert_eq!(contents(&dir, "0x0.tenvis_pk2/foo"), b"foobar\n");
    assert_file(
        &dir,
        &r,
        "0x0.tenvis_pk2/bar",
        10,
        "21a538bca5c28123f48185741aff838213714df05dc50e584cecaab558678107",
    );
    assert_eq!(
        contents(&dir, "0x0.tenvis_pk2/cmd-0x1c.sh"),
        b"echo \"foobar\"\n"
    );
    // Every section's MD5 matched: no warning.
    assert!(
        r.warnings.iter().all(|w| !w.contains("MD5")),
        "{:?}",
        r.warnings
    );
    survives(cuts(&d, d.len(), 1));
    survives(flips(&d, 0..0x60));
}

#[test]
fn tenvis_pk2_broken_fails_cleanly() {
    let Some((img, _)) = read("formats/tenvis_pk2__broken.pk2") else {
        return;
    };
    let (dir, r) = run(&img);
    // FACT reports "error while parsing section at offset 91" and no files.
    let e = r.errors.iter().find(|e| e.format == "tenvis_pk2").unwrap();
    assert!(
        e.reason
            .contains("payload of the section at offset 67, at offset 91 (0x5b), is cut short"),
        "{}",
        e.reason
    );
    assert!(r.files.iter().all(|f| !f.path.ends_with("foo")));
    // The command before the damage is kept.
    assert_eq!(
        contents(&dir, "0x0.tenvis_pk2/cmd-0x1c.sh"),
        b"echo \"foobar\"\n"
    );
}

// ---------------------------------------------------------------- Grain Media

#[test]
fn grain_media_kernel() {
    let Some((img, d)) = read("formats/grain_media__test.gm8126") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "grain_media");
    assert_eq!(h.length, Some(266));
    assert!(h.description.contains("\"image name\", 10 bytes"));
    // FACT's test: `kernel.img` holding `foobar 123`.
    assert_eq!(contents(&dir, "0x0.grain_media/kernel.img"), b"foobar 123");
    assert_file(
        &dir,
        &r,
        "0x0.grain_media/kernel.img",
        10,
        "2683192a65d092b8362a0e307f9f212dab0e4c4e9afb546eac2c0ee36ff1dbba",
    );
    survives(cuts(&d, d.len(), 1));
}

// ---------------------------------------------------------------- Alpha Networks

#[test]
fn alphanetworks_script_ddpack_and_firmware() {
    let Some((img, d)) = read("formats/alphanetworks__test_sample") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "alphanetworks");
    assert!(
        h.description
            .contains("56-byte script, base64 ddPack, 16 bytes of firmware"),
        "{}",
        h.description
    );
    // FACT's test: `ddPack.elf` starts with `foobar`, `firmware.bin` is
    // `firmware_foobar\n`.
    assert_eq!(
        contents(&dir, "0x0.alphanetworks/ddPack.elf"),
        b"foobar1234"
    );
    assert_eq!(
        contents(&dir, "0x0.alphanetworks/firmware.bin"),
        b"firmware_foobar\n"
    );
    assert_file(
        &dir,
        &r,
        "0x0.alphanetworks/script.sh",
        56,
        "878ea3c30ca8b952bd8c382bd59165073eabd2a231de63618515dd7833f61f69",
    );
    survives(cuts(&d, d.len(), 1));

    let Some((img, _)) = read("formats/alphanetworks__test_sample_inverted") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "alphanetworks");
    assert!(
        h.description.contains("(bit-inverted)"),
        "{}",
        h.description
    );
    assert!(r.files.iter().all(|f| !f.path.ends_with("ddPack.elf")));
    // FACT's test: the firmware ends with `fw_foobar` once inverted back.
    assert_file(
        &dir,
        &r,
        "0x0.alphanetworks/firmware.bin",
        17,
        "bff7402975d7fd76c883e97f4ee5a63d020e610ec1750f4d42985d85fbd7d32b",
    );
    assert_eq!(
        contents(&dir, "0x0.alphanetworks/firmware.bin"),
        b"REDSONICfw_foobar"
    );
}

// ---------------------------------------------------------------- TP-Link with bootloader

/// FACT's `tpl-tool` splits this image into header, bootloader, kernel and root
/// file system. It is a plain version 1 header whose MD5 uses the salt of images
/// that carry the bootloader, which the `tplink` module already checks: carving
/// after the header finds the same four parts. Expected hashes: the kernel
/// decompressed with Python's `lzma` (FORMAT_ALONE), the files with `unsquashfs`.
#[test]
fn tplink_image_with_bootloader() {
    let Some((img, d)) = read("formats/tpl__test.tpl") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "tplink");
    assert!(
        h.description.contains("model 3020 v1")
            && h.description.contains("kernel 0x200+892442")
            && h.description.contains("MD5 ok (image with bootloader)"),
        "{}",
        h.description
    );
    // The bootloader's own U-Boot image, then the firmware's header, kernel, rootfs.
    assert!(
        hit(&r, 0x3c80, "uimage")
            .description
            .contains("data CRC ok")
    );
    assert!(
        hit(&r, 0x20200, "tplink")
            .description
            .contains("image 3932160 bytes")
    );
    assert_eq!(hit(&r, 0x20400, "lzma").length, Some(892_442));
    assert_eq!(hit(&r, 0x120200, "squashfs").length, Some(4096));
    assert_file(
        &dir,
        &r,
        "0x20400.lzma/decompressed",
        2_581_428,
        "d6777a3eb961ae2caa3dbba9a6c447e05433287ec55fd6a03d17ce1775753f7a",
    );
    assert_file(
        &dir,
        &r,
        "0x120200.squashfs/testfile1",
        62,
        "d558c9339cb967341d701e3184f863d3928973fccdc1d96042583730b5c7b76a",
    );
    assert_file(
        &dir,
        &r,
        "0x120200.squashfs/generic folder/test file 3_.txt",
        20,
        "289b5a050a83837f192d7129e4c4e02570b94b4924e50159fad5ed1067cfbfeb",
    );
    // Header damage and truncation: never a panic.
    let head = &d[..0x20600];
    survives(flips(head, 0x40..0xa0).step_by(5));
    survives(
        [0x100, 0x200, 0x3d00, 0x20300]
            .map(|c| d[..c].to_vec())
            .into_iter(),
    );
}

// ---------------------------------------------------------------- Broadcom SAO

#[test]
fn broadcom_sao_objects_by_name() {
    let Some((img, d)) = read("formats/broadcom__broadcom-sao.bin") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "broadcom_sao");
    assert_eq!(h.length, Some(4540));
    assert!(
        h.description.contains(
            "4 objects, data CRCs ok: META 29 bytes (header CRC mismatch), DTBB 119 bytes, KRNL 40 bytes, RTFS 4096 bytes"
        ),
        "{}",
        h.description
    );
    // FACT's test: files META, DTBB, KRNL and RTFS.
    assert_eq!(
        contents(&dir, "0x0.broadcom_sao/META"),
        b"{\"extractor\":\"broadcom-sao\"}\n"
    );
    for (name, size, hash) in [
        (
            "DTBB",
            119,
            "d558d2f7e8a2d2a90f5fcd35fc4a165cb4309cf8e362eacef0acf471ff19e966",
        ),
        (
            "KRNL",
            40,
            "4f3d217395709b8d246f8433fbc2282e86e9dcc3cc65517eaa75247722a97080",
        ),
        (
            "RTFS",
            4096,
            "8a8c414e8c50a325c341b8307362444c28f8a9b783e0901985a00fec9ac40547",
        ),
    ] {
        assert_file(&dir, &r, &format!("0x0.broadcom_sao/{name}"), size, hash);
    }
    // The device tree and the squashfs inside are handed on.
    for (file, format) in [("DTBB", "fit"), ("RTFS", "squashfs")] {
        assert!(
            r.formats
                .iter()
                .any(|f| f.file == format!("0x0.broadcom_sao/{file}") && f.format == format),
            "{file}: {:#?}",
            r.formats
        );
    }
    survives(cuts(&d, 0x200, 97));
    survives(flips(&d, 0..0x40).step_by(2));
}

// ---------------------------------------------------------------- Ambarella

#[test]
fn ambarella_romfs_files() {
    let Some((img, d)) = read("formats/ambarella__ambarella_rom.fs") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "ambarella_romfs");
    assert_eq!(h.length, Some(0x4c00));
    // FACT's test: 4 files.
    assert!(
        h.description.contains("4 files, 12288 bytes"),
        "{}",
        h.description
    );
    for (name, hash) in [
        (
            "SuperViewWarpTable_1440p3024_h.bin",
            "fbb41f0d620d5bf26db4d0f83533cdbe99661e2fac4e75956736eabbd5a9aa3a",
        ),
        (
            "SuperViewWarpTable_1440p3024_v.bin",
            "6ea580b09c8532414d06a9c78c29f8b36e2d3e3c136e281a9a76cc6bdf9daa2e",
        ),
        (
            "SuperViewWarpTable_4kp30_h.bin",
            "87fcd50246e51ea1c90aedb8a5f0497ede05c758be11510e28f2d68ca4c8df29",
        ),
        (
            "SuperViewWarpTable_4kp30_v.bin",
            "7ef42c8c77a3233e52038ccdb7e8dae12585454f956dc164bb4ef841d4318934",
        ),
    ] {
        assert_file(&dir, &r, &format!("0x0.ambarella_romfs/{name}"), 3072, hash);
    }
    survives(cuts(&d, 0, 0x3ff));
    survives(flips(&d, 0..8));
    survives(flips(&d, 0x870..0x880));
}

// ---------------------------------------------------------------- DJI

#[test]
fn dji_xv4_modules() {
    let Some((img, d)) = read("formats/dji__dji.img") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "dji_xv4");
    assert_eq!(h.length, Some(85_674));
    assert!(
        h.description
            .contains("for \"P3X\", 2 modules, MD5s ok: m0305.module 43776 bytes (version 34.2.0.9, encoding 0x10), m1200.module 41728 bytes"),
        "{}",
        h.description
    );
    // FACT's test: 2 entries, among them the main controller (kind 3, model 5),
    // which FACT names `m0305_main_controller.module`.
    assert_file(
        &dir,
        &r,
        "0x0.dji_xv4/m0305.module",
        43_776,
        "8d3f15c1f95d00a55adaeb5592e99889019c55e6511ac7b1e2c1555e64e02ca8",
    );
    assert_file(
        &dir,
        &r,
        "0x0.dji_xv4/m1200.module",
        41_728,
        "30d218ac65b12700013c440b23c93f10638fb7da75f111ec84640466c5835ed9",
    );
    // A changed module byte fails its MD5: not claimed.
    let mut bad = d.clone();
    bad[0x100] ^= 1;
    let (_dir, r) = run_bytes(&bad);
    assert!(r.formats.iter().all(|f| f.format != "dji_xv4"));
    survives(cuts(&d, 0xb0, 4999));
    survives(flips(&d, 0..0xaa).step_by(3));
}

// ---------------------------------------------------------------- Bosch

#[test]
fn bosch_fw_files() {
    let Some((img, d)) = read("formats/boschtool__test.fw") else {
        return;
    };
    let (dir, r) = run(&img);
    let h = hit(&r, 0, "bosch_fw");
    assert_eq!(h.length, Some(2292));
    assert!(
        h.description.contains("1 sections of file records"),
        "{}",
        h.description
    );
    // FACT's test: two files, `test_file_1.txt` and `test_file_2.txt`, both
    // containing `test file!` (the stated lengths include a trailing NUL).
    assert_file(
        &dir,
        &r,
        "0x0.bosch_fw/test_file_1.txt",
        23,
        "6e1f0aa24bb1575eae81eac55f66df0860066579d3cd69cc5c3b9d9627f5fce7",
    );
    assert_eq!(
        contents(&dir, "0x0.bosch_fw/test_file_2.txt"),
        b"this is another test file!\n\n\0"
    );
    assert_file(
        &dir,
        &r,
        "0x0.bosch_fw/test_file_2.txt",
        29,
        "e7b2cf496ec21666e36e39fa6b3dd6a8689716a2afc111490b9ec6195b2004db",
    );
    survives(cuts(&d, 0, 61));
    survives(flips(&d, 0x400..0x420));
    survives(flips(&d, 0x800..0x830));
    // Data that does not start with a file record (later, encrypted firmware) is
    // not claimed, nor is its sub-header on its own.
    let mut enc = d.clone();
    enc[0x800] ^= 0xff;
    let (_dir, r) = run_bytes(&enc);
    assert!(
        r.formats.iter().all(|f| f.format != "bosch_fw"),
        "{:#?}",
        r.formats
    );
}

// ---------------------------------------------------------------- MaxLinear Puma 8

/// A CableLabs-signed DOCSIS image: the PKCS#7 block is recorded with its signers,
/// and the uImages after the vendor header are carved as before. Offsets and names
/// read by hand from the fixture (`openssl pkcs7 -inform DER -print_certs` lists
/// the same organisations).
#[test]
fn maxlinear_puma8_signature_block() {
    let Some((img, d)) = read("formats/maxlinear__maxlinear-puma-8-vendor-image.bin") else {
        return;
    };
    let (_dir, r) = run(&img);
    let h = hit(&r, 0, "pkcs7_signed");
    assert_eq!(h.length, Some(0xb7b));
    assert!(
        h.description.contains("CableLabs") && h.description.contains("Hitron Technologies Inc."),
        "{}",
        h.description
    );
    assert!(
        hit(&r, 0xbed, "uimage")
            .description
            .contains("\"Junk Kernel\"")
    );
    survives(cuts(&d, 0x20, 301));
    survives(flips(&d, 0..0x20));
}
