//! TP-Link VxWorks firmware: the `IMG0` container (`tplink_img0`) and the Wind River
//! MemFS of web pages (`vxworks_memfs`), on the real TL-WR702N image of the corpus
//! and on images the tests build.
//!
//! The expected sizes and SHA-256 values below were computed independently of the
//! extractor, with a Python one-off over the raw image: `struct.unpack('>40sII')` on
//! the 48-byte table entries after the MemFS header at 0x12dc74, slicing each file's
//! bytes at `0x12dc74 + offset` and decompressing them with `lzma.decompress(...,
//! format=lzma.FORMAT_ALONE)`; the parts were sliced at the offsets the two IMG0
//! headers state (0x14 + 0x80 for the outer one's only part, 0x40094 + offset for
//! the inner one's three) and hashed with `hashlib.sha256`.

mod common;
use common::{fixture_bytes, sha};

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::Path;

use baseliner_unpack::formats::tplink_img0::{self, Part};
use baseliner_unpack::formats::vxworks_memfs;
use baseliner_unpack::{EntryKind, FileRecord, Limits, Report, extract_one, unpack};

const IMAGE: &str = "firmware/tplink-vxworks.fw";
const MEMFS_AT: usize = 0x12dc74;
const MEMFS_LEN: usize = 0x48a00;

/// (name, uncompressed size, SHA-256) of a sample of the 185 files.
const SAMPLE: &[(&str, u64, &str)] = &[
    (
        "common.js",
        15228,
        "25c6713bdf4db7a8fccfb0575baf94e2cf6012a8dcf080165c71e88cfee9cab5",
    ),
    (
        "css_help.css",
        641,
        "0f0e5daae9cd5cffb75df498c7244ecc5290f1b441ed9ad0c0081d9fbb2cfac7",
    ),
    (
        "WlanNetworkBridgeHelpRpm.htm",
        2780,
        "1cf3db3ce59044dc105acdc327c6e356332ed86cd3926d17262019cd035e726d",
    ),
    (
        "LanDhcpServerRpm.htm",
        7320,
        "d7794bfbf2c1b26e1e0d9a8c2d127242022014fbffd82a3aff9b264d451d0653",
    ),
    (
        "StatusRpm.htm",
        16939,
        "3a404b0aa93a7a8d98751d3d5466f24885c0bb6d0b6c4855d34d5aa54292a256",
    ),
    (
        "WzdWlanTypeRpm.htm",
        4944,
        "f691eb2f845f0d8d729607cfc385963a9a7536270fe191fb21beb29d18625dda",
    ),
];

fn limits() -> Limits {
    Limits::default()
}

fn files(records: &[FileRecord]) -> Vec<&FileRecord> {
    records
        .iter()
        .filter(|r| r.kind == EntryKind::File)
        .collect()
}

fn find<'a>(records: &'a [FileRecord], path: &str) -> &'a FileRecord {
    records
        .iter()
        .find(|r| r.path == Path::new(path))
        .unwrap_or_else(|| {
            panic!(
                "no {path}; found {:?}",
                records.iter().map(|r| &r.path).collect::<Vec<_>>()
            )
        })
}

#[test]
fn img0_headers_of_the_corpus_image() {
    let Some(d) = fixture_bytes(IMAGE) else {
        return;
    };
    let outer = tplink_img0::parse(&d[0x14..]).expect("outer IMG0");
    assert_eq!(outer.len as usize, d.len() - 0x14);
    assert_eq!((outer.product, outer.language), (0x0702, 0x1101));
    assert_eq!(
        outer.parts,
        vec![Part {
            index: 1,
            offset: 0x80,
            len: 0x177ba0
        }]
    );
    assert_eq!(outer.header_len(), 0x80);
    let inner = tplink_img0::parse(&d[0x40094..]).expect("inner IMG0");
    assert_eq!(inner.len as usize, d.len() - 0x40094);
    assert_eq!(
        inner.parts,
        vec![
            Part {
                index: 1,
                offset: 0x80,
                len: 0xedb55
            },
            Part {
                index: 2,
                offset: 0xedbe0,
                len: 0x48a00
            },
            Part {
                index: 3,
                offset: 0x1365e0,
                len: 0x15c0
            },
        ]
    );
    // Part 2 of the inner container is the MemFS, in the image as stored.
    assert_eq!(0x40094 + 0xedbe0, MEMFS_AT);
    let h = vxworks_memfs::parse(&d[MEMFS_AT..]).expect("MemFS header");
    assert_eq!(
        (h.version, h.entries.len(), h.len),
        (1, 185, MEMFS_LEN as u64)
    );
    // The largest file decompresses to 81,970 bytes; the header rounds it up to 4.
    assert_eq!(h.max_file, 81972);
}

#[test]
fn memfs_of_the_corpus_image_alone() {
    let Some(d) = fixture_bytes(IMAGE) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (used, records) = extract_one(
        "vxworks_memfs",
        &d[MEMFS_AT..MEMFS_AT + MEMFS_LEN],
        dir.path(),
        &limits(),
    )
    .unwrap()
    .expect("probe accepts the MemFS");
    assert_eq!(used, MEMFS_LEN as u64);
    let f = files(&records);
    assert_eq!(f.len(), 185);
    let names: HashSet<_> = f.iter().map(|r| r.path.to_string_lossy()).collect();
    assert_eq!(names.len(), 185, "names are distinct");
    for n in [
        "Index.htm",
        "arc.gif",
        "str_err.js",
        "WanStaticIpCfgRpm_8021X.htm",
    ] {
        assert!(names.contains(n), "{n} missing");
    }
    for (name, size, hash) in SAMPLE {
        let r = find(&records, name);
        assert_eq!(r.size, *size, "{name} size");
        assert_eq!(r.sha256.as_deref(), Some(*hash), "{name} listing hash");
        assert_eq!(sha(&fs::read(dir.path().join(name)).unwrap()), *hash);
    }
    // Every file is decompressed: the sizes add up to what Python's lzma module gives.
    assert_eq!(f.iter().map(|r| r.size).sum::<u64>(), 973_819);
}

#[test]
fn whole_corpus_image_through_the_driver() {
    let Some(d) = fixture_bytes(IMAGE) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("fw.bin");
    fs::write(&img, &d).unwrap();
    let out = tmp.path().join("out");
    let r: Report = unpack(&img, &out, &limits(), None).unwrap();
    let top = r
        .formats
        .iter()
        .find(|h| h.file.is_empty() && h.offset == 0)
        .expect("a format at 0");
    assert_eq!(top.format, "tplink_img0");
    assert_eq!(top.length, Some(d.len() as u64));
    assert!(
        top.description.contains("update file") && top.description.contains("product 0x0702"),
        "{}",
        top.description
    );
    let outer = "0x0.tplink_img0";
    let inner = format!("{outer}/firmware.img0.extract/0x0.tplink_img0");
    let expect = [
        (
            format!("{outer}/bootloader.bin"),
            0x40000,
            "654447b9fe5fc2984417c8a7c8217d42d74a6b61d69f68ee7fe80dc7143dc0c1",
        ),
        (
            format!("{outer}/firmware.img0"),
            1_276_832,
            "44b8f7970e5345a03aedbf26c5b90a3033c2dacde8d541bc945cc11f200de818",
        ),
        (
            format!("{inner}/part1.lzma"),
            0xedb55,
            "63bbd016a092572b51d49c6e8b4add6c8ff9463976bc355e3685767df6bd12ef",
        ),
        (
            format!("{inner}/part2.memfs"),
            MEMFS_LEN as u64,
            "e4b88e661f904c6ffa299fa324efa77897d7f7c8330cd0f564fbfb0e7f03532f",
        ),
        (
            format!("{inner}/part3.bin"),
            0x15c0,
            "223720d37bbbc26200fc0f1d122888b8709ead84da70aecbf722b82c47948da6",
        ),
    ];
    for (path, size, hash) in &expect {
        let f = find(&r.files, path);
        assert_eq!(
            (f.size, f.sha256.as_deref()),
            (*size, Some(*hash)),
            "{path}"
        );
    }
    let memfs = format!("{inner}/part2.memfs.extract/0x0.vxworks_memfs");
    let web: Vec<_> = r
        .files
        .iter()
        .filter(|f| f.kind == EntryKind::File && f.path.parent() == Some(Path::new(&memfs)))
        .collect();
    assert_eq!(web.len(), 185);
    for (name, size, hash) in SAMPLE {
        let f = find(&r.files, &format!("{memfs}/{name}"));
        assert_eq!(
            (f.size, f.sha256.as_deref()),
            (*size, Some(*hash)),
            "{name}"
        );
        assert!(
            f.provenance.contains(":vxworks_memfs:/"),
            "{}",
            f.provenance
        );
    }
    // The VxWorks image in part 1 is decompressed in turn (3,571,184 bytes).
    assert!(
        r.files.iter().any(|f| f
            .path
            .starts_with(format!("{inner}/part1.lzma.extract/0x0.lzma"))
            && f.size == 3_571_184),
        "decompressed VxWorks image missing"
    );
    assert!(
        r.errors
            .iter()
            .all(|e| !e.format.contains("img0") && !e.format.contains("memfs")),
        "{:#?}",
        r.errors
    );
}

fn lzma_alone(data: &[u8]) -> Vec<u8> {
    let mut opts = lzma_rust2::LzmaOptions::with_preset(6);
    opts.dict_size = 1 << 16;
    let mut w =
        lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &opts, Some(data.len() as u64)).unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

/// A MemFS as the format's writer lays it out: table, then 4-byte aligned data.
fn build_memfs(entries: &[(&[u8], Vec<u8>)], max_file: u32) -> Vec<u8> {
    let mut out = vxworks_memfs::MAGIC.to_vec();
    out.extend_from_slice(&1u32.to_be_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_be_bytes());
    out.extend_from_slice(&max_file.to_be_bytes());
    let mut off = vxworks_memfs::HEADER_LEN + entries.len() * vxworks_memfs::ENTRY_LEN;
    let mut data = Vec::new();
    for (name, stored) in entries {
        let mut n = [0u8; 40];
        n[..name.len()].copy_from_slice(name);
        out.extend_from_slice(&n);
        out.extend_from_slice(&(stored.len() as u32).to_be_bytes());
        out.extend_from_slice(&(off as u32).to_be_bytes());
        data.extend_from_slice(stored);
        while data.len() % 4 != 0 {
            data.push(0);
        }
        off = vxworks_memfs::HEADER_LEN + entries.len() * vxworks_memfs::ENTRY_LEN + data.len();
    }
    out.extend_from_slice(&data);
    out
}

fn page(n: usize) -> Vec<u8> {
    (0..n)
        .map(|i| b"<html><body>TP-LINK web page</body></html>\n"[i % 43])
        .collect()
}

/// Files: one LZMA-compressed, one stored as is, one whose name climbs out.
fn synthetic() -> (Vec<u8>, Vec<(&'static str, Vec<u8>)>) {
    let index = page(3000);
    let raw = b"var x = 1; // not compressed\n".to_vec();
    let evil = b"secret".to_vec();
    let fs = build_memfs(
        &[
            (b"index.htm", lzma_alone(&index)),
            (b"plain.js", raw.clone()),
            (b"../../etc/passwd", evil.clone()),
        ],
        3000,
    );
    (
        fs,
        vec![
            ("index.htm", index),
            ("plain.js", raw),
            ("etc/passwd", evil),
        ],
    )
}

#[test]
fn synthetic_memfs_extracts_exactly() {
    let (fs_bytes, want) = synthetic();
    let dir = tempfile::tempdir().unwrap();
    let (used, records) = extract_one("vxworks_memfs", &fs_bytes, dir.path(), &limits())
        .unwrap()
        .expect("probe");
    assert_eq!(
        used,
        fs_bytes.len() as u64 - 2,
        "ends at the last byte of data"
    );
    let f = files(&records);
    assert_eq!(f.len(), want.len());
    for (name, content) in &want {
        let r = find(&records, name);
        assert_eq!(r.size, content.len() as u64, "{name}");
        assert_eq!(r.sha256.as_deref(), Some(sha(content).as_str()), "{name}");
        assert_eq!(&fs::read(dir.path().join(name)).unwrap(), content, "{name}");
    }
    assert!(!dir.path().parent().unwrap().join("etc/passwd").exists());
}

#[test]
fn memfs_truncated_at_every_point_never_panics() {
    let (fs_bytes, _) = synthetic();
    let table_end = vxworks_memfs::HEADER_LEN + 3 * vxworks_memfs::ENTRY_LEN;
    for n in 0..fs_bytes.len() {
        let dir = tempfile::tempdir().unwrap();
        let r = extract_one("vxworks_memfs", &fs_bytes[..n], dir.path(), &limits());
        if n < table_end {
            assert!(
                matches!(r, Ok(None)),
                "a partial table is not a MemFS (n = {n})"
            );
        } else if let Ok(Some((used, _))) = r {
            assert!(used <= n as u64);
        }
    }
    // Corruptions of every header and table byte: no panic, nothing outside the folder.
    for i in 0..table_end {
        for v in [0x00, 0xff, 0x7f] {
            let mut c = fs_bytes.clone();
            c[i] = v;
            let dir = tempfile::tempdir().unwrap();
            let _ = extract_one("vxworks_memfs", &c, dir.path(), &limits());
        }
    }
}

#[test]
fn memfs_rejects_impossible_tables() {
    let (mut fs_bytes, _) = synthetic();
    // A count whose table does not fit in the input.
    fs_bytes[0x24..0x28].copy_from_slice(&0x00ff_ffffu32.to_be_bytes());
    assert!(vxworks_memfs::parse(&fs_bytes).is_none());
    // A version other than 1.
    let (mut v2, _) = synthetic();
    v2[0x20..0x24].copy_from_slice(&2u32.to_be_bytes());
    assert!(vxworks_memfs::parse(&v2).is_none());
    // An entry pointing past the end: the others are still written, the error says so.
    let (mut far, _) = synthetic();
    let e1 = vxworks_memfs::HEADER_LEN + vxworks_memfs::ENTRY_LEN + 44;
    far[e1..e1 + 4].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
    let dir = tempfile::tempdir().unwrap();
    let err = extract_one("vxworks_memfs", &far, dir.path(), &limits()).unwrap_err();
    assert!(err.to_string().contains("vxworks_memfs"), "{err}");
    assert!(dir.path().join("index.htm").is_file());
    assert!(dir.path().join("etc/passwd").is_file());
    assert!(!dir.path().join("plain.js").exists());
}

/// An IMG0 header with the given parts (offset, length), then the parts' bytes.
fn build_img0(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = vec![0u8; 0x80];
    h[..4].copy_from_slice(b"IMG0");
    h[8..10].copy_from_slice(&0x0702u16.to_be_bytes());
    h[10..12].copy_from_slice(&0x1101u16.to_be_bytes());
    let mut off = 0x80usize;
    let mut body = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        h[0x40 + 8 * i..0x44 + 8 * i].copy_from_slice(&(off as u32).to_be_bytes());
        h[0x44 + 8 * i..0x48 + 8 * i].copy_from_slice(&(p.len() as u32).to_be_bytes());
        body.extend_from_slice(p);
        while body.len() % 16 != 0 {
            body.push(0);
        }
        off = 0x80 + body.len();
    }
    let total = (0x80 + body.len()) as u32;
    h[4..8].copy_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&body);
    h
}

/// An update file shaped like the WR702N's: prefix, outer IMG0 holding a boot
/// stretch and an inner IMG0 of LZMA image, MemFS and an opaque part.
fn synthetic_update() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (memfs, _) = synthetic();
    let os = lzma_alone(&page(5000));
    let inner = build_img0(&[&os, &memfs, &[0xa5; 100]]);
    let mut part = vec![0x11u8; 0x200];
    part.extend_from_slice(&inner);
    let mut outer = build_img0(&[&part]);
    // The builder pads the part to 16; the outer part's length is exact.
    outer.truncate(0x80 + part.len());
    let len = outer.len() as u32;
    outer[4..8].copy_from_slice(&len.to_be_bytes());
    let mut file = 0x00142fc0u32.to_be_bytes().to_vec();
    file.extend_from_slice(&[0x5c; 16]);
    file.extend_from_slice(&outer);
    (file, inner, memfs)
}

#[test]
fn synthetic_update_file_unpacks_to_named_parts() {
    let (file, inner, memfs) = synthetic_update();
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("fw.bin");
    fs::write(&img, &file).unwrap();
    let r = unpack(&img, &tmp.path().join("out"), &limits(), None).unwrap();
    let top = r
        .formats
        .iter()
        .find(|h| h.file.is_empty() && h.offset == 0)
        .expect("IMG0 at 0");
    assert_eq!(
        (top.format.as_str(), top.length),
        ("tplink_img0", Some(file.len() as u64))
    );
    let boot = find(&r.files, "0x0.tplink_img0/bootloader.bin");
    assert_eq!(boot.sha256.as_deref(), Some(sha(&[0x11; 0x200]).as_str()));
    let fw = find(&r.files, "0x0.tplink_img0/firmware.img0");
    assert_eq!(fw.sha256.as_deref(), Some(sha(&inner).as_str()));
    let base = "0x0.tplink_img0/firmware.img0.extract/0x0.tplink_img0";
    let m = find(&r.files, &format!("{base}/part2.memfs"));
    assert_eq!(m.sha256.as_deref(), Some(sha(&memfs).as_str()));
    find(&r.files, &format!("{base}/part1.lzma"));
    let p3 = find(&r.files, &format!("{base}/part3.bin"));
    assert_eq!(p3.sha256.as_deref(), Some(sha(&[0xa5; 100]).as_str()));
    let idx = find(
        &r.files,
        &format!("{base}/part2.memfs.extract/0x0.vxworks_memfs/index.htm"),
    );
    assert_eq!(idx.sha256.as_deref(), Some(sha(&page(3000)).as_str()));
}

#[test]
fn img0_truncated_at_every_point_never_panics() {
    let (file, _, _) = synthetic_update();
    for n in 0..file.len() {
        let dir = tempfile::tempdir().unwrap();
        if let Ok(Some((used, _))) = extract_one("tplink_img0", &file[..n], dir.path(), &limits()) {
            assert!(used <= n as u64);
        }
    }
    // Parts that overlap or leave the container are refused.
    let mut bad = build_img0(&[&[1u8; 64], &[2u8; 64]]);
    bad[0x48..0x4c].copy_from_slice(&0x90u32.to_be_bytes());
    assert!(tplink_img0::parse(&bad).is_none());
    let mut out = build_img0(&[&[1u8; 64]]);
    out[0x44..0x48].copy_from_slice(&0xffff_ff00u32.to_be_bytes());
    assert!(tplink_img0::parse(&out).is_none());
}
