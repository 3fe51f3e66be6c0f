//! Verdicts on real vendor firmware from `../shared/corpus/firmware/`, run through the
//! real unpack and inspect stages. Skips with a message where the corpus is absent.

use std::path::PathBuf;

use baseliner_baseline::{Date, Declaration, Inputs, catalogue, evaluate, summarize};
use baseliner_model::{Finding, Verdict, VerdictStatus};

use baseliner_testkit::corpus;

fn findings_of(rel: &str) -> Option<Vec<Finding>> {
    let image = corpus()?.join(rel);
    let dir = tempfile::tempdir().unwrap();
    let report = baseliner_unpack::unpack(
        &image,
        &dir.path().join("out"),
        &baseliner_unpack::Limits::default(),
        None,
    )
    .unwrap();
    let ins = baseliner_inspect::inspect(&baseliner_inspect::Tree::from_report(&report));
    Some(ins.findings)
}

fn run(profile: &str, findings: &[Finding], decl: Option<&Declaration>) -> Vec<Verdict> {
    let p = catalogue::profile(profile).unwrap();
    evaluate(
        &p,
        &Inputs {
            findings,
            vulnerabilities: &[],
            declaration: decl,
            live_tests: &[],
            build_date: None,
            today: Date::parse("2026-11-23").unwrap(),
            vulns_checked: true,
        },
    )
}

fn status(v: &[Verdict], id: &str) -> VerdictStatus {
    v.iter()
        .find(|x| x.provision == id)
        .unwrap_or_else(|| panic!("no verdict {id}"))
        .status
}

const DECL: &str = r#"
[product]
manufacturer = "TP-Link"
model = "TL-WR841N v10"
firmware_version = "3.16.9"
[support]
end_date = 2027-06-30
published_at = "https://www.tp-link.com/us/support/faq/3568/"
[disclosure]
contact = "https://www.tp-link.com/us/press/security-advisory/"
policy_url = "https://www.tp-link.com/us/press/security-advisory/"
acknowledgement_days = 7
status_update_days = 30
"#;

#[test]
fn tplink_wr841n_verdicts() {
    let Some(f) = findings_of("firmware/tplink-wr841nv10-3.16.9.bin") else {
        return;
    };
    // EN 303 645: one MD5-crypt root hash shipped in every unit.
    let v = run("etsi-en-303-645", &f, None);
    let p511 = v.iter().find(|x| x.provision == "5.1-1").unwrap();
    assert_eq!(p511.status, VerdictStatus::Fail, "{:#?}", p511);
    assert!(p511.findings.iter().any(|c| c == "CRED-001"));
    assert!(
        p511.reasons.iter().any(|r| r.contains("etc/shadow")),
        "{:?}",
        p511.reasons
    );
    assert_eq!(status(&v, "5.1-3"), VerdictStatus::Fail);
    assert!(v.iter().all(|x| x.status != VerdictStatus::Pass));
    assert_eq!(
        summarize(&catalogue::profile("etsi-en-303-645").unwrap(), &v).outcome,
        baseliner_model::Outcome::Fail
    );
    // The V3 edition keeps the ids and the failures.
    let v3 = run("etsi-en-303-645-v3", &f, None);
    assert_eq!(status(&v3, "5.1-1"), VerdictStatus::Fail);
    assert_eq!(status(&v3, "5.1-3"), VerdictStatus::Fail);

    // UK PSTI: passwords FAIL on firmware; disclosure and support period need the
    // manufacturer's word: INCONCLUSIVE without a declaration, DECLARED with one.
    let v = run("uk-psti", &f, None);
    assert_eq!(status(&v, "1"), VerdictStatus::Fail);
    assert_eq!(status(&v, "2"), VerdictStatus::Inconclusive);
    assert_eq!(status(&v, "3"), VerdictStatus::Inconclusive);
    let d = Declaration::parse(DECL, "wr841n.toml").unwrap();
    let v = run("uk-psti", &f, Some(&d));
    assert_eq!(status(&v, "1"), VerdictStatus::Fail);
    assert_eq!(status(&v, "2"), VerdictStatus::Declared);
    assert_eq!(status(&v, "3"), VerdictStatus::Declared);

    // Singapore CLS: the password failures stop it below level 1.
    let p = catalogue::profile("sg-cls-4").unwrap();
    let v = run("sg-cls-4", &f, Some(&d));
    assert_eq!(summarize(&p, &v).level_claimed, Some(0));
}

#[test]
fn tenda_ac15_default_web_credentials_fail_passwords() {
    let Some(f) = findings_of("firmware/tenda-ac15-rootfs.tar.gz") else {
        return;
    };
    assert!(f.iter().any(|x| x.code == "CRED-006"));
    let v = run("uk-psti", &f, None);
    assert_eq!(status(&v, "1"), VerdictStatus::Fail);
    let v = run("etsi-en-303-645", &f, None);
    assert_eq!(status(&v, "5.1-1"), VerdictStatus::Fail);
}

/// The bundled sample (samples/router-fw.bin with its declaration) gives the verdicts
/// its planted problems call for, and the declaration closes what firmware cannot show.
#[test]
fn bundled_sample_with_its_declaration() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../samples"));
    let image = root.join("router-fw.bin");
    assert!(
        image.exists(),
        "the bundled sample {} is committed",
        image.display()
    );
    let d = Declaration::load(&root.join("router-fw.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let report = baseliner_unpack::unpack(
        &image,
        &dir.path().join("out"),
        &baseliner_unpack::Limits::default(),
        None,
    )
    .unwrap();
    let f = baseliner_inspect::inspect(&baseliner_inspect::Tree::from_report(&report)).findings;
    let v = run("etsi-en-303-645", &f, Some(&d));
    assert_eq!(status(&v, "5.1-1"), VerdictStatus::Fail, "shared root hash");
    assert_eq!(status(&v, "5.6-1"), VerdictStatus::Fail, "telnetd at boot");
    assert_eq!(status(&v, "5.4-1"), VerdictStatus::Fail, "private key");
    assert_eq!(status(&v, "5.2-1"), VerdictStatus::Declared);
    assert_eq!(status(&v, "5.3-13"), VerdictStatus::Declared);
    assert_eq!(status(&v, "5.1-4"), VerdictStatus::Declared);
    let v = run("uk-psti", &f, Some(&d));
    assert_eq!(
        [status(&v, "1"), status(&v, "2"), status(&v, "3")],
        [
            VerdictStatus::Fail,
            VerdictStatus::Declared,
            VerdictStatus::Declared
        ]
    );
}

/// Unpacks `image` and returns its findings.
fn findings_of_path(image: &std::path::Path) -> Vec<Finding> {
    let dir = tempfile::tempdir().unwrap();
    let report = baseliner_unpack::unpack(
        image,
        &dir.path().join("out"),
        &baseliner_unpack::Limits::default(),
        None,
    )
    .unwrap();
    baseliner_inspect::inspect(&baseliner_inspect::Tree::from_report(&report)).findings
}

/// Runs a Debian image builder, or skips naming its package.
fn build(cmd: &str, package: &str, args: &[&str]) -> Option<()> {
    let exe = baseliner_testkit::tool(cmd, package).or_else(|| {
        let p = std::path::Path::new("/usr/sbin").join(cmd);
        p.is_file().then_some(p)
    })?;
    let st = std::process::Command::new(exe)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(st.success(), "{cmd} {args:?}: {st}");
    Some(())
}

/// The TP-Link WR841N's own `/etc/passwd` and `/etc/shadow` (one MD5-crypt root hash),
/// rebuilt by Debian's tools into a read-only squashfs and into a writable jffs2, and
/// with shadow's "last change" set to 0 (a forced change at first login). The hash is
/// proof of a universal password only where the image pins it.
#[test]
fn a_universal_password_fails_only_where_the_image_pins_it() {
    let Some(c) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let report = baseliner_unpack::unpack(
        &c.join("firmware/tplink-wr841nv10-3.16.9.bin"),
        &tmp.path().join("orig"),
        &baseliner_unpack::Limits::default(),
        None,
    )
    .unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("etc")).unwrap();
    // `/etc/shadow` is a regular file; `/etc/passwd` may be a link to a RAM copy.
    for name in ["passwd", "shadow"] {
        let f = report.files.iter().find(|f| {
            f.fs_path == format!("/etc/{name}") && f.kind == baseliner_unpack::EntryKind::File
        });
        match f {
            Some(f) => {
                std::fs::copy(report.output_dir.join(&f.path), src.join("etc").join(name)).unwrap();
            }
            None => assert_ne!(name, "shadow", "no /etc/shadow in the image"),
        }
    }
    let s = src.to_str().unwrap();
    let sqfs = tmp.path().join("ro.squashfs");
    let jffs2 = tmp.path().join("rw.jffs2");
    let sq = sqfs.to_str().unwrap();
    if build(
        "mksquashfs",
        "squashfs-tools",
        &[s, sq, "-noappend", "-quiet", "-all-root"],
    )
    .is_none()
    {
        return;
    }
    let jf = jffs2.to_str().unwrap();
    if build(
        "mkfs.jffs2",
        "mtd-utils",
        &["-r", s, "-o", jf, "-e", "64KiB", "-l"],
    )
    .is_none()
    {
        return;
    }
    let cred001 = |f: &[Finding]| {
        f.iter()
            .find(|x| x.code == "CRED-001" && x.detail.contains("`root`"))
            .cloned()
            .unwrap_or_else(|| panic!("no CRED-001 for root: {f:#?}"))
    };

    let ro = findings_of_path(&sqfs);
    let r = cred001(&ro);
    assert_eq!(r.confidence, baseliner_model::Confidence::Certain);
    assert!(
        r.confidence_reason
            .as_deref()
            .unwrap()
            .contains("read-only squashfs"),
        "{r:?}"
    );
    let v = run("etsi-en-303-645", &ro, None);
    assert_eq!(status(&v, "5.1-1"), VerdictStatus::Fail);

    let rw = findings_of_path(&jffs2);
    let r = cred001(&rw);
    assert_eq!(r.confidence, baseliner_model::Confidence::Likely);
    assert!(
        r.confidence_reason
            .as_deref()
            .unwrap()
            .contains("writable jffs2"),
        "{r:?}"
    );
    let v = run("etsi-en-303-645", &rw, None);
    let p = v.iter().find(|x| x.provision == "5.1-1").unwrap();
    assert_eq!(p.status, VerdictStatus::Inconclusive, "{p:#?}");
    assert!(
        p.reasons.iter().any(|r| r.contains("writable jffs2")),
        "{:?}",
        p.reasons
    );
    // The weak MD5-crypt scheme is proof whatever the storage.
    assert_eq!(status(&v, "5.1-3"), VerdictStatus::Fail);

    // A forced change at first login, on the read-only image.
    let shadow = std::fs::read_to_string(src.join("etc/shadow")).unwrap();
    let forced: String = shadow
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(':').collect();
            if f.len() == 9 && f[0] == "root" {
                f[2] = "0";
            }
            f.join(":") + "\n"
        })
        .collect();
    std::fs::write(src.join("etc/shadow"), forced).unwrap();
    if build(
        "mksquashfs",
        "squashfs-tools",
        &[s, sq, "-noappend", "-quiet", "-all-root"],
    )
    .is_none()
    {
        return;
    }
    let forced = findings_of_path(&sqfs);
    let r = cred001(&forced);
    assert_eq!(r.confidence, baseliner_model::Confidence::Likely);
    assert!(
        r.confidence_reason
            .as_deref()
            .unwrap()
            .contains("first login"),
        "{r:?}"
    );
    assert_eq!(
        status(&run("etsi-en-303-645", &forced, None), "5.1-1"),
        VerdictStatus::Inconclusive
    );
}

fn findings_of_dir(root: &std::path::Path) -> Vec<Finding> {
    let tree = baseliner_inspect::Tree::from_dir(root).unwrap();
    baseliner_inspect::inspect(&tree).findings
}

fn verdict<'a>(v: &'a [Verdict], id: &str) -> &'a Verdict {
    v.iter().find(|x| x.provision == id).unwrap()
}

/// The issue's download helper: certificate checking off only when an opt-in setting
/// is true. 5.3-7 and 5.3-10 are INCONCLUSIVE with the finding and its reason; the
/// same command on the default path FAILs them as before.
#[test]
fn a_download_flag_behind_an_opt_in_setting_does_not_fail_update_provisions() {
    let helper = r#"#!/bin/sh
. /lib/functions.sh
config_load updater
config_get_bool insecure main allow_insecure 0
extra=""
if [ "$insecure" = 1 ]; then
	extra="--no-check-certificate"
fi
wget -q $extra -O /tmp/fw.bin https://updates.example.com/fw.bin && sysupgrade /tmp/fw.bin
"#;
    let dir = tempfile::tempdir().unwrap();
    let write = |p: &str, s: &str| {
        let f = dir.path().join(p);
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(f, s).unwrap();
    };
    write("usr/sbin/fw-fetch", helper);
    write("sbin/sysupgrade", "#!/bin/sh\necho upgrading\n");
    let f = findings_of_dir(dir.path());
    let u = f.iter().find(|x| x.code == "UPD-004").expect("UPD-004");
    assert_eq!(u.confidence, baseliner_model::Confidence::Possible);
    let v = run("etsi-en-303-645", &f, None);
    for id in ["5.3-7", "5.3-10", "5.5-1"] {
        let p = verdict(&v, id);
        assert_eq!(p.status, VerdictStatus::Inconclusive, "{id}: {p:#?}");
        assert!(p.findings.iter().any(|c| c == "UPD-004"), "{id}: {p:#?}");
        assert!(
            p.reasons.iter().any(|r| r.contains("configuration test")),
            "{id}: {:?}",
            p.reasons
        );
    }
    // On the default path: proof, as before.
    write(
        "usr/sbin/fw-fetch",
        &helper.replace("$extra", "--no-check-certificate"),
    );
    let f = findings_of_dir(dir.path());
    let v = run("etsi-en-303-645", &f, None);
    for id in ["5.3-7", "5.3-10", "5.5-1"] {
        assert_eq!(status(&v, id), VerdictStatus::Fail, "{id}");
    }
}

/// Copies a folder of this machine as an image holds it (symlinks kept as links).
fn copy_tree(src: &std::path::Path, dst: &std::path::Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap().flatten() {
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

/// Debian's CA bundle (SHA-1 self-signed roots and expired ones included) no longer
/// fails 5.5-1: it is one inventory finding, cited as context.
#[test]
fn a_debian_ca_bundle_does_not_fail_secure_communication() {
    if !std::path::Path::new("/etc/ssl/certs/ca-certificates.crt").is_file() {
        baseliner_testkit::skip::<()>(
            "/etc/ssl/certs/ca-certificates.crt is absent (apt-get install ca-certificates)",
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    copy_tree(
        std::path::Path::new("/etc/ssl/certs"),
        &dir.path().join("etc/ssl/certs"),
    );
    copy_tree(
        std::path::Path::new("/usr/share/ca-certificates"),
        &dir.path().join("usr/share/ca-certificates"),
    );
    let f = findings_of_dir(dir.path());
    let crypto: Vec<&Finding> = f
        .iter()
        .filter(|x| x.code.as_str().starts_with("CRYPTO"))
        .collect();
    assert_eq!(crypto.len(), 1, "{crypto:#?}");
    assert_eq!(crypto[0].code, "CRYPTO-008");
    let v = run("etsi-en-303-645", &f, None);
    let p = verdict(&v, "5.5-1");
    assert_ne!(p.status, VerdictStatus::Fail, "{p:#?}");
    assert!(p.context.iter().any(|c| c == "CRYPTO-008"), "{p:#?}");
}
