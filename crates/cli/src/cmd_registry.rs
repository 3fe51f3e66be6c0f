//! `baseliner serve`, `baseliner registry ...` and `baseliner publish`: thin calls into
//! `baseliner-registry`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn db_or_default(db: Option<String>) -> String {
    db.unwrap_or_else(baseliner_registry::store::default_db)
}

#[derive(Args)]
pub struct ServeArgs {
    /// Database: a file path or sqlite: URL, or postgres://... (default: registry.sqlite
    /// in the data directory).
    #[arg(long)]
    pub db: Option<String>,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// The log's origin line (used when the database holds no log yet).
    #[arg(long, default_value = "baseliner.registry.invalid/log")]
    pub origin: String,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    pub max_upload: usize,
    /// Requests with bad tokens one address may make per minute before it gets 429.
    #[arg(long, default_value_t = 10)]
    pub bad_token_limit: u32,
}

pub fn serve(a: ServeArgs) -> Result<ExitCode> {
    let cfg = baseliner_registry::Config {
        db: db_or_default(a.db),
        listen: a.listen,
        origin: a.origin,
        max_upload: a.max_upload,
        bad_token_limit: a.bad_token_limit,
        ..Default::default()
    };
    runtime()?.block_on(baseliner_registry::serve(cfg, |addr| {
        use std::io::Write;
        println!("listening on http://{addr}");
        let _ = std::io::stdout().flush();
    }))?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct RegistryArgs {
    #[command(subcommand)]
    pub cmd: RegistryCmd,
}

#[derive(Subcommand)]
pub enum RegistryCmd {
    /// API tokens of organisations.
    Token {
        #[command(subcommand)]
        cmd: TokenCmd,
    },
    /// Label-signing public keys of organisations.
    Key {
        #[command(subcommand)]
        cmd: KeyCmd,
    },
    /// Re-match every published product's components against the knowledge base (run
    /// after `db update` or `db import`); products that gained a known-exploited
    /// vulnerability are flagged.
    Rematch {
        #[arg(long)]
        db: Option<String>,
        /// Vulnerability knowledge base (default: the one `baseliner db` fills).
        #[arg(long)]
        kb: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
pub enum TokenCmd {
    /// Make a token for an organisation (created if new); printed once, stored hashed.
    New {
        #[arg(long)]
        org: String,
        #[arg(long)]
        db: Option<String>,
    },
    /// Revoke a token (the token itself or its SHA-256).
    Revoke {
        token: String,
        #[arg(long)]
        db: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum KeyCmd {
    /// Register a label-signing public key (a PREFIX.pub file) to an organisation.
    Add {
        #[arg(long)]
        org: String,
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        db: Option<String>,
    },
}

pub fn registry(a: RegistryArgs) -> Result<ExitCode> {
    let rt = runtime()?;
    match a.cmd {
        RegistryCmd::Token {
            cmd: TokenCmd::New { org, db },
        } => {
            let token = rt.block_on(async {
                let s = baseliner_registry::Store::open(&db_or_default(db)).await?;
                s.new_token(&org).await
            })?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        RegistryCmd::Token {
            cmd: TokenCmd::Revoke { token, db },
        } => {
            let done = rt.block_on(async {
                let s = baseliner_registry::Store::open(&db_or_default(db)).await?;
                s.revoke_token(&token).await
            })?;
            if done {
                println!("revoked");
                Ok(ExitCode::SUCCESS)
            } else {
                eprintln!("no such active token");
                Ok(ExitCode::from(1))
            }
        }
        RegistryCmd::Key {
            cmd: KeyCmd::Add { org, key, db },
        } => {
            let public = baseliner_label::read_public_key(&key)?;
            rt.block_on(async {
                let s = baseliner_registry::Store::open(&db_or_default(db)).await?;
                s.add_key(&org, &hex::encode(public.to_bytes())).await
            })?;
            println!("registered {} to {org}", hex::encode(public.to_bytes()));
            Ok(ExitCode::SUCCESS)
        }
        RegistryCmd::Rematch { db, kb } => {
            let choice = match kb {
                Some(p) => baseliner_engine::KbChoice::Path(p),
                None => baseliner_engine::KbChoice::Default,
            };
            let engine = baseliner_engine::Engine::new(choice)?;
            let report = rt.block_on(async {
                let s = baseliner_registry::Store::open(&db_or_default(db)).await?;
                baseliner_registry::rematch(&s, &engine).await
            })?;
            println!(
                "re-matched {} products; {} gained known-exploited vulnerabilities",
                report.products,
                report.flagged.len()
            );
            for (id, kev) in &report.flagged {
                println!("  {id}: {}", kev.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Args)]
pub struct PublishArgs {
    /// An assessment folder holding label.json and assessment.json.
    pub dir: PathBuf,
    /// Registry base URL.
    #[arg(long)]
    pub registry: String,
    /// The organisation's API token.
    #[arg(long, env = "BASELINER_REGISTRY_TOKEN", hide_env_values = true)]
    pub token: String,
}

pub fn publish(a: PublishArgs) -> Result<ExitCode> {
    match baseliner_registry::client::publish(&a.registry, &a.token, &a.dir) {
        Ok(v) => {
            let id = v.get("label_id").and_then(|x| x.as_str()).unwrap_or("?");
            println!(
                "published label {id} (log entry #{})",
                v.get("leaf_index").unwrap_or(&serde_json::Value::Null)
            );
            println!("{}/product/{id}", a.registry.trim_end_matches('/'));
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::from(1))
        }
    }
}

/// With a registry or a saved bundle: the label's inclusion in the log, checked
/// against a signed checkpoint. `Some(code)` ends the command (a failure or a withdrawal).
#[allow(clippy::too_many_arguments)]
pub fn log_check(
    label: &Path,
    bytes: &[u8],
    public: &ed25519_dalek::VerifyingKey,
    registry: Option<&str>,
    bundle: Option<&Path>,
    save_bundle: Option<&Path>,
    log_key: Option<&str>,
) -> Result<Option<ExitCode>> {
    let b = match (registry, bundle) {
        (Some(r), _) => {
            let id = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes));
            baseliner_registry::client::fetch_bundle(r, &id)?
        }
        (None, Some(p)) => {
            let text = crate::cmd_label::read_bounded(p, 64 * 1024 * 1024)?;
            serde_json::from_slice(&text)
                .with_context(|| format!("{} is not a proof bundle", p.display()))?
        }
        _ => unreachable!(),
    };
    if let Some(p) = save_bundle {
        crate::write_json(p, &b)?;
    }
    if b.label.as_bytes() != bytes {
        eprintln!("{}: the bundle is for another label", label.display());
        return Ok(Some(ExitCode::from(1)));
    }
    let (log_verifier, trusted) = match log_key {
        Some(k) => {
            let text = if std::path::Path::new(k).is_file() {
                String::from_utf8_lossy(&crate::cmd_label::read_bounded(
                    std::path::Path::new(k),
                    4096,
                )?)
                .into_owned()
            } else {
                k.to_string()
            };
            (text.trim().parse::<baseliner_tlog::LogVerifier>()?, true)
        }
        None => (b.log_key.parse::<baseliner_tlog::LogVerifier>()?, false),
    };
    match baseliner_registry::verify_bundle(&b, public, &log_verifier) {
        Ok(c) => {
            println!(
                "{}: in the transparency log `{}` as entry #{} (checkpoint of {} entries{})",
                label.display(),
                c.checkpoint.origin,
                c.publish_index,
                c.checkpoint.size,
                if trusted {
                    ""
                } else {
                    ", log key as the registry states it: pass --log-key to pin it"
                }
            );
            if let Some(w) = &c.withdrawn {
                eprintln!(
                    "{}: WITHDRAWN by {} on {}: {}",
                    label.display(),
                    w.org,
                    w.time,
                    w.reason.as_deref().unwrap_or("")
                );
                return Ok(Some(ExitCode::from(1)));
            }
        }
        Err(e) => {
            eprintln!("{}: log proof failed: {e}", label.display());
            return Ok(Some(ExitCode::from(1)));
        }
    }
    Ok(None)
}
