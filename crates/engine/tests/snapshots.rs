//! Behaviour snapshots: the assessment of the bundled sample and of every corpus image,
//! as a compact text view (components, findings with confidence and first evidence,
//! verdicts with the codes behind them, unpack errors), compared against committed
//! snapshots in `tests/snapshots/`. Fields that vary between runs (time, timings,
//! temporary paths) are not in the view. Any behaviour change shows up as a diff to
//! review: `cargo insta review`, or `INSTA_UPDATE=always cargo test -p baseliner-engine
//! --test snapshots` to accept.

use std::fmt::Write;
use std::path::Path;

use baseliner_baseline::{Date, Declaration};
use baseliner_engine::{Engine, Image, KbChoice, Request, Run, Silent};

/// A fixed assessment date, so support periods and certificate expiry do not drift.
fn today() -> Date {
    Date::parse("2026-12-01").unwrap()
}

fn view(run: &Run) -> String {
    let a = &run.assessment;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "image {} sha256 {} size {}",
        a.image.name, a.image.sha256, a.image.size
    );
    let _ = writeln!(o, "scheme {} ({})", a.scheme.title, a.profile);
    let s = &a.summary;
    let _ = writeln!(
        o,
        "outcome {} level claimed {:?}: pass {} fail {} unmet {} inconclusive {} declared {} n/a {} (mandatory fail {}, inconclusive {}, declared {})",
        s.outcome,
        s.level_claimed,
        s.pass,
        s.fail,
        s.unmet,
        s.inconclusive,
        s.declared,
        s.not_applicable,
        s.mandatory_fail,
        s.mandatory_inconclusive,
        s.mandatory_declared
    );
    let _ = writeln!(o, "\ncomponents ({})", a.components.len());
    for c in &a.components {
        let at = c.evidence.first().map(|e| e.path.as_str()).unwrap_or("");
        let _ = writeln!(
            o,
            "  {} {} {} {}",
            c.name,
            c.version,
            c.cpe.as_deref().unwrap_or("-"),
            at
        );
    }
    let _ = writeln!(o, "\nfindings ({})", a.findings.len());
    for f in &a.findings {
        let paths: Vec<&str> = f.evidence.iter().take(3).map(|e| e.path.as_str()).collect();
        let _ = writeln!(
            o,
            "  {} {} {} [{} evidence] {}",
            f.code,
            f.severity,
            f.confidence,
            f.evidence.len(),
            paths.join(", ")
        );
    }
    let _ = writeln!(o, "\nvulnerabilities ({})", a.vulnerabilities.len());
    for v in &a.vulnerabilities {
        let _ = writeln!(
            o,
            "  {} {} {} {}",
            v.id, v.component, v.version, v.vex_status
        );
    }
    let _ = writeln!(o, "\nverdicts");
    for v in &a.verdicts {
        let _ = writeln!(
            o,
            "  {} {} {} [{}] context [{}] basis {:?}",
            v.provision,
            v.status,
            match v.obligation {
                baseliner_model::Obligation::Mandatory => "M",
                baseliner_model::Obligation::Recommended => "R",
            },
            v.findings.join(","),
            v.context.join(","),
            v.basis
        );
    }
    let _ = writeln!(o, "\nunpack errors ({})", run.unpack.errors.len());
    for e in run.unpack.errors.iter().take(20) {
        let _ = writeln!(
            o,
            "  {} 0x{:x} {}: {}",
            e.file, e.offset, e.format, e.reason
        );
    }
    o
}

fn assess(image: &Path, decl: Option<&Declaration>, profile: &str) -> Run {
    let engine = Engine::new(KbChoice::None).unwrap();
    let profile = baseliner_baseline::profile(profile).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("unpacked");
    let mut req = Request::new(Image::Path(image), &out, &profile);
    req.declaration = decl;
    req.today = today();
    engine.assess(&req, &Silent).unwrap()
}

#[test]
fn bundled_sample() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../samples");
    let decl = Declaration::load(&root.join("router-fw.toml")).unwrap();
    let run = assess(&root.join("router-fw.bin"), Some(&decl), "etsi-en-303-645");
    insta::assert_snapshot!("sample-etsi", view(&run));
    let run = assess(&root.join("router-fw.bin"), None, "uk-psti");
    insta::assert_snapshot!("sample-psti-no-declaration", view(&run));
}

#[test]
fn corpus_images() {
    let Some(dir) = baseliner_testkit::corpus_file("firmware") else {
        return;
    };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 12, "{names:?}");
    for name in names {
        let run = assess(&dir.join(&name), None, "etsi-en-303-645");
        insta::assert_snapshot!(format!("corpus-{name}"), view(&run));
    }
}
