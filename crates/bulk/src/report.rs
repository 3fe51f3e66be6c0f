//! Corpus statistics from a bulk database: per provision the share of images that fail,
//! the most common vulnerable components and known-exploited CVEs, hardening coverage,
//! and trends by release year where the manifest gave dates. Charts are drawn with
//! plotters as SVG, rasterised to PNG, and inlined into one self-contained HTML page.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde::Serialize;

use crate::{Error, Store};

/// One provision across the corpus.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ProvisionStat {
    pub profile: String,
    pub provision: String,
    pub obligation: String,
    pub images: u64,
    pub fail: u64,
    pub unmet: u64,
    pub inconclusive: u64,
}

/// A count of images with something.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Count {
    pub label: String,
    pub images: u64,
}

/// Per release year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct YearStat {
    pub year: String,
    pub images: u64,
    /// Images failing at least one mandatory provision.
    pub failing: u64,
    pub universal_password: u64,
    pub telnet: u64,
    pub known_exploited: u64,
}

/// Everything the report shows, also written as `stats.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Stats {
    pub images: u64,
    pub profiles: Vec<Count>,
    pub outcomes: Vec<Count>,
    pub provisions: Vec<ProvisionStat>,
    /// Images with each finding code.
    pub findings: Vec<Count>,
    pub vulnerable_components: Vec<Count>,
    pub kev: Vec<Count>,
    /// Of the images with ELF binaries (`HARD-006` present), those without any ELF
    /// lacking NX, PIE, RELRO or a canary (`HARD-001`..`004` absent).
    pub hardening: Vec<Count>,
    /// Images with ELF binaries.
    pub elf_images: u64,
    pub years: Vec<YearStat>,
    /// Images with at least one known-exploited vulnerability.
    pub kev_images: u64,
    pub failures: u64,
}

fn n(v: &Option<String>) -> u64 {
    v.as_deref().and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn s(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn counts(rows: Vec<Vec<Option<String>>>) -> Vec<Count> {
    rows.iter()
        .map(|r| Count {
            label: s(&r[0]),
            images: n(&r[1]),
        })
        .collect()
}

/// Reads the statistics from the database.
pub fn stats(store: &Store) -> Result<Stats, Error> {
    let images = n(&store
        .rows("SELECT COUNT(*) FROM bulk_assessment")?
        .first()
        .map(|r| r[0].clone())
        .unwrap_or(None));
    let profiles =
        counts(store.rows(
            "SELECT profile, COUNT(*) FROM bulk_assessment GROUP BY profile ORDER BY profile",
        )?);
    let outcomes =
        counts(store.rows(
            "SELECT outcome, COUNT(*) FROM bulk_assessment GROUP BY outcome ORDER BY outcome",
        )?);
    let mut provisions: Vec<ProvisionStat> = store
        .rows(
            "SELECT a.profile, v.provision, v.obligation, COUNT(*),
                    COUNT(CASE WHEN v.status = 'FAIL' THEN 1 END),
                    COUNT(CASE WHEN v.status = 'UNMET' THEN 1 END),
                    COUNT(CASE WHEN v.status = 'INCONCLUSIVE' THEN 1 END)
             FROM bulk_verdict v JOIN bulk_assessment a ON a.key = v.key
             GROUP BY a.profile, v.provision, v.obligation",
        )?
        .iter()
        .map(|r| ProvisionStat {
            profile: s(&r[0]),
            provision: s(&r[1]),
            obligation: s(&r[2]),
            images: n(&r[3]),
            fail: n(&r[4]),
            unmet: n(&r[5]),
            inconclusive: n(&r[6]),
        })
        .collect();
    // Catalogue order within each profile.
    let order = |p: &ProvisionStat| {
        baseliner_baseline::profile(&p.profile)
            .ok()
            .and_then(|prof| prof.provisions.iter().position(|x| x.id == p.provision))
            .unwrap_or(usize::MAX)
    };
    provisions.sort_by(|a, b| a.profile.cmp(&b.profile).then(order(a).cmp(&order(b))));
    let findings =
        counts(store.rows(
            "SELECT code, COUNT(DISTINCT key) FROM bulk_finding GROUP BY code ORDER BY code",
        )?);
    let vulnerable_components = counts(store.rows(
        "SELECT component || ' ' || version, COUNT(DISTINCT key) AS c FROM bulk_vuln
         GROUP BY component, version ORDER BY c DESC, 1 LIMIT 20",
    )?);
    let kev = counts(store.rows(
        "SELECT cve, COUNT(DISTINCT key) AS c FROM bulk_vuln WHERE kev = 1
         GROUP BY cve ORDER BY c DESC, cve LIMIT 20",
    )?);
    let with = |code: &str| {
        findings
            .iter()
            .find(|c| c.label == code)
            .map_or(0, |c| c.images)
    };
    let elf_images = with("HARD-006");
    let with_elf = |code: &'static str| -> Result<u64, Error> {
        let q = match code {
            "HARD-001" => {
                "SELECT COUNT(DISTINCT a.key) FROM bulk_finding a JOIN bulk_finding b ON a.key = b.key WHERE a.code = 'HARD-006' AND b.code = 'HARD-001'"
            }
            "HARD-002" => {
                "SELECT COUNT(DISTINCT a.key) FROM bulk_finding a JOIN bulk_finding b ON a.key = b.key WHERE a.code = 'HARD-006' AND b.code = 'HARD-002'"
            }
            "HARD-003" => {
                "SELECT COUNT(DISTINCT a.key) FROM bulk_finding a JOIN bulk_finding b ON a.key = b.key WHERE a.code = 'HARD-006' AND b.code = 'HARD-003'"
            }
            _ => {
                "SELECT COUNT(DISTINCT a.key) FROM bulk_finding a JOIN bulk_finding b ON a.key = b.key WHERE a.code = 'HARD-006' AND b.code = 'HARD-004'"
            }
        };
        Ok(n(&store
            .rows(q)?
            .first()
            .map(|r| r[0].clone())
            .unwrap_or(None)))
    };
    let mut hardening = vec![];
    for (label, code) in [
        ("NX everywhere", "HARD-001"),
        ("PIE everywhere", "HARD-002"),
        ("RELRO everywhere", "HARD-003"),
        ("stack canary everywhere", "HARD-004"),
    ] {
        hardening.push(Count {
            label: label.to_string(),
            images: elf_images.saturating_sub(with_elf(code)?),
        });
    }
    let years = store
        .rows(
            "SELECT SUBSTR(a.release_date, 1, 4) AS y, COUNT(*),
                    COUNT(CASE WHEN a.mandatory_fail > 0 THEN 1 END),
                    COUNT(CASE WHEN EXISTS (SELECT 1 FROM bulk_finding f WHERE f.key = a.key AND f.code IN ('CRED-001','CRED-003','CRED-004')) THEN 1 END),
                    COUNT(CASE WHEN EXISTS (SELECT 1 FROM bulk_finding f WHERE f.key = a.key AND f.code = 'SVC-001') THEN 1 END),
                    COUNT(CASE WHEN a.kev > 0 THEN 1 END)
             FROM bulk_assessment a WHERE a.release_date IS NOT NULL
             GROUP BY SUBSTR(a.release_date, 1, 4) ORDER BY y",
        )?
        .iter()
        .map(|r| YearStat {
            year: s(&r[0]),
            images: n(&r[1]),
            failing: n(&r[2]),
            universal_password: n(&r[3]),
            telnet: n(&r[4]),
            known_exploited: n(&r[5]),
        })
        .collect();
    let kev_images = n(&store
        .rows("SELECT COUNT(*) FROM bulk_assessment WHERE kev > 0")?
        .first()
        .map(|r| r[0].clone())
        .unwrap_or(None));
    let failures = n(&store
        .rows("SELECT COUNT(*) FROM bulk_failure")?
        .first()
        .map(|r| r[0].clone())
        .unwrap_or(None));
    Ok(Stats {
        images,
        profiles,
        outcomes,
        provisions,
        findings,
        vulnerable_components,
        kev,
        hardening,
        elf_images,
        years,
        kev_images,
        failures,
    })
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}

/// A horizontal bar chart of `(label, value)` as SVG, values in `unit` (`%` or images).
fn bars(title: &str, rows: &[(String, f64)], max: f64, unit: &str) -> Result<String, Error> {
    // The first row on top: plotters counts segments from the bottom.
    let rows: Vec<(String, f64)> = rows.iter().rev().cloned().collect();
    let rows = &rows[..];
    let mut svg = String::new();
    let h = 60 + 22 * rows.len().max(1) as u32;
    {
        let root = SVGBackend::with_string(&mut svg, (760, h)).into_drawing_area();
        let err = |e: &dyn std::fmt::Display| Error::Usage(format!("chart {title}: {e}"));
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let labels: Vec<String> = rows.iter().map(|(l, _)| l.clone()).collect();
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(8)
            .margin_right(28)
            .x_label_area_size(28)
            .y_label_area_size(250)
            .build_cartesian_2d(0.0..max.max(1.0), (0..rows.len().max(1)).into_segmented())
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(rows.len().max(1))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .x_desc(unit)
            .draw()
            .map_err(|e| err(&e))?;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, (_, v))| {
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (*v, SegmentValue::Exact(i + 1)),
                    ],
                    RGBColor(185, 28, 28).filled(),
                );
                bar.set_margin(3, 3, 0, 0);
                bar
            }))
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    // The rasteriser carries one embedded font; name it so PNGs get their text.
    Ok(svg.replace("font-family=\"sans-serif\"", "font-family=\"DejaVu Sans\""))
}

/// A named line of the trend chart and how to read its value from a year.
type Series = (&'static str, RGBColor, fn(&YearStat) -> u64);

/// A line chart of yearly shares.
fn trend(stats: &Stats) -> Result<Option<String>, Error> {
    if stats.years.len() < 2 {
        return Ok(None);
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 360)).into_drawing_area();
        let err = |e: &dyn std::fmt::Display| Error::Usage(format!("trend chart: {e}"));
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let years: Vec<i32> = stats
            .years
            .iter()
            .filter_map(|y| y.year.parse().ok())
            .collect();
        let (lo, hi) = (
            *years.iter().min().unwrap_or(&2000),
            *years.iter().max().unwrap_or(&2001),
        );
        let mut chart = ChartBuilder::on(&root)
            .caption("Share of images by release year", ("sans-serif", 18))
            .margin(8)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(lo..hi.max(lo + 1), 0.0..100.0)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .y_desc("% of images")
            .draw()
            .map_err(|e| err(&e))?;
        let series: [Series; 4] = [
            ("fail a mandatory provision", RGBColor(185, 28, 28), |y| {
                y.failing
            }),
            ("universal password", RGBColor(217, 119, 6), |y| {
                y.universal_password
            }),
            ("telnet at boot", RGBColor(37, 99, 235), |y| y.telnet),
            ("known-exploited CVE", RGBColor(124, 58, 237), |y| {
                y.known_exploited
            }),
        ];
        for (name, colour, f) in series {
            chart
                .draw_series(LineSeries::new(
                    stats
                        .years
                        .iter()
                        .filter_map(|y| Some((y.year.parse::<i32>().ok()?, pct(f(y), y.images)))),
                    colour.stroke_width(2),
                ))
                .map_err(|e| err(&e))?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| err(&e))?;
        root.present().map_err(|e| err(&e))?;
    }
    Ok(Some(svg.replace(
        "font-family=\"sans-serif\"",
        "font-family=\"DejaVu Sans\"",
    )))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes `report.html`, `stats.json` and each chart as SVG and PNG into `out`;
/// returns the files written.
pub fn write(store: &Store, out: &Path) -> Result<Vec<PathBuf>, Error> {
    let st = stats(store)?;
    std::fs::create_dir_all(out).map_err(|e| Error::Io {
        path: out.to_path_buf(),
        source: e,
    })?;
    let mut charts: Vec<(&str, String)> = vec![];
    // The mandatory provisions that fail most often, per profile.
    let mut worst: Vec<&ProvisionStat> = st
        .provisions
        .iter()
        .filter(|p| p.obligation == "mandatory" && p.fail > 0)
        .collect();
    worst.sort_by(|a, b| b.fail.cmp(&a.fail).then(a.provision.cmp(&b.provision)));
    let rows: Vec<(String, f64)> = worst
        .iter()
        .take(15)
        .map(|p| {
            (
                format!("{} {}", p.profile, p.provision),
                pct(p.fail, p.images),
            )
        })
        .collect();
    charts.push((
        "provisions",
        bars(
            "Mandatory provisions failed (% of images)",
            &rows,
            100.0,
            "% of images",
        )?,
    ));
    let comp: Vec<(String, f64)> = st
        .vulnerable_components
        .iter()
        .map(|c| (c.label.clone(), c.images as f64))
        .collect();
    let cmax = comp.iter().map(|c| c.1).fold(1.0, f64::max);
    charts.push((
        "components",
        bars("Most common vulnerable components", &comp, cmax, "images")?,
    ));
    let hard: Vec<(String, f64)> = st
        .hardening
        .iter()
        .map(|c| (c.label.clone(), pct(c.images, st.elf_images)))
        .collect();
    charts.push((
        "hardening",
        bars(
            "Hardening coverage (% of images with ELF binaries)",
            &hard,
            100.0,
            "% of images with ELF binaries",
        )?,
    ));
    if let Some(t) = trend(&st)? {
        charts.push(("trend", t));
    }
    let mut written = vec![];
    let io = |p: &Path, e| Error::Io {
        path: p.to_path_buf(),
        source: e,
    };
    for (name, svg) in &charts {
        let p = out.join(format!("{name}.svg"));
        std::fs::write(&p, svg).map_err(|e| io(&p, e))?;
        written.push(p);
        let png = baseliner_label::render_png(svg, 1.5)
            .map_err(|e| Error::Usage(format!("{name}.png: {e}")))?;
        let p = out.join(format!("{name}.png"));
        std::fs::write(&p, png).map_err(|e| io(&p, e))?;
        written.push(p);
    }
    let p = out.join("stats.json");
    std::fs::write(
        &p,
        serde_json::to_vec_pretty(&st).map_err(|e| Error::Usage(e.to_string()))?,
    )
    .map_err(|e| io(&p, e))?;
    written.push(p);
    let p = out.join("report.html");
    std::fs::write(&p, html(&st, &charts)).map_err(|e| io(&p, e))?;
    written.push(p);
    Ok(written)
}

fn html(st: &Stats, charts: &[(&str, String)]) -> String {
    let mut o = String::new();
    let share = |code: &str| {
        let n = st
            .findings
            .iter()
            .find(|c| c.label == code)
            .map_or(0, |c| c.images);
        format!("{:.1}% ({n})", pct(n, st.images))
    };
    let _ = write!(
        o,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>baseliner corpus report</title><style>
body{{margin:0;font:14px/1.45 system-ui,"DejaVu Sans",sans-serif;color:#111827;background:#f9fafb}}
header{{background:#111827;color:#fff;padding:18px 32px}}main{{max-width:1100px;margin:0 auto;padding:12px 32px 48px}}
h2{{border-bottom:2px solid #e5e7eb;padding-bottom:4px;margin-top:28px}}table{{border-collapse:collapse;background:#fff;width:100%}}
td,th{{border:1px solid #e5e7eb;padding:4px 8px;text-align:left}}th{{background:#f3f4f6}}.num{{text-align:right}}
.cards{{display:flex;gap:12px;flex-wrap:wrap}}.card{{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:10px 16px;min-width:160px}}
.card b{{display:block;font-size:22px}}.chart{{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:8px;margin:12px 0}}
</style></head><body><header><h1>baseliner corpus report</h1><p>{} images assessed{}. A self-assessment by a tool: FAIL rests on evidence in each image; see each image's assessment for the reasons.</p></header><main>"#,
        st.images,
        if st.failures > 0 {
            format!(", {} could not be assessed", st.failures)
        } else {
            String::new()
        }
    );
    let _ = write!(o, r#"<h2>Summary</h2><div class="cards">"#);
    for (label, val) in [
        ("Universal or default password", share("CRED-001")),
        ("Cracked default password", share("CRED-004")),
        ("telnet at boot", share("SVC-001")),
        ("Private key in image", share("CRYPTO-001")),
        (
            "Known-exploited CVE",
            format!("{:.1}% ({})", pct(st.kev_images, st.images), st.kev_images),
        ),
    ] {
        let _ = write!(
            o,
            r#"<div class="card"><span>{}</span><b>{}</b></div>"#,
            esc(label),
            esc(&val)
        );
    }
    o.push_str("</div><table style=\"margin-top:12px\"><tr><th>outcome</th><th class=\"num\">images</th></tr>");
    for c in &st.outcomes {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(&c.label),
            c.images
        );
    }
    o.push_str("</table>");
    for (name, svg) in charts {
        let _ = write!(o, r#"<div class="chart" id="chart-{name}">{svg}</div>"#);
    }
    o.push_str("<h2>Per provision</h2><table><tr><th>profile</th><th>provision</th><th>obligation</th><th class=\"num\">images</th><th class=\"num\">FAIL</th><th class=\"num\">UNMET</th><th class=\"num\">INCONCLUSIVE</th></tr>");
    for p in &st.provisions {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.1}%</td><td class=\"num\">{:.1}%</td><td class=\"num\">{:.1}%</td></tr>",
            esc(&p.profile),
            esc(&p.provision),
            esc(&p.obligation),
            p.images,
            pct(p.fail, p.images),
            pct(p.unmet, p.images),
            pct(p.inconclusive, p.images)
        );
    }
    o.push_str("</table><h2>Known-exploited vulnerabilities</h2><table><tr><th>CVE</th><th class=\"num\">images</th></tr>");
    if st.kev.is_empty() {
        o.push_str("<tr><td colspan=\"2\">none found (or no knowledge base was used)</td></tr>");
    }
    for c in &st.kev {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(&c.label),
            c.images
        );
    }
    o.push_str("</table><h2>Findings</h2><table><tr><th>code</th><th>title</th><th class=\"num\">images</th></tr>");
    for c in &st.findings {
        let title = c
            .label
            .parse::<baseliner_model::Code>()
            .map(|k| k.title())
            .unwrap_or("");
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            esc(&c.label),
            esc(title),
            c.images
        );
    }
    o.push_str("</table>");
    if !st.years.is_empty() {
        o.push_str("<h2>By release year</h2><table><tr><th>year</th><th class=\"num\">images</th><th class=\"num\">failing</th><th class=\"num\">universal password</th><th class=\"num\">telnet</th><th class=\"num\">KEV</th></tr>");
        for y in &st.years {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&y.year),
                y.images,
                y.failing,
                y.universal_password,
                y.telnet,
                y.known_exploited
            );
        }
        o.push_str("</table>");
    }
    o.push_str("</main></body></html>\n");
    o
}
