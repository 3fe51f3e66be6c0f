//! Recognises a downloaded feed file and reads it into records.
//!
//! Users import what they download: NVD API 2.0 pages or single records (plain or
//! gzip), OSV files and per-ecosystem zip dumps, the KEV catalogue as CSV or JSON, and
//! the kernel stream-fix data. The format is recognised from the content, not the name.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde_json::value::RawValue;

use crate::error::{Error, Result, json_offset};
use crate::feed::{kernel, kev, nvd, osv};
use crate::record::{CveRecord, KernelFix, KevEntry, OsvRecord};

/// Largest input read into memory, after decompression.
pub const MAX_INPUT_BYTES: u64 = 2 << 30;
/// Largest single entry of an OSV zip dump.
const MAX_ZIP_ENTRY_BYTES: u64 = 64 << 20;
/// Most entries read from one zip dump.
const MAX_ZIP_ENTRIES: usize = 2_000_000;

/// Records read from one file, by kind.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Format name as shown to users, such as `NVD CVE API 2.0 page`.
    pub format: &'static str,
    pub nvd: Vec<CveRecord>,
    pub osv: Vec<OsvRecord>,
    pub kev: Vec<KevEntry>,
    pub kernel: Vec<KernelFix>,
    /// Records that were malformed and skipped: `(id, why)`.
    pub skipped: Vec<(String, String)>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn format_err(path: &Path, format: &'static str, offset: Option<u64>, msg: String) -> Error {
    Error::Format {
        path: path.to_path_buf(),
        format,
        offset,
        msg,
    }
}

/// Reads at most [`MAX_INPUT_BYTES`] from `r`; more is an error, never a truncation.
fn read_bounded(path: &Path, format: &'static str, r: impl Read) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format_err(path, format, None, e.to_string()))?;
    if buf.len() as u64 > MAX_INPUT_BYTES {
        return Err(format_err(
            path,
            format,
            Some(MAX_INPUT_BYTES),
            format!("larger than {MAX_INPUT_BYTES} bytes"),
        ));
    }
    Ok(buf)
}

/// Reads and parses one feed file.
pub fn parse_file(path: &Path) -> Result<Parsed> {
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut head = [0u8; 4];
    let n = (&file).take(4).read(&mut head).map_err(io(path))?;
    let head = head.get(..n).unwrap_or(&[]);
    if head.starts_with(&[0x1f, 0x8b]) {
        let file = std::fs::File::open(path).map_err(io(path))?;
        let bytes = read_bounded(path, "gzip", flate2::read::MultiGzDecoder::new(file))?;
        return parse_bytes(path, &bytes);
    }
    if head.starts_with(b"PK\x03\x04") {
        return parse_zip(path);
    }
    let file = std::fs::File::open(path).map_err(io(path))?;
    let bytes = read_bounded(path, "file", file)?;
    parse_bytes(path, &bytes)
}

/// Parses an uncompressed feed held in memory.
pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Parsed> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match first {
        Some(b'{') | Some(b'[') => {
            let text = std::str::from_utf8(bytes).map_err(|e| {
                format_err(
                    path,
                    "JSON",
                    Some(e.valid_up_to() as u64),
                    "not UTF-8".into(),
                )
            })?;
            parse_json(path, text)
        }
        Some(_) if bytes.starts_with(b"CVEid:") => {
            let text = String::from_utf8_lossy(bytes);
            let (kernel, skipped) = kernel::parse_cves_txt(&text);
            Ok(Parsed {
                format: "kernel CVE list (CVEs.txt)",
                kernel,
                skipped,
                ..Default::default()
            })
        }
        Some(_) if bytes.starts_with(b"cveID,") => {
            let (kev, skipped) = kev::parse_csv(bytes);
            Ok(Parsed {
                format: "CISA KEV CSV",
                kev,
                skipped,
                ..Default::default()
            })
        }
        _ => Err(format_err(
            path,
            "unknown",
            Some(0),
            "not an NVD, OSV, KEV or kernel stream-fix file".into(),
        )),
    }
}

fn parse_json(path: &Path, text: &str) -> Result<Parsed> {
    if text.trim_start().starts_with('[') {
        // A bare array of OSV records (some exports) or of NVD records.
        let items: Vec<&RawValue> = serde_json::from_str(text)
            .map_err(|e| format_err(path, "JSON array", json_offset(text, &e), e.to_string()))?;
        let mut p = Parsed {
            format: "JSON array",
            ..Default::default()
        };
        for item in items {
            let top: HashMap<String, &RawValue> =
                serde_json::from_str(item.get()).unwrap_or_default();
            add_single(&mut p, item, &top);
        }
        return Ok(p);
    }
    let top: HashMap<String, &RawValue> = serde_json::from_str(text)
        .map_err(|e| format_err(path, "JSON", json_offset(text, &e), e.to_string()))?;
    let mut p = Parsed::default();
    if let Some(vulns) = top.get("vulnerabilities") {
        if top.contains_key("catalogVersion") {
            let (kev, skipped) =
                kev::parse_json(vulns).map_err(|e| format_err(path, "CISA KEV JSON", None, e))?;
            p.format = "CISA KEV JSON";
            p.kev = kev;
            p.skipped = skipped;
            return Ok(p);
        }
        let items: Vec<&RawValue> = serde_json::from_str(vulns.get())
            .map_err(|e| format_err(path, "NVD CVE API 2.0 page", None, e.to_string()))?;
        p.format = "NVD CVE API 2.0 page";
        for (i, item) in items.into_iter().enumerate() {
            match nvd::parse_record(item, true) {
                Ok(r) => p.nvd.push(r),
                Err((id, why)) => p.skipped.push((format!("{id} (entry {i})"), why)),
            }
        }
        return Ok(p);
    }
    if kernel::looks_like(&top) {
        let (kernel, skipped) = kernel::parse(&top);
        p.format = "kernel stream fixes";
        p.kernel = kernel;
        p.skipped = skipped;
        return Ok(p);
    }
    let whole: &RawValue = serde_json::from_str(text)
        .map_err(|e| format_err(path, "JSON", json_offset(text, &e), e.to_string()))?;
    add_single(&mut p, whole, &top);
    if p.nvd.is_empty() && p.osv.is_empty() && p.skipped.is_empty() {
        return Err(format_err(
            path,
            "JSON",
            Some(0),
            "not an NVD, OSV, KEV or kernel stream-fix document".into(),
        ));
    }
    Ok(p)
}

/// One record on its own: a wrapped or bare NVD record, or an OSV record.
fn add_single(p: &mut Parsed, raw: &RawValue, top: &HashMap<String, &RawValue>) {
    if top.contains_key("cve") {
        p.format = "NVD CVE record";
        match nvd::parse_record(raw, true) {
            Ok(r) => p.nvd.push(r),
            Err(e) => p.skipped.push(e),
        }
    } else if top.contains_key("lastModified") || top.contains_key("sourceIdentifier") {
        p.format = "NVD CVE record";
        match nvd::parse_record(raw, false) {
            Ok(r) => p.nvd.push(r),
            Err(e) => p.skipped.push(e),
        }
    } else if top.contains_key("modified") && top.contains_key("id") {
        p.format = "OSV record";
        match osv::parse(raw.get()) {
            Ok(r) => p.osv.push(r),
            Err(e) => p.skipped.push(e),
        }
    } else {
        p.skipped
            .push(("?".into(), "neither an NVD nor an OSV record".into()));
    }
}

fn parse_zip(path: &Path) -> Result<Parsed> {
    const F: &str = "OSV zip dump";
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut zip =
        zip::ZipArchive::new(file).map_err(|e| format_err(path, F, None, e.to_string()))?;
    let mut p = Parsed {
        format: F,
        ..Default::default()
    };
    let mut total: u64 = 0;
    for i in 0..zip.len().min(MAX_ZIP_ENTRIES) {
        let mut entry = match zip.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                p.skipped.push((format!("entry {i}"), e.to_string()));
                continue;
            }
        };
        let name = entry.name().to_string();
        if !entry.is_file() || !name.ends_with(".json") {
            continue;
        }
        let offset = entry.header_start();
        let mut buf = Vec::new();
        if let Err(e) = (&mut entry)
            .take(MAX_ZIP_ENTRY_BYTES + 1)
            .read_to_end(&mut buf)
        {
            p.skipped.push((name, format!("at offset {offset}: {e}")));
            continue;
        }
        if buf.len() as u64 > MAX_ZIP_ENTRY_BYTES {
            p.skipped.push((name, "entry too large".into()));
            continue;
        }
        total = total.saturating_add(buf.len() as u64);
        if total > MAX_INPUT_BYTES {
            return Err(format_err(
                path,
                F,
                Some(offset),
                format!("more than {MAX_INPUT_BYTES} bytes unpacked"),
            ));
        }
        match std::str::from_utf8(&buf) {
            Ok(text) => match osv::parse(text) {
                Ok(r) => p.osv.push(r),
                Err((id, why)) => p.skipped.push((format!("{id} ({name})"), why)),
            },
            Err(_) => p.skipped.push((name, "not UTF-8".into())),
        }
    }
    Ok(p)
}
