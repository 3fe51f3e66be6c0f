#!/usr/bin/env bash
# Registry benchmark: 10,000 real publications (variants of the bundled sample's
# assessment, each re-signed, each passing every server check and appended to the log),
# then the verify endpoint and a product page loaded with wrk, against SQLite and
# PostgreSQL.
#
#   bench/registry.sh [N] [PG_URL]   (default 10000; PostgreSQL from BASELINER_TEST_PG or
#                                      the second argument; skipped when neither is set)
#
# Reports publications/s (8 client threads) and, per endpoint, requests/s with latency
# percentiles (wrk -t2 -c32 -d"${BENCH_SECONDS:-15}s" --latency; a Lua script rotates over every published
# firmware SHA-256 / product page).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
n="${1:-10000}"
pg="${2:-${BASELINER_TEST_PG:-}}"
work="${BENCH_WORK:-/tmp/baseliner-bench-registry}"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
# BENCH_PROFILE=dev runs the debug build (a quick check of the script, not figures).
profile="${BENCH_PROFILE:-release}"
dir=$([ "$profile" = dev ] && echo debug || echo release)
(cd "$root" && cargo build -q --profile "$profile" -p baseliner && cargo build -q --profile "$profile" -p baseliner-registry --example publish_load)
bin="$root/target/$dir/baseliner"
load="$root/target/$dir/examples/publish_load"
rm -rf "$work"; mkdir -p "$work"
"$bin" keys new --out "$work/bench" >/dev/null
"$bin" assess "$root/samples/router-fw.bin" --declaration "$root/samples/router-fw.toml" \
  --out "$work/sample" --db "$work/no-kb" >/dev/null

cat > "$work/rotate.lua" <<'LUA'
-- Rotates over the paths in column COL of paths.tsv.
local paths = {}
local col = tonumber(os.getenv("COL") or "1")
for line in io.lines(os.getenv("PATHS")) do
  local a, b = line:match("([^\t]+)\t([^\t]+)")
  paths[#paths + 1] = (col == 1) and a or b
end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept"] = "application/json" })
end
LUA

bench_backend() { # name db-url
  local name="$1" db="$2"
  echo "== $name"
  local token
  token=$("$bin" registry token new --org Bench --db "$db")
  "$bin" registry key add --org Bench --key "$work/bench.pub" --db "$db" >/dev/null
  "$bin" serve --db "$db" --listen 127.0.0.1:0 > "$work/$name.serve.log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do grep -q listening "$work/$name.serve.log" && break; sleep 0.1; done
  local url
  url=$(sed -n 's/^listening on //p' "$work/$name.serve.log")
  "$load" "$url" "$token" "$work/bench.key" "$work/sample/assessment.json" "$n" 8 "$work/$name.paths.tsv"
  for col in 1 2; do
    local what; [ $col = 1 ] && what="verify (GET /api/v1/verify/{firmware sha256})" || what="product page (GET /product/{id})"
    echo "-- $what"
    COL=$col PATHS="$work/$name.paths.tsv" wrk -t2 -c32 -d"${BENCH_SECONDS:-15}s" --latency -s "$work/rotate.lua" "$url" \
      | grep -E "Requests/sec|Latency  |50%|90%|99%|Non-2xx|Socket errors"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

bench_backend sqlite "$work/registry.sqlite"
if [ -n "$pg" ]; then
  dbname="registry_bench_$$"
  psql "$pg" -q -c "DROP DATABASE IF EXISTS $dbname" -c "CREATE DATABASE $dbname"
  bench_backend postgresql "${pg%/*}/$dbname"
  psql "$pg" -q -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)"
else
  echo "== postgresql: skipped (give a postgres:// URL as the second argument or set BASELINER_TEST_PG)"
fi
