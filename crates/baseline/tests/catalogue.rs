//! The requirement sets are data: these tests keep that data well-formed.

use std::collections::BTreeSet;

use baseliner_baseline::catalogue::{self, PROFILES};
use baseliner_model::Obligation;

#[test]
fn every_profile_loads_with_unique_ids_and_known_codes_and_flags() {
    let codes = catalogue::known_codes();
    let flags = catalogue::flags();
    assert!(
        codes.len() >= 30,
        "the code table lists {} codes",
        codes.len()
    );
    for name in PROFILES {
        let p = catalogue::profile(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!p.provisions.is_empty(), "{name} has no provisions");
        let mut seen = BTreeSet::new();
        for prov in &p.provisions {
            assert!(
                seen.insert(prov.id.clone()),
                "{name}: duplicate id {}",
                prov.id
            );
            assert!(
                !prov.title.trim().is_empty(),
                "{name} {}: empty title",
                prov.id
            );
            assert!(!prov.checked_by.is_empty(), "{name} {}: no method", prov.id);
            for row in &prov.evidence {
                assert!(
                    row.code.is_some() != row.ixit.is_some(),
                    "{name} {}: a row names a code or an IXIT field",
                    prov.id
                );
                assert!(
                    row.why.split_whitespace().count() >= 4,
                    "{name} {}: row {} needs a reason",
                    prov.id,
                    row.subject()
                );
                for u in &row.unless {
                    assert!(codes.contains_key(u), "{name} {}: unless {u}", prov.id);
                }
                let Some(code) = &row.code else { continue };
                assert!(
                    codes.contains_key(code)
                        || code
                            .strip_suffix('*')
                            .is_some_and(|p| codes.keys().any(|c| c.starts_with(p))),
                    "{name} {}: {code} is not a finding code (baseliner_model::Code)",
                    prov.id
                );
            }
            for w in &prov.when {
                let flag = w.trim_start_matches('!');
                assert!(
                    flags.contains_key(flag),
                    "{name} {}: unknown flag {flag}",
                    prov.id
                );
            }
        }
    }
}

#[test]
fn en_303_645_counts_match_both_editions() {
    for (name, total, mandatory) in [("etsi-en-303-645", 68, 33), ("etsi-en-303-645-v3", 78, 36)] {
        let p = catalogue::profile(name).unwrap();
        let m = p
            .provisions
            .iter()
            .filter(|x| x.obligation == Obligation::Mandatory)
            .count();
        assert_eq!((p.provisions.len(), m), (total, mandatory), "{name}");
    }
    let v3 = catalogue::profile("etsi-en-303-645-v3").unwrap();
    for void in ["5.3-4", "5.3-6", "5.3-15", "5.6-4", "5.13-1", "6-3", "4-1"] {
        assert!(
            v3.provisions.iter().all(|p| p.id != void),
            "V3 lists void {void}"
        );
    }
}

#[test]
fn levels_of_singapore_cls_nest() {
    let counts: Vec<usize> = (1..=4)
        .map(|l| {
            catalogue::profile(&format!("sg-cls-{l}"))
                .unwrap()
                .provisions
                .len()
        })
        .collect();
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
    assert!(catalogue::profile("sg-cls-5").is_err());
    assert!(catalogue::profile("sg-cls").is_err());
    let e = catalogue::profile("psti").unwrap_err().to_string();
    assert!(e.contains("uk-psti"), "{e}");
}

#[test]
fn file_names_match_their_profile_headers() {
    for (stem, profile) in catalogue::embedded_headers() {
        assert_eq!(stem, profile);
    }
}
