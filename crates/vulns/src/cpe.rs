//! CPE 2.3 formatted strings: just the fields matching needs.
//!
//! The `cpe` crate rejects ordinary 2.3 strings (see the dependency survey), and the
//! grammar needed here is small: colon-separated fields with `\` escapes.

/// The fields of a CPE 2.3 name that matching uses, unescaped and lowercased.
/// `*` means ANY and `-` means NA (NVD uses `-` for "no version stated").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpe {
    /// `a` application, `o` operating system or firmware, `h` hardware.
    pub part: String,
    pub vendor: String,
    pub product: String,
    pub version: String,
    pub update: String,
}

/// Longest CPE text accepted.
const MAX_LEN: usize = 1024;

impl Cpe {
    /// Parses `cpe:2.3:a:busybox:busybox:1.01:*:*:*:*:*:*:*`; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Cpe> {
        if text.len() > MAX_LEN {
            return None;
        }
        let rest = text.strip_prefix("cpe:2.3:")?;
        let mut fields = Vec::with_capacity(11);
        let mut cur = String::new();
        let mut escaped = false;
        for c in rest.chars() {
            if escaped {
                cur.push(c);
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == ':' {
                fields.push(std::mem::take(&mut cur));
                if fields.len() > 11 {
                    return None;
                }
            } else {
                cur.push(c);
            }
        }
        fields.push(cur);
        let field = |i: usize| {
            fields
                .get(i)
                .map(|s| s.to_lowercase())
                .unwrap_or_else(|| "*".to_string())
        };
        let part = field(0);
        if !matches!(part.as_str(), "a" | "o" | "h" | "*") {
            return None;
        }
        let vendor = field(1);
        let product = field(2);
        if vendor.is_empty() || product.is_empty() {
            return None;
        }
        Some(Cpe {
            part,
            vendor,
            product,
            version: field(3),
            update: field(4),
        })
    }

    /// `vendor:product`, the key the knowledge base indexes records by.
    pub fn key(&self) -> String {
        format!("{}:{}", self.vendor, self.product)
    }
}

/// Lowercase CPE-style word from a free-form name: `TP-Link` gives `tp-link`,
/// `TL-WR841N v10` gives `tl-wr841n_v10`.
pub fn normalise(name: &str) -> String {
    name.trim()
        .chars()
        .map(|c| {
            if c.is_whitespace() {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Escapes a value for a CPE 2.3 formatted string.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
            out.push(c);
        } else if c.is_whitespace() {
            out.push('_');
        } else {
            out.push('\\');
            out.push(c);
        }
    }
    out
}

/// Builds a CPE 2.3 formatted string.
pub fn format(part: &str, vendor: &str, product: &str, version: &str) -> String {
    let v = if version.is_empty() {
        "*".to_string()
    } else {
        escape(version)
    };
    format!(
        "cpe:2.3:{part}:{}:{}:{v}:*:*:*:*:*:*:*",
        escape(vendor),
        escape(product)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nvd_criteria() {
        let c = Cpe::parse("cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*").unwrap();
        assert_eq!(c.key(), "busybox:busybox");
        assert_eq!(c.version, "*");
        let c = Cpe::parse("cpe:2.3:o:tp-link:tl-wr841n_firmware:3.16.9:*:*:*:*:*:*:*").unwrap();
        assert_eq!((c.part.as_str(), c.version.as_str()), ("o", "3.16.9"));
        let c = Cpe::parse("cpe:2.3:a:openssl:openssl:1.0.2:beta1:*:*:*:*:*:*").unwrap();
        assert_eq!(c.update, "beta1");
        let c = Cpe::parse(r"cpe:2.3:a:foo\:bar:baz:1.0\(a\):*:*:*:*:*:*:*").unwrap();
        assert_eq!(
            (c.vendor.as_str(), c.version.as_str()),
            ("foo:bar", "1.0(a)")
        );
    }

    #[test]
    fn rejects_junk() {
        assert!(Cpe::parse("cpe:/a:busybox:busybox").is_none());
        assert!(Cpe::parse("cpe:2.3:x:a:b:1").is_none());
        assert!(Cpe::parse("cpe:2.3:a::b:1").is_none());
        assert!(Cpe::parse(&"cpe:2.3:a:b:c:".repeat(500)).is_none());
        assert!(Cpe::parse("cpe:2.3:a:b:c:1:2:3:4:5:6:7:8:9:10").is_none());
    }

    #[test]
    fn format_round_trips() {
        let s = format("a", "busybox", "busybox", "1.01");
        assert_eq!(s, "cpe:2.3:a:busybox:busybox:1.01:*:*:*:*:*:*:*");
        let c = Cpe::parse(&format(
            "o",
            "tp-link",
            "tl-wr841n_firmware",
            "3.16.9 Build 1",
        ))
        .unwrap();
        assert_eq!(c.version, "3.16.9_build_1");
    }
}
