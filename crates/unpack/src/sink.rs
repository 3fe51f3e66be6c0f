//! The only place that writes extracted data to disk.
//!
//! Every extractor hands entries to a [`Sink`]; the sink owns path sanitising,
//! the refusal to write through symlinks, and the global quotas. Keeping this in one
//! place means a new format cannot forget a safety rule.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::report::{EntryKind, FileRecord};
use crate::{Error, Limits, QuotaKind};

/// Global counters shared by every extraction of one `unpack` run.
#[derive(Debug, Default)]
pub struct Quota {
    pub bytes: AtomicU64,
    pub files: AtomicU64,
    /// Set once a global quota is exhausted: every later write fails fast.
    pub exhausted: AtomicBool,
    /// Which global quota ran out: 1 total bytes, 2 files (0 none yet).
    pub which: std::sync::atomic::AtomicU8,
}

impl Quota {
    fn exhausted_error(&self, limits: &Limits) -> Error {
        let (kind, limit) = match self.which.load(Ordering::Relaxed) {
            2 => (QuotaKind::Files, limits.max_files),
            _ => (QuotaKind::TotalBytes, limits.max_total_bytes),
        };
        Error::quota(kind, limit, "a global quota was already exhausted")
    }
}

/// Writes the entries of one extraction below `root`, enforcing the limits.
pub struct Sink<'a> {
    root: PathBuf,
    limits: &'a Limits,
    quota: &'a Quota,
    /// Provenance prefix for entries, such as `image.bin@0x120200:squashfs`.
    provenance: String,
    /// Bytes of input this extraction consumes (for the expansion-ratio check).
    input_len: u64,
    written: u64,
    pub(crate) records: Vec<FileRecord>,
    pub(crate) warnings: Vec<String>,
    /// Directories this sink has verified or created. A directory is never replaced
    /// by a later entry (only non-directories are), so a cached one stays safe to
    /// pass through and need not be checked again for every file below it.
    known_dirs: std::collections::HashSet<PathBuf>,
}

/// Turns an archive path into a safe relative path: no root, no `..` above the
/// extraction root, no empty or `.` parts. Returns `None` for the root itself.
/// Names holding NUL, or a component longer than file systems allow, are refused
/// (`None`) so that one such entry is a per-entry error, not the end of an archive.
pub fn sanitize(path: &str) -> Option<PathBuf> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p if p.contains('\0') || p.len() > 255 => return None,
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.iter().collect())
    }
}

/// Resolves a symlink target as the image would see it (relative to the link's own
/// directory, absolute from the image root), clamped to the root, and returns it
/// relative to the link's directory so that it can never point out of the tree.
fn contain_link_target(link: &Path, target: &str) -> PathBuf {
    let link_dir: Vec<String> = link
        .parent()
        .map(|p| {
            p.components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut resolved: Vec<String> = if target.starts_with('/') {
        Vec::new()
    } else {
        link_dir.clone()
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                resolved.pop();
            }
            p => resolved.push(p.to_string()),
        }
    }
    let common = link_dir
        .iter()
        .zip(resolved.iter())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = PathBuf::new();
    for _ in common..link_dir.len() {
        out.push("..");
    }
    for p in &resolved[common..] {
        out.push(p);
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

impl<'a> Sink<'a> {
    pub(crate) fn new(
        root: PathBuf,
        limits: &'a Limits,
        quota: &'a Quota,
        provenance: String,
        input_len: u64,
    ) -> Self {
        Sink {
            root,
            limits,
            quota,
            provenance,
            input_len,
            written: 0,
            records: Vec::new(),
            warnings: Vec::new(),
            known_dirs: std::collections::HashSet::new(),
        }
    }

    /// The directory this extraction writes below.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn limits(&self) -> &Limits {
        self.limits
    }

    /// Records a non-fatal problem (a skipped entry, a clamped path).
    pub fn warn(&mut self, msg: impl Into<String>) {
        if self.warnings.len() < 1000 {
            self.warnings.push(msg.into());
        }
    }

    /// Bytes this extraction has written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Checks a planned write of `n` more bytes against every quota.
    pub fn reserve(&mut self, n: u64) -> Result<(), Error> {
        if self.quota.exhausted.load(Ordering::Relaxed) {
            return Err(self.quota.exhausted_error(self.limits));
        }
        let total = self.quota.bytes.fetch_add(n, Ordering::Relaxed) + n;
        if total > self.limits.max_total_bytes {
            self.quota.which.store(1, Ordering::Relaxed);
            self.quota.exhausted.store(true, Ordering::Relaxed);
            return Err(Error::quota(
                QuotaKind::TotalBytes,
                self.limits.max_total_bytes,
                format!(
                    "total bytes written would exceed {}",
                    self.limits.max_total_bytes
                ),
            ));
        }
        self.written += n;
        if self.written > self.limits.ratio_floor
            && self.written / self.input_len.max(1) > self.limits.max_ratio
        {
            return Err(Error::quota(
                QuotaKind::Ratio,
                self.limits.max_ratio,
                format!(
                    "expansion ratio above {}:1 ({} bytes from {} bytes of input)",
                    self.limits.max_ratio, self.written, self.input_len
                ),
            ));
        }
        Ok(())
    }

    fn count_file(&mut self) -> Result<(), Error> {
        if self.quota.exhausted.load(Ordering::Relaxed) {
            return Err(self.quota.exhausted_error(self.limits));
        }
        let n = self.quota.files.fetch_add(1, Ordering::Relaxed) + 1;
        if n > self.limits.max_files {
            self.quota.which.store(2, Ordering::Relaxed);
            self.quota.exhausted.store(true, Ordering::Relaxed);
            return Err(Error::quota(
                QuotaKind::Files,
                self.limits.max_files,
                format!("more than {} files extracted", self.limits.max_files),
            ));
        }
        Ok(())
    }

    /// Creates the parent directories of `rel`, refusing to pass through anything
    /// that is not a real directory (a symlink planted by an earlier entry).
    fn prepare_parent(&mut self, rel: &Path, for_dir: bool) -> Result<PathBuf, Error> {
        let mut cur = self.root.clone();
        if let Some(parent) = rel.parent()
            && !self.known_dirs.contains(parent)
        {
            for comp in parent.components() {
                cur.push(comp);
                match fs::symlink_metadata(&cur) {
                    Ok(m) if m.file_type().is_dir() => {}
                    Ok(_) => {
                        return Err(Error::Unsafe(format!(
                            "{} passes through {}, which is not a directory",
                            rel.display(),
                            cur.strip_prefix(&self.root).unwrap_or(&cur).display()
                        )));
                    }
                    Err(_) => {
                        // Parent folders count against the entry quota too, or deep
                        // paths would create folders without limit.
                        self.count_file()?;
                        fs::create_dir(&cur).map_err(|e| Error::io(&cur, e))?;
                    }
                }
            }
            self.known_dirs.insert(parent.to_path_buf());
        }
        let full = self.root.join(rel);
        // Replace whatever an earlier entry left at this path, without following it;
        // a directory is never replaced (its contents may already be extracted).
        if let Ok(m) = fs::symlink_metadata(&full) {
            if m.file_type().is_dir() {
                if for_dir {
                    return Ok(full);
                }
                return Err(Error::Unsafe(format!(
                    "{} is already a directory; entry skipped",
                    rel.display()
                )));
            }
            fs::remove_file(&full).map_err(|e| Error::io(&full, e))?;
        }
        Ok(full)
    }

    fn safe_rel(&mut self, path: &str) -> Option<PathBuf> {
        let rel = sanitize(path);
        if let Some(r) = &rel {
            let raw = path.trim_start_matches('/');
            if raw.split('/').any(|p| p == "..") {
                self.warn(format!(
                    "path {path:?} contains '..'; stored as {}",
                    r.display()
                ));
            }
        }
        rel
    }

    fn record(
        &mut self,
        rel: &Path,
        kind: EntryKind,
        mode: u32,
        size: u64,
        sha256: Option<String>,
    ) {
        let fs_path = format!("/{}", rel.to_string_lossy());
        self.records.push(FileRecord {
            path: PathBuf::from(rel),
            fs_path: fs_path.clone(),
            kind,
            size,
            mode,
            sha256,
            provenance: format!("{}:{}", self.provenance, fs_path),
            link_target: None,
            device: None,
            unpacked: false,
        });
    }

    /// Creates a directory entry.
    pub fn dir(&mut self, path: &str, mode: u32) -> Result<(), Error> {
        let Some(rel) = self.safe_rel(path) else {
            return Ok(());
        };
        let full = self.prepare_parent(&rel, true)?;
        match fs::symlink_metadata(&full) {
            Ok(m) if m.file_type().is_dir() => {}
            _ => {
                self.count_file()?;
                fs::create_dir(&full).map_err(|e| Error::io(&full, e))?;
                self.record(&rel, EntryKind::Dir, mode, 0, None);
            }
        }
        set_mode(&full, mode | 0o700);
        Ok(())
    }

    /// Streams a regular file from `data`, hashing it and enforcing quotas.
    pub fn file(&mut self, path: &str, mode: u32, data: &mut dyn Read) -> Result<u64, Error> {
        let Some(rel) = self.safe_rel(path) else {
            return Err(Error::Unsafe(format!("file entry {path:?} has no name")));
        };
        self.count_file()?;
        let full = self.prepare_parent(&rel, false)?;
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&full)
            .map_err(|e| Error::io(&full, e))?;
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        // One copy buffer per thread: a fresh 256 KiB allocation per file costs a
        // mmap, page faults and a munmap each time, which dominated small-file trees.
        thread_local! {
            static BUF: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; 256 * 1024]);
        }
        let result: Result<(), Error> = BUF.with_borrow_mut(|buf| {
            loop {
                let n = match data.read(&mut buf[..]) {
                    Ok(0) => break Ok(()),
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => break Err(Error::Format(format!("reading data of {path}: {e}"))),
                };
                if size + n as u64 > self.limits.max_file_bytes {
                    break Err(Error::quota(
                        QuotaKind::FileBytes,
                        self.limits.max_file_bytes,
                        format!(
                            "{path} is larger than the per-file limit of {} bytes",
                            self.limits.max_file_bytes
                        ),
                    ));
                }
                if let Err(e) = self.reserve(n as u64) {
                    break Err(e);
                }
                hasher.update(&buf[..n]);
                if let Err(e) = out.write_all(&buf[..n]) {
                    break Err(Error::io(&full, e));
                }
                size += n as u64;
            }
        });
        // Set on the open handle (no path to swap), without setuid/setgid or group
        // and world write: the firmware's modes are recorded, not granted on this host.
        set_file_mode(&out, mode);
        drop(out);
        // Keep what was written, even when the stream ended badly: a truncated
        // kernel or file system is still worth inspecting.
        self.record(
            &rel,
            EntryKind::File,
            mode,
            size,
            Some(hex::encode(hasher.finalize())),
        );
        result.map(|_| size)
    }

    /// Writes a regular file from bytes already in memory.
    pub fn file_bytes(&mut self, path: &str, mode: u32, data: &[u8]) -> Result<u64, Error> {
        let mut r = data;
        self.file(path, mode, &mut r)
    }

    /// Creates a symlink. The on-disk target is rewritten so that it stays inside
    /// the tree; the record keeps the target exactly as the image stated it.
    pub fn symlink(&mut self, path: &str, target: &str) -> Result<(), Error> {
        let Some(rel) = self.safe_rel(path) else {
            return Err(Error::Unsafe(format!("symlink entry {path:?} has no name")));
        };
        self.count_file()?;
        let full = self.prepare_parent(&rel, false)?;
        let contained = contain_link_target(&rel, target);
        #[cfg(unix)]
        std::os::unix::fs::symlink(&contained, &full).map_err(|e| Error::io(&full, e))?;
        #[cfg(not(unix))]
        fs::write(&full, target.as_bytes()).map_err(|e| Error::io(&full, e))?;
        self.record(&rel, EntryKind::Symlink, 0o777, target.len() as u64, None);
        if let Some(r) = self.records.last_mut() {
            r.link_target = Some(target.to_string());
        }
        Ok(())
    }

    /// Creates a hard link to a regular file this extraction already wrote.
    pub fn hardlink(&mut self, path: &str, target: &str) -> Result<(), Error> {
        let (Some(rel), Some(trel)) = (self.safe_rel(path), sanitize(target)) else {
            return Err(Error::Unsafe(format!(
                "hard link {path:?} -> {target:?} has no name"
            )));
        };
        // The latest entry at that path decides what it is now: a file replaced by a
        // symlink must not be linked (hard_link would link the symlink itself, whose
        // contained target means something else from another folder).
        let src = self.records.iter().rev().find(|r| r.path == trel).cloned();
        let src_full = self.root.join(&trel);
        let is_file = fs::symlink_metadata(&src_full).is_ok_and(|m| m.file_type().is_file());
        let Some(src) = src.filter(|r| r.kind == EntryKind::File && is_file) else {
            return Err(Error::Unsafe(format!(
                "hard link {path:?} names {target:?}, which is not a regular file extracted before it"
            )));
        };
        self.count_file()?;
        let full = self.prepare_parent(&rel, false)?;
        if fs::hard_link(&src_full, &full).is_err() {
            // No hard links here (EMLINK, or a file system without them): a copy
            // costs bytes, so it is charged like any other write.
            self.reserve(src.size)?;
            fs::copy(&src_full, &full).map_err(|e| Error::io(&full, e))?;
        }
        self.record(
            &rel,
            EntryKind::File,
            src.mode,
            src.size,
            src.sha256.clone(),
        );
        Ok(())
    }

    /// Records a device node, FIFO or socket without creating it on disk.
    pub fn special(
        &mut self,
        path: &str,
        kind: EntryKind,
        mode: u32,
        rdev: Option<(u32, u32)>,
    ) -> Result<(), Error> {
        let Some(rel) = self.safe_rel(path) else {
            return Ok(());
        };
        self.count_file()?;
        self.record(&rel, kind, mode, 0, None);
        if let Some(r) = self.records.last_mut() {
            r.device = rdev;
        }
        Ok(())
    }

    /// Writes one file that is the whole output of a stream format (a decompressed
    /// gzip member, a kernel payload). Same rules as [`Sink::file`].
    pub fn stream(&mut self, name: &str, data: &mut dyn Read) -> Result<u64, Error> {
        self.file(name, 0o644, data)
    }
}

/// Host permissions for an extracted directory: the image's bits without setuid,
/// setgid, sticky or group/world write, and always readable and enterable by us.
fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(path, fs::Permissions::from_mode((mode & 0o755) | 0o700));
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

fn set_file_mode(f: &File, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = f.set_permissions(fs::Permissions::from_mode((mode & 0o755) | 0o600));
    }
    #[cfg(not(unix))]
    let _ = (f, mode);
}

/// Opens a file only if it is a regular file (never through a symlink).
pub(crate) fn open_regular(path: &Path) -> io::Result<File> {
    let m = fs::symlink_metadata(path)?;
    if !m.file_type().is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_clamps() {
        assert_eq!(
            sanitize("../../etc/passwd"),
            Some(PathBuf::from("etc/passwd"))
        );
        assert_eq!(sanitize("/abs/x"), Some(PathBuf::from("abs/x")));
        assert_eq!(sanitize("a/./b/../c"), Some(PathBuf::from("a/c")));
        assert_eq!(sanitize("/"), None);
        assert_eq!(sanitize(".."), None);
    }

    #[test]
    fn link_targets_stay_inside() {
        let l = Path::new("sbin/init");
        assert_eq!(
            contain_link_target(l, "/bin/busybox"),
            PathBuf::from("../bin/busybox")
        );
        assert_eq!(
            contain_link_target(l, "../../../../etc/passwd"),
            PathBuf::from("../etc/passwd")
        );
        assert_eq!(contain_link_target(Path::new("a"), "b"), PathBuf::from("b"));
        assert_eq!(
            contain_link_target(Path::new("x/a"), "/"),
            PathBuf::from("..")
        );
    }
}
