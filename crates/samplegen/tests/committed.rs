//! The committed sample must be exactly what the generator builds, so nobody has to
//! trust an opaque binary in the repository.

#[test]
fn committed_sample_is_reproducible() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/router-fw.bin");
    let committed = std::fs::read(path).expect("samples/router-fw.bin is committed");
    assert!(
        committed == baseliner_samplegen::image(),
        "samples/router-fw.bin differs from the generator: run `cargo run -p baseliner-samplegen -- samples/router-fw.bin`"
    );
}
