//! Compression streams (lzma, xz, bzip2, zstd, lz4, lzop, zlib): real kernels from
//! `../shared/corpus`, streams built here by independent encoders, exact consumed
//! lengths with data after the stream, and a hostile suite (bombs, truncations).
//!
//! Expected SHA-256 values of corpus payloads were computed independently: Python's
//! `lzma`/`bz2`/`zlib` modules and the `lz4` command-line tool (the LZMA, XZ, LZ4 and
//! LZO bzImage fixtures hold the same kernel, so they share one hash).

mod common;
use common::{corpus, fixture_bytes as fixture, sha};

use std::fs;
use std::io::Write;
use std::path::Path;

use baseliner_unpack::{EntryKind, FileRecord, Limits, Report, extract_one, unpack};

/// Runs one format on `data` (at offset 0); returns (consumed, records, tempdir).
fn one(format: &str, data: &[u8]) -> (u64, Vec<FileRecord>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let (n, recs) = extract_one(format, data, dir.path(), &Limits::default())
        .unwrap_or_else(|e| panic!("{format}: {e}"))
        .unwrap_or_else(|| panic!("{format}: probe refused the candidate"));
    (n, recs, dir)
}

/// The single decompressed file of a stream extraction.
fn output(recs: &[FileRecord], dir: &Path) -> Vec<u8> {
    let files: Vec<_> = recs.iter().filter(|r| r.kind == EntryKind::File).collect();
    assert_eq!(files.len(), 1, "one output file expected: {recs:?}");
    fs::read(dir.join(&files[0].path)).unwrap()
}

fn run_bytes(data: &[u8], limits: &Limits) -> (tempfile::TempDir, Report) {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("image.bin");
    fs::write(&img, data).unwrap();
    let r = unpack(&img, &dir.path().join("out"), limits, None).unwrap();
    (dir, r)
}

/// Text-like test data: compressible but not trivially so, deterministic.
fn sample(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut x: u32 = 0x1234_5678;
    let words = [
        "root",
        "admin",
        "telnetd",
        "busybox",
        "/etc/shadow",
        "dropbear",
        "0x",
        "firmware",
    ];
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out.extend_from_slice(words[(x % 8) as usize].as_bytes());
        out.extend_from_slice(format!("{} ", x % 1000).as_bytes());
        if x.is_multiple_of(7) {
            out.push(b'\n');
        }
    }
    out.truncate(len);
    out
}

const TRAILER: &[u8] = b"\xde\xad\xbe\xef this is not part of the stream \x00\x01\x02";

/// Checks a built stream: exact consumed length with a trailer, exact output, and
/// the same result when carved from the middle of an image by `unpack`.
fn check_built(format: &str, stream: &[u8], original: &[u8]) {
    let mut data = stream.to_vec();
    data.extend_from_slice(TRAILER);
    let (n, recs, dir) = one(format, &data);
    assert_eq!(n, stream.len() as u64, "{format}: consumed length");
    let out = output(&recs, dir.path());
    assert_eq!(out.len(), original.len(), "{format}: output size");
    assert_eq!(sha(&out), sha(original), "{format}: output hash");

    let mut image = vec![0xa5u8; 1000];
    image.extend_from_slice(&data);
    let (_d, r) = run_bytes(&image, &Limits::default());
    let hit = r
        .formats
        .iter()
        .find(|h| h.file.is_empty() && h.offset == 1000 && h.format == format)
        .unwrap_or_else(|| panic!("{format}: no hit at 1000 in {:#?}", r.formats));
    assert_eq!(
        hit.length,
        Some(stream.len() as u64),
        "{format}: carved length"
    );
    assert!(
        r.files
            .iter()
            .any(|f| f.sha256.as_deref() == Some(sha(original).as_str())),
        "{format}: decompressed file missing from the listing"
    );
}

// ---------------------------------------------------------------- real data

#[test]
fn lzma_tplink_kernel_exact() {
    let Some(img) = fixture("firmware/tplink-wr841nv10-3.16.9.bin") else {
        return;
    };
    // Python: lzma.LZMADecompressor(FORMAT_ALONE) at 0x20400 used 761358 bytes.
    let mut slice = img[0x20400..0x20400 + 761_358].to_vec();
    slice.extend_from_slice(TRAILER);
    let (n, recs, dir) = one("lzma", &slice);
    assert_eq!(n, 761_358);
    let out = output(&recs, dir.path());
    assert_eq!(out.len(), 2_219_160);
    assert_eq!(
        sha(&out),
        "ad931bfda23bdec78e84f51969fc2a46d1a5b744c37b57f55b2274e7e383c8e5"
    );
    assert!(out.windows(13).any(|w| w == b"Linux version"));
}

#[test]
fn lzma_tplink_kernel_found_in_whole_image() {
    let Some(corpus) = corpus() else { return };
    let img = corpus.join("firmware/tplink-wr841nv10-3.16.9.bin");
    if !img.is_file() {
        baseliner_testkit::skip::<()>(format!("{} is absent", img.display()));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let r = unpack(&img, &dir.path().join("out"), &Limits::default(), None).unwrap();
    let kernel = "ad931bfda23bdec78e84f51969fc2a46d1a5b744c37b57f55b2274e7e383c8e5";
    let f = r
        .files
        .iter()
        .find(|f| f.sha256.as_deref() == Some(kernel))
        .unwrap_or_else(|| panic!("kernel not extracted: {:#?}", r.formats));
    assert!(f.provenance.contains("@0x20400:lzma"), "{}", f.provenance);
}

#[test]
fn lzma_uimage_kernels() {
    // (file, props byte, consumed from the payload start, output size, sha256)
    let cases = [
        (
            "firmware/wavlink-529b3-kernel.uimage",
            1_451_214u64,
            4_271_700usize,
            "6be07e9bea1b66dba4c7e162089b1803beed28484089aa7852db83fa1311a444",
        ),
        (
            "firmware/openwrt-mt7628-kernel.uimage",
            1_281_569,
            3_792_608,
            "9eea7db5b3bf3f3d4e88207e6e4657e53baf3f08ee95d5b0387c92e2c1ffa257",
        ),
    ];
    for (file, used, size, hash) in cases {
        let Some(img) = fixture(file) else { return };
        // The payload follows the 64-byte uImage header; anything after it is trailer.
        let (n, recs, dir) = one("lzma", &img[64..]);
        assert_eq!(n, used, "{file}");
        let out = output(&recs, dir.path());
        assert_eq!(out.len(), size, "{file}");
        assert_eq!(sha(&out), hash, "{file}");
        assert!(out.windows(13).any(|w| w == b"Linux version"), "{file}");
    }
}

/// The kernel of the bzImage fixtures, through each compressor's own format.
#[test]
fn bzimage_payloads() {
    const KERNEL: &str = "f1a444f39ed4c1c6b217aa15986229a8a2f5431db425481f7fd072683e9e188f";
    // (fixture, format, consumed or None where no independent tool measured it, sha256)
    let cases = [
        ("lzma", "lzma", Some(426_904u64), KERNEL),
        ("xz", "xz", Some(409_296), KERNEL),
        ("lz4", "lz4", None, KERNEL),
        ("lzo", "lzo", None, KERNEL),
        (
            "bzip2",
            "bzip2",
            Some(458_010),
            "fb0bb4c24a22ca25aa6617c956b72a3febdb6c5110101b4c1704d5e19b97ca3a",
        ),
    ];
    for (c, format, used, hash) in cases {
        let Some(img) = fixture(&format!("formats/linuxkernel__bzImage_{c}")) else {
            return;
        };
        // Every fixture's payload starts at 17001 (the setup code's size).
        let (n, recs, dir) = one(format, &img[17001..]);
        if let Some(u) = used {
            assert_eq!(n, u, "{c}: consumed");
        }
        assert!(n < (img.len() - 17001) as u64, "{c}: stops before the end");
        let out = output(&recs, dir.path());
        assert_eq!(out.len(), 1_015_400, "{c}: size");
        assert_eq!(sha(&out), hash, "{c}: hash");
    }
}

// ---------------------------------------------------------------- built streams

#[test]
fn xz_built() {
    let data = sample(300_000);
    let mut w =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(3)).unwrap();
    w.write_all(&data).unwrap();
    let xz = w.finish().unwrap();
    check_built("xz", &xz, &data);
}

#[test]
fn bzip2_built() {
    let data = sample(300_000);
    let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::new(6));
    w.write_all(&data).unwrap();
    let bz = w.finish().unwrap();
    check_built("bzip2", &bz, &data);
}

#[test]
fn zstd_built() {
    let data = sample(300_000);
    let z =
        ruzstd::encoding::compress_to_vec(&data[..], ruzstd::encoding::CompressionLevel::Fastest);
    check_built("zstd", &z, &data);
}

#[test]
fn zlib_built() {
    let data = sample(300_000);
    let mut w = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    w.write_all(&data).unwrap();
    let z = w.finish().unwrap();
    check_built("zlib", &z, &data);
}

#[test]
fn zlib_tiny_stream_is_accepted() {
    let data = b"nvram: http_passwd=admin".to_vec();
    let mut w = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    w.write_all(&data).unwrap();
    let z = w.finish().unwrap();
    let mut d = z.clone();
    d.extend_from_slice(TRAILER);
    let (n, recs, dir) = one("zlib", &d);
    assert_eq!(n, z.len() as u64);
    assert_eq!(output(&recs, dir.path()), data);
}

#[test]
fn lzma_built_with_end_marker_and_known_size() {
    let data = sample(200_000);
    // Known size (no end marker).
    let mut opts = lzma_rust2::LzmaOptions::with_preset(6);
    opts.dict_size = 1 << 20;
    let mut w =
        lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &opts, Some(data.len() as u64)).unwrap();
    w.write_all(&data).unwrap();
    let known = w.finish().unwrap();
    check_built("lzma", &known, &data);
    // Unknown size (-1), ended by the end marker.
    let mut w = lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &opts, None).unwrap();
    w.write_all(&data).unwrap();
    let marked = w.finish().unwrap();
    assert_eq!(&marked[5..13], &[0xff; 8]);
    check_built("lzma", &marked, &data);
}

/// The firmware habit: size field -1 but no end marker, or a size larger than the
/// data. The stream is kept (with a warning) once it has produced its data.
#[test]
fn lzma_without_end_marker_is_kept() {
    let data = sample(300_000);
    let opts = lzma_rust2::LzmaOptions::with_preset(6);
    let mut w =
        lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &opts, Some(data.len() as u64)).unwrap();
    w.write_all(&data).unwrap();
    let known = w.finish().unwrap();
    for size in [u64::MAX, data.len() as u64 * 3] {
        let mut s = known.clone();
        s[5..13].copy_from_slice(&size.to_le_bytes());
        let mut image = vec![0x5au8; 512];
        image.extend_from_slice(&s);
        let mut x = 5u64;
        for _ in 0..8192 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            image.push((x >> 56) as u8);
        }
        let (dir, r) = run_bytes(&image, &Limits::default());
        let f = r
            .files
            .iter()
            .find(|f| f.provenance.contains("@0x200:lzma"))
            .unwrap_or_else(|| panic!("size {size:x}: {:#?} {:#?}", r.formats, r.errors));
        let out = fs::read(dir.path().join("out").join(&f.path)).unwrap();
        assert!(out.len() >= data.len(), "size {size:x}");
        // The decoder stops a little after the real end, on the bytes after it.
        let hit = r.formats.iter().find(|h| h.offset == 0x200).unwrap();
        let len = hit.length.unwrap();
        assert!(
            len >= s.len() as u64 && len < s.len() as u64 + 4096,
            "size {size:x}: length {len} for a {}-byte stream",
            s.len()
        );
        assert_eq!(sha(&out[..data.len()]), sha(&data), "size {size:x}");
        assert!(
            r.warnings.iter().any(|w| w.contains("lzma")),
            "size {size:x}: {:?}",
            r.warnings
        );
    }
}

#[test]
fn lz4_frame_built() {
    let data = sample(300_000);
    let mut w = lz4_flex::frame::FrameEncoder::new(Vec::new());
    w.write_all(&data).unwrap();
    let f = w.finish().unwrap();
    check_built("lz4", &f, &data);
}

/// The kernel's legacy format: 8 MiB blocks, the last one short, no end mark.
#[test]
fn lz4_legacy_built() {
    let data = sample((8 << 20) + 300_000);
    let mut s = vec![0x02, 0x21, 0x4c, 0x18];
    for block in data.chunks(8 << 20) {
        let c = lz4_flex::block::compress(block);
        s.extend_from_slice(&(c.len() as u32).to_le_bytes());
        s.extend_from_slice(&c);
    }
    let mut d = s.clone();
    // What the kernel build appends: the decompressed size.
    d.extend_from_slice(&(data.len() as u32).to_le_bytes());
    let (n, recs, dir) = one("lz4", &d);
    assert_eq!(n, s.len() as u64);
    assert_eq!(sha(&output(&recs, dir.path())), sha(&data));
}

fn adler32(d: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in d {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// An lzop file as lzop 1.04 writes it (version 0x1040, adler32 of the data).
fn lzop(data: &[u8], block: usize) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&0x1040u16.to_be_bytes());
    h.extend_from_slice(&0x2080u16.to_be_bytes());
    h.extend_from_slice(&0x0940u16.to_be_bytes());
    h.push(1); // LZO1X-1
    h.push(5); // level
    h.extend_from_slice(&1u32.to_be_bytes()); // F_ADLER32_D
    h.extend_from_slice(&0o100644u32.to_be_bytes());
    h.extend_from_slice(&0u32.to_be_bytes());
    h.extend_from_slice(&0u32.to_be_bytes());
    h.push(8);
    h.extend_from_slice(b"init.bin");
    let mut f = b"\x89LZO\x00\r\n\x1a\n".to_vec();
    f.extend_from_slice(&h);
    f.extend_from_slice(&adler32(&h).to_be_bytes());
    for chunk in data.chunks(block) {
        let c = lzokay::compress::compress(chunk).unwrap();
        f.extend_from_slice(&(chunk.len() as u32).to_be_bytes());
        let stored = c.len() >= chunk.len();
        let body = if stored { chunk } else { &c[..] };
        f.extend_from_slice(&(body.len() as u32).to_be_bytes());
        f.extend_from_slice(&adler32(chunk).to_be_bytes());
        f.extend_from_slice(body);
    }
    f.extend_from_slice(&0u32.to_be_bytes());
    f
}

#[test]
fn lzo_built() {
    let mut data = sample(600_000);
    // An incompressible tail makes lzop store a block uncompressed.
    let mut x = 7u64;
    for _ in 0..70_000 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        data.push((x >> 56) as u8);
    }
    let f = lzop(&data, 256 * 1024);
    let mut d = f.clone();
    d.extend_from_slice(TRAILER);
    let (n, recs, dir) = one("lzo", &d);
    assert_eq!(n, f.len() as u64);
    assert_eq!(recs[0].fs_path.rsplit('/').next(), Some("init.bin"));
    assert_eq!(sha(&output(&recs, dir.path())), sha(&data));
}

#[test]
fn lzo_bad_checksum_is_an_error() {
    let data = sample(100_000);
    let mut f = lzop(&data, 256 * 1024);
    let last = f.len() - 10;
    f[last] ^= 0x55;
    let dir = tempfile::tempdir().unwrap();
    let r = extract_one("lzo", &f, dir.path(), &Limits::default());
    assert!(r.is_err(), "{r:?}");
}

// ---------------------------------------------------------------- hostile

/// Limits that make a bomb trip the ratio check after a few MiB. The ratio is
/// measured against the rest of the image (a stream's length is unknown before it is
/// decoded), so a dense 10 MiB gzip bomb is allowed 4 x 10 MiB here.
fn bomb_limits() -> Limits {
    Limits {
        max_ratio: 4,
        ratio_floor: 4 << 20,
        ..Limits::default()
    }
}

/// A gzip member that inflates to `gib` GiB of zeros, made by repeating one
/// fully flushed deflate block (byte-aligned, no back-references across it).
fn gzip_bomb(gib: u64) -> Vec<u8> {
    let mut c = flate2::Compress::new(flate2::Compression::best(), false);
    let zeros = vec![0u8; 1 << 20];
    let mut block = Vec::with_capacity(8192);
    c.compress_vec(&zeros, &mut block, flate2::FlushCompress::Full)
        .unwrap();
    let mut g = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    for _ in 0..(gib << 10) {
        g.extend_from_slice(&block);
    }
    g.extend_from_slice(&[3, 0]); // final empty fixed block
    g.extend_from_slice(&[0; 8]); // CRC and size (never reached)
    g
}

/// A zstd frame of RLE blocks: 4 bytes per 128 KiB of zeros.
fn zstd_bomb(gib: u64) -> Vec<u8> {
    let mut z = vec![0x28, 0xb5, 0x2f, 0xfd];
    z.push(0x00); // no content size, not single segment, no checksum
    z.push(0x38); // window 2^(10+7) = 128 KiB
    let blocks = gib << 13;
    for i in 0..blocks {
        let last = (i + 1 == blocks) as u32;
        let h = last | (1 << 1) | ((128 * 1024) << 3);
        z.extend_from_slice(&h.to_le_bytes()[..3]);
        z.push(0);
    }
    z
}

/// Streams `mib` MiB of zeros through an encoder without holding them.
fn encode_zeros<W: Write>(mut w: W, mib: usize) -> W {
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..mib {
        w.write_all(&zeros).unwrap();
    }
    w
}

fn assert_bomb_stopped(format: &str, bomb: &[u8]) {
    // The bomb sits between two things the run must still find.
    let tail = {
        let mut w = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        w.write_all(&sample(100_000)).unwrap();
        w.finish().unwrap()
    };
    let mut image = vec![0x11u8; 4096];
    image.extend_from_slice(bomb);
    image.extend_from_slice(&[0x22; 4096]);
    let tail_at = image.len() as u64;
    image.extend_from_slice(&tail);
    let (_d, r) = run_bytes(&image, &bomb_limits());
    let e = r
        .errors
        .iter()
        .find(|e| e.offset == 4096 && e.format == format)
        .unwrap_or_else(|| panic!("{format}: no error for the bomb: {:#?}", r.errors));
    assert!(e.reason.contains("ratio"), "{format}: {}", e.reason);
    let written: u64 = r
        .files
        .iter()
        .filter(|f| f.provenance.contains(&format!("@0x1000:{format}")))
        .map(|f| f.size)
        .sum();
    assert!(written < 64 << 20, "{format}: wrote {written} bytes");
    assert!(
        r.formats
            .iter()
            .any(|h| h.offset == tail_at && h.format == "zlib"),
        "{format}: the rest of the image was not analysed: {:#?}",
        r.formats
    );
}

#[test]
fn gzip_bomb_10gib_stops_at_quota() {
    assert_bomb_stopped("gzip", &gzip_bomb(10));
}

#[test]
fn zstd_bomb_10gib_stops_at_quota() {
    assert_bomb_stopped("zstd", &zstd_bomb(10));
}

#[test]
fn xz_bomb_stops_at_quota() {
    let w = encode_zeros(
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).unwrap(),
        512,
    );
    assert_bomb_stopped("xz", &w.finish().unwrap());
}

#[test]
fn bzip2_bomb_stops_at_quota() {
    let w = encode_zeros(
        bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast()),
        256,
    );
    assert_bomb_stopped("bzip2", &w.finish().unwrap());
}

/// Every truncation of every built stream: an error or a shorter output, never a
/// panic or a hang; random bytes after a magic do not become extractions.
#[test]
fn truncations_and_garbage() {
    let data = sample(20_000);
    let mut streams: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut w =
        lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(1)).unwrap();
    w.write_all(&data).unwrap();
    streams.push(("xz", w.finish().unwrap()));
    let mut w = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
    w.write_all(&data).unwrap();
    streams.push(("bzip2", w.finish().unwrap()));
    streams.push((
        "zstd",
        ruzstd::encoding::compress_to_vec(&data[..], ruzstd::encoding::CompressionLevel::Fastest),
    ));
    let mut w = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    w.write_all(&data).unwrap();
    streams.push(("zlib", w.finish().unwrap()));
    let mut w = lz4_flex::frame::FrameEncoder::new(Vec::new());
    w.write_all(&data).unwrap();
    streams.push(("lz4", w.finish().unwrap()));
    streams.push(("lzo", lzop(&data, 8192)));
    let opts = lzma_rust2::LzmaOptions::with_preset(1);
    let mut w = lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &opts, None).unwrap();
    w.write_all(&data).unwrap();
    streams.push(("lzma", w.finish().unwrap()));

    let limits = Limits::default();
    for (format, s) in &streams {
        let step = (s.len() / 97).max(1);
        let mut cut = 0;
        while cut < s.len() {
            let dir = tempfile::tempdir().unwrap();
            if let Ok(Some((n, recs))) = extract_one(format, &s[..cut], dir.path(), &limits) {
                assert!(n <= cut as u64, "{format} cut at {cut}: consumed {n}");
                let size: u64 = recs.iter().map(|r| r.size).sum();
                assert!(size <= data.len() as u64, "{format} cut at {cut}");
            }
            cut += step;
        }
        // Bit flips in the body.
        for i in 0..16 {
            let mut b = s.clone();
            let at = 13 + (i * 7919) % (b.len() - 13);
            b[at] ^= 1 << (i % 8);
            let dir = tempfile::tempdir().unwrap();
            let _ = extract_one(format, &b, dir.path(), &limits);
        }
    }

    // Magics followed by random bytes: no extraction, no error noise for weak ones.
    let mut image = Vec::new();
    let mut x = 99u64;
    let magics: [&[u8]; 8] = [
        &[0x5d, 0, 0, 0x80, 0],
        &[0x6d, 0, 0, 0x80, 0],
        &[0x78, 0x9c],
        &[0x78, 0xda],
        &[0x02, 0x21, 0x4c, 0x18],
        &[0xc7, 0x71],
        b"BZh91AY&SY",
        &[0x28, 0xb5, 0x2f, 0xfd],
    ];
    for round in 0..50 {
        image.extend_from_slice(magics[round % magics.len()]);
        for _ in 0..4000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            image.push((x >> 56) as u8);
        }
    }
    let (_d, r) = run_bytes(&image, &limits);
    let weak = ["lzma", "zlib", "lz4", "cpio"];
    assert!(
        !r.formats.iter().any(|h| weak.contains(&h.format.as_str())),
        "{:#?}",
        r.formats
    );
    assert!(
        !r.errors.iter().any(|e| weak.contains(&e.format.as_str())),
        "{:#?}",
        r.errors
    );
}

/// TP-Link VxWorks images compress with lc=2 lp=2 pb=2 (properties byte 0x6e); the
/// expected sizes and hashes come from Python's `lzma` on the same offsets. The
/// streams sit in the parts `tplink_img0` writes: the bootloader's body at 0x6830 of
/// `bootloader.bin` (0x68c4 of the image) and the VxWorks image in `part1.lzma`
/// (0x40114 of the image).
#[test]
fn tplink_vxworks_lzma_with_props_0x6e() {
    let Some(c) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let r = unpack(
        &c.join("firmware/tplink-vxworks.fw"),
        &tmp.path().join("o"),
        &Limits::default(),
        None,
    )
    .unwrap();
    let hits: Vec<(&str, u64, &str)> = r
        .formats
        .iter()
        .filter_map(|f| {
            let name = std::path::Path::new(&f.file).file_name()?.to_str()?;
            Some((name, f.offset, f.format.as_str()))
        })
        .collect();
    assert!(
        hits.contains(&("bootloader.bin", 0x6830, "lzma"))
            && hits.contains(&("part1.lzma", 0, "lzma")),
        "{hits:?}"
    );
    let sizes: Vec<u64> = r
        .files
        .iter()
        .filter(|f| f.kind == EntryKind::File && f.provenance.ends_with(":lzma:/decompressed"))
        .map(|f| f.size)
        .collect();
    assert!(
        sizes.contains(&698_624) && sizes.contains(&3_571_184),
        "{sizes:?}"
    );
}
