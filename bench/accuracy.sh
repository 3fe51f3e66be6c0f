#!/usr/bin/env bash
# Accuracy benchmark (issue 10). Run by hand; prints a Markdown table.
#
#   bench/accuracy.sh [LABEL]
#
# Per firmware image of the corpus and for the clean Debian reference image: component
# precision and recall against ground truth (corpus README facts in
# bench/accuracy-truth.tsv, components/ground-truth.tsv, the reference image's package
# database), the FAIL verdicts with the finding codes that caused each, total findings
# and vulnerability matches (knowledge base: the corpus's real NVD page, KEV catalogue
# and kernel stream fixes). Goals: precision >= 99% with recall >= 95%, no FAIL on the
# reference image.
#
# Environment:
#   BASELINER  binary to measure (default: target/release/baseliner, built here)
#   CORPUS     corpus folder (default ../shared/corpus beside the repository)
#   BENCH_WORK scratch folder (default /tmp/baseliner-bench-accuracy)
#   DEBREF_CACHE  where the reference image's .debs are kept (see crates/testkit/debref.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
work="${BENCH_WORK:-/tmp/baseliner-bench-accuracy}"
corpus="${CORPUS:-$root/../shared/corpus}"
mkdir -p "$work"
[ -d "$corpus/firmware" ] || { echo "corpus not found at $corpus (set CORPUS=...)" >&2; exit 1; }
if [ -z "${BASELINER:-}" ]; then
    (cd "$root" && cargo build -q --release -p baseliner)
    BASELINER="${CARGO_TARGET_DIR:-$root/target}/release/baseliner"
fi

kb="$work/kb.sqlite"
rm -f "$kb" "$kb"-* "$kb.idx"
for f in nvd-cve-api-2.0-page.json CVE-2012-0010.json cisa-kev.csv stream_fixes.json; do
    "$BASELINER" db import --db "$kb" "$corpus/vulndata/$f" >/dev/null
done

ref_args=()
if bash "$root/crates/testkit/debref.sh" "$work/debref" >/dev/null; then
    ref_args=(--reference "$work/debref")
else
    echo "reference image not built (see above); measuring the corpus only" >&2
fi

python3 "$here/accuracy.py" --work "$work" --corpus "$corpus" --baseliner "$BASELINER" \
    --kb "$kb" --truth "$here/accuracy-truth.tsv" --label "${1:-}" "${ref_args[@]}"
