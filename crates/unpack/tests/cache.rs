//! The extraction cache gives what a fresh extraction gives: on every corpus image, and
//! on a variant of it (another trailer, so another SHA-256, the same file systems) whose
//! extractions come from the cache, the listing and the files on disk are the same.

mod common;

use std::path::Path;

use baseliner_unpack::cache::Cache;
use baseliner_unpack::{Limits, Report, unpack, unpack_cached};
use sha2::{Digest, Sha256};

/// Everything of a listing that does not depend on where it was written, with each
/// file's contents hashed from disk.
fn view(r: &Report, trailer_regions: bool) -> Vec<String> {
    let mut v = vec![];
    for h in &r.formats {
        v.push(format!(
            "format {} {} 0x{:x} {:?} {} {:?} {}",
            h.file, h.provenance, h.offset, h.length, h.format, h.extracted_to, h.entries
        ));
    }
    for f in &r.files {
        let disk = r.output_dir.join(&f.path);
        let content = match f.kind {
            baseliner_unpack::EntryKind::File => std::fs::read(&disk)
                .map(|d| hex::encode(Sha256::digest(d)))
                .unwrap_or_else(|e| format!("unreadable: {e}")),
            _ => String::new(),
        };
        v.push(format!(
            "file {} {} {:?} {} {:o} {:?} {} {:?} {} {content}",
            f.path.display(),
            f.fs_path,
            f.kind,
            f.size,
            f.mode,
            f.sha256,
            f.provenance,
            f.link_target,
            f.unpacked
        ));
    }
    for e in &r.errors {
        v.push(format!(
            "error {} 0x{:x} {} {}",
            e.file, e.offset, e.format, e.reason
        ));
    }
    for g in &r.unknown_regions {
        // A trailer appended to the image is one more region of the image itself.
        if trailer_regions && g.file.is_empty() {
            continue;
        }
        v.push(format!(
            "region {} 0x{:x} {} {:?}",
            g.file, g.offset, g.length, g.class
        ));
    }
    let mut w = r.warnings.clone();
    w.sort();
    v.extend(w.into_iter().map(|w| format!("warning {w}")));
    v.sort();
    v
}

fn run(image: &Path, out: &Path, cache: Option<&Cache>) -> Report {
    unpack_cached(image, out, &Limits::default(), None, cache).unwrap()
}

#[test]
fn cached_extractions_equal_fresh_ones_on_every_corpus_image() {
    let Some(fw) = baseliner_testkit::corpus_file("firmware") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::open(&tmp.path().join("cache")).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&fw)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut hits = 0;
    for (i, img) in names.iter().enumerate() {
        let name = img.file_name().unwrap();
        let fresh = unpack(
            img,
            &tmp.path().join(format!("fresh{i}")),
            &Limits::default(),
            None,
        )
        .unwrap();
        // First time through the cache: it fills, and changes nothing.
        let filled = run(img, &tmp.path().join(format!("fill{i}")), Some(&cache));
        assert_eq!(
            view(&filled, false),
            view(&fresh, false),
            "{}",
            img.display()
        );
        // A variant: the same bytes with a trailer, under the same file name.
        let vdir = tmp.path().join(format!("variant{i}"));
        std::fs::create_dir_all(&vdir).unwrap();
        let variant = vdir.join(name);
        let mut data = std::fs::read(img).unwrap();
        data.extend_from_slice(&Sha256::digest(name.as_encoded_bytes()));
        std::fs::write(&variant, &data).unwrap();
        let entries_before = std::fs::read_dir(tmp.path().join("cache")).unwrap().count();
        let replayed = run(
            &variant,
            &tmp.path().join(format!("replay{i}")),
            Some(&cache),
        );
        let entries_after = std::fs::read_dir(tmp.path().join("cache")).unwrap().count();
        assert_eq!(
            view(&replayed, true),
            view(&fresh, true),
            "{} from the cache",
            img.display()
        );
        if entries_after == entries_before && !fresh.formats.is_empty() {
            hits += 1;
        }
    }
    // Most images hold a chunk of known length or an extracted file the cache serves.
    assert!(hits >= 8, "only {hits} images were served from the cache");
    // Compressed streams of unknown length (the LZMA kernels, the RouterOS container)
    // are found again through their first bytes.
    let streams = std::fs::read_dir(tmp.path().join("cache/blob-stream-len"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert!(streams > 0, "no stream was keyed by its first bytes");
}

#[test]
fn a_cache_hit_still_counts_against_the_quotas() {
    let Some(img) = common::fixture("firmware/tplink-wr841nv10-3.16.9.bin") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::open(&tmp.path().join("cache")).unwrap();
    run(&img, &tmp.path().join("a"), Some(&cache));
    let tight = Limits {
        max_files: 50,
        ..Default::default()
    };
    let r = unpack_cached(&img, &tmp.path().join("b"), &tight, None, Some(&cache)).unwrap();
    assert!(
        r.errors
            .iter()
            .any(|e| e.quota == Some(baseliner_unpack::QuotaKind::Files)),
        "{:?}",
        r.errors
    );
    assert!(r.files.len() <= 60, "{} entries", r.files.len());
}

#[test]
fn blobs_round_trip_and_keys_cannot_leave_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = baseliner_unpack::cache::Cache::open(&dir.path().join("c")).unwrap();
    let key = "ab".repeat(32);
    assert_eq!(cache.get_blob("ns", &key), None);
    cache.put_blob("ns", &key, b"one");
    assert_eq!(cache.get_blob("ns", &key).as_deref(), Some(&b"one"[..]));
    // The first value stays (another worker's equal result is not rewritten).
    cache.put_blob("ns", &key, b"two");
    assert_eq!(cache.get_blob("ns", &key).as_deref(), Some(&b"one"[..]));
    let long = "k".repeat(200);
    for bad in ["../../escape", "a/b", "", "..", "a\0b", &long] {
        cache.put_blob("ns", bad, b"x");
        assert_eq!(cache.get_blob("ns", bad), None, "{bad:?}");
        cache.put_blob(bad, &key, b"x");
        assert_eq!(cache.get_blob(bad, &key), None, "{bad:?}");
    }
    // A key must be long enough to name its sub-folder.
    cache.put_blob("ns", "x", b"x");
    assert_eq!(cache.get_blob("ns", "x"), None);
    // Nothing was written outside the cache folder.
    let outside: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(outside, vec![std::ffi::OsString::from("c")]);
}
