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
