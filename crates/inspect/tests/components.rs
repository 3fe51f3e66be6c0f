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
    // The repack suffix is Debian's, not zlib's.
    assert_eq!(get("zlib").version, "1.2.11");
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

/// One Debian package unpacked into a tree, or a skip.
fn debian_tree(pkgs: &[&str]) -> Option<(tempfile::TempDir, Vec<String>)> {
    let dir = tempfile::tempdir().unwrap();
    let mut versions = Vec::new();
    for p in pkgs {
        versions.push(baseliner_testkit::debian_package(p, dir.path())?);
    }
    Some((dir, versions))
}

fn components_of(root: &std::path::Path) -> baseliner_inspect::Inspection {
    let checks: Vec<Box<dyn Check>> = vec![Box::new(Components)];
    inspect_with(&Tree::from_dir(root).unwrap(), &checks)
}

fn upstream(v: &str) -> &str {
    let v = v.split_once(':').map_or(v, |(_, v)| v);
    v.rsplit_once('-').map_or(v, |(u, _)| u)
}

/// musl's `libc.so` states its release apart from the `musl libc (arch)` usage text.
#[test]
fn musl_from_the_debian_library() {
    let Some((dir, v)) = debian_tree(&["musl"]) else {
        return;
    };
    let ins = components_of(dir.path());
    let musl: Vec<_> = ins.components.iter().filter(|c| c.name == "musl").collect();
    assert_eq!(musl.len(), 1, "{:#?}", ins.components);
    assert_eq!(musl[0].version, upstream(&v[0]));
    assert!(musl[0].evidence.iter().any(|e| e.path.ends_with("libc.so")));
}

/// OpenSSH keeps other versions' compatibility patterns (`OpenSSH_2.*,OpenSSH_3.0*`,
/// `OpenSSH_7.4*`) inside `sshd`; only its own version is reported, and with the
/// package database beside it the two are one component.
#[test]
fn openssh_compat_patterns_and_package_database() {
    let Some((dir, v)) = debian_tree(&["openssh-server"]) else {
        return;
    };
    let want = upstream(&v[0]).to_string();
    let sshd = std::fs::read(dir.path().join("usr/sbin/sshd")).unwrap();
    assert!(sshd.windows(12).any(|w| w == b"OpenSSH_3.0*"));
    let ins = components_of(dir.path());
    let ssh: Vec<&str> = ins
        .components
        .iter()
        .filter(|c| c.name == "openssh")
        .map(|c| c.version.as_str())
        .collect();
    assert_eq!(ssh, [want.as_str()], "{:#?}", ins.components);

    // The package database says the same release: one component, decided by it.
    let status = format!(
        "Package: openssh-server\nStatus: install ok installed\nSource: openssh\nVersion: {}\n\n",
        v[0]
    );
    std::fs::create_dir_all(dir.path().join("var/lib/dpkg")).unwrap();
    std::fs::write(dir.path().join("var/lib/dpkg/status"), &status).unwrap();
    let ins = components_of(dir.path());
    let ssh: Vec<_> = ins
        .components
        .iter()
        .filter(|c| c.name == "openssh")
        .collect();
    assert_eq!(ssh.len(), 1, "{ssh:#?}");
    assert_eq!(ssh[0].version, want);
    assert_eq!(ssh[0].properties["baseliner:version-source"], "package-db");
    assert_eq!(ssh[0].properties["package:source"], "openssh");
    assert_eq!(ssh[0].properties["package:version"], v[0]);
    assert!(ssh[0].evidence.iter().any(|e| e.path.ends_with("sshd")));
    assert!(ins.findings.iter().all(|f| f.code.as_str() != "COMP-002"));

    // A package database that says another release wins, and the binary's version
    // is recorded as a disagreement (COMP-002), not reported as a second OpenSSH.
    std::fs::write(
        dir.path().join("var/lib/dpkg/status"),
        status.replace(&format!("Version: {}", v[0]), "Version: 1:6.7p1-5+deb8u4"),
    )
    .unwrap();
    let ins = components_of(dir.path());
    let ssh: Vec<&str> = ins
        .components
        .iter()
        .filter(|c| c.name == "openssh")
        .map(|c| c.version.as_str())
        .collect();
    assert_eq!(ssh, ["6.7p1"]);
    let comp2: Vec<_> = ins
        .findings
        .iter()
        .filter(|f| f.code.as_str() == "COMP-002")
        .collect();
    assert_eq!(comp2.len(), 1, "{comp2:#?}");
    assert!(comp2[0].detail.contains(&want) && comp2[0].detail.contains("6.7p1"));
    assert_eq!(comp2[0].severity, baseliner_model::Severity::Info);
}

/// A vendor banner with a doubled `v` (`BusyBox vv1.9.1`) is still BusyBox: the real
/// Debian binary with its banner rewritten so.
#[test]
fn busybox_vendor_banner_typo() {
    let Some((dir, v)) = debian_tree(&["busybox"]) else {
        return;
    };
    let want = upstream(&v[0]);
    let path = dir.path().join("bin/busybox");
    let mut data = std::fs::read(&path).unwrap();
    let from = format!("BusyBox v{want} (");
    let to = format!("BusyBox vv{want}(");
    let at = data
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .expect("banner");
    data[at..at + to.len()].copy_from_slice(to.as_bytes());
    std::fs::write(&path, &data).unwrap();
    let ins = components_of(dir.path());
    let bb: Vec<&str> = ins
        .components
        .iter()
        .filter(|c| c.name == "busybox")
        .map(|c| c.version.as_str())
        .collect();
    assert_eq!(bb, [want], "{:#?}", ins.components);
}

/// `/lib/modules/<release>/` names the kernel even without a kernel image; OpenWrt's
/// opkg control files name the packages, and a real OpenWrt Dropbear binary beside
/// its control file is one component.
#[test]
fn kernel_modules_folder_and_opkg_control_files() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    baseliner_unpack::unpack(
        &c.join("components/dropbear_2019.78-2_x86_64.ipk.tar.gz"),
        &dir.path().join("ipk"),
        &baseliner_unpack::Limits::default(),
        None,
    )
    .unwrap();
    let m = dir.path().join("ipk/lib/modules/4.14.180/");
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("modules.dep"), b"").unwrap();
    let info = dir.path().join("ipk/usr/lib/opkg/info");
    std::fs::create_dir_all(&info).unwrap();
    std::fs::write(
        info.join("dropbear.control"),
        b"Package: dropbear\nVersion: 2019.78-2\nDepends: libc\nSource: package/network/services/dropbear\nArchitecture: x86_64\nInstalled-Size: 102400\n",
    )
    .unwrap();
    let ins = components_of(&dir.path().join("ipk"));
    let get = |n: &str| -> Vec<(&str, &str)> {
        ins.components
            .iter()
            .filter(|c| c.name == n)
            .map(|c| {
                (
                    c.version.as_str(),
                    c.properties["baseliner:version-source"].as_str(),
                )
            })
            .collect()
    };
    assert_eq!(get("linux"), [("4.14.180", "build-metadata")]);
    assert_eq!(
        get("dropbear"),
        [("2019.78", "package-db")],
        "{:#?}",
        ins.components
    );
    let db = ins
        .components
        .iter()
        .find(|c| c.name == "dropbear")
        .unwrap();
    assert!(
        db.evidence.len() >= 2,
        "binary and control file: {:#?}",
        db.evidence
    );
}
