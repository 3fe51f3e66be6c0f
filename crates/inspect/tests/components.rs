//! Version detection accuracy against `components/ground-truth.tsv`: every archive of
//! stripped package binaries is unpacked and inspected; at least 95% of rows must be
//! found with the exact version, and no other version may be reported for that product.

mod common;

use baseliner_inspect::checks::components::Components;
use baseliner_inspect::{Check, Tree, inspect_with};
use common::*;

/// The CPE product field of a component (`cpe:2.3:a:VENDOR:PRODUCT:...`).
fn cpe_product(cpe: &str) -> Option<&str> {
    cpe.split(':').nth(4)
}

#[test]
fn ground_truth_accuracy() {
    let Some(c) = corpus() else { return };
    let gt = std::fs::read_to_string(c.join("components/ground-truth.tsv")).unwrap();
    let checks: Vec<Box<dyn Check>> = vec![Box::new(Components)];
    let mut rows = 0;
    let mut found = 0;
    let mut misses = Vec::new();
    let mut wrong = Vec::new();
    for line in gt.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let [archive, product, version] = f[..] else {
            continue;
        };
        rows += 1;
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let report = baseliner_unpack::unpack(
            &c.join("components").join(archive),
            &out,
            &baseliner_unpack::Limits::default(),
            None,
        )
        .unwrap();
        let ins = inspect_with(&Tree::from_report(&report), &checks);
        let versions: Vec<&str> = ins
            .components
            .iter()
            .filter(|x| x.cpe.as_deref().and_then(cpe_product) == Some(product))
            .map(|x| x.version.as_str())
            .collect();
        if versions.contains(&version) {
            found += 1;
        } else {
            misses.push(format!("{archive}: {product} {version}"));
        }
        for v in versions.iter().filter(|v| **v != version) {
            wrong.push(format!("{archive}: {product} {v} (truth {version})"));
        }
        // Every component carries identities and evidence.
        for x in &ins.components {
            assert!(x.purl.as_deref().is_some_and(|p| p.starts_with("pkg:")));
            assert!(!x.evidence.is_empty());
        }
    }
    eprintln!("components: {found}/{rows} found; misses {misses:#?}");
    assert!(rows >= 40, "ground truth has {rows} rows");
    assert!(wrong.is_empty(), "wrong versions: {wrong:#?}");
    assert!(
        found * 100 >= rows * 95,
        "{found}/{rows}: misses {misses:#?}"
    );
}

#[test]
fn package_databases() {
    let (_d, tree) = tree_from(&[
        (
            "usr/lib/opkg/status",
            b"Package: dropbear\nVersion: 2019.78-2\nStatus: install user installed\n\nPackage: luci-base\nVersion: git-21.1\n",
        ),
        ("var/lib/dpkg/status", b"Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.11.dfsg-2\n"),
        ("lib/apk/db/installed", b"C:Q1abc\nP:busybox\nV:1.36.1-r5\n\n"),
    ]);
    let checks: Vec<Box<dyn Check>> = vec![Box::new(Components)];
    let ins = inspect_with(&tree, &checks);
    let get = |n: &str| ins.components.iter().find(|c| c.name == n).unwrap();
    assert_eq!(get("dropbear").version, "2019.78");
    assert_eq!(
        get("dropbear").cpe.as_deref(),
        Some("cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2019.78:*:*:*:*:*:*:*")
    );
    assert_eq!(get("zlib").version, "1.2.11.dfsg");
    assert_eq!(
        get("zlib").purl.as_deref(),
        Some("pkg:deb/zlib1g@1%3A1.2.11.dfsg-2")
    );
    assert_eq!(get("busybox").version, "1.36.1");
    let luci = get("luci-base");
    assert!(luci.cpe.is_none() && luci.version == "git-21.1");
}

/// The corpus BusyBox binaries are strings-only extracts (newline-separated, names
/// under four characters dropped): the version is found, but no applet list is
/// claimed, since an incomplete list would wrongly say `ash` or `sh` is absent.
#[test]
fn busybox_strings_extracts_give_no_applet_list() {
    let Some(c) = corpus() else { return };
    let checks: Vec<Box<dyn Check>> = vec![Box::new(Components)];
    for (archive, version) in [
        ("busybox-1.28.2-1.fc29.x86_64.rpm.tar.gz", "1.28.2"),
        ("busybox_1.18.5-1ubuntu4_amd64.deb.tar.gz", "1.18.5"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let report = baseliner_unpack::unpack(
            &c.join("components").join(archive),
            &dir.path().join("out"),
            &baseliner_unpack::Limits::default(),
            None,
        )
        .unwrap();
        let ins = inspect_with(&Tree::from_report(&report), &checks);
        let bb = ins
            .components
            .iter()
            .find(|x| x.name == "busybox" && x.version == version)
            .unwrap_or_else(|| panic!("{archive}: {:#?}", ins.components));
        assert!(
            !bb.properties.contains_key("busybox:applets"),
            "{archive}: {:?}",
            bb.properties
        );
        // The applet names are really there, only not as a NUL-separated table.
        let file = report
            .files
            .iter()
            .find(|e| e.fs_path.ends_with("/busybox"))
            .expect("busybox file");
        let data = std::fs::read(dir.path().join("out").join(&file.path)).unwrap();
        assert!(data.windows(8).any(|w| w == b"\nudhcpc\n"));
        assert!(!data.contains(&0));
        assert!(baseliner_inspect::checks::applets::busybox_applets(&data).is_none());
    }
}
