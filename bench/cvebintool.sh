#!/usr/bin/env bash
# Matching comparison with cve-bin-tool, offline (issue 4): accuracy on the real NVD records
# of the corpus, and time on the synthetic 300,000-record dump of bench/vulns.sh.
#
# Usage: bench/cvebintool.sh [WORKDIR]            (default target/bench-cvebintool)
# Environment:
#   BASELINER  baseliner binary for `db import` (default target/release/baseliner)
#   SYNTH      folder of bench/vulns.sh holding nvd/nvd-page-*.json (default /tmp/bv-300k);
#              SYNTH=none skips the timing part
#   PAGES      synthetic pages to use, 2,000 records each (default: all)
#   RUNS       timed runs per measurement (default 3; the median is reported)
#   REUSE=1    keep the synthetic databases a previous run left in WORKDIR/synth
#   CBT_VENV   venv with cve-bin-tool (default WORKDIR/venv, created when missing)
#   CORPUS     corpus folder (default ../shared/corpus beside the repository)
#
# cve-bin-tool keeps its database in $HOME/.cache/cve-bin-tool/cve.db; each data set gets
# its own HOME under WORKDIR, filled by bench/cvebintool_db.py with cve-bin-tool's own NVD
# API 2.0 converter, and cve-bin-tool runs with --offline (no update, no version check).
# baseliner matches the same components through crates/vulns/examples/match_json.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mkdir -p "${1:-target/bench-cvebintool}" && cd "${1:-target/bench-cvebintool}" && pwd)
baseliner=${BASELINER:-$repo/target/release/baseliner}
synth=${SYNTH:-/tmp/bv-300k}
runs=${RUNS:-3}
venv=${CBT_VENV:-$work/venv}
corpus=${CORPUS:-$repo/../shared/corpus}
page=$corpus/vulndata/nvd-cve-api-2.0-page.json
helper=$repo/bench/cvebintool_db.py

[ -f "$page" ] || { echo "corpus page $page not found" >&2; exit 1; }
[ -x "$baseliner" ] || { echo "baseliner binary $baseliner not found (set BASELINER)" >&2; exit 1; }
if [ ! -x "$venv/bin/cve-bin-tool" ]; then
    echo "installing cve-bin-tool into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q cve-bin-tool
fi
py=$venv/bin/python
echo "cve-bin-tool $("$venv/bin/pip" show cve-bin-tool | sed -n 's/^Version: //p'), baseliner $("$baseliner" --version)"
cargo build --release -q -p baseliner-vulns --example match_json
match_json=${CARGO_TARGET_DIR:-$repo/target}/release/examples/match_json

now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Runs "$@" $runs times and prints the median wall time in ms (output of the last run kept).
wall_ms() {
    local t0 t1
    for _ in $(seq "$runs"); do
        t0=$(now_ms)
        "$@"
        t1=$(now_ms)
        echo $((t1 - t0))
    done | median
}

# cve-bin-tool SBOM OUT: one offline run over a CycloneDX SBOM, JSON report to OUT. It
# exits with the number of products with CVEs (0 and 1 both mean it ran). It will not
# overwrite OUT (it would write output.cve-bin-tool.*.json into the current folder
# instead), so OUT is removed first and it runs from WORKDIR.
cbt() {
    local rc=0
    rm -f "$2"
    (cd "$work" && "$venv/bin/cve-bin-tool" --offline --disable-version-check \
        --sbom cyclonedx --sbom-file "$1" -f json -o "$2") >"$log" 2>&1 || rc=$?
    [ "$rc" -le 1 ] || { echo "cve-bin-tool failed ($rc), see $log" >&2; tail -20 "$log" >&2; exit 1; }
}

# ---------------------------------------------------------------- accuracy: corpus page
c=$work/corpus
rm -rf "$c" && mkdir -p "$c"
"$py" "$helper" corpus "$c"
HOME=$c/home "$py" "$helper" build-db "$page" 2>&1 | grep -v '^DEBUG' || true
"$baseliner" db import --db "$c/kb.sqlite" "$page" >/dev/null
"$match_json" "$c/kb.sqlite" "$c/components.json" >"$c/baseliner-cpe.json" 2>/dev/null
"$match_json" "$c/kb.sqlite" "$c/components-name.json" >"$c/baseliner-name.json" 2>/dev/null
for mode in cpe name; do
    log=$c/cbt-$mode.log
    HOME=$c/home cbt "$c/sbom-$mode.cdx.json" "$c/cbt-$mode-report.json"
    "$py" "$helper" report "$c/cbt-$mode-report.json" "$c/cbt-$mode.json"
done
echo
echo "## Accuracy on $page"
"$py" "$helper" table "$c" | tee "$c/table.md"

# ---------------------------------------------------------------- time: synthetic dump
[ "$synth" = none ] && exit 0
mapfile -t pages < <(ls "$synth"/nvd/nvd-page-*.json 2>/dev/null | sort)
[ "${#pages[@]}" -gt 0 ] || { echo "no synthetic pages in $synth/nvd (run bench/vulns.sh first)" >&2; exit 1; }
[ -n "${PAGES:-}" ] && pages=("${pages[@]:0:$PAGES}")
s=$work/synth
cbtdb=$s/home/.cache/cve-bin-tool/cve.db
if [ "${REUSE:-0}" != 1 ] || [ ! -f "$s/kb.sqlite" ] || [ ! -f "$cbtdb" ]; then
    rm -rf "$s" && mkdir -p "$s"
    fresh=1
else
    fresh=0
fi
echo
echo "## Time on the synthetic dump: ${#pages[@]} pages ($(( ${#pages[@]} * 2000 )) records)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$py" "$helper" synthetic 1000 "$s"

if [ "$fresh" = 1 ]; then
    t0=$(now_ms)
    "$baseliner" db import --db "$s/kb.sqlite" "${pages[@]}" >/dev/null
    echo "baseliner db import: $(( $(now_ms) - t0 )) ms"
    t0=$(now_ms)
    HOME=$s/home "$py" "$helper" build-db "${pages[@]}" 2>&1 | grep -v '^DEBUG' || true
    echo "cve-bin-tool database build (its converter and writer): $(( $(now_ms) - t0 )) ms"
else
    echo "(REUSE=1: both databases left by a previous run)"
fi
ls -l "$s/kb.sqlite" "$cbtdb" | awk '{printf "  %s: %.1f MiB\n", $NF, $5 / 1048576}'
# Warm the page cache for both databases before timing.
cat "$s"/kb.sqlite* "$cbtdb" >/dev/null

# baseliner: whole process, then match_components alone (7 runs in one process).
for set in "" -sub; do
    ms=$(wall_ms sh -c '"$0" "$1" "$2" 1 >"$3" 2>/dev/null' "$match_json" "$s/kb.sqlite" \
        "$s/components$set.json" "$s/baseliner-cpe$set.json")
    n=$("$py" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$s/components$set.json")
    echo "baseliner process, $n components (read list, open KB, match once, write JSON): median of $runs: $ms ms"
    "$match_json" "$s/kb.sqlite" "$s/components$set.json" 7 2>&1 >/dev/null | grep match_ms \
        | awk '{print $2}' | sort -n \
        | awk -v n="$n" '{a[NR]=$1} END {printf "baseliner match_components alone, %s components, 7 runs: median %s ms (min %s, max %s)\n", n, a[4], a[1], a[7]}'
done

# cve-bin-tool: it scans cve_range once per product and query (no index on vendor,
# product), so one run over 1,000 components takes minutes: the full set runs once (for
# the match comparison), the 100-component subset $runs times.
log=$s/cbt.log
t0=$(now_ms)
HOME=$s/home cbt "$s/sbom-cpe.cdx.json" "$s/cbt-report.json"
echo "cve-bin-tool process, 1000 components (--offline --sbom-file, JSON report): one run: $(( $(now_ms) - t0 )) ms"
"$py" "$helper" report "$s/cbt-report.json" "$s/cbt-cpe.json"
log=$s/cbt-sub.log
ms=$(HOME=$s/home wall_ms cbt "$s/sbom-cpe-sub.cdx.json" "$s/cbt-report-sub.json")
echo "cve-bin-tool process, 100 components: median of $runs: $ms ms"
HOME=$s/home "$py" "$helper" scan "$s/sbom-cpe-sub.cdx.json" "$s/cbt-scan-sub.json" "$runs" 2>&1 | grep -v '^DEBUG'
"$py" "$helper" report "$s/cbt-report-sub.json" "$s/cbt-cpe-sub.json"
cmp -s "$s/cbt-scan-sub.json" "$s/cbt-cpe-sub.json" && echo "cve-bin-tool in process and CLI report: same matches (subset)"
"$py" "$helper" compare-synthetic "$s" "${pages[@]}"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
