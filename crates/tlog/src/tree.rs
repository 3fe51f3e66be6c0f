//! The append-only Merkle tree, kept as every full power-of-two subtree hash.
//!
//! `levels[k][i]` is the hash of the 2^k leaves starting at `i * 2^k`. Appending
//! touches O(log n) hashes, and the hash of any RFC 6962 subtree (the root of any
//! earlier size included) is assembled from O(log n) stored ones, so proofs for a
//! log of millions of entries stay cheap without touching storage. Level `8L` is
//! exactly what C2SP tlog-tiles serves as level `L`.

use crate::hash::{Hash, empty_root, leaf_hash, node_hash};

#[derive(Debug, Clone, Default)]
pub struct Tree {
    levels: Vec<Vec<Hash>>,
}

/// Largest power of two strictly below `n` (n >= 2): RFC 6962's split point.
pub(crate) fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}

impl Tree {
    pub fn new() -> Tree {
        Tree::default()
    }

    /// A tree over entries whose leaf hashes are given in order.
    pub fn from_leaf_hashes(hashes: impl IntoIterator<Item = Hash>) -> Tree {
        let mut t = Tree::new();
        for h in hashes {
            t.push_leaf_hash(h);
        }
        t
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends an entry; returns its index.
    pub fn append(&mut self, entry: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(entry))
    }

    /// Appends a leaf by its hash; returns its index.
    pub fn push_leaf_hash(&mut self, h: Hash) -> u64 {
        let index = self.size();
        let mut carry = h;
        let mut k = 0;
        loop {
            if self.levels.len() == k {
                self.levels.push(Vec::new());
            }
            let level = &mut self.levels[k];
            level.push(carry);
            if !level.len().is_multiple_of(2) {
                break;
            }
            carry = node_hash(&level[level.len() - 2], &level[level.len() - 1]);
            k += 1;
        }
        index
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.levels.first()?.get(index as usize).copied()
    }

    /// Full subtree hashes of `2^level` leaves (what a tile at level `level / 8` holds).
    pub fn level(&self, level: usize) -> &[Hash] {
        self.levels.get(level).map_or(&[], |v| v.as_slice())
    }

    /// MTH(D[lo..hi]) for a range the RFC 6962 recursion visits (lo aligned to the
    /// largest power of two not above hi - lo).
    fn subtree(&self, lo: u64, hi: u64) -> Hash {
        let n = hi - lo;
        if n.is_power_of_two() && lo.is_multiple_of(n) {
            let k = n.trailing_zeros() as usize;
            return self.levels[k][(lo >> k) as usize];
        }
        let k = split(n);
        node_hash(&self.subtree(lo, lo + k), &self.subtree(lo + k, hi))
    }

    /// The root hash of the tree's first `size` leaves.
    pub fn root_at(&self, size: u64) -> Option<Hash> {
        if size > self.size() {
            return None;
        }
        Some(if size == 0 {
            empty_root()
        } else {
            self.subtree(0, size)
        })
    }

    /// The current root hash.
    pub fn root(&self) -> Hash {
        self.root_at(self.size()).expect("size is within the tree")
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Option<Vec<Hash>> {
        if index >= size || size > self.size() {
            return None;
        }
        let mut out = Vec::new();
        self.path(index, 0, size, &mut out);
        Some(out)
    }

    fn path(&self, m: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) {
        let n = hi - lo;
        if n == 1 {
            return;
        }
        let k = split(n);
        if m - lo < k {
            self.path(m, lo, lo + k, out);
            out.push(self.subtree(lo + k, hi));
        } else {
            self.path(m, lo + k, hi, out);
            out.push(self.subtree(lo, lo + k));
        }
    }

    /// The proof that the tree of `old` leaves is a prefix of the tree of `new` leaves.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Option<Vec<Hash>> {
        if old > new || new > self.size() {
            return None;
        }
        let mut out = Vec::new();
        if old > 0 && old < new {
            self.subproof(old, 0, new, true, &mut out);
        }
        Some(out)
    }

    fn subproof(&self, m: u64, lo: u64, hi: u64, complete: bool, out: &mut Vec<Hash>) {
        let n = hi - lo;
        if m == n {
            if !complete {
                out.push(self.subtree(lo, hi));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof(m, lo, lo + k, complete, out);
            out.push(self.subtree(lo + k, hi));
        } else {
            self.subproof(m - k, lo + k, hi, false, out);
            out.push(self.subtree(lo, lo + k));
        }
    }
}
