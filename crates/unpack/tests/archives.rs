//! Archives (cpio in four dialects, zip, 7z): the corpus fixtures, archives built
//! here, exact lengths with data after them, and hostile input (overlapping-entry
//! zip bombs, deflate bombs, traversal names, every truncation of a cpio).
//!
//! Expected listings and SHA-256 values of corpus archives were computed
//! independently with Python (`struct` for the binary cpio, `py7zr` for the 7z).

mod common;
use common::{corpus, fixture_bytes as fixture, sha};

use std::collections::HashMap;
use std::fs;
use std::io::{Cursor, Write};

use baseliner_unpack::{EntryKind, FileRecord, Limits, Report, extract_one, unpack};

fn one(format: &str, data: &[u8]) -> (u64, Vec<FileRecord>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (n, recs) = extract_one(format, data, dir.path(), &Limits::default())
        .unwrap_or_else(|e| panic!("{format}: {e}"))
        .unwrap_or_else(|| panic!("{format}: probe refused the candidate"));
    (n, recs, dir)
}

fn run_bytes(data: &[u8], limits: &Limits) -> (tempfile::TempDir, Report) {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("image.bin");
    fs::write(&img, data).unwrap();
    let r = unpack(&img, &dir.path().join("out"), limits, None).unwrap();
    (dir, r)
}

/// fs_path (without the provenance prefix) -> record.
fn by_path(recs: &[FileRecord]) -> HashMap<String, FileRecord> {
    recs.iter()
        .map(|r| (r.path.to_string_lossy().into_owned(), r.clone()))
        .collect()
}

const TRAILER: &[u8] = b"\xde\xad\xbe\xef trailing bytes that are not the archive";

// ---------------------------------------------------------------- cpio

#[test]
fn cpio_patool_fixture_old_binary() {
    let Some(d) = fixture("formats/patool__test.cpio") else {
        return;
    };
    let (n, recs, dir) = one("cpio", &d);
    // The trailer entry ends at 424; the writer zero-padded the archive to 512.
    assert_eq!(n, 512);
    let m = by_path(&recs);
    assert_eq!(m["get_files_test"].kind, EntryKind::Dir);
    assert_eq!(m["get_files_test/generic folder"].kind, EntryKind::Dir);
    let files = [
        (
            "get_files_test/generic folder/test file 3_.txt",
            20,
            "289b5a050a83837f192d7129e4c4e02570b94b4924e50159fad5ed1067cfbfeb",
        ),
        (
            "get_files_test/testfile1",
            62,
            "d558c9339cb967341d701e3184f863d3928973fccdc1d96042583730b5c7b76a",
        ),
        (
            "get_files_test/testfile2",
            28,
            "faa11db49f32a90b51dfc3f0254f9fd7a7b46d0b570abd47e1943b86d554447a",
        ),
    ];
    for (p, size, hash) in files {
        let r = &m[p];
        assert_eq!(
            (r.kind, r.size, r.mode),
            (EntryKind::File, size, 0o644),
            "{p}"
        );
        assert_eq!(r.sha256.as_deref(), Some(hash), "{p}");
        assert_eq!(sha(&fs::read(dir.path().join(p)).unwrap()), hash, "{p}");
    }
    assert_eq!(recs.len(), 5);
}

/// One entry to build: (name, mode, inode, link count, device numbers, data).
type Ent<'a> = (&'a str, u32, u32, u32, (u32, u32), &'a [u8]);

/// Builds a newc (or newc+crc) archive.
fn newc(magic: &str, entries: &[Ent]) -> Vec<u8> {
    let mut a = Vec::new();
    let mut push = |name: &str, mode: u32, ino: u32, nlink: u32, rdev: (u32, u32), data: &[u8]| {
        let check: u32 = if magic == "070702" {
            data.iter().map(|&b| b as u32).sum()
        } else {
            0
        };
        let h = format!(
            "{magic}{ino:08x}{mode:08x}{:08x}{:08x}{nlink:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{check:08x}",
            0,
            0,
            0x5f00_0000,
            data.len(),
            8,
            1,
            rdev.0,
            rdev.1,
            name.len() + 1
        );
        a.extend_from_slice(h.as_bytes());
        a.extend_from_slice(name.as_bytes());
        a.push(0);
        while a.len() % 4 != 0 {
            a.push(0);
        }
        a.extend_from_slice(data);
        while a.len() % 4 != 0 {
            a.push(0);
        }
    };
    for &(name, mode, ino, nlink, rdev, data) in entries {
        push(name, mode, ino, nlink, rdev, data);
    }
    push("TRAILER!!!", 0, 0, 1, (0, 0), &[]);
    while a.len() % 512 != 0 {
        a.push(0);
    }
    a
}

fn initramfs(magic: &str) -> Vec<u8> {
    newc(
        magic,
        &[
            (".", 0o040755, 1, 2, (0, 0), b""),
            ("bin", 0o040755, 2, 2, (0, 0), b""),
            (
                "bin/busybox",
                0o104755,
                3,
                1,
                (0, 0),
                b"\x7fELF busybox v1.01",
            ),
            ("bin/sh", 0o120777, 4, 1, (0, 0), b"busybox"),
            ("etc", 0o040755, 5, 2, (0, 0), b""),
            // newc keeps a hard-link group's data on its last member only.
            ("etc/passwd", 0o100644, 6, 2, (0, 0), b""),
            (
                "etc/passwd.bak",
                0o100644,
                6,
                2,
                (0, 0),
                b"root::0:0:root:/root:/bin/sh\n",
            ),
            ("dev", 0o040755, 7, 2, (0, 0), b""),
            ("dev/console", 0o020600, 8, 1, (5, 1), b""),
            ("dev/mtdblock0", 0o060600, 9, 1, (31, 0), b""),
            ("dev/initctl", 0o010600, 10, 1, (0, 0), b""),
            ("../../escape", 0o100644, 11, 1, (0, 0), b"kept inside"),
        ],
    )
}

#[test]
fn cpio_newc_all_entry_kinds() {
    for magic in ["070701", "070702"] {
        let a = initramfs(magic);
        let mut d = a.clone();
        d.extend_from_slice(TRAILER);
        let (n, recs, dir) = one("cpio", &d);
        assert_eq!(n, a.len() as u64, "{magic}");
        let m = by_path(&recs);
        let bb = &m["bin/busybox"];
        assert_eq!((bb.kind, bb.mode), (EntryKind::File, 0o4755), "setuid kept");
        let sh = &m["bin/sh"];
        assert_eq!(sh.kind, EntryKind::Symlink);
        assert_eq!(sh.link_target.as_deref(), Some("busybox"));
        let passwd = b"root::0:0:root:/root:/bin/sh\n";
        for p in ["etc/passwd", "etc/passwd.bak"] {
            assert_eq!(m[p].sha256.as_deref(), Some(sha(passwd).as_str()), "{p}");
            assert_eq!(fs::read(dir.path().join(p)).unwrap(), passwd, "{p}");
        }
        assert_eq!(m["dev/console"].kind, EntryKind::Chardev);
        assert_eq!(m["dev/console"].device, Some((5, 1)));
        assert_eq!(m["dev/mtdblock0"].kind, EntryKind::Blockdev);
        assert_eq!(m["dev/mtdblock0"].device, Some((31, 0)));
        assert_eq!(m["dev/initctl"].kind, EntryKind::Fifo);
        assert!(
            !dir.path().join("dev/console").exists(),
            "devices are never created"
        );
        assert_eq!(
            fs::read(dir.path().join("escape")).unwrap(),
            b"kept inside",
            "a traversal name is clamped inside the output"
        );
    }
}

/// The portable ASCII (odc) and old binary big-endian dialects.
#[test]
fn cpio_odc_and_binary_be() {
    let body = b"#!/bin/sh\ntelnetd -l /bin/sh\n";
    let mut odc = Vec::new();
    for (name, mode, data) in [
        ("etc", 0o040755u32, &b""[..]),
        ("etc/rcS", 0o100755, &body[..]),
        ("TRAILER!!!", 0, &b""[..]),
    ] {
        odc.extend_from_slice(
            format!(
                "070707{:06o}{:06o}{:06o}{:06o}{:06o}{:06o}{:06o}{:011o}{:06o}{:011o}",
                0,
                1,
                mode,
                0,
                0,
                1,
                0,
                0,
                name.len() + 1,
                data.len()
            )
            .as_bytes(),
        );
        odc.extend_from_slice(name.as_bytes());
        odc.push(0);
        odc.extend_from_slice(data);
    }
    let mut d = odc.clone();
    d.extend_from_slice(TRAILER);
    let (n, recs, _dir) = one("cpio", &d);
    assert_eq!(n, odc.len() as u64);
    let m = by_path(&recs);
    assert_eq!(m["etc/rcS"].sha256.as_deref(), Some(sha(body).as_str()));
    assert_eq!(m["etc/rcS"].mode, 0o755);

    let mut bin = Vec::new();
    for (name, mode, data) in [
        ("etc/rcS", 0o100755u32, &body[..]),
        ("TRAILER!!!", 0, &b""[..]),
    ] {
        let n = name.len() as u16 + 1;
        let s = data.len() as u32;
        for v in [
            0o070707u16,
            0,
            1,
            mode as u16,
            0,
            0,
            1,
            0,
            0,
            0,
            n,
            (s >> 16) as u16,
            s as u16,
        ] {
            bin.extend_from_slice(&v.to_be_bytes());
        }
        bin.extend_from_slice(name.as_bytes());
        bin.push(0);
        if bin.len() % 2 == 1 {
            bin.push(0);
        }
        bin.extend_from_slice(data);
        if bin.len() % 2 == 1 {
            bin.push(0);
        }
    }
    let (_, recs, _dir) = one("cpio", &bin);
    let m = by_path(&recs);
    assert_eq!(m["etc/rcS"].sha256.as_deref(), Some(sha(body).as_str()));
}

/// Every truncation point and a few bit flips: never a panic or a hang, never more
/// data than the archive holds.
#[test]
fn cpio_truncations_and_bit_flips() {
    let a = initramfs("070701");
    let limits = Limits::default();
    for cut in 0..a.len() {
        let dir = tempfile::tempdir().unwrap();
        if let Ok(Some((n, recs))) = extract_one("cpio", &a[..cut], dir.path(), &limits) {
            assert!(n <= cut as u64, "cut {cut}: consumed {n}");
            assert!(recs.len() <= 13, "cut {cut}");
        }
    }
    for i in 0..200usize {
        let mut b = a.clone();
        let at = (i * 7919) % b.len();
        b[at] ^= 1 << (i % 8);
        let dir = tempfile::tempdir().unwrap();
        let _ = extract_one("cpio", &b, dir.path(), &limits);
    }
    // Through the whole driver too, with a corrupt archive inside an image.
    let mut image = vec![0u8; 100];
    let mut b = a.clone();
    b[300] = b'Z';
    image.extend_from_slice(&b);
    let (_d, r) = run_bytes(&image, &limits);
    assert!(
        r.formats
            .iter()
            .any(|h| h.format == "cpio" && h.offset == 100)
    );
}

// ---------------------------------------------------------------- zip

fn sample(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            if i % 3 == 0 {
                b'a' + (x % 26) as u8
            } else {
                b' '
            }
        })
        .collect()
}

fn built_zip() -> (Vec<u8>, Vec<(&'static str, Vec<u8>)>) {
    let files = vec![
        ("etc/config/system", sample(50_000, 1)),
        ("www/index.html", sample(3_000, 2)),
        ("bin/stored.bin", sample(1_000, 3)),
        ("bzip2/data", sample(20_000, 4)),
    ];
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = |m| {
        zip::write::SimpleFileOptions::default()
            .compression_method(m)
            .unix_permissions(0o640)
    };
    w.add_directory("etc/", opts(zip::CompressionMethod::Stored))
        .unwrap();
    for (i, (name, data)) in files.iter().enumerate() {
        let m = match i {
            2 => zip::CompressionMethod::Stored,
            3 => zip::CompressionMethod::Bzip2,
            _ => zip::CompressionMethod::Deflated,
        };
        w.start_file(*name, opts(m)).unwrap();
        w.write_all(data).unwrap();
    }
    w.add_symlink("bin/sh", "busybox", opts(zip::CompressionMethod::Stored))
        .unwrap();
    (w.finish().unwrap().into_inner(), files)
}

#[test]
fn zip_built_carved_with_exact_length() {
    let (z, files) = built_zip();
    let mut image = vec![0x33u8; 777];
    image.extend_from_slice(&z);
    image.extend_from_slice(TRAILER);
    let (_d, r) = run_bytes(&image, &Limits::default());
    let hit = r
        .formats
        .iter()
        .find(|h| h.format == "zip" && h.offset == 777)
        .unwrap_or_else(|| panic!("{:#?}", r.formats));
    assert_eq!(hit.length, Some(z.len() as u64));
    for (name, data) in &files {
        let f = r
            .files
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(f.sha256.as_deref(), Some(sha(data).as_str()), "{name}");
        assert_eq!(f.mode, 0o640, "{name}");
    }
    let link = r.files.iter().find(|f| f.path.ends_with("bin/sh")).unwrap();
    assert_eq!(link.kind, EntryKind::Symlink);
    assert_eq!(link.link_target.as_deref(), Some("busybox"));
    assert!(
        r.files
            .iter()
            .any(|f| f.path.ends_with("etc") && f.kind == EntryKind::Dir)
    );
}

/// A zip whose central directory lists `n` entries that all share one local file
/// (an overlapping-entry bomb): 1 MiB of zeros each, `n` MiB if believed.
fn overlap_bomb(n: usize) -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let mut c = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    c.write_all(&zeros).unwrap();
    let body = c.finish().unwrap();
    let crc = crc32fast::hash(&zeros);
    let mut z = Vec::new();
    let local = |z: &mut Vec<u8>, name: &str| {
        z.extend_from_slice(b"PK\x03\x04");
        for v in [20u16, 0, 8, 0, 0] {
            z.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, body.len() as u32, zeros.len() as u32] {
            z.extend_from_slice(&v.to_le_bytes());
        }
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(name.as_bytes());
    };
    local(&mut z, "f0");
    z.extend_from_slice(&body);
    let cd_start = z.len();
    for i in 0..n {
        let name = format!("f{i}");
        z.extend_from_slice(b"PK\x01\x02");
        for v in [0x031eu16, 20, 0, 8, 0, 0] {
            z.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, body.len() as u32, zeros.len() as u32] {
            z.extend_from_slice(&v.to_le_bytes());
        }
        for v in [name.len() as u16, 0, 0, 0, 0] {
            z.extend_from_slice(&v.to_le_bytes());
        }
        z.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
        z.extend_from_slice(&0u32.to_le_bytes()); // every entry: local header at 0
        z.extend_from_slice(name.as_bytes());
    }
    let cd_len = z.len() - cd_start;
    z.extend_from_slice(b"PK\x05\x06");
    for v in [0u16, 0, n as u16, n as u16] {
        z.extend_from_slice(&v.to_le_bytes());
    }
    z.extend_from_slice(&(cd_len as u32).to_le_bytes());
    z.extend_from_slice(&(cd_start as u32).to_le_bytes());
    z.extend_from_slice(&0u16.to_le_bytes());
    z
}

#[test]
fn zip_overlapping_entries_bomb_is_refused() {
    let bomb = overlap_bomb(2000);
    let mut image = bomb.clone();
    image.extend_from_slice(&[0x44; 1000]);
    let (_d, r) = run_bytes(&image, &Limits::default());
    let hit = r.formats.iter().find(|h| h.format == "zip").unwrap();
    assert_eq!(hit.length, Some(bomb.len() as u64));
    let written: u64 = r.files.iter().map(|f| f.size).sum();
    assert!(written <= 1 << 20, "wrote {written}");
    assert_eq!(
        r.files.iter().filter(|f| f.kind == EntryKind::File).count(),
        1
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("overlaps")),
        "{:?}",
        &r.warnings[..r.warnings.len().min(3)]
    );
}

/// One entry of 1 GiB of zeros (about 1 MiB deflated), then an entry that must
/// still be reachable by the rest of the analysis.
#[test]
fn zip_deflate_bomb_stops_at_quota() {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(9))
        .large_file(true);
    w.start_file("zeros", o).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        w.write_all(&zeros).unwrap();
    }
    let z = w.finish().unwrap().into_inner();
    let mut image = z.clone();
    let tail_at = image.len() as u64;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&sample(100_000, 9)).unwrap();
    image.extend_from_slice(&e.finish().unwrap());
    let limits = Limits {
        max_ratio: 20,
        ratio_floor: 4 << 20,
        ..Limits::default()
    };
    let (_d, r) = run_bytes(&image, &limits);
    let err = r
        .errors
        .iter()
        .find(|e| e.format == "zip")
        .unwrap_or_else(|| panic!("{:#?}", r.errors));
    assert!(err.reason.contains("ratio"), "{}", err.reason);
    let written: u64 = r.files.iter().map(|f| f.size).sum();
    assert!(written < 64 << 20, "wrote {written}");
    assert!(
        r.formats
            .iter()
            .any(|h| h.format == "zlib" && h.offset == tail_at)
    );
}

#[test]
fn zip_truncations() {
    let (z, _) = built_zip();
    let limits = Limits::default();
    let step = (z.len() / 150).max(1);
    for cut in (0..z.len()).step_by(step) {
        let dir = tempfile::tempdir().unwrap();
        if let Ok(Some((n, _))) = extract_one("zip", &z[..cut], dir.path(), &limits) {
            assert!(n <= cut as u64);
        }
    }
    for i in 0..100usize {
        let mut b = z.clone();
        let at = (i * 7919) % b.len();
        b[at] ^= 1 << (i % 8);
        let dir = tempfile::tempdir().unwrap();
        let _ = extract_one("zip", &b, dir.path(), &limits);
    }
}

// ---------------------------------------------------------------- 7z

#[test]
fn sevenz_ros_container() {
    let Some(corpus) = corpus() else { return };
    let img = corpus.join("firmware/ros-container.ros");
    if !img.is_file() {
        baseliner_testkit::skip::<()>(format!("{} is absent", img.display()));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = unpack(&img, &dir.path().join("out"), &Limits::default(), None).unwrap();
    let hit = r
        .formats
        .iter()
        .find(|h| h.format == "7z" && h.offset == 456_089 && h.file.is_empty())
        .unwrap_or_else(|| panic!("{:#?}", r.formats));
    assert_eq!(hit.length, Some(418_367));
    assert_eq!(hit.entries, 309);
    let expect = [
        (
            "home.htm",
            "678ee99aa9c11abd4021bfdde8c874f5e760b8a4b8a578ae74dd163af307629f",
        ),
        (
            "js/globalfunctions.js",
            "f166fdb8af4d2d41fa6be9ec5ffdf891e5f7e0530b67b62c757e6a855902f592",
        ),
        (
            "images/logotop.jpg",
            "833fdb70902a7fb12079e6de555e2e0d4417f53b8d27c0f7c15876c9feb73e1a",
        ),
        (
            "Statistics/LineGraph.jar",
            "c601307d88b7bf8abcbd0205e6d174ca84eec79535b6edc3c3dc8f47f4d7fcf5",
        ),
    ];
    for (p, h) in expect {
        let f = r
            .files
            .iter()
            .find(|f| f.provenance.ends_with(&format!("@0x6f599:7z:/{p}")))
            .unwrap_or_else(|| panic!("{p} missing"));
        assert_eq!(f.sha256.as_deref(), Some(h), "{p}");
    }
}

fn built_7z() -> (Vec<u8>, Vec<(&'static str, Vec<u8>)>) {
    let files = vec![
        ("etc/shadow", b"root:$1$abc$xyz:0:0:99999:7:::\n".to_vec()),
        ("usr/share/big.txt", sample(200_000, 5)),
    ];
    let mut w = sevenz_rust2::ArchiveWriter::new(Cursor::new(Vec::new())).unwrap();
    w.push_archive_entry::<&[u8]>(sevenz_rust2::ArchiveEntry::new_directory("etc"), None)
        .unwrap();
    for (name, data) in &files {
        w.push_archive_entry(sevenz_rust2::ArchiveEntry::new_file(name), Some(&data[..]))
            .unwrap();
    }
    (w.finish().unwrap().into_inner(), files)
}

#[test]
fn sevenz_built_with_exact_length() {
    let (a, files) = built_7z();
    let mut d = a.clone();
    d.extend_from_slice(TRAILER);
    let (n, recs, dir) = one("7z", &d);
    assert_eq!(n, a.len() as u64);
    let m = by_path(&recs);
    assert_eq!(m["etc"].kind, EntryKind::Dir);
    for (name, data) in &files {
        assert_eq!(m[*name].sha256.as_deref(), Some(sha(data).as_str()));
        assert_eq!(&fs::read(dir.path().join(name)).unwrap(), data);
    }
    // Truncations and flips: errors, never panics.
    let limits = Limits::default();
    for cut in (0..a.len()).step_by((a.len() / 100).max(1)) {
        let dir = tempfile::tempdir().unwrap();
        let _ = extract_one("7z", &a[..cut], dir.path(), &limits);
    }
    for i in 0..60usize {
        let mut b = a.clone();
        let at = 32 + (i * 7919) % (b.len() - 32);
        b[at] ^= 1 << (i % 8);
        let dir = tempfile::tempdir().unwrap();
        let _ = extract_one("7z", &b, dir.path(), &limits);
    }
}

/// An initramfs as kernels embed it: a newc cpio inside an xz stream inside an
/// image. The run recurses from the stream into the archive.
#[test]
fn initramfs_in_xz_is_recursed() {
    let cpio = initramfs("070701");
    let mut w =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(6)).unwrap();
    w.write_all(&cpio).unwrap();
    let xz = w.finish().unwrap();
    let mut image = vec![0xffu8; 0x4000];
    image.extend_from_slice(&xz);
    image.extend_from_slice(&[0xff; 0x1000]);
    let (_d, r) = run_bytes(&image, &Limits::default());
    let passwd = r
        .files
        .iter()
        .find(|f| f.path.ends_with("etc/passwd.bak"))
        .unwrap_or_else(|| panic!("{:#?}", r.formats));
    assert_eq!(
        passwd.provenance,
        "image.bin@0x4000:xz:/decompressed@0x0:cpio:/etc/passwd.bak"
    );
    assert_eq!(
        passwd.sha256.as_deref(),
        Some(sha(b"root::0:0:root:/root:/bin/sh\n").as_str())
    );
}
