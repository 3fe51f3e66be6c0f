//! `baseliner label make|verify`: the signed label from an assessment, and its check.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use baseliner_label::{read_public_key, read_secret_key, verify};
use baseliner_model::Assessment;
use baseliner_report::{Artefacts, Output};
use clap::{Args, Subcommand};

/// Registry base URL the QR code points under until a registry is configured.
pub const DEFAULT_REGISTRY: &str = "https://registry.baseliner.invalid";

/// The QR code's base for a registry: its verify page, which takes the assessment
/// digest the label appends (as well as a label id or a firmware SHA-256).
pub fn qr_base(registry: &str) -> String {
    format!("{}/verify", registry.trim_end_matches('/'))
}

/// A label file larger than this is refused: real ones are about 1 KiB.
const MAX_LABEL_LEN: u64 = 1024 * 1024;
/// The same bound for an assessment.json read back from disk.
const MAX_ASSESSMENT_LEN: u64 = 512 * 1024 * 1024;

#[derive(Args)]
pub struct LabelArgs {
    #[command(subcommand)]
    pub cmd: LabelCmd,
}

#[derive(Subcommand)]
pub enum LabelCmd {
    /// Check label.json against the issuer's public key; any changed byte fails.
    Verify {
        /// The label.json to check.
        label: PathBuf,
        /// The issuer's PREFIX.pub.
        #[arg(long)]
        key: PathBuf,
        /// Also check the label is in this registry's transparency log (fetches a
        /// proof bundle: inclusion proof against a signed checkpoint).
        #[arg(long)]
        registry: Option<String>,
        /// Check a saved proof bundle instead, offline.
        #[arg(long, conflicts_with = "registry")]
        bundle: Option<PathBuf>,
        /// Save the bundle fetched with --registry here, for offline checks later.
        #[arg(long, requires = "registry")]
        save_bundle: Option<PathBuf>,
        /// The log's verifier key (`name+id+key`, or a file holding it). Without it the
        /// key the registry or bundle states is trusted, and the output says so.
        #[arg(long)]
        log_key: Option<String>,
    },
    /// Write label.svg, label.png and (with --key) the signed label.json from an assessment.json.
    Make {
        /// assessment.json written by `baseliner assess`.
        assessment: PathBuf,
        /// Output folder (created if missing).
        #[arg(short, long)]
        out: PathBuf,
        /// PREFIX.key to sign label.json with.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Registry base URL; the QR code points at its verify page.
        #[arg(long, default_value = DEFAULT_REGISTRY)]
        registry: String,
    },
}

pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    anyhow::ensure!(
        len <= max,
        "{}: {len} bytes is more than the {max} allowed",
        path.display()
    );
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

pub fn run(a: LabelArgs) -> Result<ExitCode> {
    match a.cmd {
        LabelCmd::Verify {
            label,
            key,
            registry,
            bundle,
            save_bundle,
            log_key,
        } => {
            let public = read_public_key(&key)?;
            let bytes = read_bounded(&label, MAX_LABEL_LEN)?;
            match verify(&bytes, &public) {
                Ok(l) => {
                    if (registry.is_some() || bundle.is_some())
                        && let Some(code) = crate::log_check(
                            &label,
                            &bytes,
                            &public,
                            registry.as_deref(),
                            bundle.as_deref(),
                            save_bundle.as_deref(),
                            log_key.as_deref(),
                        )?
                    {
                        return Ok(code);
                    }
                    let s = &l.statement;
                    println!(
                        "{}: valid signature. {} {} firmware {} (sha256 {}), {}: {}{}, issued {}",
                        label.display(),
                        s.manufacturer.as_deref().unwrap_or("?"),
                        s.model.as_deref().or(s.product.as_deref()).unwrap_or("?"),
                        s.firmware_version.as_deref().unwrap_or("?"),
                        s.firmware_sha256,
                        s.profile,
                        s.outcome,
                        s.level_claimed
                            .map(|l| format!(", level {l} claimed"))
                            .unwrap_or_default(),
                        s.issued
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{}: {e}", label.display());
                    Ok(ExitCode::from(1))
                }
            }
        }
        LabelCmd::Make {
            assessment,
            out,
            key,
            registry,
        } => {
            let bytes = read_bounded(&assessment, MAX_ASSESSMENT_LEN)?;
            let a: Assessment = serde_json::from_slice(&bytes).with_context(|| {
                format!("{} is not a baseliner assessment", assessment.display())
            })?;
            let key = match &key {
                Some(k) => Some(read_secret_key(k)?),
                None => None,
            };
            std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
            let base = qr_base(&registry);
            let art = Artefacts::new(&a, &base).with_key(key.as_ref());
            let labels = [Output::LabelSvg, Output::LabelPng, Output::LabelJson];
            for p in baseliner_report::outputs::write(&art, &out, labels)? {
                println!("wrote {}", p.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
