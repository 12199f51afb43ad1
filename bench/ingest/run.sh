#!/usr/bin/env bash
# Ingest benchmark (issue: State record submission). Generates N students (default 100,000) with
# `puente generate`, then on SQLite and on PostgreSQL:
#   1. `puente submit` of every state file (validation, linkage, report, per-batch transactions)
#   2. the bulk_insert baseline of the same files (typed insert only, no linkage)
# and prints students/s, wall time, peak memory and the ratio submit/bulk.
# Usage: bench/ingest/run.sh [N]     (loopback PostgreSQL on 127.0.0.1:5432)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-100000}
source scripts/pg.sh
ensure_postgres
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p puente-cli --bin puente --example bulk_insert
BIN=$CARGO_TARGET_DIR/release/puente
BULK=$CARGO_TARGET_DIR/release/examples/bulk_insert
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "generating $N students ..."
"$BIN" generate --students "$N" --seed 1 --out "$WORK/files" >/dev/null
FILES=("$WORK"/files/*.jsonl)
RECORDS=$(cat "${FILES[@]}" | grep -c '"student"')
echo "$RECORDS state records in ${#FILES[@]} files"
PG_ADMIN=postgres://postgres@127.0.0.1:5432/postgres

measure() { # label command...
    local label=$1; shift
    local start end rss
    start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$WORK/rss" "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err"; return 1; }
    end=$(date +%s.%N)
    rss=$(tail -n 1 "$WORK/rss")
    local secs
    secs=$(awk "BEGIN{print $end - $start}")
    printf "%-28s %8.1f s  %10.0f records/s  peak %6.0f MB\n" "$label" "$secs" "$(awk "BEGIN{print $RECORDS / $secs}")" "$(awk "BEGIN{print $rss / 1024}")"
    echo "$secs" >"$WORK/last"
}

for backend in sqlite postgres; do
    for kind in submit bulk; do
        if [ "$backend" = sqlite ]; then
            url="sqlite://$WORK/$kind.db"
        else
            db="puente_bench_$kind"
            psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $db" -qc "CREATE DATABASE $db" >/dev/null
            url="postgres://postgres@127.0.0.1:5432/$db"
        fi
        if [ "$kind" = submit ]; then
            for f in "${FILES[@]}"; do
                st=$(basename "$f" .jsonl)
                echo "$st $f"
            done >"$WORK/list"
            measure "$backend submit" bash -c 'while read -r st f; do "$0" submit --state "$st" --db "$1" "$f" >/dev/null || exit 1; done <"$2"' "$BIN" "$url" "$WORK/list"
            submit_secs=$(cat "$WORK/last")
        else
            measure "$backend bulk insert" "$BULK" "$url" "${FILES[@]}"
            bulk_secs=$(cat "$WORK/last")
        fi
    done
    printf "%-28s %8.2f\n" "$backend submit/bulk time" "$(awk "BEGIN{print $submit_secs / $bulk_secs}")"
done
