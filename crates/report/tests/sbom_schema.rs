//! CycloneDX 1.6 and SPDX 2.3 output validated against the official JSON schemas
//! (`schemas/`, see its README for where they come from).

use baseliner_model::{Component, Evidence, VulnMatch};
use baseliner_report::sbom::{self, SbomMeta};
use baseliner_vulns::vex;
use serde_json::Value;

fn schema(name: &str) -> Value {
    let p = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/");
    serde_json::from_str(&std::fs::read_to_string(format!("{p}{name}")).unwrap()).unwrap()
}

fn errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

fn cyclonedx_validator() -> jsonschema::Validator {
    let registry = jsonschema::Registry::new()
        .add(
            "http://cyclonedx.org/schema/spdx.schema.json",
            schema("spdx.schema.json"),
        )
        .unwrap()
        .add(
            "http://cyclonedx.org/schema/jsf-0.82.schema.json",
            schema("jsf-0.82.schema.json"),
        )
        .unwrap()
        .prepare()
        .unwrap();
    jsonschema::options()
        .with_registry(&registry)
        .should_validate_formats(true)
        .build(&schema("bom-1.6.schema.json"))
        .unwrap()
}

fn spdx_validator() -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema("spdx-2.3.schema.json"))
        .unwrap()
}

fn sample() -> (Vec<Component>, Vec<VulnMatch>, SbomMeta) {
    let ev = Evidence {
        path: "/bin/busybox".into(),
        provenance: "image.bin@0x120200:squashfs:/bin/busybox".into(),
        offset: Some(0x1234),
        excerpt: Some("BusyBox v1.01".into()),
        sha256: "0".repeat(64),
        ..Default::default()
    };
    let comps = vec![
        Component {
            name: "busybox".into(),
            version: "1.01".into(),
            cpe: Some("cpe:2.3:a:busybox:busybox:1.01:*:*:*:*:*:*:*".into()),
            purl: Some("pkg:generic/busybox@1.01".into()),
            evidence: vec![ev],
            properties: [(
                vex::BUSYBOX_APPLETS_PROPERTY.to_string(),
                "ash,sh,udhcpc".to_string(),
            )]
            .into(),
        },
        Component {
            name: "uclibc".into(),
            version: "0.9.30".into(),
            cpe: None,
            purl: None,
            evidence: vec![],
            properties: Default::default(),
        },
        Component {
            name: "linux".into(),
            version: "2.6.31".into(),
            cpe: None,
            purl: None,
            evidence: vec![],
            properties: Default::default(),
        },
    ];
    let m = |id: &str, component: &str, version: &str, sev: Option<&str>, kev: bool| VulnMatch {
        id: id.into(),
        component: component.into(),
        version: version.into(),
        rule: "cpe busybox:busybox versionEndExcluding 1.30.0".into(),
        identity_source: baseliner_model::IdentitySource::BinaryString,
        cvss_score: sev.map(|_| 9.8),
        cvss_severity: sev.map(Into::into),
        kev,
        published: None,
        summary: "a summary".into(),
        vex_status: baseliner_model::VexStatus::Affected,
        vex_justification: None,
    };
    let mut vulns = vec![
        m("CVE-2018-20679", "busybox", "1.01", Some("high"), false),
        m("CVE-2021-42386", "busybox", "1.01", Some("critical"), false),
        m(
            "CVE-2020-8423",
            "TP-LINK TL-WR841N",
            "3.16.9",
            Some("high"),
            true,
        ),
        m("GHSA-xxxx-yyyy-zzzz", "uclibc", "0.9.30", None, false),
    ];
    vulns[3].vex_status = baseliner_model::VexStatus::UnderInvestigation;
    assert_eq!(vex::apply_evidence(&mut vulns, &comps), 1);
    assert_eq!(vulns[1].vex_status, baseliner_model::VexStatus::NotAffected);
    let meta = SbomMeta {
        name: "tplink-wr841nv10-3.16.9.bin".into(),
        version: Some("3.16.9".into()),
        sha256: Some("ab".repeat(32)),
        tool_version: "0.1.0".into(),
        timestamp: Some("2026-11-23T00:00:00Z".into()),
    };
    (comps, vulns, meta)
}

#[test]
fn cyclonedx_validates_and_carries_vex() {
    let (comps, vulns, meta) = sample();
    let doc = sbom::cyclonedx(&comps, &vulns, &meta);
    let v = cyclonedx_validator();
    assert_eq!(errors(&v, &doc), Vec::<String>::new());
    assert_eq!(doc["specVersion"], "1.6");
    assert_eq!(doc["components"].as_array().unwrap().len(), 3);
    let props = doc["components"][0]["properties"].as_array().unwrap();
    assert!(
        props
            .iter()
            .any(|p| p["name"] == "baseliner:busybox:applets" && p["value"] == "ash,sh,udhcpc"),
        "{props:?}"
    );
    let vs = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(vs[0]["analysis"]["state"], "exploitable");
    assert_eq!(vs[0]["affects"][0]["ref"], "component-0");
    assert_eq!(vs[1]["analysis"]["state"], "not_affected");
    assert_eq!(vs[1]["analysis"]["justification"], "code_not_present");
    assert_eq!(vs[2]["affects"][0]["ref"], "device");
    assert_eq!(vs[3]["analysis"]["state"], "in_triage");
    assert_eq!(vs[3]["source"]["name"], "OSV");
    // The schema catches what a broken writer would produce.
    let mut broken = doc.clone();
    broken["vulnerabilities"][0]["analysis"]["state"] = "maybe".into();
    assert!(!errors(&v, &broken).is_empty());
}

#[test]
fn cyclonedx_without_components_validates() {
    let (_, _, meta) = sample();
    let doc = sbom::cyclonedx(&[], &[], &meta);
    assert_eq!(errors(&cyclonedx_validator(), &doc), Vec::<String>::new());
}

#[test]
fn spdx_validates() {
    let (comps, vulns, meta) = sample();
    let doc = sbom::spdx(&comps, &vulns, &meta);
    let v = spdx_validator();
    assert_eq!(errors(&v, &doc), Vec::<String>::new());
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    let pk = doc["packages"].as_array().unwrap();
    assert_eq!(pk.len(), 4);
    assert_eq!(pk[0]["primaryPackagePurpose"], "FIRMWARE");
    // busybox: cpe, purl and the one advisory still affecting it (the other is not_affected)
    let refs = pk[1]["externalRefs"].as_array().unwrap();
    assert_eq!(refs.len(), 3, "{refs:?}");
    let mut broken = doc.clone();
    broken["packages"][0]["filesAnalyzed"] = "no".into();
    assert!(!errors(&v, &broken).is_empty());
}
