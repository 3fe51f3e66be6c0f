//! Helpers shared by the integration tests (each test file uses a subset).
#![allow(dead_code, unused_imports)]

use std::path::Path;

use baseliner_unpack::{FormatHit, Limits, Report, unpack};

use sha2::{Digest, Sha256};

pub use baseliner_testkit::corpus;
pub use baseliner_testkit::corpus_bytes as fixture_bytes;
pub use baseliner_testkit::corpus_file as fixture;
pub use baseliner_testkit::sweep::{cuts, flips};

pub fn sha(d: &[u8]) -> String {
    hex::encode(Sha256::digest(d))
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
