//! The matcher's index of a knowledge base, held in memory (or mapped from a file).
//!
//! Matching 1,000 components reads about 20,000 index rows and 10,000 record details;
//! through SQLite that cost about 40 ms, most of it per-row work (seeks, stepping,
//! decoding) rather than comparisons. This index holds the same rows as flat arrays:
//! CPE keys sorted for binary search, each key's rows sorted by upper bound (as
//! `cpe_match` is clustered), versions and texts interned and referred to by `u32`,
//! records by ordinal. A probe is a binary search and a scan that allocates nothing.
//!
//! Building it reads every index row (about 2 s for 300,000 records), so it is also
//! written next to the knowledge base (`kb.sqlite.idx`) and mapped by later processes.
//! The file carries the knowledge base's generation token (`meta.generation`, renewed
//! by every write), so a stale file is never used: it is rebuilt instead. All reads
//! through a mapped file are bounds-checked; a damaged file gives no panic, only a
//! rebuild (header and section checks) or, for damage inside the arrays, wrong rows.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension};

const MAGIC: &[u8; 8] = b"BLKBIDX\0";
/// 2: records carry their publication day (`CVE_PUB`), so matching never asks SQLite.
/// 3: version ids are ranks (id order is version order), so a probe compares integers.
/// 4: a hash table of the CPE keys (`KEY_HASH`): one or two reads find a key where a
/// binary search over 100,000 keys took seventeen, each a cache miss.
const FORMAT: u32 = 4;
/// Written in native order; read back differently on a machine of other endianness.
const ENDIAN: u32 = 0x0102_0304;
const HEADER: usize = 64;
const TOKEN_LEN: usize = 32;

/// "No value" in a `u32` column.
pub(crate) const NONE: u32 = u32::MAX;

pub(crate) const LO_INCL: u8 = 1;
pub(crate) const HI_INCL: u8 = 2;
pub(crate) const DECISIVE: u8 = 4;
pub(crate) const NO_VERSION: u8 = 8;

/// Sections, in file order. `*_OFF` are `u64` offset tables (n + 1 entries) into the
/// byte section that follows them.
mod sec {
    pub const KEY_OFF: usize = 0;
    pub const KEY_BYTES: usize = 1;
    /// `u32` per key + 1: first row of each key.
    pub const KEY_ROWS: usize = 2;
    /// `u32` per row: record ordinal.
    pub const ROW_CVE: usize = 3;
    /// `u32` per row: criterion ordinal in its record.
    pub const ROW_N: usize = 4;
    /// `u32` per row: version id or [`super::NONE`].
    pub const ROW_LO: usize = 5;
    pub const ROW_HI: usize = 6;
    /// `u32` per row: text id of the rule (decisive rows) or context (others).
    pub const ROW_TEXT: usize = 7;
    /// `u8` per row: `LO_INCL | HI_INCL | DECISIVE | NO_VERSION`.
    pub const ROW_FLAGS: usize = 8;
    /// Interned versions, sorted: a version's id is its rank.
    pub const VER_OFF: usize = 9;
    pub const VER_BYTES: usize = 10;
    pub const STR_OFF: usize = 11;
    pub const STR_BYTES: usize = 12;
    /// `i64` per record (`record::cve_key`), ascending.
    pub const CVE_KEY: usize = 13;
    /// `f64` per record, NaN for none.
    pub const CVE_SCORE: usize = 14;
    /// `u32` per record: text id of the severity, or NONE.
    pub const CVE_SEV: usize = 15;
    pub const SUM_OFF: usize = 16;
    pub const SUM_BYTES: usize = 17;
    /// `u32` text ids of KEV CVE ids, sorted by text.
    pub const KEV: usize = 18;
    /// `u32` text ids per kernel fix, sorted by (cve, stream) text.
    pub const KF_CVE: usize = 19;
    pub const KF_STREAM: usize = 20;
    pub const KF_FIXED: usize = 21;
    /// `u32` per record: publication day as `yyyymmdd`, or [`super::NONE`].
    pub const CVE_PUB: usize = 22;
    /// `u32` key ids in an open-addressing table (a power of two long, at most half
    /// full, [`super::NONE`] for empty), by [`super::key_hash`].
    pub const KEY_HASH: usize = 23;
    pub const COUNT: usize = 24;
}

/// A list of byte strings: an offset table and the bytes.
#[derive(Clone, Copy)]
struct List<'a> {
    off: &'a [u64],
    bytes: &'a [u8],
}

impl<'a> List<'a> {
    fn len(&self) -> usize {
        self.off.len().saturating_sub(1)
    }
    fn get(&self, i: usize) -> Option<&'a [u8]> {
        let a = usize::try_from(*self.off.get(i)?).ok()?;
        let b = usize::try_from(*self.off.get(i + 1)?).ok()?;
        self.bytes.get(a..b)
    }
    fn str(&self, i: usize) -> Option<&'a str> {
        std::str::from_utf8(self.get(i)?).ok()
    }
}

/// Where the index bytes live; `u64` storage keeps every section 8-aligned.
enum Backing {
    Mem(Vec<u64>),
    Map(memmap2::Mmap),
}

/// The index of one knowledge-base generation.
pub(crate) struct MemIndex {
    backing: Backing,
    sections: [(usize, usize); sec::COUNT],
    token: String,
}

/// A typed view of the index, valid while the index lives.
pub(crate) struct View<'a> {
    keys: List<'a>,
    key_rows: &'a [u32],
    row_cve: &'a [u32],
    row_n: &'a [u32],
    row_lo: &'a [u32],
    row_hi: &'a [u32],
    row_text: &'a [u32],
    row_flags: &'a [u8],
    versions: List<'a>,
    strings: List<'a>,
    cve_key: &'a [i64],
    cve_score: &'a [f64],
    cve_sev: &'a [u32],
    summaries: List<'a>,
    kev: &'a [u32],
    kf_cve: &'a [u32],
    kf_stream: &'a [u32],
    kf_fixed: &'a [u32],
    cve_pub: &'a [u32],
    key_hash: &'a [u32],
}

/// One index row that admits a probe's version.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RowHit {
    pub subject: usize,
    /// Record ordinal in the index (ascending ordinals are ascending keys).
    pub cve: u32,
    pub n: u32,
    pub flags: u8,
    /// Text id: the rule of a decisive row, the context of another.
    pub text: u32,
}

impl RowHit {
    pub(crate) fn decisive(&self) -> bool {
        self.flags & DECISIVE != 0
    }
}

impl MemIndex {
    fn bytes(&self) -> &[u8] {
        match &self.backing {
            Backing::Mem(v) => bytemuck::cast_slice(v),
            Backing::Map(m) => m,
        }
    }

    /// The generation token of the knowledge base this index was built from.
    pub(crate) fn token(&self) -> &str {
        &self.token
    }

    /// Size in bytes.
    pub(crate) fn size(&self) -> usize {
        self.bytes().len()
    }

    fn section(&self, i: usize) -> &[u8] {
        let (off, len) = self.sections.get(i).copied().unwrap_or((0, 0));
        self.bytes()
            .get(off..off.saturating_add(len))
            .unwrap_or(&[])
    }

    fn typed<T: bytemuck::Pod>(&self, i: usize) -> &[T] {
        bytemuck::try_cast_slice(self.section(i)).unwrap_or(&[])
    }

    fn list(&self, off: usize, bytes: usize) -> List<'_> {
        List {
            off: self.typed(off),
            bytes: self.section(bytes),
        }
    }

    pub(crate) fn view(&self) -> View<'_> {
        View {
            keys: self.list(sec::KEY_OFF, sec::KEY_BYTES),
            key_rows: self.typed(sec::KEY_ROWS),
            row_cve: self.typed(sec::ROW_CVE),
            row_n: self.typed(sec::ROW_N),
            row_lo: self.typed(sec::ROW_LO),
            row_hi: self.typed(sec::ROW_HI),
            row_text: self.typed(sec::ROW_TEXT),
            row_flags: self.section(sec::ROW_FLAGS),
            versions: self.list(sec::VER_OFF, sec::VER_BYTES),
            strings: self.list(sec::STR_OFF, sec::STR_BYTES),
            cve_key: self.typed(sec::CVE_KEY),
            cve_score: self.typed(sec::CVE_SCORE),
            cve_sev: self.typed(sec::CVE_SEV),
            summaries: self.list(sec::SUM_OFF, sec::SUM_BYTES),
            kev: self.typed(sec::KEV),
            kf_cve: self.typed(sec::KF_CVE),
            kf_stream: self.typed(sec::KF_STREAM),
            kf_fixed: self.typed(sec::KF_FIXED),
            cve_pub: self.typed(sec::CVE_PUB),
            key_hash: self.typed(sec::KEY_HASH),
        }
    }

    /// Reads `path` when it is an index of generation `token`; `None` otherwise (absent,
    /// another generation, damaged header or sections).
    pub(crate) fn load(path: &Path, token: &str) -> Option<MemIndex> {
        let file = std::fs::File::open(path).ok()?;
        // SAFETY: the index file is only ever replaced by rename, never rewritten in
        // place, so the mapping stays valid; every read through it is bounds-checked.
        let map = unsafe { memmap2::Mmap::map(&file) }.ok()?;
        let sections = parse_header(&map, token)?;
        let ix = MemIndex {
            backing: Backing::Map(map),
            sections,
            token: token.to_string(),
        };
        ix.consistent().then_some(ix)
    }

    /// Section lengths agree with each other (so no column is shorter than another).
    fn consistent(&self) -> bool {
        let v = self.view();
        let rows = v.row_cve.len();
        let recs = v.cve_key.len();
        let kf = v.kf_cve.len();
        v.key_rows.len() == v.keys.off.len()
            && [
                v.row_n.len(),
                v.row_lo.len(),
                v.row_hi.len(),
                v.row_text.len(),
            ]
            .iter()
            .all(|&n| n == rows)
            && v.row_flags.len() == rows
            && v.cve_score.len() == recs
            && v.cve_sev.len() == recs
            && v.summaries.len() == recs
            && v.cve_pub.len() == recs
            && (v.key_hash.is_empty() || v.key_hash.len().is_power_of_two())
            && v.kf_stream.len() == kf
            && v.kf_fixed.len() == kf
    }

    /// Writes the index to `path` (through a temporary file and a rename, so a reader
    /// never maps a half-written file).
    pub(crate) fn save(&self, path: &Path) -> std::io::Result<()> {
        let tmp = PathBuf::from(format!("{}.tmp{}", path.display(), std::process::id()));
        let r = std::fs::write(&tmp, self.bytes()).and_then(|()| std::fs::rename(&tmp, path));
        if r.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        r
    }

    /// Reads every index row, record detail, KEV entry and kernel fix in one read
    /// transaction of `conn`.
    pub(crate) fn build(conn: &Connection) -> rusqlite::Result<MemIndex> {
        conn.execute_batch("BEGIN")?;
        let r = build_in_tx(conn);
        let end = conn.execute_batch("COMMIT");
        let ix = r?;
        end?;
        Ok(ix)
    }
}

fn parse_header(b: &[u8], token: &str) -> Option<[(usize, usize); sec::COUNT]> {
    let u32_at =
        |o: usize| -> Option<u32> { Some(u32::from_ne_bytes(b.get(o..o + 4)?.try_into().ok()?)) };
    let u64_at =
        |o: usize| -> Option<u64> { Some(u64::from_ne_bytes(b.get(o..o + 8)?.try_into().ok()?)) };
    if b.get(..8)? != MAGIC || u32_at(8)? != FORMAT || u32_at(12)? != ENDIAN {
        return None;
    }
    if b.get(16..16 + TOKEN_LEN)? != token_bytes(token) {
        return None;
    }
    if u64_at(48)? != b.len() as u64 || u32_at(56)? as usize != sec::COUNT {
        return None;
    }
    let mut out = [(0usize, 0usize); sec::COUNT];
    for (i, slot) in out.iter_mut().enumerate() {
        let off = usize::try_from(u64_at(HEADER + i * 16)?).ok()?;
        let len = usize::try_from(u64_at(HEADER + i * 16 + 8)?).ok()?;
        if off % 8 != 0 || off.checked_add(len)? > b.len() {
            return None;
        }
        *slot = (off, len);
    }
    Some(out)
}

/// The token as stored: its first 32 bytes, zero-padded.
fn token_bytes(token: &str) -> [u8; TOKEN_LEN] {
    let mut t = [0u8; TOKEN_LEN];
    for (d, s) in t.iter_mut().zip(token.bytes()) {
        *d = s;
    }
    t
}

/// Interns byte strings: equal strings get one id.
#[derive(Default)]
struct Interner {
    ids: HashMap<Vec<u8>, u32>,
    off: Vec<u64>,
    bytes: Vec<u8>,
}

impl Interner {
    fn id(&mut self, s: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        if self.off.is_empty() {
            self.off.push(0);
        }
        let id = u32::try_from(self.off.len() - 1).unwrap_or(NONE);
        self.bytes.extend_from_slice(s);
        self.off.push(self.bytes.len() as u64);
        self.ids.insert(s.to_vec(), id);
        id
    }
    /// The strings in byte order, and each old id's new id (its rank).
    fn finish_sorted(self) -> (Vec<u64>, Vec<u8>, Vec<u32>) {
        let (off, bytes) = self.finish();
        let n = off.len().saturating_sub(1);
        let get = |i: usize| &bytes[off[i] as usize..off[i + 1] as usize];
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_unstable_by(|&a, &b| get(a).cmp(get(b)));
        let mut rank = vec![NONE; n];
        let mut s_off = Vec::with_capacity(n + 1);
        let mut s_bytes = Vec::with_capacity(bytes.len());
        s_off.push(0u64);
        for (r, &i) in order.iter().enumerate() {
            rank[i] = u32::try_from(r).unwrap_or(NONE);
            s_bytes.extend_from_slice(get(i));
            s_off.push(s_bytes.len() as u64);
        }
        (s_off, s_bytes, rank)
    }

    fn finish(mut self) -> (Vec<u64>, Vec<u8>) {
        if self.off.is_empty() {
            self.off.push(0);
        }
        (self.off, self.bytes)
    }
}

fn build_in_tx(conn: &Connection) -> rusqlite::Result<MemIndex> {
    let token: String = conn
        .query_row("SELECT v FROM meta WHERE k = 'generation'", [], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or_default();
    let mut strings = Interner::default();
    let mut versions = Interner::default();

    // Records, ascending by key.
    let mut cve_key: Vec<i64> = Vec::new();
    let mut cve_score: Vec<f64> = Vec::new();
    let mut cve_sev: Vec<u32> = Vec::new();
    let mut cve_pub: Vec<u32> = Vec::new();
    let mut sum_off: Vec<u64> = vec![0];
    let mut sum_bytes: Vec<u8> = Vec::new();
    {
        let mut stmt =
            conn.prepare("SELECT k, score, severity, summary, published FROM cve ORDER BY k")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            cve_key.push(r.get(0)?);
            cve_score.push(r.get::<_, Option<f64>>(1)?.unwrap_or(f64::NAN));
            let sev = r.get_ref(2)?.as_str_or_null()?;
            cve_sev.push(sev.map_or(NONE, |s| strings.id(s.as_bytes())));
            sum_bytes.extend_from_slice(r.get_ref(3)?.as_str()?.as_bytes());
            sum_off.push(sum_bytes.len() as u64);
            cve_pub.push(day_number(r.get_ref(4)?.as_str_or_null()?.unwrap_or("")));
        }
    }

    // Index rows, in the table's clustered order: by key, then upper bound.
    let mut key_off: Vec<u64> = vec![0];
    let mut key_bytes: Vec<u8> = Vec::new();
    let mut key_rows: Vec<u32> = Vec::new();
    let mut row_cve: Vec<u32> = Vec::new();
    let mut row_n: Vec<u32> = Vec::new();
    let mut row_lo: Vec<u32> = Vec::new();
    let mut row_hi: Vec<u32> = Vec::new();
    let mut row_text: Vec<u32> = Vec::new();
    let mut row_flags: Vec<u8> = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT key, hi, cve, n, lo, lo_incl, hi_incl, decisive, \
             CASE WHEN decisive THEN rule ELSE context END, no_version \
             FROM cpe_match ORDER BY key, hi, cve, n",
        )?;
        let mut rows = stmt.query([])?;
        let mut last_ord = 0usize;
        while let Some(r) = rows.next()? {
            let key = r.get_ref(0)?.as_str()?.as_bytes();
            let last = key_off
                .len()
                .checked_sub(2)
                .and_then(|i| key_bytes.get(key_off[i] as usize..key_off[i + 1] as usize));
            if last != Some(key) {
                key_bytes.extend_from_slice(key);
                key_off.push(key_bytes.len() as u64);
                key_rows.push(u32::try_from(row_cve.len()).unwrap_or(NONE));
            }
            let cve: i64 = r.get(2)?;
            // Rows of one key come in upper-bound order, not record order: look the
            // ordinal up, trying the previous row's first (records cluster).
            let ord = if cve_key.get(last_ord) == Some(&cve) {
                last_ord
            } else {
                match cve_key.binary_search(&cve) {
                    Ok(i) => i,
                    Err(_) => continue, // an index row without its record
                }
            };
            last_ord = ord;
            row_cve.push(u32::try_from(ord).unwrap_or(NONE));
            row_n.push(u32::try_from(r.get::<_, i64>(3)?).unwrap_or(NONE));
            row_hi.push(versions.id(r.get_ref(1)?.as_blob()?));
            row_lo.push(match r.get_ref(4)?.as_blob_or_null()? {
                Some(lo) => versions.id(lo),
                None => NONE,
            });
            let flag = |i: usize, f: u8| -> rusqlite::Result<u8> {
                Ok(if r.get::<_, i64>(i)? != 0 { f } else { 0 })
            };
            row_flags.push(
                flag(5, LO_INCL)? | flag(6, HI_INCL)? | flag(7, DECISIVE)? | flag(9, NO_VERSION)?,
            );
            row_text.push(strings.id(r.get_ref(8)?.as_str()?.as_bytes()));
        }
        key_rows.push(u32::try_from(row_cve.len()).unwrap_or(NONE));
    }

    let mut kev: Vec<(String, u32)> = Vec::new();
    {
        let mut stmt = conn.prepare("SELECT cve FROM kev ORDER BY cve")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let s: String = r.get(0)?;
            let id = strings.id(s.as_bytes());
            kev.push((s, id));
        }
    }
    // SQLite's BINARY collation is byte order, as Rust's `str` order; sort anyway so
    // the binary search never depends on it.
    kev.sort();
    let mut kf: Vec<(String, String, u32, u32, u32)> = Vec::new();
    {
        let mut stmt =
            conn.prepare("SELECT cve, stream, fixed FROM kernel_fix ORDER BY cve, stream")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (c, s, f): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            let ids = (
                strings.id(c.as_bytes()),
                strings.id(s.as_bytes()),
                strings.id(f.as_bytes()),
            );
            kf.push((c, s, ids.0, ids.1, ids.2));
        }
    }
    kf.sort();

    // Renumber versions by rank, so `id(a) < id(b)` exactly when `a < b`.
    let key_hash = hash_table(&key_off, &key_bytes);
    let (ver_off, ver_bytes, rank) = versions.finish_sorted();
    for id in row_lo.iter_mut().chain(row_hi.iter_mut()) {
        if *id != NONE {
            *id = rank.get(*id as usize).copied().unwrap_or(NONE);
        }
    }
    let (str_off, str_bytes) = strings.finish();
    let kev: Vec<u32> = kev.into_iter().map(|(_, id)| id).collect();
    let kf_cve: Vec<u32> = kf.iter().map(|x| x.2).collect();
    let kf_stream: Vec<u32> = kf.iter().map(|x| x.3).collect();
    let kf_fixed: Vec<u32> = kf.iter().map(|x| x.4).collect();

    let parts: [&[u8]; sec::COUNT] = [
        bytemuck::cast_slice(&key_off),
        &key_bytes,
        bytemuck::cast_slice(&key_rows),
        bytemuck::cast_slice(&row_cve),
        bytemuck::cast_slice(&row_n),
        bytemuck::cast_slice(&row_lo),
        bytemuck::cast_slice(&row_hi),
        bytemuck::cast_slice(&row_text),
        &row_flags,
        bytemuck::cast_slice(&ver_off),
        &ver_bytes,
        bytemuck::cast_slice(&str_off),
        &str_bytes,
        bytemuck::cast_slice(&cve_key),
        bytemuck::cast_slice(&cve_score),
        bytemuck::cast_slice(&cve_sev),
        bytemuck::cast_slice(&sum_off),
        &sum_bytes,
        bytemuck::cast_slice(&kev),
        bytemuck::cast_slice(&kf_cve),
        bytemuck::cast_slice(&kf_stream),
        bytemuck::cast_slice(&kf_fixed),
        bytemuck::cast_slice(&cve_pub),
        bytemuck::cast_slice(&key_hash),
    ];
    Ok(assemble(&parts, token))
}

/// Lays the sections out after the header, each 8-aligned.
fn assemble(parts: &[&[u8]; sec::COUNT], token: String) -> MemIndex {
    let table = HEADER + sec::COUNT * 16;
    let mut sections = [(0usize, 0usize); sec::COUNT];
    let mut at = table.next_multiple_of(8);
    for (slot, p) in sections.iter_mut().zip(parts) {
        *slot = (at, p.len());
        at = (at + p.len()).next_multiple_of(8);
    }
    let total = at;
    let mut words = vec![0u64; total / 8];
    {
        let b: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
        b[..8].copy_from_slice(MAGIC);
        b[8..12].copy_from_slice(&FORMAT.to_ne_bytes());
        b[12..16].copy_from_slice(&ENDIAN.to_ne_bytes());
        b[16..16 + TOKEN_LEN].copy_from_slice(&token_bytes(&token));
        b[48..56].copy_from_slice(&(total as u64).to_ne_bytes());
        b[56..60].copy_from_slice(&(sec::COUNT as u32).to_ne_bytes());
        for (i, ((off, len), p)) in sections.iter().zip(parts).enumerate() {
            let h = HEADER + i * 16;
            b[h..h + 8].copy_from_slice(&(*off as u64).to_ne_bytes());
            b[h + 8..h + 16].copy_from_slice(&(*len as u64).to_ne_bytes());
            b[*off..*off + len].copy_from_slice(p);
        }
    }
    MemIndex {
        backing: Backing::Mem(words),
        sections,
        token,
    }
}

impl<'a> View<'a> {
    /// The id of CPE key `key`: by the hash table, or by binary search (keys are
    /// sorted bytewise) in an index without one.
    fn key_id(&self, key: &str) -> Option<usize> {
        let want = key.as_bytes();
        if self.key_hash.is_empty() {
            return bsearch(self.keys.len(), |i| {
                self.keys.get(i).unwrap_or(&[]).cmp(want)
            });
        }
        let mask = self.key_hash.len() - 1;
        let mut slot = key_hash(want) as usize & mask;
        // At most one pass over the table, so a damaged table cannot loop.
        for _ in 0..self.key_hash.len() {
            let id = *self.key_hash.get(slot)?;
            if id == NONE {
                return None;
            }
            if self.keys.get(id as usize) == Some(want) {
                return Some(id as usize);
            }
            slot = (slot + 1) & mask;
        }
        None
    }

    fn rows_of(&self, key: &str) -> std::ops::Range<usize> {
        let Some(k) = self.key_id(key) else {
            return 0..0;
        };
        let a = self.key_rows.get(k).map_or(0, |&x| x as usize);
        let b = self.key_rows.get(k + 1).map_or(0, |&x| x as usize);
        let b = b.min(self.row_cve.len());
        a.min(b)..b
    }

    /// Appends the rows that admit version `v` (a `Version::sort_key`) of `subject`
    /// under CPE key `key`: key equal, `hi >= v` (strictly above unless inclusive), and
    /// `lo` absent, below `v`, or equal and inclusive. The same condition `cpe_match`
    /// was queried with.
    pub(crate) fn probe(&self, subject: usize, key: &str, v: &[u8], out: &mut Vec<RowHit>) {
        let range = self.rows_of(key);
        if range.is_empty() {
            return;
        }
        // Where `v` falls among the sorted versions: `at` is the first id not below
        // it, `exact` whether that id is `v` itself. Every bound is then compared as
        // an integer: `x < v` is `id < at`, `x == v` is `exact && id == at`.
        let (at, exact) = self.version_position(v);
        let below = |id: u32| id < at;
        let equal = |id: u32| exact && id == at;
        // Rows are sorted by upper bound: skip every row whose bound is below v.
        let hi_ids = self.row_hi.get(range.clone()).unwrap_or(&[]);
        let first = range.start + hi_ids.partition_point(|&id| below(id));
        for r in first..range.end {
            let (Some(&hid), Some(&flags)) = (self.row_hi.get(r), self.row_flags.get(r)) else {
                break;
            };
            if flags & HI_INCL == 0 && equal(hid) {
                continue;
            }
            let lid = self.row_lo.get(r).copied().unwrap_or(NONE);
            if lid != NONE && !(below(lid) || (flags & LO_INCL != 0 && equal(lid))) {
                continue;
            }
            out.push(RowHit {
                subject,
                cve: self.row_cve.get(r).copied().unwrap_or(NONE),
                n: self.row_n.get(r).copied().unwrap_or(NONE),
                flags,
                text: self.row_text.get(r).copied().unwrap_or(NONE),
            });
        }
    }

    /// The first version id whose version is not below `v`, and whether it equals `v`.
    fn version_position(&self, v: &[u8]) -> (u32, bool) {
        let n = self.versions.len();
        let (mut lo, mut hi) = (0usize, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.versions.get(mid).unwrap_or(&[]) < v {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let exact = self.versions.get(lo) == Some(v);
        (u32::try_from(lo).unwrap_or(NONE), exact)
    }

    /// Ordinals of every record with a vulnerable criterion under `key`.
    pub(crate) fn records_of(&self, key: &str, out: &mut Vec<u32>) {
        for r in self.rows_of(key) {
            if let Some(&c) = self.row_cve.get(r) {
                out.push(c);
            }
        }
    }

    /// A text (rule, context, severity) by id; empty when out of range.
    pub(crate) fn text(&self, id: u32) -> &'a str {
        self.strings.str(id as usize).unwrap_or("")
    }

    /// A text's bytes, without UTF-8 validation (for comparisons).
    pub(crate) fn text_bytes(&self, id: u32) -> &'a [u8] {
        self.strings.get(id as usize).unwrap_or(&[])
    }

    pub(crate) fn cve_key(&self, ord: u32) -> Option<i64> {
        self.cve_key.get(ord as usize).copied()
    }

    /// The ordinal of the record with key `key`.
    pub(crate) fn cve_ord(&self, key: i64) -> Option<u32> {
        self.cve_key
            .binary_search(&key)
            .ok()
            .and_then(|i| u32::try_from(i).ok())
    }

    /// Score, severity and summary of a record.
    pub(crate) fn details(&self, ord: u32) -> (Option<f64>, Option<&'a str>, &'a str) {
        let i = ord as usize;
        let score = self.cve_score.get(i).copied().filter(|s| !s.is_nan());
        let sev = self
            .cve_sev
            .get(i)
            .copied()
            .filter(|&s| s != NONE)
            .map(|s| self.text(s));
        let summary = self.summaries.str(i).unwrap_or("");
        (score, sev, summary)
    }

    /// The record's publication day (`YYYY-MM-DD`), when it states one.
    pub(crate) fn published(&self, ord: u32) -> Option<baseliner_model::Text> {
        let n = self
            .cve_pub
            .get(ord as usize)
            .copied()
            .filter(|&n| n != NONE)?;
        let mut b = *b"0000-00-00";
        for (i, shift) in [(0, 1000), (1, 100), (2, 10), (3, 1)] {
            b[i] = b'0' + (n / 10_000 / shift % 10) as u8;
        }
        for (i, v) in [
            (5, n / 1000 % 10),
            (6, n / 100 % 10),
            (8, n / 10 % 10),
            (9, n % 10),
        ] {
            b[i] = b'0' + v as u8;
        }
        // Only ASCII digits and dashes were written.
        std::str::from_utf8(&b)
            .ok()
            .map(baseliner_model::Text::from)
    }

    /// Whether `id` is in the KEV catalogue.
    pub(crate) fn in_kev(&self, id: &str) -> bool {
        let id = id.as_bytes();
        bsearch(self.kev.len(), |i| {
            self.kev
                .get(i)
                .map_or(&[][..], |&s| self.text_bytes(s))
                .cmp(id)
        })
        .is_some()
    }

    /// The version that fixes kernel CVE `cve` on `stream` (`4.9`, `mainline`).
    pub(crate) fn kernel_fix(&self, cve: &str, stream: &str) -> Option<&'a str> {
        let want = (cve.as_bytes(), stream.as_bytes());
        let i = bsearch(self.kf_cve.len(), |i| {
            let c = self.kf_cve.get(i).map_or(&[][..], |&s| self.text_bytes(s));
            let s = self
                .kf_stream
                .get(i)
                .map_or(&[][..], |&s| self.text_bytes(s));
            (c, s).cmp(&want)
        })?;
        self.kf_fixed.get(i).map(|&s| self.text(s))
    }
}

/// FNV-1a: stable across processes and builds (the table is written to a file).
fn key_hash(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b {
        h = (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The open-addressing table of the keys in `key_off`/`key_bytes` (see `sec::KEY_HASH`).
fn hash_table(key_off: &[u64], key_bytes: &[u8]) -> Vec<u32> {
    let n = key_off.len().saturating_sub(1);
    let size = (n * 2).max(2).next_power_of_two();
    let mask = size - 1;
    let mut table = vec![NONE; size];
    for i in 0..n {
        let key = key_bytes
            .get(key_off[i] as usize..key_off[i + 1] as usize)
            .unwrap_or(&[]);
        let mut slot = key_hash(key) as usize & mask;
        while table[slot] != NONE {
            slot = (slot + 1) & mask;
        }
        table[slot] = u32::try_from(i).unwrap_or(NONE);
    }
    table
}

/// `2024-03-07…` as `20240307`; [`NONE`] unless the text starts with a plausible date.
fn day_number(s: &str) -> u32 {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let mut n = 0u32;
        for &c in b.get(r)? {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u32::from(c - b'0');
        }
        Some(n)
    };
    match (
        digits(0..4),
        b.get(4),
        digits(5..7),
        b.get(7),
        digits(8..10),
    ) {
        (Some(y), Some(b'-'), Some(m), Some(b'-'), Some(d))
            if (1..=12).contains(&m) && (1..=31).contains(&d) =>
        {
            y * 10_000 + m * 100 + d
        }
        _ => NONE,
    }
}

/// Binary search over `0..n` by `cmp(i)` (the order of element `i` against the target).
fn bsearch(n: usize, cmp: impl Fn(usize) -> std::cmp::Ordering) -> Option<usize> {
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        match cmp(mid) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return Some(mid),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `View::published` of an index whose one record has day `n`.
    fn assemble_one_pub(n: u32) -> Option<String> {
        let key = [2024_0000_0001i64];
        let nan = [f64::NAN];
        let none = [NONE];
        let off = [0u64, 0];
        let one = [n];
        let empty: &[u8] = &[];
        let mut parts: [&[u8]; sec::COUNT] = [empty; sec::COUNT];
        for i in [sec::KEY_OFF, sec::VER_OFF, sec::STR_OFF] {
            parts[i] = bytemuck::cast_slice(&off[..1]);
        }
        parts[sec::KEY_ROWS] = bytemuck::cast_slice(&[0u32]);
        parts[sec::CVE_KEY] = bytemuck::cast_slice(&key);
        parts[sec::CVE_SCORE] = bytemuck::cast_slice(&nan);
        parts[sec::CVE_SEV] = bytemuck::cast_slice(&none);
        parts[sec::SUM_OFF] = bytemuck::cast_slice(&off);
        parts[sec::CVE_PUB] = bytemuck::cast_slice(&one);
        let ix = assemble(&parts, "t".into());
        assert!(ix.consistent());
        ix.view().published(0).map(|t| t.to_string())
    }

    #[test]
    fn version_ids_are_ranks_and_positions_compare_as_versions() {
        let mut v = Interner::default();
        let words: [&[u8]; 5] = [b"c", b"a", b"e", b"b", b"a"];
        let ids: Vec<u32> = words.iter().map(|w| v.id(w)).collect();
        let (off, bytes, rank) = v.finish_sorted();
        let list = List {
            off: &off,
            bytes: &bytes,
        };
        // Old ids c=0 a=1 e=2 b=3 become ranks c=2 a=0 e=3 b=1.
        assert_eq!(rank, vec![2, 0, 3, 1]);
        for (w, id) in words.iter().zip(&ids) {
            assert_eq!(list.get(rank[*id as usize] as usize), Some(*w));
        }
        let mut parts: [&[u8]; sec::COUNT] = [&[]; sec::COUNT];
        let zero = [0u64];
        for i in [sec::KEY_OFF, sec::STR_OFF, sec::SUM_OFF] {
            parts[i] = bytemuck::cast_slice(&zero);
        }
        parts[sec::VER_OFF] = bytemuck::cast_slice(&off);
        parts[sec::VER_BYTES] = &bytes;
        let ix = assemble(&parts, "t".into());
        let view = ix.view();
        // Below everything, between, equal, above everything.
        assert_eq!(view.version_position(b""), (0, false));
        assert_eq!(view.version_position(b"a"), (0, true));
        assert_eq!(view.version_position(b"bb"), (2, false));
        assert_eq!(view.version_position(b"c"), (2, true));
        assert_eq!(view.version_position(b"z"), (4, false));
    }

    #[test]
    fn keys_are_found_through_the_hash_table_and_without_it() {
        let keys: [&[u8]; 4] = [b"a:x", b"busybox:busybox", b"linux:linux_kernel", b"z:z"];
        let mut off = vec![0u64];
        let mut bytes = Vec::new();
        for k in keys {
            bytes.extend_from_slice(k);
            off.push(bytes.len() as u64);
        }
        let table = hash_table(&off, &bytes);
        assert!(table.len().is_power_of_two() && table.len() >= 2 * keys.len());
        let rows = [0u32, 1, 2, 3, 4];
        let zero = [0u64];
        for with_table in [true, false] {
            let mut parts: [&[u8]; sec::COUNT] = [&[]; sec::COUNT];
            for i in [sec::VER_OFF, sec::STR_OFF, sec::SUM_OFF] {
                parts[i] = bytemuck::cast_slice(&zero);
            }
            parts[sec::KEY_OFF] = bytemuck::cast_slice(&off);
            parts[sec::KEY_BYTES] = &bytes;
            parts[sec::KEY_ROWS] = bytemuck::cast_slice(&rows);
            if with_table {
                parts[sec::KEY_HASH] = bytemuck::cast_slice(&table);
            }
            let ix = assemble(&parts, "t".into());
            let view = ix.view();
            for (i, k) in keys.iter().enumerate() {
                let k = std::str::from_utf8(k).unwrap();
                assert_eq!(view.key_id(k), Some(i), "{k} (table: {with_table})");
            }
            for absent in ["", "a", "busybox:busybo", "zz:z"] {
                assert_eq!(view.key_id(absent), None, "{absent} (table: {with_table})");
            }
        }
    }

    #[test]
    fn publication_days_are_read_only_from_dates() {
        assert_eq!(day_number("2024-03-07T12:00:00.000"), 20240307);
        assert_eq!(day_number("1999-12-31"), 19991231);
        let mut v = assemble_one_pub(20240307);
        assert_eq!(v.as_deref(), Some("2024-03-07"));
        v = assemble_one_pub(NONE);
        assert_eq!(v, None);
        for bad in [
            "",
            "2024",
            "2024-13-01",
            "2024-00-10",
            "2024-01-32",
            "20240307",
            "abcd-ef-gh",
        ] {
            assert_eq!(day_number(bad), NONE, "{bad}");
        }
    }
}
