#!/usr/bin/env bash
# Knowledge-base benchmark (issues 4 and 13): synthetic NVD dump of ~300,000 records in
# the real API 2.0 shape -> import time, on-disk size, the matcher's index (build time,
# size), and match time for 1,000 components.
# Goals: import < 60 s, matching < 10 ms (issue 13; 50 ms before).
# Usage: bench/vulns.sh [RECORDS] [WORKDIR]
# A dump a previous run left complete in WORKDIR/nvd is reused (the generator is
# deterministic); REGENERATE=1 writes it anew. The knowledge base is always rebuilt.
# MATCH_ONLY=1 re-times matching against the knowledge base a previous run left (a new
# process: the index is mapped from kb.sqlite.idx, not rebuilt).
# ALLOC=system times with the system allocator instead of mimalloc (the CLI's default).
set -euo pipefail
cd "$(dirname "$0")/.."
records="${1:-300000}"
work="${2:-target/bench-vulns}"
features=()
if [ "${ALLOC:-mimalloc}" = system ]; then features=(--features bench-system-alloc); fi
cargo build --release -q -p baseliner-vulns --example bench_vulns "${features[@]}"
if [ "${MATCH_ONLY:-0}" = 1 ]; then
  ./target/release/examples/bench_vulns "$work" "$records" match-only
else
  ./target/release/examples/bench_vulns "$work" "$records"
fi
