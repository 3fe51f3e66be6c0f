//! The credentials a probe tries: the ones the firmware analysis recovered first
//! (they are the most likely to work on this device), then the project's curated
//! default-credential list (`crates/inspect/data/default-creds.txt`, the list the
//! firmware cracker uses), without duplicates.

/// One user name and password to try.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Credential {
    pub user: String,
    pub password: String,
    /// Where it came from: `firmware` or the list section (`mirai`, `rsf`, `dcs`).
    pub source: String,
}

impl Credential {
    pub fn new(user: &str, password: &str, source: &str) -> Credential {
        Credential {
            user: user.to_string(),
            password: password.to_string(),
            source: source.to_string(),
        }
    }

    /// `user:password` with the password shortened, for evidence excerpts.
    pub fn shown(&self) -> String {
        format!(
            "{}:{}",
            self.user,
            if self.password.is_empty() {
                "(empty)"
            } else {
                &self.password
            }
        )
    }
}

/// The curated list with its section tags.
pub fn curated() -> Vec<Credential> {
    let mut section = String::from("list");
    let mut out = vec![];
    for line in baseliner_inspect::creds::DEFAULT_CREDS.lines() {
        let l = line.trim_end_matches('\r');
        if l.starts_with('#') || l.trim().is_empty() {
            continue;
        }
        if let Some(s) = l.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = s.to_string();
            continue;
        }
        if let Some((u, p)) = l.split_once(':') {
            out.push(Credential::new(u, p, &section));
        }
    }
    out
}

/// Firmware credentials first, then the curated list; duplicates (same user and
/// password) dropped; at most `max` entries.
pub fn plan(firmware: &[(String, String)], max: usize) -> Vec<Credential> {
    let mut seen = std::collections::HashSet::new();
    let mut out = vec![];
    let fw = firmware
        .iter()
        .map(|(u, p)| Credential::new(u, p, "firmware"));
    for c in fw.chain(curated()) {
        if c.user.len() > 64 || c.password.len() > 128 {
            continue;
        }
        if seen.insert((c.user.clone(), c.password.clone())) {
            out.push(c);
        }
        if out.len() >= max {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firmware_first_and_no_duplicates() {
        let list = curated();
        assert!(list.len() > 300, "{}", list.len());
        assert_eq!(list[0].source, "mirai");
        let p = plan(
            &[
                ("root".into(), "xc3511".into()),
                ("svc".into(), "s3cret".into()),
            ],
            10_000,
        );
        assert_eq!(p[0].source, "firmware");
        assert_eq!(p[1].password, "s3cret");
        assert_eq!(
            p.iter()
                .filter(|c| c.user == "root" && c.password == "xc3511")
                .count(),
            1
        );
        assert_eq!(plan(&[], 5).len(), 5);
    }
}
