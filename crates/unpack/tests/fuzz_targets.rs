//! Every format has a fuzz target: the targets, their `[[bin]]` rows in
//! `fuzz/Cargo.toml` and the list `fuzz/run-all.sh` runs (read from that file) are
//! generated from `formats::all()`. `BASELINER_BLESS=1` writes what is missing.

use std::collections::BTreeSet;
use std::path::Path;

fn fuzz_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fuzz"))
}

/// The target's name: the format's, spelled as a Rust identifier (`7z` is `sevenz`).
fn target_name(format: &str) -> String {
    match format {
        "7z" => "sevenz".into(),
        f => f.replace('-', "_"),
    }
}

fn target_source(format: &str) -> String {
    format!(
        "#![no_main]\n//! Fuzzes the {format} extractor alone: probe, then extract into a throwaway folder\n//! under tight quotas. Any panic, hang or escape is a bug.\nuse libfuzzer_sys::fuzz_target;\n\nfuzz_target!(|data: &[u8]| {{\n    baseliner_fuzz::run(\"{format}\", data);\n}});\n"
    )
}

fn bin_row(name: &str) -> String {
    format!(
        "\n[[bin]]\nname = \"{name}\"\npath = \"fuzz_targets/{name}.rs\"\ntest = false\ndoc = false\nbench = false\n"
    )
}

#[test]
fn every_format_has_a_fuzz_target_and_every_target_a_format() {
    let bless = std::env::var_os("BASELINER_BLESS").is_some();
    let formats: BTreeSet<(String, &str)> = baseliner_unpack::formats::all()
        .iter()
        .map(|f| (target_name(f.name()), f.name()))
        .collect();
    let manifest_path = fuzz_dir().join("Cargo.toml");
    let mut manifest = std::fs::read_to_string(&manifest_path).unwrap();
    let bins: BTreeSet<String> = manifest
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter(|n| *n != "baseliner-fuzz")
        .map(str::to_string)
        .collect();
    let mut missing = vec![];
    for (name, format) in &formats {
        let src = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let ok = std::fs::read_to_string(&src)
            .is_ok_and(|s| s.contains(&format!("baseliner_fuzz::run(\"{format}\", data)")));
        if !ok {
            if bless {
                std::fs::write(&src, target_source(format)).unwrap();
            } else {
                missing.push(format!("fuzz/fuzz_targets/{name}.rs"));
            }
        }
        if !bins.contains(name) {
            if bless {
                manifest.push_str(&bin_row(name));
            } else {
                missing.push(format!("[[bin]] {name} in fuzz/Cargo.toml"));
            }
        }
    }
    if bless {
        std::fs::write(&manifest_path, &manifest).unwrap();
    }
    assert!(
        missing.is_empty(),
        "formats without a fuzz target (run with BASELINER_BLESS=1 to generate): {missing:?}"
    );
    // The whole-driver target is the one target that is not a format.
    let extra: Vec<&String> = bins
        .iter()
        .filter(|b| b.as_str() != "unpack" && !formats.iter().any(|(n, _)| n == *b))
        .collect();
    assert!(extra.is_empty(), "fuzz targets of no format: {extra:?}");
    assert!(
        bins.contains("unpack"),
        "the whole-driver target `unpack` is missing"
    );
    let run_all = std::fs::read_to_string(fuzz_dir().join("run-all.sh")).unwrap();
    assert!(
        run_all.contains("Cargo.toml"),
        "run-all.sh must read its default list from fuzz/Cargo.toml, not keep its own"
    );
}
