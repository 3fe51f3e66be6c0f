//! `baseliner assess`: the main job. The pipeline is `baseliner_engine`; this file
//! parses arguments, shows progress, prints the summary and sets the exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use baseliner_baseline::{Declaration, gate_fails};
use baseliner_engine::{Engine, Image, KbChoice, Note, Request};
use clap::{Args, ValueEnum};

use crate::cmd_label::{DEFAULT_REGISTRY, qr_base};
use crate::{LimitArgs, Progress, print_notes, print_unpack_errors};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 when a mandatory provision FAILs.
    Fail,
    /// Exit 1 when a mandatory provision FAILs or is INCONCLUSIVE.
    Inconclusive,
    /// Exit 1 when the vulnerability knowledge base is missing or older than
    /// --stale-after days.
    Stale,
}

#[derive(Args)]
pub struct AssessArgs {
    /// The firmware image.
    pub image: PathBuf,
    /// The manufacturer's declaration (TOML; `baseliner declare --init` writes a template).
    #[arg(long)]
    pub declaration: Option<PathBuf>,
    /// Requirement set: etsi-en-303-645, etsi-en-303-645-v3, uk-psti, eu-cra, sg-cls-1..4, nistir-8425.
    #[arg(long, default_value = "etsi-en-303-645")]
    pub profile: String,
    /// Output folder for assessment.json, report.html, findings.sarif, sbom.cdx.json, labels.
    #[arg(long, default_value = "report")]
    pub out: PathBuf,
    /// Ed25519 secret key (PREFIX.key from `baseliner keys new`) to sign label.json.
    #[arg(long)]
    pub key: Option<PathBuf>,
    /// Vulnerability knowledge base (default: the one `baseliner db import` fills).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Exit with code 1 when a provision has this status or worse, or (`stale`) the
    /// knowledge base is old: a CI gate, repeatable. Without it the exit code is 0
    /// once the assessment is written.
    #[arg(long, value_enum)]
    pub fail_on: Vec<FailOn>,
    /// Days after which the knowledge base counts as stale (a warning; a failure with
    /// `--fail-on stale`).
    #[arg(long, default_value_t = baseliner_vulns::STALE_AFTER_DAYS)]
    pub stale_after: u64,
    /// Registry base URL; the label's QR code points at its verify page
    /// (`URL/verify/<assessment digest>`).
    #[arg(long, default_value = DEFAULT_REGISTRY)]
    pub registry: String,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Also test this running device over the network (see `baseliner probe`): its
    /// findings and live tests join the assessment, and the credentials and keys
    /// found in the firmware are tried and compared on the wire.
    #[arg(long, value_name = "HOST")]
    pub probe: Option<String>,
    #[command(flatten)]
    pub probe_opts: crate::cmd_probe::ProbeOpts,
}

/// The live probe the engine runs after inspection, with the firmware's hints.
struct CliProbe {
    target: baseliner_probe::Target,
    opts: baseliner_probe::Options,
}

impl baseliner_engine::LiveProbe for CliProbe {
    fn run(&self, hints: &baseliner_engine::FirmwareHints) -> baseliner_model::LiveEvidence {
        let mut o = self.opts.clone();
        o.firmware_credentials = hints.credentials.clone();
        for (provenance, path) in &hints.key_files {
            let Ok(data) = std::fs::read(path) else {
                continue;
            };
            for id in baseliner_probe::keys::from_private_key_file(&data) {
                o.firmware_keys.push(baseliner_probe::keys::FirmwareKey {
                    provenance: provenance.clone(),
                    id,
                });
            }
        }
        eprintln!(
            "probe: {} credential(s) and {} key(s) from the firmware",
            o.firmware_credentials.len(),
            o.firmware_keys.len()
        );
        baseliner_probe::probe(&self.target, &o, &crate::cmd_probe::Steps).live
    }
}

pub fn run(a: AssessArgs) -> Result<ExitCode> {
    let profile = baseliner_baseline::profile(&a.profile).map_err(|e| anyhow::anyhow!("{e}"))?;
    let declaration = match &a.declaration {
        Some(p) => Some(Declaration::load(p).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => None,
    };
    let key = match &a.key {
        Some(k) => Some(baseliner_label::read_secret_key(k)?),
        None => None,
    };
    let engine = Engine::new(match &a.db {
        Some(p) => KbChoice::Path(p.clone()),
        None => KbChoice::Default,
    })?
    .with_stale_after_days(a.stale_after);
    let unpacked = baseliner_engine::outdir::prepare(&a.out)?;
    let progress = Progress::new();
    let live_probe = match &a.probe {
        Some(host) => Some(CliProbe {
            target: a.probe_opts.target(host)?,
            opts: a.probe_opts.options()?,
        }),
        None => None,
    };
    let mut request = Request::new(Image::Path(&a.image), &unpacked, &profile);
    request.declaration = declaration.as_ref();
    request.limits = a.limits.limits();
    request.probe = live_probe
        .as_ref()
        .map(|p| p as &dyn baseliner_engine::LiveProbe);
    let mut run = engine.assess(&request, &progress)?;
    let written = run.write(&a.out, key.as_ref(), &qr_base(&a.registry), &progress)?;
    progress.finish();

    let assessment = &run.assessment;
    let color = std::io::IsTerminal::is_terminal(&std::io::stdout());
    print!("{}", baseliner_report::render_text(assessment, color));
    print_notes(&run.notes);
    print_unpack_errors(
        &run.unpack,
        &assessment.image.name,
        &a.out.join("unpack.json"),
    );
    let timing: Vec<String> = assessment
        .timings
        .iter()
        .map(|t| format!("{} {} ms", t.stage, t.millis))
        .collect();
    println!("stages: {}", timing.join(", "));
    let written: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    println!("wrote: {}", written.join(", "));

    let stale = run.notes.iter().any(|n| {
        matches!(
            n,
            Note::NoKnowledgeBase { .. } | Note::KnowledgeBaseAge { stale: true, .. }
        )
    });
    let gate = a.fail_on.iter().any(|f| match f {
        FailOn::Fail => gate_fails(&assessment.summary, baseliner_baseline::FailOn::Fail),
        FailOn::Inconclusive => gate_fails(
            &assessment.summary,
            baseliner_baseline::FailOn::Inconclusive,
        ),
        FailOn::Stale => stale,
    });
    Ok(if gate {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
