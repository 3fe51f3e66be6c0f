//! Crypto material on FACT_core's fixtures: keys and certificates are found, the
//! look-alike files are not.

mod common;

use baseliner_inspect::checks::crypto::Crypto;
use baseliner_inspect::{Check, inspect_with};
use common::*;

fn run_file(path: std::path::PathBuf) -> baseliner_inspect::Inspection {
    let checks: Vec<Box<dyn Check>> = vec![Box::new(Crypto)];
    inspect_with(&tree_of(&[(path, "/etc/key")]), &checks)
}

#[test]
fn keys_and_certificates_are_found() {
    let Some(c) = corpus() else { return };
    let want: &[(&str, &[&str])] = &[
        ("id_rsa", &["CRYPTO-001"]),
        ("ssl.key", &["CRYPTO-001"]),
        ("pkcs", &["CRYPTO-001"]),
        ("id_rsa_encrypted", &["CRYPTO-002"]),
        ("pkcs12", &["CRYPTO-006"]),
    ];
    for (name, codes_want) in want {
        let ins = run_file(c.join("crypto").join(name));
        let got = codes(&ins);
        assert_eq!(&got, codes_want, "{name}: {:#?}", ins.findings);
    }
    let ins = run_file(c.join("crypto/ssl.crt"));
    let cert = ins
        .with_code("CRYPTO-003")
        .next()
        .expect("certificate listed");
    assert!(
        cert.detail.contains("sha256WithRSAEncryption"),
        "{}",
        cert.detail
    );
    assert!(cert.detail.contains("RSA"), "{}", cert.detail);
}

#[test]
fn look_alikes_do_not_fire() {
    let Some(c) = corpus() else { return };
    for name in [
        "FP_test",
        // A DER SEQUENCE with six INTEGERs: not a complete RSA key.
        "error.der",
        "pkcs_fp.file",
        "ssl_fp.file",
        "generic_public_key",
        "id_rsa.pub",
        "0x6C2DF2C5-pub.asc",
    ] {
        let ins = run_file(c.join("crypto").join(name));
        assert!(ins.findings.is_empty(), "{name}: {:#?}", ins.findings);
    }
}

#[test]
fn weak_server_settings() {
    let (_d, tree) = tree_from(&[
        (
            "etc/ssh/sshd_config",
            b"# PermitRootLogin yes\nPermitRootLogin yes\nPermitEmptyPasswords no\n",
        ),
        (
            "etc/lighttpd/lighttpd.conf",
            b"ssl.use-sslv3 = \"enable\"\nssl.cipher-list = \"HIGH:!aNULL:!MD5\"\n",
        ),
    ]);
    let checks: Vec<Box<dyn Check>> = vec![Box::new(Crypto)];
    let ins = inspect_with(&tree, &checks);
    let f: Vec<_> = ins.with_code("CRYPTO-007").collect();
    assert_eq!(f.len(), 2, "{:#?}", ins.findings);
    for x in &f {
        assert_eq!(x.evidence.len(), 1, "{:#?}", x);
    }
}

/// Copies a folder of this machine into `dst` as an image would hold it: regular
/// files copied, symlinks kept as symlinks (never followed by the inspection).
fn copy_tree(src: &std::path::Path, dst: &std::path::Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let (from, to) = (e.path(), dst.join(e.file_name()));
        let ft = e.file_type().unwrap();
        if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&from).unwrap(), &to).unwrap();
        } else if ft.is_dir() {
            copy_tree(&from, &to);
        } else if ft.is_file() {
            std::fs::copy(&from, &to).unwrap();
        }
    }
}

/// Debian's `ca-certificates` (this machine's `/etc/ssl/certs`, `/usr/share/ca-certificates`
/// and its dpkg file list) in a tree beside a device certificate and key from the corpus.
fn debian_trust_store_tree() -> Option<(tempfile::TempDir, baseliner_inspect::Tree)> {
    let bundle = std::path::Path::new("/etc/ssl/certs/ca-certificates.crt");
    if !bundle.is_file() {
        return baseliner_testkit::skip(
            "/etc/ssl/certs/ca-certificates.crt is absent (apt-get install ca-certificates)",
        );
    }
    let c = corpus()?;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(
        std::path::Path::new("/etc/ssl/certs"),
        &root.join("etc/ssl/certs"),
    );
    copy_tree(
        std::path::Path::new("/usr/share/ca-certificates"),
        &root.join("usr/share/ca-certificates"),
    );
    for f in [
        "/etc/ca-certificates.conf",
        "/var/lib/dpkg/info/ca-certificates.list",
    ] {
        let to = root.join(f.trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        if std::fs::copy(f, &to).is_err() {
            return baseliner_testkit::skip(format!("{f} is absent (Debian's ca-certificates)"));
        }
    }
    std::fs::create_dir_all(root.join("etc/lighttpd")).unwrap();
    std::fs::copy(
        c.join("crypto/ssl.crt"),
        root.join("etc/lighttpd/server.pem"),
    )
    .unwrap();
    std::fs::copy(
        c.join("crypto/ssl.key"),
        root.join("etc/lighttpd/server.key"),
    )
    .unwrap();
    let tree = baseliner_inspect::Tree::from_dir(root).unwrap();
    Some((dir, tree))
}

#[test]
fn a_debian_trust_store_is_one_inventory_finding_and_the_device_certificate_is_judged() {
    let Some((_d, tree)) = debian_trust_store_tree() else {
        return;
    };
    let checks: Vec<Box<dyn Check>> = vec![Box::new(Crypto)];
    let ins = inspect_with(&tree, &checks);
    let inv: Vec<_> = ins.with_code("CRYPTO-008").collect();
    assert_eq!(inv.len(), 1, "{:#?}", ins.findings);
    let inv = inv[0];
    // Every certificate of the store counts once, however many copies the image holds.
    let bundle = std::fs::read_to_string("/etc/ssl/certs/ca-certificates.crt").unwrap();
    let in_bundle = bundle.matches("-----BEGIN CERTIFICATE-----").count();
    let n: usize = inv
        .detail
        .strip_prefix("trust store: ")
        .and_then(|d| d.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        n >= in_bundle.saturating_sub(5) && n <= in_bundle + 5,
        "{n} vs {in_bundle}: {}",
        inv.detail
    );
    assert!(inv.detail.contains("oldest expiry"), "{}", inv.detail);
    assert!(
        inv.detail
            .contains("package database: ca-certificates (dpkg"),
        "{}",
        inv.detail
    );
    assert!(
        inv.evidence
            .first()
            .is_some_and(|e| e.path == "/etc/ssl/certs/ca-certificates.crt"),
        "{:#?}",
        inv.evidence
    );
    // No trust anchor is judged as device crypto.
    for f in &ins.findings {
        if f.code != "CRYPTO-008" {
            assert!(
                f.evidence
                    .iter()
                    .all(|e| e.path.starts_with("/etc/lighttpd/")),
                "a trust anchor judged as device material: {f:#?}"
            );
        }
    }
    // The device's own certificate and key keep today's judgement.
    let got = codes(&ins);
    assert!(got.contains(&"CRYPTO-001".to_string()), "{got:?}");
    assert!(got.contains(&"CRYPTO-003".to_string()), "{got:?}");
}

#[test]
fn a_deselected_root_still_in_the_active_store_is_reported() {
    let Some((d, _)) = debian_trust_store_tree() else {
        return;
    };
    // Deselect one root in the configuration without running update-ca-certificates.
    let pem = std::fs::read_dir(d.path().join("etc/ssl/certs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pem"))
        .min()
        .expect("a .pem in /etc/ssl/certs");
    let stem = pem.trim_end_matches(".pem");
    let conf = d.path().join("etc/ca-certificates.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(&conf, format!("{text}!mozilla/{stem}.crt\n")).unwrap();
    let tree = baseliner_inspect::Tree::from_dir(d.path()).unwrap();
    let checks: Vec<Box<dyn Check>> = vec![Box::new(Crypto)];
    let ins = inspect_with(&tree, &checks);
    let inv = ins.with_code("CRYPTO-008").next().unwrap();
    assert!(
        inv.detail
            .contains(&format!("/etc/ssl/certs/{pem} (deselected")),
        "{}",
        inv.detail
    );
}
