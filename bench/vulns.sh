#!/usr/bin/env bash
# Knowledge-base benchmark (issue 4): synthetic NVD dump of ~300,000 records in the real
# API 2.0 shape -> import time, on-disk size, and match time for 1,000 components.
# Goals: import < 60 s, matching < 50 ms.
# Usage: bench/vulns.sh [RECORDS] [WORKDIR]
# A dump a previous run left complete in WORKDIR/nvd is reused (the generator is
# deterministic); REGENERATE=1 writes it anew. The knowledge base is always rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."
records="${1:-300000}"
work="${2:-target/bench-vulns}"
cargo build --release -q -p baseliner-vulns --example bench_vulns
./target/release/examples/bench_vulns "$work" "$records"
