//! The input of an inspection: every entry of an unpacked tree with where it came from.
//!
//! Built from an unpack [`Report`] (provenance chains included) or from a plain
//! directory. Symlinks are recorded, never followed, so a hostile link cannot make the
//! inspection read outside the tree.

use std::fs;
use std::path::{Path, PathBuf};

use baseliner_unpack::{EntryKind, Report};

/// Entries a directory walk records at most; a larger tree is cut short with a note.
pub const MAX_DIR_ENTRIES: usize = 1_000_000;
/// Directory depth a walk descends at most.
pub const MAX_DIR_DEPTH: usize = 64;

/// One entry of the tree.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Where the bytes are on disk.
    pub disk: PathBuf,
    /// Path inside the file system that held it, such as `/etc/shadow`.
    pub fs_path: String,
    /// Provenance chain from the image down to this entry.
    pub provenance: String,
    pub kind: EntryKind,
    /// Permission bits as the image stated them (setuid included).
    pub mode: u32,
    pub size: u64,
    /// SHA-256 hex, where already known (the inspection computes missing ones).
    pub sha256: Option<String>,
    /// Symlink target as stored.
    pub link_target: Option<String>,
}

impl Entry {
    /// The last component of the path.
    pub fn name(&self) -> &str {
        self.fs_path.rsplit('/').next().unwrap_or("")
    }

    /// True when the path ends with `suffix` on a component boundary
    /// (`/squashfs-root/etc/shadow` ends with `etc/shadow`).
    pub fn ends_with(&self, suffix: &str) -> bool {
        let p = self.fs_path.as_str();
        p == suffix
            || (p.ends_with(suffix)
                && p.len() > suffix.len()
                && p.as_bytes().get(p.len() - suffix.len() - 1) == Some(&b'/'))
    }

    /// True when some component of the path equals `dir` (not counting the name).
    pub fn under(&self, dir: &str) -> bool {
        let mut parts: Vec<&str> = self.fs_path.split('/').collect();
        parts.pop();
        let want: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
        !want.is_empty() && parts.windows(want.len()).any(|w| w == want.as_slice())
    }
}

/// An unpacked file tree.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    pub root: PathBuf,
    pub entries: Vec<Entry>,
    /// Notes about entries left out (walk limits, unreadable folders).
    pub notes: Vec<String>,
}

impl Tree {
    /// The tree an unpack run wrote, with the provenance it recorded.
    pub fn from_report(report: &Report) -> Tree {
        let root = report.output_dir.clone();
        // Containers whose contents were extracted (a cpio inside a gzip) are left out:
        // their files are in the tree, and reading both would report evidence twice.
        let entries = report
            .files
            .iter()
            .filter(|f| !f.unpacked)
            .map(|f| Entry {
                disk: root.join(&f.path),
                fs_path: f.fs_path.clone(),
                provenance: f.provenance.clone(),
                kind: f.kind,
                mode: f.mode,
                size: f.size,
                sha256: f.sha256.clone(),
                link_target: f.link_target.clone(),
            })
            .collect();
        Tree {
            root,
            entries,
            notes: Vec::new(),
        }
    }

    /// Walks a directory without following symlinks. Paths inside the tree are
    /// relative to `root`, which stands for the file system root.
    pub fn from_dir(root: &Path) -> std::io::Result<Tree> {
        let meta = fs::symlink_metadata(root)?;
        if !meta.is_dir() {
            return Err(std::io::Error::other(format!(
                "{} is not a directory",
                root.display()
            )));
        }
        let mut tree = Tree {
            root: root.to_path_buf(),
            ..Default::default()
        };
        let label = root.display().to_string();
        let mut stack: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
        while let Some((dir, rel, depth)) = stack.pop() {
            let rd = match fs::read_dir(&dir) {
                Ok(r) => r,
                Err(e) => {
                    tree.notes.push(format!("{}: {e}", dir.display()));
                    continue;
                }
            };
            let mut names: Vec<_> = rd.filter_map(|e| e.ok()).collect();
            names.sort_by_key(|e| e.file_name());
            for de in names {
                if tree.entries.len() >= MAX_DIR_ENTRIES {
                    tree.notes.push(format!(
                        "{}: more than {MAX_DIR_ENTRIES} entries; the rest was not inspected",
                        root.display()
                    ));
                    return Ok(tree);
                }
                let path = de.path();
                let Ok(m) = fs::symlink_metadata(&path) else {
                    continue;
                };
                let fs_path = format!("{rel}/{}", de.file_name().to_string_lossy());
                let ft = m.file_type();
                let kind = if ft.is_symlink() {
                    EntryKind::Symlink
                } else if ft.is_dir() {
                    EntryKind::Dir
                } else if ft.is_file() {
                    EntryKind::File
                } else {
                    special_kind(&m)
                };
                let link_target = if ft.is_symlink() {
                    fs::read_link(&path)
                        .ok()
                        .map(|t| t.to_string_lossy().into_owned())
                } else {
                    None
                };
                tree.entries.push(Entry {
                    disk: path.clone(),
                    provenance: format!("{label}:{fs_path}"),
                    fs_path: fs_path.clone(),
                    kind,
                    mode: mode_of(&m),
                    size: if ft.is_file() { m.len() } else { 0 },
                    sha256: None,
                    link_target,
                });
                if ft.is_dir() {
                    if depth + 1 < MAX_DIR_DEPTH {
                        stack.push((path, fs_path, depth + 1));
                    } else {
                        tree.notes.push(format!(
                            "{}: deeper than {MAX_DIR_DEPTH} levels; not inspected",
                            path.display()
                        ));
                    }
                }
            }
        }
        tree.entries.sort_by(|a, b| a.fs_path.cmp(&b.fs_path));
        Ok(tree)
    }

    /// Regular files, with their index.
    pub fn files(&self) -> impl Iterator<Item = (usize, &Entry)> {
        self.entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == EntryKind::File)
    }
}

#[cfg(unix)]
fn mode_of(m: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o7777
}
#[cfg(not(unix))]
fn mode_of(_: &fs::Metadata) -> u32 {
    0o644
}

#[cfg(unix)]
fn special_kind(m: &fs::Metadata) -> EntryKind {
    use std::os::unix::fs::FileTypeExt;
    let ft = m.file_type();
    if ft.is_char_device() {
        EntryKind::Chardev
    } else if ft.is_block_device() {
        EntryKind::Blockdev
    } else if ft.is_fifo() {
        EntryKind::Fifo
    } else {
        EntryKind::Socket
    }
}
#[cfg(not(unix))]
fn special_kind(_: &fs::Metadata) -> EntryKind {
    EntryKind::File
}
