//! squashfs extraction on real images and fixtures, checked against ground truth
//! computed with an independent tool, plus hostile images built here.
//!
//! Expected manifests: each line is `path<TAB>kind<TAB>mode<TAB>sha256|target|major,minor`,
//! sorted; the digest is the SHA-256 of the lines joined by newlines. They were
//! computed once from trees extracted by Debian's `unsquashfs` 4.5.1 (as root, so
//! modes and device nodes were kept) with a short Python walk of the tree.

mod common;
use common::corpus;

use std::path::Path;

use baseliner_unpack::{EntryKind, FileRecord, Limits, Report, unpack};
use sha2::{Digest, Sha256};

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
fn entries(r: &Report, offset: u64) -> Vec<&FileRecord> {
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
            "squashfs 2.76 LE, lzma (raw, lc=3 lp=0 pb=2) under the gzip id",
        ),
        (
            "squashFS__lzma_be.sqfs2",
            "squashfs 2.76 BE, lzma (raw, lc=3 lp=0 pb=2) under the gzip id",
        ),
        (
            "squashFS__lzma1_le.sqfs3",
            "squashfs 3.76 LE, lzma (raw, lc=3 lp=0 pb=2) under the gzip id",
        ),
        (
            "squashFS__lzma1_be.sqfs3",
            "squashfs 3.76 BE, lzma (raw, lc=3 lp=0 pb=2) under the gzip id",
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

/// Program headers and section headers of an ELF file lie inside it and every
/// loadable segment's bytes are present: a garbled or short decode breaks this.
fn elf_ok(b: &[u8]) -> bool {
    let (Some(&class), Some(&data)) = (b.get(4), b.get(5)) else {
        return false;
    };
    let be = data == 2;
    let rd = |o: usize, n: usize| -> Option<u64> {
        let s = b.get(o..o + n)?;
        Some(if be {
            s.iter().fold(0u64, |a, &x| (a << 8) | x as u64)
        } else {
            s.iter().rev().fold(0u64, |a, &x| (a << 8) | x as u64)
        })
    };
    let w = if class == 2 { 8 } else { 4 };
    let check = || -> Option<bool> {
        let phoff = rd(if w == 8 { 32 } else { 28 }, w)?;
        let shoff = rd(if w == 8 { 40 } else { 32 }, w)?;
        let base = if w == 8 { 54 } else { 42 };
        let (phsz, phn, shsz, shn) = (
            rd(base, 2)?,
            rd(base + 2, 2)?,
            rd(base + 4, 2)?,
            rd(base + 6, 2)?,
        );
        let len = b.len() as u64;
        if phoff + phsz * phn > len || (shn > 0 && shoff + shsz * shn > len) {
            return Some(false);
        }
        for i in 0..phn {
            let ph = (phoff + i * phsz) as usize;
            let (off, filesz) = if w == 8 {
                (rd(ph + 8, 8)?, rd(ph + 32, 8)?)
            } else {
                (rd(ph + 4, 4)?, rd(ph + 16, 4)?)
            };
            if rd(ph, 4)? == 1 && off + filesz > len {
                return Some(false);
            }
        }
        Some(true)
    };
    check().unwrap_or(false)
}

struct Vendor {
    image: &'static str,
    offset: u64,
    description: &'static str,
    entries: usize,
    /// (file, dir, symlink, chardev, blockdev, fifo)
    kinds: (usize, usize, usize, usize, usize, usize),
    /// SHA-256 values computed independently, by a separate Python reader using
    /// liblzma (the same reader reproduces `unsquashfs` on the WR841N).
    hashes: &'static [(&'static str, &'static str)],
    /// Text the image's documentation says a file holds.
    contains: (&'static str, &'static str),
}

fn check_vendor(v: &Vendor) -> Option<Vec<String>> {
    let c = corpus()?;
    let (r, d) = run(&c.join("firmware").join(v.image));
    let h = hit(&r, v.offset);
    assert_eq!(h.description, v.description);
    assert!(
        r.errors.iter().all(|e| e.format != "squashfs"),
        "{}: {:#?}",
        v.image,
        r.errors
    );
    let recs = entries(&r, v.offset);
    let lines = manifest(&recs);
    assert_eq!(lines.len(), v.entries, "{}", v.image);
    let n = |k: EntryKind| recs.iter().filter(|f| f.kind == k).count();
    assert_eq!(
        (
            n(EntryKind::File),
            n(EntryKind::Dir),
            n(EntryKind::Symlink),
            n(EntryKind::Chardev),
            n(EntryKind::Blockdev),
            n(EntryKind::Fifo)
        ),
        v.kinds,
        "{}",
        v.image
    );
    for (path, sha) in v.hashes {
        let l = line(&lines, path);
        assert!(l.ends_with(sha), "{}: {l} should have {sha}", v.image);
    }
    let out = d.path().join("out");
    let mut elves = 0;
    for f in recs.iter().filter(|f| f.kind == EntryKind::File) {
        let b = std::fs::read(out.join(&f.path)).unwrap();
        assert_eq!(b.len() as u64, f.size);
        if b.starts_with(b"\x7fELF") {
            elves += 1;
            assert!(elf_ok(&b), "{}: {} is a broken ELF", v.image, f.fs_path);
        }
        if f.fs_path == v.contains.0 {
            let text = String::from_utf8_lossy(&b);
            assert!(text.contains(v.contains.1), "{}: {}", v.image, f.fs_path);
        }
    }
    assert!(elves > 20, "{}: only {elves} ELF files", v.image);
    Some(lines)
}

/// TP-Link's vendor LZMA (5-byte header, lc=1 lp=2 pb=2), which `unsquashfs` cannot
/// read. Beyond the independent hashes, 255 files are byte-identical to those of
/// the WR841N of the same release, whose tree `unsquashfs` confirmed.
#[test]
fn tplink_wr940n_vendor_lzma() {
    let Some(lines) = check_vendor(&Vendor {
        image: "tplink-wr940nv4-3.16.9.bin",
        offset: 0x120200,
        description: "squashfs 4.0 LE, lzma (vendor 5-byte header), 584 inodes, block 128 KiB",
        entries: 583,
        kinds: (397, 39, 78, 60, 9, 0),
        hashes: &[
            (
                "/bin/busybox",
                "2eced602fdd4dacccb79a1e81e77d7606d3a1698f6cccef21df41ea3925c92a6",
            ),
            (
                "/etc/shadow",
                "99962147fbf720b7035e15ac9eef1ca186019dcfb6833cac05da55f399907791",
            ),
            (
                "/usr/bin/httpd",
                "00078aeeaca54b5d3c1237e964e9f956690b782e4ea160d81edc3c6b44e7f620",
            ),
        ],
        contains: ("/bin/busybox", "BusyBox v1.01"),
    }) else {
        return;
    };
    let Some(c) = corpus() else { return };
    let (r, _d) = run(&c.join("firmware/tplink-wr841nv10-3.16.9.bin"));
    let other = manifest(&entries(&r, 0x120200));
    let same = lines
        .iter()
        .filter(|l| l.split('\t').nth(1) == Some("file") && other.contains(l))
        .count();
    assert_eq!(same, 255);
}

#[test]
fn dlink_like_vendor_lzma_512k_blocks() {
    check_vendor(&Vendor {
        image: "dlink-like-rootfs.squashfs",
        offset: 0,
        description: "squashfs 4.0 LE, lzma (vendor 5-byte header), 1811 inodes, block 512 KiB",
        entries: 1810,
        kinds: (1476, 98, 160, 66, 10, 0),
        hashes: &[
            (
                "/bin/busybox",
                "ecf781e5e74379811c3cfebc5ddb54c32e41bb6bbf01dc0da3c1d769e823ee0e",
            ),
            (
                "/usr/sbin/dnsmasq",
                "978a9240d8ef1b83cf983a51a9a010dc4613017680b05c9fcf49cf729a3de49a",
            ),
            (
                "/lib/libcrypto.so.0.9.8",
                "451cecfd1d7975127b6bba3643a9ef23ea09d037fd4b95aae050680725b37960",
            ),
        ],
        contains: ("/usr/sbin/dnsmasq", "dnsmasq"),
    });
}

#[test]
fn broadcom_v2_big_endian_lzma_under_gzip_id() {
    check_vendor(&Vendor {
        image: "broadcom-adsl-rootfs.squashfs2",
        offset: 0,
        description: "squashfs 2.0 BE, lzma (vendor 5-byte header) under the gzip id, 431 inodes, block 64 KiB",
        entries: 430,
        kinds: (263, 28, 68, 34, 36, 1),
        hashes: &[
            (
                "/bin/busybox",
                "a891b4b65721232d12b384488e695f3f432d7ac24773c15d03bec75656c46b51",
            ),
            (
                "/etc/inetd.conf",
                "430cc243795c911cf7faed92c5ac53a9caa61785da7f0086567945099c7cffa1",
            ),
            (
                "/etc/rsa_host_key",
                "ab06062965dd4b334e4e075a197c03a4a0fd40a38556fa20e3d6bd36c741cc73",
            ),
            (
                "/lib/libcrypto.so.0.9.7",
                "f387d4792403c5c709a619f17be5d2b3520423f869bc4659d2e85a5e9af8c1cb",
            ),
        ],
        contains: ("/bin/busybox", "BusyBox"),
    });
}

/// A minimal squashfs 4.0 writer for hostile fixtures: everything is stored
/// uncompressed (the format's per-block flag), block size 4 KiB, one metadata block
/// per table, so every field can be set to a lie.
mod build {
    pub const BS: usize = 4096;

    pub struct Img {
        pub data: Vec<u8>,
        pub inodes: Vec<u8>,
        pub dirs: Vec<u8>,
        pub frags: Vec<(u64, u32)>,
        /// Fragment block being filled.
        pub frag_buf: Vec<u8>,
        pub count: u32,
        /// Overrides applied when finishing.
        pub frag_index_ptr: Option<u64>,
    }

    fn base(b: &mut Vec<u8>, t: u16, mode: u16, n: u32) {
        for v in [t, mode, 0, 0] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&0u32.to_le_bytes());
        b.extend_from_slice(&n.to_le_bytes());
    }

    impl Img {
        pub fn new() -> Self {
            Img {
                data: Vec::new(),
                inodes: Vec::new(),
                dirs: Vec::new(),
                frags: Vec::new(),
                frag_buf: Vec::new(),
                count: 0,
                frag_index_ptr: None,
            }
        }

        /// Reference the next inode written will have.
        pub fn next_ref(&self) -> u64 {
            self.inodes.len() as u64
        }

        fn head(&mut self, t: u16, mode: u16) -> u64 {
            let r = self.next_ref();
            self.count += 1;
            base(&mut self.inodes, t, mode, self.count);
            r
        }

        /// A regular file: full blocks stored (all-zero ones as sparse holes),
        /// the tail in the shared fragment block when `frag` is set.
        pub fn file(&mut self, content: &[u8], mode: u16, frag: bool) -> u64 {
            self.file_raw(content, mode, frag, None, None)
        }

        /// Same, with a lying size or fragment index when given.
        pub fn file_raw(
            &mut self,
            content: &[u8],
            mode: u16,
            frag: bool,
            size: Option<u32>,
            frag_idx: Option<u32>,
        ) -> u64 {
            let start = 96 + self.data.len() as u32;
            let full = if frag {
                content.len() / BS
            } else {
                content.len().div_ceil(BS)
            };
            let mut sizes = Vec::new();
            for i in 0..full {
                let blk = &content[i * BS..((i + 1) * BS).min(content.len())];
                if blk.iter().all(|&b| b == 0) {
                    sizes.push(0u32);
                } else {
                    self.data.extend_from_slice(blk);
                    sizes.push(blk.len() as u32 | 1 << 24);
                }
            }
            let tail = content.get(full * BS..).unwrap_or(&[]);
            let (fi, fo) = if frag && !tail.is_empty() {
                let off = self.frag_buf.len() as u32;
                self.frag_buf.extend_from_slice(tail);
                (0u32, off)
            } else {
                (u32::MAX, 0)
            };
            let r = self.head(2, mode);
            for v in [
                start,
                frag_idx.unwrap_or(fi),
                fo,
                size.unwrap_or(content.len() as u32),
            ] {
                self.inodes.extend_from_slice(&v.to_le_bytes());
            }
            for s in sizes {
                self.inodes.extend_from_slice(&s.to_le_bytes());
            }
            r
        }

        pub fn symlink(&mut self, target: &str) -> u64 {
            let r = self.head(3, 0o777);
            self.inodes.extend_from_slice(&1u32.to_le_bytes());
            self.inodes
                .extend_from_slice(&(target.len() as u32).to_le_bytes());
            self.inodes.extend_from_slice(target.as_bytes());
            r
        }

        pub fn chardev(&mut self, major: u32, minor: u32) -> u64 {
            let r = self.head(5, 0o620);
            self.inodes.extend_from_slice(&1u32.to_le_bytes());
            let rdev = (major << 8) | (minor & 0xff) | ((minor & !0xff) << 12);
            self.inodes.extend_from_slice(&rdev.to_le_bytes());
            r
        }

        pub fn fifo(&mut self) -> u64 {
            let r = self.head(6, 0o600);
            self.inodes.extend_from_slice(&1u32.to_le_bytes());
            r
        }

        /// A directory of (name, inode reference, entry type) entries.
        pub fn dir(&mut self, entries: &[(&str, u64, u16)], mode: u16) -> u64 {
            let off = self.dirs.len() as u16;
            let mut l = Vec::new();
            if !entries.is_empty() {
                for v in [entries.len() as u32 - 1, 0, 1] {
                    l.extend_from_slice(&v.to_le_bytes());
                }
                for (name, r, t) in entries {
                    l.extend_from_slice(&(*r as u16).to_le_bytes());
                    l.extend_from_slice(&0i16.to_le_bytes());
                    l.extend_from_slice(&t.to_le_bytes());
                    l.extend_from_slice(&(name.len() as u16 - 1).to_le_bytes());
                    l.extend_from_slice(name.as_bytes());
                }
            }
            self.dirs.extend_from_slice(&l);
            let r = self.head(1, mode);
            for v in [0u32, 2] {
                self.inodes.extend_from_slice(&v.to_le_bytes());
            }
            self.inodes
                .extend_from_slice(&(l.len() as u16 + 3).to_le_bytes());
            self.inodes.extend_from_slice(&off.to_le_bytes());
            self.inodes.extend_from_slice(&0u32.to_le_bytes());
            r
        }

        fn meta(out: &mut Vec<u8>, b: &[u8]) {
            assert!(b.len() <= 8192);
            out.extend_from_slice(&(0x8000u16 | b.len() as u16).to_le_bytes());
            out.extend_from_slice(b);
        }

        pub fn finish(mut self, root: u64) -> Vec<u8> {
            let mut out = vec![0u8; 96];
            out.extend_from_slice(&self.data);
            if !self.frag_buf.is_empty() {
                let at = out.len() as u64;
                out.extend_from_slice(&self.frag_buf);
                self.frags.push((at, self.frag_buf.len() as u32 | 1 << 24));
            }
            let inode_table = out.len() as u64;
            Self::meta(&mut out, &self.inodes);
            let dir_table = out.len() as u64;
            Self::meta(&mut out, &self.dirs);
            let frag_meta = out.len() as u64;
            let mut fe = Vec::new();
            for (s, z) in &self.frags {
                fe.extend_from_slice(&s.to_le_bytes());
                fe.extend_from_slice(&z.to_le_bytes());
                fe.extend_from_slice(&0u32.to_le_bytes());
            }
            Self::meta(&mut out, &fe);
            let frag_table = out.len() as u64;
            out.extend_from_slice(&self.frag_index_ptr.unwrap_or(frag_meta).to_le_bytes());
            let id_meta = out.len() as u64;
            Self::meta(&mut out, &0u32.to_le_bytes());
            let id_table = out.len() as u64;
            out.extend_from_slice(&id_meta.to_le_bytes());
            let used = out.len() as u64;
            let mut sb = Vec::new();
            sb.extend_from_slice(b"hsqs");
            for v in [self.count, 0, BS as u32, self.frags.len() as u32] {
                sb.extend_from_slice(&v.to_le_bytes());
            }
            for v in [1u16, 12, 0, 1, 4, 0] {
                sb.extend_from_slice(&v.to_le_bytes());
            }
            for v in [
                root,
                used,
                id_table,
                u64::MAX,
                inode_table,
                dir_table,
                frag_table,
                u64::MAX,
            ] {
                sb.extend_from_slice(&v.to_le_bytes());
            }
            out[..96].copy_from_slice(&sb);
            out.resize(out.len().div_ceil(4096) * 4096, 0);
            out
        }
    }
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn unpack_bytes(img: &[u8]) -> (Report, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("image.bin");
    std::fs::write(&p, img).unwrap();
    let r = unpack(&p, &dir.path().join("out"), &Limits::default(), None).unwrap();
    (r, dir)
}

fn no_panic(r: &Report, what: &str) {
    for e in &r.errors {
        assert!(!e.reason.contains("panicked"), "{what}: {e:?}");
    }
}

fn squashfs_errors(r: &Report) -> Vec<String> {
    r.errors
        .iter()
        .filter(|e| e.format == "squashfs")
        .map(|e| e.reason.clone())
        .collect()
}

/// A file of three blocks (the middle one a sparse hole) plus a fragment tail.
fn big_content() -> Vec<u8> {
    let mut v: Vec<u8> = (0..build::BS).map(|i| (i * 7 % 251) as u8).collect();
    v.extend(std::iter::repeat_n(0u8, build::BS));
    v.extend((0..build::BS + 100).map(|i| (i % 13) as u8 + b'a'));
    v
}

/// Every entry kind, hard links, sparse blocks, fragments and modes.
fn full_image() -> Vec<u8> {
    let mut b = build::Img::new();
    let big = big_content();
    let f_big = b.file(&big, 0o4755, true);
    let f_small = b.file(b"root:x:0:0::/root:/bin/sh\n", 0o600, true);
    let f_nofrag = b.file(&big[..build::BS + 10], 0o644, false);
    let f_empty = b.file(b"", 0o644, false);
    let link = b.symlink("../bin/busybox");
    let dev = b.chardev(5, 1);
    let wide = b.chardev(250, 300);
    let fifo = b.fifo();
    let sub = b.dir(
        &[
            ("busybox", f_big, 2),
            ("sh", f_big, 2),
            ("tail", f_nofrag, 2),
        ],
        0o755,
    );
    let devd = b.dir(
        &[("console", dev, 5), ("wide", wide, 5), ("pipe", fifo, 6)],
        0o755,
    );
    let root = b.dir(
        &[
            ("bin", sub, 1),
            ("dev", devd, 1),
            ("empty", f_empty, 2),
            ("init", link, 3),
            ("passwd", f_small, 2),
        ],
        0o755,
    );
    b.finish(root)
}

#[test]
fn built_image_every_entry_kind() {
    let img = full_image();
    let (r, d) = unpack_bytes(&img);
    no_panic(&r, "full image");
    assert!(squashfs_errors(&r).is_empty(), "{:#?}", r.errors);
    let h = hit(&r, 0);
    assert_eq!(h.length, Some(img.len() as u64));
    assert!(
        h.description.starts_with("squashfs 4.0 LE, "),
        "{}",
        h.description
    );
    let recs = entries(&r, 0);
    let lines = manifest(&recs);
    let big = big_content();
    let want = vec![
        "/bin\tdir\t755\t".to_string(),
        format!("/bin/busybox\tfile\t4755\t{}", sha(&big)),
        format!("/bin/sh\tfile\t4755\t{}", sha(&big)),
        format!("/bin/tail\tfile\t644\t{}", sha(&big[..build::BS + 10])),
        "/dev\tdir\t755\t".to_string(),
        "/dev/console\tchardev\t620\t5,1".to_string(),
        "/dev/pipe\tfifo\t600\t".to_string(),
        "/dev/wide\tchardev\t620\t250,300".to_string(),
        format!("/empty\tfile\t644\t{}", sha(b"")),
        "/init\tsymlink\t777\t../bin/busybox".to_string(),
        format!(
            "/passwd\tfile\t600\t{}",
            sha(b"root:x:0:0::/root:/bin/sh\n")
        ),
    ];
    assert_eq!(lines, want);
    // The second name of the same inode is a hard link on disk.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let dir = d.path().join("out").join(h.extracted_to.as_ref().unwrap());
        let a = std::fs::metadata(dir.join("bin/busybox")).unwrap();
        let b = std::fs::metadata(dir.join("bin/sh")).unwrap();
        assert_eq!(a.ino(), b.ino());
        assert_eq!(std::fs::read(dir.join("bin/busybox")).unwrap(), big);
    }
}

#[test]
fn directory_loop_is_cut() {
    let mut b = build::Img::new();
    let f = b.file(b"hello", 0o644, true);
    // `sub/again` names the root directory, which is written right after `sub`.
    let root_ref_guess = {
        let mut probe = build::Img::new();
        probe.inodes = b.inodes.clone();
        probe.dirs = b.dirs.clone();
        probe.count = b.count;
        let _ = probe.dir(&[("again", 0, 1), ("f", f, 2)], 0o755);
        probe.next_ref()
    };
    let sub = b.dir(&[("again", root_ref_guess, 1), ("f", f, 2)], 0o755);
    let root = b.dir(&[("f", f, 2), ("sub", sub, 1)], 0o755);
    assert_eq!(root, root_ref_guess);
    let (r, _d) = unpack_bytes(&b.finish(root));
    no_panic(&r, "loop");
    let errs = squashfs_errors(&r);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].contains("seen before (a loop)"), "{errs:#?}");
    let lines = manifest(&entries(&r, 0));
    assert_eq!(lines.len(), 3, "{lines:#?}");
}

#[test]
fn lying_sizes_and_indices_fail_with_offsets() {
    // A file claiming 3 GiB with one real block: its block list runs into the next
    // inode and off the end of the table.
    let mut b = build::Img::new();
    let liar = b.file_raw(&[1u8; 100], 0o644, false, Some(3 << 30), None);
    let badfrag = b.file_raw(b"tail", 0o644, true, None, Some(7));
    let good = b.file(b"still here", 0o644, true);
    let root = b.dir(
        &[
            ("badfrag", badfrag, 2),
            ("good", good, 2),
            ("liar", liar, 2),
        ],
        0o755,
    );
    let (r, _d) = unpack_bytes(&b.finish(root));
    no_panic(&r, "liar");
    let errs = squashfs_errors(&r);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].contains("2 entries failed"), "{errs:#?}");
    assert!(
        errs[0].contains("fragment index 7 is out of range (1 fragments)"),
        "{errs:#?}"
    );
    let recs = entries(&r, 0);
    let good = recs.iter().find(|f| f.fs_path == "/good").unwrap();
    assert_eq!(good.sha256.as_deref(), Some(sha(b"still here").as_str()));
    let liar = recs.iter().find(|f| f.fs_path == "/liar").unwrap();
    assert!(liar.size < 1 << 20, "{}", liar.size);

    // A fragment table whose index points outside the image.
    let mut b = build::Img::new();
    let f = b.file(b"x", 0o644, true);
    let root = b.dir(&[("f", f, 2)], 0o755);
    b.frag_index_ptr = Some(0xffff_ff00);
    let (r, _d) = unpack_bytes(&b.finish(root));
    no_panic(&r, "fragment index");
    let errs = squashfs_errors(&r);
    assert!(
        errs.len() == 1 && errs[0].contains("metadata block at 0xffffff00"),
        "{errs:#?}"
    );
}

/// Little-endian superblock facts of versions 2 to 4: (major, start of the
/// metadata tables, bytes used); major 0 for other images.
fn layout(img: &[u8]) -> (u16, usize, usize) {
    let u = |o: usize, n: usize| {
        let mut b = [0u8; 8];
        b[..n].copy_from_slice(&img[o..o + n]);
        u64::from_le_bytes(b) as usize
    };
    let major = u(28, 2) as u16;
    match major {
        4 => (4, u(64, 8), u(40, 8)),
        3 => (3, u(87, 8), u(63, 8)),
        2 => (2, u(20, 4), u(8, 4)),
        // Big-endian: treat the first 512 bytes as tables.
        _ => (0, 96, img.len().min(512)),
    }
}

/// Cuts `img` at `len` and, when `patch`, makes the superblock's size agree with
/// the cut so that the extractor (not only the probe) meets the damage.
fn cut(img: &[u8], len: usize, patch: bool) -> Vec<u8> {
    let mut v = img[..len].to_vec();
    if patch && len >= 96 {
        match layout(img).0 {
            4 => v[40..48].copy_from_slice(&(len as u64).to_le_bytes()),
            3 => v[63..71].copy_from_slice(&(len as u64).to_le_bytes()),
            _ => v[8..12].copy_from_slice(&(len as u32).to_le_bytes()),
        }
    }
    v
}

/// Cut points: a stride through the data, then (nearly) every byte of the tables,
/// where a cut changes what the reader sees.
fn cut_points(img: &[u8], data_stride: usize, table_stride: usize) -> Vec<usize> {
    let (_, tables, used) = layout(img);
    (1..tables)
        .step_by(data_stride)
        .chain((tables.saturating_sub(8)..=used.min(img.len() - 1)).step_by(table_stride))
        .collect()
}

#[test]
fn truncation_never_panics() {
    let mut images = vec![("built".to_string(), full_image(), 1)];
    if let Some(c) = corpus() {
        for (name, stride) in [
            ("dissect-squashfs_lzo.sqfs", 3),
            ("squashFS__zlib_le.sqfs3", 1),
            ("squashFS__lzma_le.sqfs2", 1),
        ] {
            let img = std::fs::read(c.join("formats").join(name)).unwrap();
            images.push((name.to_string(), img, stride));
        }
    }
    for (name, img, stride) in images {
        for len in cut_points(&img, 251, stride) {
            let (r, _d) = unpack_bytes(&cut(&img, len, true));
            no_panic(&r, &format!("{name} cut at {len}"));
        }
        for len in (1..img.len()).step_by(509) {
            let (r, _d) = unpack_bytes(&cut(&img, len, false));
            no_panic(&r, &format!("{name} cut at {len}, size unpatched"));
        }
    }
}

#[test]
fn bit_flips_never_panic() {
    let mut images = vec![("built".to_string(), full_image(), 1)];
    if let Some(c) = corpus() {
        for (name, stride) in [
            ("dissect-squashfs_gzip.sqfs", 5),
            ("squashFS__lzma1_be.sqfs3", 1),
            ("squashFS__lzma_le.sqfs2", 1),
        ] {
            let img = std::fs::read(c.join("formats").join(name)).unwrap();
            images.push((name.to_string(), img, stride));
        }
    }
    for (name, img, stride) in images {
        // The superblock, then the tables (the BE fixture: everything).
        let (_, tables, used) = layout(&img);
        let used = used.min(img.len());
        let positions = (0..96).chain((tables.min(used)..used).step_by(stride));
        for pos in positions {
            let mut v = img.clone();
            v[pos] ^= 1 << (pos % 8);
            let (r, _d) = unpack_bytes(&v);
            no_panic(&r, &format!("{name} with byte {pos} flipped"));
        }
    }
}
