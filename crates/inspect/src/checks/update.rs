//! Update mechanism: which update clients are present, whether anything verifies
//! signatures, and downloads that skip TLS verification or use plain HTTP.

use std::collections::{HashMap, HashSet};

use baseliner_model::Code;
use baseliner_model::{Confidence, Evidence};

use crate::codes::finding;
use crate::context::{Context, line_at};
use crate::shell::Script;
use crate::{Check, CheckOutput, Family};

pub struct Update;

const MAX_EVIDENCE: usize = 50;

/// Update clients by file name.
const CLIENTS: &[&str] = &[
    "sysupgrade",
    "opkg",
    "swupdate",
    "rauc",
    "mender",
    "fwupdate",
    "fw_upgrade",
    "firmware_upgrade",
    "upgrade.cgi",
    "upgrade_fw",
    "fwupgrade",
    "upgrade",
    "ota",
    "otad",
    "update_firmware",
    "apk",
    "hawkbit",
    "softwareupdate",
];

const INSECURE: &[&str] = &[
    "--no-check-certificate",
    "curl -k ",
    "curl -sk",
    "curl -ks",
    "curl --insecure",
    "--insecure ",
];

impl Check for Update {
    fn name(&self) -> &'static str {
        "update"
    }
    fn family(&self) -> Family {
        Family::Update
    }
    fn literals(&self) -> &'static [&'static str] {
        &[
            "--no-check-certificate",
            "curl -k ",
            "curl -sk",
            "curl -ks",
            "curl --insecure",
            "--insecure ",
            "http://",
            "usign",
            "fw_verify",
            "verify_signature",
            "signature_verify",
            "check_signature",
        ]
    }
    fn run(&self, ctx: &Context) -> CheckOutput {
        let mut out = CheckOutput::default();
        let mut clients: Vec<Evidence> = Vec::new();
        let mut verify: Vec<Evidence> = Vec::new();
        for (i, e) in ctx.tree.entries.iter().enumerate() {
            let n = e.name();
            let under_bin = e.under("bin")
                || e.under("sbin")
                || e.under("cgi-bin")
                || e.under("www")
                || e.under("webroot");
            if under_bin && CLIENTS.contains(&n) || n.ends_with(".cgi") && n.contains("upgrade") {
                clients.push(ctx.evidence(
                    i,
                    None,
                    e.link_target.as_ref().map(|t| format!("-> {t}")),
                ));
            }
            if e.under("etc/opkg/keys")
                || e.under("etc/swupdate") && n.ends_with(".pem")
                || n == "rauc" && e.under("etc")
                || e.ends_with("etc/rauc/keyring.pem")
                || e.ends_with("usr/share/mender/identity")
                || n == "usign" && under_bin
            {
                verify.push(ctx.evidence(i, None, None));
            }
        }
        for lit in [
            "usign",
            "fw_verify",
            "verify_signature",
            "signature_verify",
            "check_signature",
        ] {
            for h in ctx.hits(lit).iter().take(MAX_EVIDENCE) {
                let is_script = ctx.data(h.file).starts_with(b"#!");
                if is_script && verify.len() < MAX_EVIDENCE {
                    verify.push(ctx.line_evidence(h.file, h.offset));
                }
            }
        }
        if !clients.is_empty() {
            clients.truncate(MAX_EVIDENCE);
            out.findings.push(finding(
                Code::Upd001,
                format!("{} update client(s) present", clients.len()),
                clients.clone(),
            ));
            if verify.is_empty() {
                out.findings.push(finding(
                    Code::Upd003,
                    "no update signature verification key or call was found beside the update client",
                    clients,
                ));
            }
        }
        if !verify.is_empty() {
            verify.truncate(MAX_EVIDENCE);
            out.findings.push(finding(
                Code::Upd002,
                "update signature verification evidence",
                verify,
            ));
        }
        let (insecure, guarded) = insecure_downloads(ctx);
        if !insecure.is_empty() {
            out.findings.push(finding(
                Code::Upd004,
                format!(
                    "{} download command(s) with TLS certificate verification turned off",
                    insecure.len()
                ),
                insecure,
            ));
        }
        if !guarded.is_empty() {
            out.findings.push(
                finding(
                    Code::Upd004,
                    format!(
                        "{} download command(s) that turn TLS certificate verification off only when a configuration setting asks for it",
                        guarded.len()
                    ),
                    guarded,
                )
                .with_confidence(
                    Confidence::Possible,
                    "each command runs only under a configuration test (the condition is in the evidence): certificate checking is off only where the owner or the vendor sets that option, which the image does not show",
                ),
            );
        }
        let mut plain = Vec::new();
        for h in ctx.hits("http://") {
            let data = ctx.data(h.file);
            if !crate::context::is_text(data) || ctx.is_documentation(h.file) {
                continue;
            }
            let (start, line) = line_at(data, h.offset);
            if !is_plain_fetch(&line) {
                continue;
            }
            if plain.len() < MAX_EVIDENCE {
                plain.push(ctx.evidence(h.file, Some(start as u64), Some(line)));
            }
        }
        if !plain.is_empty() {
            out.findings.push(finding(
                Code::Upd005,
                format!(
                    "{} plain-HTTP fetch(es) of updates, packages or firmware",
                    plain.len()
                ),
                plain,
            ));
        }
        out
    }
}

/// Download commands with TLS verification off: those on the default path, and those
/// a shell script runs only under a configuration test (evidence says which test).
fn insecure_downloads(ctx: &Context) -> (Vec<Evidence>, Vec<Evidence>) {
    let mut insecure: Vec<Evidence> = Vec::new();
    let mut guarded: Vec<Evidence> = Vec::new();
    let mut scripts: HashMap<usize, Option<Script>> = HashMap::new();
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    for lit in INSECURE {
        for h in ctx.hits(lit) {
            // A man page or a changelog shows example commands; the device runs none.
            if ctx.is_documentation(h.file) {
                continue;
            }
            let data = ctx.data(h.file);
            let (start, line) = line_at(data, h.offset);
            let binary = !crate::context::is_text(data);
            // In a binary, only a command line that also names wget or curl counts.
            if binary && !(line.contains("wget") || line.contains("curl"))
                || line.trim_start().starts_with('#')
            {
                continue;
            }
            if !seen.insert((h.file, start)) {
                continue;
            }
            let script = scripts
                .entry(h.file)
                .or_insert_with(|| {
                    (!binary && is_shell_script(ctx, h.file)).then(|| Script::parse(&ascii(data)))
                })
                .as_ref();
            match script.and_then(|s| s.config_condition(h.offset)) {
                Some(cond) => {
                    if guarded.len() < MAX_EVIDENCE {
                        guarded.push(ctx.evidence(
                            h.file,
                            Some(start as u64),
                            Some(format!("only when {}: {line}", clip_cond(&cond))),
                        ));
                    }
                }
                None => {
                    if insecure.len() < MAX_EVIDENCE {
                        insecure.push(ctx.evidence(h.file, Some(start as u64), Some(line)));
                    }
                }
            }
        }
    }
    (insecure, guarded)
}

/// The script with every non-ASCII byte as `_`: shell syntax is ASCII, and byte
/// offsets stay those of the file.
fn ascii(data: &[u8]) -> String {
    data.iter()
        .map(|&b| if b < 0x80 { b as char } else { '_' })
        .collect()
}

/// A condition short enough to leave room for the line in an excerpt.
fn clip_cond(c: &str) -> String {
    if c.chars().count() <= 80 {
        return c.to_string();
    }
    let mut s: String = c.chars().take(79).collect();
    s.push('…');
    s
}

/// A shell script: a `#!` line naming a shell, a `.sh` name, or a text file in an
/// init, rc or hotplug folder.
fn is_shell_script(ctx: &Context, i: usize) -> bool {
    let data = ctx.data(i);
    if data.starts_with(b"#!") {
        let first = data.split(|&b| b == b'\n').next().unwrap_or(&[]);
        let first = String::from_utf8_lossy(first);
        return ["sh", "ash", "bash", "dash", "ksh", "zsh", "busybox"]
            .iter()
            .any(|s| {
                first
                    .split(|c: char| c == '/' || c.is_whitespace())
                    .any(|w| w == *s)
            });
    }
    ctx.entry(i).is_some_and(|e| {
        e.name().ends_with(".sh")
            || e.under("init.d")
            || e.under("rc.d")
            || e.under("hotplug.d")
            || e.under("uci-defaults")
    })
}

/// A line that fetches updates, packages or firmware over plain HTTP: a download
/// command or package feed, or a URL whose host or path names an update. XML
/// namespaces, comments and LAN addresses are not fetches.
fn is_plain_fetch(line: &str) -> bool {
    let t = line.trim_start();
    let low = t.to_ascii_lowercase();
    if t.starts_with('#')
        || t.starts_with("<!--")
        || t.starts_with("//")
        || low.contains("xmlns")
        || low.contains("<string>")
        || low.contains("soapaction")
    {
        return false;
    }
    let Some(pos) = low.find("http://") else {
        return false;
    };
    let url: String = low
        .get(pos + 7..)
        .unwrap_or("")
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | '<' | '>' | ')'))
        .collect();
    let host = url.split('/').next().unwrap_or("");
    let local = host.starts_with("127.")
        || host.starts_with("localhost")
        || host.starts_with("192.168.")
        || host.starts_with("10.")
        || host.is_empty()
        || host.contains('$') && host.len() < 3;
    if local {
        return false;
    }
    let command = low.contains("wget ")
        || low.contains("curl ")
        || low.starts_with("src/gz ")
        || low.starts_with("src ");
    let names_update = [
        "update", "upgrade", "firmware", "/fw", "fw.", "ota", "download", ".bin", ".img", ".trx",
        ".ipk",
    ]
    .iter()
    .any(|w| url.contains(w));
    command || names_update
}

#[cfg(test)]
mod tests {
    use super::is_plain_fetch;

    #[test]
    fn plain_fetches() {
        assert!(is_plain_fetch(
            "wget http://dl.example.com/x.tar.gz -O /tmp/x"
        ));
        assert!(is_plain_fetch(
            "src/gz base http://downloads.openwrt.org/releases/packages"
        ));
        assert!(is_plain_fetch("fw_url=http://update.vendor.com/check"));
        assert!(!is_plain_fetch(
            "<GetFirmwareSettingsResponse xmlns=\"http://purenetworks.com/HNAP1/\">"
        ));
        assert!(!is_plain_fetch(
            "# Wiki: http://www.protocolinfo.org/wiki/TFTP"
        ));
        assert!(!is_plain_fetch("wget http://192.168.0.1/cgi"));
    }
}
