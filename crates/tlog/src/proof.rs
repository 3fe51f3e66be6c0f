//! Proof checking, as RFC 9162 sections 2.1.3.2 and 2.1.4.2 state it. These are the
//! functions a verifier runs offline; they trust nothing but their arguments.

use crate::Error;
use crate::hash::{Hash, node_hash};

fn fail(msg: &str) -> Error {
    Error::Proof(msg.to_string())
}

/// The root an inclusion proof leads to from `leaf` at `index` in a tree of `size`.
pub fn root_from_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, Error> {
    if index >= size {
        return Err(fail("leaf index is not inside the tree"));
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(fail("inclusion proof is longer than the tree is deep"));
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(fail("inclusion proof is shorter than the tree is deep"));
    }
    Ok(r)
}

/// Checks that `leaf` is entry `index` of the tree of `size` with root `root`.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), Error> {
    if root_from_inclusion(leaf, index, size, proof)? == *root {
        Ok(())
    } else {
        Err(fail("inclusion proof leads to a different root"))
    }
}

/// Checks that the tree (`old`, `old_root`) is a prefix of (`new`, `new_root`).
pub fn verify_consistency(
    old: u64,
    new: u64,
    proof: &[Hash],
    old_root: &Hash,
    new_root: &Hash,
) -> Result<(), Error> {
    if old > new {
        return Err(fail("the old tree is larger than the new one"));
    }
    if old == new {
        return if proof.is_empty() && old_root == new_root {
            Ok(())
        } else {
            Err(fail(
                "trees of equal size must have equal roots and an empty proof",
            ))
        };
    }
    if old == 0 {
        return if proof.is_empty() {
            Ok(())
        } else {
            Err(fail("a proof from the empty tree must be empty"))
        };
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return Err(fail("consistency proof is empty"));
    };
    let (mut f, mut s) = (old - 1, new - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return Err(fail("consistency proof is too long"));
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(fail("consistency proof is too short"));
    }
    if fr != *old_root {
        return Err(fail("consistency proof does not lead to the old root"));
    }
    if sr != *new_root {
        return Err(fail("consistency proof does not lead to the new root"));
    }
    Ok(())
}
