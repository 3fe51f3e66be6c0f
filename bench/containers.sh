#!/usr/bin/env bash
# Wall time of `baseliner unpack` on the container/vendor-header fixtures (best of N runs),
# with the number of files written. Run by hand:
#
#   bench/containers.sh [RUNS]      (default 5; CORPUS=... to point at the corpus)
#
# Each figure includes everything the run does after the container is parsed
# (decompressing kernels, unpacking file systems found inside).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${CORPUS:-$root/../shared/corpus}"
runs="${1:-5}"
[ -d "$corpus/formats" ] || { echo "corpus not found at $corpus (set CORPUS=...)" >&2; exit 1; }
(cd "$root" && cargo build -q --release -p baseliner)
bin="${CARGO_TARGET_DIR:-$root/target}/release/baseliner"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "| image | bytes | best wall (s) | files |"
echo "|---|---:|---:|---:|"
for f in firmware/wavlink-529b3-kernel.uimage firmware/openwrt-mt7628-kernel.uimage \
         formats/uboot__fit.itb formats/android_simg__simg.img formats/trx__trx.img \
         formats/linuxkernel__bzImage_gzip formats/linuxkernel__bzImage_xz \
         firmware/tplink-wr841nv10-3.16.9.bin; do
  best=""
  for _ in $(seq "$runs"); do
    rm -rf "$out/x"
    s=$(date +%s%N)
    "$bin" unpack "$corpus/$f" -o "$out/x" >/dev/null 2>&1
    e=$(date +%s%N)
    t=$(( (e - s) / 1000000 ))
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  n=$(find "$out/x" -type f | wc -l)
  printf '| %s | %s | %d.%03d | %s |\n' "$f" "$(stat -c %s "$corpus/$f")" $((best / 1000)) $((best % 1000)) "$n"
done
