//! squashfs extraction on real images and fixtures, checked against ground truth
//! computed with an independent tool, plus hostile images built here.
//!
//! Expected manifests: each line is `path<TAB>kind<TAB>mode<TAB>sha256|target|major,minor`,
//! sorted; the digest is the SHA-256 of the lines joined by newlines. They were
//! computed once from trees extracted by Debian's `unsquashfs` 4.5.1 (as root, so
//! modes and device nodes were kept) with a short Python walk of the tree.

use std::path::{Path, PathBuf};

use baseliner_unpack::{EntryKind, FileRecord, Limits, Report, unpack};
use sha2::{Digest, Sha256};

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "skipping: the shared corpus is not at {} (tests on real images need it)",
            p.display()
        );
        None
    }
}

fn run(image: &Path) -> (Report, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let r = unpack(image, &dir.path().join("out"), &Limits::default(), None).unwrap();
    (r, dir)
}

/// The squashfs hit at `offset` in the image itself.
fn hit(r: &Report, offset: u64) -> &baseliner_unpack::FormatHit {
    r.formats
        .iter()
        .find(|f| f.format == "squashfs" && f.file.is_empty() && f.offset == offset)
        .unwrap_or_else(|| panic!("no squashfs at 0x{offset:x}: {:#?}", r.formats))
}

/// Records written by that squashfs extraction itself (not by recursion into them).
fn entries<'r>(r: &'r Report, offset: u64) -> Vec<&'r FileRecord> {
    let hop = &hit(r, offset).provenance;
    r.files
        .iter()
        .filter(|f| f.provenance == format!("{hop}:{}", f.fs_path))
        .collect()
}

fn kind(k: EntryKind) -> &'static str {
    match k {
        EntryKind::File => "file",
        EntryKind::Dir => "dir",
        EntryKind::Symlink => "symlink",
        EntryKind::Chardev => "chardev",
        EntryKind::Blockdev => "blockdev",
        EntryKind::Fifo => "fifo",
        EntryKind::Socket => "socket",
    }
}

fn manifest(recs: &[&FileRecord]) -> Vec<String> {
    let mut lines: Vec<String> = recs
        .iter()
        .map(|f| {
            let extra = match f.kind {
                EntryKind::File => f.sha256.clone().unwrap_or_default(),
                EntryKind::Symlink => f.link_target.clone().unwrap_or_default(),
                EntryKind::Chardev | EntryKind::Blockdev => f
                    .device
                    .map(|(a, b)| format!("{a},{b}"))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            format!(
                "{}\t{}\t{:o}\t{extra}",
                f.fs_path,
                kind(f.kind),
                f.mode & 0o7777
            )
        })
        .collect();
    lines.sort();
    lines
}

fn digest(lines: &[String]) -> String {
    hex::encode(Sha256::digest(lines.join("\n").as_bytes()))
}

fn line<'a>(lines: &'a [String], path: &str) -> &'a str {
    lines
        .iter()
        .find(|l| l.split('\t').next() == Some(path))
        .unwrap_or_else(|| panic!("{path} not extracted"))
}

/// The five-inode fixture family: two files at the root, one in "generic folder".
const SMALL_DIGEST: &str = "e696a0ecd61305fd6e47d8cf811d01ab5b5b402b89cc6f4c3cda3772772cc660";
/// The dissect.squashfs family: 107 entries (103 files, 3 symlinks, 1 directory).
const DISSECT_DIGEST: &str = "d188a52fd0b2d387953d2adfc8891ba920cd8a4b2fc63b3d3481d08e583546cb";

fn check_fixture(name: &str, count: usize, want: &str, desc: &str) {
    let Some(c) = corpus() else { return };
    let (r, _d) = run(&c.join("formats").join(name));
    assert!(r.errors.is_empty(), "{name}: {:#?}", r.errors);
    let h = hit(&r, 0);
    assert!(
        h.description.starts_with(desc),
        "{name}: description {:?} should start with {desc:?}",
        h.description
    );
    let lines = manifest(&entries(&r, 0));
    assert_eq!(lines.len(), count, "{name}: {lines:#?}");
    assert_eq!(digest(&lines), want, "{name}: {lines:#?}");
}

#[test]
fn v4_every_compressor_matches_unsquashfs() {
    for (name, desc) in [
        (
            "squashFS__gzip.sqfs",
            "squashfs 4.0 LE, gzip, 5 inodes, block 128 KiB",
        ),
        ("squashFS__lzma.sqfs", "squashfs 4.0 LE, lzma, 5 inodes"),
        ("squashFS__lzo.sqfs", "squashfs 4.0 LE, lzo, 5 inodes"),
        ("squashFS__xz.sqfs", "squashfs 4.0 LE, xz, 5 inodes"),
        ("squashFS__lz4.sqfs", "squashfs 4.0 LE, lz4, 5 inodes"),
        ("squashFS__zstd.sqfs", "squashfs 4.0 LE, zstd, 5 inodes"),
        (
            "squashFS__avm_le.sqfs4",
            "squashfs 4.0 LE, xz, 5 inodes, block 64 KiB",
        ),
    ] {
        check_fixture(name, 4, SMALL_DIGEST, desc);
    }
    for (name, desc) in [
        (
            "dissect-squashfs_gzip.sqfs",
            "squashfs 4.0 LE, gzip, 108 inodes",
        ),
        (
            "dissect-squashfs_gzip-opts.sqfs",
            "squashfs 4.0 LE, gzip, 108 inodes",
        ),
        (
            "dissect-squashfs_lzma.sqfs",
            "squashfs 4.0 LE, lzma, 108 inodes",
        ),
        (
            "dissect-squashfs_lzo.sqfs",
            "squashfs 4.0 LE, lzo, 108 inodes",
        ),
        (
            "dissect-squashfs_xz.sqfs",
            "squashfs 4.0 LE, xz, 108 inodes",
        ),
        (
            "dissect-squashfs_lz4.sqfs",
            "squashfs 4.0 LE, lz4, 108 inodes",
        ),
        (
            "dissect-squashfs_zstd.sqfs",
            "squashfs 4.0 LE, zstd, 108 inodes",
        ),
    ] {
        check_fixture(name, 107, DISSECT_DIGEST, desc);
    }
    check_fixture(
        "binwalk-squashfs.bin",
        1,
        "16be8a0e79441c20e2418f159808219b9e308400b9fae7026a83b2987fdbe165",
        "squashfs 4.0 LE, gzip, 2 inodes",
    );
}

#[test]
fn v3_both_byte_orders_match_unsquashfs() {
    check_fixture(
        "squashFS__zlib_le.sqfs3",
        4,
        SMALL_DIGEST,
        "squashfs 3.1 LE, gzip, 5 inodes, block 64 KiB",
    );
    check_fixture(
        "squashFS__zlib_be.sqfs3",
        4,
        SMALL_DIGEST,
        "squashfs 3.1 BE, gzip, 5 inodes, block 64 KiB",
    );
}

/// Vendor variants `unsquashfs` cannot read. They hold the same five test files as
/// the standard fixtures above, so the same manifest is the cross-check.
#[test]
fn vendor_variants_hold_the_same_tree() {
    for (name, desc) in [
        (
            "squashFS__avm_be.sqfs4",
            "squashfs 4.0 BE, xz, 5 inodes, block 64 KiB",
        ),
        (
            "squashFS__lzma_le.sqfs2",
            "squashfs 2.76 LE, lzma (raw, lc=3 lp=0 pb=2)",
        ),
        (
            "squashFS__lzma_be.sqfs2",
            "squashfs 2.76 BE, lzma (raw, lc=3 lp=0 pb=2)",
        ),
        (
            "squashFS__lzma1_le.sqfs3",
            "squashfs 3.76 LE, lzma (raw, lc=3 lp=0 pb=2)",
        ),
        (
            "squashFS__lzma1_be.sqfs3",
            "squashfs 3.76 BE, lzma (raw, lc=3 lp=0 pb=2)",
        ),
    ] {
        check_fixture(name, 4, SMALL_DIGEST, desc);
    }
}

#[test]
fn fake_avm_superblock_is_not_a_file_system() {
    let Some(c) = corpus() else { return };
    let (r, _d) = run(&c.join("formats/avm_sqfs_fake__fake.sqfs"));
    assert!(
        r.formats.iter().all(|f| f.format != "squashfs"),
        "{:#?}",
        r.formats
    );
    assert!(r.files.is_empty());
}

#[test]
fn tplink_wr841n_matches_unsquashfs() {
    let Some(c) = corpus() else { return };
    let (r, _d) = run(&c.join("firmware/tplink-wr841nv10-3.16.9.bin"));
    let h = hit(&r, 0x120200);
    assert_eq!(
        h.description,
        "squashfs 4.0 LE, lzma, 560 inodes, block 128 KiB"
    );
    // bytes_used is 2477651; the 4 KiB padding after it is there.
    assert_eq!(h.length, Some(2478080));
    assert!(
        r.errors.iter().all(|e| e.format != "squashfs"),
        "{:#?}",
        r.errors
    );
    let lines = manifest(&entries(&r, 0x120200));
    assert_eq!(lines.len(), 559);
    assert_eq!(
        digest(&lines),
        "1396f256b8c70415d3ba34bd406e71632222cca5c14f11dd28449bd9941b326f"
    );
    assert_eq!(
        line(&lines, "/bin/busybox"),
        "/bin/busybox\tfile\t755\tda015becc7e69f78a4ed2d7e2e0d6ec09517a1a93a174da6616c8a92b2f1b2a9"
    );
    assert_eq!(
        line(&lines, "/sbin/init"),
        "/sbin/init\tsymlink\t777\t../bin/busybox"
    );
    assert_eq!(
        line(&lines, "/dev/console"),
        "/dev/console\tchardev\t644\t5,1"
    );
    let kinds = |k: &str| {
        lines
            .iter()
            .filter(|l| l.split('\t').nth(1) == Some(k))
            .count()
    };
    assert_eq!(
        (
            kinds("file"),
            kinds("dir"),
            kinds("symlink"),
            kinds("chardev"),
            kinds("blockdev")
        ),
        (374, 39, 77, 60, 9)
    );
}
