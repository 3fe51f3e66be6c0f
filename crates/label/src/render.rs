//! `label.svg` from format strings (no template engine needed for one layout) and
//! `label.png` from that SVG with resvg and an embedded DejaVu Sans, so the picture is
//! the same on every machine whatever fonts it has.

use baseliner_model::Outcome;
use qrcode::{Color, EcLevel, QrCode};

use crate::Error;
use crate::statement::Statement;

/// DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE-DejaVu.txt`).
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 320;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

/// Shortens to `max` characters with an ellipsis, then escapes.
fn fit(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        esc(s)
    } else {
        let cut: String = s.chars().take(max.saturating_sub(1)).collect();
        esc(&format!("{cut}…"))
    }
}

/// The headline and its colour. Green only where live tests carry every mandatory
/// provision; a result resting on the manufacturer's word says so.
fn headline(s: &Statement) -> (String, &'static str) {
    let v = &s.verdicts;
    let (text, colour) = match s.outcome {
        Outcome::Fail => (
            format!(
                "{} mandatory provision{} failed",
                v.fail,
                if v.fail == 1 { "" } else { "s" }
            ),
            "#b91c1c",
        ),
        Outcome::Incomplete => (
            "no failures found; evidence incomplete".to_string(),
            "#b45309",
        ),
        Outcome::NoFailuresFound => (
            format!("no failures found; {} self-declared", s.mandatory_declared),
            "#1d4ed8",
        ),
        Outcome::Met => ("mandatory provisions tested".to_string(), "#15803d"),
    };
    let text = match s.level_claimed {
        Some(l) if l > 0 && s.outcome != Outcome::Fail => format!("level {l} claimed; {text}"),
        _ => text,
    };
    (text, colour)
}

/// The support-period line: an end date that has passed is shown as such.
fn support_line(s: &Statement) -> String {
    match (&s.support_end, s.issued.get(..10)) {
        (Some(end), Some(issued)) if end.as_str() < issued => format!("ended {end}"),
        (Some(end), _) => end.clone(),
        (None, _) => "not declared".into(),
    }
}

fn qr_path(data: &str, x: f64, y: f64, size: f64) -> Result<String, Error> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .map_err(|e| Error::Render(format!("QR code for `{data}`: {e}")))?;
    let w = code.width();
    let quiet = 2usize;
    let module = size / (w + 2 * quiet) as f64;
    let mut d = String::new();
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == Color::Dark {
            let (cx, cy) = (i % w + quiet, i / w + quiet);
            d.push_str(&format!(
                "M{:.2} {:.2}h{m:.2}v{m:.2}h-{m:.2}z",
                x + cx as f64 * module,
                y + cy as f64 * module,
                m = module
            ));
        }
    }
    Ok(format!(
        r##"<rect x="{x}" y="{y}" width="{size}" height="{size}" fill="#ffffff"/><path d="{d}" fill="#000000" shape-rendering="crispEdges"/>"##
    ))
}

/// The label as a standalone SVG document. `signed` says whether a signed
/// `label.json` accompanies it: only then does the label point at one.
pub fn render_svg(s: &Statement, signed: bool) -> Result<String, Error> {
    let (head, colour) = headline(s);
    let none = "not declared";
    let product = [s.manufacturer.as_deref(), s.product.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let product = match (&product[..], s.model.as_deref()) {
        ("", None) => none.to_string(),
        ("", Some(m)) => m.to_string(),
        (p, Some(m)) => format!("{p} ({m})"),
        (p, None) => p.to_string(),
    };
    let v = &s.verdicts;
    let counts = format!(
        "{} fail · {} unmet rec. · {} inconclusive · {} declared · {} tested · {} n/a",
        v.fail, v.unmet, v.inconclusive, v.declared, v.pass, v.not_applicable
    );
    let sha = &s.firmware_sha256;
    let (sha1, sha2) = (sha.get(..32).unwrap_or(sha), sha.get(32..).unwrap_or(""));
    let qr = qr_path(&s.registry_url, 432.0, 72.0, 188.0)?;
    let rows = [
        ("Product", fit(&product, 40)),
        (
            "Firmware",
            fit(s.firmware_version.as_deref().unwrap_or(none), 40),
        ),
        ("SHA-256", esc(sha1)),
        ("", esc(sha2)),
        ("Updates until", fit(&support_line(s), 40)),
        (
            "Report issues",
            fit(s.disclosure_contact.as_deref().unwrap_or(none), 36),
        ),
        ("Verdicts", esc(&counts)),
    ];
    let mut body = String::new();
    for (i, (k, val)) in rows.iter().enumerate() {
        let y = 96 + i * 26;
        body.push_str(&format!(
            r##"<text x="24" y="{y}" font-size="12" fill="#6b7280">{k}</text><text x="120" y="{y}" font-size="{fs}" fill="#111827">{val}</text>"##,
            k = esc(k),
            fs = if k.is_empty() || *k == "SHA-256" || *k == "Verdicts" { 10 } else { 13 },
        ));
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="DejaVu Sans">
<rect x="1" y="1" width="{w2}" height="{h2}" rx="14" fill="#ffffff" stroke="#1f2937" stroke-width="2"/>
<path d="M1 15a14 14 0 0 1 14-14h{bw}a14 14 0 0 1 14 14v41h-{full}z" fill="{colour}"/>
<text x="24" y="26" font-size="13" fill="#ffffff">{scheme}</text>
<text x="24" y="47" font-size="19" fill="#ffffff" font-weight="bold">{head}</text>
<text x="616" y="26" font-size="11" fill="#ffffff" text-anchor="end">self-assessment, not a certificate</text>
{body}
{qr}
<text x="526" y="276" font-size="10" fill="#374151" text-anchor="middle">Scan to check the registry entry</text>
<text x="24" y="300" font-size="10" fill="#6b7280">Issued {issued} by baseliner {tool} · catalogue {cat}{vulns}{signed}</text>
</svg>
"##,
        w2 = WIDTH - 2,
        h2 = HEIGHT - 2,
        bw = WIDTH - 30,
        full = WIDTH - 2,
        scheme = fit(&s.scheme, 48),
        head = esc(&head),
        issued = esc(&s.issued),
        tool = esc(&s.tool_version),
        cat = esc(&s.catalogue_version),
        vulns = if s.vulnerabilities_checked {
            ""
        } else {
            " · known vulnerabilities not checked"
        },
        signed = if signed {
            " · signed statement in label.json"
        } else {
            " · unsigned"
        },
    ))
}

/// Rasterises the label SVG at `scale` (2 gives 1280x640) to PNG bytes.
pub fn render_png(svg: &str, scale: f32) -> Result<Vec<u8>, Error> {
    let scale = scale.clamp(0.25, 8.0);
    let mut opt = resvg::usvg::Options {
        font_family: "DejaVu Sans".into(),
        ..Default::default()
    };
    opt.fontdb_mut().load_font_data(FONT.to_vec());
    let tree = resvg::usvg::Tree::from_str(svg, &opt).map_err(|e| Error::Render(e.to_string()))?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| Error::Render(format!("cannot allocate a {w}x{h} image")))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| Error::Render(e.to_string()))
}
