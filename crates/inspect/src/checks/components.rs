//! Components (SBOM): package databases (opkg, dpkg, apk), then version strings
//! inside binaries for the products firmware usually carries. Every component has
//! a CPE 2.3 name, a purl and the evidence (file and matched string).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use baseliner_model::{Component, Evidence};
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
        rules: &[Re("BusyBox v", r"^BusyBox v(\d+\.\d+(?:\.\d+)?)")],
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
        rules: &[Re(
            "musl libc",
            r"^musl libc(?: \([a-z0-9_]+\))?\nVersion (\d+\.\d+\.\d+)",
        )],
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
        CheckOutput {
            components: acc.finish(),
            ..Default::default()
        }
    }
}

/// Components keyed by (name, version), with their identities.
#[derive(Default)]
struct Acc {
    map: BTreeMap<(String, String), Component>,
}

impl Acc {
    fn add(&mut self, name: &str, version: &str, cpe: Option<String>, purl: String, ev: Evidence) {
        let c = self
            .map
            .entry((name.to_string(), version.to_string()))
            .or_insert_with(|| Component {
                name: name.to_string(),
                version: version.to_string(),
                cpe: cpe.clone(),
                purl: Some(purl),
                evidence: Vec::new(),
                properties: Default::default(),
            });
        if c.cpe.is_none() {
            c.cpe = cpe;
        }
        if c.evidence.len() < MAX_EVIDENCE
            && !c
                .evidence
                .iter()
                .any(|e| e.path == ev.path && e.excerpt == ev.excerpt)
        {
            c.evidence.push(ev);
        }
    }
    fn finish(self) -> Vec<Component> {
        self.map.into_values().collect()
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
            let data = ctx.data(h.file);
            let found = if *window == 0 {
                let end = (h.offset + RE_WINDOW).min(data.len());
                data.get(h.offset..end).and_then(|w| {
                    let caps = re.captures(w)?;
                    let m = caps.get(1)?;
                    let whole = caps.get(0)?;
                    // A wildcard after the version is a compatibility pattern
                    // (`OpenSSH_7.4*`), not the program's own version.
                    if w.get(m.end()) == Some(&b'*') {
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
        acc.add(
            p.name,
            &version,
            Some(cpe(p.part, p.vendor, p.product, &version)),
            format!("pkg:generic/{}@{}", p.name, purl_escape(&version)),
            ctx.evidence(file, Some(off as u64), Some(excerpt)),
        );
    }
    for (version, list) in applets {
        if let Some(c) = acc.map.get_mut(&("busybox".to_string(), version))
            && let Some(list) = list
        {
            let joined = list.into_iter().collect::<Vec<_>>().join(",");
            c.properties.insert(BUSYBOX_APPLETS.to_string(), joined);
        }
    }
    for (i, e) in ctx.tree.entries.iter().enumerate() {
        for (pi, re) in &c.names {
            let Some(p) = PRODUCTS.get(*pi) else { continue };
            if let Some(m) = re.captures(e.name().as_bytes()).and_then(|c| c.get(1)) {
                let version = String::from_utf8_lossy(m.as_bytes()).into_owned();
                acc.add(
                    p.name,
                    &version,
                    Some(cpe(p.part, p.vendor, p.product, &version)),
                    format!("pkg:generic/{}@{}", p.name, purl_escape(&version)),
                    ctx.evidence(i, None, Some(format!("file name {}", e.name()))),
                );
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
        "busybox" | "busybox-static" => "busybox",
        "dropbear" => "dropbear_ssh",
        "dnsmasq" | "dnsmasq-full" | "dnsmasq-dhcpv6" | "dnsmasq-base" => "dnsmasq",
        "lighttpd" => "lighttpd",
        "miniupnpd" | "miniupnpd-nftables" | "miniupnpd-iptables" => "miniupnpd",
        "curl" => "curl",
        "libcurl" | "libcurl4" => "libcurl",
        "hostapd" | "hostapd-mini" | "hostapd-basic" | "wpad" | "wpad-mini" | "wpad-basic" => {
            "hostapd"
        }
        "wpa-supplicant" | "wpa_supplicant" | "wpasupplicant" => "wpa_supplicant",
        "zlib" | "zlib1g" => "zlib",
        "openvpn" | "openvpn-openssl" | "openvpn-mbedtls" => "openvpn",
        "ppp" | "ppp-mod-pppoe" => "point-to-point_protocol",
        "sqlite3" | "libsqlite3" | "sqlite3-cli" => "sqlite",
        "openssh-server" | "openssh-client" | "openssh" => "openssh",
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

/// Upstream version from a package version: epoch and packaging release removed.
fn upstream(version: &str) -> &str {
    let v = version.split_once(':').map_or(version, |(_, v)| v);
    v.rsplit_once('-').map_or(v, |(u, _)| u)
}

fn package_dbs(ctx: &Context, acc: &mut Acc) {
    for (i, e) in ctx.tree.files() {
        let (kind, purl_type) = if e.ends_with("usr/lib/opkg/status")
            || e.ends_with("var/lib/opkg/status")
            || e.name().ends_with(".control") && e.under("opkg/info")
        {
            ("opkg", "generic")
        } else if e.ends_with("var/lib/dpkg/status") {
            ("dpkg", "deb")
        } else if e.ends_with("lib/apk/db/installed") {
            ("apk", "apk")
        } else {
            continue;
        };
        if e.size > 64 << 20 {
            continue;
        }
        let (name_key, ver_key) = if kind == "apk" {
            ("P:", "V:")
        } else {
            ("Package:", "Version:")
        };
        let mut name: Option<(usize, String)> = None;
        for (off, line) in text_lines(ctx.data(i))
            .into_iter()
            .chain(std::iter::once((usize::MAX, String::new())))
        {
            if let Some(n) = line.strip_prefix(name_key) {
                name = Some((off, n.trim().to_string()));
            } else if let Some(v) = line.strip_prefix(ver_key)
                && let Some((noff, n)) = name.take()
            {
                let v = v.trim();
                if n.is_empty() || v.is_empty() {
                    continue;
                }
                let prod = product_of_package(&n);
                let display = prod.map_or(n.as_str(), |p| p.name);
                let up = upstream(v);
                let cpe = prod.map(|p| cpe(p.part, p.vendor, p.product, up));
                let purl = match purl_type {
                    "deb" => format!("pkg:deb/{}@{}", purl_escape(&n), purl_escape(v)),
                    "apk" => format!("pkg:apk/{}@{}", purl_escape(&n), purl_escape(v)),
                    _ => format!("pkg:generic/{}@{}", purl_escape(&n), purl_escape(v)),
                };
                let version = if prod.is_some() { up } else { v };
                acc.add(
                    display,
                    version,
                    cpe,
                    purl,
                    ctx.evidence(i, Some(noff as u64), Some(format!("{kind}: {n} {v}"))),
                );
            }
        }
    }
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
