//! `baseliner sbom PATH`: components found by inspection as CycloneDX 1.6 (with VEX),
//! SPDX 2.3 or OpenVEX, with known vulnerabilities from the knowledge base if one exists.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use baseliner_engine::{Engine, KbChoice};
use baseliner_model::IdentitySource;
use baseliner_report::sbom::SbomMeta;
use baseliner_vulns::DeviceIdentity;
use clap::{Args, ValueEnum};

use crate::cmd_db::DbPath;
use crate::{LimitArgs, Progress};

#[derive(Clone, Copy, ValueEnum)]
pub enum SbomFormat {
    Cyclonedx,
    Spdx,
    Openvex,
}

#[derive(Args)]
pub struct SbomArgs {
    /// A firmware image (unpacked into a temporary folder first) or an unpacked directory.
    pub path: PathBuf,
    #[arg(long, value_enum, default_value = "cyclonedx")]
    pub format: SbomFormat,
    /// Write to this file instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Leave vulnerabilities out even if a knowledge base exists.
    #[arg(long)]
    pub no_vulns: bool,
    /// Device vendor, for device-level CVEs (identity source: declaration).
    #[arg(long, requires_all = ["model", "firmware_version"])]
    pub vendor: Option<String>,
    /// Device model, such as TL-WR841N.
    #[arg(long)]
    pub model: Option<String>,
    /// Hardware revision, such as v10.
    #[arg(long)]
    pub hardware_version: Option<String>,
    /// Firmware version, such as 3.16.9.
    #[arg(long)]
    pub firmware_version: Option<String>,
    #[command(flatten)]
    pub db: DbPath,
    #[command(flatten)]
    pub limits: LimitArgs,
}

pub fn run(a: SbomArgs) -> Result<ExitCode> {
    let progress = Progress::new();
    // The temporary folder lives until the tree has been read, then is removed.
    let (tree, _tmp) = baseliner_engine::open_tree(&a.path, &a.limits.limits(), &progress)?;
    progress.finish();
    let device = match (&a.vendor, &a.model, &a.firmware_version) {
        (Some(v), Some(m), Some(f)) => Some(DeviceIdentity {
            vendor: v.clone(),
            product: m.clone(),
            hardware_version: a.hardware_version.clone(),
            firmware_version: f.clone(),
            source: IdentitySource::Declaration,
        }),
        _ => None,
    };
    let engine = Engine::new(if a.no_vulns {
        KbChoice::None
    } else {
        KbChoice::Path(a.db.resolve()?)
    })?;
    let inv = engine.inventory(&tree, device.as_ref(), !a.no_vulns)?;
    for n in &inv.notes {
        eprintln!("note: {}", crate::note_text(n));
    }
    let meta = SbomMeta {
        name: a
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "firmware".into()),
        version: a.firmware_version.clone(),
        sha256: None,
        tool_version: env!("CARGO_PKG_VERSION").into(),
        timestamp: None,
    };
    let (c, v) = (&inv.components, &inv.vulnerabilities);
    let doc = match a.format {
        SbomFormat::Cyclonedx => baseliner_report::sbom::cyclonedx(c, v, &meta),
        SbomFormat::Spdx => baseliner_report::sbom::spdx(c, v, &meta),
        SbomFormat::Openvex => baseliner_report::openvex::openvex(c, v, &meta),
    };
    let text = serde_json::to_string_pretty(&doc)? + "\n";
    match &a.output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
