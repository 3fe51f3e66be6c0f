//! `baseliner inspect PATH`: unpack an image into a temporary folder (or take a
//! directory as it is), run every check family, and print or write the result.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use baseliner_inspect::Inspection;
use clap::{Args, ValueEnum};

use crate::LimitArgs;

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args)]
pub struct InspectArgs {
    /// A firmware image (unpacked into a temporary folder first) or an unpacked directory.
    pub path: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write the output to this file instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub limits: LimitArgs,
}

pub fn run(a: InspectArgs) -> Result<ExitCode> {
    // The temporary folder lives until the tree has been read, then is removed.
    let (tree, _tmp) = crate::tree_for(&a.path, &a.limits)?;
    let ins = baseliner_inspect::inspect(&tree);
    let text = match a.format {
        Format::Json => serde_json::to_string_pretty(&ins)? + "\n",
        Format::Text => render_text(&ins),
    };
    match &a.output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Findings grouped by family, most severe first, then the components.
fn render_text(ins: &Inspection) -> String {
    let mut s = String::new();
    let mut by_family: BTreeMap<&str, Vec<&baseliner_model::Finding>> = BTreeMap::new();
    for f in &ins.findings {
        by_family.entry(f.family.as_str()).or_default().push(f);
    }
    for fam in baseliner_inspect::Family::ALL {
        let Some(list) = by_family.get(fam.as_str()) else {
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
                "  [{:<8}] {} {}\n      {}\n",
                f.severity.as_str(),
                f.code,
                f.title,
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
