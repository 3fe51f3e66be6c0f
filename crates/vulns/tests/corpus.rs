//! Import and matching on the real vulnerability data in `../shared/corpus/vulndata`.
//! Expected sets come from `nvd-page-README.md`, which lists each record's range.

use std::path::{Path, PathBuf};

use baseliner_model::{Component, IdentitySource, VulnMatch};
use baseliner_vulns::{DeviceIdentity, Kb};

fn vulndata() -> Option<PathBuf> {
    let p = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/vulndata"
    ));
    if p.is_dir() {
        Some(p.to_path_buf())
    } else {
        baseliner_testkit::skip(format!("corpus folder {} is absent", p.display()))
    }
}

fn comp(name: &str, version: &str) -> Component {
    Component {
        name: name.into(),
        version: version.into(),
        cpe: None,
        purl: None,
        evidence: vec![],
        properties: Default::default(),
    }
}

/// A knowledge base with every feed file of the corpus imported.
fn full_kb(dir: &Path) -> (tempfile::TempDir, Kb) {
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    for name in [
        "nvd-cve-api-2.0-page.json",
        "CVE-2012-0010.json",
        "cisa-kev.csv",
        "stream_fixes.json",
        "CVEs.txt",
    ] {
        kb.import(&dir.join(name)).unwrap();
    }
    (tmp, kb)
}

fn ids_for(ms: &[VulnMatch], component: &str) -> Vec<String> {
    let mut v: Vec<String> = ms
        .iter()
        .filter(|m| m.component == component)
        .map(|m| m.id.to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn imports_every_feed_file_in_the_corpus() {
    let Some(dir) = vulndata() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for f in &files {
        let s = kb
            .import(f)
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(
            s.skipped.is_empty(),
            "{}: {} skipped, first {:?}",
            f.display(),
            s.skipped.len(),
            s.skipped.first()
        );
        assert!(s.counts.added > 0, "{}: nothing added", f.display());
    }
    let st = kb.status().unwrap();
    let n = |k: &str| st.sources.iter().find(|s| s.kind == k).map(|s| s.records);
    assert_eq!(n("nvd"), Some(37)); // 36 in the page + CVE-2012-0010
    assert!(n("kev").unwrap() > 1_000);
    assert!(n("kernel-stream-fixes").unwrap() > 2_000);
    let nvd = st.sources.iter().find(|s| s.kind == "nvd").unwrap();
    assert_eq!(nvd.newest.as_deref(), Some("2026-06-17T06:34:59.200"));

    // Idempotent: importing the page again changes nothing.
    let again = kb.import(&dir.join("nvd-cve-api-2.0-page.json")).unwrap();
    assert_eq!(
        (
            again.counts.added,
            again.counts.replaced,
            again.counts.unchanged
        ),
        (0, 0, 36)
    );
    assert_eq!(again.format, "NVD CVE API 2.0 page");
}

#[test]
fn newer_record_replaces_older_and_bad_records_are_skipped() {
    let Some(dir) = vulndata() else { return };
    let page = std::fs::read_to_string(dir.join("nvd-cve-api-2.0-page.json")).unwrap();
    let mut doc: serde_json::Value = serde_json::from_str(&page).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    kb.import(&dir.join("nvd-cve-api-2.0-page.json")).unwrap();

    // CVE-2018-20679 re-published with a newer date and a range that excludes 1.01.
    let vulns = doc["vulnerabilities"].as_array_mut().unwrap();
    let rec = vulns
        .iter_mut()
        .find(|v| v["cve"]["id"] == "CVE-2018-20679")
        .unwrap();
    rec["cve"]["lastModified"] = "2027-01-01T00:00:00.000".into();
    rec["cve"]["configurations"][0]["nodes"][0]["cpeMatch"][0]["versionStartIncluding"] =
        "1.20.0".into();
    let one = serde_json::json!({"vulnerabilities": [rec.clone()], "format": "NVD_CVE"});
    let newer = tmp.path().join("newer.json");
    std::fs::write(&newer, one.to_string()).unwrap();
    let s = kb.import(&newer).unwrap();
    assert_eq!(s.counts.replaced, 1);
    let ms = kb
        .match_components(&[comp("busybox", "1.01")], None)
        .unwrap();
    assert!(!ids_for(&ms, "busybox").contains(&"CVE-2018-20679".to_string()));

    // The older original does not win back.
    let s = kb.import(&dir.join("nvd-cve-api-2.0-page.json")).unwrap();
    assert_eq!(s.counts.replaced, 0);
    assert_eq!(s.counts.unchanged, 36);

    // A malformed record is reported by id and skipped; the rest imports.
    let mut bad = doc.clone();
    let list = bad["vulnerabilities"].as_array_mut().unwrap();
    list[1]["cve"]["configurations"] = "not a list".into();
    list[2]["cve"]["lastModified"] = "2099-01-01T00:00:00.000".into();
    let bad_path = tmp.path().join("bad.json.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&bad_path).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut gz, bad.to_string().as_bytes()).unwrap();
    gz.finish().unwrap();
    let s = kb.import(&bad_path).unwrap();
    assert_eq!(s.skipped.len(), 1, "{:?}", s.skipped);
    assert!(
        s.skipped[0].starts_with("CVE-2017-16544"),
        "{:?}",
        s.skipped
    );
    assert_eq!(s.counts.replaced, 1);
}

#[test]
fn busybox_ranges_match_what_the_records_say() {
    let Some(dir) = vulndata() else { return };
    let (_t, kb) = full_kb(&dir);
    // BusyBox 1.01 as in the TP-Link WR841N image.
    let ms = kb
        .match_components(&[comp("busybox", "1.01")], None)
        .unwrap();
    assert_eq!(
        ids_for(&ms, "busybox"),
        [
            "CVE-2016-2148",
            "CVE-2017-16544",
            "CVE-2018-20679",
            "CVE-2022-48174"
        ]
    );
    let m = ms.iter().find(|m| m.id == "CVE-2018-20679").unwrap();
    assert_eq!(m.rule, "cpe busybox:busybox versionEndExcluding 1.30.0");
    assert_eq!(m.vex_status, baseliner_model::VexStatus::Affected);
    assert_eq!(
        m.identity_source,
        baseliner_model::IdentitySource::BinaryString
    );
    assert!(m.cvss_score.is_some() && m.cvss_severity.is_some());
    assert!(!m.summary.is_empty());

    // 1.33.1 sits on the inclusive upper bounds of CVE-2021-42386 and CVE-2021-42374.
    let ms = kb
        .match_components(&[comp("busybox", "1.33.1")], None)
        .unwrap();
    assert_eq!(
        ids_for(&ms, "busybox"),
        ["CVE-2021-42374", "CVE-2021-42386", "CVE-2022-48174"]
    );
    // A Debian package version: epoch and revision do not take part.
    let mut deb = comp("busybox", "1:1.35.0-4");
    deb.purl = Some("pkg:deb/debian/busybox@1:1.35.0-4".into());
    let ms = kb.match_components(&[deb], None).unwrap();
    assert_eq!(ids_for(&ms, "busybox"), ["CVE-2022-48174"]);
    assert_eq!(
        ms[0].identity_source,
        baseliner_model::IdentitySource::PackageDb
    );
}

#[test]
fn other_components_match_their_ranges() {
    let Some(dir) = vulndata() else { return };
    let (_t, kb) = full_kb(&dir);
    let comps = [
        comp("dropbear", "2019.78"),
        comp("dnsmasq", "2.80"),
        comp("lighttpd", "1.4.35"),
        comp("openssl", "1.0.1f"),
        comp("libssl", "1.0.2g"),
        comp("uclibc", "0.9.33.2"),
        comp("uclibc-ng", "1.0.38"),
        comp("miniupnpd", "1.0"),
        comp("hostapd", "2.6"),
        comp("samba", "4.5.9"),
        comp("libcurl", "8.0.1"),
        comp("openssh", "7.4p1"),
    ];
    let ms = kb.match_components(&comps, None).unwrap();
    assert_eq!(
        ids_for(&ms, "dropbear"),
        ["CVE-2020-36254", "CVE-2023-48795"]
    );
    assert_eq!(
        ids_for(&ms, "dnsmasq"),
        ["CVE-2020-25681", "CVE-2021-3448", "CVE-2022-0934"]
    );
    // 1.4.35 is the fix of CVE-2014-2323 (< 1.4.35) and before CVE-2022-22707 (>= 1.4.46).
    assert_eq!(ids_for(&ms, "lighttpd"), ["CVE-2018-19052"]);
    assert_eq!(
        ids_for(&ms, "openssl"),
        ["CVE-2014-0160", "CVE-2016-2107", "CVE-2016-2108"]
    );
    // 1.0.2g is listed by CVE-2016-2107; CVE-2016-2108 lists 1.0.2 .. 1.0.2b only;
    // CVE-2022-0778 starts at 1.0.2 and ends before 1.0.2zd.
    assert_eq!(ids_for(&ms, "libssl"), ["CVE-2016-2107", "CVE-2022-0778"]);
    assert_eq!(
        ids_for(&ms, "uclibc"),
        ["CVE-2017-9728", "CVE-2021-43523", "CVE-2022-30295"]
    );
    // uClibc-ng is another project: not CVE-2017-9728.
    assert_eq!(
        ids_for(&ms, "uclibc-ng"),
        ["CVE-2021-43523", "CVE-2022-30295"]
    );
    assert_eq!(
        ids_for(&ms, "miniupnpd"),
        ["CVE-2013-0230", "CVE-2017-1000494"]
    );
    assert_eq!(ids_for(&ms, "hostapd"), ["CVE-2017-13077"]);
    assert_eq!(ids_for(&ms, "samba"), ["CVE-2017-7494"]);
    assert_eq!(ids_for(&ms, "libcurl"), ["CVE-2023-38545"]);
    // Terrapin (CVE-2023-48795) names OpenSSH < 9.6 among its 67 other products.
    assert_eq!(
        ids_for(&ms, "openssh"),
        ["CVE-2018-15473", "CVE-2023-48795"]
    );
    // KEV flags from the real catalogue.
    let kev: Vec<&str> = ms.iter().filter(|m| m.kev).map(|m| m.id.as_str()).collect();
    assert_eq!(kev, ["CVE-2014-0160", "CVE-2017-7494"]);
}

#[test]
fn device_level_cves_from_the_device_identity() {
    let Some(dir) = vulndata() else { return };
    let (_t, kb) = full_kb(&dir);
    let wr841n = DeviceIdentity {
        vendor: "TP-LINK".into(),
        product: "TL-WR841N".into(),
        hardware_version: Some("v10".into()),
        firmware_version: "3.16.9 Build 150310 Rel.50993n".into(),
        source: baseliner_model::IdentitySource::VendorHeader,
    };
    let ms = kb
        .match_components(&[comp("busybox", "1.01")], Some(&wr841n))
        .unwrap();
    let m = ms.iter().find(|m| m.id == "CVE-2020-8423").unwrap();
    assert_eq!(m.component, "TP-LINK TL-WR841N");
    assert_eq!(
        m.identity_source,
        baseliner_model::IdentitySource::VendorHeader
    );
    assert_eq!(m.vex_status, baseliner_model::VexStatus::Affected);
    assert_eq!(
        m.rule,
        "cpe tp-link:tl-wr841n_firmware = 3.16.9 with platform tp-link:tl-wr841n v10"
    );
    // Not the WR940N nor the HG532 records.
    assert!(
        !ms.iter()
            .any(|m| m.id == "CVE-2017-13772" || m.id == "CVE-2017-17215")
    );

    // Another firmware version of the same model is not matched.
    let mut newer = wr841n.clone();
    newer.firmware_version = "3.16.10".into();
    let ms = kb.match_components(&[], Some(&newer)).unwrap();
    assert!(ms.is_empty(), "{ms:?}");

    // The WR940N record names no version: reported, but as under investigation.
    let wr940n = DeviceIdentity {
        vendor: "TP-Link".into(),
        product: "TL-WR940N".into(),
        hardware_version: Some("v4".into()),
        firmware_version: "3.16.9".into(),
        source: baseliner_model::IdentitySource::Declaration,
    };
    let ms = kb.match_components(&[], Some(&wr940n)).unwrap();
    assert_eq!(ids_for(&ms, "TP-Link TL-WR940N"), ["CVE-2017-13772"]);
    assert_eq!(
        ms[0].vex_status,
        baseliner_model::VexStatus::UnderInvestigation
    );
    assert_eq!(
        ms[0].identity_source,
        baseliner_model::IdentitySource::Declaration
    );
}

/// NVD files portable OpenSSH as version `7.7` update `p1`, so CVE-2018-15473's
/// "versionEndIncluding 7.7" includes 7.7p1 (fixed in 7.8); 7.8p1 is outside. Found by
/// the cve-bin-tool comparison (`bench/cvebintool.sh`), where both tools missed it.
#[test]
fn openssh_portable_suffix_is_the_cpe_update() {
    let Some(dir) = vulndata() else { return };
    let (_t, kb) = full_kb(&dir);
    let ms = kb
        .match_components(
            &[
                comp("openssh", "7.7p1"),
                comp("openssh-server", "7.8p1"),
                comp("openssh-client", "7.7"),
            ],
            None,
        )
        .unwrap();
    let has = |name: &str, id: &str| ms.iter().any(|m| m.component == name && m.id == id);
    assert!(has("openssh", "CVE-2018-15473"), "{ms:?}");
    assert!(has("openssh-client", "CVE-2018-15473"), "{ms:?}");
    assert!(!has("openssh-server", "CVE-2018-15473"), "{ms:?}");
    // Terrapin: OpenSSH before 9.6 (so 7.7p1 and 7.8p1 both).
    assert!(has("openssh", "CVE-2023-48795"), "{ms:?}");
    assert!(has("openssh-server", "CVE-2023-48795"), "{ms:?}");
}

/// CVE-2020-8423 applies to firmware 3.16.9 on hardware v10 only. A device declared
/// without its hardware revision is not proven affected: the match says so.
#[test]
fn device_without_hardware_revision_is_under_investigation() {
    let Some(dir) = vulndata() else { return };
    let (_t, kb) = full_kb(&dir);
    let wr841n = DeviceIdentity {
        vendor: "TP-Link".into(),
        product: "TL-WR841N".into(),
        hardware_version: None,
        firmware_version: "3.16.9".into(),
        source: baseliner_model::IdentitySource::Declaration,
    };
    let ms = kb.match_components(&[], Some(&wr841n)).unwrap();
    let m = ms.iter().find(|m| m.id == "CVE-2020-8423").unwrap();
    assert_eq!(m.vex_status, baseliner_model::VexStatus::UnderInvestigation);
    assert_eq!(
        m.rule,
        "cpe tp-link:tl-wr841n_firmware = 3.16.9 with platform tp-link:tl-wr841n v10 \
         (revision not known) (hardware revision not stated: needs the vendor's word)"
    );
    // Another hardware revision does not match at all.
    let v9 = DeviceIdentity {
        hardware_version: Some("v9".into()),
        ..wr841n
    };
    let ms = kb.match_components(&[], Some(&v9)).unwrap();
    assert!(!ms.iter().any(|m| m.id == "CVE-2020-8423"), "{ms:?}");
}

#[test]
fn kernel_stream_fixes_clear_cves_fixed_on_the_branch() {
    let Some(dir) = vulndata() else { return };
    let (t, kb) = full_kb(&dir);
    // Dirty COW: 4.4.25 is before the 4.4 fix (4.4.26), 4.4.26 is not; 4.9.0 is past mainline.
    let ms = kb
        .match_components(&[comp("linux", "4.4.25"), comp("kernel", "4.4.26")], None)
        .unwrap();
    assert_eq!(ids_for(&ms, "linux"), ["CVE-2016-5195"]);
    assert!(ms[0].kev);
    assert!(ids_for(&ms, "kernel").is_empty());

    // A record with only a mainline bound (fixed upstream in 4.15) against a 4.9 kernel:
    // the stream data says 4.9 got the fix in 4.9.67.
    let rec = serde_json::json!({"cve": {
        "id": "CVE-2017-1000405", "published": "2017-11-30T00:00:00.000",
        "lastModified": "2020-01-01T00:00:00.000",
        "descriptions": [{"lang": "en", "value": "huge zero page COW"}],
        "configurations": [{"nodes": [{"operator": "OR", "negate": false, "cpeMatch": [{
            "vulnerable": true, "criteria": "cpe:2.3:o:linux:linux_kernel:*:*:*:*:*:*:*:*",
            "versionStartIncluding": "2.6.38", "versionEndExcluding": "4.15"}]}]}]}});
    let f = t.path().join("kernel-rec.json");
    std::fs::write(&f, rec.to_string()).unwrap();
    assert_eq!(kb.import(&f).unwrap().format, "NVD CVE record");
    let ms = kb
        .match_components(
            &[comp("linux", "4.9.118-rt"), comp("kernel", "4.9.50")],
            None,
        )
        .unwrap();
    assert!(!ids_for(&ms, "linux").contains(&"CVE-2017-1000405".to_string()));
    let m = ms
        .iter()
        .find(|m| m.id == "CVE-2017-1000405" && m.component == "kernel")
        .unwrap();
    assert!(
        m.rule.ends_with("; stream 4.9 fixed in 4.9.67"),
        "{}",
        m.rule
    );
}

#[test]
fn kev_json_and_osv_zip_import() {
    // Hand-made fixtures in the real shapes (the corpus has KEV as CSV only, no OSV).
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    let kev = serde_json::json!({"title": "CISA Catalog", "catalogVersion": "2026.11.20",
        "count": 1, "vulnerabilities": [{"cveID": "CVE-2017-17215", "vendorProject": "Huawei",
        "product": "HG532", "vulnerabilityName": "Huawei HG532 RCE", "dateAdded": "2022-03-15",
        "knownRansomwareCampaignUse": "Unknown", "cwes": []}]});
    let kp = tmp.path().join("kev.json");
    std::fs::write(&kp, kev.to_string()).unwrap();
    let s = kb.import(&kp).unwrap();
    assert_eq!((s.format, s.counts.added), ("CISA KEV JSON", 1));

    let zp = tmp.path().join("Debian.zip");
    {
        let mut z = zip::ZipWriter::new(std::fs::File::create(&zp).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        let rec = serde_json::json!({"id": "DEBIAN-CVE-2022-48174", "modified": "2024-05-01T00:00:00Z",
            "aliases": ["CVE-2022-48174"], "summary": "ash stack overflow",
            "affected": [{"package": {"ecosystem": "Debian:12", "name": "busybox"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1:1.35.0-4+b4"}]}]}]});
        z.start_file("DEBIAN-CVE-2022-48174.json", opts).unwrap();
        std::io::Write::write_all(&mut z, rec.to_string().as_bytes()).unwrap();
        z.start_file("broken.json", opts).unwrap();
        std::io::Write::write_all(&mut z, b"{\"id\": \"DEBIAN-X\", \"modified\": 3}").unwrap();
        z.finish().unwrap();
    }
    let s = kb.import(&zp).unwrap();
    assert_eq!(s.format, "OSV zip dump");
    assert_eq!(s.counts.added, 1);
    assert_eq!(s.skipped.len(), 1);
    assert!(s.skipped[0].starts_with("DEBIAN-X"), "{:?}", s.skipped);

    let mut c = comp("busybox", "1:1.35.0-4");
    c.purl = Some("pkg:deb/debian/busybox@1%3A1.35.0-4?arch=mips".into());
    let ms = kb.match_components(&[c.clone()], None).unwrap();
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].id, "CVE-2022-48174");
    assert!(
        ms[0].rule.contains("(DEBIAN-CVE-2022-48174)"),
        "{}",
        ms[0].rule
    );
    c.purl = Some("pkg:deb/debian/busybox@1:1.35.0-4+b4".into());
    assert!(kb.match_components(&[c], None).unwrap().is_empty());
}

#[test]
fn unrecognised_and_hostile_files_are_errors_not_panics() {
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    let cases: &[(&str, &[u8])] = &[
        ("empty.json", b""),
        ("text.txt", b"hello"),
        (
            "truncated.json",
            b"{\"vulnerabilities\": [{\"cve\": {\"id\": \"CVE-1\"",
        ),
        ("deep.json", &[b'['; 100_000]),
        ("gz.json.gz", &[0x1f, 0x8b, 8, 0, 0, 0]),
        ("zip.zip", b"PK\x03\x04garbage"),
        ("nul.json", b"{\"a\":\x00}"),
    ];
    for (name, bytes) in cases {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let e = kb.import(&p).unwrap_err().to_string();
        assert!(e.contains(name), "{name}: {e}");
    }
    let e = kb
        .import(&tmp.path().join("truncated.json"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("offset"), "{e}");
}

#[test]
fn a_foreign_database_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("other.sqlite");
    {
        let kb = Kb::open(&p).unwrap();
        drop(kb);
    }
    // Our own file opens again.
    Kb::open(&p).unwrap();
    // A file that is not a SQLite database is an error naming it, not a panic.
    let junk = tmp.path().join("junk.sqlite");
    std::fs::write(
        &junk,
        b"this is not sqlite at all, just text that is long enough",
    )
    .unwrap();
    let e = Kb::open(&junk).err().expect("junk refused").to_string();
    assert!(e.contains("junk.sqlite"), "{e}");
}

#[test]
fn the_index_file_is_reused_rebuilt_when_stale_and_never_trusted_blindly() {
    let Some(dir) = vulndata() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("kb.sqlite");
    let comps = vec![
        comp("busybox", "1.01"),
        comp("openssl", "1.0.1f"),
        comp("openssh", "7.7p1"),
    ];
    let want = {
        let kb = Kb::open(&db).unwrap();
        kb.import(&dir.join("nvd-cve-api-2.0-page.json")).unwrap();
        let info = kb.prepare_index().unwrap();
        assert!(info.built && info.not_saved.is_none(), "{info:?}");
        assert!(info.path.is_file());
        kb.match_components(&comps, None).unwrap()
    };
    assert!(want.len() > 5, "{want:?}");
    // A new process maps the file instead of building.
    let kb = Kb::open(&db).unwrap();
    assert!(!kb.prepare_index().unwrap().built);
    assert_eq!(kb.match_components(&comps, None).unwrap(), want);
    // A write makes it stale: rebuilt, and the new record is seen.
    kb.import(&dir.join("cisa-kev.csv")).unwrap();
    assert!(kb.prepare_index().unwrap().built);
    let with_kev = kb.match_components(&comps, None).unwrap();
    assert!(
        with_kev.iter().any(|m| m.kev),
        "KEV flags come from the new index"
    );
    let path = kb.index_path();
    drop(kb);

    // Damage: a file that is not an index, a truncated one, and flipped bytes.
    let good = std::fs::read(&path).unwrap();
    let mut cases: Vec<Vec<u8>> = vec![b"junk".to_vec(), good[..good.len() / 2].to_vec()];
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..40 {
        let mut bad = good.clone();
        for _ in 0..8 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % bad.len() as u64) as usize;
            bad[at] ^= 1 << (seed % 8);
        }
        cases.push(bad);
    }
    for (i, bad) in cases.iter().enumerate() {
        std::fs::write(&path, bad).unwrap();
        let kb = Kb::open(&db).unwrap();
        // Never a panic; a damaged header or section table means a rebuild, and the
        // first two cases must be rebuilt.
        let m = kb.match_components(&comps, None).unwrap();
        if i < 2 {
            assert_eq!(m, with_kev, "case {i}");
        }
    }
}

#[test]
fn equal_matches_of_duplicate_components_keep_the_first_components_identity() {
    let Some(dir) = vulndata() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    kb.import(&dir.join("nvd-cve-api-2.0-page.json")).unwrap();
    let plain = comp("busybox", "1.01");
    let mut packaged = comp("busybox", "1.01");
    packaged.purl = Some("pkg:deb/busybox@1.01".into());
    for (first, second, want) in [
        (&plain, &packaged, IdentitySource::BinaryString),
        (&packaged, &plain, IdentitySource::PackageDb),
    ] {
        let ms = kb
            .match_components(&[first.clone(), second.clone()], None)
            .unwrap();
        let ids: Vec<&str> = ms.iter().map(|m| m.id.as_str()).collect();
        let mut distinct = ids.clone();
        distinct.dedup();
        assert_eq!(ids, distinct, "one match per CVE and component");
        assert!(ms.len() > 3);
        assert!(ms.iter().all(|m| m.identity_source == want), "{ms:?}");
    }
}
