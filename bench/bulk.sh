#!/usr/bin/env bash
# Bulk-mode benchmark: a corpus of at least 200 images made from ../shared/corpus/firmware/
# with small variations, assessed with `baseliner bulk` at 1 and 2 jobs; then the effect of
# the content cache on a corpus whose images share their file systems; peak memory and the
# scratch disk used.
#
#   bench/bulk.sh [VARIANTS]     (default 17 per corpus image: 12 x 17 = 204 images)
#
# The variations: each corpus image with a different trailer appended (different SHA-256,
# same contents), which is what regional or re-signed builds of one firmware look like.
# The cache is measured twice: filling it on the corpus (its first copy of each firmware is
# cold), and on a second corpus of other variants (other trailers) that shares every
# component with the first, once the first has filled the cache.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
corpus="${CORPUS:-$root/../shared/corpus}"
work="${BENCH_WORK:-/tmp/baseliner-bench-bulk}"
variants="${1:-17}"
[ -d "$corpus/firmware" ] || { echo "corpus not found at $corpus (set CORPUS=...)" >&2; exit 1; }
(cd "$root" && cargo build -q --release -p baseliner)
bin="$root/target/release/baseliner"
rm -rf "$work"
mkdir -p "$work/corpus"

mkdir -p "$work/corpus2"
python3 - "$corpus/firmware" "$work" "$variants" <<'PY'
import os, sys, hashlib
src, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for corpus, manifest, first in (("corpus", "manifest.tsv", 0), ("corpus2", "manifest2.tsv", n)):
    lines = []
    for i, name in enumerate(sorted(os.listdir(src))):
        data = open(os.path.join(src, name), "rb").read()
        for v in range(first, first + n):
            trailer = hashlib.sha256(f"{name}/{v}".encode()).digest() * 2
            p = os.path.join(work, corpus, f"{v:02d}-{name}")
            open(p, "wb").write(data + trailer)
            lines.append(f"{p}\tvendor{i % 4}\t{name}\t1.{v}\t{2012 + (i + v) % 10}-06-01")
    open(os.path.join(work, manifest), "w").write("\n".join(lines) + "\n")
    print(f"{corpus}: {len(lines)} images, {sum(os.path.getsize(l.split(chr(9))[0]) for l in lines) >> 20} MiB")
PY

run() { # name jobs manifest extra-args...
  local name="$1" jobs="$2" manifest="$3"; shift 3
  local db="$work/$name.sqlite"
  rm -f "$db"*
  /usr/bin/time -f "%e %M" -o "$work/$name.time" \
    "$bin" bulk "$work/$manifest" --db "$db" --jobs "$jobs" --out "$work/scratch-$name" \
      --kb /nonexistent "$@" > "$work/$name.log"
  read -r secs rss < "$work/$name.time"
  local n
  n=$(grep -c '"event":"done"' "$work/$name.log" || true)
  python3 -c "import sys; s,n,r=float(sys.argv[1]),int(sys.argv[2]),int(sys.argv[3]); print(f'| {sys.argv[4]} | {sys.argv[5]} | {n} | {s:.1f} | {n*60/s:.0f} | {r/1024:.0f} |')" \
    "$secs" "$n" "$rss" "$name" "$jobs"
}

echo
echo "| run | jobs | images | seconds | images/min | peak RSS MiB |"
echo "|---|---|---|---|---|---|"
run cold-1 1 manifest.tsv
run cold-2 2 manifest.tsv
if "$bin" bulk --help | grep -q -- "--cache"; then
  run cached-2-filling 2 manifest.tsv --cache "$work/cache"
  run cached-2-second-corpus 2 manifest2.tsv --cache "$work/cache"
  echo
  echo "cache folder: $(du -sh "$work/cache" | cut -f1)"
fi
echo
echo "scratch folder after the runs (trees are removed after each image): $(du -sh "$work/scratch-cold-2" | cut -f1)"
