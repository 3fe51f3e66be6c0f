//! Snapshots: a round trip gives the same knowledge base and the same matches; a
//! damaged or tampered snapshot, or one not signed by the trusted key, is refused and
//! leaves the existing knowledge base as it was. Also how current a knowledge base
//! reports itself to be.

use std::path::Path;

use baseliner_model::Component;
use baseliner_vulns::{Kb, SigningKey, import_snapshot, is_snapshot, time};

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

fn components() -> Vec<Component> {
    vec![
        comp("busybox", "1.01"),
        comp("openssl", "1.0.1f"),
        comp("dnsmasq", "2.77"),
        comp("dropbear", "2016.73"),
    ]
}

/// A knowledge base with the corpus NVD page and KEV list.
fn corpus_kb(dir: &Path) -> Option<Kb> {
    let page = baseliner_testkit::corpus_file("vulndata/nvd-cve-api-2.0-page.json")?;
    let kev = baseliner_testkit::corpus_file("vulndata/cisa-kev.csv")?;
    let kb = Kb::open(&dir.join("kb.sqlite")).unwrap();
    kb.import(&page).unwrap();
    kb.import(&kev).unwrap();
    Some(kb)
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

#[test]
fn a_signed_snapshot_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(kb) = corpus_kb(tmp.path()) else {
        return;
    };
    let want = kb.match_components(&components(), None).unwrap();
    assert!(want.len() > 10, "{}", want.len());
    let snap = tmp.path().join("kb.snapshot");
    let k = key(7);
    let made = kb.export_snapshot(&snap, Some(&k)).unwrap();
    assert!(is_snapshot(&snap));
    assert!(!is_snapshot(&tmp.path().join("kb.sqlite")));
    assert_eq!(made.manifest.id.len(), 16);
    assert!(made.manifest.payload_bytes < made.manifest.database_bytes);
    // The exporting knowledge base is that snapshot until it changes.
    let v = kb.version_string().unwrap();
    assert!(
        v.ends_with(&format!(",snapshot:{}", made.manifest.id)),
        "{v}"
    );

    // A fleet machine: imports with the public key, gets the same matches.
    let fleet = tmp.path().join("fleet/kb.sqlite");
    let got = import_snapshot(&snap, &fleet, Some(&k.verifying_key())).unwrap();
    assert!(got.key_trusted);
    assert_eq!(got.signed_by.as_deref(), Some(hex(&k)).as_deref());
    assert_eq!(got.manifest, made.manifest);
    let kb2 = Kb::open(&fleet).unwrap();
    assert_eq!(kb2.match_components(&components(), None).unwrap(), want);
    let v2 = kb2.version_string().unwrap();
    assert!(
        v2.contains(&format!("snapshot:{}", made.manifest.id)),
        "{v2}"
    );
    assert_eq!(kb2.status().unwrap().sources, kb.status().unwrap().sources);
    // The snapshot's dates came along: it is as old as the data in it.
    assert_eq!(kb2.freshness().unwrap(), kb.freshness().unwrap());

    // Importing over an existing knowledge base replaces it.
    let again = import_snapshot(&snap, &fleet, None).unwrap();
    assert!(!again.key_trusted);
    assert_eq!(again.signed_by, got.signed_by);

    // A write makes it something else than the snapshot.
    let kev = baseliner_testkit::corpus_file("vulndata/cisa-kev.csv").unwrap();
    drop(kb2);
    let kb2 = Kb::open(&fleet).unwrap();
    kb2.import(&kev).unwrap();
    assert!(!kb2.version_string().unwrap().contains("snapshot:"));
}

fn hex(k: &SigningKey) -> String {
    k.verifying_key()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn damaged_tampered_or_untrusted_snapshots_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(kb) = corpus_kb(tmp.path()) else {
        return;
    };
    let signed = tmp.path().join("signed.snapshot");
    let unsigned = tmp.path().join("unsigned.snapshot");
    let k = key(7);
    kb.export_snapshot(&signed, Some(&k)).unwrap();
    kb.export_snapshot(&unsigned, None).unwrap();
    let bytes = std::fs::read(&signed).unwrap();
    let header_end = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(2)
        .unwrap()
        .0
        + 1;

    // The target already holds a knowledge base; every refusal leaves it alone.
    let target = tmp.path().join("target/kb.sqlite");
    import_snapshot(&unsigned, &target, None).unwrap();
    let before = Kb::open(&target).unwrap().version_string().unwrap();
    let refused = |name: &str, data: &[u8], trust: Option<&SigningKey>| -> String {
        let p = tmp.path().join(name);
        std::fs::write(&p, data).unwrap();
        let vk = trust.map(|k| k.verifying_key());
        let e = import_snapshot(&p, &target, vk.as_ref())
            .err()
            .unwrap_or_else(|| panic!("{name} accepted"))
            .to_string();
        assert_eq!(
            Kb::open(&target).unwrap().version_string().unwrap(),
            before,
            "{name}"
        );
        e
    };

    // One byte of the compressed database changed.
    let mut flipped = bytes.clone();
    let at = header_end + (bytes.len() - header_end) / 2;
    flipped[at] ^= 0x40;
    let e = refused("flipped.snapshot", &flipped, None);
    assert!(
        e.contains("damaged or tampered") || e.contains("payload"),
        "{e}"
    );

    // Cut short.
    let e = refused("short.snapshot", &bytes[..bytes.len() - 100], None);
    assert!(e.contains("damaged") || e.contains("payload"), "{e}");

    // Something appended.
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"more");
    let e = refused("longer.snapshot", &longer, None);
    assert!(e.contains("checksum mismatch"), "{e}");

    // The manifest edited (its claimed version): the signature no longer holds.
    let text = String::from_utf8_lossy(&bytes[..header_end]).into_owned();
    let edited = text.replacen("\"kb_version\":\"", "\"kb_version\":\"x", 1);
    let mut tampered = edited.into_bytes();
    tampered.extend_from_slice(&bytes[header_end..]);
    let e = refused("edited.snapshot", &tampered, None);
    assert!(e.contains("signature does not verify"), "{e}");

    // Signed, but by a key other than the trusted one.
    let e = refused("signed.snapshot", &bytes, Some(&key(9)));
    assert!(e.contains("signature does not verify"), "{e}");

    // Unsigned while a key is required.
    let e = refused(
        "unsigned.snapshot",
        &std::fs::read(&unsigned).unwrap(),
        Some(&k),
    );
    assert!(e.contains("unsigned"), "{e}");

    // Not a snapshot at all.
    let e = refused("junk.snapshot", b"hello\nworld\n", None);
    assert!(e.contains("not a baseliner knowledge-base snapshot"), "{e}");

    // Nothing left behind by the refusals.
    let left: Vec<String> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_knowledge_base_knows_how_current_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let kb = Kb::open(&tmp.path().join("kb.sqlite")).unwrap();
    // Empty: no feed, always stale.
    let f = kb.freshness().unwrap();
    assert!(f.feeds.is_empty());
    assert!(f.is_stale(time::now(), 7));
    let Some(kb) = corpus_kb(tmp.path()) else {
        return;
    };
    let f = kb.freshness().unwrap();
    let kinds: Vec<(&str, &str)> = f
        .feeds
        .iter()
        .map(|a| (a.kind.as_str(), a.basis.as_str()))
        .collect();
    // A hand-imported NVD page is as current as its newest record; the KEV CSV has
    // no record dates, so its import time counts.
    assert_eq!(kinds, vec![("nvd", "newest record"), ("kev", "import")]);
    let nvd_as_of = time::parse(&f.feeds[0].as_of).unwrap();
    assert_eq!(f.oldest().unwrap().kind, "nvd");
    assert_eq!(f.age_days(nvd_as_of + 3 * 86_400 + 5), Some(3));
    assert!(!f.is_stale(nvd_as_of + 7 * 86_400, 7));
    assert!(f.is_stale(nvd_as_of + 7 * 86_400 + 1, 7));
}
