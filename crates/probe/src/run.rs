//! The probe: scan, identify, audit, try credentials, measure brute-force
//! protection, and turn what was seen into findings and live tests.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use baseliner_model::{
    Code, Component, Confidence, Evidence, Finding, IdentitySource, LiveEvidence, LiveTest,
    TestOutcome,
};

use crate::budget::Budget;
use crate::creds::{self, Credential};
use crate::http::{self, Auth};
use crate::keys::FirmwareKey;
use crate::scan::{self, PortSet};
use crate::target::Target;
use crate::telnet::Login;
use crate::{ftp, snmp, ssh, telnet, tls, udp, wire};

/// How a probe runs. The defaults suit a device on a lab bench.
#[derive(Debug, Clone)]
pub struct Options {
    pub ports: PortSet,
    /// TCP connections in flight during the scan.
    pub concurrency: usize,
    /// New TCP connections per second during the scan.
    pub rate: u32,
    /// The whole probe's time budget.
    pub budget: Duration,
    /// Credentials tried per login service at most.
    pub max_credentials: usize,
    /// Pause between two login attempts on one service.
    pub attempt_delay: Duration,
    /// Failed logins per service in the brute-force test.
    pub brute_attempts: usize,
    /// Time one service's credential or brute-force series may take.
    pub service_budget: Duration,
    /// Credentials the firmware analysis recovered (tried first).
    pub firmware_credentials: Vec<(String, String)>,
    /// Public-key identities of private keys shipped in the firmware.
    pub firmware_keys: Vec<FirmwareKey>,
    /// Skip the UDP checks (SNMP, SSDP, mDNS).
    pub no_udp: bool,
    /// Raised by the caller (Ctrl-C) to stop the probe at the next step.
    pub stop: Arc<AtomicBool>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            ports: PortSet::Common,
            concurrency: 64,
            rate: 500,
            budget: Duration::from_secs(900),
            max_credentials: 10_000,
            attempt_delay: Duration::from_millis(100),
            brute_attempts: 8,
            service_budget: Duration::from_secs(240),
            firmware_credentials: vec![],
            firmware_keys: vec![],
            no_udp: false,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }
}

/// Progress of a probe, for a caller that shows it.
pub trait Progress: Sync {
    fn step(&self, _msg: &str) {}
}

/// Shows nothing.
pub struct Silent;
impl Progress for Silent {}

/// What a dry run would do, one line per action.
#[derive(Debug, Clone)]
pub struct Plan {
    pub lines: Vec<String>,
    pub credentials: Vec<Credential>,
}

/// Lists what a probe would send, without sending anything.
pub fn plan(t: &Target, o: &Options) -> Plan {
    let list = creds::plan(&o.firmware_credentials, o.max_credentials);
    let ports = o.ports.ports();
    let mut lines = vec![
        format!(
            "target {} ({}) only; no other address is contacted",
            t.name, t.addr
        ),
        format!(
            "TCP connect scan of {} ({} ports), {} in flight, at most {} per second",
            o.ports.describe(),
            ports.len(),
            o.concurrency,
            o.rate
        ),
        "per open port: banner read, HTTP GET /, TLS ClientHello to identify the service".into(),
        "SSH: KEXINIT algorithm lists, host key, login methods".into(),
        "TLS: ClientHello for SSL 3.0, TLS 1.0, 1.1, 1.2, 1.3 and for weak suites; certificate"
            .into(),
        format!(
            "HTTP: {} well-known configuration/status paths",
            http::OPEN_PAGES.len()
        ),
        format!(
            "login services (telnet, SSH with passwords, FTP, HTTP basic/digest/form): up to {} credentials each ({} from the firmware), {} ms apart, stop at the first success",
            list.len(),
            list.iter().filter(|c| c.source == "firmware").count(),
            o.attempt_delay.as_millis()
        ),
        format!(
            "brute-force test: {} failed logins per login service, timing each",
            o.brute_attempts
        ),
    ];
    if !o.no_udp {
        lines.push(format!(
            "UDP to {} only: SNMP GET sysDescr.0 with communities {}; SSDP M-SEARCH to port 1900; mDNS query to port 5353",
            t.addr,
            snmp::COMMUNITIES.join(", ")
        ));
    }
    lines.push(format!("time budget {} s", o.budget.as_secs()));
    Plan {
        lines,
        credentials: list,
    }
}

/// A probe's result.
#[derive(Debug, Clone)]
pub struct ProbeReport {
    pub live: LiveEvidence,
    /// Open TCP ports with the service identified on each.
    pub services: Vec<(u16, String)>,
    pub interrupted: bool,
    pub budget_spent: bool,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ssh,
    Telnet,
    Ftp,
    Http,
    Tls,
    Other,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Ssh => "ssh",
            Kind::Telnet => "telnet",
            Kind::Ftp => "ftp",
            Kind::Http => "http",
            Kind::Tls => "tls",
            Kind::Other => "tcp",
        }
    }
}

struct Service {
    port: u16,
    kind: Kind,
    /// Greeting or headers: what an unauthenticated client sees first.
    banner: String,
    root: Option<http::Response>,
}

/// A login service: where passwords are accepted.
#[derive(Clone)]
enum LoginSvc {
    Telnet(u16),
    Ssh(u16),
    Ftp(u16),
    Http(u16, String, Auth),
}

impl LoginSvc {
    fn port(&self) -> u16 {
        match self {
            LoginSvc::Telnet(p) | LoginSvc::Ssh(p) | LoginSvc::Ftp(p) | LoginSvc::Http(p, ..) => *p,
        }
    }
    fn proto(&self) -> &'static str {
        match self {
            LoginSvc::Telnet(_) => "telnet",
            LoginSvc::Ssh(_) => "ssh",
            LoginSvc::Ftp(_) => "ftp",
            LoginSvc::Http(..) => "http",
        }
    }
    fn describe(&self) -> String {
        match self {
            LoginSvc::Http(p, path, a) => format!(
                "http/{p} {path} ({})",
                match a {
                    Auth::Basic { .. } => "basic",
                    Auth::Digest { .. } => "digest",
                    Auth::Form { .. } => "form",
                }
            ),
            s => format!("{}/{}", s.proto(), s.port()),
        }
    }
    fn attempt(&self, t: &Target, c: &Credential, b: &Budget) -> Login {
        match self {
            LoginSvc::Telnet(p) => telnet::login(t, *p, &c.user, &c.password, b),
            LoginSvc::Ssh(p) => ssh::login(t, *p, &c.user, &c.password, b),
            LoginSvc::Ftp(p) => ftp::login(t, *p, &c.user, &c.password, b),
            LoginSvc::Http(p, path, a) => http::login(t, *p, path, a, &c.user, &c.password, b),
        }
    }
}

struct Ctx<'a> {
    t: &'a Target,
    o: &'a Options,
    b: Budget,
    findings: Vec<Finding>,
    tests: Vec<LiveTest>,
    components: Vec<Component>,
}

impl Ctx<'_> {
    fn ev(&self, port: u16, proto: &str, excerpt: impl Into<String>) -> Evidence {
        Evidence {
            provenance: self.t.provenance(port, proto),
            excerpt: Some(excerpt.into()).filter(|e: &String| !e.is_empty()),
            host: Some(self.t.addr.to_string()),
            port: Some(port),
            protocol: Some(proto.to_string()),
            time: Some(baseliner_model::now_rfc3339()),
            ..Default::default()
        }
    }
    fn find(&mut self, code: Code, detail: String, ev: Vec<Evidence>) {
        self.findings.push(Finding::new(code, detail, ev));
    }
    // One call per test, each argument a field of the LiveTest it records.
    #[allow(clippy::too_many_arguments)]
    fn test(
        &mut self,
        id: &str,
        title: &str,
        scope: String,
        outcome: TestOutcome,
        findings: Vec<Code>,
        details: Vec<String>,
        started: (String, Instant),
    ) {
        let mut codes = findings;
        codes.sort();
        codes.dedup();
        self.tests.push(LiveTest {
            id: id.into(),
            title: title.into(),
            host: self.t.addr.to_string(),
            scope,
            outcome,
            findings: if outcome == TestOutcome::Passed {
                vec![]
            } else {
                codes
            },
            details,
            started: started.0,
            duration_ms: started.1.elapsed().as_millis() as u64,
        });
    }
}

fn now() -> (String, Instant) {
    (baseliner_model::now_rfc3339(), Instant::now())
}

/// Runs every check against `t`. Never contacts another address.
pub fn probe(t: &Target, o: &Options, progress: &dyn Progress) -> ProbeReport {
    let started = Instant::now();
    let mut cx = Ctx {
        t,
        o,
        b: Budget::new(o.budget, o.stop.clone()),
        findings: vec![],
        tests: vec![],
        components: vec![],
    };

    // 1. Ports.
    let st = now();
    let ports = o.ports.ports();
    progress.step(&format!("scanning {}", o.ports.describe()));
    let scan = scan::tcp(t, &ports, o.concurrency, o.rate, &cx.b);
    let scan_complete = scan.complete;
    for &p in &scan.open {
        let ev = cx.ev(p, "tcp", format!("port {p}/tcp accepted a connection"));
        cx.find(Code::Net013, format!("TCP port {p} is open"), vec![ev]);
    }

    // 2. Services.
    let mut services = vec![];
    for &p in &scan.open {
        if cx.b.over() {
            break;
        }
        progress.step(&format!("identifying the service on port {p}"));
        services.push(identify(t, p, &cx.b));
    }
    let mut details = vec![format!(
        "open: {}",
        if scan.open.is_empty() {
            "none".to_string()
        } else {
            services
                .iter()
                .map(|s| format!("{}/{}", s.port, s.kind.name()))
                .collect::<Vec<_>>()
                .join(", ")
        }
    )];
    if scan.silent > 0 {
        details.push(format!(
            "{} ports neither accepted nor refused (filtered)",
            scan.silent
        ));
    }
    let open_scope = format!("{} of {}", o.ports.describe(), t.addr);
    cx.test(
        "open-ports",
        "TCP ports open on the device",
        open_scope.clone(),
        if scan_complete && scan.silent == 0 {
            TestOutcome::Passed
        } else {
            TestOutcome::Incomplete
        },
        vec![],
        details,
        st,
    );

    // 3. UDP services.
    let mut udp_banners: Vec<(u16, String, String)> = vec![];
    let mut snmp_hit = None;
    if !o.no_udp && !cx.b.over() {
        progress.step("SNMP, SSDP and mDNS at the device's address");
        let mut communities: Vec<String> =
            snmp::COMMUNITIES.iter().map(|s| s.to_string()).collect();
        for (_, p) in &o.firmware_credentials {
            if !p.is_empty() && !communities.contains(p) && communities.len() < 16 {
                communities.push(p.clone());
            }
        }
        if let Some(a) = snmp::check(t, 161, &communities, &cx.b) {
            let ev = cx.ev(
                161,
                "snmp",
                format!(
                    "{} community `{}` answered sysDescr.0 = {}",
                    a.version,
                    a.community,
                    wire::excerpt(a.descr.as_bytes(), 120, None)
                ),
            );
            cx.find(
                Code::Net013,
                "UDP port 161 (SNMP) answers".into(),
                vec![ev.clone()],
            );
            cx.find(
                Code::Net002,
                format!(
                    "the SNMP agent answers SNMP{} requests with the default community `{}`",
                    a.version, a.community
                ),
                vec![ev],
            );
            snmp_hit = Some(a.community.clone());
        }
        if let Some(s) = udp::ssdp(t, &cx.b) {
            let mut ex = wire::excerpt(s.reply.as_bytes(), 200, None);
            if let Some((port, path)) = s
                .location
                .as_deref()
                .and_then(|l| udp::location_on_target(t, l))
                && let Some(r) = http::request(t, port, "GET", &path, &[], None, &cx.b)
            {
                let xml = String::from_utf8_lossy(&r.body);
                let facts: Vec<String> = [
                    "manufacturer",
                    "modelName",
                    "modelNumber",
                    "serialNumber",
                    "friendlyName",
                ]
                .iter()
                .filter_map(|k| udp::xml_value(&xml, k).map(|v| format!("{k}={v}")))
                .collect();
                if !facts.is_empty() {
                    ex = format!("{ex} | description {path}: {}", facts.join(", "));
                }
            }
            let ev = cx.ev(1900, "ssdp", ex);
            cx.find(
                Code::Net014,
                "the device answers SSDP M-SEARCH (UPnP discovery) on UDP port 1900".into(),
                vec![ev],
            );
            if let Some(server) = s.server {
                udp_banners.push((1900, "ssdp".into(), format!("SERVER: {server}")));
            }
        }
        if let Some(names) = udp::mdns(t, &cx.b) {
            let ev = cx.ev(
                5353,
                "mdns",
                format!("answered a DNS-SD query: {}", names.join(", ")),
            );
            cx.find(
                Code::Net014,
                "the device answers mDNS (DNS-SD) queries on UDP port 5353".into(),
                vec![ev],
            );
        }
    }

    // 4. Version disclosure.
    let st = now();
    let mut disclosed = vec![];
    let mut seen_banners = 0;
    let all_banners: Vec<(u16, String, String)> = services
        .iter()
        .map(|s| (s.port, s.kind.name().to_string(), s.banner.clone()))
        .chain(udp_banners)
        .collect();
    for (port, proto, banner) in &all_banners {
        if banner.is_empty() {
            continue;
        }
        seen_banners += 1;
        let found = baseliner_inspect::checks::components::identify_banner(banner.as_bytes());
        let generic = versions_in(banner);
        if found.is_empty() && generic.is_empty() {
            continue;
        }
        let ev = cx.ev(*port, proto, wire::excerpt(banner.as_bytes(), 200, None));
        for (name, version, cpe, purl) in &found {
            cx.components.push(Component {
                name: name.clone(),
                version: version.clone(),
                cpe: Some(cpe.clone()),
                purl: Some(purl.clone()),
                evidence: vec![ev.clone()],
                properties: [(
                    "identity_source".to_string(),
                    IdentitySource::Network.as_str().to_string(),
                )]
                .into(),
            });
        }
        let named: Vec<String> = found
            .iter()
            .map(|f| format!("{} {}", f.0, f.1))
            .chain(generic)
            .collect();
        cx.find(
            Code::Net004,
            format!(
                "{proto}/{port} discloses {} before authentication",
                named.join(", ")
            ),
            vec![ev],
        );
        disclosed.push(Code::Net004);
    }
    let vd_complete = scan_complete && services.len() == scan.open.len();
    cx.test(
        "version-disclosure",
        "No banner, header or unauthenticated page discloses a software version",
        format!(
            "{} banner(s) and headers of {} open port(s) ({open_scope}){}",
            seen_banners,
            services.len(),
            if o.no_udp { "" } else { ", SSDP" }
        ),
        if !disclosed.is_empty() {
            TestOutcome::Failed
        } else if vd_complete {
            TestOutcome::Passed
        } else {
            TestOutcome::Incomplete
        },
        disclosed,
        vec![],
        st,
    );

    // 5. Clear-text services and HTTP pages.
    let st = now();
    let mut clear = vec![];
    let mut logins: Vec<LoginSvc> = vec![];
    for s in &services {
        match s.kind {
            Kind::Telnet => {
                let ev = cx.ev(
                    s.port,
                    "telnet",
                    wire::excerpt(s.banner.as_bytes(), 160, None),
                );
                cx.find(
                    Code::Net005,
                    format!("telnet on port {} carries logins in clear text", s.port),
                    vec![ev],
                );
                clear.push(Code::Net005);
                logins.push(LoginSvc::Telnet(s.port));
            }
            Kind::Ftp => {
                let ev = cx.ev(s.port, "ftp", wire::excerpt(s.banner.as_bytes(), 160, None));
                cx.find(
                    Code::Net005,
                    format!("FTP on port {} carries logins in clear text", s.port),
                    vec![ev],
                );
                clear.push(Code::Net005);
                logins.push(LoginSvc::Ftp(s.port));
            }
            Kind::Http => {
                let Some(root) = &s.root else { continue };
                if let Some(a) = http::auth_of(root, "/") {
                    let how = match &a {
                        Auth::Basic { .. } => "basic authentication",
                        Auth::Digest { .. } => "digest authentication",
                        Auth::Form { .. } => "a login form with a password field",
                    };
                    let ex = wire::excerpt(
                        root.head
                            .lines()
                            .take(4)
                            .collect::<Vec<_>>()
                            .join(" | ")
                            .as_bytes(),
                        200,
                        None,
                    );
                    let ev = cx.ev(s.port, "http", ex);
                    let detail = if matches!(a, Auth::Digest { .. }) {
                        format!(
                            "plain HTTP on port {} asks for a password with {how}: the exchange is not encrypted",
                            s.port
                        )
                    } else {
                        format!(
                            "plain HTTP on port {} asks for a password with {how}, which crosses the network in clear text",
                            s.port
                        )
                    };
                    cx.find(Code::Net005, detail, vec![ev]);
                    clear.push(Code::Net005);
                    logins.push(LoginSvc::Http(s.port, "/".into(), a));
                }
                open_pages(&mut cx, s);
            }
            _ => {}
        }
    }
    cx.test(
        "cleartext-services",
        "No service takes a password without encryption",
        format!("telnet, FTP and plain-HTTP logins on {open_scope}"),
        if !clear.is_empty() {
            TestOutcome::Failed
        } else if vd_complete {
            TestOutcome::Passed
        } else {
            TestOutcome::Incomplete
        },
        clear,
        vec![],
        st,
    );

    // 6. SSH audit.
    let st = now();
    let mut ssh_codes = vec![];
    let mut ssh_details = vec![];
    let mut ssh_ok = true;
    for s in services.iter().filter(|s| s.kind == Kind::Ssh) {
        if cx.b.over() {
            ssh_ok = false;
            break;
        }
        progress.step(&format!("auditing SSH on port {}", s.port));
        match ssh::offer(t, s.port, &cx.b) {
            Some(off) => {
                let weak = ssh::weak(&off);
                ssh_details.push(format!(
                    "ssh/{}: kex {}; host keys {}; ciphers {}; MACs {}",
                    s.port,
                    off.kex.join(","),
                    off.host_key.join(","),
                    off.ciphers.join(","),
                    off.macs.join(",")
                ));
                if !weak.is_empty() {
                    let names: Vec<String> =
                        weak.iter().map(|(n, why)| format!("{n} ({why})")).collect();
                    let ev = cx.ev(
                        s.port,
                        "ssh",
                        format!(
                            "{} offers {}",
                            off.banner,
                            weak.iter()
                                .map(|w| w.0.as_str())
                                .collect::<Vec<_>>()
                                .join(",")
                        ),
                    );
                    cx.find(
                        Code::Net010,
                        format!("SSH on port {} offers {}", s.port, names.join("; ")),
                        vec![ev],
                    );
                    ssh_codes.push(Code::Net010);
                }
            }
            None => {
                ssh_ok = false;
                ssh_details.push(format!("ssh/{}: no KEXINIT received", s.port));
            }
        }
        let sess = ssh::session(t, s.port, &cx.b);
        if let Some(id) = &sess.host_key {
            if let Some(k) = o.firmware_keys.iter().find(|k| &k.id == id) {
                let ev = cx.ev(
                    s.port,
                    "ssh",
                    format!("host key {id} = firmware key {}", k.provenance),
                );
                cx.find(Code::Net011, format!("the SSH host key on port {} is the public half of the private key shipped in the firmware at {}", s.port, k.provenance), vec![ev]);
                ssh_codes.push(Code::Net011);
            }
            ssh_details.push(format!("ssh/{}: host key {id}", s.port));
        } else if !o.firmware_keys.is_empty() {
            ssh_details.push(format!("ssh/{}: the host key could not be read ({}), so it was not compared with the firmware's keys", s.port, sess.error.clone().unwrap_or_default()));
        }
        if sess.password_offered == Some(true) {
            logins.push(LoginSvc::Ssh(s.port));
        } else if let Some(e) = &sess.error {
            ssh_details.push(format!("ssh/{}: login methods not known ({e})", s.port));
            ssh_ok = false;
        } else {
            ssh_details.push(format!("ssh/{}: no password login offered", s.port));
        }
    }
    let n_ssh = services.iter().filter(|s| s.kind == Kind::Ssh).count();
    cx.test(
        "ssh-audit",
        "SSH offers only current algorithms and a host key unique to the unit",
        format!("{n_ssh} SSH service(s) on {open_scope}"),
        if !ssh_codes.is_empty() {
            TestOutcome::Failed
        } else if ssh_ok && vd_complete {
            TestOutcome::Passed
        } else {
            TestOutcome::Incomplete
        },
        ssh_codes,
        ssh_details,
        st,
    );

    // 7. TLS audit.
    let st = now();
    let mut tls_codes = vec![];
    let mut tls_details = vec![];
    let mut tls_ok = true;
    for s in services.iter().filter(|s| s.kind == Kind::Tls) {
        if cx.b.over() {
            tls_ok = false;
            break;
        }
        progress.step(&format!("auditing TLS on port {}", s.port));
        let (versions, with_cert) = tls::versions(t, s.port, &cx.b);
        let names: Vec<&str> = versions.iter().map(|v| tls::version_name(*v)).collect();
        tls_details.push(format!(
            "tls/{}: accepts {}",
            s.port,
            if names.is_empty() {
                "nothing we offered".into()
            } else {
                names.join(", ")
            }
        ));
        let old: Vec<&str> = versions
            .iter()
            .filter(|v| **v < tls::TLS12)
            .map(|v| tls::version_name(*v))
            .collect();
        if !old.is_empty() {
            let ev = cx.ev(s.port, "tls", format!("ServerHello for {}", old.join(", ")));
            cx.find(
                Code::Net006,
                format!("TLS on port {} accepts {}", s.port, old.join(", ")),
                vec![ev],
            );
            tls_codes.push(Code::Net006);
        }
        if let Some(&max12) = versions.iter().filter(|v| **v <= tls::TLS12).max() {
            let weak: Vec<u16> = tls::WEAK.iter().map(|w| w.0).collect();
            if let Some(h) = tls::hello(t, s.port, max12, &weak, &cx.b)
                && let (Some(v), Some(suite)) = (h.version, h.suite)
                && let Some(fam) = tls::weak_family(suite)
            {
                let ev = cx.ev(
                    s.port,
                    "tls",
                    format!("{} chose suite 0x{suite:04x} ({fam})", tls::version_name(v)),
                );
                cx.find(Code::Net007, format!("TLS on port {} chose the {fam} suite 0x{suite:04x} when offered only weak suites", s.port), vec![ev]);
                tls_codes.push(Code::Net007);
            }
        }
        match with_cert
            .as_ref()
            .and_then(|h| h.certs.first())
            .and_then(|c| tls::cert_facts(c))
        {
            Some(f) => {
                tls_details.push(format!(
                    "tls/{}: certificate {} ({} {} bits, {}, until {}{})",
                    s.port,
                    f.subject,
                    f.key,
                    f.key_bits.unwrap_or(0),
                    f.sig_alg,
                    f.not_after,
                    if f.self_signed { ", self-signed" } else { "" }
                ));
                let ex = format!(
                    "certificate {}: {} {} bits, {}",
                    f.subject,
                    f.key,
                    f.key_bits.unwrap_or(0),
                    f.sig_alg
                );
                if !f.weak.is_empty() {
                    let ev = cx.ev(s.port, "tls", ex.clone());
                    cx.find(
                        Code::Net008,
                        format!(
                            "the certificate on port {} has {}",
                            s.port,
                            f.weak.join(", ")
                        ),
                        vec![ev],
                    );
                    tls_codes.push(Code::Net008);
                }
                if f.self_signed {
                    let ev = cx.ev(s.port, "tls", ex.clone());
                    cx.find(
                        Code::Net009,
                        format!(
                            "the certificate on port {} ({}) is self-signed",
                            s.port, f.subject
                        ),
                        vec![ev],
                    );
                }
                if let Some(id) = &f.key_id
                    && let Some(k) = o.firmware_keys.iter().find(|k| &k.id == id)
                {
                    let ev = cx.ev(
                        s.port,
                        "tls",
                        format!("certificate key {id} = firmware key {}", k.provenance),
                    );
                    cx.find(Code::Net011, format!("the TLS certificate key on port {} is the public half of the private key shipped in the firmware at {}", s.port, k.provenance), vec![ev]);
                    tls_codes.push(Code::Net011);
                }
            }
            None => {
                tls_details.push(format!("tls/{}: no certificate seen in clear (TLS 1.3 only, or none sent); key size, signature and firmware key not checked", s.port));
                tls_ok = false;
            }
        }
    }
    let n_tls = services.iter().filter(|s| s.kind == Kind::Tls).count();
    cx.test(
        "tls-audit",
        "TLS offers only current versions and suites and a sound certificate",
        format!("{n_tls} TLS service(s) on {open_scope}"),
        if !tls_codes.is_empty() {
            TestOutcome::Failed
        } else if tls_ok && vd_complete {
            TestOutcome::Passed
        } else {
            TestOutcome::Incomplete
        },
        tls_codes,
        tls_details,
        st,
    );

    // 8. Default credentials.
    let st = now();
    let list = creds::plan(&o.firmware_credentials, o.max_credentials);
    let mut cred_codes = vec![];
    let mut cred_details = vec![];
    let mut cred_complete = vd_complete;
    let mut valid: Vec<(String, Credential)> = vec![];
    for svc in &logins {
        if cx.b.over() {
            cred_complete = false;
            break;
        }
        progress.step(&format!(
            "trying {} credentials on {}",
            list.len(),
            svc.describe()
        ));
        let sb = cx.b.slice(o.service_budget);
        let (mut tried, mut unclear) = (0usize, 0usize);
        let mut hit = None;
        for c in &list {
            if sb.over() {
                break;
            }
            tried += 1;
            match svc.attempt(t, c, &sb) {
                Login::Success(tr) => {
                    hit = Some((c.clone(), tr));
                    break;
                }
                Login::Rejected { .. } => {}
                Login::Unclear(_) | Login::Refused(_) => unclear += 1,
            }
            sb.sleep(o.attempt_delay);
        }
        match hit {
            Some((c, tr)) => {
                let form = matches!(svc, LoginSvc::Http(_, _, Auth::Form { .. }));
                let ev = cx.ev(svc.port(), svc.proto(), format!("{} → {}", c.shown(), tr));
                let mut f = Finding::new(
                    Code::Net001,
                    format!(
                        "{} accepted `{}` ({} credential) after {tried} attempt(s)",
                        svc.describe(),
                        c.shown(),
                        c.source
                    ),
                    vec![ev],
                );
                if form {
                    f = f.with_confidence(Confidence::Likely, "a login form's answer changed the way a session starts (new cookie or redirect); the page after it was not inspected");
                }
                cx.findings.push(f);
                cred_codes.push(Code::Net001);
                cred_details.push(format!(
                    "{}: `{}` worked after {tried} attempt(s)",
                    svc.describe(),
                    c.user
                ));
                valid.push((svc.describe(), c));
            }
            None => {
                let whole = tried == list.len() && unclear == 0;
                if !whole {
                    cred_complete = false;
                }
                cred_details.push(format!(
                    "{}: {tried} of {} credentials refused{}",
                    svc.describe(),
                    list.len(),
                    if unclear > 0 {
                        format!(", {unclear} answer(s) not understood")
                    } else {
                        String::new()
                    }
                ));
            }
        }
    }
    if let Some(c) = &snmp_hit {
        cred_codes.push(Code::Net002);
        cred_details.push(format!("snmp/161: community `{c}` answered"));
    }
    cx.test(
        "default-credentials",
        "No service accepts a default credential",
        format!(
            "{} login service(s) ({}) on {open_scope}, {} credential pairs each ({} from the firmware){}",
            logins.len(),
            logins.iter().map(LoginSvc::describe).collect::<Vec<_>>().join(", "),
            list.len(),
            list.iter().filter(|c| c.source == "firmware").count(),
            if o.no_udp { String::new() } else { format!(", SNMP communities {}", snmp::COMMUNITIES.join("/")) }
        ),
        if !cred_codes.is_empty() { TestOutcome::Failed } else if cred_complete { TestOutcome::Passed } else { TestOutcome::Incomplete },
        cred_codes,
        cred_details,
        st,
    );

    // 9. Brute-force protection.
    let st = now();
    let mut bf_codes = vec![];
    let mut bf_details = vec![];
    let mut bf_complete = vd_complete;
    for svc in &logins {
        if cx.b.over() {
            bf_complete = false;
            break;
        }
        progress.step(&format!(
            "{} failed logins on {}",
            o.brute_attempts,
            svc.describe()
        ));
        let known = valid
            .iter()
            .find(|(d, _)| *d == svc.describe())
            .map(|(_, c)| c.clone());
        match brute(&cx, svc, known.as_ref()) {
            Brute::Unprotected(times) => {
                let ev = cx.ev(
                    svc.port(),
                    svc.proto(),
                    format!(
                        "{} failed logins answered in {}",
                        times.len(),
                        ms_list(&times)
                    ),
                );
                cx.find(
                    Code::Net003,
                    format!(
                        "{}: {} failed logins in a row met no growing delay and no lockout",
                        svc.describe(),
                        times.len()
                    ),
                    vec![ev],
                );
                bf_codes.push(Code::Net003);
                bf_details.push(format!(
                    "{}: unprotected ({})",
                    svc.describe(),
                    ms_list(&times)
                ));
            }
            Brute::Protected(why) => bf_details.push(format!("{}: {why}", svc.describe())),
            Brute::Unknown(why) => {
                bf_complete = false;
                bf_details.push(format!("{}: not shown either way: {why}", svc.describe()));
            }
        }
    }
    if logins.is_empty() {
        bf_details.push("no service that takes a password was found".into());
    }
    cx.test(
        "brute-force",
        "Repeated failed logins are slowed down or locked out",
        format!(
            "{} login service(s) on {open_scope}, {} failed logins each",
            logins.len(),
            o.brute_attempts
        ),
        if !bf_codes.is_empty() {
            TestOutcome::Failed
        } else if bf_complete {
            TestOutcome::Passed
        } else {
            TestOutcome::Incomplete
        },
        bf_codes,
        bf_details,
        st,
    );

    let interrupted = o.stop.load(std::sync::atomic::Ordering::Relaxed);
    let budget_spent = cx.b.over() && !interrupted;
    if interrupted || budget_spent {
        let why = if interrupted {
            "interrupted"
        } else {
            "time budget spent"
        };
        for t in &mut cx.tests {
            if t.outcome == TestOutcome::Passed {
                t.outcome = TestOutcome::Incomplete;
                t.details
                    .insert(0, format!("the probe was {why} before every test finished"));
            }
        }
    }
    ProbeReport {
        live: LiveEvidence {
            host: t.addr.to_string(),
            findings: cx.findings,
            tests: cx.tests,
            components: cx.components,
        },
        services: services
            .iter()
            .map(|s| (s.port, s.kind.name().to_string()))
            .collect(),
        interrupted,
        budget_spent,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

fn ms_list(t: &[Duration]) -> String {
    t.iter()
        .map(|d| format!("{} ms", d.as_millis()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Tokens such as `lighttpd/1.4.69`, `dropbear_2022.83`, `Linux/3.10`: a product
/// name followed by a dotted version. Protocol versions (`HTTP/1.1`, `UPnP/1.0`,
/// `SSH-2.0`) are not software versions.
fn versions_in(text: &str) -> Vec<String> {
    const PROTOCOLS: &[&str] = &[
        "http", "upnp", "ssh", "dlnadoc", "rtsp", "sip", "tls", "ssl", "smtp",
    ];
    let mut out = vec![];
    for tok in text.split(|c: char| c.is_whitespace() || ",;()[]\"'<>".contains(c)) {
        let tok = tok
            .trim_start_matches("SSH-2.0-")
            .trim_start_matches("SSH-1.99-");
        let Some(i) = tok.find(['/', '_']) else {
            continue;
        };
        let (name, ver) = (&tok[..i], tok[i + 1..].trim_start_matches(['v', 'V']));
        if name.len() < 2
            || !name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            || PROTOCOLS.contains(&name.to_ascii_lowercase().as_str())
        {
            continue;
        }
        let mut parts = ver.split('.');
        let digits = |s: Option<&str>| {
            s.is_some_and(|s| {
                !s.is_empty() && s.chars().take_while(|c| c.is_ascii_digit()).count() > 0
            })
        };
        if digits(parts.next()) && digits(parts.next()) && out.len() < 8 {
            out.push(tok.chars().take(60).collect());
        }
    }
    out
}

/// Identifies the service on an open port: a greeting first (SSH, FTP, telnet
/// talk first), then HTTP, then a TLS ClientHello.
fn identify(t: &Target, port: u16, b: &Budget) -> Service {
    let mut s = Service {
        port,
        kind: Kind::Other,
        banner: String::new(),
        root: None,
    };
    let hello = match wire::connect(b, t.sock(port), Duration::from_secs(3)) {
        Ok(mut c) => wire::read_until(&mut c, b, Duration::from_millis(2000), 4096, |buf| {
            buf.contains(&b'\n') || buf.windows(6).any(|w| w.eq_ignore_ascii_case(b"login:"))
        }),
        Err(_) => vec![],
    };
    if hello.starts_with(b"SSH-") {
        s.kind = Kind::Ssh;
        s.banner = String::from_utf8_lossy(hello.split(|&c| c == b'\n').next().unwrap_or(&[]))
            .trim()
            .to_string();
        return s;
    }
    if hello.starts_with(b"220") && !wire::contains_ci(&hello, "smtp") {
        s.kind = Kind::Ftp;
        s.banner = String::from_utf8_lossy(&hello).trim().to_string();
        return s;
    }
    if hello.first() == Some(&255) || wire::contains_ci(&hello, "login:") {
        s.kind = Kind::Telnet;
        s.banner = telnet::greeting(t, port, b)
            .unwrap_or_default()
            .trim()
            .to_string();
        return s;
    }
    if !hello.is_empty() {
        s.banner = String::from_utf8_lossy(&hello).trim().to_string();
        return s;
    }
    if let Some(r) = http::request(t, port, "GET", "/", &[], None, b) {
        s.kind = Kind::Http;
        let keep = ["server", "x-powered-by", "www-authenticate", "via"];
        s.banner = r
            .headers
            .iter()
            .filter(|(k, _)| keep.iter().any(|x| k.eq_ignore_ascii_case(x)))
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n");
        s.root = Some(r);
        return s;
    }
    if let Some(h) = tls::hello(
        t,
        port,
        tls::TLS12,
        &[
            0xc02f, 0xc02b, 0xc030, 0xc02c, 0x009c, 0x002f, 0x0035, 0xc013, 0xc014,
        ],
        b,
    ) && (h.version.is_some() || h.alert.is_some())
    {
        s.kind = Kind::Tls;
    } else if let Some(h) = tls::hello(t, port, tls::TLS13, &[0x1301, 0x1302, 0x1303], b)
        && h.version.is_some()
    {
        s.kind = Kind::Tls;
    }
    s
}

/// Unauthenticated pages that show configuration or status.
fn open_pages(cx: &mut Ctx, s: &Service) {
    let root_len = s.root.as_ref().map(|r| r.body.len());
    for path in http::OPEN_PAGES {
        if cx.b.over() {
            return;
        }
        let Some(r) = http::request(cx.t, s.port, "GET", path, &[], None, &cx.b) else {
            continue;
        };
        if r.status != 200 || r.body.len() < 40 || Some(r.body.len()) == root_len {
            continue;
        }
        let body = String::from_utf8_lossy(&r.body).to_ascii_lowercase();
        if http::auth_of(&r, path).is_some() || body.contains("404") || body.contains("not found") {
            continue;
        }
        let words: Vec<&str> = http::PAGE_WORDS
            .iter()
            .copied()
            .filter(|w| body.contains(w))
            .collect();
        if words.len() < 2 {
            continue;
        }
        let ev = cx.ev(
            s.port,
            "http",
            format!(
                "GET {path} → 200, {} bytes, mentions {}",
                r.body.len(),
                words.join(", ")
            ),
        );
        let f = Finding::new(
            Code::Net012,
            format!("GET {path} on port {} answers without authentication with a page that mentions {}", s.port, words.join(", ")),
            vec![ev],
        )
        .with_confidence(Confidence::Likely, "the page's words suggest configuration or status; whether it is meant to be public is the manufacturer's call");
        cx.findings.push(f);
        // A few pages make the point; more add nothing.
        if cx
            .findings
            .iter()
            .filter(|f| f.code == Code::Net012)
            .count()
            >= 3
        {
            return;
        }
    }
}

enum Brute {
    Unprotected(Vec<Duration>),
    Protected(String),
    Unknown(String),
}

/// A fixed number of failed logins, timed. Protected: a refusal or lockout after
/// some failures, a delay that grows, or the valid credential refused afterwards.
/// Unprotected: every attempt rejected quickly at a flat pace. A constant delay of
/// a second or more is reported as not shown either way.
fn brute(cx: &Ctx, svc: &LoginSvc, known: Option<&Credential>) -> Brute {
    let sb = cx.b.slice(cx.o.service_budget.min(Duration::from_secs(90)));
    let user = known.map(|c| c.user.clone()).unwrap_or_else(|| {
        if matches!(svc, LoginSvc::Http(..)) {
            "admin".into()
        } else {
            "root".into()
        }
    });
    let mut times = vec![];
    for i in 0..cx.o.brute_attempts.max(3) {
        if sb.over() {
            return Brute::Unknown(format!("budget spent after {i} attempts"));
        }
        let c = Credential::new(&user, &format!("bl-wrong-{i}-7f3a9c"), "brute-force");
        match svc.attempt(cx.t, &c, &sb) {
            // The time from sending the password to the rejection.
            Login::Rejected { elapsed, .. } => times.push(elapsed),
            Login::Success(_) => return Brute::Unknown("a made-up password was accepted".into()),
            Login::Refused(why) if i > 0 => {
                return Brute::Protected(format!("refused after {i} failed attempts ({why})"));
            }
            Login::Refused(why) => return Brute::Unknown(format!("no login dialogue: {why}")),
            Login::Unclear(why) if i > 0 => {
                return Brute::Protected(format!(
                    "the dialogue changed after {i} failed attempts: {why}"
                ));
            }
            Login::Unclear(why) => return Brute::Unknown(why),
        }
        // A slow first answers: judge early rather than spend the budget.
        if times.len() >= 3 && times.iter().all(|d| *d >= Duration::from_secs(1)) {
            break;
        }
    }
    let first = times[0];
    let last = *times.last().unwrap_or(&first);
    if last >= first * 2 && last - first >= Duration::from_millis(1000) {
        return Brute::Protected(format!(
            "the delay grew from {} ms to {} ms",
            first.as_millis(),
            last.as_millis()
        ));
    }
    if let Some(k) = known {
        match svc.attempt(cx.t, k, &sb) {
            Login::Success(_) => {}
            _ => {
                return Brute::Protected(
                    "the valid credential was refused after the failed series (lockout)".into(),
                );
            }
        }
    }
    let mut sorted = times.clone();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    if median >= Duration::from_secs(1) {
        return Brute::Unknown(format!(
            "a constant delay of about {} ms per attempt; whether that makes guessing impracticable depends on how many sessions run in parallel",
            median.as_millis()
        ));
    }
    Brute::Unprotected(times)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_versions_not_protocol_versions() {
        assert_eq!(
            versions_in("Server: lighttpd/1.4.69"),
            vec!["lighttpd/1.4.69"]
        );
        assert_eq!(
            versions_in("SSH-2.0-dropbear_2022.83"),
            vec!["dropbear_2022.83"]
        );
        assert!(versions_in("HTTP/1.1 200 OK").is_empty());
        assert!(versions_in("SERVER: Linux UPnP/1.0 DLNADOC/1.50").is_empty());
        assert_eq!(
            versions_in("SERVER: Linux/3.10 UPnP/1.0 miniupnpd/2.1").len(),
            2
        );
        assert!(versions_in("SSH-2.0-OpenSSH").is_empty());
    }
}
