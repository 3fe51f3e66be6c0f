//! squashfs 1.x: images written by the test's own generator (no 1.x image is in the
//! corpus and no maintained tool writes one), first proven to be real 1.x by Debian's
//! `unsquashfs` (which still reads 1.x in both byte orders), then extracted by
//! baseliner and compared with what `unsquashfs` gives.

mod common;
#[path = "common/squashfs1.rs"]
mod gen1;

use std::process::Command;

use baseliner_unpack::{EntryKind, FileRecord, Limits, Report, unpack};
use gen1::{Kind, Node, Opts};

use common::sha;

/// Deterministic bytes that do not compress (xorshift).
fn noise(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

/// A file spanning several blocks of any size up to 32 KiB: compressible text,
/// then a noise run that stays stored raw, then a partial tail.
fn big() -> Vec<u8> {
    let mut v: Vec<u8> = (0..40_000u32)
        .flat_map(|i| format!("line {i}\n").into_bytes())
        .take(40_000)
        .collect();
    v.extend(noise(33_000, 7));
    v.extend(b"tail of the file\n");
    v
}

fn file(name: &str, mode: u16, data: &[u8]) -> Node {
    Node::new(name, mode, Kind::File(data.to_vec()))
}

fn dir(name: &str, mode: u16, kids: Vec<Node>) -> Node {
    Node::new(name, mode, Kind::Dir(kids))
}

/// Every entry kind 1.x has, nested directories, setuid and private modes, and 20
/// owners (so uid indices above 15 use the bits 1.x folds into the inode type).
fn tree() -> Node {
    let users = (0..18u32)
        .map(|i| {
            file(&format!("u{i:02}"), 0o640, format!("user {i}\n").as_bytes())
                .owner(1000 + i, 100 + i % 3)
        })
        .collect();
    dir(
        "",
        0o755,
        vec![
            dir(
                "bin",
                0o755,
                vec![
                    file("busybox", 0o4755, &big()),
                    file("tool", 0o750, b"#!/bin/sh\necho tool\n").owner(1000, 100),
                ],
            ),
            dir(
                "etc",
                0o755,
                vec![
                    file("passwd", 0o644, b"root:x:0:0:root:/root:/bin/sh\n"),
                    file("shadow", 0o600, b"root::10933:0:99999:7:::\n").owner(0, 42),
                    dir(
                        "init.d",
                        0o700,
                        vec![file("rcS", 0o755, b"#!/bin/sh\nmount -a\n")],
                    ),
                ],
            ),
            dir(
                "dev",
                0o755,
                vec![
                    Node::new("console", 0o600, Kind::Chardev(5, 1)),
                    Node::new("mtdblock0", 0o640, Kind::Blockdev(31, 0)).owner(0, 6),
                    Node::new("initctl", 0o600, Kind::Fifo),
                    Node::new("log", 0o666, Kind::Socket).owner(1017, 101),
                ],
            ),
            dir("home", 0o755, users),
            dir("mnt", 0o755, vec![]),
            Node::new("init", 0o777, Kind::Symlink("bin/busybox".into())),
            file("empty", 0o644, b""),
        ],
    )
}

/// `path, kind, mode, extra` lines of the tree (extra: SHA-256, link target or
/// device numbers), and the same with `uid/gid` appended.
fn expected(root: &Node) -> (Vec<String>, Vec<String>) {
    fn walk(n: &Node, path: &str, out: &mut Vec<(String, String)>) {
        let (kind, extra) = match &n.kind {
            Kind::File(d) => ("file", sha(d)),
            Kind::Dir(kids) => {
                for k in kids {
                    walk(k, &format!("{path}/{}", k.name), out);
                }
                ("dir", String::new())
            }
            Kind::Symlink(t) => ("symlink", t.clone()),
            Kind::Chardev(a, b) => ("chardev", format!("{a},{b}")),
            Kind::Blockdev(a, b) => ("blockdev", format!("{a},{b}")),
            Kind::Fifo => ("fifo", String::new()),
            Kind::Socket => ("socket", String::new()),
            Kind::LoopToParent | Kind::Lying(..) => return,
        };
        if !path.is_empty() {
            let l = format!("{path}\t{kind}\t{:o}\t{extra}", n.mode);
            out.push((l, format!("{}/{}", n.uid, n.gid)));
        }
    }
    let mut v = Vec::new();
    walk(root, "", &mut v);
    v.sort();
    let plain = v.iter().map(|(l, _)| l.clone()).collect();
    let owned = v.iter().map(|(l, o)| format!("{l}\t{o}")).collect();
    (plain, owned)
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

fn hit(r: &Report, offset: u64) -> &baseliner_unpack::FormatHit {
    r.formats
        .iter()
        .find(|f| f.format == "squashfs" && f.file.is_empty() && f.offset == offset)
        .unwrap_or_else(|| panic!("no squashfs at 0x{offset:x}: {:#?}", r.formats))
}

fn entries(r: &Report, offset: u64) -> Vec<&FileRecord> {
    let hop = &hit(r, offset).provenance;
    r.files
        .iter()
        .filter(|f| f.provenance == format!("{hop}:{}", f.fs_path))
        .collect()
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

fn unpack_bytes(img: &[u8]) -> (Report, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("image.bin");
    std::fs::write(&p, img).unwrap();
    let r = unpack(&p, &dir.path().join("out"), &Limits::default(), None).unwrap();
    (r, dir)
}

fn squashfs_errors(r: &Report) -> Vec<String> {
    r.errors
        .iter()
        .filter(|e| e.format == "squashfs")
        .map(|e| e.reason.clone())
        .collect()
}

fn no_panic(r: &Report, what: &str) {
    for e in &r.errors {
        assert!(!e.reason.contains("panicked"), "{what}: {e:?}");
    }
}

/// The four images every comparison uses: both byte orders, 4 KiB and 32 KiB
/// blocks (the largest 1.x has, where a raw block's size word is 0x8000).
fn configs() -> Vec<(&'static str, Opts)> {
    let o = |be, block_log| Opts {
        be,
        block_log,
        ..Opts::default()
    };
    vec![
        ("LE 4K", o(false, 12)),
        ("BE 4K", o(true, 12)),
        ("LE 32K", o(false, 15)),
        ("BE 32K", o(true, 15)),
    ]
}

/// Mode bits of an `ls -l` style permission string (`-rwsr-x---`).
fn perm_bits(p: &str) -> u32 {
    let c: Vec<char> = p.chars().collect();
    let mut m = 0;
    for (i, bit) in [0o400, 0o200, 0o100, 0o40, 0o20, 0o10, 0o4, 0o2, 0o1]
        .iter()
        .enumerate()
    {
        if !matches!(c[i + 1], '-' | 'S' | 'T') {
            m |= bit;
        }
    }
    for (i, special) in [(3, 0o4000), (6, 0o2000), (9, 0o1000)] {
        if matches!(c[i], 's' | 'S' | 't' | 'T') {
            m |= special;
        }
    }
    m
}

/// The tree as Debian's `unsquashfs` 4.x sees it: `-lln` for names, kinds, modes,
/// owners, link targets and device numbers; the files it extracts (`-d`) for their
/// SHA-256. Lines in the format of [`expected`] (with owners). `None` when the tool
/// is missing.
fn unsquashfs_view(img: &[u8]) -> Option<Vec<String>> {
    if Command::new("unsquashfs").arg("-version").output().is_err() {
        return baseliner_testkit::skip(
            "the unsquashfs cross-check: unsquashfs is not installed (apt-get install squashfs-tools)",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("img.sqfs");
    std::fs::write(&p, img).unwrap();
    let list = Command::new("unsquashfs")
        .arg("-lln")
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        list.status.success(),
        "unsquashfs -lln failed: {}",
        String::from_utf8_lossy(&list.stderr)
    );
    let out = dir.path().join("out");
    let ex = Command::new("unsquashfs")
        .arg("-d")
        .arg(&out)
        .arg("-no-xattrs")
        .arg(&p)
        .output()
        .unwrap();
    // Creating device nodes needs root; a non-root run still extracts every file.
    let stderr = String::from_utf8_lossy(&ex.stderr);
    assert!(
        ex.status.success() || stderr.contains("superuser"),
        "unsquashfs -d failed: {stderr}"
    );
    let mut lines = Vec::new();
    for l in String::from_utf8_lossy(&list.stdout).lines() {
        let t: Vec<&str> = l.split_whitespace().collect();
        let Some(pi) = t.iter().position(|s| s.starts_with("squashfs-root")) else {
            continue;
        };
        let path = &t[pi]["squashfs-root".len()..];
        if path.is_empty() || t.len() < 5 {
            continue;
        }
        let (perm, owner) = (t[0], t[1]);
        let mode = perm_bits(perm);
        let (kind, extra) = match perm.as_bytes()[0] {
            b'-' => {
                let b = std::fs::read(out.join(path.trim_start_matches('/'))).unwrap();
                ("file", sha(&b))
            }
            b'd' => ("dir", String::new()),
            b'l' => ("symlink", t[pi + 2..].join(" ")),
            b'c' | b'b' => (
                if perm.starts_with('c') {
                    "chardev"
                } else {
                    "blockdev"
                },
                // Between the owner and the date: "5,  1".
                t[2..pi - 2].concat().replace(' ', ""),
            ),
            b'p' => ("fifo", String::new()),
            b's' => ("socket", String::new()),
            other => panic!("unexpected type {}", other as char),
        };
        lines.push(format!("{path}\t{kind}\t{mode:o}\t{extra}\t{owner}"));
    }
    lines.sort();
    Some(lines)
}

#[test]
fn generator_output_is_read_by_unsquashfs() {
    let t = tree();
    let (_, want) = expected(&t);
    for (name, o) in configs() {
        let img = gen1::build(&t, o);
        let Some(got) = unsquashfs_view(&img) else {
            return;
        };
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn both_orders_extract_like_unsquashfs() {
    let t = tree();
    let (want, _) = expected(&t);
    assert_eq!(want.len(), 35);
    for (name, o) in configs() {
        let img = gen1::build(&t, o);
        let (r, _d) = unpack_bytes(&img);
        no_panic(&r, name);
        assert!(squashfs_errors(&r).is_empty(), "{name}: {:#?}", r.errors);
        let h = hit(&r, 0);
        let order = if o.be { "BE" } else { "LE" };
        let block = 1 << (o.block_log - 10);
        assert_eq!(
            h.description,
            format!("squashfs 1.0 {order}, gzip, 36 inodes, block {block} KiB"),
            "{name}"
        );
        assert_eq!(h.length, Some(img.len() as u64), "{name}");
        let got = manifest(&entries(&r, 0));
        assert_eq!(got, want, "{name}");
        if let Some(theirs) = unsquashfs_view(&img) {
            let theirs: Vec<String> = theirs
                .iter()
                .map(|l| l.rsplit_once('\t').unwrap().0.to_string())
                .collect();
            assert_eq!(got, theirs, "{name}: baseliner and unsquashfs differ");
        }
    }
}

#[test]
fn spot_checks_of_known_content() {
    let img = gen1::build(&tree(), Opts::default());
    let (r, d) = unpack_bytes(&img);
    let recs = entries(&r, 0);
    let get = |p: &str| *recs.iter().find(|f| f.fs_path == p).unwrap();
    let bb = get("/bin/busybox");
    assert_eq!(bb.size, 73_017);
    assert_eq!(bb.mode & 0o7777, 0o4755);
    let out = d.path().join("out");
    assert_eq!(std::fs::read(out.join(&bb.path)).unwrap(), big());
    assert_eq!(
        std::fs::read(out.join(&get("/etc/init.d/rcS").path)).unwrap(),
        b"#!/bin/sh\nmount -a\n"
    );
    assert_eq!(get("/init").link_target.as_deref(), Some("bin/busybox"));
    assert_eq!(get("/dev/mtdblock0").device, Some((31, 0)));
    assert_eq!(get("/dev/log").kind, EntryKind::Socket);
}

#[test]
fn carved_from_inside_a_larger_blob() {
    let t = tree();
    let (want, _) = expected(&t);
    for be in [false, true] {
        let img = gen1::build(
            &t,
            Opts {
                be,
                ..Opts::default()
            },
        );
        let at = 0x2345usize;
        let mut blob = noise(at, 99);
        blob.extend_from_slice(&img);
        blob.extend(noise(5000, 3));
        let (r, _d) = unpack_bytes(&blob);
        no_panic(&r, "carved");
        assert!(squashfs_errors(&r).is_empty(), "{:#?}", r.errors);
        let h = hit(&r, at as u64);
        // Exactly bytes_used: the noise after it is not padding.
        assert_eq!(h.length, Some(img.len() as u64));
        assert_eq!(manifest(&entries(&r, at as u64)), want);

        // Followed by the zeros mkfs pads to 4 KiB with, the padding is included.
        let mut padded = img.clone();
        padded.resize(img.len().div_ceil(4096) * 4096, 0);
        padded.extend(noise(100, 4));
        let (r, _d) = unpack_bytes(&padded);
        assert!(squashfs_errors(&r).is_empty(), "{:#?}", r.errors);
        assert_eq!(
            hit(&r, 0).length,
            Some(img.len().div_ceil(4096) as u64 * 4096)
        );
    }
}

/// A small image: a two-block file, a nested directory, a symlink, a device.
/// Uncompressed metadata lets damage reach the inode and directory parsers.
fn small(be: bool, compress_meta: bool) -> Vec<u8> {
    let t = dir(
        "",
        0o755,
        vec![
            file("a", 0o644, &b"0123456789".repeat(420)),
            dir(
                "d",
                0o700,
                vec![
                    Node::new("l", 0o777, Kind::Symlink("../a".into())),
                    Node::new("c", 0o600, Kind::Chardev(1, 3)).owner(5, 6),
                ],
            ),
        ],
    );
    gen1::build(
        &t,
        Opts {
            be,
            compress_meta,
            ..Opts::default()
        },
    )
}

#[test]
fn truncation_and_damage_never_panic() {
    for (be, compress_meta) in [(false, true), (true, true), (false, false), (true, false)] {
        let img = small(be, compress_meta);
        assert!(img.len() < 400, "{}", img.len());
        let (r, _) = unpack_bytes(&img);
        assert_eq!(manifest(&entries(&r, 0)).len(), 4);
        // Damage the extractor (not only the probe) met and reported.
        let mut met = 0;
        for len in 0..img.len() {
            // Cut short: the superblock's size no longer fits.
            let (r, _d) = unpack_bytes(&img[..len]);
            no_panic(&r, &format!("cut at {len}"));
            // Same length, everything from `len` on zeroed: the extractor meets it.
            let mut v = img.clone();
            v[len..].fill(0);
            let (r, _d) = unpack_bytes(&v);
            no_panic(&r, &format!("zeroed from {len}"));
            if !squashfs_errors(&r).is_empty() {
                met += 1;
            }
            // One bit flipped.
            let mut v = img.clone();
            v[len] ^= 1 << (len % 8);
            let (r, _d) = unpack_bytes(&v);
            no_panic(&r, &format!("bit flipped at {len}"));
        }
        eprintln!(
            "{} bytes, {met} damaged images extracted with errors",
            img.len()
        );
        assert!(met >= 10, "{met}");
    }
}

#[test]
fn directory_loop_is_cut() {
    for be in [false, true] {
        let t = dir(
            "",
            0o755,
            vec![
                file("f", 0o644, b"hello"),
                dir(
                    "sub",
                    0o755,
                    vec![
                        Node::new("again", 0o755, Kind::LoopToParent),
                        file("g", 0o644, b"world"),
                    ],
                ),
            ],
        );
        let img = gen1::build(
            &t,
            Opts {
                be,
                ..Opts::default()
            },
        );
        let (r, _d) = unpack_bytes(&img);
        no_panic(&r, "loop");
        let errs = squashfs_errors(&r);
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert!(errs[0].contains("/sub/again"), "{errs:#?}");
        assert!(errs[0].contains("seen before (a loop)"), "{errs:#?}");
        assert_eq!(manifest(&entries(&r, 0)).len(), 3);
    }
}

#[test]
fn lying_sizes_fail_and_the_rest_is_extracted() {
    for be in [false, true] {
        let t = dir(
            "",
            0o755,
            vec![
                Node::new("liar", 0o644, Kind::Lying(noise(100, 1), 3 << 30)),
                Node::new("short", 0o644, Kind::Lying(noise(9000, 2), 9500)),
                file("zgood", 0o644, b"still here"),
            ],
        );
        let img = gen1::build(
            &t,
            Opts {
                be,
                ..Opts::default()
            },
        );
        let (r, _d) = unpack_bytes(&img);
        no_panic(&r, "liar");
        let errs = squashfs_errors(&r);
        assert_eq!(errs.len(), 1, "{errs:#?}");
        assert!(errs[0].contains("2 entries failed"), "{errs:#?}");
        // The first data block sits right after the 51-byte superblock.
        assert!(
            errs[0].contains("/liar: reading data of liar: data block at 0x33 holds 100 bytes"),
            "{errs:#?}"
        );
        assert!(errs[0].contains("squashfs at 0x0"), "{errs:#?}");
        let recs = entries(&r, 0);
        let good = recs.iter().find(|f| f.fs_path == "/zgood").unwrap();
        assert_eq!(good.sha256.as_deref(), Some(sha(b"still here").as_str()));
    }
}

#[test]
fn superblock_lies_are_refused() {
    let img = small(false, true);
    let (r, _d) = unpack_bytes(&img);
    assert!(r.formats.iter().any(|f| f.format == "squashfs"));
    // Each patch breaks one consistency rule of the 1.x superblock.
    let patches: [(usize, &[u8]); 4] = [
        (8, &(img.len() as u32 - 1).to_le_bytes()), // bytes_used
        (12, &(img.len() as u32).to_le_bytes()),    // uid table start
        (37, &[49]),                                // uid count
        (32, &0x8000u16.to_le_bytes()),             // 32 KiB block, log 12
    ];
    for (at, bytes) in patches {
        let mut v = img.clone();
        v[at..at + bytes.len()].copy_from_slice(bytes);
        let (r, _d) = unpack_bytes(&v);
        no_panic(&r, "patched");
        assert!(
            r.formats.iter().all(|f| f.format != "squashfs"),
            "patch at {at}: {:#?}",
            r.formats
        );
    }
}
