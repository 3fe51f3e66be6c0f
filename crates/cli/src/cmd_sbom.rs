//! `baseliner sbom PATH`: components found by inspection as CycloneDX 1.6 (with VEX),
//! SPDX 2.3 or OpenVEX, with known vulnerabilities from the knowledge base if one exists.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use baseliner_vulns::sbom::SbomMeta;
use baseliner_vulns::{DeviceIdentity, Kb};
use clap::{Args, ValueEnum};

use crate::LimitArgs;
use crate::cmd_db::DbPath;

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
    // The temporary folder lives until the tree has been read, then is removed.
    let (tree, _tmp) = crate::tree_for(&a.path, &a.limits)?;
    let components = baseliner_inspect::inspect(&tree).components;

    let device = match (&a.vendor, &a.model, &a.firmware_version) {
        (Some(v), Some(m), Some(f)) => Some(DeviceIdentity {
            vendor: v.clone(),
            product: m.clone(),
            hardware_version: a.hardware_version.clone(),
            firmware_version: f.clone(),
            source: "declaration".into(),
        }),
        _ => None,
    };
    let vulns = if a.no_vulns {
        Vec::new()
    } else {
        let db = a.db.resolve()?;
        if db.exists() {
            let mut m = Kb::open(&db)?.match_components(&components, device.as_ref())?;
            baseliner_vulns::vex::apply_evidence(&mut m, &components);
            m
        } else {
            eprintln!(
                "note: no knowledge base at {}; SBOM without vulnerabilities (see `baseliner db import`)",
                db.display()
            );
            Vec::new()
        }
    };
    let sbom_meta = SbomMeta {
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
    let doc = match a.format {
        SbomFormat::Cyclonedx => baseliner_vulns::sbom::cyclonedx(&components, &vulns, &sbom_meta),
        SbomFormat::Spdx => baseliner_vulns::sbom::spdx(&components, &vulns, &sbom_meta),
        SbomFormat::Openvex => baseliner_vulns::vex::openvex(&components, &vulns, &sbom_meta),
    };
    let text = serde_json::to_string_pretty(&doc)? + "\n";
    match &a.output {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(ExitCode::SUCCESS)
}
