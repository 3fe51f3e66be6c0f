//! A content-addressed cache of extractions, shared across runs (bulk mode).
//!
//! The same file system or archive ships in many images: regional variants, re-signed
//! builds, the same rootfs behind another header. The cache keys an extraction by the
//! SHA-256 of the bytes it came from (a chunk of known length, or a whole extracted
//! file), the format, the nesting depth and the limits, and keeps both the extracted
//! tree (hard-linked, so it costs no copy) and everything the driver recorded below it.
//! A hit links the tree into place and replays the records with the new location and
//! provenance, so the result is what a fresh extraction would have given.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Limits;
use crate::report::{ExtractError, FileRecord, FormatHit, Region};

/// Version of the entry layout; part of every key, so a change never reads old entries.
const LAYOUT: &str = "1";

/// The cache: one folder, one sub-folder per key.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// Records of one level of the driver: what `Partial` holds, serialisable.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub(crate) struct Part {
    pub formats: Vec<FormatHit>,
    pub files: Vec<FileRecord>,
    pub errors: Vec<ExtractError>,
    #[serde(default)]
    pub rejected: Vec<ExtractError>,
    pub regions: Vec<Region>,
    pub warnings: Vec<String>,
}

/// What the driver recorded for one cached extraction, with the paths and provenance
/// it had when it was stored (`tree_rel`, `file_rel`, `prov`).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub(crate) struct Entry {
    /// Path (relative to the output folder) of the folder the tree was in.
    pub tree_rel: String,
    /// Path of the file the extraction read, for file keys (its `FormatHit.file`).
    pub file_rel: String,
    /// Provenance prefix of everything below.
    pub prov: String,
    /// What the extraction itself recorded (chunk keys), kept apart so a replay puts it
    /// where the driver would, and the result stays in the same order.
    pub own: Part,
    /// What recursion into the extracted files recorded.
    pub below: Part,
    /// For chunk keys: what the extraction consumed and its direct entries.
    pub consumed: u64,
    pub entries: u64,
    pub description: String,
    /// Entries and bytes the tree holds, charged against the quotas on a hit.
    pub n_files: u64,
    pub n_bytes: u64,
}

impl Entry {
    pub(crate) fn count(&mut self) {
        let all = self.own.files.iter().chain(&self.below.files);
        self.n_files = all.clone().count() as u64;
        self.n_bytes = all
            .filter(|f| f.kind == crate::EntryKind::File)
            .map(|f| f.size)
            .sum();
    }
}

fn limits_tag(l: &Limits) -> String {
    format!(
        "{}:{}:{}:{}:{}:{}",
        l.max_total_bytes, l.max_files, l.max_file_bytes, l.max_depth, l.max_ratio, l.ratio_floor
    )
}

impl Cache {
    /// A cache kept in `dir` (created when missing).
    pub fn open(dir: &Path) -> io::Result<Cache> {
        fs::create_dir_all(dir)?;
        Ok(Cache {
            dir: dir.to_path_buf(),
        })
    }

    /// The key of an extraction of `content_sha` as `what` at `depth` under `limits`.
    pub(crate) fn key(content_sha: &str, what: &str, depth: u32, limits: &Limits) -> String {
        let mut h = Sha256::new();
        for part in [
            LAYOUT,
            env!("CARGO_PKG_VERSION"),
            content_sha,
            what,
            &depth.to_string(),
            &limits_tag(limits),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    }

    /// A small result another stage stored under `key` in namespace `ns` (per-file
    /// inspection results, keyed by the file's SHA-256): `None` when absent or unreadable.
    pub fn get_blob(&self, ns: &str, key: &str) -> Option<Vec<u8>> {
        fs::read(self.blob_path(ns, key)?).ok()
    }

    /// Stores `bytes` under `key` in namespace `ns` (write to a temporary file, then
    /// rename: a reader never sees half a blob). Failures only mean no cache.
    pub fn put_blob(&self, ns: &str, key: &str, bytes: &[u8]) {
        let Some(path) = self.blob_path(ns, key) else {
            return;
        };
        if path.exists() {
            return;
        }
        let Some(parent) = path.parent() else {
            return;
        };
        if fs::create_dir_all(parent).is_err() {
            return;
        }
        let tmp = parent.join(format!(
            ".tmp-{key}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        if fs::write(&tmp, bytes).is_err() || fs::rename(&tmp, &path).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }

    /// `DIR/blob-NS/KE/KEY`; `None` unless both are plain names (hex digests, tags).
    fn blob_path(&self, ns: &str, key: &str) -> Option<PathBuf> {
        let plain = |s: &str| {
            !s.is_empty()
                && s.len() <= 128
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !plain(ns) || !plain(key) || key.len() < 2 {
            return None;
        }
        Some(
            self.dir
                .join(format!("blob-{ns}"))
                .join(&key[..2])
                .join(key),
        )
    }

    /// The entry for `key` and the folder holding its tree.
    pub(crate) fn get(&self, key: &str) -> Option<(Entry, PathBuf)> {
        let d = self.dir.join(key);
        let text = fs::read(d.join("entry.json")).ok()?;
        let e: Entry = serde_json::from_slice(&text).ok()?;
        Some((e, d.join("tree")))
    }

    /// Stores `entry` with the tree at `tree` (hard-linked where possible). A key
    /// another worker stored first is kept; failures leave no partial entry.
    pub(crate) fn put(&self, key: &str, entry: &Entry, tree: Option<&Path>) {
        let final_dir = self.dir.join(key);
        if final_dir.exists() {
            return;
        }
        let tmp = self.dir.join(format!(
            ".tmp-{key}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&tmp);
        let ok = (|| -> io::Result<()> {
            fs::create_dir_all(tmp.join("tree"))?;
            if let Some(t) = tree {
                link_tree(t, &tmp.join("tree"))?;
            }
            fs::write(
                tmp.join("entry.json"),
                serde_json::to_vec(entry).map_err(io::Error::other)?,
            )?;
            fs::rename(&tmp, &final_dir)
        })();
        if ok.is_err() {
            let _ = fs::remove_dir_all(&tmp);
        }
    }
}

/// Recreates the tree at `from` under `to`: folders made, files hard-linked (copied
/// across file systems), symlinks recreated with the same target. Never follows links.
pub(crate) fn link_tree(from: &Path, to: &Path) -> io::Result<()> {
    for e in fs::read_dir(from)? {
        let e = e?;
        let src = e.path();
        let dst = to.join(e.file_name());
        let t = fs::symlink_metadata(&src)?.file_type();
        if t.is_dir() {
            fs::create_dir_all(&dst)?;
            link_tree(&src, &dst)?;
        } else if t.is_symlink() {
            let target = fs::read_link(&src)?;
            #[cfg(unix)]
            std::os::unix::fs::symlink(&target, &dst)?;
        } else if t.is_file() && fs::hard_link(&src, &dst).is_err() {
            fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// Replaces a leading `from` in a path-like string by `to`, at a component boundary.
fn rebase_str(s: &str, from: &str, to: &str) -> Option<String> {
    if from.is_empty() {
        return None;
    }
    let rest = s.strip_prefix(from)?;
    (rest.is_empty() || rest.starts_with(['/', '.', '@', ':'])).then(|| format!("{to}{rest}"))
}

/// Moves everything in `e` from its stored location to `tree_rel`/`file_rel`/`prov`.
pub(crate) fn rebase(e: &mut Entry, tree_rel: &str, file_rel: &str, prov: &str) {
    let (old_tree, old_file, old_prov) = (
        std::mem::take(&mut e.tree_rel),
        std::mem::take(&mut e.file_rel),
        std::mem::take(&mut e.prov),
    );
    let path = |s: &str| -> String {
        rebase_str(s, &old_tree, tree_rel)
            .or_else(|| rebase_str(s, &old_file, file_rel))
            .unwrap_or_else(|| s.to_string())
    };
    let pathbuf = |p: &Path| PathBuf::from(path(&p.to_string_lossy()));
    let provf = |s: &str| rebase_str(s, &old_prov, prov).unwrap_or_else(|| s.to_string());
    for part in [&mut e.own, &mut e.below] {
        for f in &mut part.files {
            f.path = pathbuf(&f.path);
            f.provenance = provf(&f.provenance);
        }
        for h in &mut part.formats {
            h.file = path(&h.file);
            h.provenance = provf(&h.provenance);
            h.extracted_to = h.extracted_to.as_deref().map(pathbuf);
        }
        for x in part.errors.iter_mut().chain(part.rejected.iter_mut()) {
            x.file = path(&x.file);
            x.provenance = provf(&x.provenance);
        }
        for r in &mut part.regions {
            r.file = path(&r.file);
        }
        for w in &mut part.warnings {
            *w = provf(w);
        }
    }
    e.tree_rel = tree_rel.to_string();
    e.file_rel = file_rel.to_string();
    e.prov = prov.to_string();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebasing_respects_component_boundaries() {
        assert_eq!(
            rebase_str(
                "a/0x10.squashfs/etc/x",
                "a/0x10.squashfs",
                "b/0x20.squashfs"
            )
            .as_deref(),
            Some("b/0x20.squashfs/etc/x")
        );
        assert_eq!(rebase_str("a/fileX", "a/file", "c"), None);
        assert_eq!(
            rebase_str("a/file.extract/y", "a/file", "c/g").as_deref(),
            Some("c/g.extract/y")
        );
        assert_eq!(
            rebase_str(
                "img@0x0:gzip:/d@0x0:tar:/etc",
                "img@0x0:gzip:/d",
                "v.bin@0x0:gzip:/d"
            )
            .as_deref(),
            Some("v.bin@0x0:gzip:/d@0x0:tar:/etc")
        );
    }
}
