//! RFC 9116 `security.txt`: parsed leniently, then checked for what a disclosure
//! policy needs (a contact, a valid and current `Expires`).

use crate::date::Date;

/// Fields of a security.txt that matter for a disclosure verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecurityTxt {
    pub contacts: Vec<String>,
    pub expires: Vec<String>,
    pub policies: Vec<String>,
    pub acknowledgments: Vec<String>,
    pub preferred_languages: Vec<String>,
    pub canonical: Vec<String>,
    /// Lines that are neither comments, blank, nor `Field: value`.
    pub malformed_lines: Vec<usize>,
}

/// Bound on what is read: a real security.txt is a few hundred bytes.
pub const MAX_LEN: usize = 64 * 1024;

impl SecurityTxt {
    /// Parses the text, skipping an OpenPGP cleartext-signature wrapper if present.
    pub fn parse(text: &str) -> SecurityTxt {
        let mut out = SecurityTxt::default();
        let mut in_signature = false;
        for (idx, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.starts_with("-----BEGIN PGP SIGNATURE") {
                in_signature = true;
            }
            if in_signature {
                if line.starts_with("-----END PGP SIGNATURE") {
                    in_signature = false;
                }
                continue;
            }
            if line.is_empty()
                || line.starts_with('#')
                || line.starts_with("-----BEGIN PGP SIGNED MESSAGE")
                || line.starts_with("Hash:")
            {
                continue;
            }
            let Some((name, value)) = line.split_once(':') else {
                out.malformed_lines.push(idx + 1);
                continue;
            };
            let value = value.trim().to_string();
            match name.trim().to_ascii_lowercase().as_str() {
                "contact" => out.contacts.push(value),
                "expires" => out.expires.push(value),
                "policy" => out.policies.push(value),
                "acknowledgments" => out.acknowledgments.push(value),
                "preferred-languages" => out.preferred_languages.push(value),
                "canonical" => out.canonical.push(value),
                _ => {}
            }
        }
        out
    }

    /// Problems that stop the file counting as a published disclosure route, as of `today`.
    pub fn problems(&self, today: Date) -> Vec<String> {
        let mut p = Vec::new();
        if self.contacts.is_empty() {
            p.push("security.txt has no Contact field (RFC 9116 requires at least one)".into());
        }
        for c in &self.contacts {
            let lc = c.to_ascii_lowercase();
            if !(lc.starts_with("https://") || lc.starts_with("mailto:") || lc.starts_with("tel:"))
            {
                p.push(format!(
                    "security.txt Contact `{c}` is not an https:, mailto: or tel: URI"
                ));
            }
        }
        match self.expires.as_slice() {
            [] => p.push("security.txt has no Expires field (RFC 9116 requires one)".into()),
            [one] => match Date::parse(one) {
                None => p.push(format!(
                    "security.txt Expires `{one}` is not an RFC 3339 date-time"
                )),
                Some(d) if d < today => {
                    p.push(format!("security.txt expired on {d} (assessed on {today})"))
                }
                Some(_) => {}
            },
            _ => p.push("security.txt has more than one Expires field".into()),
        }
        for l in &self.malformed_lines {
            p.push(format!("security.txt line {l} is not `Field: value`"));
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::parse("2026-11-23").unwrap()
    }

    #[test]
    fn valid_file_has_no_problems() {
        let t = "# comment\nContact: mailto:security@example.com\nContact: https://example.com/report\nExpires: 2027-06-30T00:00:00.000Z\nPolicy: https://example.com/vdp\n";
        let s = SecurityTxt::parse(t);
        assert_eq!(s.contacts.len(), 2);
        assert!(s.problems(today()).is_empty(), "{:?}", s.problems(today()));
    }

    #[test]
    fn expired_missing_contact_and_bad_lines_are_reported() {
        let s = SecurityTxt::parse("Expires: 2020-01-01T00:00:00Z\nthis is junk\n");
        let p = s.problems(today());
        assert!(p.iter().any(|m| m.contains("no Contact")));
        assert!(p.iter().any(|m| m.contains("expired on 2020-01-01")));
        assert!(p.iter().any(|m| m.contains("line 2")));
    }

    #[test]
    fn signed_file_is_unwrapped() {
        let t = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nContact: mailto:a@b.c\nExpires: 2030-01-01T00:00:00Z\n-----BEGIN PGP SIGNATURE-----\nabc:def\n-----END PGP SIGNATURE-----\n";
        let s = SecurityTxt::parse(t);
        assert!(s.problems(today()).is_empty(), "{:?}", s.problems(today()));
    }
}
