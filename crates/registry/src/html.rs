//! The public pages: plain HTML with every stored value escaped, no scripts, so a
//! manufacturer name like `<script>` shows as text. The pages read only what the API
//! serves; they are for people (a buyer scanning the QR code, a retailer checking).

use crate::server::{expired, status};
use crate::store::Product;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

fn opt(s: &Option<String>) -> String {
    esc(s.as_deref().unwrap_or("—"))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src 'self'\">\
<title>{} — baseliner registry</title><style>\
body{{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem;color:#111827}}\
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #e5e7eb;padding:.3rem;text-align:left;vertical-align:top}}\
.expired,.withdrawn,.kev{{color:#b91c1c;font-weight:bold}}.valid{{color:#047857;font-weight:bold}}\
code{{word-break:break-all}}nav a{{margin-right:1rem}}</style></head><body>\
<nav><a href=\"/\">Registry</a><a href=\"/verify\">Verify a label</a><a href=\"/api/v1/openapi.json\">API</a></nav>\
<h1>{}</h1>{}<footer><p><small>Labels are manufacturers' self-assessments made with baseliner, published in an append-only \
transparency log (<a href=\"/log/checkpoint\">checkpoint</a>).</small></p></footer></body></html>",
        esc(title),
        esc(title),
        body
    )
}

fn search_form(q: &str) -> String {
    format!(
        "<form action=\"/search\" method=\"get\"><input id=\"q\" name=\"q\" size=\"50\" value=\"{}\" \
placeholder=\"manufacturer, model, firmware version or SHA-256\"> <button id=\"search\" type=\"submit\">Search</button></form>",
        esc(q)
    )
}

fn name_of(p: &Product) -> String {
    let parts: Vec<&str> = [&p.manufacturer, &p.model, &p.product]
        .iter()
        .filter_map(|s| s.as_deref())
        .collect();
    if parts.is_empty() {
        "unnamed product".into()
    } else {
        parts[..parts.len().min(2)].join(" ")
    }
}

fn list(products: &[Product]) -> String {
    if products.is_empty() {
        return "<p id=\"none\">No published labels match.</p>".into();
    }
    let mut s = String::from(
        "<table id=\"results\"><tr><th>Product</th><th>Firmware</th><th>Scheme</th><th>Outcome</th><th>Status</th><th>Published</th></tr>",
    );
    for p in products {
        let st = status(p);
        s.push_str(&format!(
            "<tr><td><a class=\"product\" href=\"/product/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            esc(&p.label_id),
            esc(&name_of(p)),
            opt(&p.firmware_version),
            esc(&p.scheme),
            esc(&p.outcome),
            esc(st),
            esc(st),
            esc(&p.published[..p.published.len().min(10)])
        ));
    }
    s.push_str("</table>");
    s
}

pub fn index(recent: &[Product], products: u64, leaves: u64) -> String {
    page(
        "Label registry",
        &format!(
            "{}<p>{products} published labels; the log holds {leaves} entries.</p><h2>Recently published</h2>{}",
            search_form(""),
            list(recent)
        ),
    )
}

pub fn search(q: &str, found: &[Product]) -> String {
    page(
        "Search",
        &format!(
            "{}<p>{} found for <q>{}</q>.</p>{}",
            search_form(q),
            found.len(),
            esc(q),
            list(found)
        ),
    )
}

pub fn product(
    p: &Product,
    vulns: &[(String, String, String, bool)],
    history: &[Product],
) -> String {
    let st = status(p);
    let support = match &p.support_end {
        Some(end) if expired(Some(end)) => format!(
            "<span id=\"support\" class=\"expired\">Support period ended on {}: this product no longer receives security updates</span>",
            esc(end)
        ),
        Some(end) => format!(
            "<span id=\"support\">Security updates until {}</span>",
            esc(end)
        ),
        None => "<span id=\"support\">Not stated</span>".into(),
    };
    let withdrawn = match &p.withdrawn {
        Some(at) => format!(
            "<p id=\"withdrawn\" class=\"withdrawn\">This label was withdrawn on {}: {}</p>",
            esc(at),
            opt(&p.withdraw_reason)
        ),
        None => String::new(),
    };
    let kev = if p.kev_gained.is_empty() {
        String::new()
    } else {
        format!(
            "<p id=\"kev\" class=\"kev\">Since publication, known-exploited vulnerabilities were found in this firmware: {}</p>",
            esc(&p.kev_gained.join(", "))
        )
    };
    let mut rows = String::new();
    for (label, value) in [
        ("Manufacturer", opt(&p.manufacturer)),
        ("Product", opt(&p.product)),
        ("Model", opt(&p.model)),
        ("Firmware version", opt(&p.firmware_version)),
        (
            "Firmware SHA-256",
            format!("<code>{}</code>", esc(&p.firmware_sha256)),
        ),
        (
            "Scheme",
            format!("{} ({})", esc(&p.scheme), esc(&p.profile)),
        ),
        (
            "Outcome",
            format!("<span id=\"outcome\">{}</span>", esc(&p.outcome)),
        ),
        (
            "Status",
            format!(
                "<span id=\"status\" class=\"{}\">{}</span>",
                esc(st),
                esc(st)
            ),
        ),
        ("Support period", support),
        (
            "Vulnerability disclosure",
            format!("<span id=\"contact\">{}</span>", opt(&p.disclosure_contact)),
        ),
        ("Issued", esc(&p.issued)),
        ("Published by", esc(&p.org)),
        (
            "Label id",
            format!("<code id=\"label-id\">{}</code>", esc(&p.label_id)),
        ),
        (
            "Log entry",
            format!(
                "#{} (<a href=\"/api/v1/proof/{}\">inclusion proof</a>)",
                p.leaf_index,
                esc(&p.label_id)
            ),
        ),
    ] {
        rows.push_str(&format!("<tr><th>{label}</th><td>{value}</td></tr>"));
    }
    let mut v = String::new();
    if vulns.is_empty() {
        v.push_str("<p>No known vulnerabilities were matched.</p>");
    } else {
        v.push_str("<table id=\"vulns\"><tr><th>Vulnerability</th><th>Component</th><th>Known exploited</th></tr>");
        for (id, c, ver, k) in vulns {
            v.push_str(&format!(
                "<tr><td>{}</td><td>{} {}</td><td{}>{}</td></tr>",
                esc(id),
                esc(c),
                esc(ver),
                if *k { " class=\"kev\"" } else { "" },
                if *k { "yes" } else { "no" }
            ));
        }
        v.push_str("</table>");
    }
    let body = format!(
        "{withdrawn}{kev}<table id=\"facts\">{rows}</table>\
<p><a href=\"/api/v1/products/{id}/label\">label.json</a> · <a href=\"/api/v1/products/{id}/assessment\">assessment.json</a> · \
<a href=\"/api/v1/products/{id}/sbom\">SBOM (CycloneDX)</a> · <a id=\"verify-link\" href=\"/verify/{id}\">verify</a></p>\
<h2>Known vulnerabilities</h2>{v}<h2>Firmware history</h2>{}",
        list(history),
        id = esc(&p.label_id),
    );
    page(&name_of(p), &body)
}

pub fn verify_form() -> String {
    page(
        "Verify a label",
        "<form action=\"/verify\" method=\"get\"><input id=\"sha\" name=\"q\" size=\"70\" \
placeholder=\"label id or firmware SHA-256\"> <button id=\"verify\" type=\"submit\">Verify</button></form>",
    )
}

pub fn verify(q: &str, overall: &str, rows: &[(Product, &str)]) -> String {
    let verdict = match overall {
        "valid" => "<p id=\"verdict\" class=\"valid\">Genuine: a published, current label.</p>".to_string(),
        "support-ended" => "<p id=\"verdict\" class=\"expired\">Genuine, but the product's support period has ended.</p>".into(),
        "withdrawn" => "<p id=\"verdict\" class=\"withdrawn\">Withdrawn: the publisher withdrew this label.</p>".into(),
        _ => format!("<p id=\"verdict\" class=\"withdrawn\">Unknown: no label with id or firmware SHA-256 <code>{}</code> was published here.</p>", esc(q)),
    };
    let products: Vec<Product> = rows.iter().map(|(p, _)| p.clone()).collect();
    page(
        "Verify a label",
        &format!(
            "{verdict}{}",
            if products.is_empty() {
                String::new()
            } else {
                list(&products)
            }
        ),
    )
}

pub fn verify_error(q: &str, msg: &str) -> String {
    page(
        "Verify a label",
        &format!(
            "<p id=\"verdict\" class=\"withdrawn\">{}</p><p>Query: <code>{}</code></p>",
            esc(msg),
            esc(q)
        ),
    )
}

pub fn not_found(id: &str) -> String {
    page(
        "Not found",
        &format!(
            "<p>No label <code>{}</code> is published here.</p>",
            esc(id)
        ),
    )
}
