//! Trust anchors: the CA certificates a device trusts (a CA bundle, a certificate
//! store, the files of a `ca-certificates` package) are not the device's own
//! credentials. A root's self-signature is never checked by anyone relying on it, and
//! a distribution ships hundreds of them, so judging each one as device crypto gave
//! hundreds of findings and false FAILs. They are summarised once instead
//! (`CRYPTO-008`): how many, the oldest expiry, and roots the image still trusts
//! although they were deselected or distrusted for cause.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use baseliner_model::{Code, Evidence, Finding};

use crate::codes::finding;
use crate::context::{Context, text_lines};

/// Folders that hold trust anchors on Linux distributions and embedded systems.
const TRUST_DIRS: &[&str] = &[
    "etc/ssl/certs",
    "usr/share/ca-certificates",
    "usr/local/share/ca-certificates",
    "etc/ca-certificates",
    "etc/pki/ca-trust",
    "etc/pki/tls/certs",
    "usr/share/pki/ca-trust-source",
    "usr/lib/ssl/certs",
    "etc/pki/trust",
    "usr/share/pki/trust",
];

/// File names of CA bundles wherever they sit (distributions, curl, certifi).
const BUNDLE_NAMES: &[&str] = &[
    "ca-certificates.crt",
    "ca-certificates.pem",
    "ca-bundle.crt",
    "ca-bundle.pem",
    "ca-bundle.trust.crt",
    "cacert.pem",
    "cacerts.pem",
    "tls-ca-bundle.pem",
    "ca-root-nss.crt",
    "curl-ca-bundle.crt",
];

/// Packages whose files are trust anchors.
const TRUST_PACKAGES: &[&str] = &[
    "ca-certificates",
    "ca-certificates-java",
    "ca-certificates-bundle",
    "ca-bundle",
];

/// CA operators whose roots browser root programmes removed for cause (DigiNotar 2011,
/// CNNIC 2017, WoSign and StartCom 2017, Certinomis 2019, Camerfirma 2021, TrustCor
/// 2022, E-Tugra 2023). A store that still holds one trusts what the web stopped
/// trusting. Matched on the subject, so a renamed successor is not caught.
const DISTRUSTED_OPERATORS: &[&str] = &[
    "DigiNotar",
    "CNNIC",
    "China Internet Network Information Center",
    "WoSign",
    "StartCom",
    "Certinomis",
    "Camerfirma",
    "Chambers of Commerce Root",
    "Global Chambersign Root",
    "TrustCor",
    "E-Tugra",
];

/// One certificate seen in the image, with what classification needs.
#[derive(Debug, Clone)]
pub struct SeenCert {
    pub file: usize,
    pub offset: usize,
    /// SHA-256 of the DER, so copies in a bundle and in single files count once.
    pub der_sha256: [u8; 32],
    pub subject: String,
    pub is_ca: bool,
    pub self_signed: bool,
    pub not_after: i64,
}

/// Where the trust anchors of an image are: package ownership and configuration.
pub struct TrustStore {
    /// File paths a trust package owns, per the image's package database.
    owned: HashSet<String>,
    /// Which package database said so, for the finding's detail.
    owned_by: BTreeSet<String>,
    /// Certificates `/etc/ca-certificates.conf` deselects (`!mozilla/X.crt`), by
    /// file stem.
    deselected: BTreeSet<String>,
}

impl TrustStore {
    pub fn new(ctx: &Context) -> TrustStore {
        let mut owned = HashSet::new();
        let mut owned_by = BTreeSet::new();
        let mut deselected = BTreeSet::new();
        for (i, e) in ctx.tree.files() {
            if e.size > 4 << 20 {
                continue;
            }
            let name = e.name();
            // dpkg (`/var/lib/dpkg/info/P.list`) and opkg (`/usr/lib/opkg/info/P.list`).
            let list_of = name
                .strip_suffix(".list")
                .map(|p| p.split(':').next().unwrap_or(p));
            if let Some(pkg) = list_of
                && TRUST_PACKAGES.contains(&pkg)
                && (e.under("var/lib/dpkg/info") || e.under("usr/lib/opkg/info"))
            {
                let db = if e.under("var/lib/dpkg/info") {
                    "dpkg"
                } else {
                    "opkg"
                };
                let before = owned.len();
                for (_, l) in text_lines(ctx.data(i)) {
                    let l = l.trim();
                    if l.starts_with('/') && l.len() > 1 {
                        owned.insert(l.trim_end_matches('/').to_string());
                    }
                }
                if owned.len() > before {
                    owned_by.insert(format!("{pkg} ({db} {})", e.fs_path));
                }
            }
            // apk (`/lib/apk/db/installed`): P: package, F: folder, R: file.
            if e.ends_with("lib/apk/db/installed") {
                let mut pkg = String::new();
                let mut dir = String::new();
                let before = owned.len();
                for (_, l) in text_lines(ctx.data(i)) {
                    if let Some(p) = l.strip_prefix("P:") {
                        pkg = p.trim().to_string();
                    } else if let Some(d) = l.strip_prefix("F:") {
                        dir = d.trim().to_string();
                    } else if let Some(f) = l.strip_prefix("R:")
                        && TRUST_PACKAGES.contains(&pkg.as_str())
                    {
                        owned.insert(format!("/{dir}/{}", f.trim()));
                    }
                }
                if owned.len() > before {
                    owned_by.insert(format!("ca-certificates (apk {})", e.fs_path));
                }
            }
            if e.ends_with("etc/ca-certificates.conf") {
                for (_, l) in text_lines(ctx.data(i)) {
                    if let Some(d) = l.trim().strip_prefix('!') {
                        let stem = d.rsplit('/').next().unwrap_or(d);
                        let stem = stem.rsplit_once('.').map_or(stem, |(s, _)| s);
                        if !stem.is_empty() {
                            deselected.insert(stem.to_string());
                        }
                    }
                }
            }
        }
        TrustStore {
            owned,
            owned_by,
            deselected,
        }
    }

    fn owned(&self, fs_path: &str) -> bool {
        !self.owned.is_empty()
            && (self.owned.contains(fs_path)
                || self
                    .owned
                    .iter()
                    .any(|o| fs_path.ends_with(o.as_str()) && fs_path.len() > o.len()))
    }

    /// Which certificates are trust anchors. `key_files` are files that hold a
    /// private key (a file with the device's key is its own material, never a store).
    pub fn anchors(
        &self,
        ctx: &Context,
        certs: &[SeenCert],
        key_files: &HashSet<usize>,
    ) -> Vec<bool> {
        let mut per_file: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (k, c) in certs.iter().enumerate() {
            per_file.entry(c.file).or_default().push(k);
        }
        let mut out = vec![false; certs.len()];
        for (file, idx) in per_file {
            let Some(e) = ctx.entry(file) else { continue };
            if key_files.contains(&file) {
                continue;
            }
            let owned = self.owned(&e.fs_path);
            let place = TRUST_DIRS.iter().any(|d| e.under(d)) || BUNDLE_NAMES.contains(&e.name());
            let root_like = |c: &SeenCert| c.is_ca || c.self_signed;
            // A file of many CA certificates and nothing else is a bundle wherever it is.
            let bundle = idx.len() >= 3 && idx.iter().all(|&k| root_like(&certs[k]));
            for k in idx {
                out[k] = owned || bundle || place && root_like(&certs[k]);
            }
        }
        out
    }

    /// The one inventory finding for the trust anchors among `certs`.
    pub fn inventory(
        &self,
        ctx: &Context,
        certs: &[SeenCert],
        anchor: &[bool],
        now: i64,
    ) -> Option<Finding> {
        let anchors: Vec<&SeenCert> = certs
            .iter()
            .zip(anchor)
            .filter(|(_, a)| **a)
            .map(|(c, _)| c)
            .collect();
        if anchors.is_empty() {
            return None;
        }
        let mut distinct: BTreeMap<[u8; 32], &SeenCert> = BTreeMap::new();
        for c in &anchors {
            distinct.entry(c.der_sha256).or_insert(c);
        }
        let mut files: BTreeMap<usize, usize> = BTreeMap::new();
        for c in &anchors {
            *files.entry(c.file).or_default() += 1;
        }
        let oldest = distinct.values().min_by_key(|c| c.not_after)?;
        let expired = distinct.values().filter(|c| c.not_after < now).count();
        let mut distrusted: BTreeSet<String> = BTreeSet::new();
        for c in distinct.values() {
            if let Some(op) = DISTRUSTED_OPERATORS
                .iter()
                .find(|op| c.subject.contains(*op))
            {
                distrusted.insert(format!(
                    "`{}` ({op}, removed by browsers for cause)",
                    c.subject
                ));
            }
        }
        // Deselected in ca-certificates.conf, yet still in the active store.
        for e in &ctx.tree.entries {
            if !e.under("etc/ssl/certs") {
                continue;
            }
            let name = e.name();
            let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
            if self.deselected.contains(stem) {
                distrusted.insert(format!(
                    "{} (deselected in /etc/ca-certificates.conf, still in the active store)",
                    e.fs_path
                ));
            }
        }
        let source = if self.owned_by.is_empty() {
            "by location and content (CA certificates in trust folders or bundles)".to_string()
        } else {
            format!(
                "by location, content and the package database: {}",
                self.owned_by.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        };
        let detail = format!(
            "trust store: {} distinct CA certificate(s) in {} file(s), classified {source}; oldest expiry {} (`{}`); {} expired; distrusted: {}. Trust anchors are what the device trusts, not its own credentials: their self-signatures and expiry are not judged",
            distinct.len(),
            files.len(),
            date_of(oldest.not_after),
            common_name(&oldest.subject),
            expired,
            if distrusted.is_empty() {
                "none".to_string()
            } else {
                distrusted
                    .iter()
                    .take(16)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("; ")
            }
        );
        let mut ev: Vec<Evidence> = files
            .iter()
            .map(|(&f, &n)| ctx.evidence(f, None, Some(format!("{n} CA certificate(s)"))))
            .collect();
        // The biggest files first (the bundle), so the evidence reads well when cut.
        ev.sort_by_key(|e| {
            std::cmp::Reverse(
                e.excerpt
                    .as_deref()
                    .and_then(|x| x.split(' ').next())
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(0),
            )
        });
        ev.truncate(16);
        Some(finding(Code::Crypto008, detail, ev))
    }
}

/// The CN of a subject, or the whole subject where it has none.
fn common_name(subject: &str) -> &str {
    subject
        .rsplit(", ")
        .find_map(|p| p.strip_prefix("CN="))
        .unwrap_or(subject)
}

/// `YYYY-MM-DD` of a Unix time (UTC).
pub fn date_of(ts: i64) -> String {
    let days = ts.div_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::date_of(0), "1970-01-01");
        assert_eq!(super::date_of(1_714_348_800), "2024-04-29");
    }
}
