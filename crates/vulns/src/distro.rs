//! Distributions' own version orderings, for their advisories.
//!
//! A distribution's advisory states the first fixed *package* version
//! (`1:1.35.0-4+deb12u1`, `1.36.1-r2`), and only the distribution's own ordering
//! compares those right: in dpkg's, `~` sorts before everything (even the end), so
//! `3.0.11-1~deb12u2 < 3.0.11-1`; in apk's, `_rc1` sorts before the release and
//! `-r2` is the package revision. Both are written from the distributions' published
//! rules (Debian Policy 5.6.12, apk-tools' version.c behaviour as documented in the
//! Alpine package format), not copied.

use std::cmp::Ordering;

/// Longest version text compared; the rest is ignored (bounds hostile input).
const MAX_LEN: usize = 256;

/// dpkg's ordering (Debian Policy 5.6.12): epoch numerically, then upstream version
/// and Debian revision each by alternating non-digit and digit runs.
pub fn dpkg_cmp(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = dpkg_split(a);
    let (eb, ub, rb) = dpkg_split(b);
    ea.cmp(&eb)
        .then_with(|| verrevcmp(ua.as_bytes(), ub.as_bytes()))
        .then_with(|| verrevcmp(ra.as_bytes(), rb.as_bytes()))
}

/// (epoch, upstream, revision); a missing epoch is 0, a missing revision empty.
fn dpkg_split(v: &str) -> (u64, &str, &str) {
    let v = v.get(..MAX_LEN).unwrap_or(v).trim();
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
            (e.parse().unwrap_or(u64::MAX), r)
        }
        _ => (0, v),
    };
    match rest.rsplit_once('-') {
        Some((u, r)) => (epoch, u, r),
        None => (epoch, rest, ""),
    }
}

/// Weight of a non-digit character: `~` below the end of the text, letters below
/// other characters.
fn order(c: Option<&u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(*c),
        Some(b'~') => -1,
        Some(c) => i32::from(*c) + 256,
    }
}

fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0usize, 0usize);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(u8::is_ascii_digit);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (x, y) = (order(a.get(i)), order(b.get(j)));
            if x != y {
                return x.cmp(&y);
            }
            i += 1;
            j += 1;
        }
        while a.get(i) == Some(&b'0') {
            i += 1;
        }
        while b.get(j) == Some(&b'0') {
            j += 1;
        }
        let mut first = Ordering::Equal;
        while digit(a, i) && digit(b, j) {
            if first.is_eq() {
                first = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if digit(a, i) {
            return Ordering::Greater;
        }
        if digit(b, j) {
            return Ordering::Less;
        }
        if !first.is_eq() {
            return first;
        }
    }
    Ordering::Equal
}

/// One parsed apk version: `1.2.3a_rc1_p2-r4`.
#[derive(Debug, PartialEq, Eq)]
struct Apk {
    numbers: Vec<String>,
    letter: Option<u8>,
    /// (rank, number): pre-release suffixes rank below 0, post-release above.
    suffixes: Vec<(i8, String)>,
    revision: String,
}

fn apk_parse(v: &str) -> Apk {
    let v = v.get(..MAX_LEN).unwrap_or(v).trim();
    let (body, revision) = match v.rsplit_once("-r") {
        Some((b, r)) if !r.is_empty() && r.bytes().all(|c| c.is_ascii_digit()) => (b, r),
        _ => (v, "0"),
    };
    let (head, suffix_text) = body.split_once('_').unwrap_or((body, ""));
    let mut numbers = Vec::new();
    let mut letter = None;
    for part in head.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        let rest = &part[digits.len()..];
        numbers.push(digits.trim_start_matches('0').to_string());
        if let Some(&c) = rest.as_bytes().first() {
            letter = Some(c);
            break;
        }
    }
    let suffixes = suffix_text
        .split('_')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let name: String = s.chars().take_while(|c| !c.is_ascii_digit()).collect();
            let num = s[name.len()..].trim_start_matches('0').to_string();
            let rank = match name.as_str() {
                "alpha" => -4,
                "beta" => -3,
                "pre" => -2,
                "rc" => -1,
                "cvs" => 1,
                "svn" => 2,
                "git" => 3,
                "hg" => 4,
                "p" => 5,
                _ => 6,
            };
            (rank, num)
        })
        .collect();
    Apk {
        numbers,
        letter,
        suffixes,
        revision: revision.trim_start_matches('0').to_string(),
    }
}

fn num_cmp(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// apk's ordering: numbers part by part (more parts is newer), then the letter
/// (none before any), then suffixes (pre-release before none before post-release),
/// then the `-rN` revision.
pub fn apk_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (apk_parse(a), apk_parse(b));
    for k in 0..x.numbers.len().max(y.numbers.len()) {
        match (x.numbers.get(k), y.numbers.get(k)) {
            (Some(p), Some(q)) => match num_cmp(p, q) {
                Ordering::Equal => {}
                o => return o,
            },
            (Some(_), None) => return Ordering::Greater,
            (None, Some(_)) => return Ordering::Less,
            (None, None) => {}
        }
    }
    match x.letter.cmp(&y.letter) {
        Ordering::Equal => {}
        o => return o,
    }
    for k in 0..x.suffixes.len().max(y.suffixes.len()) {
        let o = match (x.suffixes.get(k), y.suffixes.get(k)) {
            (Some((r, n)), Some((s, m))) => r.cmp(s).then_with(|| num_cmp(n, m)),
            (Some((r, _)), None) => r.cmp(&0),
            (None, Some((s, _))) => 0.cmp(s),
            (None, None) => Ordering::Equal,
        };
        if !o.is_eq() {
            return o;
        }
    }
    num_cmp(&x.revision, &y.revision)
}

/// The comparison an OSV ecosystem's versions need: dpkg's for Debian and Ubuntu,
/// apk's for Alpine, `None` for the rest (the generic [`crate::version`] order).
pub fn comparator(ecosystem: &str) -> Option<fn(&str, &str) -> Ordering> {
    match ecosystem {
        "debian" | "ubuntu" => Some(dpkg_cmp),
        "alpine" => Some(apk_cmp),
        _ => None,
    }
}

/// Whether a package version says the distribution built (and may have patched) it:
/// a packaging revision (`-4`, `-r2`) or an epoch (`1:`).
pub fn is_distribution_build(manager: &str, version: &str) -> bool {
    match manager {
        "dpkg" => {
            let (e, _, r) = dpkg_split(version);
            e > 0 || !r.is_empty()
        }
        "apk" => version
            .rsplit_once("-r")
            .is_some_and(|(_, r)| !r.is_empty() && r.bytes().all(|c| c.is_ascii_digit())),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn dpkg_order() {
        // Debian Policy's own examples and the cases advisories hinge on.
        for (a, b, o) in [
            ("1.0", "1.0", Equal),
            ("1.0~rc1", "1.0", Less),
            ("1.0", "1.0+b1", Less),
            ("1:1.0", "2.0", Greater),
            ("1.35.0-4", "1.35.0-4+deb12u1", Less),
            ("1:1.35.0-4+deb12u1+b1", "1:1.35.0-4+deb12u1", Greater),
            ("1:1.35.0-4+deb12u1", "1:1.36.0-1", Less),
            ("3.0.11-1~deb12u2", "3.0.11-1", Less),
            ("3.0.22-1~deb12u2", "3.0.11-1~deb12u2", Greater),
            ("2.36-9+deb12u14", "2.36-9+deb12u4", Greater),
            ("7.88.1-10+deb12u15", "7.88.1-10+deb12u5", Greater),
            ("20250419~deb12u2", "20250419", Less),
            ("1.2.13.dfsg-1", "1.2.13-1", Greater),
            ("a", "", Greater),
            ("~~", "~~a", Less),
            ("~", "", Less),
            ("010", "10", Equal),
        ] {
            assert_eq!(dpkg_cmp(a, b), o, "{a} vs {b}");
            assert_eq!(dpkg_cmp(b, a), o.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn apk_order() {
        for (a, b, o) in [
            ("1.36.1-r2", "1.36.1-r10", Less),
            ("1.36.1-r2", "1.36.1", Greater),
            ("1.36.1_rc1-r0", "1.36.1-r0", Less),
            ("1.36.1_p1-r0", "1.36.1-r5", Greater),
            ("1.1.1a-r0", "1.1.1-r9", Greater),
            ("1.2.10", "1.2.9", Greater),
            ("1.2", "1.2.0", Less),
            ("3.0.8-r3", "3.0.8-r3", Equal),
        ] {
            assert_eq!(apk_cmp(a, b), o, "{a} vs {b}");
            assert_eq!(apk_cmp(b, a), o.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn distribution_builds() {
        assert!(is_distribution_build("dpkg", "1:1.35.0-4+deb12u1"));
        assert!(is_distribution_build("dpkg", "6.1.192-3"));
        assert!(!is_distribution_build("dpkg", "1.35.0"));
        assert!(is_distribution_build("apk", "1.36.1-r2"));
        assert!(!is_distribution_build("apk", "1.36.1"));
        assert!(!is_distribution_build("opkg", "1.36.1-2"));
    }
}
