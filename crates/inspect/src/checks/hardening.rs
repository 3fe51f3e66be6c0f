//! Binary hardening: checksec-style facts for every ELF file (architecture,
//! endianness, NX, PIE, RELRO, canary, FORTIFY, RPATH/RUNPATH, stripped), findings
//! for the missing protections, and the share of binaries with each.

use baseliner_model::Evidence;
use baseliner_model::{Code, Confidence};
use goblin::elf::Elf;
use goblin::elf::dynamic::{DF_1_NOW, DF_1_PIE, DF_BIND_NOW, DT_BIND_NOW};
use goblin::elf::header::{ET_DYN, ET_EXEC, ET_REL, machine_to_str};
use goblin::elf::program_header::{PF_X, PT_GNU_RELRO, PT_GNU_STACK, PT_INTERP, PT_LOAD};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::codes::finding;
use crate::context::Context;
use crate::{Check, CheckOutput, Family};

pub struct Hardening;

const MAX_EVIDENCE: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Relro {
    None,
    Partial,
    Full,
}

/// What kind of object an ELF file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElfKind {
    Executable,
    Library,
    Object,
    Other,
}

/// Hardening facts of one ELF file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElfInfo {
    pub arch: String,
    pub bits: u8,
    pub big_endian: bool,
    pub kind: ElfKind,
    pub nx: bool,
    pub pie: bool,
    pub relro: Relro,
    pub canary: bool,
    /// Imported `__*_chk` functions: FORTIFY is only claimed when the binary calls
    /// them, never because libc itself defines them.
    pub fortified: u32,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    pub stripped: bool,
    pub static_linked: bool,
    /// Bytes of executable segments: a few hundred means a stub (glibc's libdl and
    /// libpthread since 2.34, gconv table modules) with no function that could need a
    /// canary.
    #[serde(default)]
    pub code_bytes: u64,
    /// The dynamic loader (`ld-linux*.so`, `ld-uClibc`, `ld64.so`): it sets up the
    /// stack guard itself and its protected functions use it internally, so no
    /// stack-protector symbol shows.
    #[serde(default)]
    pub loader: bool,
}

/// Below this much executable code a file is a stub or a data module: no canary
/// verdict is drawn from it (the smallest real library seen, libBrokenLocale, has 409).
const STUB_CODE: u64 = 1024;

/// Analyses one ELF file; `None` when it is not a parseable ELF.
pub fn analyze_elf(data: &[u8]) -> Option<ElfInfo> {
    if !data.starts_with(b"\x7fELF") {
        return None;
    }
    // goblin validates offsets itself; a panic on some unforeseen shape is still
    // contained so that one hostile file cannot stop the inspection.
    let elf = std::panic::catch_unwind(|| Elf::parse(data).ok())
        .ok()
        .flatten()?;
    let ph = &elf.program_headers;
    let has_interp = ph.iter().any(|p| p.p_type == PT_INTERP);
    let flags_1 = elf.dynamic.as_ref().map_or(0, |d| d.info.flags_1);
    let flags = elf.dynamic.as_ref().map_or(0, |d| d.info.flags);
    let bind_now_tag = elf
        .dynamic
        .as_ref()
        .is_some_and(|d| d.dyns.iter().any(|x| x.d_tag == DT_BIND_NOW));
    let kind = match elf.header.e_type {
        ET_EXEC => ElfKind::Executable,
        // A PIE executable has an interpreter and no soname; some C libraries
        // (uClibc) carry PT_INTERP too but name themselves with DT_SONAME.
        ET_DYN if flags_1 & DF_1_PIE != 0 || has_interp && elf.soname.is_none() => {
            ElfKind::Executable
        }
        ET_DYN => ElfKind::Library,
        ET_REL => ElfKind::Object,
        _ => ElfKind::Other,
    };
    let nx = ph
        .iter()
        .find(|p| p.p_type == PT_GNU_STACK)
        .is_some_and(|p| p.p_flags & PF_X == 0);
    let relro = if ph.iter().any(|p| p.p_type == PT_GNU_RELRO) {
        if flags & DF_BIND_NOW != 0 || flags_1 & DF_1_NOW != 0 || bind_now_tag {
            Relro::Full
        } else {
            Relro::Partial
        }
    } else {
        Relro::None
    };
    let mut canary = false;
    let mut fortified = 0u32;
    let mut scan = |name: &str, undefined: bool| {
        if name.starts_with("__stack_chk_fail")
            || name == "__stack_chk_guard"
            || name == "__intel_security_cookie"
        {
            canary = true;
        } else if undefined && name.starts_with("__") && name.ends_with("_chk") {
            fortified += 1;
        }
    };
    for s in elf.dynsyms.iter() {
        if let Some(n) = elf.dynstrtab.get_at(s.st_name) {
            scan(n, s.st_shndx == 0);
        }
    }
    for s in elf.syms.iter() {
        if let Some(n) = elf.strtab.get_at(s.st_name) {
            // In a static or unstripped binary a local definition of the canary
            // symbols still shows the protector was linked in.
            scan(n, s.st_shndx == 0);
        }
    }
    let code_bytes = ph
        .iter()
        .filter(|p| p.p_type == PT_LOAD && p.p_flags & PF_X != 0)
        .map(|p| p.p_filesz)
        .fold(0u64, u64::saturating_add);
    let loader = elf.header.e_type == ET_DYN
        && !has_interp
        && elf.soname.is_some_and(|n| {
            n.starts_with("ld-") || n.starts_with("ld.so") || n.starts_with("ld64.so")
        });
    let has_symtab = elf
        .section_headers
        .iter()
        .any(|s| s.sh_type == goblin::elf::section_header::SHT_SYMTAB);
    Some(ElfInfo {
        arch: machine_to_str(elf.header.e_machine).to_string(),
        bits: if elf.is_64 { 64 } else { 32 },
        big_endian: !elf.little_endian,
        kind,
        nx,
        pie: elf.header.e_type == ET_DYN && kind == ElfKind::Executable,
        relro,
        canary,
        fortified,
        rpath: elf.rpaths.iter().map(|s| s.to_string()).collect(),
        runpath: elf.runpaths.iter().map(|s| s.to_string()).collect(),
        stripped: !has_symtab,
        static_linked: !has_interp && elf.dynamic.is_none() && kind == ElfKind::Executable,
        code_bytes,
        loader,
    })
}

/// Share of binaries with each protection.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HardeningSummary {
    /// Executables and shared libraries analysed (objects and kernel modules excluded).
    pub binaries: u64,
    pub executables: u64,
    pub libraries: u64,
    /// Architectures seen, such as `MIPS 32-bit big-endian`, with counts.
    pub architectures: std::collections::BTreeMap<String, u64>,
    pub nx: u64,
    /// Counted over executables only.
    pub pie: u64,
    pub relro_full: u64,
    pub relro_partial: u64,
    pub canary: u64,
    pub fortify: u64,
    pub stripped: u64,
    pub rpath_or_runpath: u64,
    /// Percentages (0-100) of `binaries` (PIE: of `executables`).
    pub share_nx: f64,
    pub share_pie: f64,
    pub share_relro: f64,
    pub share_canary: f64,
    pub share_fortify: f64,
    pub share_stripped: f64,
}

fn pct(n: u64, d: u64) -> f64 {
    // Shares with one decimal, so the summary reads as a percentage.
    if d == 0 {
        0.0
    } else {
        ((n as f64 * 1000.0 / d as f64).round()) / 10.0
    }
}

fn insecure_path(p: &str) -> bool {
    p.split(':').any(|d| {
        d.is_empty()
            || d == "."
            || d.starts_with("./")
            || d.starts_with("../")
            || d.starts_with("/tmp")
            || d.starts_with("/var/tmp")
            || d.starts_with("/mnt")
            || d.starts_with("/media")
            || (d.starts_with("$ORIGIN") && d.contains(".."))
            || !d.starts_with('/') && !d.starts_with("$ORIGIN")
    })
}

impl Check for Hardening {
    fn name(&self) -> &'static str {
        "hardening"
    }
    fn family(&self) -> Family {
        Family::Hardening
    }
    fn run(&self, ctx: &Context) -> CheckOutput {
        let infos: Vec<(usize, ElfInfo)> = ctx
            .tree
            .files()
            .collect::<Vec<_>>()
            .par_iter()
            .filter_map(|(i, _)| analyze_elf(ctx.data(*i)).map(|x| (*i, x)))
            .collect();
        let mut s = HardeningSummary::default();
        let mut ev: [Vec<Evidence>; 5] = Default::default();
        let mut counts = [0u64; 5];
        for (i, x) in &infos {
            if !matches!(x.kind, ElfKind::Executable | ElfKind::Library) {
                continue;
            }
            // Kernel modules and the kernel itself are not user-space programs: they have
            // no PT_GNU_STACK or loader, and their protections are kernel options.
            let is_kernel = ctx.entry(*i).is_some_and(|e| {
                e.name().ends_with(".ko")
                    || e.name().starts_with("vmlinu")
                    || e.provenance.contains(":linux_kernel:")
            });
            if is_kernel {
                continue;
            }
            s.binaries += 1;
            *s.architectures
                .entry(format!(
                    "{} {}-bit {}",
                    x.arch,
                    x.bits,
                    if x.big_endian {
                        "big-endian"
                    } else {
                        "little-endian"
                    }
                ))
                .or_default() += 1;
            let exe = x.kind == ElfKind::Executable;
            if exe {
                s.executables += 1
            } else {
                s.libraries += 1
            }
            s.nx += x.nx as u64;
            s.pie += (exe && x.pie) as u64;
            s.relro_full += (x.relro == Relro::Full) as u64;
            s.relro_partial += (x.relro == Relro::Partial) as u64;
            s.canary += x.canary as u64;
            s.fortify += (x.fortified > 0) as u64;
            s.stripped += x.stripped as u64;
            let paths: Vec<&String> = x.rpath.iter().chain(x.runpath.iter()).collect();
            s.rpath_or_runpath += (!paths.is_empty()) as u64;
            let misses = [
                !x.nx,
                exe && !x.pie && !x.static_linked,
                x.relro == Relro::None && !x.static_linked,
                // No verdict on stubs, data modules or the loader (see ElfInfo).
                !x.canary && !x.loader && x.code_bytes >= STUB_CODE,
                paths.iter().any(|p| insecure_path(p)),
            ];
            for (k, miss) in misses.iter().enumerate() {
                if *miss {
                    counts[k] += 1;
                    if ev[k].len() < MAX_EVIDENCE {
                        let excerpt = if k == 4 {
                            Some(format!(
                                "RPATH/RUNPATH {}",
                                paths
                                    .iter()
                                    .map(|p| p.as_str())
                                    .collect::<Vec<_>>()
                                    .join(":")
                            ))
                        } else {
                            None
                        };
                        ev[k].push(ctx.evidence(*i, None, excerpt));
                    }
                }
            }
        }
        s.share_nx = pct(s.nx, s.binaries);
        s.share_pie = pct(s.pie, s.executables);
        s.share_relro = pct(s.relro_full + s.relro_partial, s.binaries);
        s.share_canary = pct(s.canary, s.binaries);
        s.share_fortify = pct(s.fortify, s.binaries);
        s.share_stripped = pct(s.stripped, s.binaries);
        let mut out = CheckOutput::default();
        let codes = [
            Code::Hard001,
            Code::Hard002,
            Code::Hard003,
            Code::Hard004,
            Code::Hard005,
        ];
        let what = [
            "without NX",
            "executables without PIE",
            "without RELRO",
            "without a stack canary",
            "with an insecure RPATH/RUNPATH",
        ];
        for (k, evs) in ev.into_iter().enumerate() {
            if counts[k] > 0 {
                let of = if k == 1 { s.executables } else { s.binaries };
                let f = finding(
                    codes[k],
                    format!("{} of {of} ELF binaries {}", counts[k], what[k]),
                    evs,
                );
                // The compiler protects only functions with buffers or taken addresses
                // (-fstack-protector-strong): a binary none of whose functions needs it
                // imports no protector symbol although it was built with one.
                out.findings.push(if codes[k] == Code::Hard004 {
                    f.with_confidence(
                        Confidence::Likely,
                        "no stack-protector symbol is imported; a binary with no function that needs a canary imports none either",
                    )
                } else {
                    f
                });
            }
        }
        if s.binaries > 0 {
            out.findings.push(finding(
                Code::Hard006,
                format!(
                    "{} binaries: NX {}%, PIE {}% of executables, RELRO {}% ({} full), canary {}%, FORTIFY {}%, stripped {}%",
                    s.binaries, s.share_nx, s.share_pie, s.share_relro, s.relro_full, s.share_canary, s.share_fortify, s.share_stripped
                ),
                Vec::new(),
            ));
        }
        out.hardening = Some(s);
        out
    }
}
