//! What every check sees: the tree, each file mapped once, its hash, and the hits
//! of one shared Aho-Corasick pass over all files for the literals the checks asked for.

use std::collections::HashMap;
use std::fs::{self, File};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use baseliner_model::Evidence;
use memmap2::Mmap;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::tree::{Entry, Tree};

/// Hits of one literal kept per file at most: enough evidence, bounded memory.
pub const MAX_HITS_PER_FILE: usize = 256;
/// Longest excerpt in evidence.
pub const MAX_EXCERPT: usize = 160;

/// Files at least this large have their literal hits cached by content: below it,
/// reading a cache entry costs about what scanning the file does.
pub const CACHE_MIN_BYTES: usize = 64 * 1024;

/// Where per-file results are kept between images (bulk mode's `--cache`): the same
/// BusyBox or libcrypto in a thousand images is scanned once. Keys name a file's
/// SHA-256 and what was asked of it; a value that does not decode is ignored.
pub trait FileCache: Sync {
    fn get(&self, key: &str) -> Option<Vec<u8>>;
    fn put(&self, key: &str, value: &[u8]);
}

impl FileCache for baseliner_unpack::cache::Cache {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.get_blob("inspect-hits", key)
    }
    fn put(&self, key: &str, value: &[u8]) {
        self.put_blob("inspect-hits", key, value)
    }
}

/// What a cached hit list depends on besides the file: the literals, the cap per
/// literal and this version of the code.
fn literal_tag(lits: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(MAX_HITS_PER_FILE.to_le_bytes());
    for l in lits {
        h.update(l.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}

/// Hits as stored: a `u32` count, then per hit the literal's index (`u32`) and the
/// offset (`u64`), little-endian.
fn encode_hits(found: &[(usize, usize)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + found.len() * 12);
    out.extend_from_slice(&(found.len() as u32).to_le_bytes());
    for &(p, off) in found {
        out.extend_from_slice(&(p as u32).to_le_bytes());
        out.extend_from_slice(&(off as u64).to_le_bytes());
    }
    out
}

/// The stored hits, when every one names a known literal inside the file (a damaged
/// entry is not trusted: the file is scanned instead).
fn decode_hits(b: &[u8], n_lits: usize, len: usize) -> Option<Vec<(usize, usize)>> {
    let n = u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize;
    if b.len() != 4 + n * 12 {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    for c in b[4..].chunks_exact(12) {
        let p = u32::from_le_bytes(c[..4].try_into().ok()?) as usize;
        let off = usize::try_from(u64::from_le_bytes(c[4..].try_into().ok()?)).ok()?;
        if p >= n_lits || off >= len {
            return None;
        }
        out.push((p, off));
    }
    Some(out)
}

/// A literal found in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub file: usize,
    pub offset: usize,
}

/// The shared, read-only input of every check.
pub struct Context<'t> {
    pub tree: &'t Tree,
    maps: Vec<Option<Mmap>>,
    sha: Vec<String>,
    hits: HashMap<&'static str, Vec<Hit>>,
    /// Files that could not be read, with the reason.
    pub unreadable: Vec<String>,
}

fn open_regular(e: &Entry) -> std::io::Result<File> {
    // Never through a symlink: the tree may hold links pointing anywhere.
    let m = fs::symlink_metadata(&e.disk)?;
    if !m.file_type().is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    File::open(&e.disk)
}

impl<'t> Context<'t> {
    /// Maps every regular file, hashes those without a hash, and runs one
    /// Aho-Corasick pass for `literals` over each file (in parallel across files).
    pub fn new(tree: &'t Tree, literals: &[&'static str]) -> Context<'t> {
        Context::with_cache(tree, literals, None)
    }

    /// As [`Context::new`], with the hits of large files taken from (and stored in)
    /// `cache` by their SHA-256.
    pub fn with_cache(
        tree: &'t Tree,
        literals: &[&'static str],
        cache: Option<&dyn FileCache>,
    ) -> Context<'t> {
        let mut lits: Vec<&'static str> = literals.to_vec();
        lits.sort_unstable();
        lits.dedup();
        let ac: Option<AhoCorasick> = if lits.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(&lits)
                .ok()
        };
        let tag = literal_tag(&lits);
        type PerFile = (Option<Mmap>, String, Vec<(usize, usize)>, Option<String>);
        let per: Vec<PerFile> = tree
            .entries
            .par_iter()
            .map(|e| {
                if e.kind != baseliner_unpack::EntryKind::File {
                    return (None, e.sha256.clone().unwrap_or_default(), Vec::new(), None);
                }
                let map = match open_regular(e).and_then(|f| baseliner_unpack::map_file(&f)) {
                    Ok(m) => m,
                    Err(err) => {
                        return (
                            None,
                            e.sha256.clone().unwrap_or_default(),
                            Vec::new(),
                            Some(format!("{}: {err}", e.fs_path)),
                        );
                    }
                };
                let data: &[u8] = map.as_deref().unwrap_or(&[]);
                let sha = match &e.sha256 {
                    Some(s) => s.clone(),
                    None => hex::encode(Sha256::digest(data)),
                };
                let cache_key = cache
                    .filter(|_| data.len() >= CACHE_MIN_BYTES && ac.is_some())
                    .map(|c| (c, format!("{sha}-{tag}")));
                if let Some((c, key)) = &cache_key
                    && let Some(found) = c
                        .get(key)
                        .and_then(|b| decode_hits(&b, lits.len(), data.len()))
                {
                    return (map, sha, found, None);
                }
                let mut found = Vec::new();
                if let Some(ac) = &ac {
                    let mut count = vec![0usize; lits.len()];
                    for m in ac.find_overlapping_iter(data) {
                        let p = m.pattern().as_usize();
                        if let Some(c) = count.get_mut(p)
                            && *c < MAX_HITS_PER_FILE
                        {
                            *c += 1;
                            found.push((p, m.start()));
                        }
                    }
                }
                if let Some((c, key)) = &cache_key {
                    c.put(key, &encode_hits(&found));
                }
                (map, sha, found, None)
            })
            .collect();
        let mut maps = Vec::with_capacity(per.len());
        let mut sha = Vec::with_capacity(per.len());
        let mut hits: HashMap<&'static str, Vec<Hit>> = HashMap::new();
        let mut unreadable = Vec::new();
        for (i, (m, s, found, err)) in per.into_iter().enumerate() {
            maps.push(m);
            sha.push(s);
            for (p, off) in found {
                if let Some(l) = lits.get(p) {
                    hits.entry(l).or_default().push(Hit {
                        file: i,
                        offset: off,
                    });
                }
            }
            if let Some(e) = err {
                unreadable.push(e);
            }
        }
        Context {
            tree,
            maps,
            sha,
            hits,
            unreadable,
        }
    }

    /// Whether file `i` is documentation (or came out of it, like a man page's gzip):
    /// a changelog names old releases, a man page shows example commands; neither is
    /// what the device runs.
    pub fn is_documentation(&self, i: usize) -> bool {
        const DOCS: &[&str] = &[
            "/usr/share/doc/",
            "/usr/share/man/",
            "/usr/share/info/",
            "/usr/share/common-licenses/",
        ];
        self.entry(i).is_some_and(|e| {
            DOCS.iter()
                .any(|d| e.provenance.contains(d) || e.fs_path.contains(d))
        })
    }

    pub fn entry(&self, i: usize) -> Option<&Entry> {
        self.tree.entries.get(i)
    }

    /// The bytes of file `i` (empty for non-files and unreadable files).
    pub fn data(&self, i: usize) -> &[u8] {
        self.maps.get(i).and_then(|m| m.as_deref()).unwrap_or(&[])
    }

    pub fn sha256(&self, i: usize) -> &str {
        self.sha.get(i).map(String::as_str).unwrap_or("")
    }

    /// Where `literal` occurs, in file order.
    pub fn hits(&self, literal: &str) -> &[Hit] {
        self.hits.get(literal).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Regular files whose path ends with one of `suffixes` (component-aligned).
    pub fn files_ending(&self, suffixes: &[&str]) -> Vec<usize> {
        self.tree
            .files()
            .filter(|(_, e)| suffixes.iter().any(|s| e.ends_with(s)))
            .map(|(i, _)| i)
            .collect()
    }

    /// Evidence for file `i`, optionally at an offset with an excerpt.
    pub fn evidence(&self, i: usize, offset: Option<u64>, excerpt: Option<String>) -> Evidence {
        let (path, provenance) = self
            .entry(i)
            .map(|e| (e.fs_path.clone(), e.provenance.clone()))
            .unwrap_or_default();
        Evidence {
            path,
            provenance,
            offset,
            excerpt: excerpt.map(|s| clip(&s)),
            sha256: self.sha256(i).to_string(),
            ..Default::default()
        }
    }

    /// Evidence for the line of file `i` holding byte `offset`.
    pub fn line_evidence(&self, i: usize, offset: usize) -> Evidence {
        let (start, line) = line_at(self.data(i), offset);
        self.evidence(i, Some(start as u64), Some(line))
    }
}

/// The line around `offset` as text, and where it starts.
pub fn line_at(data: &[u8], offset: usize) -> (usize, String) {
    let offset = offset.min(data.len());
    let before = data.get(..offset).unwrap_or(&[]);
    let start = memchr::memrchr2(b'\n', 0, before).map_or(0, |p| p + 1);
    let start = start.max(offset.saturating_sub(MAX_EXCERPT));
    let after = data.get(offset..).unwrap_or(&[]);
    let end = offset + memchr::memchr2(b'\n', 0, after).unwrap_or(after.len());
    let end = end.min(offset + MAX_EXCERPT);
    let line = String::from_utf8_lossy(data.get(start..end).unwrap_or(&[]));
    (start, line.trim().to_string())
}

/// Cuts an excerpt to [`MAX_EXCERPT`] characters, on a character boundary.
pub fn clip(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() <= MAX_EXCERPT {
        return s.replace(['\n', '\r'], " ");
    }
    let mut out: String = s.chars().take(MAX_EXCERPT).collect();
    out = out.replace(['\n', '\r'], " ");
    out.push('…');
    out
}

/// True when the data looks like text (no NUL in the first 8 KiB).
pub fn is_text(data: &[u8]) -> bool {
    let head = data.get(..data.len().min(8192)).unwrap_or(data);
    memchr::memchr(0, head).is_none()
}

/// Text lines with their start offsets, for files that look like text. Bounded by
/// the file size; lines are decoded lossily.
pub fn text_lines(data: &[u8]) -> Vec<(usize, String)> {
    if !is_text(data) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut pos = 0usize;
    for raw in data.split(|&b| b == b'\n') {
        out.push((
            pos,
            String::from_utf8_lossy(raw)
                .trim_end_matches('\r')
                .to_string(),
        ));
        pos = pos.saturating_add(raw.len() + 1);
    }
    out
}
