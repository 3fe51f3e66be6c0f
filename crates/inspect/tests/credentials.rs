//! Credentials on real input: FACT_core's shadow/htpasswd lines, its false-positive
//! file, the published SSH keys and the Tenda AC15 default configuration.

mod common;

use baseliner_inspect::checks::credentials::Credentials;
use baseliner_inspect::{Check, inspect_with};
use common::*;

fn run(tree: &baseliner_inspect::Tree) -> baseliner_inspect::Inspection {
    let checks: Vec<Box<dyn Check>> = vec![Box::new(Credentials)];
    inspect_with(tree, &checks)
}

#[test]
fn shadow_lines_are_classified_and_cracked() {
    let Some(c) = corpus() else { return };
    let tree = tree_of(&[(c.join("creds/passwd_test"), "/etc/shadow")]);
    let ins = run(&tree);
    let detail =
        |code: &str| -> Vec<String> { ins.with_code(code).map(|f| f.detail.clone()).collect() };
    let cracked = detail("CRED-004");
    for (user, pw) in [
        ("johndoe", "123456"),
        ("admin", "admin"),
        ("root", "root"),
        ("user", "1234"),
        ("user2", "secret"),
        ("nosalt", "root"),
    ] {
        assert!(
            cracked
                .iter()
                .any(|d| d.contains(&format!("`{user}`")) && d.contains(&format!("`{pw}`"))),
            "{user}/{pw} not cracked: {cracked:#?}"
        );
    }
    // `max` (apr1, password not in the list) and `test` (SHA-512) stay uncracked.
    assert!(
        !cracked
            .iter()
            .any(|d| d.contains("`max`") || d.contains("`test`"))
    );
    let weak = detail("CRED-002");
    for user in ["root", "user2", "nosalt", "max", "admin"] {
        assert!(
            weak.iter().any(|d| d.contains(&format!("`{user}`"))),
            "{user} weak: {weak:#?}"
        );
    }
    for user in ["johndoe", "test", "user"] {
        assert!(!weak.iter().any(|d| d.contains(&format!("`{user}`"))));
    }
    // Every usable hash is a universal password; locked accounts are not.
    assert_eq!(detail("CRED-001").len(), 8);
    assert!(
        !detail("CRED-001")
            .iter()
            .any(|d| d.contains("`mongodb`") || d.contains("`vboxadd`"))
    );
    // Evidence names the file and keeps the hash elided.
    let f = ins.with_code("CRED-001").next().unwrap();
    assert_eq!(f.evidence[0].path, "/etc/shadow");
    assert_eq!(f.evidence[0].sha256.len(), 64);
    assert!(f.evidence[0].excerpt.as_ref().unwrap().ends_with('…'));
}

#[test]
fn apr1_is_verified() {
    // max's corpus hash is apr1 of "dragon" (not in the shipped list).
    assert!(baseliner_inspect::creds::verify(
        "dragon",
        "$apr1$nMebU24m$ofpVAehRJU5Jq8KUcsVYj1"
    ));
    assert!(!baseliner_inspect::creds::verify(
        "dragon2",
        "$apr1$nMebU24m$ofpVAehRJU5Jq8KUcsVYj1"
    ));
}

#[test]
fn false_positive_lines_do_not_fire() {
    let Some(c) = corpus() else { return };
    let tree = tree_of(&[(c.join("creds/passwd_FP_test"), "/etc/passwd")]);
    let ins = run(&tree);
    assert!(ins.findings.is_empty(), "{:#?}", ins.findings);
}

#[test]
fn published_ssh_keys_are_recognised() {
    let Some(c) = corpus() else { return };
    let keys: Vec<_> = std::fs::read_dir(c.join("creds/ssh_keys"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "key"))
        .collect();
    assert_eq!(keys.len(), 9);
    let files: Vec<_> = keys
        .iter()
        .map(|p| (p.clone(), "/etc/ssh/ssh_host_rsa_key"))
        .collect();
    let ins = run(&tree_of(&files));
    assert_eq!(ins.with_code("CRED-008").count(), 9, "{:#?}", ins.findings);
    assert!(
        ins.with_code("CRED-008")
            .any(|f| f.detail.contains("vagrant"))
    );
    assert!(
        ins.with_code("CRED-008")
            .any(|f| f.detail.contains("f5-bigip-cve-2012-1493"))
    );
}

#[test]
fn tenda_default_cfg_sets_web_credentials() {
    let Some(c) = corpus() else { return };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let report = baseliner_unpack::unpack(
        &c.join("firmware/tenda-ac15-rootfs.tar.gz"),
        &out,
        &baseliner_unpack::Limits::default(),
        None,
    )
    .unwrap();
    let ins = run(&baseliner_inspect::Tree::from_report(&report));
    let f: Vec<_> = ins
        .with_code("CRED-006")
        .filter(|f| f.evidence[0].path.ends_with("webroot/default.cfg"))
        .collect();
    assert_eq!(f.len(), 1, "{:#?}", ins.findings);
    let ex: Vec<&str> = f[0]
        .evidence
        .iter()
        .filter_map(|e| e.excerpt.as_deref())
        .collect();
    assert!(ex.contains(&"sys.baseuserpass=u***"), "{ex:?}");
    assert!(ex.contains(&"sys.userpass=(empty)"), "{ex:?}");
    assert!(f[0].detail.contains("sys.username=admin"));
    assert!(
        f[0].evidence[0]
            .provenance
            .contains("tenda-ac15-rootfs.tar.gz")
    );
}

#[test]
fn synthetic_scripts_and_empty_passwords() {
    let (_d, tree) = tree_from(&[
        ("etc/passwd", b"root::0:0:root:/root:/bin/sh\ndaemon:*:1:1::/:/bin/false\nnobody::65534:65534::/:/sbin/nologin\n"),
        ("etc/init.d/S50pw", b"#!/bin/sh\necho 'admin:admin' | chpasswd\n# passwd -d root\n"),
        ("www/.htpasswd", b"admin:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/\n"),
    ]);
    let ins = run(&tree);
    let empty: Vec<_> = ins.with_code("CRED-003").collect();
    assert_eq!(empty.len(), 1, "{:#?}", ins.findings);
    assert!(empty[0].detail.contains("`root`"));
    let scripts: Vec<_> = ins.with_code("CRED-007").collect();
    assert_eq!(scripts.len(), 1);
    assert_eq!(
        scripts[0].evidence.len(),
        1,
        "the commented line must not count"
    );
    assert_eq!(ins.with_code("CRED-005").count(), 1);
}
