//! The seam every format implements, and the magic scanner that finds candidates.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::{Error, Sink};

/// A byte pattern that marks a format, found `offset` bytes after the format's start.
#[derive(Debug, Clone, Copy)]
pub struct Magic {
    pub bytes: &'static [u8],
    pub offset: usize,
}

impl Magic {
    pub const fn at0(bytes: &'static [u8]) -> Self {
        Magic { bytes, offset: 0 }
    }
    pub const fn at(bytes: &'static [u8], offset: usize) -> Self {
        Magic { bytes, offset }
    }
}

/// How sure a probe is. A failed extraction of a strong candidate is reported as an
/// error; a failed weak one (a short magic that matched by chance) is dropped silently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confidence {
    Weak,
    Strong,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeKind {
    /// Has contents to extract.
    Extract,
    /// A header that only describes what follows it (vendor headers): record it and
    /// keep scanning after it, so the payload is carved as its own format.
    Header,
}

/// What a probe established about a candidate.
#[derive(Debug, Clone)]
pub struct Probe {
    pub kind: ProbeKind,
    /// Bytes the format occupies from its start, where the header says so.
    pub len: Option<u64>,
    pub confidence: Confidence,
    /// Facts from the header, for the listing: `squashfs 4.0 LE, lzma, 560 inodes`.
    pub description: String,
}

impl Probe {
    pub fn extract(
        len: Option<u64>,
        confidence: Confidence,
        description: impl Into<String>,
    ) -> Self {
        Probe {
            kind: ProbeKind::Extract,
            len,
            confidence,
            description: description.into(),
        }
    }
    pub fn header(len: u64, description: impl Into<String>) -> Self {
        Probe {
            kind: ProbeKind::Header,
            len: Some(len),
            confidence: Confidence::Strong,
            description: description.into(),
        }
    }
}

/// One container, file system or compression format.
///
/// Implementations must never panic on any input, must bound every loop by the
/// input size or the sink's quotas, and write only through the [`Sink`].
pub trait Format: Send + Sync {
    /// Short stable name used in provenance and the listing (`squashfs`, `gzip`).
    fn name(&self) -> &'static str;
    /// The patterns that mark a candidate.
    fn magics(&self) -> &'static [Magic];
    /// Cheap validation of a candidate starting at `data[start]`.
    fn probe(&self, data: &[u8], start: usize) -> Option<Probe>;
    /// Extracts the candidate; returns how many bytes from `start` it occupied.
    fn extract(
        &self,
        data: &[u8],
        start: usize,
        probe: &Probe,
        sink: &mut Sink,
    ) -> Result<u64, Error>;
}

/// Finds every magic of every format in one pass over the data.
pub struct Scanner {
    ac: AhoCorasick,
    /// Pattern index -> (format index, magic offset).
    owners: Vec<(usize, usize)>,
}

impl Scanner {
    pub fn new(formats: &[&'static dyn Format]) -> Self {
        let mut pats: Vec<&'static [u8]> = Vec::new();
        let mut owners = Vec::new();
        for (fi, f) in formats.iter().enumerate() {
            for m in f.magics() {
                pats.push(m.bytes);
                owners.push((fi, m.offset));
            }
        }
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&pats)
            .expect("format magics form a valid automaton");
        Scanner { ac, owners }
    }

    /// Candidate (start, format index) pairs in offset order, deduplicated.
    pub fn candidates(&self, data: &[u8]) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for m in self.ac.find_overlapping_iter(data) {
            let (fi, off) = self.owners[m.pattern().as_usize()];
            if let Some(start) = m.start().checked_sub(off) {
                out.push((start, fi));
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
