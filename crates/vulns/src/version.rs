//! Version ordering for what firmware really contains.
//!
//! Generic comparators get OpenSSL letters (`1.1.1 < 1.1.1a`), Debian epochs and
//! revisions (`1:1.35.0-4`) and vendor suffixes (`4.9.118-rt`, `2.4.7.git`) wrong, and a
//! wrong order is a wrong CVE verdict. A version is cut into tokens (numbers, pre-release
//! words, other words) and compared token by token; a missing token sorts after a
//! pre-release word and before a number or a post-release word, so `1.0-rc1 < 1.0 <
//! 1.0a < 1.0.1`. Trailing `.0` numbers are dropped, so `1.0 == 1.0.0`.

use std::cmp::Ordering;

/// Longest version text considered; the rest is ignored (bounds hostile input).
const MAX_LEN: usize = 128;
/// Most tokens kept from one version.
const MAX_TOKENS: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// Pre-release word, ranked: `alpha` < `beta` < `pre` < `rc`, and `~` (Debian).
    Pre(u8),
    /// A number, as its digits without leading zeros (so any length compares right).
    Num(String),
    /// Any other word: patch letters (`g` in `1.0.2g`, `p1` in `7.4p1`), `git`, `rt`.
    Post(String),
}

impl Token {
    fn kind_rank(&self) -> u8 {
        match self {
            Token::Pre(_) => 0,
            Token::Post(_) => 2,
            Token::Num(_) => 3,
        }
    }
}

/// The end of a version ranks between pre-release words and everything else.
const END_RANK: u8 = 1;

fn cmp_token(a: Option<&Token>, b: Option<&Token>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(t)) => END_RANK.cmp(&t.kind_rank()),
        (Some(t), None) => t.kind_rank().cmp(&END_RANK),
        (Some(x), Some(y)) => match (x, y) {
            (Token::Pre(p), Token::Pre(q)) => p.cmp(q),
            (Token::Num(p), Token::Num(q)) => p.len().cmp(&q.len()).then_with(|| p.cmp(q)),
            (Token::Post(p), Token::Post(q)) => p.cmp(q),
            _ => x.kind_rank().cmp(&y.kind_rank()),
        },
    }
}

/// A parsed version. `Ord` is a total order (property-tested).
#[derive(Debug, Clone)]
pub struct Version {
    epoch: String,
    tokens: Vec<Token>,
}

fn pre_rank(word: &str) -> Option<u8> {
    match word {
        "dev" | "snapshot" => Some(1),
        "alpha" => Some(2),
        "beta" => Some(3),
        "pre" | "preview" => Some(4),
        "rc" | "cr" => Some(5),
        _ => None,
    }
}

impl Version {
    /// Parses any text; never fails (an empty text is the lowest version).
    pub fn parse(text: &str) -> Version {
        let text = text.trim();
        let text = text.get(..MAX_LEN).unwrap_or(text);
        let (epoch, body) = match text.split_once(':') {
            Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
                (e.trim_start_matches('0').to_string(), rest)
            }
            _ => (String::new(), text),
        };
        // A leading `v` (`v1.2`) is a prefix, not part of the version.
        let body = match body.strip_prefix(['v', 'V']) {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
            _ => body,
        };
        let mut tokens = Vec::new();
        let mut chars = body.char_indices().peekable();
        while let Some(&(start, c)) = chars.peek() {
            if tokens.len() >= MAX_TOKENS {
                break;
            }
            if c.is_ascii_digit() {
                let mut end = start;
                while let Some(&(i, d)) = chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    end = i + d.len_utf8();
                    chars.next();
                }
                let digits = body.get(start..end).unwrap_or("");
                tokens.push(Token::Num(digits.trim_start_matches('0').to_string()));
            } else if c.is_alphabetic() {
                let mut end = start;
                while let Some(&(i, d)) = chars.peek() {
                    if !d.is_alphabetic() {
                        break;
                    }
                    end = i + d.len_utf8();
                    chars.next();
                }
                let word = body.get(start..end).unwrap_or("").to_lowercase();
                match pre_rank(&word) {
                    Some(r) => tokens.push(Token::Pre(r)),
                    None => tokens.push(Token::Post(word)),
                }
            } else {
                if c == '~' {
                    tokens.push(Token::Pre(0));
                }
                chars.next();
            }
        }
        // Zero numbers before a word or the end carry no order: `2.0.0-rc1` is `2-rc1`
        // and `1.0.0` is `1`, so `2.0.0-rc1 < 2.0.0` and `1.0 == 1.0.0`.
        let mut kept = Vec::with_capacity(tokens.len());
        let mut next_is_num = false;
        for t in tokens.into_iter().rev() {
            let is_zero = matches!(&t, Token::Num(n) if n.is_empty());
            if is_zero && !next_is_num {
                continue;
            }
            next_is_num = matches!(t, Token::Num(_));
            kept.push(t);
        }
        kept.reverse();
        let tokens = kept;
        Version { epoch, tokens }
    }

    /// The version without Debian epoch and revision, the form NVD and upstream use:
    /// `1:1.35.0-4` gives `1.35.0`. A revision is only cut where an epoch or a distro
    /// marker shows that it is one, so `4.9.118-rt` keeps its suffix.
    pub fn upstream_text(text: &str) -> &str {
        let text = text.trim();
        let (had_epoch, body) = match text.split_once(':') {
            Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
                (true, rest)
            }
            _ => (false, text),
        };
        if let Some((up, rev)) = body.rsplit_once('-') {
            let distro = ["ubuntu", "deb", "el", "fc", "mga", "build"]
                .iter()
                .any(|m| rev.contains(m));
            let numeric_rev = !rev.is_empty()
                && rev
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b'.' || b == b'+');
            if !up.is_empty() && (distro || (had_epoch && numeric_rev)) {
                return up;
            }
        }
        body
    }

    /// True when the version has no digits at all (such as `-`, `*`, `unknown`).
    pub fn is_numberless(&self) -> bool {
        !self.tokens.iter().any(|t| matches!(t, Token::Num(_)))
    }

    /// Bytes whose plain byte order is this version order, so a database can compare
    /// versions itself (SQLite compares BLOBs with `memcmp`). Numbers longer than 255
    /// digits are clipped, which only affects their order among themselves.
    pub fn sort_key(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16);
        let num = |out: &mut Vec<u8>, digits: &str| {
            let d = digits.as_bytes();
            let d = d.get(..255).unwrap_or(d);
            out.push(4);
            out.push(u8::try_from(d.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(d);
        };
        num(&mut out, &self.epoch);
        for t in &self.tokens {
            match t {
                Token::Pre(r) => out.extend_from_slice(&[1, *r]),
                Token::Post(w) => {
                    out.push(3);
                    // Words never hold NUL; it ends them so a prefix sorts first.
                    out.extend(w.bytes().filter(|b| *b != 0));
                    out.push(0);
                }
                Token::Num(n) => num(&mut out, n),
            }
        }
        out.push(END_RANK + 1);
        out
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        let e = self
            .epoch
            .len()
            .cmp(&other.epoch.len())
            .then_with(|| self.epoch.cmp(&other.epoch));
        if e != Ordering::Equal {
            return e;
        }
        let n = self.tokens.len().max(other.tokens.len());
        for i in 0..n {
            let o = cmp_token(self.tokens.get(i), other.tokens.get(i));
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

/// Compares two version texts.
pub fn compare(a: &str, b: &str) -> Ordering {
    Version::parse(a).cmp(&Version::parse(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lt(a: &str, b: &str) {
        assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
        assert_eq!(compare(b, a), Ordering::Greater, "{b} > {a}");
    }

    #[test]
    fn firmware_versions_order() {
        lt("1.0.2", "1.0.2g");
        lt("1.0.2f", "1.0.2g");
        lt("1.0.2g", "1.0.2h");
        lt("1.0.2z", "1.0.2za");
        lt("1.0.2zc", "1.0.3");
        lt("1.1.1", "1.1.1a");
        lt("1.0.1f", "1.0.1g");
        lt("1.0.2-beta1", "1.0.2");
        lt("1.0.2beta2", "1.0.2");
        lt("2.0.0-rc1", "2.0.0");
        lt("2017.75", "2019.78");
        lt("2016.73", "2016.74");
        lt("2.4.7", "2.4.7.git");
        lt("2.4.7.git", "2.4.8");
        lt("1.4.35", "1.4.50");
        lt("1.4.9", "1.4.35");
        lt("0.9.33", "0.9.33.2");
        lt("0.9.33.2", "0.9.34");
        lt("7.4p1", "8.0p1");
        lt("7.7", "7.7p1");
        lt("4.2.8p9", "4.2.8p15");
        lt("1.01", "1.30.0");
        lt("1.30.0", "1.33.1");
        lt("2.0", "1:0.5"); // Debian: any epoch beats none
        lt("4.9.118", "4.9.118-rt");
        lt("4.9.118-rt", "4.9.119");
        lt("1.0~rc1", "1.0");
        assert_eq!(compare("1.0", "1.0.0"), Ordering::Equal);
        assert_eq!(compare("v1.2", "1.2"), Ordering::Equal);
        assert_eq!(compare("01.02", "1.2"), Ordering::Equal);
    }

    #[test]
    fn epoch_and_revision() {
        assert_eq!(Version::upstream_text("1:1.35.0-4"), "1.35.0");
        assert_eq!(Version::upstream_text("1.18.5-1ubuntu4"), "1.18.5");
        assert_eq!(Version::upstream_text("4.9.118-rt"), "4.9.118-rt");
        assert_eq!(Version::upstream_text("2.0.0-rc1"), "2.0.0-rc1");
        assert_eq!(Version::upstream_text("1.0.2g"), "1.0.2g");
        lt("1:1.35.0-4", "2:0.1");
        lt("1.35.0", "1:1.35.0-4");
    }

    #[test]
    fn huge_numbers_and_junk_do_not_panic() {
        lt("1.99999999999999999999999", "2");
        let long = "9".repeat(10_000);
        let _ = compare(&long, "1");
        let _ = compare("ø∂ƒ:::--~~", "");
        assert!(Version::parse("-").is_numberless());
    }

    proptest! {
        #[test]
        fn ordering_is_consistent(a in "[0-9a-z.~:+-]{0,12}", b in "[0-9a-z.~:+-]{0,12}", c in "[0-9a-z.~:+-]{0,12}") {
            let (x, y, z) = (Version::parse(&a), Version::parse(&b), Version::parse(&c));
            // antisymmetry
            prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
            // transitivity
            if x <= y && y <= z { prop_assert!(x <= z); }
            // reflexivity
            prop_assert_eq!(x.cmp(&x), Ordering::Equal);
            // the byte encoding orders exactly like the comparator
            prop_assert_eq!(x.sort_key().cmp(&y.sort_key()), x.cmp(&y));
        }

        #[test]
        fn numeric_bump_is_greater(parts in proptest::collection::vec(0u32..1000, 1..5), idx in 0usize..5) {
            let i = idx % parts.len();
            let mut bumped = parts.clone();
            bumped[i] += 1;
            let s = |p: &[u32]| p.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(".");
            prop_assert_eq!(compare(&s(&parts), &s(&bumped)), Ordering::Less);
        }
    }
}
