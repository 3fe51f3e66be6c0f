//! `docs/assessment.md`'s profile list and mapping tables are generated from the
//! requirement data. Run with `BASELINER_BLESS=1` to rewrite them after a change.

use baseliner_baseline::catalogue::{self, PROFILES};
use baseliner_baseline::{Method, Role};
use baseliner_model::Obligation;

fn esc(s: &str) -> String {
    s.replace('|', "\\|")
}

fn profiles() -> String {
    let mut o = String::from(
        "| profile | scheme | edition | provisions | mandatory |\n|---|---|---|---|---|\n",
    );
    for name in PROFILES {
        let p = catalogue::profile(name).unwrap();
        let m = p
            .provisions
            .iter()
            .filter(|x| x.obligation == Obligation::Mandatory)
            .count();
        o += &format!(
            "| `{name}` | {} | {} | {} | {m} |\n",
            esc(&p.title),
            esc(&p.edition),
            p.provisions.len()
        );
    }
    o
}

fn mapping() -> String {
    let mut o = String::new();
    // One table per scheme file; the CLS rows come from the largest gateway profile.
    for name in [
        "etsi-en-303-645",
        "etsi-en-303-645-v3",
        "uk-psti",
        "eu-cra",
        "sg-cls-gw-4",
        "nistir-8425",
    ] {
        let p = catalogue::profile(name).unwrap();
        o += &format!(
            "\n### {} ({})\n\n| id | obligation | condition | method | evidence (role: why) | live tests | facts | requirement (our paraphrase) |\n|---|---|---|---|---|---|---|---|\n",
            esc(&p.scheme_name),
            esc(&p.edition)
        );
        for prov in &p.provisions {
            let method: String = prov
                .checked_by
                .iter()
                .map(|m| match m {
                    Method::Firmware => 'F',
                    Method::Live => 'L',
                    Method::Declaration => 'D',
                })
                .collect();
            let ev: Vec<String> = prov
                .evidence
                .iter()
                .map(|r| {
                    let unless = if r.unless.is_empty() {
                        String::new()
                    } else {
                        format!(" unless {}", r.unless.join(", "))
                    };
                    format!(
                        "`{}` **{}**{unless}: {}",
                        r.subject(),
                        match r.role {
                            Role::Proof => "proof",
                            Role::Indication => "indication",
                            Role::Context => "context",
                        },
                        esc(&r.why)
                    )
                })
                .collect();
            let tests: Vec<String> = prov
                .tests
                .iter()
                .map(|t| {
                    format!(
                        "`{}`{}: {}",
                        t.id,
                        if t.complete { " (complete)" } else { "" },
                        esc(&t.why)
                    )
                })
                .collect();
            let mut cond = prov.condition.clone().unwrap_or_default();
            if let Some(a) = &prov.applicability {
                cond = format!("{cond} where applicable: {a}");
            }
            if let Some(l) = prov.level {
                cond = format!("level {l}{}{cond}", if cond.is_empty() { "" } else { "; " });
            }
            if let Some(g) = &prov.test_group {
                cond = format!(
                    "{cond}{}TS 103 701 group {g}",
                    if cond.is_empty() { "" } else { "; " }
                );
            }
            o += &format!(
                "| {} | {} | {} | {method} | {} | {} | {} | {} |\n",
                prov.id,
                match prov.obligation {
                    Obligation::Mandatory => "mandatory",
                    Obligation::Recommended => "recommended",
                },
                esc(&cond),
                ev.join("<br>"),
                tests.join("<br>"),
                prov.facts
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                esc(&prov.title)
            );
        }
    }
    o
}

fn splice(doc: &str, name: &str, body: &str) -> String {
    let begin = format!("<!-- BEGIN GENERATED: {name} -->\n");
    let end = format!("<!-- END GENERATED: {name} -->");
    let a = doc.find(&begin).expect("begin marker") + begin.len();
    let b = doc.find(&end).expect("end marker");
    format!("{}{}\n{}", &doc[..a], body.trim_matches('\n'), &doc[b..])
}

#[test]
fn assessment_doc_tables_are_generated_from_the_data() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/assessment.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let want = splice(
        &splice(&doc, "profiles", &profiles()),
        "mapping",
        &mapping(),
    );
    if std::env::var_os("BASELINER_BLESS").is_some() {
        std::fs::write(path, &want).unwrap();
        return;
    }
    assert!(
        doc == want,
        "docs/assessment.md is out of date: run `BASELINER_BLESS=1 cargo test -p baseliner-baseline --test docs`"
    );
}
