//! The log against RFC 6962's reference vectors, a naive recursive implementation of
//! the RFC's definitions, and properties: every proof verifies, every tampered proof
//! fails, every size is consistent with every larger one.

use baseliner_tlog::{
    Checkpoint, Hash, LogKey, LogVerifier, TileRef, Tree, empty_root, entry_bundle, leaf_hash,
    node_hash, parse_tile_path, root_from_inclusion, tile_path, verify_consistency,
    verify_inclusion,
};
use proptest::prelude::*;

/// The eight leaves of the Certificate Transparency reference test data.
fn ct_leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex::decode(h).unwrap())
    .collect()
}

/// Roots of the first 1..=8 of those leaves, as published with the RFC 6962 test data.
const CT_ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// MTH straight from RFC 6962 section 2.1, no shortcuts.
fn naive_root(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let mut k = 1;
            while k * 2 < n {
                k *= 2;
            }
            node_hash(&naive_root(&leaves[..k]), &naive_root(&leaves[k..]))
        }
    }
}

fn tree_of(n: usize) -> (Tree, Vec<Hash>) {
    let leaves: Vec<Hash> = (0..n)
        .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
        .collect();
    (Tree::from_leaf_hashes(leaves.iter().copied()), leaves)
}

#[test]
fn matches_the_rfc6962_reference_roots() {
    let mut t = Tree::new();
    assert_eq!(hex::encode(t.root()), hex::encode(empty_root()));
    assert_eq!(
        hex::encode(empty_root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    for (i, leaf) in ct_leaves().iter().enumerate() {
        t.append(leaf);
        assert_eq!(hex::encode(t.root()), CT_ROOTS[i], "root of size {}", i + 1);
    }
    for size in 1..=8 {
        assert_eq!(
            hex::encode(t.root_at(size).unwrap()),
            CT_ROOTS[size as usize - 1]
        );
    }
}

#[test]
fn agrees_with_the_naive_definition_for_every_size_to_300() {
    let (t, leaves) = tree_of(300);
    for n in 0..=300 {
        assert_eq!(
            t.root_at(n as u64).unwrap(),
            naive_root(&leaves[..n]),
            "size {n}"
        );
    }
}

#[test]
fn every_proof_of_small_trees_verifies_and_every_flip_fails() {
    let (t, leaves) = tree_of(40);
    for size in 1..=40u64 {
        let root = t.root_at(size).unwrap();
        for i in 0..size {
            let p = t.inclusion_proof(i, size).unwrap();
            verify_inclusion(&leaves[i as usize], i, size, &p, &root).unwrap();
            // wrong index, wrong size, wrong leaf, shortened, lengthened, flipped
            if size > 1 {
                assert!(
                    verify_inclusion(&leaves[i as usize], (i + 1) % size, size, &p, &root).is_err()
                );
            }
            assert!(verify_inclusion(&leaf_hash(b"other"), i, size, &p, &root).is_err());
            if !p.is_empty() {
                assert!(
                    verify_inclusion(&leaves[i as usize], i, size, &p[..p.len() - 1], &root)
                        .is_err()
                );
            }
            let mut longer = p.clone();
            longer.push([0u8; 32]);
            assert!(verify_inclusion(&leaves[i as usize], i, size, &longer, &root).is_err());
            for j in 0..p.len() {
                let mut bad = p.clone();
                bad[j][7] ^= 1;
                assert!(verify_inclusion(&leaves[i as usize], i, size, &bad, &root).is_err());
            }
        }
        for old in 0..=size {
            let p = t.consistency_proof(old, size).unwrap();
            let old_root = t.root_at(old).unwrap();
            verify_consistency(old, size, &p, &old_root, &root).unwrap();
            for j in 0..p.len() {
                let mut bad = p.clone();
                bad[j][0] ^= 0x80;
                assert!(
                    verify_consistency(old, size, &bad, &old_root, &root).is_err(),
                    "{old}->{size} flip {j}"
                );
            }
            if old > 0 && old < size {
                assert!(verify_consistency(old, size, &p, &root, &old_root).is_err());
                assert!(verify_consistency(old, size, &p, &leaf_hash(b"x"), &root).is_err());
                assert!(
                    verify_consistency(old, size, &p[..p.len() - 1], &old_root, &root).is_err()
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn inclusion_proofs_verify(n in 1u64..3000, seed in any::<u64>()) {
        let (t, leaves) = tree_of(n as usize);
        let size = 1 + seed % n;
        let i = (seed / 7) % size;
        let p = t.inclusion_proof(i, size).unwrap();
        let root = t.root_at(size).unwrap();
        prop_assert_eq!(root_from_inclusion(&leaves[i as usize], i, size, &p).unwrap(), root);
        let mut bad = p.clone();
        if !bad.is_empty() {
            let j = (seed as usize) % bad.len();
            bad[j][(seed % 32) as usize] ^= 1 << (seed % 8);
            prop_assert!(verify_inclusion(&leaves[i as usize], i, size, &bad, &root).is_err());
        }
    }

    #[test]
    fn consistency_holds_across_sizes(n in 1u64..3000, a in any::<u64>(), b in any::<u64>()) {
        let (t, _) = tree_of(n as usize);
        let new = 1 + b % n;
        let old = a % (new + 1);
        let p = t.consistency_proof(old, new).unwrap();
        let (r1, r2) = (t.root_at(old).unwrap(), t.root_at(new).unwrap());
        prop_assert!(verify_consistency(old, new, &p, &r1, &r2).is_ok());
        if old > 0 && old < new {
            let mut bad = p.clone();
            let j = (a as usize) % bad.len();
            bad[j][(b % 32) as usize] ^= 1;
            prop_assert!(verify_consistency(old, new, &bad, &r1, &r2).is_err());
        }
    }

    #[test]
    fn proof_checkers_never_panic(idx in any::<u64>(), size in any::<u64>(), old in any::<u64>(), len in 0usize..70) {
        let p = vec![[3u8; 32]; len];
        let _ = verify_inclusion(&[1; 32], idx, size, &p, &[2; 32]);
        let _ = verify_consistency(old, size, &p, &[1; 32], &[2; 32]);
    }
}

#[test]
fn checkpoints_sign_and_verify_as_c2sp_signed_notes() {
    let key = LogKey::from_seed("registry.example/log", [7u8; 32]).unwrap();
    let (t, _) = tree_of(10);
    let cp = Checkpoint {
        origin: "registry.example/log".into(),
        size: 10,
        root: t.root(),
    };
    let note = key.sign(&cp);
    let lines: Vec<&str> = note.lines().collect();
    assert_eq!(lines[0], "registry.example/log");
    assert_eq!(lines[1], "10");
    assert_eq!(lines[3], "");
    assert!(lines[4].starts_with("\u{2014} registry.example/log "));
    let verifier: LogVerifier = key.verifier().to_string().parse().unwrap();
    assert_eq!(verifier.verify(&note).unwrap(), cp);
    // A cosigner's line is ignored; a changed body or another key is refused.
    let other = LogKey::from_seed("witness.example", [9u8; 32]).unwrap();
    let cosig = other.sign(&cp);
    let witness_line = cosig.lines().last().unwrap();
    assert!(verifier.verify(&format!("{note}{witness_line}\n")).is_ok());
    assert!(other.verifier().verify(&note).is_err());
    let tampered = note.replacen("\n10\n", "\n11\n", 1);
    assert!(verifier.verify(&tampered).is_err());
    assert!(verifier.verify("").is_err());
    assert!(verifier.verify(&note[..note.len() - 1]).is_err());
}

#[test]
fn reads_the_go_signed_note_example() {
    // The example of golang.org/x/mod/sumdb/note's documentation.
    let v: LogVerifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
        .parse()
        .unwrap();
    let note = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    assert_eq!(
        v.verify_note(note).unwrap(),
        "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    );
    assert!(
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            .parse::<LogVerifier>()
            .is_err()
    );
}

#[test]
fn tiles_follow_the_c2sp_layout() {
    let full = TileRef {
        level: Some(0),
        index: 1_234_067,
        width: 256,
    };
    assert_eq!(tile_path(&full), "tile/0/x001/x234/067");
    let part = TileRef {
        level: None,
        index: 5,
        width: 7,
    };
    assert_eq!(tile_path(&part), "tile/entries/005.p/7");
    for t in [
        full,
        part,
        TileRef {
            level: Some(2),
            index: 0,
            width: 1,
        },
    ] {
        let p = tile_path(&t);
        assert_eq!(
            parse_tile_path(p.strip_prefix("tile/").unwrap()).unwrap(),
            t
        );
    }
    for bad in [
        "0/1",
        "0/x1/002",
        "0/001.p/0",
        "0/001.p/256",
        "0/001.p/07",
        "99/001",
        "0/x000/001",
        "0/../001",
        "entries/abc",
    ] {
        assert!(parse_tile_path(bad).is_err(), "{bad}");
    }

    // A tree of 70_000 leaves: level-0 tiles are the leaf hashes, level-1 tiles the
    // roots of each 256-leaf block, and the root is computable from tiles alone.
    let (t, leaves) = tree_of(70_000);
    let tile0 = t
        .tile(&TileRef {
            level: Some(0),
            index: 3,
            width: 256,
        })
        .unwrap();
    assert_eq!(&tile0[..32], &leaves[768]);
    let l1 = t
        .tile(&TileRef {
            level: Some(1),
            index: 0,
            width: 256,
        })
        .unwrap();
    assert_eq!(&l1[32..64], &naive_root(&leaves[256..512]));
    assert!(
        t.tile(&TileRef {
            level: Some(0),
            index: 273,
            width: 256
        })
        .is_none()
    );
    let edge = t
        .tile(&TileRef {
            level: Some(0),
            index: 273,
            width: 112,
        })
        .unwrap();
    assert_eq!(edge.len(), 112 * 32);
    assert_eq!(
        t.edge_tiles(),
        vec![
            TileRef {
                level: Some(0),
                index: 273,
                width: 112
            },
            TileRef {
                level: Some(1),
                index: 1,
                width: 17
            },
            TileRef {
                level: Some(2),
                index: 0,
                width: 1
            },
        ]
    );
    let bundle = entry_bundle([b"ab".as_slice(), b"".as_slice()]).unwrap();
    assert_eq!(bundle, vec![0, 2, b'a', b'b', 0, 0]);
    assert!(entry_bundle([vec![0u8; 70_000].as_slice()]).is_err());
}
