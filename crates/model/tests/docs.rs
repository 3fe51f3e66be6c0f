//! `docs/findings.md` lists every code: its tables are generated from the code table
//! here. Run with `BASELINER_BLESS=1` to rewrite them after a change.

use baseliner_model::{Code, Family};

fn tables() -> String {
    let mut o = String::new();
    for fam in Family::ALL {
        let codes: Vec<Code> = Code::ALL
            .iter()
            .copied()
            .filter(|c| c.family() == fam)
            .collect();
        if codes.is_empty() {
            continue;
        }
        o += &format!("\n## {fam}\n\n| code | severity | title | meaning |\n|---|---|---|---|\n");
        for c in codes {
            let i = c.info();
            o += &format!("| `{c}` | {} | {} | {} |\n", i.severity, i.title, i.meaning);
        }
    }
    o
}

/// Replaces the text between the BEGIN/END markers named `name` in `doc`.
fn splice(doc: &str, name: &str, body: &str) -> String {
    let begin = format!("<!-- BEGIN GENERATED: {name} -->\n");
    let end = format!("<!-- END GENERATED: {name} -->");
    let a = doc.find(&begin).expect("begin marker") + begin.len();
    let b = doc.find(&end).expect("end marker");
    format!("{}{}\n{}", &doc[..a], body.trim_matches('\n'), &doc[b..])
}

#[test]
fn findings_doc_tables_are_generated_from_the_code_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/findings.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let want = splice(&doc, "codes", &tables());
    if std::env::var_os("BASELINER_BLESS").is_some() {
        std::fs::write(path, &want).unwrap();
        return;
    }
    assert!(
        doc == want,
        "docs/findings.md is out of date: run `BASELINER_BLESS=1 cargo test -p baseliner-model`"
    );
}

#[test]
fn assessment_schema_file_is_generated_from_the_types() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../schemas/assessment.schema.json"
    );
    let want = serde_json::to_string_pretty(&baseliner_model::assessment_schema()).unwrap() + "\n";
    if std::env::var_os("BASELINER_BLESS").is_some() {
        std::fs::write(path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(path).unwrap();
    assert!(
        have == want,
        "schemas/assessment.schema.json differs from the types: bump ASSESSMENT_SCHEMA_VERSION with a line in schemas/CHANGELOG.md if the contract changed, then run `BASELINER_BLESS=1 cargo test -p baseliner-model`"
    );
}
