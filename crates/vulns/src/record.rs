//! The knowledge base's own record types, independent of any feed's layout.
//!
//! Feeds change shape (NVD added `cveTags`, `affected`, `ssvcV203`); these types keep
//! only what matching and reporting need, so the store stays small and stable.

use baseliner_model::Text;
use serde::{Deserialize, Serialize};

/// One CPE criterion of an NVD configuration node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpeCriterion {
    /// True for the product that is vulnerable; false for context (a platform).
    #[serde(rename = "v")]
    pub vulnerable: bool,
    #[serde(rename = "c")]
    pub criteria: String,
    #[serde(rename = "si", default, skip_serializing_if = "Option::is_none")]
    pub start_including: Option<String>,
    #[serde(rename = "se", default, skip_serializing_if = "Option::is_none")]
    pub start_excluding: Option<String>,
    #[serde(rename = "ei", default, skip_serializing_if = "Option::is_none")]
    pub end_including: Option<String>,
    #[serde(rename = "ee", default, skip_serializing_if = "Option::is_none")]
    pub end_excluding: Option<String>,
}

/// A configuration node: its criteria joined by AND or OR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    #[serde(rename = "a", default, skip_serializing_if = "is_false")]
    pub and: bool,
    #[serde(rename = "n", default, skip_serializing_if = "is_false")]
    pub negate: bool,
    #[serde(rename = "m")]
    pub matches: Vec<CpeCriterion>,
}

/// A configuration: its nodes joined by AND or OR (NVD's default is OR).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    #[serde(rename = "a", default, skip_serializing_if = "is_false")]
    pub and: bool,
    #[serde(rename = "n", default, skip_serializing_if = "is_false")]
    pub negate: bool,
    #[serde(rename = "d")]
    pub nodes: Vec<Node>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A CVE as the knowledge base keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct CveRecord {
    pub id: String,
    pub published: String,
    /// NVD `lastModified`; a newer one replaces an older one on import.
    pub last_modified: String,
    pub summary: String,
    pub cvss_score: Option<f64>,
    pub cvss_severity: Option<String>,
    pub configs: Vec<Config>,
}

impl CveRecord {
    /// The store's integer key ([`cve_key`]); the NVD importer refuses records whose
    /// id has none, so -1 never reaches the store.
    pub fn key(&self) -> i64 {
        cve_key(&self.id).unwrap_or(-1)
    }

    /// The `vendor:product` keys of its vulnerable criteria, which the store indexes.
    pub fn vulnerable_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .configs
            .iter()
            .flat_map(|c| &c.nodes)
            .flat_map(|n| &n.matches)
            .filter(|m| m.vulnerable)
            .filter_map(|m| crate::cpe::Cpe::parse(&m.criteria))
            .map(|c| c.key())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

/// The integer key of a canonical CVE id (`CVE-2018-20679`): year and number packed
/// into one `i64`, so the knowledge base seeks integer keys instead of text ones.
/// `None` for anything else, including non-canonical spellings (`CVE-2018-020679`),
/// so [`cve_id`] gives back exactly the id that went in.
pub fn cve_key(id: &str) -> Option<i64> {
    let rest = id.strip_prefix("CVE-")?;
    let (year, num) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if year.len() != 4 || !digits(year) || !digits(num) || num.len() < 4 || num.len() > 10 {
        return None;
    }
    if num.len() > 4 && num.starts_with('0') {
        return None;
    }
    let y: i64 = year.parse().ok()?;
    let n: i64 = num.parse().ok()?;
    Some(y * 10_000_000_000 + n)
}

/// The id of a [`cve_key`].
pub fn cve_id(key: i64) -> String {
    cve_text(key).into()
}

/// The id of a [`cve_key`] as a [`Text`] (inline, no heap allocation).
pub fn cve_text(key: i64) -> Text {
    let (year, num) = (key / 10_000_000_000, key % 10_000_000_000);
    if !(0..=9999).contains(&year) || num < 0 {
        return compact_str::format_compact!("CVE-{year:04}-{num:04}");
    }
    // Written by hand into a stack buffer: matching builds one id per match, and
    // `format!` cost more than the rest of building the match.
    let mut buf = [0u8; 24];
    let mut at = buf.len();
    // Digits of `n` (at least `min`) ending before `end`; the new start.
    fn put(buf: &mut [u8; 24], end: usize, mut n: u64, min: usize) -> usize {
        let mut at = end;
        while n > 0 || end - at < min {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        at
    }
    // A number below 10^10 has at most 10 digits, a year 4: 4 + 4 + 1 + 10 <= 24.
    at = put(&mut buf, at, num as u64, 4);
    at -= 1;
    buf[at] = b'-';
    at = put(&mut buf, at, year as u64, 4);
    at -= 4;
    buf[at..at + 4].copy_from_slice(b"CVE-");
    // Only ASCII digits and the prefix were written.
    Text::from(std::str::from_utf8(&buf[at..]).unwrap_or_default())
}

/// A number whose order is the text order of [`cve_id`]`(key)`: the year, then the
/// number's digits compared as text (`CVE-2019-10000` sorts before `CVE-2019-9999`).
/// Sorting matches by id this way needs no text comparison.
pub fn id_rank(key: i64) -> u64 {
    let year = u64::try_from(key / 10_000_000_000).unwrap_or(0);
    let mut num = u64::try_from(key % 10_000_000_000).unwrap_or(0);
    // Digits of the number as `cve_id` writes it: at least four.
    let mut digits = [0u8; 10];
    let mut len = 0;
    while (num > 0 || len < 4) && len < 10 {
        digits[len] = (num % 10) as u8;
        num /= 10;
        len += 1;
    }
    // Base 11: each digit counts one more than its value, so an absent digit (0)
    // sorts first, as a shorter text does.
    let mut text = 0u64;
    for i in 0..10 {
        let d = if i < len {
            u64::from(digits[len - 1 - i]) + 1
        } else {
            0
        };
        text = text * 11 + d;
    }
    year * 25_937_424_601 + text // 11^10
}

/// A vulnerable criterion as the store indexes it: the version interval as
/// [`Version::sort_key`](crate::version::Version::sort_key) bytes, `None` for unbounded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexRow {
    /// Ordinal of the criterion in the record, so the first hit wins as in evaluation.
    pub n: u32,
    pub key: String,
    pub lo: Option<Vec<u8>>,
    pub lo_incl: bool,
    pub hi: Option<Vec<u8>>,
    pub hi_incl: bool,
    /// The criterion names no version (`-`).
    pub no_version: bool,
    /// Version condition as shown in a match's rule.
    pub rule: String,
    /// In a plain-OR configuration: a hit is a match without further evaluation.
    pub decisive: bool,
    /// For an AND of OR nodes: each node's keys (`a,b;c`); empty otherwise.
    pub context: String,
}

impl CveRecord {
    /// Index rows of the vulnerable criteria: a prefilter that never misses a match
    /// the full configuration evaluation would make.
    pub fn index_rows(&self) -> Vec<IndexRow> {
        let mut rows: Vec<IndexRow> = Vec::new();
        let key_of = |m: &CpeCriterion| crate::cpe::Cpe::parse(&m.criteria).map(|c| c.key());
        let mut ordinal = 0u32;
        for cfg in &self.configs {
            let plain_nodes = cfg.nodes.iter().all(|n| !n.and && !n.negate);
            // A plain-OR configuration: any admitted vulnerable criterion is a match.
            let decisive = !cfg.and && !cfg.negate && plain_nodes;
            // An AND of plain-OR nodes: it can only apply when every node names a
            // product the image has; the keys per node let matching check that first.
            let context = if cfg.and && !cfg.negate && plain_nodes {
                cfg.nodes
                    .iter()
                    .map(|n| {
                        let mut keys: Vec<String> = n.matches.iter().filter_map(key_of).collect();
                        keys.sort();
                        keys.dedup();
                        keys.join(",")
                    })
                    .collect::<Vec<_>>()
                    .join(";")
            } else {
                String::new()
            };
            for m in cfg.nodes.iter().flat_map(|n| &n.matches) {
                let n = ordinal;
                ordinal = ordinal.saturating_add(1);
                if !m.vulnerable {
                    continue;
                }
                if let Some(row) = Self::index_row(m, n, decisive, &context) {
                    let same = |r: &IndexRow| {
                        (
                            &r.key, &r.lo, r.lo_incl, &r.hi, r.hi_incl, r.decisive, &r.context,
                        ) == (
                            &row.key,
                            &row.lo,
                            row.lo_incl,
                            &row.hi,
                            row.hi_incl,
                            row.decisive,
                            &row.context,
                        )
                    };
                    if !rows.iter().any(same) {
                        rows.push(row);
                    }
                }
            }
        }
        rows
    }

    fn index_row(m: &CpeCriterion, n: u32, decisive: bool, context: &str) -> Option<IndexRow> {
        use crate::version::Version;
        let enc = |v: &str| Version::parse(v).sort_key();
        {
            let cpe = crate::cpe::Cpe::parse(&m.criteria)?;
            let row = match cpe.version.as_str() {
                "*" | "-" => {
                    let (lo, lo_incl) = match (&m.start_including, &m.start_excluding) {
                        (Some(v), _) => (Some(enc(v)), true),
                        (None, Some(v)) => (Some(enc(v)), false),
                        _ => (None, false),
                    };
                    let (hi, hi_incl) = match (&m.end_including, &m.end_excluding) {
                        (Some(v), _) => (Some(enc(v)), true),
                        (None, Some(v)) => (Some(enc(v)), false),
                        _ => (None, false),
                    };
                    IndexRow {
                        n,
                        key: cpe.key(),
                        lo,
                        lo_incl,
                        hi,
                        hi_incl,
                        no_version: cpe.version == "-",
                        rule: crate::matcher::describe_condition(m, &cpe),
                        decisive,
                        context: context.to_string(),
                    }
                }
                v => {
                    let exact = if matches!(cpe.update.as_str(), "*" | "-" | "") {
                        enc(v)
                    } else {
                        enc(&format!("{v}-{}", cpe.update))
                    };
                    IndexRow {
                        n,
                        key: cpe.key(),
                        lo: Some(exact.clone()),
                        lo_incl: true,
                        hi: Some(exact),
                        hi_incl: true,
                        no_version: false,
                        rule: crate::matcher::describe_condition(m, &cpe),
                        decisive,
                        context: context.to_string(),
                    }
                }
            };
            Some(row)
        }
    }
}

/// One affected package of an OSV record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OsvPackage {
    /// Ecosystem without release (`Debian`, not `Debian:12`), lowercased.
    #[serde(rename = "e")]
    pub ecosystem: String,
    #[serde(rename = "p")]
    pub name: String,
    /// Ranges as ordered events `(introduced|fixed|last_affected, version)`.
    #[serde(rename = "r", default)]
    pub ranges: Vec<Vec<(String, String)>>,
    /// Explicitly listed affected versions.
    #[serde(rename = "v", default)]
    pub versions: Vec<String>,
    /// The ecosystem's release the entry is about (`12` of `Debian:12`, `v3.18` of
    /// `Alpine:v3.18`): a distribution fixes each release in its own package version.
    /// Absent in records imported before it was kept.
    #[serde(rename = "rl", default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
}

/// An OSV advisory as the knowledge base keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct OsvRecord {
    pub id: String,
    pub modified: String,
    pub aliases: Vec<String>,
    pub summary: String,
    pub severity: Option<String>,
    pub affected: Vec<OsvPackage>,
}

/// One entry of CISA's Known Exploited Vulnerabilities catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct KevEntry {
    pub cve: String,
    pub date_added: String,
    pub name: String,
    pub ransomware: String,
}

/// A Linux kernel CVE's fixing version on one stable stream (`4.9` -> `4.9.118`).
#[derive(Debug, Clone, PartialEq)]
pub struct KernelFix {
    pub cve: String,
    pub stream: String,
    pub fixed: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cve_keys_round_trip_and_refuse_other_spellings() {
        for id in [
            "CVE-1999-0001",
            "CVE-2014-0160",
            "CVE-2018-20679",
            "CVE-2024-1000001",
            "CVE-2021-9999999999",
        ] {
            let k = cve_key(id).unwrap_or_else(|| panic!("{id}"));
            assert_eq!(cve_id(k), id);
        }
        // The rank orders ids as their text does.
        let mut ids = vec![
            "CVE-2019-9999",
            "CVE-2019-10000",
            "CVE-2019-1000",
            "CVE-2019-0999",
            "CVE-2019-0001",
            "CVE-2018-99999",
            "CVE-2020-0001",
            "CVE-2019-1000000",
            "CVE-2019-9999999999",
            "CVE-2019-10001",
            "CVE-1999-0001",
            "CVE-9999-9999999999",
        ];
        let mut by_rank = ids.clone();
        by_rank.sort_by_key(|id| id_rank(cve_key(id).unwrap()));
        ids.sort();
        assert_eq!(by_rank, ids);
        // Order of keys is year, then number (as NVD sorts).
        assert!(cve_key("CVE-2018-99999") < cve_key("CVE-2019-0001"));
        for bad in [
            "CVE-2018-020679",
            "CVE-2018-123",
            "CVE-18-1234",
            "cve-2018-1234",
            "CVE-2018-1234x",
            "CVE-2018-12345678901",
            "GHSA-xxxx-yyyy-zzzz",
            "CVE-2018-",
            "",
        ] {
            assert_eq!(cve_key(bad), None, "{bad}");
        }
    }
}
