//! Credentials: account databases, web-server auth files, default configurations,
//! scripts that set passwords, and publicly known SSH keys.

use baseliner_model::Code;
use std::collections::HashMap;

use baseliner_model::{Confidence, Finding};
use rayon::prelude::*;

use crate::codes::finding;
use crate::context::{Context, line_at, text_lines};
use crate::creds::{self, Scheme};
use crate::{Check, CheckOutput, Family};

pub struct Credentials;

/// Known published SSH private keys: SHA-256 of the key's base64 body (whitespace
/// removed), with the product and advisory. Derived from the routersploit key set.
const KNOWN_KEYS: &str = include_str!("../../data/known-ssh-keys.txt");

/// Account-database file names (busybox and vendor variants included).
const ACCOUNT_FILES: &[&str] = &[
    "passwd",
    "shadow",
    "passwd-",
    "shadow-",
    "passwd.bak",
    "shadow.bak",
    "passwd.orig",
];
/// Web-server authentication file names.
const WEB_AUTH_FILES: &[&str] = &[
    ".htpasswd",
    "htpasswd",
    "lighttpd.user",
    "lighttpd-htdigest.user",
    "boa.passwd",
    "httpd.passwd",
    "umconfig.txt",
    "httpd.conf",
];

impl Check for Credentials {
    fn name(&self) -> &'static str {
        "credentials"
    }
    fn family(&self) -> Family {
        Family::Credentials
    }
    fn literals(&self) -> &'static [&'static str] {
        &[
            "chpasswd",
            "passwd -d",
            "| passwd",
            "|passwd",
            "PRIVATE KEY-----",
            "passwd -e",
            "passwd --expire",
            "chage -d",
            "chage --lastday",
        ]
    }
    fn run(&self, ctx: &Context) -> CheckOutput {
        let mut out = CheckOutput::default();
        out.findings.extend(accounts(ctx));
        out.findings.extend(web_auth(ctx));
        out.findings.extend(default_configs(ctx));
        out.findings.extend(password_scripts(ctx));
        out.findings.extend(known_keys(ctx));
        out
    }
}

/// One account line from passwd or shadow.
#[derive(Debug, Clone)]
struct Account {
    file: usize,
    offset: usize,
    user: String,
    hash: String,
    uid: Option<u32>,
    shell: Option<String>,
    /// Shadow's "last change" field: `0` forces a change at the next login.
    last_change: Option<String>,
}

fn parse_accounts(ctx: &Context, i: usize) -> Vec<Account> {
    let mut v = Vec::new();
    for (off, line) in text_lines(ctx.data(i)) {
        let f: Vec<&str> = line.split(':').collect();
        let (Some(user), Some(hash)) = (f.first(), f.get(1)) else {
            continue;
        };
        let user = user.trim();
        if user.is_empty()
            || user.starts_with('#')
            || !user
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-$".contains(&b))
        {
            continue;
        }
        // A passwd line has 7 fields; shadow 9; htpasswd-style 2.
        let is_passwd = f.len() == 7;
        v.push(Account {
            file: i,
            offset: off,
            user: user.to_string(),
            hash: hash.trim().to_string(),
            uid: if is_passwd {
                f.get(2).and_then(|u| u.parse().ok())
            } else {
                None
            },
            shell: if is_passwd {
                f.get(6).map(|s| s.trim().to_string())
            } else {
                None
            },
            last_change: (f.len() == 9)
                .then(|| f.get(2).map(|s| s.trim().to_string()))
                .flatten(),
        });
    }
    v
}

fn login_shell(shell: &Option<String>) -> bool {
    match shell {
        None => true,
        Some(s) => {
            !(s.ends_with("nologin")
                || s.ends_with("false")
                || s.ends_with("/sync")
                || s.ends_with("shutdown")
                || s.ends_with("halt"))
        }
    }
}

fn elide(hash: &str) -> String {
    let keep: String = hash.chars().take(12).collect();
    if hash.chars().count() > 12 {
        format!("{keep}…")
    } else {
        keep
    }
}

fn accounts(ctx: &Context) -> Vec<Finding> {
    let files: Vec<usize> = ctx
        .tree
        .files()
        .filter(|(_, e)| ACCOUNT_FILES.contains(&e.name()) && e.size < 1 << 20)
        .map(|(i, _)| i)
        .collect();
    let all: Vec<Account> = files.iter().flat_map(|&i| parse_accounts(ctx, i)).collect();
    // Shells and uids come from passwd; hashes from shadow where present.
    let mut shells: HashMap<String, (Option<String>, Option<u32>)> = HashMap::new();
    for a in all.iter().filter(|a| a.shell.is_some()) {
        shells.insert(a.user.clone(), (a.shell.clone(), a.uid));
    }
    let mut findings = Vec::new();
    let mut to_crack: Vec<&Account> = Vec::new();
    let change_scripts = forced_change_scripts(ctx);
    for a in &all {
        let (shell, _uid) = shells
            .get(&a.user)
            .cloned()
            .unwrap_or((a.shell.clone(), a.uid));
        let scheme = Scheme::of(&a.hash);
        let excerpt = format!("{}:{}", a.user, elide(&a.hash));
        let ev = || vec![ctx.evidence(a.file, Some(a.offset as u64), Some(excerpt.clone()))];
        let is_shadow_stub = a.hash == "x" && a.shell.is_some();
        if is_shadow_stub {
            continue;
        }
        match scheme {
            Scheme::Empty if login_shell(&shell) => findings.push(finding(
                Code::Cred003,
                format!(
                    "account `{}` has an empty password field and login shell {}",
                    a.user,
                    shell.as_deref().unwrap_or("(unknown: no passwd entry)")
                ),
                ev(),
            )),
            s if s.is_hash() && login_shell(&shell) => {
                let (confidence, why) = first_use(ctx, a, &change_scripts);
                findings.push(
                    finding(
                        Code::Cred001,
                        format!(
                            "account `{}` has a {} password hash baked into the image: every unit ships \
                             the same password unless the device forces a change at first use",
                            a.user,
                            s.name()
                        ),
                        ev(),
                    )
                    .with_confidence(confidence, why),
                );
                if s.is_weak() {
                    findings.push(finding(
                        Code::Cred002,
                        format!(
                            "account `{}` uses {}, which is cheap to brute-force",
                            a.user,
                            s.name()
                        ),
                        ev(),
                    ));
                }
                to_crack.push(a);
            }
            _ => {}
        }
    }
    to_crack.truncate(creds::MAX_HASHES);
    let cracked: Vec<Finding> = to_crack
        .par_iter()
        .filter_map(|a| {
            let pw = creds::crack(&a.user, &a.hash)?;
            Some(finding(
                Code::Cred004,
                format!(
                    "the password of account `{}` is `{}`, a well-known default from the shipped list",
                    a.user,
                    if pw.is_empty() { "(empty)" } else { pw }
                ),
                vec![ctx.evidence(a.file, Some(a.offset as u64), Some(format!("{}:{}", a.user, elide(&a.hash))))],
            ))
        })
        .collect();
    findings.extend(cracked);
    findings
}

/// Where a file lives on the device, from the innermost file system of its
/// provenance chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    /// A read-only file system: what the image holds is what every unit runs.
    ReadOnly(&'static str),
    /// A RAM disk (an initramfs cpio): every boot starts again from the image.
    Ram(&'static str),
    /// Writable flash or disk: the device may change the file after first boot.
    Writable(&'static str),
    /// A folder or an archive: the device's storage cannot be told.
    Unknown,
}

fn storage(provenance: &str) -> Storage {
    let last = provenance.split([':', '@']).rev().find_map(|t| match t {
        "squashfs" => Some(Storage::ReadOnly("squashfs")),
        "cramfs" => Some(Storage::ReadOnly("cramfs")),
        "romfs" => Some(Storage::ReadOnly("romfs")),
        "ambarella_romfs" => Some(Storage::ReadOnly("romfs")),
        "erofs" => Some(Storage::ReadOnly("erofs")),
        "vxworks_memfs" => Some(Storage::ReadOnly("VxWorks MemFS")),
        "cpio" => Some(Storage::Ram("cpio RAM disk")),
        "jffs2" => Some(Storage::Writable("jffs2")),
        "ubifs" | "ubi" => Some(Storage::Writable("UBIFS")),
        "yaffs2" => Some(Storage::Writable("yaffs2")),
        "ext" => Some(Storage::Writable("ext2/3/4")),
        "tar" | "zip" | "7z" => Some(Storage::Unknown),
        _ => None,
    });
    last.unwrap_or(Storage::Unknown)
}

/// Shell scripts that force a password change at the next login (`passwd -e`,
/// `chage -d 0`), with the line.
fn forced_change_scripts(ctx: &Context) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    for lit in [
        "passwd -e",
        "passwd --expire",
        "chage -d",
        "chage --lastday",
    ] {
        for h in ctx.hits(lit).iter().take(64) {
            let data = ctx.data(h.file);
            if !data.starts_with(b"#!") {
                continue;
            }
            let (start, line) = line_at(data, h.offset);
            let t = line.trim_start();
            if t.starts_with('#') {
                continue;
            }
            let chage_zero = !lit.starts_with("chage")
                || t.split_whitespace()
                    .skip_while(|w| *w != "-d" && *w != "--lastday")
                    .nth(1)
                    == Some("0")
                || t.contains("-d0");
            if chage_zero {
                out.push((h.file, start, line));
            }
        }
    }
    out
}

/// How sure a universal password hash is the password of every unit, and why:
/// certain where the image pins it (read-only storage or a RAM disk rebuilt from the
/// image at every boot) and shows no forced change at first use; likely where the
/// image shows such a change, or the file is on writable storage or of unknown
/// storage, where a first-boot step the image does not show may replace it.
fn first_use(
    ctx: &Context,
    a: &Account,
    changes: &[(usize, usize, String)],
) -> (Confidence, String) {
    let path = ctx
        .entry(a.file)
        .map(|e| e.fs_path.clone())
        .unwrap_or_default();
    if a.last_change.as_deref() == Some("0") {
        return (
            Confidence::Likely,
            format!(
                "{path} sets the last password change of `{}` to 0, which forces a new password at the first login",
                a.user
            ),
        );
    }
    if let Some((f, _, line)) = changes.first() {
        let at = ctx.entry(*f).map(|e| e.fs_path.clone()).unwrap_or_default();
        return (
            Confidence::Likely,
            format!("{at} forces a password change at the next login (`{line}`)"),
        );
    }
    let prov = ctx
        .entry(a.file)
        .map(|e| e.provenance.as_str())
        .unwrap_or("");
    match storage(prov) {
        Storage::ReadOnly(fs) => (
            Confidence::Certain,
            format!(
                "{path} is on a read-only {fs} and nothing in the image forces a change at first use"
            ),
        ),
        Storage::Ram(fs) => (
            Confidence::Certain,
            format!(
                "{path} is in a {fs}, rebuilt from the image at every boot, and nothing in the image forces a change at first use"
            ),
        ),
        Storage::Writable(fs) => (
            Confidence::Likely,
            format!(
                "{path} is on writable {fs}: a first-boot step the image does not show may replace the password (the manufacturer's declaration can say)"
            ),
        ),
        Storage::Unknown => (
            Confidence::Likely,
            format!(
                "the storage of {path} on the device is not known (a folder or an archive): whether a first-boot step replaces the password cannot be told"
            ),
        ),
    }
}

fn web_auth(ctx: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (i, e) in ctx.tree.files() {
        let name = e.name();
        let is_auth = WEB_AUTH_FILES.contains(&name) && name != "httpd.conf"
            || name.ends_with(".htpasswd")
            || (name == "httpd.conf" && e.under("etc"));
        if !is_auth || e.size > 1 << 20 {
            continue;
        }
        for a in parse_accounts(ctx, i) {
            // busybox httpd.conf lines are `/path:user:pass`; others `user:hash`.
            let scheme = Scheme::of(&a.hash);
            if matches!(scheme, Scheme::Empty | Scheme::Locked) {
                continue;
            }
            let excerpt = format!("{}:{}", a.user, elide(&a.hash));
            let ev = vec![ctx.evidence(i, Some(a.offset as u64), Some(excerpt))];
            findings.push(finding(
                Code::Cred005,
                format!(
                    "web credential for `{}` ({}) fixed in {}",
                    a.user,
                    scheme.name(),
                    e.fs_path
                ),
                ev.clone(),
            ));
            if scheme.is_weak() {
                findings.push(finding(
                    Code::Cred002,
                    format!("web credential for `{}` uses {}", a.user, scheme.name()),
                    ev.clone(),
                ));
            }
            if let Some(pw) = creds::crack(&a.user, &a.hash) {
                findings.push(finding(
                    Code::Cred004,
                    format!(
                        "the web password of `{}` is `{pw}`, a well-known default",
                        a.user
                    ),
                    ev,
                ));
            }
        }
    }
    findings
}

fn is_default_config(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "default.cfg"
        || n == "mib.conf"
        || n.starts_with("nvram")
            && (n.contains("default") || n.ends_with(".cfg") || n.ends_with(".txt"))
        || n.contains("default")
            && (n.ends_with(".cfg") || n.ends_with(".ini") || n.ends_with(".conf"))
}

fn cred_key(key: &str) -> Option<bool> {
    // Some(true): a password key; Some(false): a user-name key.
    let k = key.to_ascii_lowercase();
    let last = k.rsplit(['.', '_']).next().unwrap_or(&k);
    if last.contains("pass") || last.contains("pwd") || last == "pw" {
        Some(true)
    } else if last.contains("user") || last == "login" || last == "name" && k.contains("user") {
        Some(false)
    } else {
        None
    }
}

fn default_configs(ctx: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (i, e) in ctx.tree.files() {
        if !is_default_config(e.name()) || e.size > 8 << 20 {
            continue;
        }
        let mut evidence = Vec::new();
        let mut users: Vec<String> = Vec::new();
        let mut lines: Vec<(usize, String, String)> = Vec::new();
        for (off, line) in text_lines(ctx.data(i)) {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let (k, v) = (k.trim(), v.trim().trim_matches('"'));
            if k.starts_with('#') {
                continue;
            }
            lines.push((off, k.to_string(), v.to_string()));
        }
        for (off, k, v) in &lines {
            match cred_key(k) {
                Some(false) if !v.is_empty() => users.push(format!("{k}={v}")),
                Some(true) => {
                    // An empty password only matters where the same prefix names a user.
                    let prefix = k.rsplit_once(['.', '_']).map(|(p, _)| p).unwrap_or("");
                    let has_user = lines.iter().any(|(_, k2, v2)| {
                        k2.starts_with(prefix)
                            && cred_key(k2) == Some(false)
                            && !v2.is_empty()
                            && k2.len() - prefix.len() <= k.len() - prefix.len() + 4
                    });
                    if !v.is_empty() || has_user {
                        let shown = if v.is_empty() {
                            "(empty)".to_string()
                        } else {
                            let first: String = v.chars().take(1).collect();
                            format!(
                                "{first}{}",
                                "*".repeat(v.chars().count().saturating_sub(1).min(8))
                            )
                        };
                        evidence.push(ctx.evidence(
                            i,
                            Some(*off as u64),
                            Some(format!("{k}={shown}")),
                        ));
                    }
                }
                _ => {}
            }
        }
        if !evidence.is_empty() {
            evidence.truncate(32);
            findings.push(finding(
                Code::Cred006,
                format!(
                    "{} sets {} password value(s) by default (users: {})",
                    e.fs_path,
                    evidence.len(),
                    if users.is_empty() {
                        "none named".to_string()
                    } else {
                        users.join(", ")
                    }
                ),
                evidence,
            ));
        }
    }
    findings
}

fn password_scripts(ctx: &Context) -> Vec<Finding> {
    let mut by_file: HashMap<usize, Vec<usize>> = HashMap::new();
    for lit in ["chpasswd", "passwd -d", "| passwd", "|passwd"] {
        for h in ctx.hits(lit) {
            by_file.entry(h.file).or_default().push(h.offset);
        }
    }
    let mut findings = Vec::new();
    let mut files: Vec<_> = by_file.into_iter().collect();
    files.sort();
    for (i, offs) in files {
        let data = ctx.data(i);
        // Scripts only: a shell interpreter line, or an init-script location.
        let is_script = data.starts_with(b"#!")
            || ctx
                .entry(i)
                .is_some_and(|e| e.under("init.d") || e.under("rc.d"));
        if !is_script {
            continue;
        }
        let mut ev = Vec::new();
        for off in offs {
            let (start, line) = line_at(data, off);
            if line.trim_start().starts_with('#') {
                continue;
            }
            if ev
                .iter()
                .any(|e: &baseliner_model::Evidence| e.offset == Some(start as u64))
            {
                continue;
            }
            ev.push(ctx.evidence(i, Some(start as u64), Some(line)));
        }
        if !ev.is_empty() {
            findings.push(finding(
                Code::Cred007,
                "a script sets or clears an account password with a value fixed in the image",
                ev,
            ));
        }
    }
    findings
}

/// SHA-256 of a PEM body's base64 text without whitespace.
pub fn pem_body_digest(block: &str) -> String {
    use sha2::Digest;
    let body: String = block
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.contains(':'))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    hex::encode(sha2::Sha256::digest(body.as_bytes()))
}

/// PEM private-key blocks in `data`, starting at the hits of `PRIVATE KEY-----`.
pub fn pem_blocks(data: &[u8], hits: impl Iterator<Item = usize>) -> Vec<(usize, &[u8])> {
    let mut v = Vec::new();
    for off in hits {
        let start = data
            .get(..off)
            .and_then(|d| memchr::memmem::rfind(d, b"-----BEGIN "))
            .filter(|s| off - s < 40);
        let Some(start) = start else { continue };
        // The hit must be on the BEGIN line itself (an END line's hit has none).
        if data.get(start..off).is_some_and(|l| l.contains(&b'\n')) {
            continue;
        }
        let rest = data.get(off..).unwrap_or(&[]);
        let Some(end_rel) = memchr::memmem::find(rest, b"-----END ") else {
            continue;
        };
        let tail = rest.get(end_rel..).unwrap_or(&[]);
        let close = memchr::memchr(b'\n', tail).unwrap_or(tail.len()).min(64);
        let end = off + end_rel + close;
        if end - start > 64 << 10 {
            continue;
        }
        if let Some(b) = data.get(start..end) {
            v.push((start, b));
        }
    }
    v
}

fn known_keys(ctx: &Context) -> Vec<Finding> {
    let table: Vec<(&str, &str)> = KNOWN_KEYS
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once(' '))
        .collect();
    let mut findings = Vec::new();
    let mut by_file: HashMap<usize, Vec<usize>> = HashMap::new();
    for h in ctx.hits("PRIVATE KEY-----") {
        by_file.entry(h.file).or_default().push(h.offset);
    }
    let mut files: Vec<_> = by_file.into_iter().collect();
    files.sort();
    for (i, offs) in files {
        let data = ctx.data(i);
        for (start, block) in pem_blocks(data, offs.into_iter()) {
            if !block.starts_with(b"-----BEGIN") {
                continue;
            }
            let text = String::from_utf8_lossy(block);
            let d = pem_body_digest(&text);
            if let Some((_, what)) = table.iter().find(|(h, _)| *h == d) {
                findings.push(finding(
                    Code::Cred008,
                    format!("publicly known private key: {what}"),
                    vec![ctx.evidence(
                        i,
                        Some(start as u64),
                        text.lines().next().map(str::to_string),
                    )],
                ));
            }
        }
    }
    findings
}
