//! The terminal rendering of an inspection (`baseliner inspect`): findings grouped by
//! family, then the components.

use std::collections::BTreeMap;

use baseliner_inspect::Inspection;
use baseliner_model::{Confidence, Family, Finding};

/// Findings grouped by family, most severe first, then the components.
pub fn render_inspection(ins: &Inspection) -> String {
    let mut s = String::new();
    let mut by_family: BTreeMap<Family, Vec<&Finding>> = BTreeMap::new();
    for f in &ins.findings {
        by_family.entry(f.family).or_default().push(f);
    }
    for fam in Family::ALL {
        let Some(list) = by_family.get(&fam) else {
            continue;
        };
        s += &format!("\n{} ({} findings)\n", fam.as_str(), list.len());
        let mut list = list.clone();
        list.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.code.cmp(&b.code))
        });
        for f in list {
            s += &format!(
                "  [{:<8}] {} {}{}\n      {}\n",
                f.severity.as_str(),
                f.code,
                f.title,
                match f.confidence {
                    Confidence::Certain => String::new(),
                    c => format!(" ({c})"),
                },
                f.detail
            );
            for e in f.evidence.iter().take(3) {
                let at = e.offset.map(|o| format!(" @0x{o:x}")).unwrap_or_default();
                let ex = e
                    .excerpt
                    .as_deref()
                    .map(|x| format!("  {x}"))
                    .unwrap_or_default();
                s += &format!("      - {}{at}{ex}\n", e.path);
            }
            if f.evidence.len() > 3 {
                s += &format!("      - … {} more\n", f.evidence.len() - 3);
            }
        }
    }
    s += &format!("\ncomponents ({})\n", ins.components.len());
    for c in &ins.components {
        let at = c.evidence.first().map(|e| e.path.as_str()).unwrap_or("");
        s += &format!(
            "  {:<16} {:<14} {}  ({at})\n",
            c.name,
            c.version,
            c.cpe.as_deref().unwrap_or("-")
        );
    }
    let sum = &ins.summary;
    s += &format!(
        "\n{} files, {} findings ({}), {} components in {} ms\n",
        sum.files,
        ins.findings.len(),
        sum.findings_by_severity
            .iter()
            .rev()
            .map(|(k, v)| format!("{v} {k}"))
            .collect::<Vec<_>>()
            .join(", "),
        sum.components,
        sum.duration_ms
    );
    for n in &sum.notes {
        s += &format!("note: {n}\n");
    }
    s
}
