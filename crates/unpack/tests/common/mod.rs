//! Helpers shared by the integration tests (each test file uses a subset).
#![allow(dead_code)]

use std::path::PathBuf;

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
