//! RFC 6962 section 2.1 hashing: domain-separated leaf and interior nodes, so a leaf
//! can never be passed off as an interior node (the second-preimage defence).

use sha2::{Digest, Sha256};

pub const HASH_LEN: usize = 32;

/// A SHA-256 tree hash.
pub type Hash = [u8; HASH_LEN];

/// `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The hash of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}
