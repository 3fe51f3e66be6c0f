//! Services and attack surface: what starts at boot (inittab, rcS and init.d
//! scripts, OpenWrt procd scripts, systemd units, inetd/xinetd), login-free shells,
//! SNMP communities, serial consoles, debug tools, setuid and world-writable files.

use baseliner_model::Code;
use std::collections::BTreeMap;

use baseliner_model::{Evidence, Finding};
use baseliner_unpack::EntryKind;

use crate::codes::finding;
use crate::context::{Context, text_lines};
use crate::tree::Entry;
use crate::{Check, CheckOutput, Family};

pub struct Services;

/// Evidence items kept per aggregated finding.
const MAX_EVIDENCE: usize = 50;

impl Check for Services {
    fn name(&self) -> &'static str {
        "services"
    }
    fn family(&self) -> Family {
        Family::Services
    }
    fn run(&self, ctx: &Context) -> CheckOutput {
        let mut out = CheckOutput::default();
        out.findings.extend(boot(ctx));
        out.findings.extend(snmp(ctx));
        out.findings.extend(files(ctx));
        out.findings.extend(root_only(ctx));
        out
    }
}

/// Files that start things at boot.
fn is_boot_file(e: &Entry) -> bool {
    let n = e.name();
    n == "inittab"
        || n == "rcS"
        || n == "rc.local"
        || n == "inetd.conf"
        || n.starts_with("rc.") && e.under("etc")
        || e.under("init.d")
        || e.under("rc.d")
        || numbered_init_dir(e)
        || e.under("xinetd.d")
        || e.under("rcS.d")
        || e.under("rc.d/init.d")
        || n.ends_with(".service") && e.under("systemd")
        || e.under("preinit")
}

/// `init0.d`, `rc3.d` and similar vendor variants of the init folders.
fn numbered_init_dir(e: &Entry) -> bool {
    let parent = e.fs_path.rsplit('/').nth(1).unwrap_or("");
    let Some(stem) = parent.strip_suffix(".d") else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    stem.strip_prefix("init").is_some_and(digits) || stem.strip_prefix("rc").is_some_and(digits)
}

/// A daemon class: (binary names, code).
const DAEMONS: &[(&[&str], Code)] = &[
    (&["telnetd", "utelnetd"], Code::Svc001),
    (
        &[
            "ftpd",
            "vsftpd",
            "proftpd",
            "pure-ftpd",
            "bftpd",
            "tftpd",
            "in.tftpd",
            "atftpd",
            "stupid-ftpd",
        ],
        Code::Svc003,
    ),
    (&["adbd", "gdbserver", "dbgserver"], Code::Svc004),
    (
        &["miniupnpd", "upnpd", "upnpd-ng", "mini_upnpd", "igd"],
        Code::Svc005,
    ),
];

/// Other daemons worth listing as boot attack surface.
const OTHER_DAEMONS: &[&str] = &[
    "dropbear",
    "sshd",
    "httpd",
    "lighttpd",
    "uhttpd",
    "boa",
    "goahead",
    "webs",
    "mini_httpd",
    "thttpd",
    "nginx",
    "dnsmasq",
    "udhcpd",
    "snmpd",
    "hostapd",
    "wpa_supplicant",
    "smbd",
    "nmbd",
    "mosquitto",
    "rtspd",
    "onvif",
    "cwmpd",
    "tr069",
    "mdnsd",
    "avahi-daemon",
    "lld2d",
    "inetd",
    "xinetd",
    "netatalk",
    "minidlna",
    "ushare",
    "pppd",
    "zebra",
    "ripd",
    "crond",
];

fn words(line: &str) -> Vec<&str> {
    line.split(|c: char| {
        c.is_whitespace() || c == ';' || c == '&' || c == '|' || c == '"' || c == '\'' || c == '`'
    })
    .filter(|w| !w.is_empty())
    .collect()
}

fn base(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

fn boot(ctx: &Context) -> Vec<Finding> {
    let mut by_code: BTreeMap<Code, Vec<Evidence>> = BTreeMap::new();
    let mut started: BTreeMap<String, Vec<Evidence>> = BTreeMap::new();
    let mut shells = Vec::new();
    let mut consoles = Vec::new();
    let mut inetd = Vec::new();
    let mut fixed_creds = Vec::new();
    for (i, e) in ctx.tree.files() {
        if !is_boot_file(e) || e.size > 1 << 20 {
            continue;
        }
        let is_inetd = e.name() == "inetd.conf" || e.under("xinetd.d");
        let is_inittab = e.name() == "inittab";
        let mut xinetd_disabled = false;
        for (off, line) in text_lines(ctx.data(i)) {
            let l = line.trim();
            if l.starts_with('#') || l.is_empty() {
                continue;
            }
            let ev = || ctx.evidence(i, Some(off as u64), Some(l.to_string()));
            let w = words(l);
            if is_inetd {
                if e.under("xinetd.d") && l.replace(' ', "").eq_ignore_ascii_case("disable=yes") {
                    xinetd_disabled = true;
                }
                if e.name() == "inetd.conf" && w.len() >= 6 {
                    inetd.push(ev());
                }
            }
            if is_inittab {
                // id:runlevels:action:process  (busybox: tty::respawn:/bin/sh)
                let parts: Vec<&str> = l.splitn(4, ':').collect();
                if let Some(process) = parts.get(3) {
                    let action = parts.get(2).copied().unwrap_or("");
                    let cmd = words(process);
                    let first = cmd.first().map(|c| base(c)).unwrap_or("");
                    let shell = matches!(first, "sh" | "ash" | "bash" | "hush" | "msh")
                        || first == "-" && cmd.get(1).is_some_and(|c| base(c).ends_with("sh"));
                    let autologin = (first.contains("getty")
                        && (cmd.contains(&"-n") || cmd.iter().any(|c| c.contains("autologin"))))
                        || process.contains("-l /bin/sh")
                        || process.contains("-l/bin/sh");
                    if (shell
                        && matches!(action, "respawn" | "askfirst" | "once" | "wait" | "sysinit"))
                        || autologin
                    {
                        consoles.push(ev());
                    }
                }
            }
            if l.contains("autologin") && (l.contains("getty") || e.name().ends_with(".service")) {
                consoles.push(ev());
            }
            for (pos, word) in w.iter().enumerate() {
                let b = base(word);
                // A daemon name as a command word, not as part of a path argument or a
                // `killall`/`echo` parameter.
                let prev = pos.checked_sub(1).and_then(|p| w.get(p)).map(|p| base(p));
                if matches!(
                    prev,
                    Some(
                        "killall"
                            | "kill"
                            | "echo"
                            | "rm"
                            | "pidof"
                            | "grep"
                            | "stop"
                            | "-n"
                            | "--name"
                    )
                ) {
                    continue;
                }
                if w.first().is_some_and(|f| {
                    matches!(
                        base(f),
                        "killall" | "kill" | "echo" | "rm" | "pidof" | "grep"
                    )
                }) {
                    break;
                }
                if let Some((_, code)) = DAEMONS.iter().find(|(names, _)| names.contains(&b)) {
                    let shell = l.contains("-l /bin/sh")
                        || l.contains("-l/bin/sh")
                        || l.contains("-l /bin/ash")
                        || l.contains("-l /bin/bash");
                    if *code == Code::Svc001 && shell {
                        shells.push(ev());
                    }
                    if *code == Code::Svc001
                        && let Some(u) =
                            w.iter().position(|x| *x == "-u").and_then(|p| w.get(p + 1))
                        && u.contains(':')
                    {
                        fixed_creds.push(ev());
                    }
                    if !xinetd_disabled {
                        by_code.entry(*code).or_default().push(ev());
                    }
                    started.entry(b.to_string()).or_default().push(ev());
                    break;
                }
                if OTHER_DAEMONS.contains(&b) {
                    started.entry(b.to_string()).or_default().push(ev());
                    break;
                }
            }
            if (l.contains("nc ") || l.contains("netcat")) && l.contains("-e /bin/sh") {
                shells.push(ev());
            }
        }
    }
    let mut findings = Vec::new();
    for (code, mut ev) in by_code {
        ev.truncate(MAX_EVIDENCE);
        let what = match code {
            Code::Svc001 => "telnetd",
            Code::Svc003 => "an FTP/TFTP server",
            Code::Svc004 => "a debug service",
            _ => "a UPnP daemon",
        };
        findings.push(finding(
            code,
            format!(
                "{what} is started by the boot configuration ({} place(s))",
                ev.len()
            ),
            ev,
        ));
    }
    if !shells.is_empty() {
        shells.truncate(MAX_EVIDENCE);
        findings.push(finding(
            Code::Svc002,
            "a network daemon serves a shell without any login",
            shells,
        ));
    }
    if !fixed_creds.is_empty() {
        fixed_creds.truncate(MAX_EVIDENCE);
        findings.push(finding(
            Code::Cred007,
            "telnetd is started with a user and password fixed in the image (`-u user:password`)",
            fixed_creds,
        ));
    }
    if !consoles.is_empty() {
        consoles.truncate(MAX_EVIDENCE);
        findings.push(finding(
            Code::Svc007,
            "a console runs a shell without login, or logs in automatically",
            consoles,
        ));
    }
    if !inetd.is_empty() {
        inetd.truncate(MAX_EVIDENCE);
        findings.push(finding(
            Code::Svc012,
            format!("inetd starts {} service(s) on demand", inetd.len()),
            inetd,
        ));
    }
    for (name, mut ev) in started {
        ev.truncate(8);
        findings.push(finding(
            Code::Svc011,
            format!("`{name}` is started at boot"),
            ev,
        ));
    }
    findings
}

fn snmp(ctx: &Context) -> Vec<Finding> {
    let mut ev = Vec::new();
    for (i, e) in ctx.tree.files() {
        let n = e.name();
        if !(n.starts_with("snmpd") && n.ends_with(".conf") || n == "snmpd" && e.under("config"))
            || e.size > 1 << 20
        {
            continue;
        }
        for (off, line) in text_lines(ctx.data(i)) {
            let l = line.trim();
            if l.starts_with('#') {
                continue;
            }
            let low = l.to_ascii_lowercase();
            let w = words(&low);
            let community_line = w.first().is_some_and(|k| {
                k.starts_with("rocommunity")
                    || k.starts_with("rwcommunity")
                    || *k == "com2sec"
                    || *k == "community"
            }) || low.contains("option community")
                || low.contains("option read")
                || low.contains("option write");
            if community_line && w.iter().any(|x| *x == "public" || *x == "private") {
                ev.push(ctx.evidence(i, Some(off as u64), Some(l.to_string())));
            }
        }
    }
    if ev.is_empty() {
        return Vec::new();
    }
    ev.truncate(MAX_EVIDENCE);
    vec![finding(
        Code::Svc006,
        "SNMP is configured with a default community string",
        ev,
    )]
}

/// Debug tools, setuid/setgid and world-writable files.
fn files(ctx: &Context) -> Vec<Finding> {
    const TOOLS: &[&str] = &[
        "gdbserver",
        "gdb",
        "strace",
        "ltrace",
        "tcpdump",
        "nc",
        "netcat",
        "socat",
        "busybox-telnetd",
        "devmem",
        "devmem2",
    ];
    let mut tools = Vec::new();
    let mut suid = Vec::new();
    let mut ww = Vec::new();
    for (i, e) in ctx.tree.entries.iter().enumerate() {
        let name = e.name();
        if TOOLS.contains(&name) && matches!(e.kind, EntryKind::File | EntryKind::Symlink) {
            let excerpt = e.link_target.as_ref().map(|t| format!("-> {t}"));
            tools.push(ctx.evidence(i, None, excerpt));
        }
        if e.kind == EntryKind::File && e.mode & 0o6000 != 0 {
            suid.push(ctx.evidence(i, None, Some(format!("mode {:o}", e.mode & 0o7777))));
        }
        if e.kind == EntryKind::File && e.mode & 0o002 != 0 {
            ww.push(ctx.evidence(i, None, Some(format!("mode {:o}", e.mode & 0o7777))));
        }
    }
    let mut out = Vec::new();
    for (code, mut ev, what) in [
        (Code::Svc008, tools, "debug or network tool(s) shipped"),
        (Code::Svc009, suid, "file(s) with the setuid or setgid bit"),
        (Code::Svc010, ww, "world-writable file(s)"),
    ] {
        if ev.is_empty() {
            continue;
        }
        let n = ev.len();
        ev.truncate(MAX_EVIDENCE);
        out.push(finding(code, format!("{n} {what}"), ev));
    }
    out
}

/// An account database with root as its only account means no daemon can drop privileges.
fn root_only(ctx: &Context) -> Vec<Finding> {
    let files = ctx.files_ending(&["etc/passwd"]);
    let mut out = Vec::new();
    for i in files {
        let users: Vec<(String, String)> = text_lines(ctx.data(i))
            .into_iter()
            .filter_map(|(_, l)| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() == 7).then(|| (f[0].to_string(), f[2].to_string()))
            })
            .collect();
        if users.is_empty() {
            continue;
        }
        let unpriv = users
            .iter()
            .any(|(_, uid)| uid.parse::<u32>().is_ok_and(|u| u != 0));
        if !unpriv {
            out.push(finding(
                Code::Svc013,
                format!(
                    "{} lists only uid-0 accounts ({}): every daemon runs as root",
                    ctx.entry(i).map(|e| e.fs_path.as_str()).unwrap_or(""),
                    users
                        .iter()
                        .map(|u| u.0.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                vec![ctx.evidence(i, None, None)],
            ));
        }
    }
    out
}
