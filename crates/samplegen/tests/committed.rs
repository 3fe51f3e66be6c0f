//! The committed sample must be what the generator builds, so nobody has to trust an
//! opaque binary in the repository. The gzip bytes depend on which deflate backend
//! the build links (feature unification can change it), so the test compares the
//! header and the decompressed root file system, not the compressed bytes.

use std::io::Read;

#[test]
fn committed_sample_is_reproducible() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples/router-fw.bin");
    let committed = std::fs::read(path).expect("samples/router-fw.bin is committed");
    let fresh = baseliner_samplegen::image();
    let hint = "samples/router-fw.bin differs from the generator: run `cargo run -p baseliner-samplegen -- samples/router-fw.bin`";
    assert_eq!(committed.len() % 65536, 0, "{hint}");
    // Header fields other than the size and the two CRCs.
    assert_eq!(committed[..4], fresh[..4], "{hint}");
    assert_eq!(committed[8..12], fresh[8..12], "{hint}");
    assert_eq!(committed[16..24], fresh[16..24], "{hint}");
    assert_eq!(committed[28..64], fresh[28..64], "{hint}");
    let size = u32::from_be_bytes(committed[12..16].try_into().unwrap()) as usize;
    let payload = &committed[64..64 + size];
    assert_eq!(
        u32::from_be_bytes(committed[24..28].try_into().unwrap()),
        crc32fast::hash(payload),
        "data CRC"
    );
    let mut cpio = Vec::new();
    flate2::read::GzDecoder::new(payload)
        .read_to_end(&mut cpio)
        .unwrap();
    assert!(cpio == baseliner_samplegen::cpio(), "{hint}");
    assert!(committed[64 + size..].iter().all(|&b| b == 0xff), "padding");
}
