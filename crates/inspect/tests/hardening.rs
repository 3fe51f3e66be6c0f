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

#[test]
fn hostile_elf_and_der_inputs_do_not_panic() {
    // Truncations and bit flips of a real ELF, and random bytes behind an ELF magic.
    let Some(c) = corpus() else { return };
    let data = std::fs::read(c.join("elf/Hallo.out")).unwrap();
    for cut in (0..data.len()).step_by(97) {
        let _ = analyze_elf(&data[..cut]);
    }
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..300 {
        let mut d = data.clone();
        for _ in 0..8 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed as usize) % d.len();
            d[i] ^= (seed >> 32) as u8;
        }
        let _ = analyze_elf(&d);
    }
    let (_dir, tree) = tree_from(&[
        (
            "etc/a.der",
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01][..],
        ),
        (
            "etc/b.pem",
            b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
        ),
        (
            "etc/shadow",
            b"root:$2b$99$xxxxxxxxxxxxxxxxxxxxxx\n:::\n\xff\xfe\n",
        ),
        ("bin/x", b"\x7fELF\x02\x01\x01"),
    ]);
    let ins = inspect(&tree);
    assert!(
        ins.with_code("CRYPTO-001").next().is_none(),
        "{:#?}",
        ins.findings
    );
}
