//! A transparency log in the Certificate Transparency shape (RFC 6962 / RFC 9162):
//! an append-only Merkle tree over entries, inclusion and consistency proofs (made and
//! checked), checkpoints as C2SP signed notes with Ed25519, and the C2SP tlog-tiles
//! layout so the whole log can be served as static, cacheable files.
//!
//! Small and dependency-light on purpose: the registry and the offline verifier in
//! the CLI both use it, and a verifier must be easy to audit. Library only: no I/O.

mod checkpoint;
mod hash;
mod proof;
mod tiles;
mod tree;

pub use checkpoint::{Checkpoint, LogKey, LogVerifier, key_id};
pub use hash::{HASH_LEN, Hash, empty_root, leaf_hash, node_hash};
pub use proof::{root_from_inclusion, verify_consistency, verify_inclusion};
pub use tiles::{TILE_WIDTH, TileRef, entry_bundle, parse_tile_path, tile_path};
pub use tree::Tree;

/// Why a proof, checkpoint or tile request is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("invalid proof: {0}")]
    Proof(String),
    #[error("invalid checkpoint: {0}")]
    Checkpoint(String),
    #[error("bad request: {0}")]
    Request(String),
}
