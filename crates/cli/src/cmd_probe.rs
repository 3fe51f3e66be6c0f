//! `baseliner probe HOST`: live checks of one lab device. The checks are
//! `baseliner_probe`; this file parses arguments, installs the Ctrl-C handler,
//! prints findings, tests and the verdicts they bear on, and writes the JSON.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use baseliner_baseline::{Date, Declaration, Inputs};
use baseliner_model::{LiveEvidence, TestOutcome};
use baseliner_probe::{Options, PortSet, Target};
use clap::Args;

#[derive(Args, Clone)]
pub struct ProbeArgs {
    /// The one device to test: an address or a host name. Ranges are refused.
    pub host: String,
    #[command(flatten)]
    pub opts: ProbeOpts,
    /// The manufacturer's declaration (conditions decide which provisions apply).
    #[arg(long)]
    pub declaration: Option<PathBuf>,
    /// Requirement set the live results are evaluated against.
    #[arg(long, default_value = "etsi-en-303-645")]
    pub profile: String,
    /// Write findings, tests, components and verdicts as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// List what the probe would send, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Options shared by `probe` and `assess --probe`.
#[derive(Args, Clone)]
pub struct ProbeOpts {
    /// TCP ports: `common` (IoT ports), `all`, or a list such as 22,80,8000-8100.
    #[arg(long, default_value = "common")]
    pub ports: String,
    /// Time budget of the whole probe, in seconds.
    #[arg(long, default_value_t = 900)]
    pub budget: u64,
    /// Credentials tried per login service at most (the curated list has ~390).
    #[arg(long, default_value_t = 10_000)]
    pub max_credentials: usize,
    /// Pause between login attempts on one service, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub attempt_delay: u64,
    /// Failed logins per service in the brute-force test.
    #[arg(long, default_value_t = 8)]
    pub brute_attempts: usize,
    /// TCP connections in flight during the scan.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// New TCP connections per second during the scan.
    #[arg(long, default_value_t = 500)]
    pub rate: u32,
    /// Skip SNMP, SSDP and mDNS.
    #[arg(long)]
    pub no_udp: bool,
    /// Allow a broadcast, multicast or unspecified HOST (never a range).
    #[arg(long)]
    pub allow_special_address: bool,
}

impl ProbeOpts {
    pub fn target(&self, host: &str) -> Result<Target> {
        Ok(Target::parse(host, self.allow_special_address)?)
    }

    /// Options with a stop flag raised by Ctrl-C.
    pub fn options(&self) -> Result<Options> {
        let stop = Arc::new(AtomicBool::new(false));
        let s2 = stop.clone();
        // A second Ctrl-C ends the process the usual way.
        let _ = ctrlc::set_handler(move || {
            if s2.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
        });
        Ok(Options {
            ports: PortSet::parse(&self.ports)?,
            concurrency: self.concurrency,
            rate: self.rate,
            budget: Duration::from_secs(self.budget.max(1)),
            max_credentials: self.max_credentials,
            attempt_delay: Duration::from_millis(self.attempt_delay),
            brute_attempts: self.brute_attempts.clamp(3, 50),
            no_udp: self.no_udp,
            stop,
            ..Options::default()
        })
    }
}

/// Shows each step on stderr.
pub struct Steps;
impl baseliner_probe::Progress for Steps {
    fn step(&self, msg: &str) {
        eprintln!("probe: {msg}");
    }
}

/// Prints the tests and findings of a probe.
pub fn print_live(live: &LiveEvidence) {
    println!("live tests of {}:", live.host);
    for t in &live.tests {
        println!(
            "  {:<20} {:<10} {} ({} ms)",
            t.id,
            t.outcome.as_str(),
            t.scope,
            t.duration_ms
        );
        for d in &t.details {
            println!("      {d}");
        }
    }
    println!("findings: {}", live.findings.len());
    for f in &live.findings {
        let at = f
            .evidence
            .first()
            .map(|e| e.provenance.clone())
            .unwrap_or_default();
        println!(
            "  {} {:<8} {} [{at}]: {}",
            f.code,
            f.severity.as_str(),
            f.title,
            f.detail
        );
    }
}

pub fn run(a: ProbeArgs) -> Result<ExitCode> {
    let target = a.opts.target(&a.host)?;
    let opts = a.opts.options()?;
    if a.dry_run {
        let plan = baseliner_probe::plan(&target, &opts);
        println!("dry run: nothing is sent");
        for l in &plan.lines {
            println!("  {l}");
        }
        println!("credentials, in order:");
        for c in &plan.credentials {
            println!("  {} ({})", c.shown(), c.source);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let profile = baseliner_baseline::profile(&a.profile).map_err(|e| anyhow::anyhow!("{e}"))?;
    let declaration = match &a.declaration {
        Some(p) => Some(Declaration::load(p).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => None,
    };
    let report = baseliner_probe::probe(&target, &opts, &Steps);
    let live = &report.live;
    print_live(live);
    // Verdicts of the provisions the live tests bear on (without firmware evidence,
    // only those a live test decides).
    let verdicts: Vec<_> = baseliner_baseline::evaluate(
        &profile,
        &Inputs {
            findings: &live.findings,
            vulnerabilities: &[],
            declaration: declaration.as_ref(),
            live_tests: &live.tests,
            today: Date::today(),
            build_date: None,
            vulns_checked: false,
        },
    )
    .into_iter()
    .filter(|v| !v.tests.is_empty() || v.findings.iter().any(|c| c.starts_with("NET-")))
    .collect();
    println!("verdicts ({}):", profile.name);
    for v in &verdicts {
        println!("  {:<8} {:<13} {}", v.provision, v.status.as_str(), v.title);
    }
    if report.interrupted {
        println!("interrupted: tests that had not finished are incomplete");
    } else if report.budget_spent {
        println!("time budget spent: tests that had not finished are incomplete");
    }
    println!("probe took {} ms", report.duration_ms);
    if let Some(path) = &a.json {
        let doc = serde_json::json!({
            "host": live.host,
            "findings": live.findings,
            "tests": live.tests,
            "components": live.components,
            "services": report.services.iter().map(|(p, k)| serde_json::json!({"port": p, "service": k})).collect::<Vec<_>>(),
            "verdicts": verdicts,
            "interrupted": report.interrupted,
            "duration_ms": report.duration_ms,
        });
        std::fs::write(path, serde_json::to_vec_pretty(&doc)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let failed = live.tests.iter().any(|t| t.outcome == TestOutcome::Failed);
    Ok(if report.interrupted {
        ExitCode::from(130)
    } else if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
