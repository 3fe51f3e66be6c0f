//! Hostile input against the core: nothing may escape the output folder, quotas stop
//! bombs with a clear message, and the rest of the image is still analysed.

mod common;
use common::corpus;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use baseliner_unpack::{Limits, QuotaKind, unpack};

/// One raw ustar header block (the `tar` crate refuses to write hostile names, so
/// the tests build headers by hand).
fn tar_header(name: &str, kind: u8, link: &str, size: usize) -> [u8; 512] {
    tar_header_mode(name, kind, link, size, 0o644)
}

fn tar_header_mode(name: &str, kind: u8, link: &str, size: usize, mode: u32) -> [u8; 512] {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..107].copy_from_slice(format!("{mode:07o}").as_bytes());
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    h[136..147].copy_from_slice(b"00000000000");
    h[156] = kind;
    h[157..157 + link.len()].copy_from_slice(link.as_bytes());
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    h
}

fn tar(entries: &[(&str, u8, &str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, link, data) in entries {
        out.extend_from_slice(&tar_header(name, *kind, link, data.len()));
        out.extend_from_slice(data);
        while out.len() % 512 != 0 {
            out.push(0);
        }
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

/// Every path under `out` must resolve inside `out`, and every symlink's target,
/// resolved lexically from where it stands, must stay inside too.
fn assert_contained(out: &Path) {
    let out = fs::canonicalize(out).unwrap();
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                let t = fs::read_link(&p).unwrap();
                assert!(
                    t.is_relative(),
                    "{} points at absolute {}",
                    p.display(),
                    t.display()
                );
                let mut resolved: Vec<_> = p.parent().unwrap().components().collect();
                for c in t.components() {
                    match c {
                        std::path::Component::ParentDir => {
                            resolved.pop();
                        }
                        std::path::Component::Normal(_) => resolved.push(c),
                        _ => {}
                    }
                }
                let r: PathBuf = resolved.iter().collect();
                assert!(
                    r.starts_with(&out),
                    "{} escapes to {}",
                    p.display(),
                    r.display()
                );
            } else if m.is_dir() {
                stack.push(p);
            }
        }
    }
}

#[test]
fn corpus_dirtraversal_tar_stays_inside() {
    let Some(c) = corpus() else { return };
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    let r = unpack(
        &c.join("hostile/dirtraversal.tar"),
        &out,
        &Limits::default(),
        None,
    )
    .unwrap();
    assert!(!r.files.is_empty());
    assert_contained(&out);
    // Nothing was created beside the output folder.
    let siblings: Vec<_> = fs::read_dir(parent.path()).unwrap().collect();
    assert_eq!(siblings.len(), 1);
}

#[test]
fn crafted_escapes_are_refused_or_contained() {
    let parent = tempfile::tempdir().unwrap();
    let victim = parent.path().join("victim");
    fs::create_dir(&victim).unwrap();
    let victim_s = victim.display().to_string();
    let img = tar(&[
        ("../../escape.txt", b'0', "", b"dot-dot"),
        ("/abs.txt", b'0', "", b"absolute"),
        ("evil", b'2', &victim_s, b""),
        ("evil/planted", b'0', "", b"through the symlink"),
        ("evil", b'0', "", b"overwrite the symlink itself"),
        ("up", b'2', "../../../../..", b""),
        ("hard", b'1', "/etc/passwd", b""),
        ("ok.txt", b'0', "", b"fine"),
    ]);
    let imgp = parent.path().join("img.tar");
    fs::write(&imgp, img).unwrap();
    let out = parent.path().join("out");
    let r = unpack(&imgp, &out, &Limits::default(), None).unwrap();
    assert_contained(&out);
    assert_eq!(
        fs::read_dir(&victim).unwrap().count(),
        0,
        "nothing written through the symlink"
    );
    let tar_root = out.join("0x0.tar");
    assert_eq!(fs::read(tar_root.join("escape.txt")).unwrap(), b"dot-dot");
    assert_eq!(fs::read(tar_root.join("abs.txt")).unwrap(), b"absolute");
    assert_eq!(fs::read(tar_root.join("ok.txt")).unwrap(), b"fine");
    // The symlink was replaced by the later regular file, not followed.
    assert!(
        fs::symlink_metadata(tar_root.join("evil"))
            .unwrap()
            .is_file()
    );
    assert!(
        !tar_root.join("hard").exists(),
        "a hard link to a path outside is refused"
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("..")),
        "clamped paths are reported: {:?}",
        r.warnings
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("hard")),
        "refused hard link is reported: {:?}",
        r.warnings
    );
    // The record keeps the target as the image stated it.
    let up = r.files.iter().find(|f| f.fs_path == "/up").unwrap();
    assert_eq!(up.link_target.as_deref(), Some("../../../../.."));
}

fn gzip_of_zeros(n: u64) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let block = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(block.len() as u64) as usize;
        e.write_all(&block[..k]).unwrap();
        left -= k as u64;
    }
    e.finish().unwrap()
}

#[test]
fn gzip_bomb_stops_at_byte_quota_and_rest_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    // A 256 MiB bomb, then a small valid tar after it.
    let mut img = gzip_of_zeros(256 << 20);
    let bomb_len = img.len();
    img.extend_from_slice(&tar(&[("after.txt", b'0', "", b"still analysed")]));
    let p = dir.path().join("bomb.bin");
    fs::write(&p, &img).unwrap();
    let limits = Limits {
        max_total_bytes: 32 << 20,
        ..Default::default()
    };
    let r = unpack(&p, &dir.path().join("out"), &limits, None).unwrap();
    let e = r
        .errors
        .iter()
        .find(|e| e.format == "gzip")
        .expect("the bomb is reported");
    assert!(e.reason.contains("quota exceeded"), "{}", e.reason);
    assert!(
        e.quota == Some(QuotaKind::TotalBytes),
        "the message names the flag: {}",
        e.reason
    );
    assert_eq!(e.offset, 0);
    let written: u64 = r
        .files
        .iter()
        .filter(|f| f.kind == baseliner_unpack::EntryKind::File)
        .map(|f| f.size)
        .sum();
    assert!(written <= 33 << 20, "wrote {written} bytes");
    // Scanning went on past the bomb: the tar after it is still identified.
    assert!(
        r.errors.iter().any(|e| e.format == "tar"
            && e.offset == bomb_len as u64
            && e.reason.contains("not extracted")),
        "{:?}",
        r.errors
    );
}

#[test]
fn per_file_limit_stops_a_bomb_and_the_rest_is_extracted() {
    let dir = tempfile::tempdir().unwrap();
    let mut img = gzip_of_zeros(64 << 20);
    let bomb_len = img.len();
    img.extend_from_slice(&tar(&[("after.txt", b'0', "", b"still analysed")]));
    let p = dir.path().join("bomb.bin");
    fs::write(&p, &img).unwrap();
    let limits = Limits {
        max_file_bytes: 4 << 20,
        ..Default::default()
    };
    let r = unpack(&p, &dir.path().join("out"), &limits, None).unwrap();
    assert!(
        r.errors
            .iter()
            .any(|e| e.format == "gzip" && e.quota == Some(QuotaKind::FileBytes)),
        "{:?}",
        r.errors
    );
    let after = r
        .files
        .iter()
        .find(|f| f.fs_path == "/after.txt")
        .expect("tar after the bomb extracted");
    assert!(
        after.provenance.contains(&format!("@0x{bomb_len:x}:tar")),
        "{}",
        after.provenance
    );
}

#[test]
fn expansion_ratio_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ratio.gz");
    fs::write(&p, gzip_of_zeros(8 << 20)).unwrap();
    let limits = Limits {
        max_ratio: 10,
        ratio_floor: 1 << 20,
        ..Default::default()
    };
    let r = unpack(&p, &dir.path().join("out"), &limits, None).unwrap();
    assert!(
        r.errors
            .iter()
            .any(|e| e.reason.contains("expansion ratio")),
        "{:?}",
        r.errors
    );
}

#[test]
fn file_count_quota() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..50).map(|i| format!("f{i}")).collect();
    let entries: Vec<(&str, u8, &str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), b'0', "", &b"x"[..]))
        .collect();
    let p = dir.path().join("many.tar");
    fs::write(&p, tar(&entries)).unwrap();
    let limits = Limits {
        max_files: 10,
        ..Default::default()
    };
    let r = unpack(&p, &dir.path().join("out"), &limits, None).unwrap();
    assert!(
        r.errors.iter().any(|e| e.quota == Some(QuotaKind::Files)),
        "{:?}",
        r.errors
    );
    assert!(r.files.len() <= 10);
}

#[test]
fn nesting_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    // gzip inside gzip inside gzip ... 6 levels.
    let mut data = b"innermost".to_vec();
    for _ in 0..6 {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&data).unwrap();
        data = e.finish().unwrap();
        // Pad so each level is worth carving.
        data.extend_from_slice(&[0u8; 32]);
    }
    let p = dir.path().join("nested.bin");
    fs::write(&p, &data).unwrap();
    let limits = Limits {
        max_depth: 3,
        ..Default::default()
    };
    let r = unpack(&p, &dir.path().join("out"), &limits, None).unwrap();
    assert!(
        r.errors.iter().any(|e| e.quota == Some(QuotaKind::Depth)),
        "{:?}",
        r.errors
    );
    assert_eq!(r.formats.iter().filter(|f| f.format == "gzip").count(), 3);
}

#[test]
fn output_folder_must_be_empty_and_errors_name_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    fs::write(out.join("keep"), b"x").unwrap();
    let img = dir.path().join("img");
    fs::write(&img, b"nothing").unwrap();
    let e = unpack(&img, &out, &Limits::default(), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not empty"), "{e}");
    let e = unpack(
        &dir.path().join("missing.bin"),
        &dir.path().join("o2"),
        &Limits::default(),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("missing.bin"), "{e}");
}

#[test]
fn unknown_data_is_reported_as_classified_regions() {
    let dir = tempfile::tempdir().unwrap();
    let mut img = vec![0xffu8; 8192];
    img.extend(std::iter::repeat_n(b"some plain configuration text\n".as_slice(), 300).flatten());
    let p = dir.path().join("raw.bin");
    fs::write(&p, &img).unwrap();
    let r = unpack(&p, &dir.path().join("out"), &Limits::default(), None).unwrap();
    let classes: Vec<_> = r
        .unknown_regions
        .iter()
        .map(|g| (g.offset, g.class))
        .collect();
    assert_eq!(classes[0], (0, baseliner_unpack::RegionClass::Padding));
    assert!(
        classes
            .iter()
            .any(|c| c.1 == baseliner_unpack::RegionClass::Text)
    );
    let total: u64 = r.unknown_regions.iter().map(|g| g.length).sum();
    assert_eq!(total, img.len() as u64);
}

/// A hard link to a path that a later entry turned into a symlink must not link the
/// symlink (its contained target would mean something else from another folder), and
/// a planted `NAME.extract` symlink must not become the recursion folder.
#[test]
fn hard_link_to_a_replaced_symlink_and_planted_extract_folder() {
    let parent = tempfile::tempdir().unwrap();
    let victim = parent.path().join("victim");
    fs::create_dir(&victim).unwrap();
    let victim_s = victim.display().to_string();
    let inner = tar(&[("planted.txt", b'0', "", b"nested")]);
    let deep = "a/b/c/d/e/f/g/h/x";
    let img = tar(&[
        (deep, b'0', "", b"first a file"),
        (deep, b'2', &victim_s, b""),
        ("z.extract", b'1', deep, b""),
        ("y.extract", b'2', "a/b", b""),
        ("y", b'0', "", &inner),
        ("z", b'0', "", &inner),
    ]);
    let imgp = parent.path().join("img.tar");
    fs::write(&imgp, img).unwrap();
    let out = parent.path().join("out");
    let r = unpack(&imgp, &out, &Limits::default(), None).unwrap();
    assert_contained(&out);
    assert_eq!(
        fs::read_dir(&victim).unwrap().count(),
        0,
        "nothing written into the victim"
    );
    assert!(
        r.warnings.iter().any(|w| w.contains("z.extract")),
        "{:?}",
        r.warnings
    );
    // The nested tars were still extracted, into folders of their own (identical
    // contents are carved once).
    let planted: Vec<_> = r
        .files
        .iter()
        .filter(|f| f.fs_path == "/planted.txt")
        .collect();
    assert_eq!(planted.len(), 1, "{planted:?}");
    assert!(
        !planted[0].path.starts_with("0x0.tar/a"),
        "not through the planted symlink: {:?}",
        planted[0].path
    );
    assert!(
        fs::symlink_metadata(out.join("0x0.tar/y.extract"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn parent_folders_count_against_the_entry_quota() {
    let dir = tempfile::tempdir().unwrap();
    let deep: String = (0..60).map(|i| format!("d{i}/")).collect::<String>();
    let names: Vec<String> = (0..3).map(|i| format!("{i}/{deep}f")).collect();
    let entries: Vec<(&str, u8, &str, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), b'0', "", &b"x"[..]))
        .collect();
    // GNU long names are not needed: keep each name under 100 bytes by nesting less.
    let short: Vec<(&str, u8, &str, &[u8])> = entries
        .iter()
        .map(|(n, k, l, d)| (&n[..n.len().min(99)], *k, *l, *d))
        .collect();
    let p = dir.path().join("deep.tar");
    fs::write(&p, tar(&short)).unwrap();
    let limits = Limits {
        max_files: 40,
        ..Default::default()
    };
    let r = unpack(&p, &dir.path().join("out"), &limits, None).unwrap();
    assert!(
        r.errors.iter().any(|e| e.quota == Some(QuotaKind::Files)),
        "{:?}",
        r.errors
    );
}

#[test]
fn an_entry_over_an_existing_folder_is_skipped_and_the_rest_extracted() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("clash.tar");
    fs::write(
        &p,
        tar(&[
            ("x/", b'5', "", b""),
            ("x/in", b'0', "", b"inside"),
            ("x", b'0', "", b"clash"),
            ("x", b'2', "y", b""),
            ("after", b'0', "", b"ok"),
        ]),
    )
    .unwrap();
    let r = unpack(&p, &dir.path().join("out"), &Limits::default(), None).unwrap();
    assert!(
        r.files.iter().any(|f| f.fs_path == "/after"),
        "{:?}",
        r.errors
    );
    assert!(r.files.iter().any(|f| f.fs_path == "/x/in"));
    assert!(
        r.warnings.iter().any(|w| w.contains("already a directory")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn setuid_is_recorded_not_granted() {
    let dir = tempfile::tempdir().unwrap();
    let mut img = tar_header_mode("su", b'0', "", 4, 0o4777).to_vec();
    img.extend_from_slice(b"abcd");
    img.resize(1024, 0);
    img.extend_from_slice(&[0u8; 1024]);
    let p = dir.path().join("suid.tar");
    fs::write(&p, img).unwrap();
    let out = dir.path().join("out");
    let r = unpack(&p, &out, &Limits::default(), None).unwrap();
    let rec = r.files.iter().find(|f| f.fs_path == "/su").unwrap();
    assert_eq!(rec.mode & 0o7777, 0o4777);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let m = fs::metadata(out.join(&rec.path))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777;
        assert_eq!(
            m & 0o6022,
            0,
            "no setuid/setgid or group/world write on disk: {m:o}"
        );
    }
}

/// A file that starts with a tiny valid container and goes on with other bytes is not
/// flagged `unpacked`, so its tail is still inspected.
#[test]
fn a_container_prefix_does_not_hide_the_rest_of_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut rcs = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b"x".repeat(64).as_slice()).unwrap();
        e.finish().unwrap()
    };
    rcs.extend_from_slice(b"\n/usr/sbin/telnetd -l /bin/sh &\n");
    let whole = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b"y".repeat(64).as_slice()).unwrap();
        e.finish().unwrap()
    };
    let p = dir.path().join("fs.tar");
    fs::write(
        &p,
        tar(&[("etc/rcS", b'0', "", &rcs), ("data.gz", b'0', "", &whole)]),
    )
    .unwrap();
    let r = unpack(&p, &dir.path().join("out"), &Limits::default(), None).unwrap();
    let f = r.files.iter().find(|f| f.fs_path == "/etc/rcS").unwrap();
    assert!(!f.unpacked, "prefix-only container must stay inspected");
    let g = r.files.iter().find(|f| f.fs_path == "/data.gz").unwrap();
    assert!(g.unpacked, "a whole-file container is flagged");
}

/// Headers whose probe must checksum the whole claimed payload, packed every 64
/// bytes and each claiming the rest of the input: without a bound on the CPU time
/// spent rejecting candidates this costs candidates x size (here about 65,000 CRCs of
/// 2 MiB on average). The format is given up on with a warning, and a valid archive
/// after the flood is still extracted.
#[test]
fn checksum_probe_flood_is_bounded_and_the_rest_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let flood = 4usize << 20;
    let mut img = vec![0u8; flood];
    for at in (0..flood).step_by(64) {
        // Broadcom SAO object header: magic, the data size twice (big-endian), and a
        // data CRC at 0x34 that never matches.
        let size = u32::try_from(flood - at - 64).unwrap();
        img[at..at + 4].copy_from_slice(b"SOBJ");
        img[at + 16..at + 20].copy_from_slice(&size.to_be_bytes());
        img[at + 20..at + 24].copy_from_slice(&size.to_be_bytes());
        img[at + 0x34..at + 0x38].copy_from_slice(&0x1234_5678u32.to_be_bytes());
    }
    img.extend_from_slice(&tar(&[("after.txt", b'0', "", b"still analysed")]));
    let p = dir.path().join("flood.bin");
    fs::write(&p, &img).unwrap();
    let out = dir.path().join("out");
    let r = unpack(&p, &out, &Limits::default(), None).unwrap();
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("broadcom_sao candidates rejected") && w.contains("not examined")),
        "{:?}",
        r.warnings
    );
    assert!(
        r.files
            .iter()
            .any(|f| f.path.ends_with("after.txt") && f.size == 14),
        "{:?}",
        r.files.iter().map(|f| &f.path).collect::<Vec<_>>()
    );
}
