#!/usr/bin/env bash
# Inspection benchmark. Run by hand; prints Markdown tables.
#
#   bench/inspect.sh [RUNS]        (default 5 runs, median reported)
#
# 1. `baseliner inspect` on the unpacked tree of every image of the firmware corpus
#    (unpacked once beforehand), and end to end on the image (unpack + inspect).
# 2. Components corpus: baseliner vs cve-bin-tool (PyPI), time and accuracy against
#    components/ground-truth.tsv side by side.
#
# cve-bin-tool cannot run its CLI offline without its CVE database ("Database does not
# exist"), and its sqlite checker downloads a version map at import time. The script says
# so and times cve-bin-tool's own VersionScanner (the binary checkers the CLI runs) through
# its Python API instead, with every checker that loads offline (all but sqlite).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="${BENCH_WORK:-/tmp/baseliner-bench-inspect}"
corpus="${CORPUS:-$root/../shared/corpus}"
runs="${1:-5}"
mkdir -p "$work"

if [ ! -d "$corpus/firmware" ]; then
  echo "corpus not found at $corpus (set CORPUS=...)" >&2
  exit 1
fi
if [ ! -x "$work/venv/bin/cve-bin-tool" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q cve-bin-tool
fi
(cd "$root" && cargo build -q --release -p baseliner)

python3 "$here/inspect_bench.py" \
  --runs "$runs" --work "$work" --corpus "$corpus" \
  --baseliner "$root/target/release/baseliner" \
  --cbt-python "$work/venv/bin/python" \
  --cbt-cli "$work/venv/bin/cve-bin-tool"
