//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, no external
//! assets) that a compliance officer can open from an e-mail attachment.

use std::fmt::Write;

use baseliner_model::{Assessment, Obligation, Severity, VerdictStatus};

/// Escapes text for HTML element content and attribute values.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}

fn status_class(s: VerdictStatus) -> &'static str {
    match s {
        VerdictStatus::Fail => "fail",
        VerdictStatus::Unmet => "unmet",
        VerdictStatus::Inconclusive => "inc",
        VerdictStatus::Declared => "decl",
        VerdictStatus::Pass => "pass",
        VerdictStatus::NotApplicable => "na",
    }
}

const STATUS_COLOURS: [(VerdictStatus, &str); 6] = [
    (VerdictStatus::Fail, "#b91c1c"),
    (VerdictStatus::Unmet, "#7c3aed"),
    (VerdictStatus::Inconclusive, "#d97706"),
    (VerdictStatus::Declared, "#0e7490"),
    (VerdictStatus::Pass, "#15803d"),
    (VerdictStatus::NotApplicable, "#9ca3af"),
];

const SEVERITIES: [(Severity, &str); 5] = [
    (Severity::Critical, "#7f1d1d"),
    (Severity::High, "#b91c1c"),
    (Severity::Medium, "#d97706"),
    (Severity::Low, "#2563eb"),
    (Severity::Info, "#9ca3af"),
];

const CSS: &str = r#"
:root{--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#f9fafb}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{background:#111827;color:#fff;padding:20px 32px}header h1{margin:0 0 4px;font-size:22px}header p{margin:0;color:#d1d5db}
main{max-width:1200px;margin:0 auto;padding:16px 32px 48px}
h2{margin:32px 0 8px;font-size:18px;border-bottom:2px solid var(--line);padding-bottom:4px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px;min-width:150px}
.card b{display:block;font-size:24px}.card span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.outcome-FAIL b{color:#b91c1c}.outcome-INCOMPLETE b{color:#d97706}.outcome-NO_FAILURES_FOUND b{color:#1d4ed8}.outcome-MET b{color:#15803d}
.notice{background:#fff;border-left:4px solid #1d4ed8;padding:8px 12px;margin-top:16px}
.charts{display:flex;flex-wrap:wrap;gap:16px;margin-top:16px}.chart{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid var(--line)}th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid var(--line)}
th{background:#f3f4f6;font-size:12px;text-transform:uppercase;letter-spacing:.03em;color:#374151}
td ul{margin:0;padding-left:18px}code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;overflow-wrap:anywhere}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;white-space:nowrap}
.fail{background:#b91c1c}.unmet{background:#7c3aed}.inc{background:#d97706}.decl{background:#0e7490}.pass{background:#15803d}.na{background:#9ca3af}
.sev-critical{background:#7f1d1d}.sev-high{background:#b91c1c}.sev-medium{background:#d97706}.sev-low{background:#2563eb}.sev-info{background:#9ca3af}
details{background:#fff;border:1px solid var(--line);border-radius:6px;margin:6px 0;padding:6px 10px}summary{cursor:pointer;font-weight:600}
details p{margin:6px 0}.muted{color:var(--muted)}.small{font-size:12px}
footer{color:var(--muted);font-size:12px;margin-top:40px}
"#;

/// Horizontal bar chart as inline SVG.
fn bar_chart(title: &str, rows: &[(String, u32, &str)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let (w, bar_w, row_h) = (360u32, 200u32, 24u32);
    let h = 30 + row_h * rows.len() as u32;
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"><text x="0" y="16" font-size="13" font-weight="600" fill="#111827">{t}</text>"##,
        t = esc(title)
    );
    for (i, (label, n, colour)) in rows.iter().enumerate() {
        let y = 28 + row_h * i as u32;
        let len = (u64::from(*n) * u64::from(bar_w) / u64::from(max)) as u32;
        let _ = write!(
            s,
            r##"<text x="0" y="{ty}" font-size="12" fill="#374151">{l}</text><rect x="120" y="{y}" width="{len}" height="16" rx="3" fill="{colour}"/><text x="{nx}" y="{ty}" font-size="12" fill="#111827">{n}</text>"##,
            ty = y + 12,
            l = esc(label),
            nx = 124 + len,
        );
    }
    s.push_str("</svg>");
    s
}

/// The whole report page.
pub fn render_html(a: &Assessment) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let name = a
        .product
        .product
        .clone()
        .or_else(|| a.product.model.clone())
        .unwrap_or_else(|| a.image.name.clone());
    let scheme = a.scheme.title.as_str();
    let _ = write!(
        o,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>baseliner: {n} against {scheme}</title><style>{CSS}</style></head><body>
<header><h1>{n} — {scheme}</h1><p>Image <span class="mono">{img}</span> · SHA-256 <span class="mono">{sha}</span> · assessed {created}</p></header><main>"#,
        n = esc(&name),
        scheme = esc(scheme),
        img = esc(&a.image.name),
        sha = esc(&a.image.sha256),
        created = esc(&a.created),
    );

    // Summary.
    let s = &a.summary;
    let _ = write!(
        o,
        r#"<h2>Summary</h2><p class="notice"><b>{sentence}</b><br>{disclaimer}{level}</p><div class="cards"><div class="card outcome-{oc}"><span>Mandatory provisions</span><b>{oc}</b></div>"#,
        oc = esc(s.outcome.as_str()),
        sentence = esc(&crate::outcome_sentence(a)),
        disclaimer = esc(crate::DISCLAIMER),
        level = crate::level_sentence(a)
            .map(|l| format!("<br>{}", esc(&l)))
            .unwrap_or_default(),
    );
    if let Some(l) = s.level_claimed {
        let _ = write!(
            o,
            r#"<div class="card"><span>Level claimed</span><b>{l}</b></div>"#
        );
    }
    let vulns = if s.vulnerabilities_checked {
        a.vulnerabilities.len().to_string()
    } else {
        "not checked".to_string()
    };
    for (label, n) in [
        ("Mandatory FAIL", s.mandatory_fail.to_string()),
        ("Mandatory open", s.mandatory_inconclusive.to_string()),
        ("Self-declared", s.mandatory_declared.to_string()),
        ("Live-tested", s.pass.to_string()),
        ("Unmet recommendations", s.unmet.to_string()),
        ("Findings", a.findings.len().to_string()),
        ("Components", a.components.len().to_string()),
        ("Vulnerabilities", vulns),
    ] {
        let _ = write!(
            o,
            r#"<div class="card"><span>{label}</span><b>{n}</b></div>"#
        );
    }
    o.push_str("</div>");
    let p = &a.product;
    let facts = [
        ("Manufacturer", p.manufacturer.as_deref()),
        ("Model", p.model.as_deref()),
        ("Hardware version", p.hardware_version.as_deref()),
        ("Firmware version", p.firmware_version.as_deref()),
        ("Security updates until", p.support_end.as_deref()),
        ("Vulnerability reports to", p.disclosure_contact.as_deref()),
        ("Disclosure policy", p.disclosure_policy.as_deref()),
    ];
    o.push_str(r#"<table style="margin-top:16px"><tbody>"#);
    for (k, v) in facts {
        let _ = write!(
            o,
            "<tr><th style=\"width:220px\">{k}</th><td>{}</td></tr>",
            v.map_or_else(
                || "<span class=\"muted\">not declared</span>".to_string(),
                esc
            )
        );
    }
    o.push_str("</tbody></table>");

    let verdict_rows: Vec<(String, u32, &str)> = STATUS_COLOURS
        .iter()
        .map(|(st, c)| {
            (
                st.as_str().replace('_', " "),
                a.verdicts.iter().filter(|v| v.status == *st).count() as u32,
                *c,
            )
        })
        .collect();
    let sev_rows: Vec<(String, u32, &str)> = SEVERITIES
        .iter()
        .map(|(sv, c)| {
            (
                sv.as_str().to_string(),
                a.findings.iter().filter(|f| f.severity == *sv).count() as u32,
                *c,
            )
        })
        .collect();
    let _ = write!(
        o,
        r#"<div class="charts"><div class="chart">{}</div><div class="chart">{}</div></div>"#,
        bar_chart("Verdicts by status", &verdict_rows),
        bar_chart("Findings by severity", &sev_rows)
    );

    // Verdicts.
    let _ = write!(
        o,
        r#"<h2>Verdicts per provision</h2><p class="muted small">FAIL rests on certain evidence (firmware, a live test) or the manufacturer's own answer; UNMET marks a recommendation the evidence shows is not followed; DECLARED rests on the declaration alone; PASS comes only from a complete live test, named in the verdict; INCONCLUSIVE says what is missing. baseliner never turns the absence of findings into a PASS.</p>
<table><thead><tr><th>Provision</th><th>Status</th><th>Requirement</th><th>Why</th><th>Evidence</th></tr></thead><tbody>"#
    );
    for v in &a.verdicts {
        let obl = match v.obligation {
            Obligation::Mandatory => "mandatory",
            Obligation::Recommended => "recommended",
        };
        let cond = v
            .condition
            .as_deref()
            .map(|c| format!(" · {}", esc(c)))
            .unwrap_or_default();
        let basis = v
            .basis
            .iter()
            .map(|b| format!("{b:?}").to_lowercase())
            .collect::<Vec<_>>()
            .join(", ");
        let tg = v
            .test_group
            .as_deref()
            .map(|t| format!(" · TS 103 701 group {}", esc(t)))
            .unwrap_or_default();
        let _ = write!(
            o,
            r#"<tr id="p-{id}"><td><b>{id}</b><div class="muted small">{obl}{cond}{tg}</div></td><td><span class="badge {cls}">{st}</span><div class="muted small">{basis}</div></td><td>{title}</td><td><ul>"#,
            basis = if basis.is_empty() {
                String::new()
            } else {
                format!("rests on: {}", esc(&basis))
            },
            id = esc(&v.provision),
            cls = status_class(v.status),
            st = v.status.as_str().replace('_', " "),
            title = esc(&v.title),
        );
        for r in &v.reasons {
            let _ = write!(o, "<li>{}</li>", esc(r));
        }
        o.push_str("</ul></td><td>");
        for c in &v.findings {
            let _ = write!(
                o,
                "<div><a href=\"#f-{c}\"><code>{c}</code></a></div>",
                c = esc(c)
            );
        }
        for c in &v.context {
            let _ = write!(
                o,
                "<div class=\"muted\">context <a href=\"#f-{c}\"><code>{c}</code></a></div>",
                c = esc(c)
            );
        }
        for t in &v.tests {
            let _ = write!(o, "<div>live test <code>{}</code></div>", esc(t));
        }
        for d in &v.declaration {
            let _ = write!(o, "<div><code>{}</code></div>", esc(d));
        }
        o.push_str("</td></tr>");
    }
    o.push_str("</tbody></table>");

    // Findings.
    let _ = write!(o, "<h2>Findings ({})</h2>", a.findings.len());
    if a.findings.is_empty() {
        o.push_str(r#"<p class="muted">No findings.</p>"#);
    }
    let mut first_of_code = std::collections::BTreeSet::new();
    for f in &a.findings {
        let anchor = if first_of_code.insert(f.code) {
            format!(" id=\"f-{}\"", esc(f.code.as_str()))
        } else {
            String::new()
        };
        let _ = write!(
            o,
            r#"<details{anchor}><summary><span class="badge sev-{sev}">{sev}</span> <code>{code}</code> {title} <span class="muted small">({n} evidence)</span></summary><p>{detail}</p>"#,
            sev = f.severity.as_str(),
            code = esc(f.code.as_str()),
            title = esc(&f.title),
            n = f.evidence.len(),
            detail = esc(&f.detail),
        );
        if !f.evidence.is_empty() {
            o.push_str("<table><thead><tr><th style=\"min-width:180px\">Path</th><th>Provenance</th><th>Offset</th><th>Excerpt</th><th>SHA-256</th></tr></thead><tbody>");
            for e in f.evidence.iter().take(200) {
                let _ = write!(
                    o,
                    "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                    esc(&e.path),
                    esc(&e.provenance),
                    e.offset.map(|x| format!("0x{x:x}")).unwrap_or_default(),
                    esc(e.excerpt.as_deref().unwrap_or("")),
                    esc(&e.sha256),
                );
            }
            if f.evidence.len() > 200 {
                let _ = write!(
                    o,
                    "<tr><td colspan=\"5\">and {} more (see assessment.json)</td></tr>",
                    f.evidence.len() - 200
                );
            }
            o.push_str("</tbody></table>");
        }
        o.push_str("</details>");
    }

    // SBOM.
    let _ = write!(o, "<h2>Software components ({})</h2>", a.components.len());
    if a.components.is_empty() {
        o.push_str(r#"<p class="muted">No components identified.</p>"#);
    } else {
        o.push_str("<table><thead><tr><th>Name</th><th>Version</th><th>CPE</th><th>purl</th><th>Found at</th></tr></thead><tbody>");
        for c in &a.components {
            let _ = write!(
                o,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td><code>{}</code></td></tr>",
                esc(&c.name),
                esc(&c.version),
                esc(c.cpe.as_deref().unwrap_or("")),
                esc(c.purl.as_deref().unwrap_or("")),
                esc(&c
                    .evidence
                    .iter()
                    .take(3)
                    .map(|e| e.path.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")),
            );
        }
        o.push_str("</tbody></table>");
    }

    // Vulnerabilities.
    let _ = write!(
        o,
        "<h2>Known vulnerabilities ({})</h2>",
        a.vulnerabilities.len()
    );
    if a.vulnerabilities.is_empty() {
        o.push_str(r#"<p class="muted">No known vulnerabilities matched (this depends on the knowledge base used).</p>"#);
    } else {
        if let Some(line) = crate::build_time_sentence(a) {
            let _ = write!(o, "<p>{}</p>", esc(&line));
        }
        o.push_str("<table><thead><tr><th>Id</th><th>Component</th><th>CVSS</th><th>KEV</th><th>VEX</th><th>Published</th><th>Summary</th></tr></thead><tbody>");
        let mut vulns: Vec<_> = a.vulnerabilities.iter().collect();
        vulns.sort_by(|x, y| {
            y.kev.cmp(&x.kev).then(
                y.cvss_score
                    .unwrap_or(0.0)
                    .total_cmp(&x.cvss_score.unwrap_or(0.0)),
            )
        });
        for v in vulns {
            let _ = write!(
                o,
                "<tr><td><code>{}</code></td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&v.id),
                esc(&v.component),
                esc(&v.version),
                v.cvss_score.map(|s| format!("{s:.1}")).unwrap_or_default(),
                if v.kev {
                    "<span class=\"badge fail\">KEV</span>"
                } else {
                    ""
                },
                esc(v.vex_status.as_str()),
                esc(&crate::published_text(a, v)),
                esc(&v.summary),
            );
        }
        o.push_str("</tbody></table>");
    }

    // Timings and provenance.
    o.push_str("<h2>Run</h2><table><thead><tr><th>Stage</th><th>Time</th></tr></thead><tbody>");
    for t in &a.timings {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{} ms</td></tr>",
            esc(&t.stage),
            t.millis
        );
    }
    let _ = writeln!(
        o,
        "</tbody></table><footer>baseliner {} · catalogue {} · knowledge base {} · assessment schema {} · profile <code>{}</code></footer></main></body></html>",
        esc(&a.tool.version),
        esc(&a.tool.catalogue_version),
        esc(a.tool.kb_version.as_deref().unwrap_or("none")),
        esc(&a.schema_version),
        esc(&a.profile),
    );
    o
}
