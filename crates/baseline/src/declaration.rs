//! The manufacturer's declaration: product facts, support period, disclosure route,
//! ICS answers, IXIT facts and condition flags, as TOML.
//!
//! Errors carry file, line, column and field, plus a hint on how to fix them, because
//! the people filling this in are compliance staff, not developers.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Deserializer};
use toml::Spanned;

use sha2::Digest;

use crate::date::Date;
use crate::securitytxt::{self, SecurityTxt};

/// A declaration file larger than this is refused: real ones are a few KiB.
pub const MAX_DECLARATION_LEN: u64 = 1024 * 1024;

/// One problem in a declaration, located in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The field at fault, such as `support.end_date` (empty when unknown).
    pub field: String,
    pub message: String,
    pub hint: String,
}

impl fmt::Display for DeclarationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "field `{}`: ", self.field)?;
        }
        write!(f, "{}", self.message)?;
        if !self.hint.is_empty() {
            write!(f, " (fix: {})", self.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for DeclarationError {}

/// Y / N / N/A as in the ICS pro forma.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Support {
    #[serde(rename = "Y")]
    Yes,
    #[serde(rename = "N")]
    No,
    #[serde(rename = "N/A", alias = "N-A", alias = "NA")]
    NotApplicable,
}

/// One ICS row: support and the detail the pro forma asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IcsAnswer {
    pub support: Support,
    /// If Y: the measures taken. If N: why not. If N/A: why the condition does not hold.
    #[serde(default)]
    pub detail: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSection {
    pub manufacturer: Option<String>,
    pub name: Option<String>,
    pub model: Option<String>,
    pub hardware_version: Option<String>,
    pub firmware_version: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportSection {
    /// Last day security updates are promised.
    #[serde(default, deserialize_with = "de_date")]
    pub end_date: Option<Date>,
    /// Where the support period is published.
    pub published_at: Option<String>,
    /// Where the product's SBOM is kept or published.
    pub sbom_url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureSection {
    /// Where to report vulnerabilities: `mailto:` or `https://` URI.
    #[serde(default, deserialize_with = "de_uri")]
    pub contact: Option<String>,
    #[serde(default, deserialize_with = "de_uri")]
    pub policy_url: Option<String>,
    pub acknowledgement_days: Option<u32>,
    pub status_update_days: Option<u32>,
    /// Path of a security.txt, relative to the declaration file.
    pub security_txt: Option<String>,
}

/// Schedule 4 content of a UK PSTI statement of compliance.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SocSection {
    pub product: Option<String>,
    pub manufacturer: Option<String>,
    pub prepared_by: Option<String>,
    pub compliance: Option<String>,
    pub signatory: Option<String>,
    pub place: Option<String>,
    #[serde(default, deserialize_with = "de_date")]
    pub date: Option<Date>,
}

/// Third-party lab evidence (Singapore CLS levels 3 and 4). A report counts only as a
/// reference with an identifier and the SHA-256 of its file; a bare string is ignored.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabSection {
    pub name: Option<String>,
    /// Free text kept for older declarations; never counted as evidence.
    pub report: Option<String>,
    /// The report's identifier as the lab issued it.
    pub report_id: Option<String>,
    /// The report file, relative to the declaration file.
    pub report_file: Option<String>,
    /// SHA-256 of the report file, hex.
    pub report_sha256: Option<String>,
    /// Set by [`Declaration::load`]: the file was read and its hash matched.
    #[serde(skip)]
    pub report_verified: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    product: ProductSection,
    #[serde(default)]
    support: SupportSection,
    #[serde(default)]
    disclosure: DisclosureSection,
    #[serde(default)]
    conditions: BTreeMap<Spanned<String>, bool>,
    #[serde(default)]
    ics: BTreeMap<Spanned<String>, IcsAnswer>,
    #[serde(default)]
    ixit: BTreeMap<String, toml::Table>,
    #[serde(default)]
    statement_of_compliance: SocSection,
    #[serde(default)]
    lab: LabSection,
}

/// A parsed, validated declaration.
#[derive(Debug, Clone, Default)]
pub struct Declaration {
    /// File name it was read from (for evidence and error messages).
    pub file: String,
    pub product: ProductSection,
    pub support: SupportSection,
    pub disclosure: DisclosureSection,
    pub conditions: BTreeMap<String, bool>,
    pub ics: BTreeMap<String, IcsAnswer>,
    pub ixit: BTreeMap<String, toml::Table>,
    pub soc: SocSection,
    pub lab: LabSection,
    /// The security.txt named by `disclosure.security_txt`, parsed.
    pub security_txt: Option<SecurityTxt>,
    /// SHA-256 of the declaration's text, so an assessment records what it rested on.
    pub sha256: String,
}

fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum V {
        S(String),
        D(toml::value::Datetime),
    }
    let s = match V::deserialize(d)? {
        V::S(s) => s,
        V::D(dt) => dt.to_string(),
    };
    Date::parse(&s)
        .filter(|_| s.len() == 10)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a date written YYYY-MM-DD")))
}

fn de_uri<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s = String::deserialize(d)?;
    let lc = s.to_ascii_lowercase();
    if lc.starts_with("https://") || lc.starts_with("mailto:") || lc.starts_with("http://") {
        Ok(Some(s))
    } else {
        Err(serde::de::Error::custom(format!(
            "`{s}` is not a URI starting with https:// or mailto:"
        )))
    }
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// The key being defined on the line holding `offset`, for naming the field in errors.
fn field_at(text: &str, offset: usize) -> String {
    let start = text
        .get(..offset.min(text.len()))
        .and_then(|b| b.rfind('\n'))
        .map_or(0, |i| i + 1);
    let line = text
        .get(start..)
        .and_then(|r| r.lines().next())
        .unwrap_or("")
        .trim();
    match line.split_once('=') {
        Some((k, _)) => k.trim().trim_matches('"').to_string(),
        None => line.trim_matches(|c| c == '[' || c == ']').to_string(),
    }
}

fn hint_for(message: &str) -> &'static str {
    if message.contains("unknown field") {
        "remove the field or correct its spelling; `baseliner declare --init` writes every field with comments"
    } else if message.contains("YYYY-MM-DD") {
        "write the date as YYYY-MM-DD, for example 2030-12-31"
    } else if message.contains("unknown variant") {
        "ICS support must be \"Y\", \"N\" or \"N/A\""
    } else if message.contains("URI") {
        "give a full URI such as mailto:security@example.com or https://example.com/security"
    } else if message.contains("invalid type") {
        "check the value's type: text in quotes, true/false for flags, numbers bare"
    } else if message.contains("duplicate") {
        "each key may appear once; merge the two entries"
    } else {
        "check the TOML syntax on that line"
    }
}

impl Declaration {
    /// Reads and validates a declaration file (and its security.txt, if named).
    pub fn load(path: &Path) -> Result<Declaration, DeclarationError> {
        let file = path.display().to_string();
        let io_err = |msg: String| DeclarationError {
            file: file.clone(),
            line: 0,
            column: 0,
            field: String::new(),
            message: msg,
            hint: "check the path and that the file is readable".into(),
        };
        let meta = std::fs::metadata(path).map_err(|e| io_err(format!("cannot read: {e}")))?;
        if meta.len() > MAX_DECLARATION_LEN {
            return Err(io_err(format!(
                "file is {} bytes; a declaration may be at most {MAX_DECLARATION_LEN}",
                meta.len()
            )));
        }
        let text =
            std::fs::read_to_string(path).map_err(|e| io_err(format!("cannot read: {e}")))?;
        let mut decl = Declaration::parse(&text, &file)?;
        if let Some(rel) = decl.disclosure.security_txt.clone() {
            let base = path.parent().unwrap_or(Path::new("."));
            let st_path = base.join(&rel);
            let offset = text.find("security_txt").unwrap_or(0);
            let (line, column) = line_col(&text, offset);
            let located = |message: String, hint: &str| DeclarationError {
                file: file.clone(),
                line,
                column,
                field: "disclosure.security_txt".into(),
                message,
                hint: hint.into(),
            };
            let len = std::fs::metadata(&st_path)
                .map_err(|e| {
                    located(
                        format!("cannot read {}: {e}", st_path.display()),
                        "give the path of security.txt relative to the declaration file",
                    )
                })?
                .len();
            if len > securitytxt::MAX_LEN as u64 {
                return Err(located(
                    format!(
                        "{} is {len} bytes, over the {} limit",
                        st_path.display(),
                        securitytxt::MAX_LEN
                    ),
                    "point at the real security.txt",
                ));
            }
            let st = std::fs::read_to_string(&st_path).map_err(|e| {
                located(
                    format!("cannot read {}: {e}", st_path.display()),
                    "security.txt must be UTF-8 text",
                )
            })?;
            decl.security_txt = Some(SecurityTxt::parse(&st));
        }
        if let (Some(rel), Some(want)) = (&decl.lab.report_file, &decl.lab.report_sha256) {
            let base = path.parent().unwrap_or(Path::new("."));
            // A missing or different file leaves the reference unverified (and unused).
            if let Ok(bytes) = std::fs::read(base.join(rel)) {
                let got = hex::encode(sha2::Sha256::digest(&bytes));
                decl.lab.report_verified = got.eq_ignore_ascii_case(want.trim());
            }
        }
        Ok(decl)
    }

    /// Parses and validates declaration text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Declaration, DeclarationError> {
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let (line, column) = line_col(text, offset);
            let message = e.message().to_string();
            DeclarationError {
                file: file.to_string(),
                line,
                column,
                field: field_at(text, offset),
                hint: hint_for(&message).to_string(),
                message,
            }
        })?;
        let at = |span: std::ops::Range<usize>, field: String, message: String, hint: String| {
            let (line, column) = line_col(text, span.start);
            DeclarationError {
                file: file.to_string(),
                line,
                column,
                field,
                message,
                hint,
            }
        };
        let flags = crate::catalogue::flags();
        let mut conditions = BTreeMap::new();
        for (k, v) in raw.conditions {
            if !flags.contains_key(k.get_ref()) {
                let near: Vec<&str> = flags
                    .keys()
                    .filter(|f| {
                        f.contains(k.get_ref().as_str()) || k.get_ref().contains(f.as_str())
                    })
                    .map(String::as_str)
                    .collect();
                return Err(at(
                    k.span(),
                    format!("conditions.{}", k.get_ref()),
                    format!("unknown condition flag `{}`", k.get_ref()),
                    if near.is_empty() {
                        "use one of the flags listed by `baseliner declare --init`".into()
                    } else {
                        format!("did you mean {}?", near.join(" or "))
                    },
                ));
            }
            conditions.insert(k.into_inner(), v);
        }
        let ids = crate::catalogue::all_provision_ids();
        let mut ics = BTreeMap::new();
        for (k, v) in raw.ics {
            if !ids.contains(k.get_ref()) {
                return Err(at(
                    k.span(),
                    format!("ics.\"{}\"", k.get_ref()),
                    format!("`{}` is not a provision id of any scheme", k.get_ref()),
                    "use the scheme's own id, such as \"5.1-1\" (EN 303 645) or \"I-2a\" (EU CRA)"
                        .into(),
                ));
            }
            ics.insert(k.into_inner(), v);
        }
        Ok(Declaration {
            file: Path::new(file)
                .file_name()
                .map_or_else(|| file.to_string(), |n| n.to_string_lossy().into_owned()),
            product: raw.product,
            support: raw.support,
            disclosure: raw.disclosure,
            conditions,
            ics,
            ixit: raw.ixit,
            soc: raw.statement_of_compliance,
            lab: raw.lab,
            security_txt: None,
            sha256: hex::encode(sha2::Sha256::digest(text.as_bytes())),
        })
    }
}

/// A commented declaration template (`baseliner declare --init`).
impl Declaration {
    /// The value of an IXIT field named `Table.field` (`UpdMech.signature_verification`).
    pub fn ixit_value(&self, path: &str) -> Option<&toml::Value> {
        let (table, field) = path.split_once('.')?;
        self.ixit.get(table)?.get(field)
    }

    /// What an assessment records of this declaration.
    pub fn record(&self) -> baseliner_model::DeclarationRecord {
        let lab = &self.lab;
        baseliner_model::DeclarationRecord {
            file: self.file.clone(),
            sha256: self.sha256.clone(),
            conditions: self.conditions.clone(),
            ics: self
                .ics
                .iter()
                .map(|(k, a)| {
                    (
                        k.clone(),
                        baseliner_model::IcsRecord {
                            support: match a.support {
                                Support::Yes => "Y",
                                Support::No => "N",
                                Support::NotApplicable => "N/A",
                            }
                            .into(),
                            detail: a.detail.clone(),
                        },
                    )
                })
                .collect(),
            ixit: self
                .ixit
                .iter()
                .map(|(k, t)| {
                    (
                        k.clone(),
                        serde_json::to_value(t).unwrap_or(serde_json::Value::Null),
                    )
                })
                .collect(),
            lab: (lab.name.is_some() || lab.report_id.is_some() || lab.report.is_some()).then(
                || baseliner_model::LabRecord {
                    name: lab.name.clone(),
                    report_id: lab.report_id.clone(),
                    report_sha256: lab.report_sha256.clone(),
                    verified: lab.report_verified,
                },
            ),
        }
    }
}

/// Whether an ICS detail or justification says something: a few words of substance,
/// not "yes", "n/a" or "see documentation".
pub fn substantive(text: &str) -> bool {
    let t = text.trim();
    let words: Vec<&str> = t.split_whitespace().collect();
    let lower = t.to_ascii_lowercase();
    let filler = [
        "yes",
        "y",
        "no",
        "n",
        "n/a",
        "na",
        "ok",
        "done",
        "true",
        "compliant",
        "implemented",
        "see documentation",
        "see docs",
        "tbd",
        "todo",
        "-",
    ];
    words.len() >= 4
        && t.chars().filter(|c| c.is_alphabetic()).count() >= 20
        && !filler.contains(&lower.as_str())
}

pub fn template() -> String {
    let mut t = String::from(TEMPLATE_HEAD);
    t.push_str("\n[conditions]\n# Set each flag that applies; a provision whose flags do not hold is NOT_APPLICABLE.\n# Leave a flag out if unsure: the provision is then assessed anyway.\n");
    for (flag, meaning) in crate::catalogue::flags() {
        t.push_str(&format!("# {meaning}\n# {flag} = true\n"));
    }
    t.push_str(TEMPLATE_TAIL);
    t
}

const TEMPLATE_HEAD: &str = r#"# baseliner declaration: the manufacturer's statements that firmware cannot show.
# Every field is optional; what is missing makes the provisions that need it INCONCLUSIVE.
# Dates are YYYY-MM-DD. Check it with `baseliner assess IMAGE --declaration THIS_FILE`.

[product]
manufacturer = "Example Devices Ltd"
name = "Example Router"
model = "EX-100"
hardware_version = "1.0"
firmware_version = "1.2.3"

[support]
# Last day security updates are promised (UK PSTI para 3, EN 303 645 5.3-13).
end_date = 2030-12-31
# Where the support period is published.
published_at = "https://example.com/support-period"
# Where the SBOM is kept (EU CRA Annex I Part II 1).
# sbom_url = "https://example.com/sbom.cdx.json"

[disclosure]
# Vulnerability reporting contact (UK PSTI para 2, EN 303 645 5.2-1): mailto: or https:.
contact = "mailto:security@example.com"
policy_url = "https://example.com/vulnerability-disclosure"
# Days until a reporter gets an acknowledgement, and between status updates.
acknowledgement_days = 5
status_update_days = 30
# Optional RFC 9116 file, relative to this declaration; baseliner checks Contact and Expires.
# security_txt = "security.txt"

# UK PSTI statement of compliance (Schedule 4).
[statement_of_compliance]
# product = "Example Router EX-100, batches from 2025-01"
# manufacturer = "Example Devices Ltd, 1 High Street, London"
# prepared_by = "Prepared by Example Devices Ltd"
# compliance = "Complies with Schedule 1 via ETSI EN 303 645 V2.1.1 (2020-06) 5.1-1, 5.1-2, 5.2-1, 5.3-13"
# signatory = "A. Person, Head of Product Security"
# place = "London"
# date = 2025-01-15

# Third-party lab evidence (Singapore CLS levels 3 and 4). It counts only as a reference:
# the report's identifier, its file (relative to this declaration) and that file's SHA-256.
[lab]
# name = "Approved Lab Pte Ltd"
# report_id = "CLS-2026-0042"
# report_file = "lab-report.pdf"
# report_sha256 = "…64 hex digits…"
"#;

const TEMPLATE_TAIL: &str = r#"
# ICS answers, one per provision id: support = "Y" | "N" | "N/A", with detail:
# Y: the measures taken; N: why not; N/A: why the condition does not hold (conditional rows only).
# A detail must say something (at least four words): "yes" or "n/a" is not accepted as one.
[ics."5.1-4"]
support = "Y"
detail = "The web UI settings page lets the user change the admin password."

[ics."5.6-3"]
support = "N"
detail = "The serial header stays on the board for repairs; it is inside the sealed case."

# IXIT facts: tables named after the IXIT (AuthMech, UpdMech, SecParam, ...). Descriptions are
# recorded in the assessment; these fields are evaluated:
#   UpdMech.signature_verification = true | false  (false fails the secure-update provisions)
[ixit.UpdMech]
description = "Signed image fetched over HTTPS from updates.example.com; RSA-3072 signature checked before flashing."
signature_verification = true
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses() {
        let d = Declaration::parse(&template(), "template.toml").unwrap();
        assert_eq!(d.product.model.as_deref(), Some("EX-100"));
        assert_eq!(d.support.end_date, Date::parse("2030-12-31"));
        assert_eq!(d.ics.get("5.1-4").map(|a| a.support), Some(Support::Yes));
    }

    #[test]
    fn unknown_field_names_line_column_and_fix() {
        let text = "[product]\nmodel = \"X\"\nmodle = \"Y\"\n";
        let e = Declaration::parse(text, "d.toml").unwrap_err();
        assert_eq!((e.line, e.column), (3, 1), "{e}");
        assert_eq!(e.field, "modle");
        assert!(e.to_string().contains("d.toml:3:1"), "{e}");
        assert!(e.hint.contains("spelling"), "{e}");
    }

    #[test]
    fn bad_date_is_located() {
        let text = "[support]\nend_date = \"31/12/2030\"\n";
        let e = Declaration::parse(text, "d.toml").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert_eq!(e.field, "end_date");
        assert!(e.hint.contains("YYYY-MM-DD"), "{e}");
    }

    #[test]
    fn bad_ics_value_and_unknown_ids_and_flags_are_located() {
        let e = Declaration::parse("[ics.\"5.1-1\"]\nsupport = \"Yes\"\n", "d.toml").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.hint.contains("\"N/A\""), "{e}");

        let d = Declaration::parse("[ics.\"6-2\"]\nsupport = \"N-A\"\n", "d.toml").unwrap();
        assert_eq!(
            d.ics.get("6-2").map(|a| a.support),
            Some(Support::NotApplicable)
        );

        let e = Declaration::parse("[ics.\"5.1-99\"]\nsupport = \"Y\"\n", "d.toml").unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (1, "ics.\"5.1-99\""), "{e}");

        let e = Declaration::parse(
            "[conditions]\ntelemetry = true\npasswords = true\n",
            "d.toml",
        )
        .unwrap_err();
        assert_eq!((e.line, e.column), (3, 1), "{e}");
        assert!(e.hint.contains("passwords_used"), "{e}");
    }

    #[test]
    fn contact_must_be_a_uri() {
        let e = Declaration::parse(
            "[disclosure]\ncontact = \"security@example.com\"\n",
            "d.toml",
        )
        .unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.hint.contains("mailto:"), "{e}");
    }
}
