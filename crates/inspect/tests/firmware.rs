//! Whole images through `baseliner_unpack::unpack` and every family.

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
    let ins = inspect(&Tree::from_report(&report));
    if std::env::var_os("INSPECT_DUMP").is_some() {
        eprintln!("{}", serde_json::to_string_pretty(&ins).unwrap());
    }
    Some((dir, ins))
}

#[test]
fn tplink_wr841n_universal_root_password() {
    let Some((_d, ins)) = inspect_image("firmware/tplink-wr841nv10-3.16.9.bin") else {
        return;
    };
    let root = |code: &str| {
        ins.with_code(code)
            .find(|f| f.detail.contains("`root`") && f.evidence[0].path.ends_with("etc/shadow"))
            .unwrap_or_else(|| panic!("no {code} for root in /etc/shadow: {:#?}", ins.findings))
    };
    let universal = root("CRED-001");
    assert!(universal.detail.contains("MD5-crypt"));
    assert!(universal.detail.contains("forces a change"));
    assert!(universal.evidence[0].provenance.contains("squashfs"));
    // Every finding carries a confidence and the reason for it.
    for f in &ins.findings {
        assert!(
            f.confidence_reason
                .as_deref()
                .is_some_and(|r| !r.is_empty()),
            "{f:#?}"
        );
    }
    // Read-only storage and no forced change at first use: certain.
    assert_eq!(universal.confidence, baseliner_model::Confidence::Certain);
    assert!(
        universal
            .confidence_reason
            .as_deref()
            .is_some_and(|r| r.contains("read-only squashfs")),
        "{universal:?}"
    );
    root("CRED-002");
    let bb = ins
        .components
        .iter()
        .find(|c| c.name == "busybox")
        .expect("busybox component");
    assert_eq!(bb.version, "1.01");
    assert_eq!(
        bb.cpe.as_deref(),
        Some("cpe:2.3:a:busybox:busybox:1.01:*:*:*:*:*:*:*")
    );
    assert!(!bb.evidence.is_empty());
    // BusyBox 1.01 pads its name strings to 4 bytes; the list was checked with Python
    // over /bin/busybox (41 names from `[` to `vconfig`, 0x3481d).
    let applets: Vec<&str> = bb
        .properties
        .get("busybox:applets")
        .expect("busybox:applets property")
        .split(',')
        .collect();
    assert_eq!(applets.len(), 41, "{applets:?}");
    assert_eq!(applets.first(), Some(&"["));
    assert_eq!(applets.last(), Some(&"vconfig"));
    for present in ["msh", "sh", "ls", "cat", "udhcpc", "udhcpd", "tftp", "ping"] {
        assert!(applets.contains(&present), "{present} missing: {applets:?}");
    }
    for absent in ["ash", "hush", "awk", "unlzma", "wget", "telnetd", "busybox"] {
        assert!(!applets.contains(&absent), "{absent} listed: {applets:?}");
    }
    let h = ins.summary.hardening.as_ref().unwrap();
    assert!(
        h.architectures
            .keys()
            .any(|a| a.contains("MIPS") && a.contains("big-endian"))
    );
}

#[test]
fn tenda_ac15_rootfs() {
    let Some((_d, ins)) = inspect_image("firmware/tenda-ac15-rootfs.tar.gz") else {
        return;
    };
    let ssl = ins
        .components
        .iter()
        .find(|c| c.name == "openssl")
        .expect("openssl component");
    assert!(ssl.version.starts_with("1.0.0"), "{}", ssl.version);
    assert!(
        ssl.evidence
            .iter()
            .any(|e| e.path.ends_with("libcrypto.so.1.0.0"))
    );
    assert!(ins.with_code("CRED-006").count() >= 1);
    let h = ins.summary.hardening.as_ref().unwrap();
    assert!(h.architectures.keys().any(|a| a.contains("ARM")), "{h:#?}");
    assert!(h.binaries >= 10);
}

/// A packed applet table (1.14: `\xff[\0[[\0arp\0...zcat\0\0BZh`) glued to binary data,
/// and a 1.01 table without `sh`: both checked with Python over the same bytes.
#[test]
fn busybox_applet_tables_packed_and_without_sh() {
    let applets = |ins: &baseliner_inspect::Inspection, version: &str| -> Vec<String> {
        let bb = ins
            .components
            .iter()
            .find(|c| c.name == "busybox" && c.version == version)
            .unwrap_or_else(|| panic!("busybox {version}: {:#?}", ins.components));
        bb.properties
            .get("busybox:applets")
            .expect("busybox:applets")
            .split(',')
            .map(str::to_string)
            .collect()
    };
    let Some((_d, ins)) = inspect_image("firmware/dlink-like-rootfs.squashfs") else {
        return;
    };
    let a = applets(&ins, "1.14.1");
    assert_eq!(a.len(), 70, "{a:?}");
    assert_eq!(a[..3], ["[", "[[", "arp"]);
    assert_eq!(a.last().map(String::as_str), Some("zcat"));
    for present in ["msh", "sh", "netstat", "modprobe"] {
        assert!(a.iter().any(|x| x == present), "{present}: {a:?}");
    }
    for absent in ["ash", "hush", "awk", "udhcpc", "unlzma", "telnetd"] {
        assert!(!a.iter().any(|x| x == absent), "{absent}: {a:?}");
    }
    drop((_d, ins));
    let Some((_d, ins)) = inspect_image("firmware/tplink-wr940nv4-3.16.9.bin") else {
        return;
    };
    let a = applets(&ins, "1.01");
    // `route\0\0\0syslogd`: this build has no `sh` or `sleep` applet, though /bin/sh
    // links to busybox.
    assert_eq!(a.len(), 40, "{a:?}");
    for absent in ["sh", "sleep", "ash"] {
        assert!(!a.iter().any(|x| x == absent), "{absent}: {a:?}");
    }
    for present in ["ethreg", "msh", "udhcpc", "route", "syslogd"] {
        assert!(a.iter().any(|x| x == present), "{present}: {a:?}");
    }
}
