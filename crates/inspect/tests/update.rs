//! Download commands with TLS verification off, read in the structure of the shell
//! script around them: on the default path they stay certain, under a configuration
//! test they are possible, with the test in the evidence. The shell scanner is run on
//! every shell script of the corpus images and of this machine's Debian packages.

mod common;

use baseliner_inspect::checks::update::Update;
use baseliner_inspect::shell::Script;
use baseliner_inspect::{Check, inspect_with};
use baseliner_model::Confidence;
use common::*;

fn upd004(files: &[(&str, &[u8])]) -> Vec<baseliner_model::Finding> {
    let (_d, tree) = tree_from(files);
    let checks: Vec<Box<dyn Check>> = vec![Box::new(Update)];
    inspect_with(&tree, &checks)
        .with_code("UPD-004")
        .cloned()
        .collect()
}

/// The issue's case: a download helper that adds `--no-check-certificate` only when
/// an explicit opt-in setting is true.
const OPT_IN_HELPER: &[u8] = br#"#!/bin/sh
. /lib/functions.sh
config_load updater
config_get_bool insecure main allow_insecure 0

fetch() {
	local url="$1" out="$2" extra=""
	if [ "$insecure" = 1 ]; then
		extra="--no-check-certificate"
	fi
	wget -q $extra -O "$out" "$url"
}

[ -n "$DEBUG_TLS" ] && wget --no-check-certificate -O /tmp/probe https://example.com/probe

case "$(uci -q get updater.main.verify)" in
	0|off) curl -k -o /tmp/fw.bin "$URL" ;;
	*) curl -o /tmp/fw.bin "$URL" ;;
esac

fetch "https://updates.example.com/fw.bin" /tmp/fw.bin
"#;

#[test]
fn a_flag_behind_a_configuration_test_is_possible_with_the_condition() {
    let f = upd004(&[("usr/sbin/fw-fetch", OPT_IN_HELPER)]);
    assert_eq!(f.len(), 1, "{f:#?}");
    let g = &f[0];
    assert_eq!(g.confidence, Confidence::Possible);
    assert!(
        g.confidence_reason
            .as_deref()
            .unwrap()
            .contains("configuration test")
    );
    assert_eq!(g.evidence.len(), 3, "{:#?}", g.evidence);
    let ex: Vec<&str> = g
        .evidence
        .iter()
        .map(|e| e.excerpt.as_deref().unwrap())
        .collect();
    assert!(
        ex[0].starts_with("only when if [ \"$insecure\" = 1 ]: extra="),
        "{ex:?}"
    );
    assert!(
        ex[1].starts_with("only when [ -n \"$DEBUG_TLS\" ] &&: [ -n"),
        "{ex:?}"
    );
    assert!(
        ex[2].contains("case \"$(uci -q get updater.main.verify)\" in 0|off)"),
        "{ex:?}"
    );
}

#[test]
fn a_flag_on_the_default_path_stays_certain() {
    let script: &[u8] = br#"#!/bin/sh
# Fetch the firmware; retry without verification when the download fails.
case "$1" in
start)
	wget -q -O /tmp/fw.bin https://updates.example.com/fw.bin ||
		wget -q --no-check-certificate -O /tmp/fw.bin https://updates.example.com/fw.bin
	[ $? -ne 0 ] && curl -k -o /tmp/fw.bin https://mirror.example.com/fw.bin
	;;
esac
for u in $MIRRORS; do
	curl --insecure -o /tmp/fw.bin "$u"
done
"#;
    let f = upd004(&[("etc/init.d/fwupdate", script)]);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0].confidence, Confidence::Certain);
    assert_eq!(f[0].evidence.len(), 3, "{:#?}", f[0].evidence);
    // Both kinds in one image: two findings, each with its own confidence.
    let f = upd004(&[
        ("etc/init.d/fwupdate", script),
        ("usr/sbin/fw-fetch", OPT_IN_HELPER),
    ]);
    let mut conf: Vec<Confidence> = f.iter().map(|x| x.confidence).collect();
    conf.sort();
    assert_eq!(conf, vec![Confidence::Possible, Confidence::Certain]);
}

/// Every shell script in `root` (by `#!` line), with its bytes.
fn shell_scripts(root: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            shell_scripts(&e.path(), out);
        } else if ft.is_file() && e.metadata().is_ok_and(|m| m.len() < 1 << 20) {
            let Ok(d) = std::fs::read(e.path()) else {
                continue;
            };
            let first = d.split(|&b| b == b'\n').next().unwrap_or(&[]);
            if first.starts_with(b"#!") && (first.ends_with(b"/sh") || first.ends_with(b"/sh -e")) {
                out.push((e.path().display().to_string(), d));
            }
        }
    }
}

/// On real scripts that `sh -n` accepts, every construct closes: a command appended
/// at the end has no guard. The scanner never panics on any of them.
fn check_real_scripts(scripts: &[(String, Vec<u8>)]) -> usize {
    let sh = baseliner_testkit::find_on_path("sh");
    let mut checked = 0;
    for (path, d) in scripts {
        let text: String = d
            .iter()
            .map(|&b| if b < 0x80 { b as char } else { '_' })
            .collect();
        let probe = format!("{text}\n:probe_end\n");
        let sc = Script::parse(&probe);
        let valid = sh.as_ref().is_some_and(|sh| {
            std::process::Command::new(sh)
                .arg("-n")
                .arg(path)
                .output()
                .is_ok_and(|o| o.status.success())
        });
        if !valid {
            continue;
        }
        let at = probe.rfind(":probe_end").unwrap();
        assert!(
            sc.guards_at(at).is_empty(),
            "{path}: the scanner left constructs open at the end: {:?}",
            sc.guards_at(at)
        );
        checked += 1;
    }
    checked
}

#[test]
fn every_real_script_of_the_corpus_closes_its_constructs() {
    let Some(c) = corpus() else { return };
    let mut total = 0;
    for img in [
        "dlink-like-rootfs.squashfs",
        "broadcom-adsl-rootfs.squashfs2",
        "tplink-wr841nv10-3.16.9.bin",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let report = baseliner_unpack::unpack(
            &c.join("firmware").join(img),
            &dir.path().join("out"),
            &baseliner_unpack::Limits::default(),
            None,
        )
        .unwrap();
        let mut scripts = Vec::new();
        shell_scripts(&report.output_dir, &mut scripts);
        assert!(!scripts.is_empty(), "{img}: no shell scripts");
        total += check_real_scripts(&scripts);
    }
    eprintln!("corpus: {total} real scripts checked");
    assert!(total >= 10, "only {total} scripts checked");
}

#[test]
fn every_real_debian_script_closes_its_constructs() {
    let mut scripts = Vec::new();
    for d in [
        "/etc/init.d",
        "/usr/bin",
        "/usr/sbin",
        "/usr/share/debconf",
        "/usr/lib/dpkg",
    ] {
        shell_scripts(std::path::Path::new(d), &mut scripts);
    }
    if scripts.len() < 5 {
        baseliner_testkit::skip::<()>(
            "this machine has no Debian shell scripts in /usr/bin or /etc/init.d",
        );
        return;
    }
    let n = check_real_scripts(&scripts);
    eprintln!("debian: {n} of {} scripts checked", scripts.len());
    assert!(n >= 5, "{n} of {} scripts passed `sh -n`", scripts.len());
}
