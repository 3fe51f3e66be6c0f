//! Diagnostics: a candidate whose probe looked right but whose data did not decode and
//! gave nothing is a rejected candidate in the report (format, offset, reason), not an
//! error; a recognised format that failed stays an error.

use std::fs;

use baseliner_unpack::{Limits, Report, unpack};

fn run_bytes(data: &[u8]) -> (tempfile::TempDir, Report) {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("image.bin");
    fs::write(&img, data).unwrap();
    let r = unpack(&img, &dir.path().join("out"), &Limits::default(), None).unwrap();
    (dir, r)
}

/// x86-64 code comparing against `ZSTD_MAGICNUMBER`, as a zstd decoder inside a
/// kernel or a library is compiled: `mov eax, 0xFD2FB528; je +5; mov rax, [rbp-8];
/// jmp +3; xor rax, rax; ret`. The four magic bytes are followed by instruction bytes
/// that pass zstd's frame-header checks.
const CODE: &[u8] = &[
    0xb8, 0x28, 0xb5, 0x2f, 0xfd, 0x74, 0x05, 0x48, 0x8b, 0x45, 0xf8, 0xeb, 0x03, 0x48, 0x31, 0xc0,
    0xc3, 0x90, 0x90, 0x90, 0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xec, 0x20, 0x89, 0x7d, 0xec, 0x48,
    0x89, 0x75, 0xe0, 0x8b, 0x45, 0xec, 0x83, 0xc0, 0x01, 0x89, 0x45, 0xfc, 0xc9, 0xc3,
];

#[test]
fn a_false_zstd_magic_in_real_code_is_rejected_not_an_error() {
    let Some(elf) = baseliner_testkit::corpus_bytes("elf/Hallo.out") else {
        return;
    };
    // The real program, then the code holding the magic, then the program again.
    let mut d = elf.clone();
    let at = d.len() + 1;
    d.extend_from_slice(CODE);
    d.extend_from_slice(&elf);
    let (_dir, r) = run_bytes(&d);
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
    let z = r
        .rejected
        .iter()
        .find(|x| x.format == "zstd")
        .unwrap_or_else(|| panic!("the zstd candidate is recorded: {:#?}", r.rejected));
    assert_eq!(z.offset, at as u64);
    assert!(!z.reason.is_empty());
    // unpack.json carries it, under its own key.
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["rejected"][0]["format"], "zstd");
    assert_eq!(json["errors"].as_array().unwrap().len(), 0);
    // A report written before the field existed still reads.
    let mut old = json.clone();
    old.as_object_mut().unwrap().remove("rejected");
    let back: Report = serde_json::from_value(old).unwrap();
    assert!(back.rejected.is_empty());
}

#[test]
fn a_recognised_stream_that_fails_stays_an_error() {
    // A real zstd frame whose blocks are all there (so the probe walks it to its end)
    // but whose first block's contents are damaged: the user must know.
    let data: Vec<u8> = (0..400_000u32)
        .flat_map(|i| format!("line {i} of the log {}\n", i % 97).into_bytes())
        .collect();
    let z =
        ruzstd::encoding::compress_to_vec(&data[..], ruzstd::encoding::CompressionLevel::Fastest);
    let mut z = z;
    for b in z.iter_mut().skip(12).take(64) {
        *b ^= 0x5a;
    }
    let mut d = vec![0u8; 64];
    d.extend_from_slice(&z);
    let (_dir, r) = run_bytes(&d);
    assert!(
        r.errors
            .iter()
            .any(|e| e.format == "zstd" && e.offset == 64),
        "errors {:#?} rejected {:#?}",
        r.errors,
        r.rejected
    );
    assert!(r.rejected.iter().all(|x| x.format != "zstd"));
}
