//! Evaluates NVD configurations and OSV ranges against what an image contains.
//!
//! Everything the image is known to contain (components and the device itself) becomes
//! a [`Subject`] with a CPE `vendor:product` and a version. A configuration matches when
//! its AND/OR tree is satisfied by the subjects; only criteria marked vulnerable produce
//! matches, criteria with `vulnerable: false` (a platform, a hardware model) are
//! context that must be present but are not reported as vulnerable themselves.

use std::collections::HashMap;

use baseliner_model::{Component, IdentitySource, props};

use crate::alias;
use crate::cpe::{self, Cpe};
use crate::record::{Config, CpeCriterion, CveRecord, Node, OsvPackage};
use crate::version::Version;

/// Who the device is, and where that was learned. Device-level CVEs are filed
/// against firmware and hardware CPEs (`tp-link:tl-wr841n_firmware`), not components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceIdentity {
    /// Vendor as stated, such as `TP-Link`.
    pub vendor: String,
    /// Product or model, such as `TL-WR841N`.
    pub product: String,
    /// Hardware revision, such as `v10`, when stated.
    pub hardware_version: Option<String>,
    /// Firmware version, such as `3.16.9` (a trailing ` Build ...` is ignored).
    pub firmware_version: String,
    /// Where the identity was stated (the declaration, or a vendor header).
    pub source: IdentitySource,
}

/// One thing the matcher can match against.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    /// CPE `vendor:product`.
    pub key: String,
    /// Version as compared (epoch and distro revision removed), `*` for "any".
    pub version: String,
    /// Name and version shown in a match.
    pub display_name: String,
    pub display_version: String,
    pub source: IdentitySource,
    /// Set for subjects taken from a package manager, where OSV applies.
    pub purl: Option<Purl>,
    /// The package, on every subject of a component the distribution built.
    pub distro: Option<Purl>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Purl {
    pub ecosystem: String,
    /// The name the ecosystem's advisories use (the source package for Debian).
    pub name: String,
    pub version: String,
    /// The distribution release it was built for (`12`), where known.
    pub release: Option<String>,
    /// The package database says the distribution built it (a revision or epoch):
    /// its fixes may be backported, so upstream ranges alone cannot decide.
    pub distro_build: bool,
}

/// Minimal purl reading: type, namespace, name and version.
pub(crate) fn parse_purl(p: &str) -> Option<(String, Option<String>, String, Option<String>)> {
    let rest = p.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next()?;
    let (path, version) = match rest.rsplit_once('@') {
        Some((a, v)) => (a, Some(pct_decode(v))),
        None => (rest, None),
    };
    let mut parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if parts.len() < 2 {
        return None;
    }
    let ty = parts.remove(0).to_ascii_lowercase();
    let name = pct_decode(parts.pop()?);
    let ns = if parts.is_empty() {
        None
    } else {
        Some(pct_decode(&parts.join("/")))
    };
    Some((ty, ns, name, version))
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let (b'%', Some(h)) = (c, hex) {
            out.push(h);
            i += 3;
            continue;
        }
        out.push(c);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// OSV ecosystem (lowercased, without release) for a purl type and namespace.
fn osv_ecosystem(ty: &str, ns: Option<&str>) -> Option<String> {
    let e = match ty {
        "deb" => match ns {
            Some("ubuntu") => "ubuntu",
            _ => "debian",
        },
        "apk" => "alpine",
        "pypi" => "pypi",
        "npm" => "npm",
        "cargo" => "crates.io",
        "golang" => "go",
        "maven" => "maven",
        "gem" => "rubygems",
        "nuget" => "nuget",
        "composer" => "packagist",
        "hex" => "hex",
        "pub" => "pub",
        _ => return None,
    };
    Some(e.to_string())
}

fn package_source(c: &Component) -> IdentitySource {
    match c.properties.get(props::VERSION_SOURCE).map(String::as_str) {
        Some("package-db") => return IdentitySource::PackageDb,
        Some("build-metadata") => return IdentitySource::BuildMetadata,
        Some("file-name") => return IdentitySource::FileName,
        Some("binary-string") => return IdentitySource::BinaryString,
        _ => {}
    }
    match c.purl.as_deref().and_then(parse_purl) {
        Some((ty, ..)) if matches!(ty.as_str(), "deb" | "rpm" | "apk" | "opkg" | "ipk") => {
            IdentitySource::PackageDb
        }
        _ => IdentitySource::BinaryString,
    }
}

/// Turns components and the device into subjects.
pub(crate) fn subjects(components: &[Component], device: Option<&DeviceIdentity>) -> Vec<Subject> {
    let mut out = Vec::new();
    for c in components {
        let source = package_source(c);
        let version = Version::upstream_text(&c.version).to_string();
        let mut keys: Vec<(String, String)> = Vec::new();
        if let Some(p) = c.cpe.as_deref().and_then(Cpe::parse) {
            let v = if p.version == "*" || p.version == "-" || p.version.is_empty() {
                version.clone()
            } else {
                Version::upstream_text(&p.version).to_string()
            };
            keys.push((p.key(), v));
        }
        let purl = c.purl.as_deref().and_then(parse_purl);
        let mut names = vec![c.name.clone()];
        if let Some((_, _, n, _)) = &purl {
            names.push(n.clone());
        }
        for n in &names {
            for k in alias::cpe_keys(n) {
                keys.push((k.to_string(), version.clone()));
            }
        }
        keys.sort();
        keys.dedup_by(|a, b| a.0 == b.0);
        let prop = |k: &str| c.properties.get(k).map(String::as_str);
        let osv = purl.as_ref().and_then(|(ty, ns, name, v)| {
            let distro = prop(props::PACKAGE_DISTRO);
            let ecosystem = match distro.and_then(|d| d.split(':').next()) {
                Some("ubuntu") if ty == "deb" => "ubuntu".to_string(),
                _ => osv_ecosystem(ty, ns.as_deref())?,
            };
            let version = prop(props::PACKAGE_VERSION)
                .map(str::to_string)
                .or_else(|| v.clone())
                .unwrap_or_else(|| c.version.clone());
            let manager = prop(props::PACKAGE_MANAGER).unwrap_or(match ty.as_str() {
                "deb" => "dpkg",
                "apk" => "apk",
                _ => "",
            });
            Some(Purl {
                distro_build: crate::distro::is_distribution_build(manager, &version),
                ecosystem,
                name: prop(props::PACKAGE_SOURCE).unwrap_or(name).to_string(),
                version,
                release: distro
                    .and_then(|d| d.split_once(':'))
                    .map(|(_, r)| r.to_string())
                    .filter(|r| !r.is_empty()),
            })
        });
        if keys.is_empty() {
            if let Some(p) = osv {
                out.push(Subject {
                    key: String::new(),
                    version: version.clone(),
                    display_name: c.name.clone(),
                    display_version: c.version.clone(),
                    source,
                    distro: p.distro_build.then(|| p.clone()),
                    purl: Some(p),
                });
            }
            continue;
        }
        for (i, (key, v)) in keys.into_iter().enumerate() {
            out.push(Subject {
                key,
                version: v,
                display_name: c.name.clone(),
                display_version: c.version.clone(),
                source,
                distro: osv.clone().filter(|p| p.distro_build),
                // OSV is consulted once per component.
                purl: if i == 0 { osv.clone() } else { None },
            });
        }
    }
    if let Some(d) = device {
        out.extend(device_subjects(d));
    }
    out
}

/// Vendor names as NVD spells them, for vendors whose marketing name differs.
fn nvd_vendor(vendor: &str) -> String {
    let v = cpe::normalise(vendor);
    let first = v.split(['_', ',']).next().unwrap_or("").to_string();
    match first.as_str() {
        "tp-link" | "tplink" => "tp-link".into(),
        "huawei" => "huawei".into(),
        "d-link" | "dlink" => "dlink".into(),
        "netgear" => "netgear".into(),
        "zyxel" => "zyxel".into(),
        "linksys" => "linksys".into(),
        "asus" | "asustek" => "asus".into(),
        "tenda" => "tenda".into(),
        "mikrotik" => "mikrotik".into(),
        _ => v,
    }
}

fn device_subjects(d: &DeviceIdentity) -> Vec<Subject> {
    let vendor = nvd_vendor(&d.vendor);
    let product = cpe::normalise(&d.product);
    let fw = d
        .firmware_version
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_start_matches(['v', 'V'])
        .to_string();
    let mut products = vec![product.clone()];
    // NVD files TP-Link models both with and without the `tl-` prefix.
    if let Some(short) = product.strip_prefix("tl-") {
        products.push(short.to_string());
    }
    let display = format!("{} {}", d.vendor.trim(), d.product.trim());
    let mut out = Vec::new();
    for p in products {
        out.push(Subject {
            key: format!("{vendor}:{p}_firmware"),
            version: fw.clone(),
            display_name: display.clone(),
            display_version: d.firmware_version.clone(),
            source: d.source,
            purl: None,
            distro: None,
        });
        out.push(Subject {
            key: format!("{vendor}:{p}"),
            version: d
                .hardware_version
                .as_deref()
                .map(cpe::normalise)
                .unwrap_or_else(|| "*".into()),
            display_name: display.clone(),
            display_version: d.hardware_version.clone().unwrap_or_default(),
            source: d.source,
            purl: None,
            distro: None,
        });
    }
    out
}

/// How one criterion reads in a match's rule: `cpe busybox:busybox versionEndExcluding 1.30.0`.
fn describe(c: &CpeCriterion, cpe: &Cpe) -> String {
    format!("cpe {} {}", cpe.key(), describe_condition(c, cpe))
}

/// The version condition of a criterion: `versionEndExcluding 1.30.0`, `= 3.16.9`.
pub(crate) fn describe_condition(c: &CpeCriterion, cpe: &Cpe) -> String {
    let mut parts = Vec::new();
    let ranges = [
        ("versionStartIncluding", &c.start_including),
        ("versionStartExcluding", &c.start_excluding),
        ("versionEndIncluding", &c.end_including),
        ("versionEndExcluding", &c.end_excluding),
    ];
    for (name, v) in ranges {
        if let Some(v) = v {
            parts.push(format!("{name} {v}"));
        }
    }
    if parts.is_empty() {
        match cpe.version.as_str() {
            "*" => parts.push("all versions".into()),
            "-" => parts.push("no version stated".into()),
            v => {
                let u = if matches!(cpe.update.as_str(), "*" | "-" | "") {
                    String::new()
                } else {
                    format!(" {}", cpe.update)
                };
                parts.push(format!("= {v}{u}"));
            }
        }
    }
    parts.join(" ")
}

/// Whether `subject` satisfies criterion `c` (already known to have the same key).
fn version_hits(c: &CpeCriterion, cpe: &Cpe, subject_version: &str) -> bool {
    if subject_version == "*" {
        return true; // a context subject whose revision is not known
    }
    let sv = Version::parse(subject_version);
    if sv.is_numberless() {
        return false; // an unknown version proves nothing either way
    }
    let key = cpe.key();
    // For products whose release suffix is the CPE update (OpenSSH `7.7p1`), a bound
    // without that suffix compares the version part alone: `versionEndIncluding 7.7`
    // includes 7.7p1. A bound with one (`9.3p2`) compares whole versions.
    let split = alias::split_update(&key, subject_version);
    let base = split.map(|(b, _)| Version::parse(b));
    let against = |bound: &str| -> &Version {
        match &base {
            Some(b) if alias::split_update(&key, bound).is_none() => b,
            _ => &sv,
        }
    };
    let has_range = c.start_including.is_some()
        || c.start_excluding.is_some()
        || c.end_including.is_some()
        || c.end_excluding.is_some();
    match cpe.version.as_str() {
        "*" | "-" if !has_range => true,
        "*" | "-" => {
            let ok = |bound: &Option<String>, f: fn(std::cmp::Ordering) -> bool| {
                bound
                    .as_deref()
                    .is_none_or(|b| f(against(b).cmp(&Version::parse(b))))
            };
            ok(&c.start_including, |o| o.is_ge())
                && ok(&c.start_excluding, |o| o.is_gt())
                && ok(&c.end_including, |o| o.is_le())
                && ok(&c.end_excluding, |o| o.is_lt())
        }
        v => match cpe.update.as_str() {
            // `openssh:7.7:*` names every update of 7.7, 7.7p1 included.
            "*" | "" => *against(v) == Version::parse(v),
            "-" => sv == Version::parse(v),
            u => sv == Version::parse(&format!("{v}-{u}")),
        },
    }
}

/// A vulnerable criterion satisfied by a subject.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub subject: usize,
    pub rule: String,
    /// The record states no version (`-`): affected status cannot be established.
    pub unversioned: bool,
    /// The configuration needs a platform of a given revision (a hardware model
    /// `v10`) and the revision of the device is not known: it may not apply.
    pub platform_assumed: bool,
}

struct Eval {
    satisfied: bool,
    vulnerable: Vec<Hit>,
    context: Vec<String>,
    /// A context criterion of a stated revision was met only by a subject whose
    /// revision is unknown.
    assumed: bool,
}

fn eval_node(node: &Node, by_key: &HashMap<&str, Vec<usize>>, subjects: &[Subject]) -> Eval {
    let mut vulnerable = Vec::new();
    let mut context = Vec::new();
    let mut assumed = false;
    let mut hit_count = 0usize;
    for c in &node.matches {
        let Some(cpe) = Cpe::parse(&c.criteria) else {
            continue;
        };
        let mut hit = false;
        for &i in by_key
            .get(cpe.key().as_str())
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            let Some(s) = subjects.get(i) else { continue };
            if version_hits(c, &cpe, &s.version) {
                hit = true;
                if c.vulnerable {
                    vulnerable.push(Hit {
                        subject: i,
                        rule: describe(c, &cpe),
                        unversioned: cpe.version == "-",
                        platform_assumed: false,
                    });
                } else if s.version == "*" && cpe.version != "*" {
                    assumed = true;
                    context.push(format!(
                        "{} {} (revision not known)",
                        cpe.key(),
                        cpe.version
                    ));
                } else {
                    context.push(format!("{} {}", cpe.key(), cpe.version));
                }
            }
        }
        if hit {
            hit_count += 1;
        }
    }
    let mut satisfied = if node.and {
        hit_count == node.matches.len() && !node.matches.is_empty()
    } else {
        hit_count > 0
    };
    if node.negate {
        satisfied = !satisfied;
        vulnerable.clear();
        context.clear();
        assumed = false;
    }
    Eval {
        satisfied,
        vulnerable,
        context,
        assumed,
    }
}

/// Vulnerable hits of one configuration, with the platform context that made it apply.
fn eval_config(cfg: &Config, by_key: &HashMap<&str, Vec<usize>>, subjects: &[Subject]) -> Vec<Hit> {
    let evals: Vec<Eval> = cfg
        .nodes
        .iter()
        .map(|n| eval_node(n, by_key, subjects))
        .collect();
    let mut satisfied = if cfg.and {
        !evals.is_empty() && evals.iter().all(|e| e.satisfied)
    } else {
        evals.iter().any(|e| e.satisfied)
    };
    if cfg.negate {
        satisfied = !satisfied;
    }
    if !satisfied || cfg.negate {
        return Vec::new();
    }
    let context: Vec<String> = evals
        .iter()
        .filter(|e| e.satisfied)
        .flat_map(|e| e.context.iter().cloned())
        .collect();
    let assumed = evals.iter().any(|e| e.satisfied && e.assumed);
    evals
        .into_iter()
        .filter(|e| e.satisfied)
        .flat_map(|e| e.vulnerable)
        .map(|mut h| {
            if !context.is_empty() {
                h.rule = format!("{} with platform {}", h.rule, context.join(", "));
            }
            h.platform_assumed = assumed;
            h
        })
        .collect()
}

/// Subjects indexed by CPE key, built once per matching run.
pub(crate) struct Index<'a> {
    subjects: &'a [Subject],
    by_key: HashMap<&'a str, Vec<usize>>,
    /// The same keys as bytes, for index texts read without UTF-8 validation.
    key_bytes: std::collections::HashSet<&'a [u8]>,
}

impl<'a> Index<'a> {
    pub(crate) fn new(subjects: &'a [Subject]) -> Index<'a> {
        let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, s) in subjects.iter().enumerate() {
            if !s.key.is_empty() {
                by_key.entry(s.key.as_str()).or_default().push(i);
            }
        }
        let key_bytes = by_key.keys().map(|k| k.as_bytes()).collect();
        Index {
            subjects,
            by_key,
            key_bytes,
        }
    }

    /// `(subject index, key, version sort key)` of every subject that can be
    /// vulnerable: the store's prefilter input. Unknown versions and "any" context
    /// subjects are left out, as the full evaluation never lets them match a
    /// vulnerable criterion.
    pub(crate) fn probes(&self) -> Vec<(usize, String, Vec<u8>)> {
        self.subjects
            .iter()
            .enumerate()
            // Products with update suffixes are evaluated whole (`suffix_keys`).
            .filter(|(_, s)| {
                !s.key.is_empty() && s.version != "*" && !alias::has_update_suffix(&s.key)
            })
            .map(|(i, s)| (i, s.key.clone(), Version::parse(&s.version)))
            .filter(|(_, _, v)| !v.is_numberless())
            .map(|(i, k, v)| (i, k, v.sort_key()))
            .collect()
    }

    /// Keys of subjects whose versions carry a CPE update suffix (OpenSSH `7.7p1`): one
    /// version sort key cannot say how each bound compares, so their records are read
    /// whole and evaluated by [`Index::match_record`] instead of through the index.
    pub(crate) fn suffix_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .subjects
            .iter()
            .filter(|s| s.version != "*" && alias::has_update_suffix(&s.key))
            .map(|s| s.key.clone())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// Whether some subject has CPE key `key`.
    pub(crate) fn has_key(&self, key: &[u8]) -> bool {
        self.key_bytes.contains(key)
    }

    pub(crate) fn subject(&self, i: usize) -> Option<&Subject> {
        self.subjects.get(i)
    }

    /// Every (subject, rule) a record's configurations give, one per subject.
    pub(crate) fn match_record(&self, rec: &CveRecord) -> Vec<Hit> {
        let mut out: Vec<Hit> = Vec::new();
        for cfg in &rec.configs {
            for h in eval_config(cfg, &self.by_key, self.subjects) {
                if !out.iter().any(|o| o.subject == h.subject) {
                    out.push(h);
                }
            }
        }
        out
    }
}

/// Every (subject, rule) a record's configurations give (tests; see [`Index`]).
#[cfg(test)]
pub(crate) fn match_record(rec: &CveRecord, subjects: &[Subject]) -> Vec<Hit> {
    Index::new(subjects).match_record(rec)
}

/// Whether `version` is affected by an OSV package entry; the rule that says so.
pub(crate) fn osv_hits(pkg: &OsvPackage, version: &str) -> Option<String> {
    // A distribution's advisories compare in its own order (dpkg, apk).
    let cmp = |a: &str, b: &str| match crate::distro::comparator(&pkg.ecosystem) {
        Some(f) => f(a, b),
        None => Version::parse(a).cmp(&Version::parse(b)),
    };
    if pkg.versions.iter().any(|x| cmp(x, version).is_eq()) {
        return Some(format!(
            "osv {}/{} version {version} listed",
            pkg.ecosystem, pkg.name
        ));
    }
    for range in &pkg.ranges {
        let mut affected = false;
        let mut intro = String::new();
        let mut end = String::new();
        for (kind, bound) in range {
            let o = cmp(version, bound);
            match kind.as_str() {
                "introduced" if bound == "0" || o.is_ge() => {
                    affected = true;
                    intro = bound.clone();
                    end.clear();
                }
                "fixed" if affected && o.is_ge() => affected = false,
                "fixed" if affected => end = format!("fixed {bound}"),
                "last_affected" if affected && o.is_gt() => affected = false,
                "last_affected" if affected => end = format!("last_affected {bound}"),
                _ => {}
            }
        }
        if affected {
            return Some(format!(
                "osv {}/{} introduced {intro}{}{end}",
                pkg.ecosystem,
                pkg.name,
                if end.is_empty() { "" } else { " " }
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssh_bounds_with_and_without_the_update_suffix() {
        let crit = |ei: Option<&str>, ee: Option<&str>, cpe: &str| CpeCriterion {
            vulnerable: true,
            criteria: cpe.into(),
            start_including: None,
            start_excluding: None,
            end_including: ei.map(Into::into),
            end_excluding: ee.map(Into::into),
        };
        let any = "cpe:2.3:a:openbsd:openssh:*:*:*:*:*:*:*:*";
        let hits =
            |c: &CpeCriterion, v: &str| version_hits(c, &Cpe::parse(&c.criteria).unwrap(), v);
        // A bound without the suffix compares the version part: 7.7p1 <= 7.7.
        let le77 = crit(Some("7.7"), None, any);
        assert!(hits(&le77, "7.7p1"));
        assert!(hits(&le77, "7.7"));
        assert!(!hits(&le77, "7.8p1"));
        // A bound with one compares whole versions: 9.3p2 is fixed, 9.3p1 is not.
        let lt93p2 = crit(None, Some("9.3p2"), any);
        assert!(hits(&lt93p2, "9.3p1"));
        assert!(!hits(&lt93p2, "9.3p2"));
        // Exact: `7.4:p1` is that update only, `7.4:*` every update of 7.4.
        let exact_p1 = crit(None, None, "cpe:2.3:a:openbsd:openssh:7.4:p1:*:*:*:*:*:*");
        assert!(hits(&exact_p1, "7.4p1"));
        assert!(!hits(&exact_p1, "7.4p2"));
        let exact_any = crit(None, None, "cpe:2.3:a:openbsd:openssh:7.4:*:*:*:*:*:*:*");
        assert!(hits(&exact_any, "7.4p2"));
        assert!(!hits(&exact_any, "7.5p1"));
        // Other products keep comparing whole versions (OpenSSL 1.0.2p > 1.0.2).
        let ssl = crit(
            Some("1.0.2"),
            None,
            "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*",
        );
        assert!(!hits(&ssl, "1.0.2p"));
    }

    fn comp(name: &str, version: &str) -> Component {
        Component {
            name: name.into(),
            version: version.into(),
            cpe: None,
            purl: None,
            evidence: vec![],
            properties: Default::default(),
        }
    }

    fn crit(c: &str, vuln: bool) -> CpeCriterion {
        CpeCriterion {
            vulnerable: vuln,
            criteria: c.into(),
            start_including: None,
            start_excluding: None,
            end_including: None,
            end_excluding: None,
        }
    }

    fn rec(configs: Vec<Config>) -> CveRecord {
        CveRecord {
            id: "CVE-T".into(),
            published: String::new(),
            last_modified: "1".into(),
            summary: String::new(),
            cvss_score: None,
            cvss_severity: None,
            configs,
        }
    }

    #[test]
    fn ranges_bound_correctly() {
        let mut c = crit("cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*", true);
        c.start_including = Some("1.16.0".into());
        c.end_including = Some("1.33.1".into());
        let r = rec(vec![Config {
            and: false,
            negate: false,
            nodes: vec![Node {
                and: false,
                negate: false,
                matches: vec![c],
            }],
        }]);
        let hit = |v: &str| !match_record(&r, &subjects(&[comp("busybox", v)], None)).is_empty();
        assert!(!hit("1.01"));
        assert!(!hit("1.15.9"));
        assert!(hit("1.16.0"));
        assert!(hit("1.33.1"));
        assert!(!hit("1.33.2"));
        assert!(!hit("unknown"));
    }

    #[test]
    fn platform_is_context_not_a_match() {
        // firmware (vulnerable) AND hardware (not vulnerable)
        let r = rec(vec![Config {
            and: true,
            negate: false,
            nodes: vec![
                Node {
                    and: false,
                    negate: false,
                    matches: vec![crit(
                        "cpe:2.3:o:tp-link:tl-wr841n_firmware:3.16.9:*:*:*:*:*:*:*",
                        true,
                    )],
                },
                Node {
                    and: false,
                    negate: false,
                    matches: vec![crit("cpe:2.3:h:tp-link:tl-wr841n:v10:*:*:*:*:*:*:*", false)],
                },
            ],
        }]);
        let dev = |hw: Option<&str>, fw: &str| DeviceIdentity {
            vendor: "TP-Link".into(),
            product: "TL-WR841N".into(),
            hardware_version: hw.map(Into::into),
            firmware_version: fw.into(),
            source: IdentitySource::VendorHeader,
        };
        let s = subjects(&[], Some(&dev(Some("v10"), "3.16.9 Build 150310")));
        let hits = match_record(&r, &s);
        assert_eq!(hits.len(), 1);
        assert_eq!(s[hits[0].subject].key, "tp-link:tl-wr841n_firmware");
        assert!(
            hits[0].rule.contains("with platform tp-link:tl-wr841n v10"),
            "{}",
            hits[0].rule
        );
        // other hardware revision: the AND is not satisfied
        assert!(match_record(&r, &subjects(&[], Some(&dev(Some("v9"), "3.16.9")))).is_empty());
        // other firmware version
        assert!(match_record(&r, &subjects(&[], Some(&dev(Some("v10"), "3.16.10")))).is_empty());
        // a component alone never satisfies a platform-bound record
        assert!(match_record(&r, &subjects(&[comp("busybox", "1.01")], None)).is_empty());
    }

    #[test]
    fn osv_events() {
        let p = OsvPackage {
            ecosystem: "debian".into(),
            name: "busybox".into(),
            ranges: vec![vec![
                ("introduced".into(), "0".into()),
                ("fixed".into(), "1:1.35.0-4+b3".into()),
            ]],
            versions: vec![],
            release: None,
        };
        assert!(osv_hits(&p, "1:1.30.1-6").is_some());
        assert!(osv_hits(&p, "1:1.35.0-4+b3").is_none());
        assert!(osv_hits(&p, "1:1.36.0-1").is_none());
    }

    #[test]
    fn purls() {
        assert_eq!(
            parse_purl("pkg:deb/debian/busybox@1%3A1.35.0-4?arch=amd64"),
            Some((
                "deb".into(),
                Some("debian".into()),
                "busybox".into(),
                Some("1:1.35.0-4".into())
            ))
        );
        assert!(parse_purl("pkg:").is_none());
        assert!(parse_purl("pkg:generic").is_none());
        let mut c = comp("bb", "1.0");
        c.purl = Some("pkg:generic/busybox@1.01".into());
        assert_eq!(subjects(&[c], None)[0].key, "busybox:busybox");
    }
}
