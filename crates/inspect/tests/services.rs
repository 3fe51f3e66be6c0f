//! Services and update mechanism on real root filesystems (through the squashfs
//! extractor) and on small trees built here.

mod common;

use baseliner_inspect::{Inspection, Tree, inspect};
use common::*;

fn inspect_image(rel: &str) -> Option<(tempfile::TempDir, Inspection)> {
    let c = corpus()?;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let report = baseliner_unpack::unpack(
        &c.join(rel),
        &out,
        &baseliner_unpack::Limits::default(),
        None,
    )
    .unwrap();
    Some((dir, inspect(&Tree::from_report(&report))))
}

#[test]
fn dlink_like_telnetd_backdoor() {
    let Some((_d, ins)) = inspect_image("firmware/dlink-like-rootfs.squashfs") else {
        return;
    };
    let telnet = ins.with_code("SVC-001").next().expect("telnetd at boot");
    assert!(
        telnet
            .evidence
            .iter()
            .all(|e| e.path == "/etc/init0.d/S80telnetd.sh")
    );
    assert_eq!(telnet.evidence.len(), 2, "{telnet:#?}");
    // `killall telnetd` is not a start.
    assert!(
        !telnet
            .evidence
            .iter()
            .any(|e| e.excerpt.as_deref().unwrap_or("").contains("killall"))
    );
    let cred = ins
        .with_code("CRED-007")
        .next()
        .expect("fixed telnet credential");
    assert!(
        cred.evidence[0]
            .excerpt
            .as_deref()
            .unwrap()
            .contains("-u Alphanetworks:")
    );
    // The firmware-upgrade helper is an update client with no verification evidence.
    let upd = ins.with_code("UPD-001").next().expect("update client");
    assert!(
        upd.evidence
            .iter()
            .any(|e| e.path == "/usr/sbin/fw_upgrade")
    );
    assert!(ins.with_code("UPD-003").next().is_some());
    // HNAP XML namespaces are not downloads.
    assert!(ins.with_code("UPD-005").all(|f| {
        f.evidence
            .iter()
            .all(|e| !e.excerpt.as_deref().unwrap_or("").contains("xmlns"))
    }));
    let names: Vec<(&str, &str)> = ins
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.version.as_str()))
        .collect();
    for want in [
        ("busybox", "1.14.1"),
        ("dnsmasq", "2.45"),
        ("openssl", "0.9.8g"),
    ] {
        assert!(names.contains(&want), "{want:?} not in {names:?}");
    }
}

#[test]
fn broadcom_inetd_console_and_host_key() {
    let Some((_d, ins)) = inspect_image("firmware/broadcom-adsl-rootfs.squashfs2") else {
        return;
    };
    let t = ins.with_code("SVC-001").next().expect("telnetd from inetd");
    assert_eq!(t.evidence[0].path, "/etc/inetd.conf");
    assert!(ins.with_code("SVC-003").next().is_some(), "ftpd from inetd");
    let console = ins.with_code("SVC-007").next().expect("serial shell");
    assert!(
        console
            .evidence
            .iter()
            .any(|e| e.excerpt.as_deref() == Some("::respawn:-/bin/sh"))
    );
    assert!(ins.with_code("SVC-012").next().is_some());
    let key = ins.with_code("CRYPTO-001").next().expect("host key");
    assert_eq!(key.evidence[0].path, "/etc/rsa_host_key");
    let ssl = ins.components.iter().find(|c| c.name == "openssl").unwrap();
    assert_eq!(ssl.version, "0.9.7f");
}

#[test]
fn synthetic_boot_configuration() {
    let (_d, tree) = tree_from(&[
        ("etc/inittab", b"::sysinit:/etc/init.d/rcS\nttyS0::respawn:/bin/sh\n::respawn:/sbin/getty -L ttyS1 115200 vt100\n"),
        (
            "etc/init.d/rcS",
            b"#!/bin/sh\n/usr/sbin/telnetd -l /bin/sh &\nmini_httpd -d /www &\nadbd &\n# telnetd\nkillall telnetd\n",
        ),
        ("etc/snmp/snmpd.conf", b"rocommunity public\nrwcommunity s3cret\n"),
        (
            "etc/init.d/update",
            b"#!/bin/sh\nwget --no-check-certificate https://fw.example.com/fw.bin -O /tmp/fw.bin\ncurl -k https://x/y\n",
        ),
        ("sbin/sysupgrade", b"#!/bin/sh\nexit 0\n"),
        ("etc/opkg/keys/b5043e70f9a75cde", b"untrusted comment: public key\nRWS...\n"),
    ]);
    let ins = inspect(&tree);
    let one = |code: &str| {
        ins.with_code(code)
            .next()
            .unwrap_or_else(|| panic!("{code}: {:#?}", ins.findings))
            .clone()
    };
    assert_eq!(
        one("SVC-002").evidence[0].excerpt.as_deref(),
        Some("/usr/sbin/telnetd -l /bin/sh &")
    );
    assert_eq!(one("SVC-001").evidence.len(), 1);
    assert_eq!(one("SVC-004").evidence.len(), 1);
    let console = one("SVC-007");
    assert_eq!(
        console.evidence.len(),
        1,
        "a getty with login is fine: {console:#?}"
    );
    assert_eq!(one("SVC-006").evidence.len(), 1);
    assert_eq!(one("UPD-004").evidence.len(), 2);
    assert!(
        one("UPD-001")
            .evidence
            .iter()
            .any(|e| e.path == "/sbin/sysupgrade")
    );
    assert!(
        one("UPD-002")
            .evidence
            .iter()
            .any(|e| e.path.starts_with("/etc/opkg/keys/"))
    );
    assert!(ins.with_code("UPD-003").next().is_none());
}

#[test]
fn symlinks_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("shadow"), b"root::0:0:::::\n").unwrap();
    std::fs::create_dir_all(dir.path().join("etc")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path().join("shadow"), dir.path().join("etc/shadow"))
        .unwrap();
    let tree = Tree::from_dir(dir.path()).unwrap();
    let ins = inspect(&tree);
    assert!(
        ins.with_code("CRED-003").next().is_none(),
        "{:#?}",
        ins.findings
    );
}
