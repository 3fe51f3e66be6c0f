//! Test support for the workspace's tests: where the shared corpus is, how a test
//! skips, which external tools exist, and the damage sweeps hostile-input tests run.
//!
//! One rule runs through it: a test that cannot run here (no corpus, no tool, no
//! network namespace) says why and skips, except where `CI=true`, where it fails, so a
//! green CI run cannot hide a skipped test.

use std::path::{Path, PathBuf};

/// Whether this run is CI (`CI=true`), where skipping is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips the calling test with `reason`, or fails it under CI. Returns `None` so a
/// test can write `let Some(x) = ... else { return };` around it.
#[track_caller]
pub fn skip<T>(reason: impl std::fmt::Display) -> Option<T> {
    if in_ci() {
        panic!("CI=true, so this test may not skip: {reason}");
    }
    eprintln!("skipping: {reason}");
    None
}

/// The third-party corpus beside the project (`../shared/corpus`), or a skip: real
/// vendor firmware is not redistributable, so a stranger's clone does not have it.
#[track_caller]
pub fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        skip(format!(
            "corpus folder {} is absent (real firmware is not redistributable)",
            p.display()
        ))
    }
}

/// One file of the corpus, or a skip.
#[track_caller]
pub fn corpus_file(rel: &str) -> Option<PathBuf> {
    let p = corpus()?.join(rel);
    if p.exists() {
        Some(p)
    } else {
        skip(format!("corpus file {} is absent", p.display()))
    }
}

/// The bytes of one corpus file, or a skip.
#[track_caller]
pub fn corpus_bytes(rel: &str) -> Option<Vec<u8>> {
    let p = corpus_file(rel)?;
    match std::fs::read(&p) {
        Ok(d) => Some(d),
        Err(e) => skip(format!("corpus file {} cannot be read: {e}", p.display())),
    }
}

/// An external program on `PATH` (or at an absolute path), or a skip naming the
/// Debian package that provides it.
#[track_caller]
pub fn tool(name: &str, package: &str) -> Option<PathBuf> {
    match find_on_path(name) {
        Some(p) => Some(p),
        None => skip(format!(
            "{name} is not installed (apt-get install {package})"
        )),
    }
}

/// The program `name` on `PATH`, without skipping.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    let direct = Path::new(name);
    if direct.is_absolute() {
        return direct.is_file().then(|| direct.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Damage sweeps for hostile-input tests.
pub mod sweep {
    /// Every prefix of `d` shorter than `every_byte_to`, then every `step`-th one.
    pub fn cuts(d: &[u8], every_byte_to: usize, step: usize) -> impl Iterator<Item = Vec<u8>> + '_ {
        (0..every_byte_to.min(d.len()))
            .chain((every_byte_to..d.len()).step_by(step.max(1)))
            .map(|c| d[..c].to_vec())
    }

    /// `d` with one byte in `range` changed, three ways per byte (low bit, high bit,
    /// all bits).
    pub fn flips(d: &[u8], range: std::ops::Range<usize>) -> impl Iterator<Item = Vec<u8>> + '_ {
        range.flat_map(move |i| {
            [0x01u8, 0x80, 0xff].into_iter().filter_map(move |m| {
                let mut v = d.to_vec();
                *v.get_mut(i)? ^= m;
                Some(v)
            })
        })
    }
}

/// The clean Debian reference image (issue 10), built by `debref.sh` beside this file
/// into `out` from current Debian packages (cached outside the repository, see the
/// script): `out/image.squashfs`, its tree `out/root` and `out/packages.tsv` (package,
/// version). Skips (fails under CI) where the tools or the packages are not there.
#[track_caller]
pub fn debian_reference(out: &Path) -> Option<PathBuf> {
    for (t, pkg) in [
        ("apt-get", "apt"),
        ("dpkg-deb", "dpkg"),
        ("mksquashfs", "squashfs-tools"),
    ] {
        tool(t, pkg)?;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("debref.sh");
    match std::process::Command::new("bash")
        .arg(&script)
        .arg(out)
        .output()
    {
        Ok(o) if o.status.success() => Some(out.join("image.squashfs")),
        Ok(o) => skip(format!(
            "the Debian reference image could not be built ({}): {}",
            script.display(),
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Err(e) => skip(format!("cannot run {}: {e}", script.display())),
    }
}

/// Where Debian packages for tests are kept between runs, outside the repository:
/// `$DEBREF_CACHE`, else `/var/cache/baseliner-debref` where writable, else
/// `~/.cache/baseliner-debref` (the same folder `debref.sh` uses).
pub fn debian_cache() -> PathBuf {
    if let Some(d) = std::env::var_os("DEBREF_CACHE").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let sys = Path::new("/var/cache/baseliner-debref");
    if std::fs::create_dir_all(sys).is_ok() && tempfile_probe(sys) {
        return sys.to_path_buf();
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    home.join(".cache/baseliner-debref")
}

fn tempfile_probe(dir: &Path) -> bool {
    let p = dir.join(format!(".probe-{}", std::process::id()));
    let ok = std::fs::write(&p, b"").is_ok();
    let _ = std::fs::remove_file(&p);
    ok
}

/// One current Debian package unpacked into `out` (`dpkg-deb -x`), downloaded with
/// `apt-get download` into [`debian_cache`] when not there yet; returns its version.
/// Skips (fails under CI) where apt or the package is not available.
#[track_caller]
pub fn debian_package(name: &str, out: &Path) -> Option<String> {
    tool("apt-get", "apt")?;
    tool("dpkg-deb", "dpkg")?;
    let cache = debian_cache();
    if let Err(e) = std::fs::create_dir_all(&cache) {
        return skip(format!("cannot create {}: {e}", cache.display()));
    }
    let find = || {
        std::fs::read_dir(&cache)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{name}_")) && n.ends_with(".deb"))
            })
    };
    let deb = match find() {
        Some(d) => d,
        None => {
            let ok = std::process::Command::new("apt-get")
                .args(["download", "-q", name])
                .current_dir(&cache)
                .output()
                .is_ok_and(|o| o.status.success());
            match find() {
                Some(d) if ok => d,
                _ => {
                    return skip(format!(
                        "apt-get download {name} failed (network or apt lists)"
                    ));
                }
            }
        }
    };
    let run = |args: &[&std::ffi::OsStr]| {
        std::process::Command::new("dpkg-deb")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    run(&["-x".as_ref(), deb.as_os_str(), out.as_os_str()])?;
    let v = run(&["-f".as_ref(), deb.as_os_str(), "Version".as_ref()])?;
    Some(String::from_utf8_lossy(&v.stdout).trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_cover_what_they_say() {
        let d = [1u8, 2, 3, 4, 5];
        let c: Vec<Vec<u8>> = sweep::cuts(&d, 2, 2).collect();
        assert_eq!(c, vec![vec![], vec![1], vec![1, 2], vec![1, 2, 3, 4]]);
        assert_eq!(sweep::flips(&d, 0..2).count(), 6);
        assert_eq!(sweep::flips(&d, 4..9).count(), 3);
    }

    #[test]
    fn tools_are_found_on_path() {
        assert!(find_on_path("sh").is_some());
        assert!(find_on_path("surely-not-a-program-here").is_none());
    }
}
