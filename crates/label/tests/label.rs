//! Signing, verification (including tampering) and rendering of labels.

use baseliner_label::{
    KeyPair, read_public_key, read_secret_key, render_png, render_svg, sign, statement_from,
    verify, write_key_pair,
};
use baseliner_model::{
    ASSESSMENT_SCHEMA_VERSION, Assessment, ImageInfo, Outcome, ProductInfo, SchemeInfo, ToolInfo,
    VerdictSummary,
};

fn assessment() -> Assessment {
    Assessment {
        schema_version: ASSESSMENT_SCHEMA_VERSION.into(),
        tool: ToolInfo {
            name: "baseliner".into(),
            version: "0.1.0".into(),
            catalogue_version: "2026.11.0".into(),
            kb_version: None,
        },
        created: "2026-11-23T01:00:00Z".into(),
        profile: "uk-psti".into(),
        scheme: SchemeInfo {
            profile: "uk-psti".into(),
            name: "UK PSTI".into(),
            edition: "SI 2023/1007".into(),
            title: "UK PSTI (SI 2023/1007)".into(),
            level: None,
        },
        image: ImageInfo {
            name: "tplink-wr841nv10-3.16.9.bin".into(),
            sha256: "ab".repeat(32),
            size: 3_932_160,
            ..Default::default()
        },
        product: ProductInfo {
            manufacturer: Some("TP-Link".into()),
            product: Some("TL-WR841N".into()),
            model: Some("TL-WR841N v10".into()),
            firmware_version: Some("3.16.9 <build & \"150616\">".into()),
            support_end: Some("2027-06-30".into()),
            disclosure_contact: Some("mailto:security@tp-link.example".into()),
            ..Default::default()
        },
        declaration: None,
        components: vec![],
        findings: vec![],
        vulnerabilities: vec![],
        live_tests: vec![],
        verdicts: vec![],
        summary: VerdictSummary {
            fail: 1,
            declared: 2,
            inconclusive: 7,
            mandatory_fail: 1,
            mandatory_inconclusive: 7,
            outcome: Outcome::Fail,
            ..Default::default()
        },
        timings: vec![],
    }
}

fn signed() -> (KeyPair, Vec<u8>) {
    let key = KeyPair::generate().unwrap();
    let st = statement_from(&assessment(), "https://registry.baseliner.invalid/l").unwrap();
    let (_, bytes) = sign(st, &key).unwrap();
    (key, bytes)
}

#[test]
fn signed_label_verifies_and_states_the_assessment() {
    let (key, bytes) = signed();
    let label = verify(&bytes, &key.public()).unwrap();
    assert_eq!(label.statement.outcome, Outcome::Fail);
    assert_eq!(label.statement.firmware_sha256, "ab".repeat(32));
    assert_eq!(label.statement.issued, "2026-11-23");
    assert!(
        label
            .statement
            .registry_url
            .ends_with(&label.statement.assessment_sha256)
    );
    // Canonical JSON: sorted keys, no whitespace.
    let text = String::from_utf8(bytes).unwrap();
    assert!(
        text.starts_with("{\"signature\":{\"algorithm\":\"ed25519\""),
        "{text}"
    );
}

#[test]
fn changed_bytes_fail_verification_with_a_clear_message() {
    let (key, bytes) = signed();
    let text = String::from_utf8(bytes.clone()).unwrap();

    // A value changed in place (still canonical): the signature breaks.
    let forged = text.replace("\"outcome\":\"FAIL\"", "\"outcome\":\"MET\"");
    assert_ne!(forged, text);
    let e = verify(forged.as_bytes(), &key.public())
        .unwrap_err()
        .to_string();
    assert!(e.contains("changed after signing"), "{e}");

    // A changed support date.
    let forged = text.replace("2027-06-30", "2037-06-30");
    let e = verify(forged.as_bytes(), &key.public())
        .unwrap_err()
        .to_string();
    assert!(e.contains("signature does not match"), "{e}");

    // Whitespace only: refused too, because the file is no longer what was signed.
    let mut spaced = bytes.clone();
    spaced.push(b'\n');
    let e = verify(&spaced, &key.public()).unwrap_err().to_string();
    assert!(e.contains("canonical form"), "{e}");

    // One flipped byte anywhere fails one way or another.
    for i in (0..bytes.len()).step_by(37) {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        assert!(verify(&b, &key.public()).is_err(), "flip at {i} verified");
    }

    // Someone else's key.
    let other = KeyPair::generate().unwrap();
    let e = verify(&bytes, &other.public()).unwrap_err().to_string();
    assert!(e.contains("different key"), "{e}");

    // Not a label at all.
    let e = verify(b"{}", &key.public()).unwrap_err().to_string();
    assert!(e.contains("not a baseliner label"), "{e}");
}

#[test]
fn key_files_round_trip_and_are_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("issuer");
    let key = KeyPair::generate().unwrap();
    let (k, p) = write_key_pair(&key, &prefix).unwrap();
    assert!(k.ends_with("issuer.key") && p.ends_with("issuer.pub"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&k).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let back = read_secret_key(&k).unwrap();
    assert_eq!(back.public(), read_public_key(&p).unwrap());
    assert!(write_key_pair(&key, &prefix).is_err());
    let e = read_public_key(&k).unwrap_err().to_string();
    assert!(e.contains("not a baseliner key file"), "{e}");
}

#[test]
fn svg_and_png_render_the_facts() {
    let st = statement_from(&assessment(), "https://registry.baseliner.invalid/l").unwrap();
    let svg = render_svg(&st, true).unwrap();
    assert!(svg.contains("UK PSTI"));
    assert!(svg.contains("1 mandatory provision failed"), "{svg}");
    assert!(svg.contains("self-assessment, not a certificate"));
    assert!(svg.contains("signed statement in label.json"));
    // Without a key no signed statement exists, and the label does not point at one.
    let unsigned = render_svg(&st, false).unwrap();
    assert!(!unsigned.contains("label.json"), "{unsigned}");
    assert!(unsigned.contains("unsigned"));
    assert!(svg.contains("2027-06-30"));
    assert!(
        svg.contains("&lt;build &amp; &quot;150616&quot;&gt;"),
        "escaped"
    );
    let png = render_png(&svg, 2.0).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // 1280x640 with text and a QR code: far from a blank image.
    assert!(png.len() > 20_000, "png only {} bytes", png.len());
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (1280, 640));
    if let Ok(dir) = std::env::var("BASELINER_LABEL_SAMPLE_DIR") {
        std::fs::write(format!("{dir}/label.svg"), &svg).unwrap();
        std::fs::write(format!("{dir}/label.png"), &png).unwrap();
    }
}
