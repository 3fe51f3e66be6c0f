#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), one after another, and prints
# one summary line per target: executions and artifacts (crashes, timeouts, OOMs).
#   fuzz/run-all.sh [SECONDS] [TARGET...]
set -u
cd "$(dirname "$0")"
secs="${1:-600}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(squashfs jffs2 ubi yaffs2 cramfs romfs cpio uimage fit trx tplink
  android_sparse linux_kernel lzma xz zstd lz4 lzo zlib bzip2 gzip tar zip sevenz ext unpack)
./seed.sh >/dev/null
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  log="target/fuzz-$t.log"
  mkdir -p target
  cargo fuzz run -s none -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 >"$log" 2>&1
  rc=$?
  execs=$(grep -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$")
  echo "$t rc=$rc execs=${execs:-?} artifacts=$(ls "artifacts/$t" | wc -l)"
done
