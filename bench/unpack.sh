#!/usr/bin/env bash
# Unpack benchmark: baseliner vs unblob vs binwalk v3 on every image of the firmware
# corpus, plus Debian's unsquashfs on the carved squashfs as the floor, and a peak-memory
# check on a generated 1 GiB image. Run by hand; prints a Markdown table.
#
#   bench/unpack.sh [RUNS]        (default 5 runs, median reported)
#
# Installs the peers as a user would here: unblob from PyPI into a venv (with jefferson
# and ubireader, which it pulls in), binwalk v3 from crates.io (the PyPI binwalk3 wrapper
# ships no binary for this platform), and every external extractor they call that Debian
# packages (7z, lz4, lzop, zstd, unar, simg2img, fsck.erofs, lziprecover, partclone,
# debugfs). sasquatch is in no registry reachable here, so both peers recover little
# from vendor squashfs; the table says so.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="${BENCH_WORK:-/tmp/baseliner-bench}"
corpus="${CORPUS:-$root/../shared/corpus}"
runs="${1:-5}"
mkdir -p "$work"

if [ ! -d "$corpus/firmware" ]; then
  echo "corpus not found at $corpus (set CORPUS=...)" >&2
  exit 1
fi

need_apt=()
for p in squashfs-tools time p7zip-full lz4 lzop zstd unar android-sdk-libsparse-utils \
         erofs-utils lziprecover partclone e2fsprogs; do
  dpkg -s "$p" >/dev/null 2>&1 || need_apt+=("$p")
done
if [ "${#need_apt[@]}" -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ ! -x "$work/venv/bin/unblob" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q unblob
fi
if [ ! -x "$work/cargo/bin/binwalk" ]; then
  cargo install -q binwalk --locked --root "$work/cargo"
fi
(cd "$root" && cargo build -q --release -p baseliner)

# The peers find jefferson and ubireader_* on PATH.
PATH="$work/venv/bin:$PATH" python3 "$here/unpack_bench.py" \
  --runs "$runs" --work "$work" --corpus "$corpus" \
  --baseliner "$root/target/release/baseliner" \
  --unblob "$work/venv/bin/unblob" \
  --binwalk "$work/cargo/bin/binwalk"
