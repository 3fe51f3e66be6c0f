//! `baseliner inspect` end to end: a directory and an image, text and JSON.

use assert_cmd::Command;

#[test]
fn inspect_directory_json_and_text() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/passwd"), "root::0:0:root:/root:/bin/sh\n").unwrap();
    let out = dir.path().join("out.json");
    Command::cargo_bin("baseliner")
        .unwrap()
        .args(["inspect", root.to_str().unwrap(), "--format", "json", "-o"])
        .arg(&out)
        .assert()
        .success();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "CRED-003")
        .expect("empty root password found");
    assert_eq!(f["family"], "credentials");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["evidence"][0]["path"], "/etc/passwd");
    assert_eq!(f["evidence"][0]["sha256"].as_str().unwrap().len(), 64);
    assert!(v["components"].is_array());

    let text = Command::cargo_bin("baseliner")
        .unwrap()
        .args(["inspect", root.to_str().unwrap()])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&text.stdout);
    assert!(s.contains("credentials (") && s.contains("CRED-003"), "{s}");
}

#[test]
fn inspect_image_through_unpack() {
    let Some(img) = baseliner_testkit::corpus_file("firmware/tenda-ac15-rootfs.tar.gz") else {
        return;
    };
    let out = Command::cargo_bin("baseliner")
        .unwrap()
        .args(["inspect", img.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "openssl")
    );
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "CRED-006")
    );
}
