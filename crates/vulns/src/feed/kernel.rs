//! Linux kernel stream-fix data (`stream_fixes.json` of linux_kernel_cves):
//! `{"CVE-...": {"4.9": {"fixed_version": "4.9.118", ...}, ...}, ...}`.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::record::KernelFix;

#[derive(Deserialize)]
struct StreamFix {
    fixed_version: Option<String>,
}

/// True when every top-level key looks like a CVE id (how this file is recognised).
pub fn looks_like(top: &HashMap<String, &RawValue>) -> bool {
    !top.is_empty() && top.keys().all(|k| k.starts_with("CVE-"))
}

/// Parsed fixes and per-CVE errors.
pub fn parse(top: &HashMap<String, &RawValue>) -> (Vec<KernelFix>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (cve, raw) in top {
        match serde_json::from_str::<HashMap<String, StreamFix>>(raw.get()) {
            Ok(streams) => {
                for (stream, fix) in streams {
                    if let Some(fixed) = fix.fixed_version.filter(|f| !f.is_empty()) {
                        out.push(KernelFix {
                            cve: cve.clone(),
                            stream,
                            fixed,
                        });
                    }
                }
            }
            Err(e) => errors.push((cve.clone(), e.to_string())),
        }
    }
    (out, errors)
}

/// Reads `CVEs.txt` of linux_kernel_cves: `CVE-x: <breaks> - <fixes> (vA to vB)`.
/// The mainline fixing version `vB` is kept as stream `mainline`; `unk` is skipped.
pub fn parse_cves_txt(text: &str) -> (Vec<KernelFix>, Vec<(String, String)>) {
    let mut out = Vec::new();
    let errors = Vec::new();
    for line in text.lines() {
        let Some((cve, rest)) = line.split_once(':') else {
            continue;
        };
        if !cve.starts_with("CVE-") {
            continue;
        }
        let range = rest
            .rsplit_once('(')
            .and_then(|(_, r)| r.strip_suffix(')'))
            .and_then(|r| r.split_once(" to "));
        match range {
            Some((_, fixed)) if fixed.starts_with('v') => out.push(KernelFix {
                cve: cve.to_string(),
                stream: "mainline".into(),
                fixed: fixed.trim_start_matches('v').to_string(),
            }),
            // Fix not known (`unk`), or a note (`Vendor Specific`, `CVE Caused by
            // Backporting`): nothing to learn, and not an error in this listing.
            _ => {}
        }
    }
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cves_txt_lines() {
        let t = "CVEid: (breaks) - (fixes) (versions)\n\n\
            CVE-2016-5195: 0a27 - 19be (v2.6.22-rc1 to v4.9-rc2)\n\
            CVE-2005-3660: 1da1 - (n/a) (v2.6.12-rc2 to unk)\n\
            CVE-2099-1: junk\n";
        let (fixes, errors) = parse_cves_txt(t);
        assert_eq!(fixes.len(), 1);
        assert_eq!(fixes[0].fixed, "4.9-rc2");
        assert_eq!(fixes[0].stream, "mainline");
        assert!(errors.is_empty());
    }
}
