//! Shared helpers: the corpus location and small trees over corpus files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use baseliner_inspect::{Entry, Tree};
use baseliner_unpack::EntryKind;

pub use baseliner_testkit::corpus;

/// A tree whose entries are existing files, each placed at an `fs_path`.
pub fn tree_of(files: &[(PathBuf, &str)]) -> Tree {
    Tree {
        root: PathBuf::from("/"),
        entries: files
            .iter()
            .map(|(disk, fs_path)| Entry {
                disk: disk.clone(),
                fs_path: fs_path.to_string(),
                provenance: format!("test:{fs_path}"),
                kind: EntryKind::File,
                mode: 0o644,
                size: std::fs::metadata(disk).map(|m| m.len()).unwrap_or(0),
                sha256: None,
                link_target: None,
            })
            .collect(),
        notes: Vec::new(),
    }
}

/// Writes `files` (path inside, contents) under a fresh temp folder and walks it.
pub fn tree_from(files: &[(&str, &[u8])]) -> (tempfile::TempDir, Tree) {
    let dir = tempfile::tempdir().unwrap();
    for (p, data) in files {
        let full = dir.path().join(p.trim_start_matches('/'));
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, data).unwrap();
    }
    let tree = Tree::from_dir(dir.path()).unwrap();
    (dir, tree)
}

pub fn codes(ins: &baseliner_inspect::Inspection) -> Vec<String> {
    ins.findings
        .iter()
        .map(|f| f.code.as_str().to_string())
        .collect()
}

pub fn path_in(c: &Path, rel: &str) -> PathBuf {
    c.join(rel)
}
