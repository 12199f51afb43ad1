#!/usr/bin/env bash
# Fault battery: a full disk (SQLite on a tiny tmpfs) and an unavailable database (a private
# PostgreSQL cluster stopped, then paused with SIGSTOP), through the CLI and the running server.
# Checks that every failure is clear (CLI message; API 5xx problem+json with a stable code and no
# internal text), bounded in time, leaves no half-written student (bench/crash/check.py), and that
# everything recovers without restarting puente: once the space is back or the database is up
# again, the same file is re-sent and completes.
#
#   bench/faults/run.sh [--students 1500] [--only disk|pg]
#
# PUENTE_BIN: use this binary (default: build the release binary). Needs root (mount, and the
# private cluster runs as the postgres user). Loopback only; the shared server on 5432 is not
# touched. Prints PASS/FAIL/FINDING lines and a summary; exits 1 when any check FAILed. A FINDING
# is a behaviour worth fixing that the battery records without failing (a request that hangs
# while the database is paused, a 401 where 503 is meant).
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

students=1500 only=""
while [ $# -gt 0 ]; do
    case "$1" in
        --students) students=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ "$(id -u)" != 0 ]; then
    echo "FAIL the fault battery needs root (tmpfs mount, private PostgreSQL cluster)"
    exit 1
fi
if [ -z "${PUENTE_BIN:-}" ]; then
    cargo build --release -q -p puente-cli || exit 1
    PUENTE_BIN="${CARGO_TARGET_DIR:-target}/release/puente"
fi
bin="$PUENTE_BIN"
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac

tmp="$(mktemp -d -t puente-faults.XXXXXX)"
chmod 755 "$tmp"
small="$tmp/small"
server_pid="" pg_data="" mounted="" stopped_pids=""
failures=0 findings=0 passes=0
pass() { echo "PASS $*"; passes=$((passes + 1)); }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
finding() { echo "FINDING $*"; findings=$((findings + 1)); }
note() { echo "  $*"; }

stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=""
    fi
}
cleanup() {
    # A paused cluster cannot stop: wake it first.
    [ -n "$stopped_pids" ] && kill -CONT $stopped_pids 2>/dev/null
    stop_server
    if [ -n "$pg_data" ] && [ -f "$pg_data/postmaster.pid" ]; then
        runuser -u "$pg_user" -- "$pgbin/pg_ctl" -D "$pg_data" -m immediate -w -t 30 stop >/dev/null 2>&1
    fi
    [ -n "$mounted" ] && umount "$small" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server DB [env...]: `puente serve` on a free loopback port; sets url and server_pid.
start_server() {
    local db=$1; shift
    : >"$tmp/serve.out"
    env "$@" "$bin" serve --addr 127.0.0.1:0 --db "$db" >"$tmp/serve.out" 2>>"$tmp/serve.err" &
    server_pid=$!
    url=""
    for _ in $(seq 1 600); do
        url="$(sed -n 's#.*Puente is serving at \(http://[^ ]*\).*#\1#p' "$tmp/serve.out" | head -n1)"
        [ -n "$url" ] && break
        kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$tmp/serve.err" >&2; return 1; }
        sleep 0.1
    done
    url="${url%/}"
    for _ in $(seq 1 300); do
        curl -fsS -o /dev/null --max-time 5 "$url/healthz" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "server did not become healthy" >&2
    return 1
}

# req NAME curl-args...: one request with a 90 s bound; saves $tmp/NAME.h/.b; prints "STATUS SECONDS".
req() {
    local name=$1; shift
    : >"$tmp/$name.h"; : >"$tmp/$name.b"
    curl -sS --max-time "${REQ_MAX:-90}" -D "$tmp/$name.h" -o "$tmp/$name.b" -w '%{http_code} %{time_total}' "$@" 2>/dev/null
}

# upload NAME TOKEN FILE: POST the file to the submission API.
upload() {
    req "$1" -X POST -H "Authorization: Bearer $2" -H 'Content-Type: application/octet-stream' -H 'Expect:' \
        --data-binary @"$3" "$url/api/v1/submissions?file_name=$(basename "$3")"
}
accepted_of() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["submission"]["accepted"])' "$1" 2>/dev/null; }

# check NAME DB FILE [N]: bench/crash/check.py, PASS/FAIL line.
check() {
    local name=$1 db=$2 file=$3 n=${4:-} out
    if out="$(python3 bench/crash/check.py --db "$db" --file "$file" ${n:+--complete "$n"} 2>&1)"; then
        pass "$name: ${out#check: }"
    else
        fail "$name: inconsistent"
        echo "$out" | sed 's/^/  /'
    fi
}

started=$(date +%s)
"$bin" generate --students "$students" --seed 7 --out "$tmp/files" >/dev/null || { echo "FAIL puente generate"; exit 1; }
mapfile -t by_size < <(ls -S "$tmp"/files/*.jsonl)
big="${by_size[0]}" second="${by_size[1]}" third="${by_size[2]}" small_file="${by_size[-1]}"
state_of() { basename "$1" .jsonl; }
echo "fault battery: $students generated students; upload files $(state_of "$big") ($(du -h "$big" | cut -f1)), $(state_of "$second") ($(du -h "$second" | cut -f1))"

# ------------------------------------------------------------------ a. disk full (SQLite)
disk_full() {
    echo "== a. disk full: SQLite database on a tmpfs"
    mkdir -p "$small"
    # Sized from a migrated database: the schema and the first batch of 500 students fit, the
    # second does not (the database grows by about 1.6 times the file).
    "$bin" migrate --db "sqlite://$tmp/sizing.db" >/dev/null || { fail "migrate (sizing)"; return; }
    local base_kb file_kb size_kb
    base_kb=$(du -sk "$tmp"/sizing.db* | awk '{s += $1} END {print s}')
    file_kb=$(du -k "$big" | cut -f1)
    size_kb=$((base_kb + 64 + file_kb * 8 / 10))
    mount -t tmpfs -o "size=${size_kb}k,mode=755" tmpfs "$small" || { fail "mount tmpfs"; return; }
    mounted=1
    local db="sqlite://$small/puente.db"
    if ! timeout 60 "$bin" migrate --db "$db" >/dev/null 2>"$tmp/migrate.err"; then
        fail "migrate on a ${size_kb} KB tmpfs: $(tail -n1 "$tmp/migrate.err")"
        return
    fi
    note "tmpfs ${size_kb} KB (migrated database ${base_kb} KB, $(state_of "$big") file ${file_kb} KB)"

    # CLI: the submission runs out of space.
    local t0 rc out msg
    t0=$(date +%s%N)
    timeout 180 "$bin" submit --db "$db" --state "$(state_of "$big")" "$big" >"$tmp/submit.out" 2>"$tmp/submit.err"
    rc=$?
    local ms=$((($(date +%s%N) - t0) / 1000000))
    msg="$(grep -v 'processing \.\.\.' "$tmp/submit.err" | tail -n 3 | tr '\n' ' ')"
    note "puente submit exit $rc after $ms ms; stderr: $msg"
    if [ "$rc" = 0 ]; then
        fail "CLI submit on a full disk succeeded: $(tail -n1 "$tmp/submit.out")"
    elif [ "$rc" = 124 ]; then
        fail "CLI submit on a full disk did not end within 180 s"
    elif grep -qiE 'disk|full|space|storage' <<<"$msg"; then
        pass "CLI submit on a full disk fails (exit $rc) and says so"
        if grep -qiE 'sqlx|error returned from database|\(code: [0-9]+\)|os error' <<<"$msg"; then
            finding "CLI disk-full message carries driver text: $msg"
        fi
    else
        fail "CLI submit on a full disk fails (exit $rc) without naming the disk: $msg"
    fi
    check "after the disk-full CLI submit, no half-written student" "$db" "$big"

    # More space; the same file again.
    mount -o "remount,size=200m" "$small" || { fail "remount tmpfs"; return; }
    timeout 180 "$bin" submit --db "$db" --state "$(state_of "$big")" "$big" >"$tmp/submit2.out" 2>"$tmp/submit2.err"
    rc=$?
    out="$(tail -n1 "$tmp/submit2.out")"
    local n
    n="$(sed -n 's/.*students, \([0-9]*\) accepted.*/\1/p' <<<"$out")"
    if [ "$rc" = 0 ] && [ -n "$n" ]; then
        pass "CLI re-send after growing the tmpfs to 200 MB completes: $n accepted"
        check "after the CLI re-send, every accepted student present once" "$db" "$big" "$n"
    else
        fail "CLI re-send after growing the tmpfs (exit $rc): $out $(tail -n2 "$tmp/submit2.err" | tr '\n' ' ')"
    fi

    # API: the server's database fills up during an upload. The token is issued first (it is a
    # write); then a filler file leaves ~${headroom_kb} KB.
    local token
    token="$("$bin" tokens issue --db "$db" --state "$(state_of "$second")" --name faults | tail -n1)"
    mkdir -p "$tmp/spool"
    start_server "$db" TMPDIR="$tmp/spool" || { fail "puente serve on the tmpfs database"; return; }
    local headroom_kb=256 avail_kb
    avail_kb=$(df -k --output=avail "$small" | tail -n1 | tr -d ' ')
    fallocate -l "$(((avail_kb - headroom_kb) * 1024))" "$small/filler" 2>/dev/null ||
        dd if=/dev/zero of="$small/filler" bs=1k count=$((avail_kb - headroom_kb)) status=none
    note "filler leaves $(df -k --output=avail "$small" | tail -n1 | tr -d ' ') KB free"
    local r status secs line
    r="$(upload api-full "$token" "$second")"; status=${r% *}; secs=${r#* }
    if line="$(python3 bench/faults/problem.py "$tmp/api-full.h" "$tmp/api-full.b" --status 500,503,507 --code internal,unavailable,insufficient_storage)"; then
        pass "API upload onto a full disk: $line (${secs} s)"
        [ "$status" = 507 ] || finding "API upload onto a full disk answers $status, not 507 insufficient_storage (docs/errors.md: 507 = could not be stored): $line"
    else
        fail "API upload onto a full disk: $line"
        head -c 300 "$tmp/api-full.b" | sed 's/^/  body: /'; echo
    fi
    check "after the disk-full API upload, no half-written student" "$db" "$second"
    kill -0 "$server_pid" 2>/dev/null && pass "server still running after the disk-full upload" || fail "server died on the full disk"
    stop_server

    # The spool itself on the full disk (TMPDIR on the tmpfs): 507 before any database work.
    start_server "$db" TMPDIR="$small" || { fail "puente serve with TMPDIR on the tmpfs"; return; }
    # The server answers while the client is still sending, then closes with the body unread:
    # the reset can reach curl before the answer does (HTTP 000). Up to 3 tries.
    local try
    for try in 1 2 3; do
        r="$(upload api-spool "$token" "$second")"
        [ "${r% *}" != 000 ] && break
        note "try $try: connection reset before the answer was read (the server closes with the body unread)"
    done
    if line="$(python3 bench/faults/problem.py "$tmp/api-spool.h" "$tmp/api-spool.b" --status 507 --code insufficient_storage)"; then
        pass "API upload whose spool file does not fit: $line"
    else
        fail "API upload whose spool file does not fit: $line"
    fi

    # Space back (the filler removed), same file again through the API, same server.
    rm -f "$small/filler"
    r="$(upload api-resend "$token" "$second")"; status=${r% *}
    n="$(accepted_of "$tmp/api-resend.b")"
    if { [ "$status" = 201 ] || [ "$status" = 200 ]; } && [ -n "$n" ]; then
        pass "API re-send once space is back (same server): HTTP $status, $n accepted"
        check "after the API re-send, every accepted student present once" "$db" "$second" "$n"
    else
        fail "API re-send once space is back: HTTP $status $(head -c 300 "$tmp/api-resend.b")"
    fi
    stop_server
    umount "$small" && mounted=""
}

# ------------------------------------------------------------------ b. PostgreSQL unavailable
pg_unavailable() {
    echo "== b. database unavailable: private PostgreSQL cluster stopped, then paused"
    pgbin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)"
    [ -x "$pgbin/pg_ctl" ] || pgbin="$(dirname "$(command -v pg_ctl)")"
    pg_user=postgres
    id "$pg_user" >/dev/null 2>&1 || { useradd --system --no-create-home puente-pg && pg_user=puente-pg; }
    pg_data="$tmp/pg"
    local pg_run="$tmp/pgrun" # log and socket, writable by the cluster's user
    mkdir -p "$pg_data" "$pg_run" && chown "$pg_user" "$pg_data" "$pg_run"
    runuser -u "$pg_user" -- "$pgbin/initdb" -U postgres --auth=trust -D "$pg_data" >"$tmp/initdb.log" 2>&1 ||
        { fail "initdb: $(tail -n2 "$tmp/initdb.log")"; return; }
    local port
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    pg_start() {
        runuser -u "$pg_user" -- "$pgbin/pg_ctl" -D "$pg_data" -w -t 60 -l "$pg_run/pg.log" \
            -o "-p $port -k $pg_run -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
    }
    pg_start || { fail "private cluster did not start: $(tail -n3 "$pg_run/pg.log")"; return; }
    local db="postgres://postgres@127.0.0.1:$port/postgres"
    note "private cluster on 127.0.0.1:$port ($pgbin)"
    timeout 120 "$bin" migrate --db "$db" >/dev/null || { fail "migrate on the private cluster"; return; }
    timeout 180 "$bin" submit --db "$db" --state "$(state_of "$small_file")" "$small_file" >/dev/null 2>&1 ||
        { fail "preload $(state_of "$small_file")"; return; }
    local msix token token_big token_third accounts line email secret password cookie
    msix="$(psql "$db" -Atc 'SELECT msix_id FROM children ORDER BY msix_id LIMIT 1')"
    token="$("$bin" tokens issue --db "$db" --state "$(state_of "$second")" --name faults | tail -n1)"
    token_big="$("$bin" tokens issue --db "$db" --state "$(state_of "$big")" --name faults | tail -n1)"
    token_third="$("$bin" tokens issue --db "$db" --state "$(state_of "$third")" --name faults | tail -n1)"
    accounts="$("$bin" users seed-demo --db "$db")"
    line="$(grep -m1 'secondary.user@' <<<"$accounts")"
    email="$(awk '{print $1}' <<<"$line")"
    secret="$(awk '{print $NF}' <<<"$line")"
    password="$(sed -n 's/.*password for all: \([^)]*\)).*/\1/p' <<<"$accounts")"
    start_server "$db" || { fail "puente serve on the private cluster"; return; }
    cookie="$(python3 bench/faults/signin.py "$url" "$email" "$password" "$secret" 2>"$tmp/signin.err")" ||
        { fail "sign-in: $(tail -n1 "$tmp/signin.err")"; return; }
    local r status secs
    r="$(req api-up -H "Authorization: Bearer $token" "$url/api/v1/students/$msix")"
    note "database up: GET /api/v1/students/{msix} with a state token answers ${r% *} (the token may only submit)"

    # Stopped, with an upload in flight (the largest file, its own state's token).
    upload_secs() { python3 -c "import sys; print(round(float(sys.argv[1]), 1))" "$1"; }
    REQ_MAX=300 upload inflight-stop "$token_big" "$big" >"$tmp/inflight-stop.r" &
    local p_inflight=$!
    sleep 5 # past the first committed batch of 500 students, inside the second
    runuser -u "$pg_user" -- "$pgbin/pg_ctl" -D "$pg_data" -m fast -w -t 60 stop >/dev/null ||
        { fail "pg_ctl stop"; return; }
    note "cluster stopped (pg_ctl stop -m fast) 5 s into an upload of $(state_of "$big"); six requests at once"
    # Six requests at once, each bounded: health, two API calls with the state token, the same
    # search with a portal session (signed in while the database was up), the portal, the CLI.
    local pids=()
    req health-down "$url/healthz" >"$tmp/health-down.r" & pids+=($!)
    req api-record -H "Authorization: Bearer $token" "$url/api/v1/students/$msix" >"$tmp/api-record.r" & pids+=($!)
    upload api-submission "$token" "$second" >"$tmp/api-submission.r" & pids+=($!)
    req api-session -b "$cookie" "$url/api/v1/students?last_name=garcia" >"$tmp/api-session.r" & pids+=($!)
    req portal-session -b "$cookie" "$url/search?last_name=garcia" >"$tmp/portal-session.r" & pids+=($!)
    (
        t0=$(date +%s%N)
        timeout 120 "$bin" submit --db "$db" --state "$(state_of "$second")" "$second" >"$tmp/pg-submit.out" 2>"$tmp/pg-submit.err"
        echo "$? $((($(date +%s%N) - t0) / 1000000))" >"$tmp/pg-submit.r"
    ) & pids+=($!)
    wait "${pids[@]}"
    local name what line
    r="$(cat "$tmp/health-down.r")"; status=${r% *}; secs=${r#* }
    if [ "$status" = 503 ] && python3 -c "import sys; sys.exit(float('$secs') > 30)"; then
        pass "/healthz with the database stopped: 503 in ${secs} s"
    else
        fail "/healthz with the database stopped: HTTP $status in ${secs} s"
    fi
    for what in record submission; do
        r="$(cat "$tmp/api-$what.r")"; secs=${r#* }
        if line="$(python3 bench/faults/problem.py "$tmp/api-$what.h" "$tmp/api-$what.b" --status 503 --code unavailable)" &&
            python3 -c "import sys; sys.exit(float('$secs') > 30)"; then
            pass "API $what request (state token) with the database stopped: $line in ${secs} s"
        else
            fail "API $what request (state token) with the database stopped: $line in ${secs} s"
        fi
    done
    r="$(cat "$tmp/api-session.r")"; status=${r% *}; secs=${r#* }
    if line="$(python3 bench/faults/problem.py "$tmp/api-session.h" "$tmp/api-session.b" --status 503 --code unavailable)"; then
        pass "API search with a portal session, database stopped: $line in ${secs} s"
    elif python3 bench/faults/problem.py "$tmp/api-session.h" "$tmp/api-session.b" >/dev/null; then
        finding "API search with a portal session, database stopped: $line in ${secs} s (the session lookup fails and the request goes on as anonymous)"
    else
        fail "API search with a portal session, database stopped: $line in ${secs} s"
    fi
    r="$(cat "$tmp/portal-session.r")"; status=${r% *}; secs=${r#* }
    local loc
    loc="$(sed -n 's/^[Ll]ocation: *//p' "$tmp/portal-session.h" | tr -d '\r')"
    if [ "$status" = 503 ]; then
        pass "portal search, database stopped: 503 in ${secs} s"
    elif [ "${status:0:1}" = 5 ]; then
        if grep -qiE 'sqlx|postgres|SQLSTATE|error returned from database|os error' "$tmp/portal-session.b"; then
            fail "portal search, database stopped: HTTP $status with internal text"
        else
            finding "portal search, database stopped: HTTP $status in ${secs} s (503 is meant)"
        fi
    else
        finding "portal search, database stopped: HTTP $status${loc:+ to $loc} in ${secs} s (a signed-in user is sent to sign in again instead of being told the service is unavailable)"
    fi
    local rc msg
    read -r rc secs <"$tmp/pg-submit.r"
    msg="$(grep -v 'processing \.\.\.' "$tmp/pg-submit.err" | tail -n 3 | tr '\n' ' ')"
    note "puente submit with the database stopped: exit $rc after $secs ms; stderr: $msg"
    if [ "$rc" != 0 ] && [ "$rc" != 124 ] && grep -qiE 'unavailable|connect|refused' <<<"$msg"; then
        pass "CLI submit with the database stopped fails clearly (exit $rc, $secs ms)"
    else
        fail "CLI submit with the database stopped: exit $rc: $msg"
    fi
    wait "$p_inflight"
    r="$(cat "$tmp/inflight-stop.r")"; status=${r% *}; secs=${r#* }
    if [ "$status" = 201 ] || [ "$status" = 200 ]; then
        note "the upload in flight had finished before the stop (HTTP $status in ${secs} s): not a mid-upload stop"
    elif line="$(python3 bench/faults/problem.py "$tmp/inflight-stop.h" "$tmp/inflight-stop.b" --status 500,503 --code internal,unavailable)"; then
        pass "upload in flight when the database stopped: $line after $(upload_secs "$secs") s"
        [ "$status" = 503 ] || finding "upload in flight when the database stopped answers $status, not 503 unavailable: $line"
    else
        fail "upload in flight when the database stopped: $line after ${secs} s"
    fi

    # Started again: puente recovers by itself.
    pg_start || { fail "private cluster did not restart"; return; }
    local ok="" i
    for i in $(seq 1 60); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/healthz")" = 200 ] && { ok=1; break; }
        sleep 0.5
    done
    [ -n "$ok" ] && pass "/healthz 200 again after the restart (within $((i / 2)) s, puente not restarted)" ||
        fail "/healthz not 200 within 30 s of the restart"
    check "after the stop, no half-written student of the upload in flight" "$db" "$big"
    local n f tok
    for f in "$second" "$big"; do
        tok=$token; [ "$f" = "$big" ] && tok=$token_big
        r="$(REQ_MAX=300 upload api-resend "$tok" "$f")"; status=${r% *}; secs=${r#* }
        n="$(accepted_of "$tmp/api-resend.b")"
        if [ "$status" = 201 ] && [ -n "$n" ]; then
            pass "API re-send of $(state_of "$f") after the restart: HTTP 201, $n accepted, $(upload_secs "$secs") s"
            check "after the re-send, every accepted $(state_of "$f") student present once" "$db" "$f" "$n"
        else
            fail "API re-send of $(state_of "$f") after the restart: HTTP $status $(head -c 300 "$tmp/api-resend.b")"
        fi
    done

    # Paused: an upload in flight, then SIGSTOP to the postmaster and every backend; a health
    # check and an API request during the pause; the upload watched for 60 s; then SIGCONT.
    REQ_MAX=300 upload inflight-pause "$token_third" "$third" >"$tmp/inflight-pause.r" &
    p_inflight=$!
    sleep 2
    local pm t_pause
    pm="$(head -n1 "$pg_data/postmaster.pid")"
    stopped_pids="$pm $(pgrep -P "$pm" | tr '\n' ' ')"
    kill -STOP $stopped_pids
    t_pause=$(date +%s)
    note "cluster paused (SIGSTOP to $(wc -w <<<"$stopped_pids") processes) 2 s into an upload of $(state_of "$third")"
    req paused-health "$url/healthz" >"$tmp/paused-health.r" &
    local p1=$!
    req paused-api -H "Authorization: Bearer $token" "$url/api/v1/students/$msix" >"$tmp/paused-api.r" &
    local p2=$!
    wait $p1 $p2
    for name in paused-health paused-api; do
        r="$(cat "$tmp/$name.r")"; status=${r% *}; secs=${r#* }
        what="/healthz"; [ "$name" = paused-api ] && what="API record request (state token)"
        if python3 -c "import sys; sys.exit(float('$secs') <= 60)"; then
            finding "$what with the database paused: no answer after ${secs} s (HTTP $status; curl --max-time 90): requests hang while PostgreSQL does not answer"
        elif [ "$status" = 503 ]; then
            if [ "$name" = paused-api ] && ! line="$(python3 bench/faults/problem.py "$tmp/$name.h" "$tmp/$name.b" --status 503 --code unavailable)"; then
                fail "$what with the database paused: $line"
            else
                pass "$what with the database paused: 503 in ${secs} s"
            fi
        else
            finding "$what with the database paused: HTTP $status in ${secs} s (503 is meant)"
        fi
    done
    while kill -0 "$p_inflight" 2>/dev/null && [ $(($(date +%s) - t_pause)) -lt 60 ]; do sleep 1; done
    local hung=""
    if kill -0 "$p_inflight" 2>/dev/null; then
        hung=1
        finding "upload in flight when the database paused: no answer 60 s into the pause (its connection waits on PostgreSQL with no timeout)"
    fi
    kill -CONT $stopped_pids
    stopped_pids=""
    note "cluster resumed (SIGCONT) after $(($(date +%s) - t_pause)) s"
    wait "$p_inflight"
    r="$(cat "$tmp/inflight-pause.r")"; status=${r% *}; secs=${r#* }
    n="$(accepted_of "$tmp/inflight-pause.b")"
    if [ "$status" = 201 ] && [ -n "$n" ]; then
        if [ -n "$hung" ]; then
            pass "the upload in flight completed after SIGCONT: HTTP 201, $n accepted, $(upload_secs "$secs") s in all"
        else
            pass "upload in flight across the pause: HTTP 201, $n accepted, $(upload_secs "$secs") s"
        fi
        check "after the pause, every accepted $(state_of "$third") student present once" "$db" "$third" "$n"
    elif line="$(python3 bench/faults/problem.py "$tmp/inflight-pause.h" "$tmp/inflight-pause.b" --status 500,503 --code internal,unavailable)"; then
        pass "upload in flight across the pause: $line after $(upload_secs "$secs") s"
        [ "$status" = 503 ] || finding "upload in flight when the database paused answers $status after $(upload_secs "$secs") s, not 503 unavailable: $line"
        check "after the pause, no half-written $(state_of "$third") student" "$db" "$third"
    else
        fail "upload in flight across the pause: HTTP $status after ${secs} s: $(head -c 300 "$tmp/inflight-pause.b")"
    fi
    ok=""
    for i in $(seq 1 60); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$url/healthz")" = 200 ] && { ok=1; break; }
        sleep 0.5
    done
    [ -n "$ok" ] && pass "/healthz 200 again after SIGCONT (within $((i / 2)) s)" || fail "/healthz not 200 within 30 s of SIGCONT"
    r="$(REQ_MAX=300 upload api-resend2 "$token_third" "$third")"; status=${r% *}
    n="$(accepted_of "$tmp/api-resend2.b")"
    if { [ "$status" = 200 ] || [ "$status" = 201 ]; } && [ -n "$n" ]; then
        pass "API upload of $(state_of "$third") after the pause: HTTP $status ($([ "$status" = 200 ] && echo 'already received' || echo 'completed now')), $n accepted"
        check "after the pause, every accepted $(state_of "$third") student present once" "$db" "$third" "$n"
    else
        fail "API upload of $(state_of "$third") after the pause: HTTP $status $(head -c 300 "$tmp/api-resend2.b")"
    fi
    stop_server
}

case "$only" in
    "") disk_full; pg_unavailable ;;
    disk) disk_full ;;
    pg) pg_unavailable ;;
    *) echo "--only disk or pg" >&2; exit 2 ;;
esac

echo "fault battery: $passes passed, $failures failed, $findings findings, $(($(date +%s) - started)) s"
[ "$failures" = 0 ] || exit 1
