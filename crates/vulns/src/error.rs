//! Errors that name the file, the format and, where known, the byte offset.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {format}{}: {msg}", offset.map(|o| format!(" at offset {o}")).unwrap_or_default())]
    Format {
        path: PathBuf,
        format: &'static str,
        offset: Option<u64>,
        msg: String,
    },
    #[error("knowledge base {path}: {msg}")]
    Db { path: PathBuf, msg: String },
    /// A feed `db update` could not fetch or read.
    #[error("{source_name}: {msg}")]
    Update { source_name: String, msg: String },
    /// A snapshot that is damaged, tampered with, or not one.
    #[error("snapshot {path}: {msg}")]
    Snapshot { path: PathBuf, msg: String },
}

pub type Result<T> = std::result::Result<T, Error>;

/// Byte offset of a serde_json error's line and column in `text`.
pub(crate) fn json_offset(text: &str, e: &serde_json::Error) -> Option<u64> {
    let line = e.line();
    if line == 0 {
        return None;
    }
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    u64::try_from(line_start.saturating_add(e.column().saturating_sub(1))).ok()
}
