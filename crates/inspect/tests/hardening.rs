//! Binary hardening against the `Hallo*` builds, whose names say which protection each has.

mod common;

use baseliner_inspect::checks::hardening::{ElfKind, analyze_elf};
use baseliner_inspect::{Relro, inspect};
use common::*;

#[test]
fn hallo_builds_match_their_names() {
    let Some(c) = corpus() else { return };
    let elf = |n: &str| analyze_elf(&std::fs::read(c.join("elf").join(n)).unwrap()).unwrap();
    let base = elf("Hallo.out");
    assert_eq!(base.arch, "X86_64");
    assert_eq!((base.bits, base.big_endian), (64, false));
    assert_eq!(base.kind, ElfKind::Executable);
    assert!(base.nx && base.pie && !base.canary && !base.stripped);
    assert_eq!(base.relro, Relro::Full);
    assert!(base.rpath.is_empty() && base.runpath.is_empty());

    assert!(elf("Hallo_Canary").canary);
    let no_pie = elf("Hallo_no_pie");
    assert!(!no_pie.pie);
    assert_eq!(no_pie.relro, Relro::Partial);
    assert_eq!(elf("Hallo_rpath").rpath, vec!["/some/path".to_string()]);
    assert_eq!(elf("Hallo_runpath").runpath, vec!["/some/path".to_string()]);
    assert!(elf("Hallo_stripped").stripped);
    assert_eq!(elf("Hallo.so").kind, ElfKind::Library);
    assert_eq!(elf("Hallo.o").kind, ElfKind::Object);
    // No FORTIFY claimed where nothing imports a __*_chk function.
    assert_eq!(base.fortified, 0);

    let mips = elf("dvrf_gdbserver_mips_be");
    assert!(mips.big_endian && mips.bits == 32 && mips.arch == "MIPS");
    let mipsel = elf("dvrf_gdbserver_mips_le");
    assert!(!mipsel.big_endian);
}

#[test]
fn summary_gives_shares() {
    let Some(c) = corpus() else { return };
    let files: Vec<_> = std::fs::read_dir(c.join("elf"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| {
            (
                e.path(),
                format!("/bin/{}", e.file_name().to_string_lossy()),
            )
        })
        .collect();
    let files: Vec<_> = files.iter().map(|(p, f)| (p.clone(), f.as_str())).collect();
    let ins = inspect(&tree_of(&files));
    let h = ins.summary.hardening.as_ref().unwrap();
    assert!(h.binaries >= 10, "{h:#?}");
    assert!(h.canary >= 1 && h.pie >= 1 && h.share_nx > 0.0);
    assert!(ins.with_code("HARD-006").count() == 1);
    // Hallo_no_pie is one of the executables without PIE.
    let nopie = ins.with_code("HARD-002").next().unwrap();
    assert!(nopie.evidence.iter().any(|e| e.path == "/bin/Hallo_no_pie"));
    assert!(!nopie.evidence.iter().any(|e| e.path == "/bin/Hallo.out"));
    // gdbserver shipped is a debug tool.
    assert!(ins.with_code("SVC-008").count() == 0 || ins.with_code("SVC-008").next().is_some());
}
