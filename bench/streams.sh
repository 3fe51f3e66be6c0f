#!/usr/bin/env bash
# Stream and archive formats: decode throughput and peak memory of `baseliner unpack`
# on large generated streams (memory must not grow with the stream), and the cost of
# weak-magic candidates (lzma/zlib/lz4/cpio magics in random data, each of which the
# probe must refute by a trial decode). Run by hand; prints a Markdown table.
#
#   bench/streams.sh [MIB]        (default 256 MiB of data per stream)
#
# Streams are made by Python's lzma/bz2/gzip/zlib and the zstd and lz4 tools.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="${BENCH_WORK:-/tmp/baseliner-bench-streams}"
mib="${1:-256}"
mkdir -p "$work"
command -v zstd >/dev/null && command -v lz4 >/dev/null || {
  apt-get update -qq && apt-get install -y -qq zstd lz4 >/dev/null
}
[ -n "${NO_BUILD:-}" ] || (cd "$root" && cargo build -q --release -p baseliner)
bin="$root/target/release/baseliner"

python3 - "$work" "$mib" <<'PY'
import sys, os, random, lzma, bz2, gzip, zlib, struct
work, mib = sys.argv[1], int(sys.argv[2])
raw = os.path.join(work, f"data-{mib}.bin")
if not os.path.exists(raw):
    rnd = random.Random(1)
    words = [bytes(rnd.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 9))) for _ in range(4096)]
    with open(raw, "wb") as f:
        left = mib << 20
        while left > 0:
            chunk = b" ".join(rnd.choice(words) for _ in range(20000))[:left]
            f.write(chunk); left -= len(chunk)
def make(name, fn):
    p = os.path.join(work, name)
    if not os.path.exists(p):
        fn(p)
def stream(comp):
    def fn(p):
        with open(raw, "rb") as i, open(p, "wb") as o:
            c = comp()
            while b := i.read(1 << 20):
                o.write(c.compress(b))
            o.write(c.flush())
    return fn
make(f"s-{mib}.xz", stream(lambda: lzma.LZMACompressor(lzma.FORMAT_XZ, preset=1)))
make(f"s-{mib}.lzma", stream(lambda: lzma.LZMACompressor(lzma.FORMAT_ALONE, preset=1)))
make(f"s-{mib}.bz2", stream(lambda: bz2.BZ2Compressor(1)))
make(f"s-{mib}.gz", stream(lambda: zlib.compressobj(1, zlib.DEFLATED, 31)))
make(f"s-{mib}.zlib", stream(lambda: zlib.compressobj(1)))
# Weak magics every 4 KiB of random data: header checks pass, the trial must refute.
weak = os.path.join(work, "weak-64.bin")
if not os.path.exists(weak):
    rnd = random.Random(2)
    mags = [b"\x5d\x00\x00\x80\x00" + b"\xff" * 8 + b"\x00", b"\x78\x9c", b"\x02\x21\x4c\x18", b"\xc7\x71"]
    with open(weak, "wb") as f:
        for i in range(16384):
            f.write(mags[i % 4]); f.write(rnd.randbytes(4096 - len(mags[i % 4])))
PY
[ -f "$work/s-$mib.zst" ] || zstd -q -1 "$work/data-$mib.bin" -o "$work/s-$mib.zst"
[ -f "$work/s-$mib.lz4" ] || lz4 -q -l "$work/data-$mib.bin" "$work/s-$mib.lz4"

# Peak RSS counts the memory-mapped input and the output mapped again to be scanned
# for nested formats; peak anonymous memory (heap) is what must not grow with a stream.
echo "| input | size in | output | seconds | output MB/s | peak RSS | peak anon |"
echo "|---|---|---|---|---|---|---|"
for f in "$work"/s-"$mib".{xz,lzma,bz2,gz,zlib,zst,lz4} "$work/weak-64.bin"; do
  out="$work/out"; rm -rf "$out"
  t0=$(date +%s.%N)
  "$bin" unpack --max-ratio 100000 -o "$out" "$f" >/dev/null 2>&1 &
  pid=$!; hwm=0; anon=0
  while kill -0 "$pid" 2>/dev/null; do
    read -r h a < <(awk '/VmHWM/{h=$2} /RssAnon/{a=$2} END{print h+0, a+0}' "/proc/$pid/status" 2>/dev/null || echo "0 0")
    [ "$h" -gt "$hwm" ] && hwm=$h; [ "$a" -gt "$anon" ] && anon=$a
    sleep 0.02
  done
  wait "$pid" || true
  t1=$(date +%s.%N)
  written=$(du -sb "$out" | cut -f1)
  python3 -c "s=$t1-$t0; w=$written; print(f'| $(basename "$f") | $(stat -c %s "$f") | {w} | {s:.2f} | {w/1e6/max(s,0.01):.0f} | {$hwm/1024:.0f} MiB | {$anon/1024:.1f} MiB |')"
done
