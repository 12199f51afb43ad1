#!/usr/bin/env bash
# Crash battery: kill -9 the server at random points during a large upload, restart it, and check
# after every cycle that no student is half-written or duplicated (bench/crash/check.py); at the
# end, re-send the file and check that it completes with every accepted student present once.
#
#   bench/crash/run.sh [--cycles 25] [--students 3000] [--backend sqlite|postgres] [--seed 1]
#
# PUENTE_BIN: use this binary (default: build the release binary). PostgreSQL: a fresh database
# on PUENTE_TEST_PG_URL's server (default postgres://postgres@127.0.0.1:5432/postgres), dropped
# afterwards. Prints one line per cycle and a summary; exits 1 on the first inconsistency.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

cycles=25 students=3000 backend=sqlite seed=1
while [ $# -gt 0 ]; do
    case "$1" in
        --cycles) cycles=$2; shift 2 ;;
        --students) students=$2; shift 2 ;;
        --backend) backend=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
RANDOM=$seed

if [ -z "${PUENTE_BIN:-}" ]; then
    cargo build --release -q -p puente-cli
    PUENTE_BIN="${CARGO_TARGET_DIR:-target}/release/puente"
fi
bin="$PUENTE_BIN"

tmp="$(mktemp -d)"
server_pid=""
pg_db=""
cleanup() {
    if [ -n "$server_pid" ]; then kill -9 "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    if [ -n "$pg_db" ]; then
        psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true
        psql "$pg_admin" -qc "DROP DATABASE IF EXISTS ${pg_db}_s" >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

case "$backend" in
    sqlite) db="$tmp/puente.db"; scratch="$tmp/scratch.db" ;;
    postgres)
        source scripts/pg.sh
        ensure_postgres
        pg_admin=${PUENTE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
        pg_db="puente_crash_$$"
        psql "$pg_admin" -qc "CREATE DATABASE $pg_db" >/dev/null
        db="${pg_admin%/*}/$pg_db"
        psql "$pg_admin" -qc "CREATE DATABASE ${pg_db}_s" >/dev/null
        scratch="${pg_admin%/*}/${pg_db}_s"
        ;;
    *) echo "backend: sqlite or postgres" >&2; exit 2 ;;
esac

"$bin" generate --students "$students" --seed "$seed" --out "$tmp/files" >/dev/null
# The largest state file is the upload.
file="$(ls -S "$tmp"/files/*.jsonl | head -n1)"
state="$(basename "$file" .jsonl)"
"$bin" migrate --db "$db" >/dev/null
"$bin" migrate --db "$scratch" >/dev/null
token="$("$bin" tokens issue --db "$db" --state "$state" --name crash-battery | tail -n1)"
scratch_token="$("$bin" tokens issue --db "$scratch" --state "$state" --name crash-calibration | tail -n1)"
records=$(($(wc -l <"$file") - 1))
echo "crash battery: $backend, $cycles cycles, $state file with $records students ($(du -h "$file" | cut -f1))"

start_server() { # [database]
    : >"$tmp/serve.out"
    "$bin" serve --addr 127.0.0.1:0 --db "${1:-$db}" >"$tmp/serve.out" 2>"$tmp/serve.err" &
    server_pid=$!
    url=""
    for _ in $(seq 1 600); do
        url="$(sed -n 's#.*Puente is serving at \(http://[^ ]*\).*#\1#p' "$tmp/serve.out" | head -n1)"
        [ -n "$url" ] && break
        kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/serve.err" >&2; exit 1; }
        sleep 0.1
    done
    url="${url%/}"
    for _ in $(seq 1 300); do
        curl -fsS -o /dev/null "$url/healthz" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "server did not become healthy" >&2
    exit 1
}

upload() { # prints the HTTP status
    curl -sS -o "$tmp/upload.json" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/octet-stream' -H 'Expect:' \
        --data-binary @"$file" "$url/api/v1/submissions?file_name=$(basename "$file")" 2>/dev/null || true
}

# Calibration: one whole upload into a scratch database. Kills are then spread uniformly over
# that duration (override with PUENTE_CRASH_WINDOW_MS), so nearly all land during an upload.
start_server "$scratch"
t0=$(date +%s%N)
saved_token=$token; token=$scratch_token
cal_status="$(upload)"
token=$saved_token
full_ms=$((($(date +%s%N) - t0) / 1000000))
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
[ "$cal_status" = "201" ] || { echo "calibration upload answered $cal_status" >&2; head -c 500 "$tmp/upload.json" >&2; exit 1; }
full_ms=${PUENTE_CRASH_WINDOW_MS:-$full_ms}
echo "an uninterrupted upload takes $full_ms ms"

killed_mid=0
for i in $(seq 1 "$cycles"); do
    start_server
    upload >"$tmp/status" &
    up_pid=$!
    delay_ms=$(((RANDOM * 32768 + RANDOM) % full_ms + 20))
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    wait "$up_pid" 2>/dev/null || true
    status="$(cat "$tmp/status")"
    case "$status" in 200 | 201) ;; *) killed_mid=$((killed_mid + 1)) ;; esac
    if ! out="$(python3 bench/crash/check.py --db "$db" --file "$file")"; then
        echo "cycle $i: killed after ${delay_ms} ms: INCONSISTENT"
        echo "$out"
        exit 1
    fi
    case "$status" in 200 | 201) answer="answered $status" ;; *) answer="no answer" ;; esac
    echo "cycle $i: killed after ${delay_ms} ms (upload: $answer); ${out#check: }"
done

# Re-send after the last crash: it must complete, with every accepted student present once.
start_server
status="$(upload)"
accepted="$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["submission"]["accepted"])' "$tmp/upload.json" 2>/dev/null || echo "")"
if [ "$status" != "201" ] && [ "$status" != "200" ] || [ -z "$accepted" ]; then
    echo "re-send answered $status:"; head -c 500 "$tmp/upload.json"; echo
    exit 1
fi
out="$(python3 bench/crash/check.py --db "$db" --file "$file" --complete "$accepted")" || {
    echo "after re-send: INCONSISTENT"; echo "$out"; exit 1; }
echo "re-send: HTTP $status, $accepted accepted; ${out#check: }"
# A second re-send is recognised and changes nothing.
status2="$(upload)"
out2="$(python3 bench/crash/check.py --db "$db" --file "$file" --complete "$accepted")" || {
    echo "after second re-send: INCONSISTENT"; echo "$out2"; exit 1; }
echo "second re-send: HTTP $status2 (already received); ${out2#check: }"
echo "crash battery passed: $cycles kill -9 cycles ($killed_mid during the upload), no half-written or duplicated student"
