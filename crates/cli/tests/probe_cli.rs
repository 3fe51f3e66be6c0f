//! `baseliner probe` refusals and dry runs: nothing here touches the network.

use assert_cmd::Command;

fn probe(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("baseliner")
        .unwrap()
        .arg("probe")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn ranges_broadcast_and_multicast_are_refused() {
    for host in ["10.0.0.0/24", "10.0.0.1-20", "10.0.0.1,10.0.0.2"] {
        let o = probe(&[host, "--dry-run"]);
        assert!(!o.status.success(), "{host}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("exactly one device"),
            "{host}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    for host in [
        "255.255.255.255",
        "239.255.255.250",
        "224.0.0.251",
        "0.0.0.0",
    ] {
        let o = probe(&[host, "--dry-run"]);
        assert!(!o.status.success(), "{host}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("--allow-special-address"),
            "{host}"
        );
        // Named on purpose, the dry run is allowed.
        assert!(
            probe(&[host, "--dry-run", "--allow-special-address"])
                .status
                .success(),
            "{host}"
        );
    }
    let o = probe(&["192.0.2.1", "--ports", "70000", "--dry-run"]);
    assert!(!o.status.success());
}

#[test]
fn dry_run_lists_the_plan_and_the_credentials() {
    let o = probe(&[
        "192.0.2.1",
        "--dry-run",
        "--max-credentials",
        "5",
        "--ports",
        "22,80",
    ]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("nothing is sent"), "{out}");
    assert!(out.contains("2 listed TCP ports"), "{out}");
    assert!(out.contains("192.0.2.1 only"), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.ends_with("(mirai)")).count(),
        5,
        "{out}"
    );
}
