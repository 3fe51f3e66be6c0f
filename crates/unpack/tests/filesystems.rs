//! The flash and read-only file system extractors (cramfs, jffs2, yaffs2, UBI/UBIFS,
//! romfs, ext2/3/4) on real fixtures from the shared corpus, plus hostile variants.
//!
//! Expected contents were established independently of this crate: by decompressing
//! the fixtures' blocks with Python's zlib and hashing the byte ranges the on-disk
//! structures point to, and for ext by building the image with `mke2fs -d`.

use std::path::{Path, PathBuf};

use baseliner_unpack::{EntryKind, FileRecord, Limits, Report, unpack};

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/formats"
);

const TESTFILE1: &str = "d558c9339cb967341d701e3184f863d3928973fccdc1d96042583730b5c7b76a";
const TESTFILE2: &str = "faa11db49f32a90b51dfc3f0254f9fd7a7b46d0b570abd47e1943b86d554447a";
const TESTFILE3: &str = "289b5a050a83837f192d7129e4c4e02570b94b4924e50159fad5ed1067cfbfeb";
const LSB_RELEASE: &str = "6dc8ba4242e0e699e3360b84e38ccecfc4dcedaa4701c8ebee3836decd815654";

fn fixture(name: &str) -> Option<PathBuf> {
    let p = Path::new(CORPUS).join(name);
    if p.is_file() {
        Some(p)
    } else {
        baseliner_testkit::skip(format!(
            "corpus fixture {} is absent (the shared corpus is not checked out)",
            p.display()
        ))
    }
}

fn run(image: &Path) -> (tempfile::TempDir, Report) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let report = unpack(image, &out, &Limits::default(), None).unwrap();
    (tmp, report)
}

/// Unpacks a corpus fixture, or `None` (with a message) when the corpus is absent.
fn run_fixture(name: &str) -> Option<(tempfile::TempDir, Report)> {
    fixture(name).map(|p| run(&p))
}

/// The record whose path inside its file system is `fs_path`, extracted by `format`.
fn rec<'a>(r: &'a Report, format: &str, fs_path: &str) -> &'a FileRecord {
    r.files
        .iter()
        .find(|f| f.fs_path == fs_path && f.provenance.contains(&format!(":{format}:")))
        .unwrap_or_else(|| {
            let all: Vec<_> = r.files.iter().map(|f| &f.provenance).collect();
            panic!("{fs_path} not extracted by {format}; have {all:#?}")
        })
}

fn assert_file(r: &Report, format: &str, fs_path: &str, size: u64, sha: &str) {
    let f = rec(r, format, fs_path);
    assert_eq!(f.kind, EntryKind::File, "{fs_path}");
    assert_eq!(f.size, size, "{fs_path}");
    assert_eq!(f.sha256.as_deref(), Some(sha), "{fs_path}");
    let disk = r.output_dir.join(&f.path);
    assert_eq!(
        std::fs::metadata(&disk).unwrap().len(),
        size,
        "{fs_path} on disk"
    );
}

fn hit<'a>(r: &'a Report, format: &str) -> &'a baseliner_unpack::FormatHit {
    r.formats
        .iter()
        .find(|h| h.format == format)
        .unwrap_or_else(|| panic!("no {format} found; formats {:#?}", r.formats))
}

/// The three "test file" payloads most corpus file system fixtures carry.
fn assert_generic_fs(r: &Report, format: &str) {
    assert_file(r, format, "/testfile1", 62, TESTFILE1);
    assert_file(r, format, "/testfile2", 28, TESTFILE2);
    assert_file(r, format, "/generic folder/test file 3_.txt", 20, TESTFILE3);
    assert_eq!(rec(r, format, "/generic folder").kind, EntryKind::Dir);
}

fn mode_of(r: &Report, format: &str, fs_path: &str) -> u32 {
    rec(r, format, fs_path).mode
}

/// Feeds every prefix of `data` and a series of bit flips to `unpack`: it must
/// return (an error is fine) without panicking or hanging.
fn hostile(data: &[u8], step: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let limits = Limits {
        max_total_bytes: 64 << 20,
        ..Limits::default()
    };
    let mut n = 0;
    let mut check = |bytes: &[u8]| {
        n += 1;
        let img = tmp.path().join(format!("img{n}"));
        std::fs::write(&img, bytes).unwrap();
        let out = tmp.path().join(format!("out{n}"));
        let r = unpack(&img, &out, &limits, None).unwrap();
        assert!(
            !r.errors.iter().any(|e| e.reason.contains("panicked")),
            "panic on variant {n}: {:?}",
            r.errors
        );
        let _ = std::fs::remove_dir_all(&out);
        let _ = std::fs::remove_file(&img);
    };
    for cut in (0..data.len()).step_by(step.max(1)) {
        check(&data[..cut]);
    }
    let mut flipped = data.to_vec();
    for i in (0..data.len()).step_by((data.len() / 97).max(1)) {
        flipped[i] ^= 0x5a;
        check(&flipped);
    }
}

// ---------------------------------------------------------------- romfs

#[test]
fn romfs_generic_fixture() {
    let Some((_t, r)) = run_fixture("generic_fs__romfs.img") else {
        return;
    };
    assert_generic_fs(&r, "romfs");
    let h = hit(&r, "romfs");
    assert_eq!(h.offset, 0);
    assert_eq!(h.length, Some(0x1b0));
    assert!(h.description.contains("rom 56f292f7"), "{}", h.description);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn romfs_binwalk_fixture() {
    let Some((_t, r)) = run_fixture("binwalk-romfs.bin") else {
        return;
    };
    assert_file(&r, "romfs", "/lsb-release", 104, LSB_RELEASE);
}

#[test]
fn romfs_hostile() {
    let Some(p) = fixture("generic_fs__romfs.img") else {
        return;
    };
    hostile(&std::fs::read(p).unwrap()[..0x1b0], 1);
}

// ---------------------------------------------------------------- cramfs

#[test]
fn cramfs_sevenz_fixture() {
    let Some((_t, r)) = run_fixture("sevenz__cramfs.img") else {
        return;
    };
    assert_generic_fs(&r, "cramfs");
    assert_eq!(mode_of(&r, "cramfs", "/testfile1"), 0o100664);
    assert_eq!(mode_of(&r, "cramfs", "/generic folder"), 0o40775);
    let h = hit(&r, "cramfs");
    assert_eq!(h.length, Some(4096));
    assert!(h.description.contains("LE"), "{}", h.description);
    assert!(h.description.contains("CRC ok"), "{}", h.description);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn cramfs_binwalk_fixture() {
    let Some((_t, r)) = run_fixture("binwalk-cramfs.bin") else {
        return;
    };
    assert_file(&r, "cramfs", "/lsb-release", 104, LSB_RELEASE);
}

#[test]
fn cramfs_hostile() {
    let Some(p) = fixture("sevenz__cramfs.img") else {
        return;
    };
    let d = std::fs::read(p).unwrap();
    hostile(&d[..0x150], 1);
}

// ---------------------------------------------------------------- jffs2

#[test]
fn jffs2_big_endian_fixture() {
    let Some((_t, r)) = run_fixture("jffs2__jffs2_be.img") else {
        return;
    };
    assert_generic_fs(&r, "jffs2");
    assert_eq!(mode_of(&r, "jffs2", "/testfile1"), 0o100664);
    let h = hit(&r, "jffs2");
    assert!(h.description.starts_with("jffs2 BE"), "{}", h.description);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn jffs2_little_endian_fixture() {
    let Some((_t, r)) = run_fixture("jffs2__jffs2_le.img") else {
        return;
    };
    assert_generic_fs(&r, "jffs2");
    assert!(hit(&r, "jffs2").description.starts_with("jffs2 LE"));
}

#[test]
fn jffs2_gzip_wrapped_dissect_fixture() {
    let Some((_t, r)) = run_fixture("dissect-jffs2.bin.gz") else {
        return;
    };
    assert_file(
        &r,
        "jffs2",
        "/test.txt",
        9,
        "bfe5ed57e6e323555b379c660aa8d35b70c2f8f07cf03ad6747266495ac13be0",
    );
    let l = rec(&r, "jffs2", "/foo/bar/link.txt");
    assert_eq!(l.kind, EntryKind::Symlink);
    assert_eq!(l.link_target.as_deref(), Some("/test.txt"));
}

#[test]
fn jffs2_gzip_wrapped_zlib_fixture() {
    let Some((_t, r)) = run_fixture("dissect-jffs2.zlib.bin.gz") else {
        return;
    };
    // A 103,911-byte PNG spread over many zlib and uncompressed data nodes.
    assert_file(
        &r,
        "jffs2",
        "/fox-banner.png",
        103_911,
        "d5282cfca5aaa91c06773b089a814fcf41ad979c6a9723f839a7ae185eb5076a",
    );
    assert_file(
        &r,
        "jffs2",
        "/folder/file.txt",
        6,
        "a1df3872b9426bc5c0762f4bac6ad6cd8a2c79ea05847da9fa12e0da71907a49",
    );
    assert_file(
        &r,
        "jffs2",
        "/readme.md",
        126,
        "9e9706ee38a6eb8b4177ec70b4f46b090e12d581828a73b2c648d295f5aea057",
    );
    assert_eq!(
        rec(&r, "jffs2", "/link.txt").link_target.as_deref(),
        Some("tests/data/disk/folder/file.txt")
    );
}

#[test]
fn jffs2_hostile() {
    let Some(p) = fixture("jffs2__jffs2_be.img") else {
        return;
    };
    let d = std::fs::read(p).unwrap();
    hostile(&d[..0x264], 1);
}

// ---------------------------------------------------------------- yaffs2

#[test]
fn yaffs2_big_endian_fixture() {
    let Some((_t, r)) = run_fixture("yaffs__yaffs2_be.img") else {
        return;
    };
    assert_generic_fs(&r, "yaffs2");
    assert_eq!(mode_of(&r, "yaffs2", "/testfile1"), 0o100644);
    let h = hit(&r, "yaffs2");
    assert!(
        h.description
            .starts_with("yaffs2 BE, page 2048 + spare 64 (tags at 2), 4 objects"),
        "{}",
        h.description
    );
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn yaffs2_little_endian_fixture() {
    let Some((_t, r)) = run_fixture("yaffs__yaffs2_le.img") else {
        return;
    };
    assert_generic_fs(&r, "yaffs2");
    assert!(hit(&r, "yaffs2").description.starts_with("yaffs2 LE"));
}

#[test]
fn yaffs2_binwalk_fixture() {
    let Some((_t, r)) = run_fixture("binwalk-yaffs2.bin") else {
        return;
    };
    // The yaffs2 sources themselves, 13 files over many 2048-byte chunks.
    let expect = [
        (
            "/yutilsenv.h",
            844,
            "d17b77b186792ba473247dce5f2de9916b70f79667a4b77ded186a4425296b52",
        ),
        (
            "/mkyaffs2image.c",
            15107,
            "bbb126ff5a49762055a6310186c9c5dd22534198fbd8ed77f6d768983af491a3",
        ),
        (
            "/yaffs_guts.h",
            27266,
            "4e2568ade2817ec84dfbfa6ff199093c5f72569d0cad8d66dedcdd59091d08d6",
        ),
        (
            "/yaffs_ecc.c",
            7143,
            "6ccece2209c40c37fa28059f028a6b281cea356ba469d0269f454514231b62a5",
        ),
        (
            "/yportenv.h",
            4903,
            "cf9b21c9374b765524ac9c3f84f7a29690676cccf4d2138c2bcce66135f6b084",
        ),
    ];
    for (p, size, sha) in expect {
        assert_file(&r, "yaffs2", p, size, sha);
    }
    let n = r
        .files
        .iter()
        .filter(|f| f.provenance.contains(":yaffs2:") && !f.provenance.contains(".extract"))
        .count();
    assert_eq!(n, 13);
    assert!(hit(&r, "yaffs2").description.contains("(tags at 0)"));
}

#[test]
fn yaffs2_hostile() {
    let Some(p) = fixture("yaffs__yaffs2_be.img") else {
        return;
    };
    let d = std::fs::read(p).unwrap();
    hostile(&d, 37);
}

// ---------------------------------------------------------------- ext2/3/4

/// A source tree for `mke2fs -d`, with (path, contents) of its regular files.
fn ext_source(root: &Path) -> Vec<(&'static str, Vec<u8>)> {
    use std::os::unix::fs::PermissionsExt;
    let big: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let files = vec![
        ("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n".to_vec()),
        ("usr/lib/deep/blob.bin", big),
        ("empty", Vec::new()),
    ];
    for (p, c) in &files {
        let full = root.join(p);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, c).unwrap();
    }
    std::fs::set_permissions(
        root.join("etc/passwd"),
        std::fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
    std::os::unix::fs::symlink("../etc/passwd", root.join("usr/link")).unwrap();
    files
}

/// Builds an ext image with Debian's `mke2fs -d`, or `None` when the tool is absent.
fn mke2fs(dir: &Path, src: &Path, kind: &str, opts: &[&str], blocks: &str) -> Option<PathBuf> {
    let img = dir.join(format!("{kind}.img"));
    let status = std::process::Command::new("mke2fs")
        .args(["-q", "-F", "-t", kind, "-b", "1024", "-L", "testlabel"])
        .args(opts)
        .arg("-d")
        .arg(src)
        .arg(&img)
        .arg(blocks)
        .env("E2FSPROGS_FAKE_TIME", "1700000000")
        .stdout(std::process::Stdio::null())
        .status();
    match status {
        Ok(s) if s.success() => Some(img),
        Ok(s) => panic!("mke2fs failed: {s}"),
        Err(e) => baseliner_testkit::skip(format!(
            "mke2fs is not available ({e}); install e2fsprogs to run the ext tests"
        )),
    }
}

fn sha_hex(d: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(d))
}

#[test]
fn ext2_ext3_ext4_built_by_mke2fs() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let files = ext_source(&src);
    for (kind, opts, blocks) in [
        ("ext2", &[][..], "1024"),
        ("ext3", &[][..], "4096"),
        ("ext4", &[][..], "4096"),
        ("ext4", &["-O", "^has_journal,^metadata_csum"][..], "2048"),
    ] {
        let Some(img) = mke2fs(tmp.path(), &src, kind, opts, blocks) else {
            return;
        };
        let (_out, r) = run(&img);
        let h = hit(&r, "ext");
        assert!(h.description.starts_with(kind), "{kind}: {}", h.description);
        assert!(
            h.description.contains("label \"testlabel\""),
            "{}",
            h.description
        );
        assert_eq!(h.length, Some(blocks.parse::<u64>().unwrap() * 1024));
        for (p, c) in &files {
            assert_file(&r, "ext", &format!("/{p}"), c.len() as u64, &sha_hex(c));
        }
        assert_eq!(
            mode_of(&r, "ext", "/etc/passwd"),
            0o104755,
            "{kind}: setuid kept"
        );
        let l = rec(&r, "ext", "/usr/link");
        assert_eq!(l.kind, EntryKind::Symlink);
        assert_eq!(l.link_target.as_deref(), Some("../etc/passwd"));
        assert_eq!(rec(&r, "ext", "/usr/lib/deep").kind, EntryKind::Dir);
        assert!(r.errors.is_empty(), "{kind}: {:?}", r.errors);
        std::fs::remove_file(&img).unwrap();
    }
}

#[test]
fn ext_hostile() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("a"), b"hello").unwrap();
    std::fs::create_dir(src.join("d")).unwrap();
    std::fs::write(src.join("d/b"), vec![7u8; 3000]).unwrap();
    let Some(img) = mke2fs(tmp.path(), &src, "ext2", &[], "128") else {
        return;
    };
    let d = std::fs::read(img).unwrap();
    hostile(&d, 1021);
}

// ---------------------------------------------------------------- UBI / UBIFS

#[test]
fn ubifs_bare_fixture() {
    let Some((_t, r)) = run_fixture("ubi__test.ubifs") else {
        return;
    };
    assert_generic_fs(&r, "ubi");
    assert_eq!(mode_of(&r, "ubi", "/testfile1"), 0o100644);
    assert_eq!(mode_of(&r, "ubi", "/generic folder"), 0o40755);
    let h = hit(&r, "ubi");
    assert_eq!(
        h.description,
        "ubifs format 4, LEB 131072 bytes x 13, min I/O 512, default compressor lzo"
    );
    assert_eq!(h.length, Some(13 * 131072));
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn ubi_image_fixture() {
    let Some((_t, r)) = run_fixture("ubi__ubi.img") else {
        return;
    };
    let h = hit(&r, "ubi");
    assert_eq!(h.offset, 0);
    assert_eq!(
        h.description,
        "UBI v1, PEB 1024 bytes, LEB 896 bytes, 1904 PEBs, image seq 778639563, volumes: rootfs (static, 1902 LEBs)"
    );
    // The static volume holds a UBIFS image byte for byte the same as ubi__test.ubifs.
    let vol = rec(&r, "ubi", "/rootfs.ubivol");
    assert_eq!(vol.size, 1_703_936);
    if let Some(p) = fixture("ubi__test.ubifs") {
        assert_eq!(
            vol.sha256.as_deref(),
            Some(sha_hex(&std::fs::read(p).unwrap()).as_str())
        );
    }
    // ...which recursion extracts.
    assert_generic_fs(&r, "ubi");
    assert!(r.errors.is_empty(), "{:?}", r.errors);
}

#[test]
fn ubi_hostile() {
    let Some(p) = fixture("ubi__ubi.img") else {
        return;
    };
    let d = std::fs::read(p).unwrap();
    // The layout volume, the first volume blocks and the superblock of the UBIFS inside.
    hostile(&d[..40 * 1024], 97);
}

#[test]
fn ubifs_hostile() {
    let Some(p) = fixture("ubi__test.ubifs") else {
        return;
    };
    let d = std::fs::read(p).unwrap();
    hostile(&d, 65_536 + 13);
}

// ------------------------------------------- images built by the reference tools

/// A source tree with every entry kind, for the Debian tools that build images.
struct Tree {
    dir: PathBuf,
    /// (path, contents, mode) of the regular files.
    files: Vec<(&'static str, Vec<u8>, u32)>,
    /// Whether `mknod`/`mkfifo` worked (they need privileges).
    has_dev: bool,
}

fn source_tree(root: &Path) -> Tree {
    use std::os::unix::fs::PermissionsExt;
    let dir = root.join("src");
    // Pseudo-random bytes defeat every compressor (stored raw); text compresses well.
    let mut x = 0x1234_5678u32;
    let random: Vec<u8> = (0..70_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let text: Vec<u8> = (0..6000)
        .flat_map(|i| format!("line {i} of compressible text\n").into_bytes())
        .collect();
    let files = vec![
        (
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/sh\n".to_vec(),
            0o104755,
        ),
        ("usr/lib/random.bin", random, 0o100644),
        ("usr/lib/text.txt", text, 0o100600),
        ("empty", Vec::new(), 0o100644),
    ];
    for (p, c, mode) in &files {
        let full = dir.join(p);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, c).unwrap();
        std::fs::set_permissions(&full, std::fs::Permissions::from_mode(mode & 0o7777)).unwrap();
    }
    std::os::unix::fs::symlink("../etc/passwd", dir.join("usr/link")).unwrap();
    // A hard link: formats with inode numbers must give both names the same data.
    std::fs::hard_link(dir.join("usr/lib/text.txt"), dir.join("text-hardlink.txt")).unwrap();
    let mut files = files;
    files.push(("text-hardlink.txt", files[2].1.clone(), files[2].2));
    // A sparse file: 40,000 bytes of which only the last 4 were written.
    {
        use std::io::{Seek, SeekFrom, Write};
        let mut f = std::fs::File::create(dir.join("sparse.bin")).unwrap();
        f.seek(SeekFrom::Start(39_996)).unwrap();
        f.write_all(b"tail").unwrap();
        let mut c = vec![0u8; 39_996];
        c.extend_from_slice(b"tail");
        files.push(("sparse.bin", c, 0o100644));
    }
    std::fs::create_dir_all(dir.join("dev")).unwrap();
    let ok = |cmd: &str, args: &[&str]| {
        std::process::Command::new(cmd)
            .args(args)
            .current_dir(&dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let has_dev = ok("mknod", &["dev/console", "c", "5", "1"]) && ok("mkfifo", &["dev/fifo"]);
    Tree {
        dir,
        files,
        has_dev,
    }
}

/// Runs a Debian image builder; `None` (with a message) when it is not installed.
fn tool(cmd: &str, args: &[&str], cwd: &Path) -> Option<()> {
    match std::process::Command::new(cmd)
        .args(args)
        .current_dir(cwd)
        .stdout(std::process::Stdio::null())
        .status()
    {
        Ok(s) if s.success() => Some(()),
        Ok(s) => panic!("{cmd} {args:?} failed: {s}"),
        Err(e) => baseliner_testkit::skip(format!(
            "{cmd} is not available ({e}); install it to run this test"
        )),
    }
}

/// Every entry of `tree` came out of `format` below `prefix`, with its contents,
/// and (where the format keeps them) its mode and device number.
fn assert_tree(r: &Report, format: &str, prefix: &str, tree: &Tree, modes: bool, rdev: bool) {
    for (p, c, mode) in &tree.files {
        let fp = format!("{prefix}/{p}");
        assert_file(r, format, &fp, c.len() as u64, &sha_hex(c));
        if modes {
            assert_eq!(rec(r, format, &fp).mode, *mode, "{format}: mode of {fp}");
        }
    }
    let l = rec(r, format, &format!("{prefix}/usr/link"));
    assert_eq!(l.kind, EntryKind::Symlink, "{format}");
    assert_eq!(l.link_target.as_deref(), Some("../etc/passwd"), "{format}");
    if tree.has_dev {
        let c = rec(r, format, &format!("{prefix}/dev/console"));
        assert_eq!(c.kind, EntryKind::Chardev, "{format}");
        if rdev {
            assert_eq!(c.device, Some((5, 1)), "{format}");
        }
        assert_eq!(
            rec(r, format, &format!("{prefix}/dev/fifo")).kind,
            EntryKind::Fifo
        );
    }
    assert!(r.errors.is_empty(), "{format}: {:?}", r.errors);
}

#[test]
fn cramfs_built_by_mkfs_cramfs_both_endians() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = source_tree(tmp.path());
    for (endian, tag) in [("big", "BE"), ("little", "LE")] {
        let img = tmp.path().join(format!("{endian}.cramfs"));
        let src = tree.dir.to_str().unwrap();
        if tool(
            "mkfs.cramfs",
            &["-N", endian, src, img.to_str().unwrap()],
            tmp.path(),
        )
        .is_none()
        {
            return;
        }
        let (_o, r) = run(&img);
        assert!(
            hit(&r, "cramfs")
                .description
                .contains(&format!(" {tag}, zlib, 4096-byte blocks"))
        );
        assert_tree(&r, "cramfs", "", &tree, true, true);
    }
    // 16 KiB blocks (the block size is not recorded: it is inferred from the block
    // tables), and the 512-byte boot pad that `-p` puts before the superblock.
    let src = tree.dir.to_str().unwrap();
    for (opts, expect, offset) in [
        (&["-b", "16384"][..], "16384-byte blocks", 0),
        (&["-p"][..], "after a 512-byte boot pad", 512),
        (&["-z"][..], "4096-byte blocks", 0),
    ] {
        let mut args = opts.to_vec();
        args.extend([src, "odd.cramfs"]);
        tool("mkfs.cramfs", &args, tmp.path()).unwrap();
        let img = tmp.path().join("odd.cramfs");
        let (_o, r) = run(&img);
        let h = hit(&r, "cramfs");
        assert!(h.description.contains(expect), "{}", h.description);
        assert!(h.description.contains("CRC ok"), "{}", h.description);
        assert_eq!(h.offset, offset);
        assert_eq!(
            h.offset + h.length.unwrap(),
            std::fs::metadata(&img).unwrap().len()
        );
        assert_tree(&r, "cramfs", "", &tree, true, true);
        std::fs::remove_file(&img).unwrap();
    }
}

#[test]
fn jffs2_built_by_mkfs_jffs2_each_compressor() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = source_tree(tmp.path());
    let src = tree.dir.to_str().unwrap().to_string();
    for (name, opts, expect) in [
        ("be-zlib", &["-b", "-x", "rtime"][..], "jffs2 BE"),
        (
            "le-lzo",
            &["-l", "-X", "lzo", "-x", "zlib", "-x", "rtime"][..],
            "lzo",
        ),
        ("le-rtime", &["-l", "-x", "zlib"][..], "rtime"),
        ("le-zlib-rtime", &["-l"][..], "zlib"),
    ] {
        let img = tmp.path().join(format!("{name}.jffs2"));
        let mut args = vec!["-r", &src, "-o", img.to_str().unwrap(), "-e", "16KiB"];
        args.extend_from_slice(opts);
        if tool("mkfs.jffs2", &args, tmp.path()).is_none() {
            return;
        }
        let (_o, r) = run(&img);
        let h = hit(&r, "jffs2");
        assert!(h.description.contains(expect), "{name}: {}", h.description);
        assert_eq!(
            h.length,
            Some(std::fs::metadata(&img).unwrap().len()),
            "{name}"
        );
        assert_tree(&r, "jffs2", "", &tree, true, true);
    }
}

#[test]
fn ubifs_built_by_mkfs_ubifs_each_compressor_and_ubinize() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = source_tree(tmp.path());
    let src = tree.dir.to_str().unwrap().to_string();
    for c in ["none", "lzo", "zlib", "zstd"] {
        let img = format!("{c}.ubifs");
        let args = [
            "-r", &src, "-m", "2048", "-e", "126976", "-c", "64", "-x", c, "-o", &img,
        ];
        if tool("mkfs.ubifs", &args, tmp.path()).is_none() {
            return;
        }
        let (_o, r) = run(&tmp.path().join(&img));
        assert!(
            hit(&r, "ubi")
                .description
                .contains(&format!("default compressor {c}")),
            "{:?}",
            r.formats
        );
        assert_tree(&r, "ubi", "", &tree, true, true);
    }
    // A UBI image with a dynamic UBIFS volume (extracted in place, through the LEB
    // map) and a static volume holding a cramfs (written out, then recursed into).
    if tool("mkfs.cramfs", &[&src, "blob.cramfs"], tmp.path()).is_none() {
        return;
    }
    std::fs::write(
        tmp.path().join("ubi.ini"),
        "[rootfs]\nmode=ubi\nimage=zstd.ubifs\nvol_id=0\nvol_type=dynamic\nvol_name=rootfs\n\
         [blob]\nmode=ubi\nimage=blob.cramfs\nvol_id=1\nvol_type=static\nvol_name=blob\n",
    )
    .unwrap();
    let args = ["-o", "ubi.img", "-m", "2048", "-p", "128KiB", "ubi.ini"];
    if tool("ubinize", &args, tmp.path()).is_none() {
        return;
    }
    let (_o, r) = run(&tmp.path().join("ubi.img"));
    let h = hit(&r, "ubi");
    assert!(
        h.description
            .starts_with("UBI v1, PEB 131072 bytes, LEB 126976 bytes"),
        "{}",
        h.description
    );
    assert!(
        h.description.contains("rootfs (dynamic"),
        "{}",
        h.description
    );
    assert!(h.description.contains("blob (static"), "{}", h.description);
    assert_tree(&r, "ubi", "/rootfs", &tree, true, true);
    let blob = std::fs::read(tmp.path().join("blob.cramfs")).unwrap();
    assert_eq!(
        rec(&r, "ubi", "/blob.ubivol").sha256.as_deref(),
        Some(sha_hex(&blob).as_str())
    );
    assert_tree(&r, "cramfs", "", &tree, true, true);

    // The same image as a worn NAND dump: a bad block (not UBI at all) among the PEBs
    // and a PEB whose erase-counter header no longer checks out but whose VID header
    // does. Both are stepped over; nothing is lost.
    const PEB: usize = 128 * 1024;
    let clean = std::fs::read(tmp.path().join("ubi.img")).unwrap();
    let mut worn = clean[..3 * PEB].to_vec();
    worn.extend(vec![0u8; PEB]);
    worn.extend_from_slice(&clean[3 * PEB..]);
    worn[5 * PEB + 8] ^= 0xff; // erase counter of (the old) PEB 4: header CRC fails
    let p = tmp.path().join("worn.img");
    std::fs::write(&p, &worn).unwrap();
    let (_o, r) = run(&p);
    let h = hit(&r, "ubi");
    assert!(
        h.description.contains("PEBs (1 damaged)"),
        "{}",
        h.description
    );
    assert_tree(&r, "ubi", "/rootfs", &tree, true, true);
    assert_tree(&r, "cramfs", "", &tree, true, true);
}

#[test]
fn romfs_built_by_genromfs() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = source_tree(tmp.path());
    let src = tree.dir.to_str().unwrap().to_string();
    if tool(
        "genromfs",
        &["-f", "r.img", "-d", &src, "-V", "vol"],
        tmp.path(),
    )
    .is_none()
    {
        return;
    }
    let (_o, r) = run(&tmp.path().join("r.img"));
    assert!(hit(&r, "romfs").description.contains("volume \"vol\""));
    // romfs keeps only an executable bit, not the mode.
    assert_tree(&r, "romfs", "", &tree, false, true);
    assert_eq!(mode_of(&r, "romfs", "/etc/passwd"), 0o100755);
}

// ------------------------------------------- hand-built images: replay and loops

fn jffs2_crc(d: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new_with_initial(u32::MAX);
    h.update(d);
    !h.finalize()
}

/// One little-endian JFFS2 node: header (with its CRC) + body, padded to 4 bytes.
fn jffs2_node(ty: u16, body: &[u8]) -> Vec<u8> {
    let mut n = vec![0x85, 0x19];
    n.extend_from_slice(&ty.to_le_bytes());
    n.extend_from_slice(&((12 + body.len()) as u32).to_le_bytes());
    let c = jffs2_crc(&n);
    n.extend_from_slice(&c.to_le_bytes());
    n.extend_from_slice(body);
    while n.len() % 4 != 0 {
        n.push(0xff);
    }
    n
}

fn jffs2_dirent(pino: u32, version: u32, ino: u32, name: &str, dtype: u8) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [pino, version, ino, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&[name.len() as u8, dtype, 0, 0]);
    // The node CRC covers the 32 bytes from the magic; fill in after the header.
    let mut full = jffs2_node(
        0xe001,
        &[b.clone(), vec![0; 8], name.as_bytes().to_vec()].concat(),
    );
    let node_crc = jffs2_crc(&full[..32]);
    full[32..36].copy_from_slice(&node_crc.to_le_bytes());
    full[36..40].copy_from_slice(&jffs2_crc(name.as_bytes()).to_le_bytes());
    full
}

fn jffs2_inode(ino: u32, version: u32, mode: u32, isize: u32, offset: u32, data: &[u8]) -> Vec<u8> {
    jffs2_inode_compressed(
        ino,
        version,
        mode,
        isize,
        offset,
        0,
        data.len() as u32,
        data,
    )
}

#[allow(clippy::too_many_arguments)]
fn jffs2_inode_compressed(
    ino: u32,
    version: u32,
    mode: u32,
    isize: u32,
    offset: u32,
    compr: u8,
    dsize: u32,
    data: &[u8],
) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [
        ino,
        version,
        mode,
        0,
        isize,
        0,
        0,
        0,
        offset,
        data.len() as u32,
        dsize,
    ] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b.extend_from_slice(&[compr, 0, 0, 0]); // compressor, usercompr, flags
    b.extend_from_slice(&[0; 8]); // data CRC, node CRC
    b.extend_from_slice(data);
    let mut full = jffs2_node(0xe002, &b);
    let node_crc = jffs2_crc(&full[..60]);
    full[60..64].copy_from_slice(&jffs2_crc(data).to_le_bytes());
    full[64..68].copy_from_slice(&node_crc.to_le_bytes());
    full
}

#[test]
fn jffs2_latest_version_wins_deletions_and_directory_loops() {
    // The log starts with an obsoleted node (ACCURATE bit cleared after writing): it
    // still marks the file system's start but its contents must be ignored.
    let mut img = jffs2_inode(2, 99, 0o100600, 12, 0, b"XXX");
    img[3] = 0xc0;
    img.extend(jffs2_node(0x2003, &[])); // clean marker
    img.extend(jffs2_dirent(1, 1, 2, "a", 8));
    // A newer partial write of inode 2 comes first in the log, the original later:
    // the version, not the position, decides.
    img.extend(jffs2_inode(2, 6, 0o100600, 12, 0, b"NEW"));
    img.extend(vec![0xff; 300]); // erased flash between erase blocks
    img.extend(jffs2_node(0x2003, &[]));
    img.extend(jffs2_inode(2, 1, 0o100644, 12, 0, b"old contents"));
    img.extend(jffs2_dirent(1, 2, 3, "gone", 8));
    img.extend(jffs2_inode(3, 1, 0o100644, 1, 0, b"x"));
    img.extend(jffs2_dirent(1, 3, 0, "gone", 8)); // unlinked
    img.extend(jffs2_dirent(1, 4, 4, "loop", 4));
    img.extend(jffs2_inode(4, 1, 0o40755, 0, 0, b""));
    img.extend(jffs2_dirent(4, 5, 4, "self", 4)); // a directory inside itself
    img.extend(jffs2_dirent(4, 6, 5, "b", 8));
    let mut bad = jffs2_inode(5, 9, 0o100644, 3, 0, b"BAD");
    bad[70] ^= 1; // data CRC no longer matches: the node must be ignored
    img.extend(bad);
    img.extend(jffs2_inode(5, 2, 0o100644, 3, 0, b"bee"));
    // LZMA as OpenWrt's kernels write it: raw, lc=0 lp=0 pb=0, no end marker.
    let text: Vec<u8> = (0..300)
        .flat_map(|i| format!("row {i}\n").into_bytes())
        .collect();
    let mut opts = lzma_rust2::LzmaOptions::with_preset(6);
    (opts.lc, opts.lp, opts.pb, opts.dict_size) = (0, 0, 0, 0x2000);
    let mut w = lzma_rust2::LzmaWriter::new_no_header(Vec::new(), &opts, false).unwrap();
    std::io::Write::write_all(&mut w, &text).unwrap();
    let packed = w.finish().unwrap();
    let n = text.len() as u32;
    img.extend(jffs2_dirent(1, 7, 6, "lzma.txt", 8));
    img.extend(jffs2_inode_compressed(6, 1, 0o100644, n, 0, 8, n, &packed));
    // The zero compressor: a node that stores only a length (JFFS2's holes).
    img.extend(jffs2_dirent(1, 8, 7, "holey", 8));
    img.extend(jffs2_inode_compressed(7, 1, 0o100644, 104, 0, 1, 100, b""));
    img.extend(jffs2_inode(7, 2, 0o100644, 104, 100, b"tail"));
    img.extend(vec![0xff; 1000]);

    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("replay.jffs2");
    std::fs::write(&p, &img).unwrap();
    let (_o, r) = run(&p);
    assert_file(&r, "jffs2", "/a", 12, &sha_hex(b"NEW contents"));
    assert_eq!(
        mode_of(&r, "jffs2", "/a"),
        0o100600,
        "metadata of the newest node"
    );
    assert_file(&r, "jffs2", "/loop/b", 3, &sha_hex(b"bee"));
    assert_file(&r, "jffs2", "/lzma.txt", text.len() as u64, &sha_hex(&text));
    let holey = [vec![0u8; 100], b"tail".to_vec()].concat();
    assert_file(&r, "jffs2", "/holey", 104, &sha_hex(&holey));
    assert!(
        !r.files.iter().any(|f| f.fs_path == "/gone"),
        "unlinked entry extracted"
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("loops")),
        "{:?}",
        r.warnings
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("data CRC")),
        "{:?}",
        r.warnings
    );
    assert_eq!(hit(&r, "jffs2").offset, 0);
    assert_eq!(hit(&r, "jffs2").length, Some((img.len() - 1000) as u64));
}

/// One 512-byte YAFFS2 chunk plus its 16-byte spare of big-endian packed tags.
fn yaffs_chunk(data: &[u8], seq: u32, obj: u32, chunk: u32, nbytes: u32) -> Vec<u8> {
    let mut c = data.to_vec();
    c.resize(512, 0xff);
    for v in [seq, obj, chunk, nbytes] {
        c.extend_from_slice(&v.to_be_bytes());
    }
    c
}

fn yaffs_header(ty: u32, parent: u32, name: &str, mode: u32, size: u32, alias: &str) -> Vec<u8> {
    let mut h = vec![0xffu8; 512];
    h[0..4].copy_from_slice(&ty.to_be_bytes());
    h[4..8].copy_from_slice(&parent.to_be_bytes());
    h[10..266].fill(0);
    h[10..10 + name.len()].copy_from_slice(name.as_bytes());
    h[268..272].copy_from_slice(&mode.to_be_bytes());
    h[292..296].copy_from_slice(&size.to_be_bytes());
    h[300..460].fill(0);
    h[300..300 + alias.len()].copy_from_slice(alias.as_bytes());
    h
}

#[test]
fn yaffs2_small_pages_newest_sequence_wins() {
    let mut img = Vec::new();
    // Block with sequence 0x1000: the original file "f" (600 bytes: 512 A + 88 B).
    img.extend(yaffs_chunk(
        &yaffs_header(1, 1, "f", 0o100644, 600, ""),
        0x1000,
        257,
        0,
        0xffff,
    ));
    img.extend(yaffs_chunk(&[b'A'; 512], 0x1000, 257, 1, 512));
    img.extend(yaffs_chunk(&[b'B'; 88], 0x1000, 257, 2, 88));
    img.extend(yaffs_chunk(
        &yaffs_header(3, 1, "d", 0o40755, 0, ""),
        0x1000,
        258,
        0,
        0xffff,
    ));
    img.extend(yaffs_chunk(
        &yaffs_header(1, 4, "deleted", 0o100644, 0, ""),
        0x1000,
        259,
        0,
        0,
    ));
    img.extend(yaffs_chunk(
        &yaffs_header(3, 260, "orphan-loop", 0o40755, 0, ""),
        0x1000,
        260,
        0,
        0,
    ));
    img.extend(yaffs_chunk(
        &yaffs_header(2, 258, "l", 0o120777, 0, "../g"),
        0x1000,
        261,
        0,
        0,
    ));
    img.extend(vec![0xff; 528]); // an erased chunk
    // A later block (sequence 0x1001) renames "f" to "g" and rewrites its second chunk.
    img.extend(yaffs_chunk(
        &yaffs_header(1, 1, "g", 0o100755, 600, ""),
        0x1001,
        257,
        0,
        0xffff,
    ));
    img.extend(yaffs_chunk(&[b'C'; 88], 0x1001, 257, 2, 88));
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("small.yaffs2");
    std::fs::write(&p, &img).unwrap();
    let (_o, r) = run(&p);
    let h = hit(&r, "yaffs2");
    assert!(
        h.description
            .starts_with("yaffs2 BE, page 512 + spare 16 (tags at 0), 5 objects, 9 chunks"),
        "{}",
        h.description
    );
    assert_eq!(h.length, Some(img.len() as u64));
    let mut want = vec![b'A'; 512];
    want.extend([b'C'; 88]);
    assert_file(&r, "yaffs2", "/g", 600, &sha_hex(&want));
    assert_eq!(mode_of(&r, "yaffs2", "/g"), 0o100755);
    assert!(
        !r.files
            .iter()
            .any(|f| f.fs_path == "/f" || f.fs_path.contains("deleted"))
    );
    assert!(!r.files.iter().any(|f| f.fs_path.contains("orphan")));
    assert_eq!(
        rec(&r, "yaffs2", "/d/l").link_target.as_deref(),
        Some("../g")
    );
}

#[test]
fn romfs_directory_loop_is_cut() {
    let Some(p) = fixture("generic_fs__romfs.img") else {
        return;
    };
    let mut d = std::fs::read(p).unwrap();
    // Point "generic folder" (header at 0xc0) back at the root's first entry and fix
    // the header checksum, so the walk would cycle forever without loop detection.
    d[0xc4..0xc8].copy_from_slice(&0x20u32.to_be_bytes());
    d[0xcc..0xd0].fill(0);
    let sum = d[0xc0..0xe0].chunks(4).fold(0u32, |a, w| {
        a.wrapping_add(u32::from_be_bytes(w.try_into().unwrap()))
    });
    d[0xcc..0xd0].copy_from_slice(&0u32.wrapping_sub(sum).to_be_bytes());
    let tmp = tempfile::tempdir().unwrap();
    let img = tmp.path().join("loop.romfs");
    std::fs::write(&img, &d[..0x1b0]).unwrap();
    let (_o, r) = run(&img);
    assert_file(&r, "romfs", "/testfile1", 62, TESTFILE1);
    assert!(
        r.warnings.iter().any(|w| w.contains("loops back")),
        "{:?}",
        r.warnings
    );
}

/// One UBIFS node: common header (magic, CRC, sequence number, length, type) + body.
fn ubifs_node(ty: u8, sqnum: u64, body: &[u8]) -> Vec<u8> {
    let mut n = vec![0x31, 0x18, 0x10, 0x06, 0, 0, 0, 0];
    n.extend_from_slice(&sqnum.to_le_bytes());
    n.extend_from_slice(&((24 + body.len()) as u32).to_le_bytes());
    n.extend_from_slice(&[ty, 0, 0, 0]);
    n.extend_from_slice(body);
    let crc = !crc32fast::hash(&n[8..]);
    n[4..8].copy_from_slice(&crc.to_le_bytes());
    while n.len() % 8 != 0 {
        n.push(0);
    }
    n
}

fn ubifs_key(inum: u32, ty: u32, val: u32) -> Vec<u8> {
    let mut k = inum.to_le_bytes().to_vec();
    k.extend_from_slice(&(ty << 29 | val).to_le_bytes());
    k.resize(16, 0);
    k
}

fn ubifs_ino(sq: u64, inum: u32, size: u64, mode: u32) -> Vec<u8> {
    let mut b = ubifs_key(inum, 0, 0);
    b.resize(160 - 24, 0);
    b[48 - 24..56 - 24].copy_from_slice(&size.to_le_bytes());
    b[92 - 24..96 - 24].copy_from_slice(&1u32.to_le_bytes()); // nlink
    b[104 - 24..108 - 24].copy_from_slice(&mode.to_le_bytes());
    ubifs_node(0, sq, &b)
}

fn ubifs_data(sq: u64, inum: u32, block: u32, data: &[u8]) -> Vec<u8> {
    let mut b = ubifs_key(inum, 1, block);
    b.extend_from_slice(&(data.len() as u32).to_le_bytes());
    b.extend_from_slice(&[0; 4]); // compr none, compr_size
    b.extend_from_slice(data);
    ubifs_node(1, sq, &b)
}

fn ubifs_dent(sq: u64, parent: u32, name: &str, inum: u64) -> Vec<u8> {
    let mut b = ubifs_key(parent, 2, 0x1234);
    b.extend_from_slice(&inum.to_le_bytes());
    b.extend_from_slice(&[0, 0]); // padding, type (regular)
    b.extend_from_slice(&(name.len() as u16).to_le_bytes());
    b.extend_from_slice(&[0; 4]); // cookie
    b.extend_from_slice(name.as_bytes());
    b.push(0);
    ubifs_node(2, sq, &b)
}

#[test]
fn ubifs_journal_replay_of_uncommitted_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir(&src).unwrap();
    for (n, c) in [
        ("keep.txt", "keep"),
        ("change.txt", "before"),
        ("gone.txt", "x"),
    ] {
        std::fs::write(src.join(n), c).unwrap();
    }
    let src_s = src.to_str().unwrap();
    let args = [
        "-r", src_s, "-m", "2048", "-e", "126976", "-c", "64", "-x", "none", "-o", "j.ubifs",
    ];
    if tool("mkfs.ubifs", &args, tmp.path()).is_none() {
        return;
    }
    const LEB: usize = 126_976;
    let mut img = std::fs::read(tmp.path().join("j.ubifs")).unwrap();
    // mkfs.ubifs starts the log (LEB 3) with a commit-start node; journal nodes and
    // the log's references to them must have larger sequence numbers.
    let log = 3 * LEB;
    assert_eq!(
        img[log + 20],
        10,
        "commit-start node at the head of the log"
    );
    let cs = u64::from_le_bytes(img[log + 8..log + 16].try_into().unwrap());
    let dent_of = |name: &str| {
        let pat = [name.as_bytes(), &[0]].concat();
        let at = img
            .windows(pat.len())
            .position(|w| w == pat.as_slice())
            .unwrap();
        u32::from_le_bytes(img[at - 16..at - 12].try_into().unwrap())
    };
    let change = dent_of("change.txt");
    // A bud LEB appended after the image, holding uncommitted changes.
    let bud = img.len() / LEB;
    let mut journal = Vec::new();
    journal.extend(ubifs_data(cs + 1, change, 0, b"after!!"));
    journal.extend(ubifs_ino(cs + 2, change, 7, 0o100644));
    journal.extend(ubifs_dent(cs + 3, 1, "gone.txt", 0));
    journal.extend(ubifs_ino(cs + 4, 500, 5, 0o100600));
    journal.extend(ubifs_data(cs + 5, 500, 0, b"fresh"));
    journal.extend(ubifs_dent(cs + 6, 1, "new.txt", 500));
    journal.resize(LEB, 0xff);
    img.extend(journal);
    let mut reference = (bud as u32).to_le_bytes().to_vec();
    reference.extend_from_slice(&[0; 4]); // offset in the bud
    reference.extend_from_slice(&1u32.to_le_bytes()); // journal head
    reference.resize(40, 0);
    let r = ubifs_node(8, cs + 7, &reference);
    img[log + 2048..log + 2048 + r.len()].copy_from_slice(&r);
    let p = tmp.path().join("journal.ubifs");
    std::fs::write(&p, &img).unwrap();

    let (_o, r) = run(&p);
    assert_file(&r, "ubi", "/keep.txt", 4, &sha_hex(b"keep"));
    assert_file(&r, "ubi", "/change.txt", 7, &sha_hex(b"after!!"));
    assert_file(&r, "ubi", "/new.txt", 5, &sha_hex(b"fresh"));
    assert_eq!(mode_of(&r, "ubi", "/new.txt"), 0o100600);
    assert!(
        !r.files.iter().any(|f| f.fs_path == "/gone.txt"),
        "deleted entry extracted"
    );
}

#[test]
fn ext3_inside_android_sparse_fixture() {
    // The only ext image in the corpus: an ext3 wrapped in an Android sparse image,
    // holding the same three test files as the other fixtures.
    let Some((_t, r)) = run_fixture("android_simg__simg.img") else {
        return;
    };
    let h = hit(&r, "ext");
    assert_eq!(
        h.description,
        "ext3 LE, label \"\", block size 1024, 10240 blocks, 2560 inodes"
    );
    assert_eq!(h.length, Some(10 << 20));
    assert_file(&r, "ext", "/get_files_test/testfile1", 62, TESTFILE1);
    assert_file(&r, "ext", "/get_files_test/testfile2", 28, TESTFILE2);
    assert_file(
        &r,
        "ext",
        "/get_files_test/generic folder/test file 3_.txt",
        20,
        TESTFILE3,
    );
    assert_eq!(mode_of(&r, "ext", "/lost+found"), 0o40700);
}
