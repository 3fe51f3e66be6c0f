//! VEX evidence: facts in the image that a CVE does not apply. (The OpenVEX document
//! itself is rendered by `baseliner-report`.)
//!
//! A status other than `affected` needs evidence the tool actually has. The one kind
//! established here is "the vulnerable BusyBox applet is not built in": BusyBox CVEs
//! are nearly all in a single applet, and the applet list is read from the binary.

use baseliner_model::{Component, VexStatus, VulnMatch};

/// BusyBox CVEs and the applets whose code they are in (from each record's description).
const BUSYBOX_APPLETS: &[(&str, &[&str])] = &[
    ("CVE-2016-2147", &["udhcpc"]),
    ("CVE-2016-2148", &["udhcpc"]),
    ("CVE-2017-16544", &["ash"]),
    ("CVE-2018-20679", &["udhcpc", "udhcpd"]),
    ("CVE-2019-5747", &["udhcpc", "udhcpd"]),
    ("CVE-2021-42374", &["unlzma", "lzcat", "lzma"]),
    ("CVE-2021-42375", &["ash"]),
    ("CVE-2021-42376", &["hush"]),
    ("CVE-2021-42377", &["hush"]),
    ("CVE-2021-42378", &["awk"]),
    ("CVE-2021-42379", &["awk"]),
    ("CVE-2021-42380", &["awk"]),
    ("CVE-2021-42381", &["awk"]),
    ("CVE-2021-42382", &["awk"]),
    ("CVE-2021-42383", &["awk"]),
    ("CVE-2021-42384", &["awk"]),
    ("CVE-2021-42385", &["awk"]),
    ("CVE-2021-42386", &["awk"]),
    ("CVE-2022-48174", &["ash"]),
];

/// Marks BusyBox matches `not_affected` where the binary's applet list (`applets`)
/// shows the vulnerable applet is not built in. Matches of other components, and CVEs
/// not in the table, are left as they are. Returns how many were changed.
pub fn busybox_applets(matches: &mut [VulnMatch], component: &str, applets: &[String]) -> usize {
    let mut changed = 0;
    for m in matches.iter_mut().filter(|m| m.component == component) {
        let Some((_, needed)) = BUSYBOX_APPLETS.iter().find(|(id, _)| *id == m.id) else {
            continue;
        };
        if needed.iter().any(|a| applets.iter().any(|b| b == a)) {
            continue;
        }
        m.vex_status = VexStatus::NotAffected;
        m.vex_justification = Some("vulnerable_code_not_present".into());
        m.rule = format!(
            "{}; applet {} not built in ({} applets listed)",
            m.rule,
            needed.join("/"),
            applets.len()
        );
        changed += 1;
    }
    changed
}

/// Component property holding a BusyBox binary's applets, comma-separated (written
/// by the inspect components check).
pub const BUSYBOX_APPLETS_PROPERTY: &str = "busybox:applets";

/// Applies the evidence the components carry to the matches: for every BusyBox
/// component with a [`BUSYBOX_APPLETS_PROPERTY`] list, its matches (same name and version) go
/// through [`busybox_applets`]. A component without the list, or a name and version
/// listed twice with one copy lacking it, gives no evidence. Matches already
/// `not_affected` are left alone, so applying twice changes nothing. Returns how many
/// matches were changed.
pub fn apply_evidence(matches: &mut [VulnMatch], components: &[Component]) -> usize {
    let mut changed = 0;
    for c in components
        .iter()
        .filter(|c| c.name.eq_ignore_ascii_case("busybox"))
    {
        let Some(list) = c.properties.get(BUSYBOX_APPLETS_PROPERTY) else {
            continue;
        };
        let same = |o: &&Component| o.name == c.name && o.version == c.version;
        if components
            .iter()
            .filter(same)
            .any(|o| !o.properties.contains_key(BUSYBOX_APPLETS_PROPERTY))
        {
            continue;
        }
        let applets: Vec<String> = list
            .split(',')
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect();
        if applets.is_empty() {
            continue;
        }
        for m in matches.iter_mut().filter(|m| {
            m.component == c.name
                && m.version == c.version
                && m.vex_status != VexStatus::NotAffected
        }) {
            changed += busybox_applets(std::slice::from_mut(m), &c.name, &applets);
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use baseliner_model::{IdentitySource, VexStatus};

    fn m(id: &str) -> VulnMatch {
        VulnMatch {
            id: id.into(),
            component: "busybox".into(),
            version: "1.01".into(),
            rule: "cpe busybox:busybox versionEndExcluding 1.30.0".into(),
            identity_source: IdentitySource::BinaryString,
            cvss_score: Some(9.8),
            cvss_severity: Some("critical".into()),
            kev: false,
            published: None,
            summary: String::new(),
            vex_status: VexStatus::Affected,
            vex_justification: None,
        }
    }

    #[test]
    fn missing_applet_is_evidence_present_applet_is_not() {
        let mut ms = vec![m("CVE-2021-42386"), m("CVE-2018-20679"), m("CVE-2099-1")];
        let applets: Vec<String> = ["ash", "udhcpc", "sh"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(busybox_applets(&mut ms, "busybox", &applets), 1);
        assert_eq!(ms[0].vex_status, VexStatus::NotAffected);
        assert_eq!(
            ms[0].vex_justification.as_deref(),
            Some("vulnerable_code_not_present")
        );
        assert!(ms[0].rule.contains("applet awk not built in"));
        assert_eq!(ms[1].vex_status, VexStatus::Affected);
        assert_eq!(ms[2].vex_status, VexStatus::Affected);
    }

    fn bb(version: &str, applets: Option<&str>) -> Component {
        Component {
            name: "busybox".into(),
            version: version.into(),
            cpe: None,
            purl: None,
            evidence: vec![],
            properties: applets
                .map(|a| [(BUSYBOX_APPLETS_PROPERTY.to_string(), a.to_string())].into())
                .unwrap_or_default(),
        }
    }

    #[test]
    fn apply_evidence_uses_each_versions_own_list_once() {
        let mut ms = vec![m("CVE-2017-16544"), m("CVE-2016-2148"), m("CVE-2017-16544")];
        ms[2].version = "1.20.0".into();
        let comps = [
            bb("1.01", Some("msh,sh,udhcpc")),
            bb("1.20.0", Some("ash,sh")),
        ];
        assert_eq!(apply_evidence(&mut ms, &comps), 1);
        assert_eq!(ms[0].vex_status, VexStatus::NotAffected);
        assert!(
            ms[0]
                .rule
                .contains("applet ash not built in (3 applets listed)")
        );
        assert_eq!(ms[1].vex_status, VexStatus::Affected);
        assert_eq!(ms[2].vex_status, VexStatus::Affected);
        // Idempotent: the rule is not extended twice.
        let rule = ms[0].rule.clone();
        assert_eq!(apply_evidence(&mut ms, &comps), 0);
        assert_eq!(ms[0].rule, rule);
    }

    #[test]
    fn no_list_or_a_copy_without_one_is_no_evidence() {
        let mut ms = vec![m("CVE-2017-16544")];
        assert_eq!(apply_evidence(&mut ms, &[bb("1.01", None)]), 0);
        let comps = [bb("1.01", Some("msh,sh")), bb("1.01", None)];
        assert_eq!(apply_evidence(&mut ms, &comps), 0);
        assert_eq!(apply_evidence(&mut ms, &[bb("1.01", Some(""))]), 0);
        assert_eq!(ms[0].vex_status, VexStatus::Affected);
    }
}
