//! Password hashes: scheme recognition, strength, and bounded cracking against the
//! curated default-credential list the project ships (`data/default-creds.txt`).

use std::collections::HashMap;

use base64::Engine;
use sha1::Digest as _;
use yescrypt::PasswordVerifier;

/// The shipped list, `user:password` per line (see `data/README.md` for sources).
pub const DEFAULT_CREDS: &str = include_str!("../data/default-creds.txt");

/// Attempts per hash for slow schemes (bcrypt cost 9-11, yescrypt, SHA-crypt with
/// 20,001-200,000 rounds); costlier hashes are not attempted at all, so a hostile
/// image full of costly hashes cannot stall the run.
pub const SLOW_ATTEMPTS: usize = 24;
/// Hashes cracked per inspection at most.
pub const MAX_HASHES: usize = 256;

/// A password field's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Empty field: no password at all.
    Empty,
    /// `*`, `!`, `x` and friends: no usable password.
    Locked,
    Des,
    Md5,
    Apr1,
    /// `{SHA}` base64 of unsalted SHA-1 (htpasswd).
    Sha1Plain,
    Sha256,
    Sha512,
    Bcrypt,
    Yescrypt,
    /// Anything else: treated as a possible plaintext or unknown hash.
    Unknown,
}

impl Scheme {
    pub fn of(field: &str) -> Scheme {
        let f = field.trim();
        if f.is_empty() {
            return Scheme::Empty;
        }
        if f.starts_with('!') || f.starts_with('*') || f == "x" || f == "LK" || f == "NP" {
            return Scheme::Locked;
        }
        if f.starts_with("$1$") {
            Scheme::Md5
        } else if f.starts_with("$apr1$") {
            Scheme::Apr1
        } else if f.starts_with("$5$") {
            Scheme::Sha256
        } else if f.starts_with("$6$") {
            Scheme::Sha512
        } else if f.starts_with("$2a$") || f.starts_with("$2b$") || f.starts_with("$2y$") {
            Scheme::Bcrypt
        } else if f.starts_with("$y$") {
            Scheme::Yescrypt
        } else if f.starts_with("{SHA}") {
            Scheme::Sha1Plain
        } else if f.len() == 13
            && f.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
        {
            Scheme::Des
        } else {
            Scheme::Unknown
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Empty => "empty",
            Scheme::Locked => "locked",
            Scheme::Des => "DES-crypt",
            Scheme::Md5 => "MD5-crypt",
            Scheme::Apr1 => "apr1 (Apache MD5)",
            Scheme::Sha1Plain => "unsalted SHA-1",
            Scheme::Sha256 => "SHA-256-crypt",
            Scheme::Sha512 => "SHA-512-crypt",
            Scheme::Bcrypt => "bcrypt",
            Scheme::Yescrypt => "yescrypt",
            Scheme::Unknown => "unknown",
        }
    }

    /// DES, MD5 and unsalted SHA-1 are cheap to brute-force.
    pub fn is_weak(self) -> bool {
        matches!(
            self,
            Scheme::Des | Scheme::Md5 | Scheme::Apr1 | Scheme::Sha1Plain
        )
    }

    /// A hash a password can match (not empty, locked or unknown).
    pub fn is_hash(self) -> bool {
        !matches!(self, Scheme::Empty | Scheme::Locked | Scheme::Unknown)
    }
}

/// How many candidates a hash's cost allows: all for cheap schemes, a few for
/// costly ones, none where one attempt alone could take minutes or gigabytes
/// (a hostile image can state any cost).
fn attempt_budget(hash: &str, all: usize) -> usize {
    match Scheme::of(hash) {
        Scheme::Yescrypt => {
            // `$y$j9T$`: only the usual small parameter sets are tried.
            let params = hash.split('$').nth(2).unwrap_or("");
            let usual = params.len() == 3
                && params.starts_with('j')
                && params.ends_with('T')
                && params.get(1..2).is_some_and(|c| "56789ABCD".contains(c));
            if usual { SLOW_ATTEMPTS } else { 0 }
        }
        Scheme::Bcrypt => match hash.get(4..6).and_then(|c| c.parse::<u32>().ok()) {
            Some(c) if c <= 8 => all,
            Some(c) if c <= 11 => SLOW_ATTEMPTS,
            _ => 0,
        },
        Scheme::Sha256 | Scheme::Sha512 => {
            let rounds = hash
                .split('$')
                .nth(2)
                .and_then(|r| r.strip_prefix("rounds="))
                .map(|r| r.parse::<u64>().unwrap_or(u64::MAX));
            match rounds {
                None => all,
                Some(r) if r <= 20_000 => all,
                Some(r) if r <= 200_000 => SLOW_ATTEMPTS,
                Some(_) => 0,
            }
        }
        _ => all,
    }
}

/// Checks one candidate against a hash of any supported scheme.
pub fn verify(password: &str, hash: &str) -> bool {
    match Scheme::of(hash) {
        Scheme::Apr1 => md5_crypt(password.as_bytes(), hash, "$apr1$").as_deref() == Some(hash),
        Scheme::Sha1Plain => {
            let digest = sha1::Sha1::digest(password.as_bytes());
            hash.get(5..)
                == Some(
                    base64::engine::general_purpose::STANDARD
                        .encode(digest)
                        .as_str(),
                )
        }
        Scheme::Yescrypt => yescrypt::Yescrypt::default()
            .verify_password(password.as_bytes(), hash)
            .is_ok(),
        Scheme::Des | Scheme::Md5 | Scheme::Sha256 | Scheme::Sha512 | Scheme::Bcrypt => {
            // pwhash rejects malformed hashes with an error; a panic inside it on
            // hostile input is contained so one bad line cannot stop the run.
            std::panic::catch_unwind(|| pwhash::unix::verify(password, hash)).unwrap_or(false)
        }
        _ => false,
    }
}

/// The candidate list: (user, password) pairs in list order.
pub fn candidates() -> Vec<(&'static str, &'static str)> {
    DEFAULT_CREDS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('[') && !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .collect()
}

/// Results of [`crack`] already computed in this process, by (user, hash): the list is
/// compiled in, so the answer never changes, and the same `/etc/shadow` line recurs in
/// every variant of a firmware (bulk mode cracked it once per image: a quarter of a
/// cached TP-Link assessment). Cleared when it grows past [`MEMO_MAX`] entries.
static MEMO: std::sync::Mutex<Option<CrackMemo>> = std::sync::Mutex::new(None);
type CrackMemo = HashMap<(String, String), Option<&'static str>>;
const MEMO_MAX: usize = 65_536;

/// Tries the default list against `hash` for account `user`: that user's known
/// passwords first, then every other password once. Returns the password found.
pub fn crack(user: &str, hash: &str) -> Option<&'static str> {
    if !Scheme::of(hash).is_hash() {
        return None;
    }
    let key = (user.to_string(), hash.to_string());
    if let Ok(m) = MEMO.lock()
        && let Some(r) = m.as_ref().and_then(|m| m.get(&key))
    {
        return *r;
    }
    let r = crack_uncached(user, hash);
    if let Ok(mut m) = MEMO.lock() {
        let m = m.get_or_insert_with(HashMap::new);
        if m.len() >= MEMO_MAX {
            m.clear();
        }
        m.insert(key, r);
    }
    r
}

fn crack_uncached(user: &str, hash: &str) -> Option<&'static str> {
    let cands = candidates();
    let mut order: Vec<&'static str> = Vec::with_capacity(cands.len());
    for (u, p) in &cands {
        if u.eq_ignore_ascii_case(user) && !order.contains(p) {
            order.push(p);
        }
    }
    for (_, p) in &cands {
        if !order.contains(p) {
            order.push(p);
        }
    }
    let limit = attempt_budget(hash, order.len());
    order.into_iter().take(limit).find(|p| verify(p, hash))
}

const ITOA64: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// MD5-crypt with a given magic (`$apr1$` here; pwhash covers `$1$`).
pub fn md5_crypt(pw: &[u8], setting: &str, magic: &str) -> Option<String> {
    use md5::{Digest, Md5};
    let rest = setting.strip_prefix(magic)?;
    let salt = rest.split('$').next()?;
    let salt = salt.get(..salt.len().min(8))?.as_bytes();
    let mut alt = Md5::new();
    alt.update(pw);
    alt.update(salt);
    alt.update(pw);
    let alt = alt.finalize();
    let mut ctx = Md5::new();
    ctx.update(pw);
    ctx.update(magic.as_bytes());
    ctx.update(salt);
    let mut left = pw.len();
    while left > 0 {
        let n = left.min(16);
        ctx.update(alt.get(..n)?);
        left -= n;
    }
    let mut i = pw.len();
    while i > 0 {
        if i & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(pw.get(..1).unwrap_or(&[]));
        }
        i >>= 1;
    }
    let mut fin = ctx.finalize();
    for r in 0..1000 {
        let mut c = Md5::new();
        if r & 1 == 1 {
            c.update(pw);
        } else {
            c.update(fin);
        }
        if r % 3 != 0 {
            c.update(salt);
        }
        if r % 7 != 0 {
            c.update(pw);
        }
        if r & 1 == 1 {
            c.update(fin);
        } else {
            c.update(pw);
        }
        fin = c.finalize();
    }
    let f: &[u8] = fin.as_slice();
    let mut out = String::from(magic);
    out.push_str(std::str::from_utf8(salt).ok()?);
    out.push('$');
    let b = |i: usize| u32::from(f.get(i).copied().unwrap_or(0));
    for (a, bb, cc) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        let v = (b(a) << 16) | (b(bb) << 8) | b(cc);
        push64(&mut out, v, 4);
    }
    push64(&mut out, b(11), 2);
    Some(out)
}

fn push64(out: &mut String, mut v: u32, n: usize) {
    for _ in 0..n {
        out.push(char::from(ITOA64[(v & 0x3f) as usize]));
        v >>= 6;
    }
}

/// The `(user, password)` pairs the credential checks recovered, read back from the
/// CRED-004 findings this crate writes (`the password of account `u` is `p``,
/// `the web password of `u` is `p``), so that a live probe can try them first.
pub fn recovered(findings: &[baseliner_model::Finding]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = vec![];
    for f in findings
        .iter()
        .filter(|f| f.code == baseliner_model::Code::Cred004)
    {
        let ticks: Vec<&str> = f.detail.split('`').collect();
        // [prefix, user, " is ", password, suffix]
        if ticks.len() >= 5 && ticks[2].trim() == "is" {
            let pw = if ticks[3] == "(empty)" { "" } else { ticks[3] };
            let pair = (ticks[1].to_string(), pw.to_string());
            if !out.contains(&pair) {
                out.push(pair);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes() {
        assert_eq!(Scheme::of(""), Scheme::Empty);
        assert_eq!(Scheme::of("!"), Scheme::Locked);
        assert_eq!(Scheme::of("*"), Scheme::Locked);
        assert_eq!(Scheme::of("ST0P8z9dZb6Jg"), Scheme::Des);
        assert_eq!(
            Scheme::of("$1$12345678$hj0uLpdidjPhbMMZeno8X/"),
            Scheme::Md5
        );
        assert!(Scheme::Md5.is_weak() && !Scheme::Sha512.is_weak());
    }

    #[test]
    fn apr1_known_answer() {
        // htpasswd -nbm: the Apache documentation's example shape, verified below by
        // round trip on a hash made by Apache's own tool for password "myPassword".
        let h = "$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/";
        assert_eq!(md5_crypt(b"myPassword", h, "$apr1$").as_deref(), Some(h));
    }

    #[test]
    fn costly_hashes_are_bounded() {
        assert_eq!(attempt_budget("$2b$31$abcdefghijklmnopqrstuu", 300), 0);
        assert_eq!(
            attempt_budget("$2b$10$abcdefghijklmnopqrstuu", 300),
            SLOW_ATTEMPTS
        );
        assert_eq!(attempt_budget("$6$rounds=999999999$salt$x", 300), 0);
        assert_eq!(attempt_budget("$6$salt$x", 300), 300);
        assert_eq!(attempt_budget("$y$jzT$salt$x", 300), 0);
        assert_eq!(attempt_budget("$y$j9T$salt$x", 300), SLOW_ATTEMPTS);
        assert_eq!(
            crack(
                "root",
                "$2b$31$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz12"
            ),
            None
        );
    }

    #[test]
    fn list_is_curated_and_has_mirai() {
        let c = candidates();
        assert!(c.len() > 300 && c.len() < 1000, "{}", c.len());
        assert!(c.contains(&("root", "xc3511")));
        assert!(c.contains(&("root", "vizxv")));
    }

    #[test]
    fn recovered_reads_back_the_cracked_findings() {
        let f = baseliner_model::Finding::new(
            baseliner_model::Code::Cred004,
            "the password of account `root` is `xc3511`, a well-known default from the shipped list",
            vec![],
        );
        let w = baseliner_model::Finding::new(
            baseliner_model::Code::Cred004,
            "the web password of `admin` is `(empty)`, a well-known default",
            vec![],
        );
        assert_eq!(
            super::recovered(&[f, w]),
            vec![
                ("root".into(), "xc3511".into()),
                ("admin".into(), String::new())
            ]
        );
    }
}
