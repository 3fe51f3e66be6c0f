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
