//! Shared body of the fuzz targets.

use baseliner_unpack::Limits;

fn limits() -> Limits {
    Limits {
        max_total_bytes: 64 << 20,
        max_files: 2000,
        max_file_bytes: 16 << 20,
        max_depth: 3,
        max_ratio: 1000,
        ratio_floor: 1 << 20,
    }
}

/// One format on its own.
pub fn run(format: &str, data: &[u8]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let _ = baseliner_unpack::extract_one(format, data, dir.path(), &limits());
}

/// The whole driver on a file holding `data`.
pub fn run_all(data: &[u8]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let img = dir.path().join("img");
    std::fs::write(&img, data).expect("write input");
    let _ = baseliner_unpack::unpack(&img, &dir.path().join("out"), &limits(), None);
}
