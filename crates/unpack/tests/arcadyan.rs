//! Arcadyan obfuscated firmware and the PFS/0.9 web file system of its RTOS images,
//! on the two corpus images (Linksys WRT120N 1.0.07 and an Arcadyan router image),
//! plus synthetic containers, truncated and corrupted.
//!
//! Expected values were computed outside baseliner: the decompressed runtime images
//! are binwalk v3.1.0's `arcadyan` extraction (`0/decompressed.bin`), and the PFS
//! files were cut by a Python one-off from binwalk's decompression of the LZMA at
//! 0xFE400 (table at 16, 64-byte paths, offsets from the end of the table). The 26
//! images binwalk carves from that blob are byte for byte the `.gif` files below.

mod common;
use common::{fixture, run, run_bytes, sha};

use std::fs;
use std::io::Write;

use baseliner_unpack::{EntryKind, FileRecord, Limits, Report, extract_one};

/// The one file whose path ends with `suffix`.
fn file<'a>(r: &'a Report, suffix: &str) -> &'a FileRecord {
    let found: Vec<_> = r
        .files
        .iter()
        .filter(|f| f.path.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "files ending with {suffix}: {found:?}");
    found[0]
}

/// Checks a file's record and its bytes on disk.
fn assert_file(dir: &tempfile::TempDir, r: &Report, suffix: &str, size: u64, sha256: &str) {
    let f = file(r, suffix);
    assert_eq!(f.size, size, "{suffix}");
    assert_eq!(f.sha256.as_deref(), Some(sha256), "{suffix}");
    let disk = fs::read(dir.path().join("out").join(&f.path)).unwrap();
    assert_eq!(sha(&disk), sha256, "{suffix} on disk");
}

/// The web files of the WRT120N's PFS (all 26 images binwalk carves, and two pages).
const WRT120N_WEB: &[(&str, u64, &str)] = &[
    (
        "www/doc/default.stm",
        1299,
        "e8911f0e1c098a67ebec33ce730f35e24a0f21fd2a2cd8c61e5edf60862a4b0d",
    ),
    (
        "www/doc/index.stm",
        5521,
        "b3281337159938c70c22dc50a6b9d1ff8cd09327e47080a7221de1c9addc64aa",
    ),
    (
        "www/images/HND_2.gif",
        7223,
        "1dc2cdbad9f95600dc13f46c35f35127edded51785ac787abda03d2df1218277",
    ),
    (
        "www/images/Printer.gif",
        1316,
        "a1865c49ac29f06b26e2cb74244e36dd817588a8f815ae3b51e37a0c65e8887c",
    ),
    (
        "www/images/UI_02.gif",
        955,
        "7cb480213c4b85061a9d16e46c5eedd8bbec0f350440b10fca6326e5b7283b4a",
    ),
    (
        "www/images/UI_03.gif",
        481,
        "b6d5bfc46fe0afb5e45e4a0430782462a3d43e379d69fd741b5e865b4ac70b50",
    ),
    (
        "www/images/UI_04.gif",
        85,
        "2e79a273a064368c1c15dd6ddab60fc38ac711c9faac3401bb3003afe75b65e4",
    ),
    (
        "www/images/UI_05.gif",
        962,
        "24396d172e6612fcd24b84b4d2262d33fa190bfa2204874c0c9c976fb67b38a3",
    ),
    (
        "www/images/UI_06.gif",
        240,
        "c46b15f0e33c549ef8fb75b6b2b95afda64803d0c7d79e9233741b774924d703",
    ),
    (
        "www/images/UI_07.gif",
        225,
        "3c2e4fed0ae47b47804d6297b1ee838537b9997a5250543c84c61b12f13dce2e",
    ),
    (
        "www/images/UI_10.gif",
        173,
        "b6a39427ce39ce708241a729949a4f01e2e8239bc069a455ad6e30fe443c58b2",
    ),
    (
        "www/images/UI_Cisco.gif",
        2847,
        "11017c1c05443fb9cedce7616b162ff3934522246b5efb22e26a677bbc3f1d30",
    ),
    (
        "www/images/UI_Linksys.gif",
        1561,
        "0a6b30a8a824762d831df93034808e89253599ee1945a1f213e8a63080cc8db3",
    ),
    (
        "www/images/WFA_WPS_Mark_Solo.gif",
        3192,
        "d7f102db80021bd0bfdc9f6ba861ddb5877fad2ec0439c355bc044fde04ed958",
    ),
    (
        "www/images/WFA_WPS_Mark_Solo1.gif",
        3214,
        "63eb1a0fb341de4151de95e81af3e7d81bde3349da5bffb572609d353f37d6ef",
    ),
    (
        "www/images/block_arrow.gif",
        549,
        "90126bc0fc263165d558fbac5bae97711e66881414e2dcd588c8b7d92cf066a4",
    ),
    (
        "www/images/block_arrow_down.gif",
        554,
        "6b33b966058b470300345e395be888ba8e4a571876d1204708ded57f82e43bb1",
    ),
    (
        "www/images/block_bannerbk.gif",
        362,
        "35539b7344f15db7e076465c1e5ea73fda01e75c630d5d3f2bdd9a880c7712a8",
    ),
    (
        "www/images/blockicon_error.gif",
        4282,
        "d1a087304cd666a930b505b9f4b298d5603ef322a78a0580803cd4bbbff1f8f2",
    ),
    (
        "www/images/blockicon_warning.gif",
        4475,
        "d4422dd0419e414f6003c39e3fed920ffd5bb360e6fe432ad0cc30611c5250aa",
    ),
    (
        "www/images/dot_vertical.gif",
        808,
        "b6638ea5e741ce1a27d467b92a2d2d7440106ac82680f0a75d045ad5027e865e",
    ),
    (
        "www/images/icon_expired_cui_big.gif",
        1423,
        "85f765bcc0851b2abb57618b5cf7fa2ab33f9b7e57f17bda1ca93a3ab3f1b139",
    ),
    (
        "www/images/login.gif",
        261,
        "0cfe5a94be43a36e675f16c28f192fb62bc560eb5b0dc248cfde52227469fdca",
    ),
    (
        "www/images/sldr_bk.gif",
        419,
        "279ff5cd7a4db757583007622a2852e1a8f1b0e6be79566c4a1be5296f32ee0c",
    ),
    (
        "www/images/sldr_sl.gif",
        390,
        "33a45fa0ab9548f989f94fa3e6e169e5a9d84e995715c57df39053ab95e0971a",
    ),
    (
        "www/images/trendlogo.gif",
        2673,
        "27d4c164c94b2be40a44f981f777967f8449257d70c42a007f5a741d36d664ff",
    ),
    (
        "www/images/wps_fail.gif",
        3400,
        "45db21c4df8462ac8b9e24153f9039ebee9bbc2cd8497c66c28224e8adb7aeb1",
    ),
    (
        "www/images/wps_success.gif",
        3455,
        "c7d929df841061131c02226eb1f1ecadd9a028e44027b340b92d0c05ef7c6f25",
    ),
];

#[test]
fn wrt120n_runtime_and_web_files() {
    let Some(img) = fixture("firmware/linksys-wrt120n-1.0.07.bin") else {
        return;
    };
    let (dir, r) = run(&img);
    assert!(r.errors.is_empty(), "{:#?}", r.errors);

    let arc = r
        .formats
        .iter()
        .find(|h| h.file.is_empty() && h.format == "arcadyan")
        .expect("arcadyan container at 0");
    assert_eq!(arc.offset, 0);
    assert!(
        arc.description.contains("built 2009-01-04"),
        "{}",
        arc.description
    );
    // The runtime image: big-endian MIPS code of the RTOS.
    assert_file(
        &dir,
        &r,
        "0x0.arcadyan/decompressed.bin",
        5_073_532,
        "3964efab5b080b78b043d823d94c6061e88ed7a682b5762565a3275bc1f58c07",
    );
    // The section (stream 0..0xFE2F1, padding, footer with its CRC32) ends right
    // where the plain LZMA at 0xFE400 starts, which is carved on its own.
    assert_eq!(arc.length, Some(0xfe400));
    assert!(
        arc.description
            .contains("footer: section of 1041137 bytes, CRC32 ok"),
        "{}",
        arc.description
    );
    assert!(
        r.formats
            .iter()
            .any(|h| h.file.is_empty() && h.format == "lzma" && h.offset == 0xfe400)
    );
    assert_file(
        &dir,
        &r,
        "0xfe400.lzma/decompressed",
        1_420_202,
        "b8f7b62f0b74a4cc8d802e56de39ca9abb8ea676efda3eb28ae082b62322c589",
    );

    // The web interface, as the PFS/0.9 table names it.
    let pfs = r
        .formats
        .iter()
        .find(|h| h.format == "pfs")
        .expect("pfs in the decompressed blob");
    assert_eq!(pfs.offset, 0);
    assert_eq!(pfs.entries, 168);
    assert!(pfs.description.contains("168 entries (129 with data)"));
    let web: Vec<&FileRecord> = r
        .files
        .iter()
        .filter(|f| f.kind == EntryKind::File && f.provenance.contains(":pfs:/"))
        .collect();
    assert_eq!(web.len(), 168);
    assert_eq!(web.iter().filter(|f| f.size > 0).count(), 129);
    assert_eq!(web.iter().map(|f| f.size).sum::<u64>(), 1_407_418);
    for (name, size, sha256) in WRT120N_WEB {
        assert_file(&dir, &r, &format!("0x0.pfs/{name}"), *size, sha256);
    }
    // A name the web server answers from code: listed, empty.
    assert_eq!(file(&r, "0x0.pfs/www/cgi-bin/login.cgi").size, 0);
}

#[test]
fn arcadyan_router_image() {
    let Some(img) = fixture("firmware/arcadyan-obfuscated.bin") else {
        return;
    };
    let (dir, r) = run(&img);
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
    let arc = r
        .formats
        .iter()
        .find(|h| h.file.is_empty() && h.format == "arcadyan")
        .expect("arcadyan container at 0");
    assert!(
        arc.description.contains("built 2011-05-30"),
        "{}",
        arc.description
    );
    // Stream, 1,030 bytes of filler, footer: the whole file.
    assert_eq!(arc.length, Some(734_208));
    assert!(
        arc.description
            .contains("section of 733166 bytes, CRC32 ok")
    );
    // Little-endian MIPS runtime code, as binwalk v3 decompresses it.
    assert_file(
        &dir,
        &r,
        "0x0.arcadyan/decompressed.bin",
        2_813_252,
        "94a9ebd30832da824cfa03d9645a294ccde9add75ff0ece02dafa76050ae7582",
    );
}

/// Deterministic, moderately compressible bytes.
fn sample(n: usize) -> Vec<u8> {
    let mut x = 7u64;
    (0..n)
        .map(|i| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if i % 3 == 0 {
                (x >> 60) as u8
            } else {
                b"firmware"[i % 8]
            }
        })
        .collect()
}

/// Scrambles a plain image (4-byte date + LZMA-alone) the way Arcadyan does.
fn obfuscate(plain: &[u8]) -> Vec<u8> {
    let mut o = plain.to_vec();
    let head = &plain[4..0x24];
    let mut scrambled = Vec::new();
    for p in head.chunks(2) {
        scrambled.push(p[1].rotate_left(4));
        scrambled.push(p[0].rotate_left(4));
    }
    o[4..0x24].copy_from_slice(&plain[0x68..0x88]);
    o[0x68..0x88].copy_from_slice(&scrambled);
    o
}

/// A plain image: a build date, then an LZMA-alone stream of `payload`.
fn plain_image(payload: &[u8]) -> Vec<u8> {
    let mut opts = lzma_rust2::LzmaOptions::with_preset(6);
    opts.dict_size = 1 << 20;
    let mut w =
        lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &opts, Some(payload.len() as u64))
            .unwrap();
    w.write_all(payload).unwrap();
    let stream = w.finish().unwrap();
    let mut plain = vec![0x15, 0x06, 0x12, 0x20];
    plain.extend_from_slice(&stream);
    plain
}

/// A synthetic Arcadyan container over `payload`.
fn container(payload: &[u8]) -> Vec<u8> {
    obfuscate(&plain_image(payload))
}

#[test]
fn synthetic_container_round_trips() {
    let payload = sample(150_000);
    let mut image = container(&payload);
    let stream_len = image.len();
    assert_eq!(&image[0x68..0x6c], &[0x00, 0xd5, 0x01, 0x00]);
    image.extend_from_slice(&[0xff; 4096]);
    let (dir, r) = run_bytes(&image);
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
    let hit = r
        .formats
        .iter()
        .find(|h| h.format == "arcadyan")
        .expect("found");
    assert_eq!(hit.length, Some(stream_len as u64), "exact stream length");
    assert!(hit.description.contains("built 2012-06-15"));
    assert!(hit.description.contains("no footer"));
    assert_file(
        &dir,
        &r,
        "0x0.arcadyan/decompressed.bin",
        payload.len() as u64,
        &sha(&payload),
    );
    // Carved at an offset too.
    let mut shifted = vec![0u8; 0x300];
    shifted.extend_from_slice(&image);
    let (_d, r) = run_bytes(&shifted);
    assert!(
        r.formats
            .iter()
            .any(|h| h.format == "arcadyan" && h.offset == 0x300)
    );
}

/// Pads a section to the next KiB and closes it with the footer Arcadyan writes.
fn with_footer(section: &[u8], crc: u32) -> Vec<u8> {
    let mut d = section.to_vec();
    let end = (d.len() + 12).div_ceil(1024) * 1024;
    d.resize(end - 12, 0xff);
    d.extend_from_slice(&(section.len() as u32).to_le_bytes());
    d.extend_from_slice(&0x1234_5678u32.to_le_bytes());
    d.extend_from_slice(&crc.to_le_bytes());
    d
}

/// CRC-32 (IEEE), bitwise: an independent check of the footer.
fn crc32_ieee(d: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in d {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn footer_closes_the_section() {
    let payload = sample(60_000);
    let section = container(&payload);
    let crc = crc32_ieee(&section);
    for (crc, whole) in [(crc, true), (crc ^ 1, false)] {
        let mut image = with_footer(&section, crc);
        let total = image.len();
        image.extend_from_slice(&[0x11; 2048]);
        let (dir, r) = run_bytes(&image);
        let hit = r
            .formats
            .iter()
            .find(|h| h.format == "arcadyan")
            .expect("found");
        if whole {
            assert_eq!(hit.length, Some(total as u64));
            assert!(hit.description.contains("CRC32 ok"), "{}", hit.description);
        } else {
            assert_eq!(hit.length, Some(section.len() as u64));
            assert!(hit.description.contains("no footer"), "{}", hit.description);
        }
        assert_file(
            &dir,
            &r,
            "0x0.arcadyan/decompressed.bin",
            payload.len() as u64,
            &sha(&payload),
        );
        // Carved from inside a file, the footer is checked by the extraction alone.
        let mut shifted = vec![0u8; 0x200];
        shifted.extend_from_slice(&image);
        let (_d, r) = run_bytes(&shifted);
        let hit = r
            .formats
            .iter()
            .find(|h| h.format == "arcadyan")
            .expect("found");
        assert_eq!(hit.offset, 0x200);
        let want = if whole { total } else { section.len() };
        assert_eq!(hit.length, Some(want as u64));
    }
}

#[test]
fn plain_or_broken_headers_are_refused() {
    let payload = sample(100_000);
    let image = container(&payload);
    let t = tempfile::tempdir().unwrap();
    // Not scrambled: a plain LZMA image is not an Arcadyan container.
    let plain = plain_image(&payload);
    assert!(
        extract_one("arcadyan", &plain, t.path(), &Limits::default())
            .unwrap()
            .is_none()
    );
    // Each corruption of the scrambled header refuses the candidate.
    for (at, v) in [
        (0x69, 0xff), // properties byte out of range
        (0x6a, 0x30), // dictionary not a power of two
        (0x6c, 0x00), // size 0 (the whole field is cleared below)
        (0x74, 0x10), // range coder's first byte not zero
    ] {
        let mut bad = image.clone();
        bad[at] = v;
        if at == 0x6c {
            bad[0x6c..0x74].fill(0);
        }
        let got = extract_one("arcadyan", &bad, t.path(), &Limits::default()).unwrap();
        assert!(got.is_none(), "corruption at {at:#x} accepted");
    }
}

#[test]
fn truncations_never_panic() {
    let image = container(&sample(20_000));
    let step = (image.len() / 300).max(1);
    for cut in (0..image.len()).step_by(step).chain(0x80..0x90) {
        let d = &image[..cut];
        let t = tempfile::tempdir().unwrap();
        // Either refused by the probe, or an error / a partial stream: never a panic.
        let _ = extract_one("arcadyan", d, t.path(), &Limits::default());
    }
    // Through the driver too, with the bytes after the header flipped.
    for at in (0x88..0x200).step_by(7) {
        let mut d = image.clone();
        d[at] ^= 0x5a;
        let _ = run_bytes(&d);
    }
}

/// A PFS image with the given path width (0: implicit, 40 in the table).
fn pfs(width: u16, files: &[(&str, &[u8])]) -> Vec<u8> {
    let w = if width == 0 { 40 } else { width as usize };
    let mut d = b"PFS/0.9\0\0\0\0\0".to_vec();
    d.extend_from_slice(&width.to_le_bytes());
    d.extend_from_slice(&(files.len() as u16).to_le_bytes());
    let mut off = 0u32;
    for (n, body) in files {
        let mut field = n.as_bytes().to_vec();
        field.resize(w, 0);
        d.extend_from_slice(&field);
        d.extend_from_slice(&0x00c0_ffeeu32.to_le_bytes());
        d.extend_from_slice(&off.to_le_bytes());
        d.extend_from_slice(&(body.len() as u32).to_le_bytes());
        off += body.len() as u32;
    }
    for (_, body) in files {
        d.extend_from_slice(body);
    }
    d
}

#[test]
fn pfs_names_contents_and_hostile_paths() {
    let files: &[(&str, &[u8])] = &[
        ("www\\index.htm", b"<html>router</html>\n"),
        ("www\\cgi-bin\\login.cgi", b""),
        ("..\\..\\etc\\passwd", b"root::0:0::/:/bin/sh\n"),
        ("www\\js\\util.js", b"function f(){}\n"),
    ];
    for width in [0u16, 64] {
        let mut image = vec![0xffu8; 100];
        image.extend_from_slice(&pfs(width, files));
        let (dir, r) = run_bytes(&image);
        let hit = r
            .formats
            .iter()
            .find(|h| h.format == "pfs")
            .expect("pfs found");
        assert_eq!(hit.offset, 100);
        for (name, body) in files {
            let clean = name.replace('\\', "/").replace("../", "");
            assert_file(
                &dir,
                &r,
                &format!("0x64.pfs/{clean}"),
                body.len() as u64,
                &sha(body),
            );
        }
        // Nothing escaped the output folder.
        assert!(!dir.path().join("etc").exists());
    }
}

#[test]
fn pfs_truncations_and_lies_never_panic() {
    let files: &[(&str, &[u8])] = &[("a\\b.htm", b"0123456789"), ("c.gif", b"GIF89a....")];
    let image = pfs(0, files);
    let t = tempfile::tempdir().unwrap();
    for cut in 0..image.len() {
        let got = extract_one("pfs", &image[..cut], t.path(), &Limits::default()).unwrap();
        assert!(got.is_none(), "truncated table at {cut} accepted");
    }
    for at in 8..image.len() {
        for v in [0x00, 0x7f, 0xff] {
            let mut d = image.clone();
            d[at] = v;
            let t = tempfile::tempdir().unwrap();
            let _ = extract_one("pfs", &d, t.path(), &Limits::default());
        }
    }
    // A count far beyond the table is refused, not allocated.
    let mut d = image.clone();
    d[14..16].copy_from_slice(&u16::MAX.to_le_bytes());
    assert!(
        extract_one("pfs", &d, t.path(), &Limits::default())
            .unwrap()
            .is_none()
    );
}
