//! The label: a signed statement of what an assessment established, and its picture.
//!
//! The statement is canonical JSON (RFC 8785) signed with ed25519, so anyone holding the
//! issuer's public key can verify it offline; `label.svg`/`label.png` show the same facts
//! with a QR code pointing at the registry entry. Library only: nothing here prints.

mod keys;
mod render;
mod statement;

pub use keys::{KeyPair, read_public_key, read_secret_key, write_key_pair};
pub use render::{render_png, render_svg};
pub use statement::{
    LABEL_VERSION, SignatureBlock, SignedLabel, Statement, VerdictCounts, sign, statement_from,
    verify,
};

/// What can go wrong with keys, signatures or rendering.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Key { path: String, message: String },
    #[error("label verification failed: {0}")]
    Verify(String),
    #[error("label rendering failed: {0}")]
    Render(String),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}
