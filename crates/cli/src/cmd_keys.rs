//! `baseliner keys new --out PREFIX`: an ed25519 key pair for signing labels.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use baseliner_label::{KeyPair, write_key_pair};
use clap::{Args, Subcommand};

#[derive(Args)]
pub struct KeysArgs {
    #[command(subcommand)]
    pub cmd: KeysCmd,
}

#[derive(Subcommand)]
pub enum KeysCmd {
    /// Create PREFIX.key (secret, mode 0600) and PREFIX.pub.
    New {
        /// Path prefix of the two files.
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(a: KeysArgs) -> Result<ExitCode> {
    match a.cmd {
        KeysCmd::New { out } => {
            let pair = KeyPair::generate()?;
            let (key, public) = write_key_pair(&pair, &out)?;
            println!(
                "wrote {} (keep it secret) and {} (publish it so anyone can verify your labels)",
                key.display(),
                public.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
