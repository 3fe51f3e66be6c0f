//! Helpers shared by the integration tests (each test file uses a subset).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use baseliner_unpack::{FormatHit, Limits, Report, unpack};

use sha2::{Digest, Sha256};

/// The third-party corpus beside the project, or `None` (with a message) when this
/// clone does not have it: real vendor firmware is not redistributable.
pub fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "skipping: corpus folder {} is absent (real firmware is not redistributable)",
            p.display()
        );
        None
    }
}

/// The bytes of one corpus file, or `None` (with a message) when it is absent.
pub fn fixture_bytes(rel: &str) -> Option<Vec<u8>> {
    let p = corpus()?.join(rel);
    match std::fs::read(&p) {
        Ok(d) => Some(d),
        Err(_) => {
            eprintln!("skipping: corpus file {} is absent", p.display());
            None
        }
    }
}

pub fn sha(d: &[u8]) -> String {
    hex::encode(Sha256::digest(d))
}

/// The path of one corpus file, or `None` (with a message) when it is absent.
pub fn fixture(rel: &str) -> Option<PathBuf> {
    let p = corpus()?.join(rel);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("skipping: corpus file {} is absent", p.display());
        None
    }
}

/// Unpacks `image` with the default limits into a fresh folder.
pub fn run(image: &Path) -> (tempfile::TempDir, Report) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = unpack(image, &out, &Limits::default(), None).unwrap();
    (dir, r)
}

/// Unpacks `data`, written to a file first, with the default limits.
pub fn run_bytes(data: &[u8]) -> (tempfile::TempDir, Report) {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("image.bin");
    std::fs::write(&img, data).unwrap();
    let out = dir.path().join("out");
    let r = unpack(&img, &out, &Limits::default(), None).unwrap();
    (dir, r)
}

/// The top-level hit of `format` at `offset` in the image itself.
pub fn hit<'a>(r: &'a Report, offset: u64, format: &str) -> &'a FormatHit {
    r.formats
        .iter()
        .find(|h| h.file.is_empty() && h.offset == offset && h.format == format)
        .unwrap_or_else(|| panic!("no {format} at 0x{offset:x}; found {:#?}", r.formats))
}
