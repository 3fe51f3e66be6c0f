//! The label registry: organisations publish signed labels with their assessments;
//! anyone searches, reads a product page and verifies a label; every publication and
//! withdrawal is a leaf of a transparency log (`baseliner-tlog`) so history cannot be
//! rewritten unnoticed. Storage is SQLite by default or PostgreSQL, one set of SQL.
//! Library only: nothing here prints.

pub mod bundle;
pub mod client;
mod html;
mod openapi;
mod rematch;
pub mod server;
pub mod store;
mod submit;

pub use bundle::{Bundle, BundleCheck, LogEntry, verify_bundle};
pub use rematch::{RematchReport, rematch};
pub use server::{Config, serve};
pub use store::Store;
pub use submit::Submission;

/// What can go wrong, each with the HTTP status it maps to.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Db(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Client(String),
    #[error("{0}")]
    Io(String),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Db(e.to_string())
    }
}

/// Now as RFC 3339 UTC, seconds precision.
pub fn now() -> String {
    baseliner_model::now_rfc3339()
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

/// Whether `s` is 64 lower-case hex digits.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
