//! The unpack listing: what was found, extracted, failed and left unknown.
//! Serialised as the `--json` output; field names are a contract (see docs/unpack-json.md).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    Chardev,
    Blockdev,
    Fifo,
    Socket,
}

/// One entry of the extracted tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRecord {
    /// Path on disk, relative to the output folder.
    pub path: PathBuf,
    /// Path inside the file system or archive that held it, such as `/bin/busybox`.
    pub fs_path: String,
    #[serde(rename = "type")]
    pub kind: EntryKind,
    pub size: u64,
    /// Permission bits as the image stated them (setuid etc. included).
    pub mode: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// `image.bin@0x120200:squashfs:/bin/busybox`, one `@offset:format:path` hop per level.
    pub provenance: String,
    /// Symlink target exactly as stored in the image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
    /// Major and minor numbers of a device node (recorded, never created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<(u32, u32)>,
    /// This file is a container whose contents were extracted from offset 0 (a cpio
    /// inside a gzip, a kernel payload): checks read the extracted files instead, so
    /// that one piece of evidence is not reported twice.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unpacked: bool,
}

/// A format identified inside some file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FormatHit {
    /// The file it was found in, relative to the output folder (`""` for the image).
    pub file: String,
    pub provenance: String,
    pub offset: u64,
    /// Bytes it occupies, where known.
    pub length: Option<u64>,
    pub format: String,
    /// Human-readable facts from the header (version, compressor, names, sizes).
    pub description: String,
    /// Where its contents went, relative to the output folder (absent for headers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extracted_to: Option<PathBuf>,
    /// Entries written by this extraction.
    pub entries: u64,
}

/// An extraction that failed, in whole or in part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtractError {
    pub file: String,
    pub provenance: String,
    pub offset: u64,
    pub format: String,
    pub reason: String,
    /// Set when a quota stopped the extraction: which one (a caller maps it to its knob).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<crate::QuotaKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionClass {
    /// One repeated byte (0x00 or 0xff erase padding, usually).
    Padding,
    /// Mostly printable text.
    Text,
    /// High entropy: compressed or encrypted data of no known format.
    Compressed,
    Unknown,
}

/// A stretch of a file no known format explains.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Region {
    pub file: String,
    pub offset: u64,
    pub length: u64,
    pub class: RegionClass,
    /// Shannon entropy in bits per byte.
    pub entropy: f64,
}

/// The whole result of `unpack`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub image: String,
    pub image_sha256: String,
    pub image_size: u64,
    pub output_dir: PathBuf,
    pub formats: Vec<FormatHit>,
    pub files: Vec<FileRecord>,
    /// What the user must know: a recognised format that failed (in whole or in
    /// part), a quota or depth limit that stopped an extraction, an extractor bug.
    pub errors: Vec<ExtractError>,
    /// Candidates whose probe looked right but whose data did not decode and nothing
    /// came out of (a zstd magic inside a decompressed kernel's code): recorded with
    /// the reason, never shown as errors. Additive: older reports without it parse.
    #[serde(default)]
    pub rejected: Vec<ExtractError>,
    pub unknown_regions: Vec<Region>,
    /// Non-fatal notes (clamped paths, skipped entries), each naming its file.
    pub warnings: Vec<String>,
    pub duration_ms: u64,
}
