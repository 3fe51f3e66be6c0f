#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600) and prints one summary line per
# target: executions and artifacts (crashes, timeouts, OOMs).
#   fuzz/run-all.sh [SECONDS] [TARGET...]
# FUZZ_JOBS=N runs N targets at once (default 1). Throwaway output folders go to
# /dev/shm when it exists, since each execution creates and removes one.
set -u
cd "$(dirname "$0")"
secs="${1:-600}"
shift || true
targets=("$@")
# By default every target fuzz/Cargo.toml declares (one per format plus `unpack`; a
# test in crates/unpack/tests/fuzz_targets.rs keeps that list equal to formats::all()).
[ "${#targets[@]}" -gt 0 ] || mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -vx baseliner-fuzz)
jobs="${FUZZ_JOBS:-1}"
[ -d /dev/shm ] && export TMPDIR="${TMPDIR:-/dev/shm}"
./seed.sh >/dev/null
mkdir -p target
cargo fuzz build -s none -O >target/fuzz-build.log 2>&1 || { cat target/fuzz-build.log; exit 1; }

one() {
  local t="$1" log="target/fuzz-$1.log"
  mkdir -p "corpus/$t" "artifacts/$t"
  cargo fuzz run -s none -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 >"$log" 2>&1
  local rc=$?
  local execs
  execs=$(grep -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$")
  echo "$t rc=$rc execs=${execs:-?} seconds=$secs artifacts=$(ls "artifacts/$t" | wc -l)"
}

for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  one "$t" &
done
wait
