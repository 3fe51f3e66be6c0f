#!/usr/bin/env bash
# End-to-end benchmark of `baseliner assess` on every image of the firmware corpus,
# median of N runs, with the per-stage breakdown from assessment.json, beside the floor:
# the time `baseliner unpack` alone takes to decompress and write the same image.
#
#   bench/assess.sh [RUNS]      (default 5)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
corpus="${CORPUS:-$root/../shared/corpus}"
work="${BENCH_WORK:-/tmp/baseliner-bench-assess}"
runs="${1:-5}"
mkdir -p "$work"
[ -d "$corpus/firmware" ] || { echo "corpus not found at $corpus (set CORPUS=...)" >&2; exit 1; }
(cd "$root" && cargo build -q --release -p baseliner)
bin="$root/target/release/baseliner"

# A knowledge base from the corpus vulnerability data, so the vulns stage does real work.
db="$work/kb.sqlite"
rm -f "$db"*
"$bin" db import --db "$db" "$corpus"/vulndata/nvd-cve-api-2.0-page.json "$corpus"/vulndata/CVE-2012-0010.json \
  "$corpus"/vulndata/cisa-kev.csv "$corpus"/vulndata/stream_fixes.json >/dev/null

python3 - "$bin" "$corpus" "$work" "$runs" "$db" <<'PY'
import json, shutil, statistics, subprocess, sys, time
from pathlib import Path
bin_, corpus, work, runs, db = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
stages = ["unpack", "inspect", "vulns", "evaluate", "report"]
print(f"median of {runs} runs; stage columns from assessment.json; floor = `baseliner unpack` alone\n")
print("| image | assess wall ms | " + " | ".join(f"{s} ms" for s in stages) + " | floor (unpack) ms | assess / floor |")
print("|---|---|" + "---|" * len(stages) + "---|---|")
for img in sorted((corpus / "firmware").iterdir()):
    walls, per = [], {s: [] for s in stages}
    for i in range(runs):
        out = work / "out"
        shutil.rmtree(out, ignore_errors=True)
        t = time.perf_counter()
        subprocess.run([bin_, "assess", str(img), "--out", str(out), "--db", db],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append((time.perf_counter() - t) * 1000)
        try:
            a = json.loads((out / "assessment.json").read_text())
            for tm in a.get("timings", []):
                if tm["stage"] in per:
                    per[tm["stage"]].append(tm["millis"])
        except Exception:
            pass
    floors = []
    for i in range(runs):
        out = work / "floor"
        shutil.rmtree(out, ignore_errors=True)
        t = time.perf_counter()
        subprocess.run([bin_, "unpack", str(img), "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        floors.append((time.perf_counter() - t) * 1000)
    med = statistics.median(walls)
    fl = statistics.median(floors)
    cols = " | ".join(f"{statistics.median(per[s]):.0f}" if per[s] else "n/a" for s in stages)
    print(f"| {img.name} | {med:.0f} | {cols} | {fl:.0f} | {med / fl:.2f}x |", flush=True)
PY
