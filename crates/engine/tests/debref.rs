//! The clean Debian reference image (issue 10): a firmware-like squashfs built from
//! current Debian packages by `crates/testkit/debref.sh` (BusyBox, a CA bundle,
//! Dropbear with host keys generated at first boot, no telnet, curl, glibc, OpenSSL,
//! zlib, a distribution kernel). It is the precision gate: every component version
//! must be the package version, each product must be one component, and an image this
//! clean must not FAIL.

use std::collections::BTreeMap;

use baseliner_baseline::Date;
use baseliner_engine::{Engine, Image, KbChoice, Request, Silent};
use baseliner_model::{VerdictStatus, props};

/// Upstream part of a Debian version: epoch, revision and repack suffix removed.
fn upstream(v: &str) -> &str {
    let v = v.split_once(':').map_or(v, |(_, v)| v);
    let v = v.rsplit_once('-').map_or(v, |(u, _)| u);
    v.find(".dfsg").map_or(v, |i| &v[..i])
}

/// Package -> the component name baseliner gives its product, where it knows it
/// (then the version is the upstream part), else `None` (the package's own name and
/// full version).
fn product(pkg: &str) -> Option<&str> {
    Some(match pkg {
        "libc6" => "glibc",
        "busybox" => "busybox",
        "curl" => "curl",
        "dropbear" | "dropbear-bin" => "dropbear",
        "libcurl4" => "libcurl",
        "libssl3" => "openssl",
        "zlib1g" => "zlib",
        p if p.starts_with("linux-image-") => "linux",
        _ => return None,
    })
}

#[test]
fn debian_reference_image_versions_and_verdicts() {
    let dir = tempfile::tempdir().unwrap();
    let Some(image) = baseliner_testkit::debian_reference(&dir.path().join("ref")) else {
        return;
    };
    let packages: Vec<(String, String)> =
        std::fs::read_to_string(dir.path().join("ref/packages.tsv"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(p, v)| (p.to_string(), v.to_string()))
            .collect();
    assert!(packages.len() >= 10, "{packages:?}");

    // A knowledge base of the corpus's real NVD records, where the corpus is here.
    let kb_dir = tempfile::tempdir().unwrap();
    let kb = match baseliner_testkit::corpus() {
        Some(c) => {
            let path = kb_dir.path().join("kb.sqlite");
            let k = baseliner_vulns::Kb::open(&path).unwrap();
            k.import(&c.join("vulndata/nvd-cve-api-2.0-page.json"))
                .unwrap();
            drop(k);
            KbChoice::Path(path)
        }
        None => KbChoice::None,
    };
    let engine = Engine::new(kb).unwrap();
    let profile = baseliner_baseline::profile("etsi-en-303-645").unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut req = Request::new(Image::Path(&image), out.path(), &profile);
    req.today = Date::today();
    let run = engine.assess(&req, &Silent).unwrap();
    let a = &run.assessment;

    // One component per product, at the package's (upstream) version.
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for c in &a.components {
        by_name.entry(&c.name).or_default().push(&c.version);
    }
    for (name, versions) in &by_name {
        assert_eq!(versions.len(), 1, "{name} reported at {versions:?}");
    }
    for (pkg, ver) in &packages {
        let (name, want) = match product(pkg) {
            Some(n) => (n, upstream(ver)),
            None => (pkg.as_str(), ver.as_str()),
        };
        assert_eq!(
            by_name.get(name).map(|v| v[0]),
            Some(want),
            "{pkg} {ver}: component {name}"
        );
    }
    // Nothing that is not a package.
    let names: Vec<&str> = packages
        .iter()
        .map(|(p, _)| product(p).unwrap_or(p))
        .collect();
    for c in &a.components {
        assert!(
            names.contains(&c.name.as_str()),
            "component {} {} is no package of the image",
            c.name,
            c.version
        );
        assert_eq!(
            c.properties.get(props::VERSION_SOURCE).map(String::as_str),
            Some("package-db"),
            "{} {}",
            c.name,
            c.version
        );
    }
    // The kernel's banner says 6.1.0 (the ABI name): the package decides, and the
    // disagreement is recorded, not reported as a second kernel.
    assert!(
        a.findings
            .iter()
            .any(|f| f.code.as_str() == "COMP-002" && f.detail.starts_with("linux:")),
        "{:#?}",
        a.findings
            .iter()
            .filter(|f| f.code.as_str().starts_with("COMP"))
            .collect::<Vec<_>>()
    );
    // Upstream ranges on distribution builds are not proof: no `affected` match.
    for v in &a.vulnerabilities {
        assert_ne!(
            v.vex_status,
            baseliner_model::VexStatus::Affected,
            "{} {} {}: {}",
            v.id,
            v.component,
            v.version,
            v.rule
        );
    }
    // The build date comes from the squashfs superblock.
    assert!(a.image.build_date.is_some(), "{:?}", a.image);

    // No canary verdict on glibc's loader (it sets up the guard itself), its stubs
    // (libdl, libpthread: a few hundred bytes of code since 2.34) or gconv table
    // modules; what is left is an indication, not proof.
    for f in a.findings.iter().filter(|f| f.code.as_str() == "HARD-004") {
        assert_eq!(f.confidence, baseliner_model::Confidence::Likely, "{f:?}");
        for e in &f.evidence {
            let name = e.path.rsplit('/').next().unwrap_or_default();
            assert!(
                !name.starts_with("ld-linux")
                    && ![
                        "libdl.so.2",
                        "libpthread.so.0",
                        "libanl.so.1",
                        "libutil.so.1"
                    ]
                    .contains(&name)
                    && !e.path.contains("/gconv/"),
                "{} has no code that could carry a canary",
                e.path
            );
        }
    }

    // No FAIL at all: the CA bundle is a trust store, the download helpers verify TLS.
    let fails: Vec<String> = a
        .verdicts
        .iter()
        .filter(|v| v.status == VerdictStatus::Fail)
        .map(|v| format!("{} {:?}: {:?}", v.provision, v.findings, v.reasons))
        .collect();
    assert!(fails.is_empty(), "{fails:#?}");
}
