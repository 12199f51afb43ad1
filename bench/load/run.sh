#!/usr/bin/env bash
# Load battery: 50 signed-in counselor sessions (search + record view) while 4 states upload
# files, for a bounded time, against SQLite or PostgreSQL (loopback only). Prints throughput,
# p50/p99 latency and errors, then checks that the audit holds one record.view event per record
# view served and that every uploaded student is present exactly once (bench/load/load.py).
#
#   bench/load/run.sh [--seconds 600] [--backend sqlite|postgres] [--users 50] [--students 3000]
#
# PUENTE_BIN: use this binary (default: build the release binary).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
seconds=600 backend=sqlite users=50 students=3000
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --backend) backend=$2; shift 2 ;;
        --users) users=$2; shift 2 ;;
        --students) students=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "${PUENTE_BIN:-}" ]; then
    cargo build --release -q -p puente-cli
    PUENTE_BIN="${CARGO_TARGET_DIR:-target}/release/puente"
fi
bin="$PUENTE_BIN"
tmp="$(mktemp -d)"
server_pid="" pg_db=""
cleanup() {
    # Keep the battery's own exit status: the stopped server's 143 must not replace it (set -e
    # applies inside this trap too).
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    if [ -n "$pg_db" ]; then psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
case "$backend" in
    sqlite) db="$tmp/puente.db" ;;
    postgres)
        source scripts/pg.sh
        ensure_postgres
        pg_admin=${PUENTE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
        pg_db="puente_load_$$"
        psql "$pg_admin" -qc "CREATE DATABASE $pg_db" >/dev/null
        db="${pg_admin%/*}/$pg_db"
        ;;
    *) echo "backend: sqlite or postgres" >&2; exit 2 ;;
esac

"$bin" generate --students "$students" --seed 11 --out "$tmp/files" >/dev/null
"$bin" migrate --db "$db" >/dev/null
# The four largest state files are uploaded under load; the others are loaded first, so that
# there are children to search for.
mapfile -t by_size < <(ls -S "$tmp"/files/*.jsonl)
uploads=("${by_size[@]:0:4}")
preload=("${by_size[@]:4}")
for f in "${preload[@]}"; do
    "$bin" submit --db "$db" --state "$(basename "$f" .jsonl)" "$f" >/dev/null
done
accounts="$("$bin" users seed-demo --db "$db")"
line="$(grep -m1 'secondary.user@' <<<"$accounts")"
email="$(awk '{print $1}' <<<"$line")"
secret="$(awk '{print $NF}' <<<"$line")"
password="$(sed -n 's/.*password for all: \([^)]*\)).*/\1/p' <<<"$accounts")"
specs=()
for f in "${uploads[@]}"; do
    st="$(basename "$f" .jsonl)"
    tok="$("$bin" tokens issue --db "$db" --state "$st" --name load-battery | tail -n1)"
    specs+=(--upload "$st:$tok:$f")
done
names="$(IFS=,; echo "${preload[*]}")"

"$bin" serve --addr 127.0.0.1:0 --db "$db" >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
url=""
for _ in $(seq 1 600); do
    url="$(sed -n 's#.*Puente is serving at \(http://[^ ]*\).*#\1#p' "$tmp/serve.out" | head -n1)"
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/serve.err" >&2; exit 1; }
    sleep 0.1
done
url="${url%/}"
echo "load battery: $backend, $users sessions, ${seconds} s, uploads: $(for f in "${uploads[@]}"; do printf '%s ' "$(basename "$f" .jsonl)"; done)"
python3 bench/load/load.py --url "$url" --db "$db" --email "$email" --secret "$secret" \
    --password "$password" --users "$users" --seconds "$seconds" --names "$names" "${specs[@]}"
