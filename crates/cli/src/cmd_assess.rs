//! `baseliner assess`: the main job. Unpack, inspect, match known vulnerabilities,
//! evaluate every provision of the chosen scheme, then write the reports and label.
//! Each stage is a library call; this file only sequences them and times them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use baseliner_baseline::{AssessmentInput, Date, Declaration, gate_fails};
use baseliner_model::{Assessment, ImageInfo, StageTiming};
use baseliner_vulns::{DeviceIdentity, Kb};
use clap::{Args, ValueEnum};

use crate::cmd_label::{DEFAULT_REGISTRY, write_label};
use crate::{LimitArgs, spinner, write_json};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 when a mandatory provision FAILs.
    Fail,
    /// Exit 1 when a mandatory provision FAILs or is INCONCLUSIVE.
    Inconclusive,
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
    /// Exit with code 1 when a provision has this status or worse (a CI gate);
    /// without it the exit code is 0 once the assessment is written.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Registry base URL the label's QR code points under.
    #[arg(long, default_value = DEFAULT_REGISTRY)]
    pub registry: String,
    #[command(flatten)]
    pub limits: LimitArgs,
}

struct Stages {
    timings: Vec<StageTiming>,
    pb: Option<indicatif::ProgressBar>,
}

impl Stages {
    fn run<T>(&mut self, name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        if let Some(pb) = &self.pb {
            pb.set_message(format!("{name}..."));
        }
        let t = Instant::now();
        let r = f();
        self.timings.push(StageTiming {
            stage: name.to_string(),
            millis: t.elapsed().as_millis() as u64,
        });
        r
    }
}

/// Marks a folder as written by `assess`, so a later run may replace its contents.
const MARKER: &str = ".baseliner-assess";
/// Everything `assess` writes; removed before a new run so no stale file survives.
const OUTPUTS: &[&str] = &[
    "assessment.json",
    "report.html",
    "findings.sarif",
    "sbom.cdx.json",
    "label.svg",
    "label.png",
    "label.json",
    "unpack.json",
];

/// Prepares the output folder. A folder holding the marker of a previous run is
/// reused (its outputs and `unpacked/` tree are replaced); any other non-empty folder
/// is refused, so user data is never deleted.
fn prepare_out(out: &Path) -> Result<PathBuf> {
    let unpacked = out.join("unpacked");
    if out.exists() {
        let previous = out.join(MARKER).is_file();
        let empty = std::fs::read_dir(out)
            .with_context(|| format!("reading {}", out.display()))?
            .next()
            .is_none();
        if !empty && !previous {
            bail!(
                "output folder {} is not empty and was not written by baseliner assess; choose a new folder",
                out.display()
            );
        }
        if previous {
            // remove_dir_all removes a symlink itself, never what it points at.
            if std::fs::symlink_metadata(&unpacked).is_ok() {
                std::fs::remove_dir_all(&unpacked)
                    .or_else(|_| std::fs::remove_file(&unpacked))
                    .with_context(|| format!("removing old {}", unpacked.display()))?;
            }
            for f in OUTPUTS {
                let p = out.join(f);
                if std::fs::symlink_metadata(&p).is_ok() {
                    std::fs::remove_file(&p)
                        .with_context(|| format!("removing old {}", p.display()))?;
                }
            }
        }
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    std::fs::write(out.join(MARKER), b"output folder of baseliner assess\n")
        .with_context(|| format!("writing into {}", out.display()))?;
    Ok(unpacked)
}

/// Who the device is, for device-level CVEs: the declaration first, else a vendor
/// header in the image that names model and version.
fn device_identity(
    decl: Option<&Declaration>,
    image: &[u8],
    report: &baseliner_unpack::Report,
) -> Option<DeviceIdentity> {
    if let Some(d) = decl {
        let p = &d.product;
        if let (Some(vendor), Some(model), Some(fw)) = (
            &p.manufacturer,
            p.model.as_ref().or(p.name.as_ref()),
            &p.firmware_version,
        ) {
            return Some(DeviceIdentity {
                vendor: vendor.clone(),
                product: model.clone(),
                hardware_version: p.hardware_version.clone(),
                firmware_version: fw.clone(),
                source: "declaration".into(),
            });
        }
    }
    let hit = report
        .formats
        .iter()
        .find(|f| f.format == "tplink" && f.file.is_empty())?;
    let h = baseliner_unpack::formats::tplink::parse_header(image.get(hit.offset as usize..)?)?;
    // TP-Link headers carry the model number only; the routers named in NVD are
    // TL-WR<number>N. Other numbers are left unnamed rather than guessed.
    let n: u32 = h.model.parse().ok()?;
    let product = match n {
        700..=999 | 1041..=1045 => format!("TL-WR{n}N"),
        _ => return None,
    };
    Some(DeviceIdentity {
        vendor: "TP-Link".into(),
        product,
        hardware_version: Some(format!("v{}", h.hardware_version)),
        firmware_version: h.version.clone(),
        source: "vendor-header".into(),
    })
}

pub fn run(a: AssessArgs) -> Result<ExitCode> {
    let profile = baseliner_baseline::profile(&a.profile).map_err(|e| anyhow::anyhow!("{e}"))?;
    let declaration = match &a.declaration {
        Some(p) => Some(Declaration::load(p).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => None,
    };
    let unpacked = prepare_out(&a.out)?;
    let mut st = Stages {
        timings: Vec::new(),
        pb: spinner(),
    };
    let limits = a.limits.limits();

    // unpack
    let pb = st.pb.clone();
    let progress = move |msg: &str| {
        if let Some(pb) = &pb {
            pb.set_message(format!("unpack: {msg}"));
        }
    };
    let report = st.run("unpack", || {
        baseliner_unpack::unpack(&a.image, &unpacked, &limits, Some(&progress))
            .with_context(|| format!("unpacking {}", a.image.display()))
    })?;
    write_json(&a.out.join("unpack.json"), &report)?;

    // inspect
    let inspection = st.run("inspect", || {
        let tree = baseliner_inspect::Tree::from_report(&report);
        Ok(baseliner_inspect::inspect(&tree))
    })?;

    // vulnerabilities
    let file =
        std::fs::File::open(&a.image).with_context(|| format!("reading {}", a.image.display()))?;
    let map = baseliner_unpack::map_file(&file)
        .with_context(|| format!("reading {}", a.image.display()))?;
    let device = device_identity(declaration.as_ref(), map.as_deref().unwrap_or(&[]), &report);
    let db_path = a.db.clone().or_else(baseliner_vulns::default_path);
    let (vulnerabilities, kb_version, kb_note) = st.run("vulns", || {
        let Some(path) = db_path.filter(|p| p.is_file()) else {
            return Ok((Vec::new(), None, Some(
                "no vulnerability knowledge base: known-vulnerability provisions stay INCONCLUSIVE; import NVD/OSV/KEV data with `baseliner db import FILE...`".to_string(),
            )));
        };
        let kb = Kb::open(&path).map_err(|e| anyhow::anyhow!("{e}"))?;
        let status = kb.status().map_err(|e| anyhow::anyhow!("{e}"))?;
        let version = status
            .sources
            .iter()
            .map(|s| format!("{}:{}@{}", s.kind, s.records, s.newest.as_deref().unwrap_or(&s.imported_at)))
            .collect::<Vec<_>>()
            .join(",");
        let mut m = kb
            .match_components(&inspection.components, device.as_ref())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        // Evidence the image itself gives that a CVE does not apply (applet lists).
        baseliner_vulns::vex::apply_evidence(&mut m, &inspection.components);
        Ok((m, Some(version), None))
    })?;

    // evaluate
    let image_name = a
        .image
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut assessment: Assessment = st.run("evaluate", || {
        Ok(baseliner_baseline::assess(AssessmentInput {
            profile: &profile,
            image: ImageInfo {
                name: image_name.clone(),
                sha256: report.image_sha256.clone(),
                size: report.image_size,
            },
            components: inspection.components.clone(),
            findings: inspection.findings.clone(),
            vulnerabilities,
            declaration: declaration.as_ref(),
            timings: Vec::new(),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            kb_version,
            today: Date::today(),
            created: baseliner_baseline::now_rfc3339(),
        }))
    })?;

    // reports and label
    let out = a.out.clone();
    let key = a.key.clone();
    let registry = a.registry.clone();
    let sbom_meta = baseliner_vulns::sbom::SbomMeta {
        name: image_name.clone(),
        version: assessment.product.firmware_version.clone(),
        sha256: Some(report.image_sha256.clone()),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        timestamp: Some(assessment.created.clone()),
    };
    let label_files = st.run("label", || {
        write_label(&assessment, &out, key.as_deref(), &registry)
    })?;
    write_json(
        &out.join("sbom.cdx.json"),
        &baseliner_vulns::sbom::cyclonedx(
            &assessment.components,
            &assessment.vulnerabilities,
            &sbom_meta,
        ),
    )?;
    // The document records every stage before it; writing it is the last step.
    assessment.timings = st.timings.clone();
    let report_files = baseliner_report::write_outputs(&assessment, &out)
        .with_context(|| format!("writing reports into {}", out.display()))?;

    if let Some(pb) = &st.pb {
        pb.finish_and_clear();
    }
    let color = std::io::IsTerminal::is_terminal(&std::io::stdout());
    print!("{}", baseliner_report::render_text(&assessment, color));
    if let Some(n) = kb_note {
        println!("note: {n}");
    }
    for e in report.errors.iter().take(10) {
        let loc = if e.file.is_empty() {
            image_name.clone()
        } else {
            e.file.clone()
        };
        println!(
            "unpack error: {loc} at 0x{:x} ({}): {}",
            e.offset, e.format, e.reason
        );
    }
    if report.errors.len() > 10 {
        println!(
            "unpack errors: {} more in {}",
            report.errors.len() - 10,
            out.join("unpack.json").display()
        );
    }
    let timing: Vec<String> = assessment
        .timings
        .iter()
        .map(|t| format!("{} {} ms", t.stage, t.millis))
        .collect();
    println!("stages: {}", timing.join(", "));
    let written: Vec<String> = report_files
        .iter()
        .chain(&label_files)
        .chain([&out.join("sbom.cdx.json"), &out.join("unpack.json")])
        .map(|p| p.display().to_string())
        .collect();
    println!("wrote: {}", written.join(", "));

    let gate = match a.fail_on {
        Some(FailOn::Fail) => gate_fails(&assessment.summary, baseliner_baseline::FailOn::Fail),
        Some(FailOn::Inconclusive) => gate_fails(
            &assessment.summary,
            baseliner_baseline::FailOn::Inconclusive,
        ),
        None => false,
    };
    Ok(if gate {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
