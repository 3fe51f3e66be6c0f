//! What to assess: folders of images, or manifests naming images with product metadata.
//!
//! A manifest is UTF-8 text, one image per line: the path, then optional
//! tab-separated fields `vendor`, `model`, `version`, `release_date` (`YYYY-MM-DD`).
//! Blank lines and lines starting with `#` are ignored; a relative path is relative to
//! the manifest's folder.

use std::path::{Path, PathBuf};

use crate::Error;

/// One image to assess, with what the manifest says of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Job {
    pub path: PathBuf,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub version: Option<String>,
    pub release_date: Option<String>,
}

/// Files larger than this are not treated as manifests when given as an input.
const MAX_MANIFEST: u64 = 64 << 20;

fn field(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Parses a manifest's text; `base` resolves relative paths.
pub fn parse_manifest(text: &str, base: &Path, name: &str) -> Result<Vec<Job>, Error> {
    let mut jobs = vec![];
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let mut cols = line.split('\t');
        let path = cols.next().unwrap_or("").trim();
        let p = Path::new(path);
        let path = if p.is_absolute() {
            p.to_path_buf()
        } else {
            base.join(p)
        };
        let job = Job {
            path,
            vendor: field(cols.next()),
            model: field(cols.next()),
            version: field(cols.next()),
            release_date: field(cols.next()),
        };
        if let Some(d) = &job.release_date
            && baseliner_baseline::Date::parse(d).is_none()
        {
            return Err(Error::Manifest(format!(
                "{name}:{}: release date `{d}` is not YYYY-MM-DD",
                n + 1
            )));
        }
        jobs.push(job);
    }
    Ok(jobs)
}

/// Whether a file is a manifest: small UTF-8 text whose first non-comment line names a
/// file. Firmware images are binary, so the test is cheap and safe.
fn is_manifest(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if meta.len() > MAX_MANIFEST {
        return false;
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    matches!(ext, "txt" | "tsv" | "manifest" | "lst")
}

/// Every image named by `inputs`: folders are walked (recursively, without following
/// symlinks, sorted), manifests read, other files taken as images.
pub fn jobs(inputs: &[PathBuf]) -> Result<Vec<Job>, Error> {
    let mut out = vec![];
    for input in inputs {
        let meta = std::fs::symlink_metadata(input).map_err(|e| Error::Io {
            path: input.clone(),
            source: e,
        })?;
        if meta.is_dir() {
            walk(input, &mut out)?;
        } else if is_manifest(input) {
            let text = std::fs::read_to_string(input).map_err(|e| Error::Io {
                path: input.clone(),
                source: e,
            })?;
            let base = input.parent().unwrap_or(Path::new("."));
            out.extend(parse_manifest(&text, base, &input.display().to_string())?);
        } else {
            out.push(Job {
                path: input.clone(),
                ..Default::default()
            });
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<Job>) -> Result<(), Error> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::Io {
            path: dir.to_path_buf(),
            source: e,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            walk(&p, out)?;
        } else if meta.is_file() {
            out.push(Job {
                path: p,
                ..Default::default()
            });
        }
    }
    Ok(())
}

/// Whether `job` belongs to shard `index` of `count`: a stable hash of the path as
/// given, so every machine that reads the same inputs takes the same share.
pub fn in_shard(job: &Job, index: u32, count: u32) -> bool {
    if count <= 1 {
        return true;
    }
    use sha2::Digest;
    let h = sha2::Sha256::digest(job.path.to_string_lossy().as_bytes());
    let n = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
    n % count == index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lines_and_shards() {
        let m = "# corpus\nfw/a.bin\tTP-Link\tTL-WR841N\t3.16.9\t2015-06-16\n\n/abs/b.bin\n";
        let j = parse_manifest(m, Path::new("/data"), "m.tsv").unwrap();
        assert_eq!(j.len(), 2);
        assert_eq!(j[0].path, Path::new("/data/fw/a.bin"));
        assert_eq!(j[0].model.as_deref(), Some("TL-WR841N"));
        assert_eq!(j[0].release_date.as_deref(), Some("2015-06-16"));
        assert_eq!(j[1].path, Path::new("/abs/b.bin"));
        assert!(parse_manifest("a\t\t\t\t2015-13-01\n", Path::new("."), "m").is_err());
        // Shards partition the jobs.
        let jobs: Vec<Job> = (0..200)
            .map(|i| Job {
                path: PathBuf::from(format!("img{i}.bin")),
                ..Default::default()
            })
            .collect();
        let a = jobs.iter().filter(|j| in_shard(j, 0, 2)).count();
        let b = jobs.iter().filter(|j| in_shard(j, 1, 2)).count();
        assert_eq!(a + b, 200);
        assert!(a > 70 && b > 70, "{a} {b}");
    }
}
