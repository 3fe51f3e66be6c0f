//! Time-aware vulnerability evidence (issue 10) on real firmware: the build date comes
//! from the image (U-Boot image header, squashfs superblock), publication dates from
//! the knowledge base (the corpus's real NVD records and KEV catalogue), and only a
//! vulnerability public when the firmware was built is proof for EN 303 645 5.3-8.

use baseliner_baseline::Date;
use baseliner_engine::{Engine, Image, KbChoice, Request, Run, Silent};
use baseliner_model::VerdictStatus;

fn assess(engine: &Engine, rel: &str) -> Option<Run> {
    let image = baseliner_testkit::corpus_file(rel)?;
    let profile = baseliner_baseline::profile("etsi-en-303-645").unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut req = Request::new(Image::Path(&image), out.path(), &profile);
    req.today = Date::parse("2026-12-01").unwrap();
    Some(engine.assess(&req, &Silent).unwrap())
}

#[test]
fn build_dates_and_timeliness() {
    let Some(c) = baseliner_testkit::corpus() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kb.sqlite");
    let kb = baseliner_vulns::Kb::open(&path).unwrap();
    for f in ["nvd-cve-api-2.0-page.json", "cisa-kev.csv"] {
        kb.import(&c.join("vulndata").join(f)).unwrap();
    }
    drop(kb);
    let engine = Engine::new(KbChoice::Path(path)).unwrap();

    let dates = [
        (
            "firmware/openwrt-mt7628-kernel.uimage",
            "2017-07-06",
            "U-Boot image header",
        ),
        (
            "firmware/wavlink-529b3-kernel.uimage",
            "2016-07-18",
            "U-Boot image header",
        ),
        (
            "firmware/dlink-like-rootfs.squashfs",
            "2013-09-17",
            "squashfs superblock",
        ),
        (
            "firmware/tplink-wr841nv10-3.16.9.bin",
            "2015-03-10",
            "U-Boot image header",
        ),
    ];
    for (rel, date, source) in dates {
        let Some(run) = assess(&engine, rel) else {
            return;
        };
        let a = &run.assessment;
        assert_eq!(a.image.build_date.as_deref(), Some(date), "{rel}");
        assert!(
            a.image
                .build_date_source
                .as_deref()
                .is_some_and(|s| s.starts_with(source)),
            "{rel}: {:?}",
            a.image.build_date_source
        );
        // Every CVE match carries its publication date.
        for v in &a.vulnerabilities {
            assert!(v.published.is_some(), "{rel}: {} has no date", v.id);
        }
        let dirty_cow = a
            .vulnerabilities
            .iter()
            .find(|v| v.id == "CVE-2016-5195")
            .unwrap_or_else(|| panic!("{rel}: {:#?}", a.vulnerabilities));
        assert_eq!(dirty_cow.published.as_deref(), Some("2016-11-10"));
        let v538 = a.verdicts.iter().find(|v| v.provision == "5.3-8").unwrap();
        if date >= "2016-11-10" {
            // Public (and known exploited) when this kernel was built, but the version comes
            // from the kernel's own banner: a vendor backport would not change it, so the
            // match is likely, not proof.
            assert_eq!(v538.status, VerdictStatus::Inconclusive, "{rel}: {v538:#?}");
            assert!(
                v538.reasons.iter().any(|r| r.contains("backported")),
                "{rel}: {:?}",
                v538.reasons
            );
            assert!(v538.findings.contains(&"VULN-001".to_string()));
            assert!(
                v538.reasons
                    .iter()
                    .any(|r| r.contains("before the firmware was built")),
                "{rel}: {:?}",
                v538.reasons
            );
        } else {
            // Published after the build: current risk, not evidence of late updates.
            assert_ne!(v538.status, VerdictStatus::Fail, "{rel}: {v538:#?}");
            assert!(!v538.findings.contains(&"VULN-001".to_string()), "{rel}");
        }
        let text = baseliner_report::render_text(a, false);
        assert!(text.contains("public when built"), "{text}");
    }
}
