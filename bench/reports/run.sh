#!/usr/bin/env bash
# Reports benchmark (issue: Reports and dashboards). Generates N children (default 100,000) with
# `puente generate`, submits every state file with `puente submit`, then on SQLite and on
# PostgreSQL times `puente report child-count`, `report quality` (for the state with the most
# records) and `report national`. Target: <= 2 s per report at 1,000,000 children.
# Usage: bench/reports/run.sh [N]     (loopback PostgreSQL on 127.0.0.1:5432)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
YEAR=${YEAR:-2025}
source scripts/pg.sh
ensure_postgres
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p puente-cli --bin puente
BIN=$CARGO_TARGET_DIR/release/puente
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "generating $N children ..."
"$BIN" generate --students "$N" --seed 1 --out "$WORK/files" >/dev/null
FILES=("$WORK"/files/*.jsonl)
# the state with the most records
BIG=$(for f in "${FILES[@]}"; do echo "$(grep -c '"student"' "$f") $(basename "$f" .jsonl)"; done | sort -rn | head -1 | awk '{print $2}')
echo "largest state: $BIG"
PG_ADMIN=postgres://postgres@127.0.0.1:5432/postgres

timed() { # label command...
    local label=$1; shift
    local start end
    start=$(date +%s.%N)
    "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
    end=$(date +%s.%N)
    printf "%-36s %8.2f s\n" "$label" "$(awk "BEGIN{print $end - $start}")"
}

for backend in sqlite postgres; do
    if [ "$backend" = sqlite ]; then
        url="sqlite://$WORK/reports.db"
    else
        psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS puente_bench_reports" -qc "CREATE DATABASE puente_bench_reports" >/dev/null
        url="postgres://postgres@127.0.0.1:5432/puente_bench_reports"
    fi
    start=$(date +%s.%N)
    for f in "${FILES[@]}"; do
        "$BIN" submit --state "$(basename "$f" .jsonl)" --db "$url" "$f" >/dev/null
    done
    printf "%-36s %8.1f s\n" "$backend load (puente submit)" "$(awk "BEGIN{print $(date +%s.%N) - $start}")"
    children=$("$BIN" stats --json --db "$url" | grep -o '"children": *[0-9]*' | head -1 | grep -o '[0-9]*$')
    echo "$backend children: $children"
    timed "$backend child-count $BIG" "$BIN" report child-count --state "$BIG" --year "$YEAR" --json --db "$url"
    grep -o '"category1": *[0-9]*' "$WORK/out" | head -1
    timed "$backend quality $BIG" "$BIN" report quality --state "$BIG" --json --db "$url"
    timed "$backend national" "$BIN" report national --year "$YEAR" --json --db "$url"
done
