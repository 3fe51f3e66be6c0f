//! The per-file cache (bulk mode's `--cache`): inspecting with it gives exactly what
//! inspecting without it gives, whether the cache is cold, warm or damaged.

mod common;

use baseliner_inspect::{Inspection, Tree, inspect, inspect_cached};
use common::*;

/// Findings and components as JSON (the summary holds timings).
fn view(i: &Inspection) -> (String, String) {
    (
        serde_json::to_string_pretty(&i.findings).unwrap(),
        serde_json::to_string_pretty(&i.components).unwrap(),
    )
}

fn blobs(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("blob-inspect-hits")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn cached_inspection_equals_fresh_cold_warm_and_damaged() {
    let Some(c) = corpus() else {
        return;
    };
    for rel in [
        "firmware/tplink-wr841nv10-3.16.9.bin",
        "firmware/dlink-like-rootfs.squashfs",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let report = baseliner_unpack::unpack(
            &c.join(rel),
            &dir.path().join("out"),
            &baseliner_unpack::Limits::default(),
            None,
        )
        .unwrap();
        let tree = Tree::from_report(&report);
        let fresh = view(&inspect(&tree));
        let cache = baseliner_unpack::cache::Cache::open(&dir.path().join("cache")).unwrap();

        let cold = view(&inspect_cached(&tree, Some(&cache)));
        assert_eq!(cold, fresh, "{rel}: cold cache");
        let stored = blobs(&dir.path().join("cache"));
        let large = tree
            .files()
            .filter(|(_, e)| e.size >= baseliner_inspect::context::CACHE_MIN_BYTES as u64)
            .count();
        assert!(
            !stored.is_empty() && stored.len() <= large,
            "{rel}: {} entries for {large} large files",
            stored.len()
        );

        let warm = view(&inspect_cached(&tree, Some(&cache)));
        assert_eq!(warm, fresh, "{rel}: warm cache");

        // Damaged entries (truncated, offsets past the file, garbage) are not trusted.
        for (n, p) in stored.iter().enumerate() {
            let bytes = match n % 3 {
                0 => vec![1, 0, 0],
                1 => [
                    &1u32.to_le_bytes()[..],
                    &0u32.to_le_bytes(),
                    &u64::MAX.to_le_bytes(),
                ]
                .concat(),
                _ => b"not a hit list at all".to_vec(),
            };
            std::fs::write(p, bytes).unwrap();
        }
        let damaged = view(&inspect_cached(&tree, Some(&cache)));
        assert_eq!(damaged, fresh, "{rel}: damaged cache");
    }
}
