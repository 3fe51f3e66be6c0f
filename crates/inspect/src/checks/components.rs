//! Components (SBOM): package databases (opkg, dpkg, apk), then version strings
//! inside binaries for the products firmware usually carries. Every component has
//! a CPE 2.3 name, a purl and the evidence (file and matched string).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use baseliner_model::{Code, Component, Evidence, Finding, props};
use regex::bytes::Regex;

use super::applets;
use crate::context::{Context, clip, text_lines};
use crate::{Check, CheckOutput, Family};

pub struct Components;

/// Evidence items kept per component.
const MAX_EVIDENCE: usize = 10;
/// Bytes after an anchor a version regex may read.
const RE_WINDOW: usize = 160;

/// How one product's version is found.
enum Rule {
    /// A regex that starts with the anchor literal and captures the version.
    Re(&'static str, &'static str),
    /// A bare version string (its own NUL- or newline-delimited string) within
    /// `window` bytes of the anchor, for binaries that print `"%s"` with a
    /// separate version constant.
    Near(&'static str, &'static str, usize),
    /// A regex over the file name (library sonames that carry the release).
    FileName(&'static str),
}

/// One product: display name, CPE vendor and product, and its rules.
struct Product {
    name: &'static str,
    vendor: &'static str,
    product: &'static str,
    part: char,
    rules: &'static [Rule],
}

use Rule::*;

const PRODUCTS: &[Product] = &[
    Product {
        name: "busybox",
        vendor: "busybox",
        product: "busybox",
        part: 'a',
        // Vendors' banners repeat the `v` (`BusyBox vv1.9.1`).
        rules: &[Re("BusyBox v", r"^BusyBox vv?(\d+\.\d+(?:\.\d+)?)")],
    },
    Product {
        name: "openssl",
        vendor: "openssl",
        product: "openssl",
        part: 'a',
        rules: &[Re(
            "OpenSSL ",
            r"^OpenSSL (\d+\.\d+\.\d+[a-z]{0,2})(?:-fips|-dev)?\s+\d{1,2} [A-Z][a-z]{2} \d{4}",
        )],
    },
    Product {
        name: "dropbear",
        vendor: "dropbear_ssh_project",
        product: "dropbear_ssh",
        part: 'a',
        rules: &[
            Re("SSH-2.0-dropbear_", r"^SSH-2\.0-dropbear_(\d{4}\.\d{2,3})"),
            Near("Dropbear server v%s", r"^(\d{4}\.\d{2,3})$", 256),
            Near("Dropbear SSH client v%s", r"^(\d{4}\.\d{2,3})$", 256),
            Near(
                "Dropbear multi-purpose version %s",
                r"^(\d{4}\.\d{2,3})$",
                256,
            ),
        ],
    },
    Product {
        name: "openssh",
        vendor: "openbsd",
        product: "openssh",
        part: 'a',
        rules: &[Re("OpenSSH_", r"^OpenSSH_(\d+\.\d+(?:\.\d+)?(?:p\d+)?)")],
    },
    Product {
        name: "dnsmasq",
        vendor: "thekelleys",
        product: "dnsmasq",
        part: 'a',
        rules: &[
            Re("dnsmasq-", r"^dnsmasq-(\d+\.\d+)(?:rc\d+|test\d+)?[\x00\s]"),
            Near("Dnsmasq version %s", r"^(\d+\.\d+)(?:rc\d+|test\d+)?$", 128),
        ],
    },
    Product {
        name: "lighttpd",
        vendor: "lighttpd",
        product: "lighttpd",
        part: 'a',
        rules: &[Re("lighttpd/", r"^lighttpd/(\d+\.\d+\.\d+)")],
    },
    Product {
        name: "boa",
        vendor: "boa",
        product: "boa",
        part: 'a',
        rules: &[Re("Boa/", r"^Boa/(\d+\.\d+\.\d+(?:rc\d+)?)")],
    },
    Product {
        name: "goahead",
        vendor: "embedthis",
        product: "goahead",
        part: 'a',
        rules: &[Re("GoAhead", r"^GoAhead(?:-Webs|-http)?/(\d+\.\d+\.\d+)")],
    },
    Product {
        name: "miniupnpd",
        vendor: "miniupnp_project",
        product: "miniupnpd",
        part: 'a',
        rules: &[
            Re("MiniUPnPd/", r"^MiniUPnPd/(\d+\.\d+(?:\.\d+)?)"),
            Re(
                "miniupnpd ",
                r"^miniupnpd (\d+\.\d+(?:\.\d+)?) [A-Z][a-z]{2} ",
            ),
        ],
    },
    Product {
        name: "miniupnpc",
        vendor: "miniupnp_project",
        product: "miniupnpc",
        part: 'a',
        rules: &[Re("MiniUPnPc/", r"^MiniUPnPc/(\d+\.\d+(?:\.\d+)?)")],
    },
    Product {
        name: "hostapd",
        vendor: "w1.fi",
        product: "hostapd",
        part: 'a',
        rules: &[Re("hostapd v", r"^hostapd v(\d+\.\d+(?:\.\d+)?)")],
    },
    Product {
        name: "wpa_supplicant",
        vendor: "w1.fi",
        product: "wpa_supplicant",
        part: 'a',
        rules: &[Re(
            "wpa_supplicant v",
            r"^wpa_supplicant v(\d+\.\d+(?:\.\d+)?)",
        )],
    },
    Product {
        name: "curl",
        vendor: "haxx",
        product: "curl",
        part: 'a',
        rules: &[Re("curl ", r"^curl (\d+\.\d+\.\d+) \(")],
    },
    Product {
        name: "libcurl",
        vendor: "haxx",
        product: "libcurl",
        part: 'a',
        rules: &[Re("libcurl/", r"^libcurl/(\d+\.\d+\.\d+)")],
    },
    Product {
        name: "mbedtls",
        vendor: "arm",
        product: "mbed_tls",
        part: 'a',
        rules: &[
            Re("mbed TLS ", r"^mbed TLS (\d+\.\d+\.\d+)"),
            Re("Mbed TLS ", r"^Mbed TLS (\d+\.\d+\.\d+)"),
        ],
    },
    Product {
        name: "wolfssl",
        vendor: "wolfssl",
        product: "wolfssl",
        part: 'a',
        rules: &[Re("wolfSSL ", r"^wolfSSL (\d+\.\d+\.\d+)[\x00\s]")],
    },
    Product {
        name: "zlib",
        vendor: "zlib",
        product: "zlib",
        part: 'a',
        rules: &[
            Re(
                " deflate ",
                r"^ deflate (\d+\.\d+\.\d+(?:\.\d+)?) Copyright",
            ),
            Re(
                " inflate ",
                r"^ inflate (\d+\.\d+\.\d+(?:\.\d+)?) Copyright",
            ),
            Near("incorrect length check", r"^(1\.[0-3]\.\d+(?:\.\d+)?)$", 64),
        ],
    },
    Product {
        name: "sqlite",
        vendor: "sqlite",
        product: "sqlite",
        part: 'a',
        rules: &[
            Re(
                "SQLite version ",
                r"^SQLite version (3\.\d+\.\d+(?:\.\d+)?)",
            ),
            Near("SQLite format 3", r"^(3\.\d+\.\d+(?:\.\d+)?)$", 512),
        ],
    },
    Product {
        name: "uclibc",
        vendor: "uclibc",
        product: "uclibc",
        part: 'a',
        rules: &[FileName(
            r"^(?:lib|ld)-?uClibc-(0\.\d+\.\d+(?:\.\d+)?)\.so$",
        )],
    },
    Product {
        name: "uclibc-ng",
        vendor: "uclibc-ng_project",
        product: "uclibc-ng",
        part: 'a',
        rules: &[FileName(
            r"^(?:lib|ld)-?uClibc-(1\.\d+\.\d+(?:\.\d+)?)\.so$",
        )],
    },
    Product {
        name: "musl",
        vendor: "musl-libc",
        product: "musl",
        part: 'a',
        // The dynamic loader's usage text (`musl libc (x86_64)\nVersion %s`) prints
        // the release from a separate constant, a bare `1.2.3` a few KiB away in the
        // same library.
        rules: &[
            Re(
                "musl libc",
                r"^musl libc(?: \([a-z0-9_]+\))?\nVersion (\d+\.\d+\.\d+)",
            ),
            Near("musl libc (", r"^([01]\.\d+\.\d+)$", 16 << 10),
            Near("musl libc\nVersion %s", r"^([01]\.\d+\.\d+)$", 16 << 10),
        ],
    },
    Product {
        name: "glibc",
        vendor: "gnu",
        product: "glibc",
        part: 'a',
        rules: &[Re(
            "GNU C Library",
            r"^GNU C Library [^\x00\n]{0,80}?version (\d+\.\d+(?:\.\d+)?)",
        )],
    },
    Product {
        name: "linux",
        vendor: "linux",
        product: "linux_kernel",
        part: 'o',
        rules: &[
            Re(
                "Linux version ",
                r"^Linux version (\d+\.\d+(?:\.\d+){0,2})\S* \(",
            ),
            Re("vermagic=", r"^vermagic=(\d+\.\d+(?:\.\d+){0,2})"),
        ],
    },
    Product {
        name: "u-boot",
        vendor: "denx",
        product: "u-boot",
        part: 'a',
        rules: &[Re(
            "U-Boot ",
            r"^U-Boot (\d{4}\.\d{2}(?:\.\d+)?(?:-rc\d+)?|\d+\.\d+\.\d+)[ \x00(-]",
        )],
    },
    Product {
        name: "openvpn",
        vendor: "openvpn",
        product: "openvpn",
        part: 'a',
        rules: &[Re("OpenVPN ", r"^OpenVPN (\d+\.\d+\.\d+) [a-z0-9_]+-")],
    },
    Product {
        name: "ppp",
        vendor: "point-to-point_protocol_project",
        product: "point-to-point_protocol",
        part: 'a',
        rules: &[
            Re("/pppd/", r"^/pppd/(\d+\.\d+\.\d+)"),
            Re("pppd version ", r"^pppd version (\d+\.\d+\.\d+)"),
        ],
    },
    Product {
        name: "ntp",
        vendor: "ntp",
        product: "ntp",
        part: 'a',
        rules: &[
            Re("ntpd ", r"^ntpd (\d+\.\d+\.\d+(?:p\d+)?)@"),
            Re("ntpdate ", r"^ntpdate (\d+\.\d+\.\d+(?:p\d+)?)@"),
            Re("ntpq ", r"^ntpq (\d+\.\d+\.\d+(?:p\d+)?)@"),
        ],
    },
    Product {
        name: "thttpd",
        vendor: "acme",
        product: "thttpd",
        part: 'a',
        rules: &[Re("thttpd/", r"^thttpd/(\d+\.\d+[a-z]?)")],
    },
    Product {
        name: "expat",
        vendor: "libexpat_project",
        product: "libexpat",
        part: 'a',
        rules: &[Re("expat_", r"^expat_(\d+\.\d+\.\d+)")],
    },
];

struct Compiled {
    /// (product index, anchor, regex, near-window or 0)
    rules: Vec<(usize, &'static str, Regex, usize)>,
    names: Vec<(usize, Regex)>,
    anchors: Vec<&'static str>,
}

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut rules = Vec::new();
    let mut names = Vec::new();
    let mut anchors = Vec::new();
    for (pi, p) in PRODUCTS.iter().enumerate() {
        for r in p.rules {
            // The patterns are constants of this file; a unit test compiles all.
            match r {
                Re(a, re) => {
                    rules.push((pi, *a, Regex::new(re).expect("valid component regex"), 0));
                    anchors.push(*a);
                }
                Near(a, re, w) => {
                    rules.push((pi, *a, Regex::new(re).expect("valid component regex"), *w));
                    anchors.push(*a);
                }
                FileName(re) => names.push((pi, Regex::new(re).expect("valid component regex"))),
            }
        }
    }
    anchors.sort_unstable();
    anchors.dedup();
    Compiled {
        rules,
        names,
        anchors,
    }
});

impl Check for Components {
    fn name(&self) -> &'static str {
        "components"
    }
    fn family(&self) -> Family {
        Family::Components
    }
    fn literals(&self) -> &'static [&'static str] {
        &COMPILED.anchors
    }
    fn run(&self, ctx: &Context) -> CheckOutput {
        let mut acc = Acc::default();
        package_dbs(ctx, &mut acc);
        binaries(ctx, &mut acc);
        module_dirs(ctx, &mut acc);
        let (components, findings) = acc.finish();
        CheckOutput {
            components,
            findings,
            ..Default::default()
        }
    }
}

/// How far a kind of evidence is trusted to state a version. The most trustworthy
/// kind present for a product decides its version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    /// A library's file name (`libuClibc-0.9.33.2.so`).
    FileName,
    /// A version string inside a binary (a banner).
    Binary,
    /// What the build wrote down: `/lib/modules/<release>/`, a distribution kernel's
    /// own package version in its banner.
    BuildMeta,
    /// A package database (dpkg, opkg, apk).
    PackageDb,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::FileName => "file-name",
            Source::Binary => "binary-string",
            Source::BuildMeta => "build-metadata",
            Source::PackageDb => "package-db",
        }
    }
}

/// One component as collected, with the kind of evidence that stated its version.
struct Collected {
    comp: Component,
    source: Source,
}

/// Components keyed by (name, version), with their identities.
#[derive(Default)]
struct Acc {
    map: BTreeMap<(String, String), Collected>,
}

/// One piece of evidence for a product at a version.
struct Seen<'a> {
    name: &'a str,
    version: &'a str,
    cpe: Option<String>,
    purl: String,
    ev: Evidence,
    source: Source,
    props: Vec<(&'static str, String)>,
}

impl Acc {
    fn add(&mut self, s: Seen) {
        let c = self
            .map
            .entry((s.name.to_string(), s.version.to_string()))
            .or_insert_with(|| Collected {
                comp: Component {
                    name: s.name.to_string(),
                    version: s.version.to_string(),
                    cpe: s.cpe.clone(),
                    purl: Some(s.purl.clone()),
                    evidence: Vec::new(),
                    properties: Default::default(),
                },
                source: s.source,
            });
        // The most trustworthy source names the component (a package's purl).
        if s.source > c.source {
            c.source = s.source;
            c.comp.purl = Some(s.purl);
            if s.cpe.is_some() {
                c.comp.cpe = s.cpe;
            }
        } else if c.comp.cpe.is_none() {
            c.comp.cpe = s.cpe;
        }
        for (k, v) in s.props {
            c.comp.properties.entry(k.to_string()).or_insert(v);
        }
        push_evidence(&mut c.comp, s.ev);
    }

    /// One component per product and version the most trustworthy source states;
    /// weaker evidence of the same version joins it, weaker evidence of another
    /// version is dropped and recorded as COMP-002.
    fn finish(self) -> (Vec<Component>, Vec<Finding>) {
        let mut by_name: BTreeMap<String, Vec<Collected>> = BTreeMap::new();
        for ((name, _), c) in self.map {
            by_name.entry(name).or_default().push(c);
        }
        let mut out = Vec::new();
        let mut findings = Vec::new();
        for (name, group) in by_name {
            let top = group
                .iter()
                .map(|c| c.source)
                .max()
                .unwrap_or(Source::Binary);
            let (mut keep, lower): (Vec<Collected>, Vec<Collected>) =
                group.into_iter().partition(|c| c.source == top);
            for low in lower {
                if let Some(k) = keep
                    .iter_mut()
                    .find(|k| versions_agree(&k.comp.version, &low.comp.version))
                {
                    for (p, v) in low.comp.properties {
                        k.comp.properties.entry(p).or_insert(v);
                    }
                    for e in low.comp.evidence {
                        push_evidence(&mut k.comp, e);
                    }
                    continue;
                }
                let stated: Vec<String> = keep.iter().map(|k| k.comp.version.clone()).collect();
                let at = low
                    .comp
                    .evidence
                    .first()
                    .map(|e| format!(" ({})", e.path))
                    .unwrap_or_default();
                let mut evidence: Vec<Evidence> =
                    low.comp.evidence.iter().take(3).cloned().collect();
                evidence.extend(keep.iter().filter_map(|k| k.comp.evidence.first().cloned()));
                findings.push(Finding::new(
                    Code::Comp002,
                    format!(
                        "{name}: the {} says {}{at}, the {} says {}; the {} decides and {} is not reported",
                        source_text(low.source),
                        low.comp.version,
                        source_text(top),
                        stated.join(", "),
                        source_text(top),
                        low.comp.version
                    ),
                    evidence,
                ));
            }
            for mut k in keep {
                k.comp
                    .properties
                    .insert(props::VERSION_SOURCE.to_string(), top.as_str().to_string());
                out.push(k.comp);
            }
        }
        (out, findings)
    }
}

fn source_text(s: Source) -> &'static str {
    match s {
        Source::FileName => "library file name",
        Source::Binary => "binary's version string",
        Source::BuildMeta => "build metadata",
        Source::PackageDb => "package database",
    }
}

fn push_evidence(c: &mut Component, ev: Evidence) {
    if c.evidence.len() < MAX_EVIDENCE
        && !c
            .evidence
            .iter()
            .any(|e| e.path == ev.path && e.excerpt == ev.excerpt)
    {
        c.evidence.push(ev);
    }
}

/// Whether two versions of one product state the same release: equal, or one is the
/// other with more detail after a separator (`1.9` and `1.9.20141209`, `9.2` and
/// `9.2p1`, `1.0.2` and `1.0.2g`), never `1.9` and `1.91`.
fn versions_agree(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short == long {
        return true;
    }
    long.strip_prefix(short)
        .and_then(|rest| rest.chars().next())
        .is_some_and(|c| !c.is_ascii_digit() && !short.is_empty())
}

/// Kernel releases `/lib/modules/<release>/` names: the kernel's own version even
/// where no kernel image is in the tree.
fn module_dirs(ctx: &Context, acc: &mut Acc) {
    static RELEASE: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r"^(\d+\.\d+(?:\.\d+){0,2})(?:[-+.~_][0-9A-Za-z._+~-]*)?$")
            .expect("valid release regex")
    });
    let Some(linux) = PRODUCTS.iter().find(|p| p.name == "linux") else {
        return;
    };
    let mut seen = BTreeSet::new();
    for (i, e) in ctx.tree.entries.iter().enumerate() {
        let segs: Vec<&str> = e.fs_path.split('/').filter(|s| !s.is_empty()).collect();
        let Some(release) = segs
            .windows(2)
            .position(|w| w == ["lib", "modules"])
            .and_then(|p| segs.get(p + 2))
        else {
            continue;
        };
        let Some(v) = RELEASE.captures(release).and_then(|c| c.get(1)) else {
            continue;
        };
        if !seen.insert(release.to_string()) {
            continue;
        }
        let version = v.as_str();
        acc.add(Seen {
            name: linux.name,
            version,
            cpe: Some(cpe(linux.part, linux.vendor, linux.product, version)),
            purl: format!("pkg:generic/{}@{}", linux.name, purl_escape(version)),
            ev: ctx.evidence(i, None, Some(format!("kernel modules folder {release}"))),
            source: Source::BuildMeta,
            props: vec![],
        });
    }
}

/// Products and versions named in a text seen on the wire (an SSH banner, an HTTP
/// `Server` header, an FTP greeting), found by the same anchored rules that find
/// version strings inside firmware binaries, so a version seen by the live probe is
/// matched against known vulnerabilities exactly like one found in the image.
/// Returns `(name, version, cpe, purl)` per product found, at most one per product.
pub fn identify_banner(text: &[u8]) -> Vec<(String, String, String, String)> {
    let c = &*COMPILED;
    let text = &text[..text.len().min(8 << 10)];
    let mut out: Vec<(String, String, String, String)> = Vec::new();
    for (pi, anchor, re, window) in &c.rules {
        if *window != 0 {
            continue;
        }
        let Some(p) = PRODUCTS.get(*pi) else { continue };
        if out.iter().any(|o| o.0 == p.name) {
            continue;
        }
        let a = anchor.as_bytes();
        let mut from = 0;
        while let Some(i) = memchr::memmem::find(&text[from..], a) {
            let at = from + i;
            let end = (at + RE_WINDOW).min(text.len());
            if let Some(m) = re.captures(&text[at..end]).and_then(|caps| caps.get(1)) {
                let version = String::from_utf8_lossy(m.as_bytes()).into_owned();
                out.push((
                    p.name.to_string(),
                    version.clone(),
                    cpe(p.part, p.vendor, p.product, &version),
                    format!("pkg:generic/{}@{}", p.name, purl_escape(&version)),
                ));
                break;
            }
            from = at + 1;
        }
    }
    out
}

/// CPE 2.3 formatted string; characters CPE reserves are escaped.
pub fn cpe(part: char, vendor: &str, product: &str, version: &str) -> String {
    let esc = |s: &str| {
        s.chars()
            .flat_map(|c| {
                let special = !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-');
                special
                    .then_some('\\')
                    .into_iter()
                    .chain(std::iter::once(c))
            })
            .collect::<String>()
    };
    format!(
        "cpe:2.3:{part}:{}:{}:{}:*:*:*:*:*:*:*",
        esc(vendor),
        esc(product),
        esc(version)
    )
}

fn purl_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-~".contains(c) {
                c.to_string()
            } else {
                format!("%{:02X}", c as u32 & 0xff)
            }
        })
        .collect()
}

fn binaries(ctx: &Context, acc: &mut Acc) {
    let c = &*COMPILED;
    // (product, file, version, offset, matched string)
    let mut cands: Vec<(usize, usize, String, usize, Vec<u8>)> = Vec::new();
    for (pi, anchor, re, window) in &c.rules {
        for h in ctx.hits(anchor) {
            if ctx.is_documentation(h.file) {
                continue;
            }
            let data = ctx.data(h.file);
            let found = if *window == 0 {
                let end = (h.offset + RE_WINDOW).min(data.len());
                data.get(h.offset..end).and_then(|w| {
                    let caps = re.captures(w)?;
                    let m = caps.get(1)?;
                    let whole = caps.get(0)?;
                    // A wildcard after the version, or anywhere in the same
                    // string, is a compatibility pattern (`OpenSSH_7.4*`,
                    // `OpenSSH_2.3.*`, `OpenSSH_2.*,OpenSSH_3.0*`), not the
                    // program's own version.
                    if w.get(m.end()) == Some(&b'*') || pattern_string(data, h.offset) {
                        return None;
                    }
                    Some((
                        String::from_utf8_lossy(m.as_bytes()).into_owned(),
                        h.offset,
                        whole.as_bytes().to_vec(),
                    ))
                })
            } else {
                near(data, h.offset, *window, re)
            };
            if let Some((version, off, matched)) = found {
                cands.push((*pi, h.file, version, off, matched));
            }
        }
    }
    // Within one file, a version that is a prefix of another for the same product is
    // the short form of it (`OpenSSH_8.0` beside `OpenSSH_8.0p1`).
    let mut groups: std::collections::HashMap<(usize, usize), Vec<String>> =
        std::collections::HashMap::new();
    for (pi, f, v, _, _) in &cands {
        let g = groups.entry((*pi, *f)).or_default();
        if !g.contains(v) {
            g.push(v.clone());
        }
    }
    let keep: Vec<bool> = cands
        .iter()
        .map(|(pi, f, v, _, _)| {
            groups.get(&(*pi, *f)).is_none_or(|g| {
                !g.iter()
                    .any(|w| w.len() > v.len() && w.starts_with(v.as_str()))
            })
        })
        .collect();
    let applets = busybox_applet_lists(ctx, &cands);
    for ((pi, file, version, off, matched), k) in cands.into_iter().zip(keep) {
        let Some(p) = PRODUCTS.get(pi) else { continue };
        if !k {
            continue;
        }
        let excerpt = clip(&String::from_utf8_lossy(&matched).replace('\0', " "));
        // A distribution kernel's banner names its ABI (`6.1.0-57-amd64`) and, later
        // on, the package version it was built as (`Debian 6.1.192-3`): that one is
        // the kernel's upstream release.
        let (version, source) = match (p.name, distro_kernel(ctx.data(file), off)) {
            ("linux", Some(v)) => (v, Source::BuildMeta),
            _ => (version, Source::Binary),
        };
        acc.add(Seen {
            name: p.name,
            version: &version,
            cpe: Some(cpe(p.part, p.vendor, p.product, &version)),
            purl: format!("pkg:generic/{}@{}", p.name, purl_escape(&version)),
            ev: ctx.evidence(file, Some(off as u64), Some(excerpt)),
            source,
            props: vec![],
        });
    }
    for (version, list) in applets {
        if let Some(c) = acc.map.get_mut(&("busybox".to_string(), version))
            && let Some(list) = list
        {
            let joined = list.into_iter().collect::<Vec<_>>().join(",");
            c.comp
                .properties
                .insert(BUSYBOX_APPLETS.to_string(), joined);
        }
    }
    for (i, e) in ctx.tree.entries.iter().enumerate() {
        for (pi, re) in &c.names {
            let Some(p) = PRODUCTS.get(*pi) else { continue };
            if let Some(m) = re.captures(e.name().as_bytes()).and_then(|c| c.get(1)) {
                let version = String::from_utf8_lossy(m.as_bytes()).into_owned();
                acc.add(Seen {
                    name: p.name,
                    version: &version,
                    cpe: Some(cpe(p.part, p.vendor, p.product, &version)),
                    purl: format!("pkg:generic/{}@{}", p.name, purl_escape(&version)),
                    ev: ctx.evidence(i, None, Some(format!("file name {}", e.name()))),
                    source: Source::FileName,
                    props: vec![],
                });
            }
        }
    }
}

/// Component property: the applets built into a BusyBox binary, comma-separated and
/// sorted. Present only when every BusyBox executable of that version yielded a
/// complete applet table, since VEX reads a missing applet as "not built in".
pub const BUSYBOX_APPLETS: &str = "busybox:applets";

/// Per BusyBox version: the union of the applet tables of its ELF executables, or
/// `None` when one of them has no complete table. Files that merely mention the
/// version (a banner) are not executables and do not count.
fn busybox_applet_lists(
    ctx: &Context,
    cands: &[(usize, usize, String, usize, Vec<u8>)],
) -> BTreeMap<String, Option<BTreeSet<String>>> {
    let mut seen = BTreeSet::new();
    let mut out: BTreeMap<String, Option<BTreeSet<String>>> = BTreeMap::new();
    for (pi, file, version, _, _) in cands {
        if PRODUCTS.get(*pi).is_none_or(|p| p.name != "busybox")
            || !seen.insert((*file, version.clone()))
        {
            continue;
        }
        let data = ctx.data(*file);
        if !data.starts_with(b"\x7fELF") {
            continue;
        }
        let list = applets::busybox_applets(data);
        let slot = out
            .entry(version.clone())
            .or_insert_with(|| Some(BTreeSet::new()));
        match (slot.as_mut(), list) {
            (Some(set), Some(l)) => set.extend(l),
            _ => *slot = None,
        }
    }
    out
}

/// The upstream release a distribution kernel's banner at `offset` states after its
/// ABI name: `Linux version 6.1.0-57-amd64 (...) #1 SMP PREEMPT_DYNAMIC Debian
/// 6.1.192-3 (2025-...)` gives `6.1.192`.
fn distro_kernel(data: &[u8], offset: usize) -> Option<String> {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^Linux version (\d+\.\d+)\.\d+-[^\s\x00]+ [^\x00\n]{0,400}? #\d*[^\x00\n]{0,80}? (?:Debian|Ubuntu) ((\d+\.\d+)\.\d+)[-~+]",
        )
        .expect("valid kernel banner regex")
    });
    let w = data.get(offset..(offset + 640).min(data.len()))?;
    let c = RE.captures(w)?;
    // The package version must be of the same series as the ABI name.
    let full = c.get(2)?;
    (c.get(1)?.as_bytes() == c.get(3)?.as_bytes())
        .then(|| String::from_utf8_lossy(full.as_bytes()).into_owned())
}

/// Whether the printable string holding `offset` is a pattern list
/// (it contains a `*` wildcard): software keeps other programs' version patterns to
/// work around their bugs, and those are never its own version.
fn pattern_string(data: &[u8], offset: usize) -> bool {
    const REACH: usize = 256;
    // The string is the printable run around the hit: compatibility lists are plain
    // ASCII, and binary bytes before a banner are not part of it.
    let stop = |b: &u8| !(0x20..0x7f).contains(b);
    let lo = offset.saturating_sub(REACH);
    let start = data
        .get(lo..offset)
        .and_then(|s| s.iter().rposition(stop))
        .map_or(lo, |p| lo + p + 1);
    let hi = (offset + REACH).min(data.len());
    let end = data
        .get(offset..hi)
        .and_then(|s| s.iter().position(stop))
        .map_or(hi, |p| offset + p);
    data.get(start..end).is_some_and(|s| s.contains(&b'*'))
}

/// The nearest delimited string within `window` bytes of `offset` that is a whole
/// match of `re`: (captured version, its offset, the string).
fn near(data: &[u8], offset: usize, window: usize, re: &Regex) -> Option<(String, usize, Vec<u8>)> {
    let lo = offset.saturating_sub(window);
    let hi = (offset + window).min(data.len());
    let slice = data.get(lo..hi)?;
    let mut best: Option<(usize, String, usize, Vec<u8>)> = None;
    let mut pos = 0usize;
    for piece in slice.split(|&b| b == 0 || b == b'\n') {
        let start = lo + pos;
        pos += piece.len() + 1;
        if piece.is_empty() || piece.len() > 24 {
            continue;
        }
        let Some(m) = re.captures(piece).and_then(|c| c.get(1)) else {
            continue;
        };
        let dist = start.abs_diff(offset);
        if best.as_ref().is_none_or(|b| dist < b.0) {
            best = Some((
                dist,
                String::from_utf8_lossy(m.as_bytes()).into_owned(),
                start,
                piece.to_vec(),
            ));
        }
    }
    best.map(|(_, v, o, s)| (v, o, s))
}

/// Maps a package name to a known product (CPE identity).
fn product_of_package(name: &str) -> Option<&'static Product> {
    let n = name.to_ascii_lowercase();
    let key = match n.as_str() {
        "busybox" | "busybox-static" | "busybox-udeb" => "busybox",
        "dropbear" | "dropbear-bin" | "dropbear-run" => "dropbear_ssh",
        "dnsmasq" | "dnsmasq-full" | "dnsmasq-dhcpv6" | "dnsmasq-base" => "dnsmasq",
        "lighttpd" => "lighttpd",
        "miniupnpd" | "miniupnpd-nftables" | "miniupnpd-iptables" => "miniupnpd",
        "curl" => "curl",
        "libcurl" | "libcurl4" | "libcurl3" | "libcurl3-gnutls" | "libcurl4-openssl" => "libcurl",
        "hostapd" | "hostapd-mini" | "hostapd-basic" | "wpad" | "wpad-mini" | "wpad-basic" => {
            "hostapd"
        }
        "wpa-supplicant" | "wpa_supplicant" | "wpasupplicant" => "wpa_supplicant",
        "zlib" | "zlib1g" => "zlib",
        "openvpn" | "openvpn-openssl" | "openvpn-mbedtls" => "openvpn",
        "ppp" | "ppp-mod-pppoe" => "point-to-point_protocol",
        "sqlite3" | "libsqlite3" | "libsqlite3-0" | "sqlite3-cli" => "sqlite",
        "openssh-server" | "openssh-client" | "openssh" | "openssh-sftp-server" => "openssh",
        "libc6" | "glibc" => "glibc",
        "musl" => "musl",
        "libexpat" | "libexpat1" | "expat" => "libexpat",
        // OpenWrt's kernel package; Debian's kernel images by ABI name.
        "kernel" => "linux_kernel",
        _ if n.starts_with("linux-image-")
            && n.as_bytes().get(12).is_some_and(u8::is_ascii_digit) =>
        {
            "linux_kernel"
        }
        "uhttpd" => return None,
        _ if n.starts_with("libopenssl")
            || n == "openssl-util"
            || n == "openssl"
            || n.starts_with("libssl") =>
        {
            "openssl"
        }
        _ if n.starts_with("libmbedtls") || n == "mbedtls" => "mbed_tls",
        _ if n.starts_with("libwolfssl") => "wolfssl",
        _ if n.starts_with("libminiupnpc") => "miniupnpc",
        _ => return None,
    };
    PRODUCTS.iter().find(|p| p.product == key)
}

/// Upstream version from a package version: epoch, packaging release and repack
/// suffixes (`.dfsg`, `+ds`, `~repack`) removed.
fn upstream(version: &str) -> &str {
    let v = version.split_once(':').map_or(version, |(_, v)| v);
    let v = v.rsplit_once('-').map_or(v, |(u, _)| u);
    [
        "+dfsg", ".dfsg", "~dfsg", "+ds", ".ds", "~ds", "+repack", "~repack", ".git", "+git",
        "~git",
    ]
    .iter()
    .filter_map(|sep| v.find(sep).filter(|&i| i > 0))
    .min()
    .map_or(v, |i| &v[..i])
}

/// The distribution whose package a version string says it is, where it says so:
/// Debian security and point-release builds carry `+deb12u1` / `~deb12u2`.
fn distro_of_version(version: &str) -> Option<String> {
    static RE: LazyLock<regex::Regex> =
        LazyLock::new(|| regex::Regex::new(r"[+~]deb(\d{1,2})u\d+").expect("valid distro regex"));
    RE.captures(version)
        .and_then(|c| c.get(1))
        .map(|m| format!("debian:{}", m.as_str()))
}

/// The distribution and release the image says it is (`debian:12`, `alpine:v3.18`,
/// `openwrt:23.05.2`), from `os-release` or the distribution's own release file.
fn image_distro(ctx: &Context) -> Option<String> {
    let read = |suffix: &str| -> Option<Vec<(usize, String)>> {
        let i = ctx.files_ending(&[suffix]).into_iter().next()?;
        Some(text_lines(ctx.data(i)))
    };
    let field = |lines: &[(usize, String)], key: &str| -> Option<String> {
        lines.iter().find_map(|(_, l)| {
            l.strip_prefix(key)
                .map(|v| v.trim().trim_matches(['"', '\'']).to_string())
        })
    };
    let major = |v: &str| v.split('.').next().unwrap_or("").to_string();
    let minor = |v: &str| v.split('.').take(2).collect::<Vec<_>>().join(".");
    if let Some(l) = read("etc/os-release").or_else(|| read("usr/lib/os-release")) {
        let id = field(&l, "ID=").unwrap_or_default().to_ascii_lowercase();
        let ver = field(&l, "VERSION_ID=").unwrap_or_default();
        match id.as_str() {
            "debian" | "raspbian" if !ver.is_empty() => {
                return Some(format!("debian:{}", major(&ver)));
            }
            "ubuntu" if !ver.is_empty() => return Some(format!("ubuntu:{ver}")),
            "alpine" if !ver.is_empty() => return Some(format!("alpine:v{}", minor(&ver))),
            "openwrt" => return Some(format!("openwrt:{ver}")),
            _ => {}
        }
    }
    if let Some(l) = read("etc/debian_version") {
        let v = l
            .first()
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        if v.starts_with(|c: char| c.is_ascii_digit()) {
            return Some(format!("debian:{}", major(&v)));
        }
    }
    if let Some(l) = read("etc/alpine-release") {
        let v = l
            .first()
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        if v.starts_with(|c: char| c.is_ascii_digit()) {
            return Some(format!("alpine:v{}", minor(&v)));
        }
    }
    if let Some(l) = read("etc/openwrt_release") {
        let v = field(&l, "DISTRIB_RELEASE=").unwrap_or_default();
        return Some(format!("openwrt:{v}"));
    }
    None
}

/// The package databases: dpkg (and BusyBox's udpkg, same file), opkg (the status
/// file and OpenWrt's per-package control files) and apk. Each installed package
/// becomes a component; a package of a known product is named and versioned as the
/// product (upstream version) and keeps its full version and source package as
/// properties, which distribution-aware matching reads.
fn package_dbs(ctx: &Context, acc: &mut Acc) {
    let image = image_distro(ctx);
    for (i, e) in ctx.tree.files() {
        let (kind, purl_type) = if e.ends_with("usr/lib/opkg/status")
            || e.ends_with("var/lib/opkg/status")
            || e.name().ends_with(".control") && e.under("opkg/info")
        {
            ("opkg", "generic")
        } else if e.ends_with("var/lib/dpkg/status") || e.ends_with("var/lib/udpkg/status") {
            ("dpkg", "deb")
        } else if e.ends_with("lib/apk/db/installed") {
            ("apk", "apk")
        } else {
            continue;
        };
        if e.size > 64 << 20 {
            continue;
        }
        let family = match kind {
            "dpkg" => ["debian", "ubuntu"].as_slice(),
            "apk" => &["alpine"],
            _ => &["openwrt"],
        };
        let image_distro = image
            .as_deref()
            .filter(|d| family.iter().any(|f| d.split(':').next() == Some(*f)));
        let lines = text_lines(ctx.data(i));
        // Paragraphs: fields up to a blank line (apk's records are separated the same way).
        let mut para: Vec<(usize, &str)> = Vec::new();
        for (off, line) in lines
            .iter()
            .map(|(o, l)| (*o, l.as_str()))
            .chain(std::iter::once((usize::MAX, "")))
        {
            if !line.trim().is_empty() {
                para.push((off, line));
                continue;
            }
            if para.is_empty() {
                continue;
            }
            let get = |key: &str| {
                para.iter()
                    .find_map(|(o, l)| l.strip_prefix(key).map(|v| (*o, v.trim())))
            };
            let (name_key, ver_key, src_key) = if kind == "apk" {
                ("P:", "V:", "o:")
            } else {
                ("Package:", "Version:", "Source:")
            };
            let installed = get("Status:")
                .is_none_or(|(_, s)| s.split_whitespace().last() == Some("installed"));
            if let (Some((noff, n)), Some((_, v)), true) = (get(name_key), get(ver_key), installed)
                && !n.is_empty()
                && !v.is_empty()
            {
                let source =
                    get(src_key).map(|(_, s)| s.split_whitespace().next().unwrap_or(s).to_string());
                add_package(
                    ctx,
                    acc,
                    i,
                    (kind, purl_type),
                    (noff, n, v),
                    source,
                    image_distro,
                );
            }
            para.clear();
        }
    }
}

/// One installed package as a component.
fn add_package(
    ctx: &Context,
    acc: &mut Acc,
    file: usize,
    (kind, purl_type): (&str, &str),
    (noff, n, v): (usize, &str, &str),
    source: Option<String>,
    image_distro: Option<&str>,
) {
    let prod = product_of_package(n);
    let display = prod.map_or(n, |p| p.name);
    let up = upstream(v);
    let cpe = prod.map(|p| cpe(p.part, p.vendor, p.product, up));
    let purl = match purl_type {
        "deb" => format!("pkg:deb/{}@{}", purl_escape(n), purl_escape(v)),
        "apk" => format!("pkg:apk/{}@{}", purl_escape(n), purl_escape(v)),
        _ => format!("pkg:generic/{}@{}", purl_escape(n), purl_escape(v)),
    };
    let version = if prod.is_some() { up } else { v };
    let mut props = vec![
        (props::PACKAGE_MANAGER, kind.to_string()),
        (props::PACKAGE_NAME, n.to_string()),
        (props::PACKAGE_VERSION, v.to_string()),
    ];
    if let Some(s) = source {
        props.push((props::PACKAGE_SOURCE, s));
    }
    if let Some(d) = distro_of_version(v).or_else(|| image_distro.map(str::to_string)) {
        props.push((props::PACKAGE_DISTRO, d));
    }
    acc.add(Seen {
        name: display,
        version,
        cpe,
        purl,
        ev: ctx.evidence(file, Some(noff as u64), Some(format!("{kind}: {n} {v}"))),
        source: Source::PackageDb,
        props,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banners_name_products_like_binaries_do() {
        let found = identify_banner(b"SSH-2.0-dropbear_2022.83\r\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "dropbear");
        assert_eq!(found[0].1, "2022.83");
        let found = identify_banner(b"HTTP/1.1 200 OK\r\nServer: lighttpd/1.4.69\r\n");
        assert_eq!(found[0].1, "1.4.69");
        assert!(identify_banner(b"Server: webserver\r\n").is_empty());
    }

    #[test]
    fn patterns_compile_and_cpe_escapes() {
        assert!(!COMPILED.anchors.is_empty());
        assert_eq!(
            cpe('a', "busybox", "busybox", "1.01"),
            "cpe:2.3:a:busybox:busybox:1.01:*:*:*:*:*:*:*"
        );
        assert_eq!(upstream("1:2.80-16.3"), "2.80");
    }

    #[test]
    fn near_picks_closest_bare_version() {
        let re = Regex::new(r"^(\d{4}\.\d{2,3})$").unwrap();
        let data = b"x\x002019.78\x00Dropbear SSH client v%s\x00";
        let at = data.windows(8).position(|w| w == b"Dropbear").unwrap();
        assert_eq!(near(data, at, 64, &re).map(|v| v.0), Some("2019.78".into()));
    }
}
