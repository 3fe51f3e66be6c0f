//! Distribution-aware matching (issue 10) on real input: the corpus's real NVD record of
//! CVE-2022-48174 (BusyBox up to 1.36.1) against the current Debian 12 BusyBox package,
//! whose own changelog says the fix was backported in `1:1.35.0-4+deb12u1`.
//!
//! The Debian advisory is written in OSV's Debian format (`DEBIAN-CVE-…`, ecosystem
//! `Debian:12`) with exactly what that changelog states, since OSV itself is not
//! reachable from the test machines; the Debian 11 entry is left unfixed so that a
//! matcher ignoring the release would wrongly call the package affected.

use std::path::Path;

use baseliner_model::{Component, VexStatus, VulnMatch, props};
use baseliner_vulns::Kb;

const CVE: &str = "CVE-2022-48174";

fn advisory(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("DEBIAN-CVE-2022-48174.json");
    std::fs::write(
        &p,
        r#"{"schema_version":"1.6.0","id":"DEBIAN-CVE-2022-48174","modified":"2026-03-02T07:59:41Z",
"published":"2023-08-22T19:16:00Z","upstream":["CVE-2022-48174"],"aliases":["CVE-2022-48174"],
"summary":"busybox: stack overflow in ash","affected":[
{"package":{"ecosystem":"Debian:11","name":"busybox","purl":"pkg:deb/debian/busybox?arch=source"},
 "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]},
{"package":{"ecosystem":"Debian:12","name":"busybox","purl":"pkg:deb/debian/busybox?arch=source"},
 "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.35.0-4+deb12u1"}]}]}]}"#,
    )
    .unwrap();
    p
}

/// BusyBox as inspection reports a dpkg package: product version, full package
/// version, source package and distribution as properties.
fn busybox(full: &str) -> Component {
    let up = full
        .split_once(':')
        .map_or(full, |(_, v)| v)
        .rsplit_once('-')
        .map_or(full, |(u, _)| u);
    let mut c = Component {
        name: "busybox".into(),
        version: up.into(),
        cpe: Some(format!("cpe:2.3:a:busybox:busybox:{up}:*:*:*:*:*:*:*")),
        purl: Some(format!(
            "pkg:deb/busybox@{}",
            full.replace(':', "%3A").replace('+', "%2B")
        )),
        evidence: vec![],
        properties: Default::default(),
    };
    for (k, v) in [
        (props::VERSION_SOURCE, "package-db"),
        (props::PACKAGE_MANAGER, "dpkg"),
        (props::PACKAGE_NAME, "busybox"),
        (props::PACKAGE_VERSION, full),
        (props::PACKAGE_SOURCE, "busybox"),
        (props::PACKAGE_DISTRO, "debian:12"),
    ] {
        c.properties.insert(k.into(), v.into());
    }
    c
}

fn the_match(kb: &Kb, c: Component) -> VulnMatch {
    let m = kb.match_components(&[c], None).unwrap();
    m.into_iter()
        .find(|m| m.id == CVE)
        .unwrap_or_else(|| panic!("{CVE} not matched"))
}

#[test]
fn debian_advisory_decides_a_debian_build() {
    let Some(corpus) = baseliner_testkit::corpus() else {
        return;
    };
    let pkg = tempfile::tempdir().unwrap();
    let Some(current) = baseliner_testkit::debian_package("busybox", pkg.path()) else {
        return;
    };
    // The package's own changelog names the backported fix.
    let changelog = pkg.path().join("usr/share/doc/busybox/changelog.Debian.gz");
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::GzDecoder::new(std::fs::File::open(&changelog).unwrap()),
        &mut text,
    )
    .unwrap();
    let entry = text
        .split("\n\n -- ")
        .find(|e| e.contains(CVE))
        .expect("changelog entry of the fix");
    assert!(
        entry.contains("busybox (1:1.35.0-4+deb12u1) bookworm"),
        "{entry}"
    );

    let dir = tempfile::tempdir().unwrap();
    let kb = Kb::open(&dir.path().join("kb.sqlite")).unwrap();
    kb.import(&corpus.join("vulndata/nvd-cve-api-2.0-page.json"))
        .unwrap();

    // No Debian advisories loaded: the upstream range matches 1.35.0, but on a
    // distribution build that is not proof.
    let m = the_match(&kb, busybox(&current));
    assert_eq!(m.vex_status, VexStatus::UnderInvestigation, "{}", m.rule);
    assert!(
        m.rule.contains("no debian advisories are loaded"),
        "{}",
        m.rule
    );
    assert_eq!(m.published.as_deref(), Some("2023-08-22"));

    // With Debian's advisory: the installed Debian 12 build is fixed...
    kb.import(&advisory(dir.path())).unwrap();
    let m = the_match(&kb, busybox(&current));
    assert_eq!(m.vex_status, VexStatus::Fixed, "{}", m.rule);
    assert!(m.rule.contains("DEBIAN-CVE-2022-48174"), "{}", m.rule);
    assert!(!m.may_affect());
    // ...the build before the fix is affected (dpkg order: `-4 < -4+deb12u1`)...
    let m = the_match(&kb, busybox("1:1.35.0-4"));
    assert_eq!(m.vex_status, VexStatus::Affected, "{}", m.rule);
    // ...and a package whose version is no distribution build keeps the upstream verdict.
    let mut plain = busybox("1.35.0");
    plain.properties.remove(props::PACKAGE_DISTRO);
    let m = the_match(&kb, plain);
    assert_eq!(m.vex_status, VexStatus::Affected, "{}", m.rule);
}
