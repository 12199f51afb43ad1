#!/usr/bin/env bash
# Hostile-input probes: SQL injection (search parameters, login and TOTP forms), XSS and template
# injection through submitted data (search results, record page, submission report, PDF), and
# oversized requests (login form, search, submission API), against `puente serve` on a database
# made by `puente demo --no-serve` plus one submitted file of markup-carrying students.
#
#   bench/probes/run.sh [--students 300] [--parts injection,xss,oversize] [--no-2g] [--sqlmap]
#
# PUENTE_BIN: use this binary (default: build the release binary). Loopback only. Installs
# poppler-utils (pdftotext) if missing. --sqlmap: also run sqlmap (pip, in a throw-away venv)
# against one search URL with the session cookie, for at most 2 minutes, as an extra.
# --no-2g: skip the 2 GiB upload to the submission API (it streams 2 GiB through the server's
# temporary directory). Prints PASS/FAIL/NOTE lines; exits 1 when any check FAILed.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"

students=300 parts="injection,xss,oversize" no2g="" sqlmap=""
while [ $# -gt 0 ]; do
    case "$1" in
        --students) students=$2; shift 2 ;;
        --parts) parts=$2; shift 2 ;;
        --no-2g) no2g=--no-2g; shift ;;
        --sqlmap) sqlmap=1; shift ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ -z "${PUENTE_BIN:-}" ]; then
    cargo build --release -q -p puente-cli || exit 1
    PUENTE_BIN="${CARGO_TARGET_DIR:-target}/release/puente"
fi
bin="$PUENTE_BIN"
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
if ! command -v pdftotext >/dev/null; then
    echo "installing poppler-utils (pdftotext)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
fi

tmp="$(mktemp -d -t puente-probes.XXXXXX)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
started=$(date +%s)
failures=0

"$bin" demo --no-serve --students "$students" --dir "$tmp/data" >"$tmp/demo.out" 2>"$tmp/demo.err" ||
    { echo "FAIL puente demo --no-serve"; tail -n 5 "$tmp/demo.err"; exit 1; }
db="$tmp/data/puente.db"
password="$(sed -n 's/.*password for all: \([^)]*\)).*/\1/p' "$tmp/demo.out")"
account() { grep -m1 "$1" "$tmp/demo.out" | awk '{print $1, $NF}'; }
read -r email secret < <(account 'secondary.user@')
# The submission report page needs a data administrator of the submitting state (TX).
read -r admin_email admin_secret < <(account 'Data administrator (second, TX)')
# Other accounts: one for the injected logins (never signs in), one for the TOTP probe.
others=($(grep -E '^\s+[^ ]+@[^ ]+ ' "$tmp/demo.out" | awk '{print $1}' | grep -v -e "^$email$" -e "^$admin_email$"))
login_email="${others[0]}" mfa_email="${others[1]:-}"
echo "probes: demo database with $students students; signed in as $email; login probe on $login_email; TOTP probe on ${mfa_email:-none}"

# The markup-carrying students, through the CLI (as a state system would send them).
python3 bench/probes/xss_file.py --state TX --out "$tmp/xss.jsonl" --payloads "$tmp/xss.json"
"$bin" submit --db "sqlite://$db" --state TX --json "$tmp/xss.jsonl" >"$tmp/xss-report.json" 2>"$tmp/xss-submit.err"
read -r xss_msix xss_sub < <(python3 - "$tmp/xss-report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
acc = [s for s in r["rows"] if s.get("msix_id") and s.get("status") == "accepted"]
print(acc[0]["msix_id"] if acc else "-", r["submission"]["id"])
EOF
)
summary="$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["submission"]; print(s["accepted"], "accepted,", s["rejected"], "rejected")' "$tmp/xss-report.json" 2>/dev/null)"
if [ -z "$xss_msix" ] || [ "$xss_msix" = - ]; then
    echo "FAIL the markup-carrying student was not accepted ($summary):"
    head -c 2000 "$tmp/xss-report.json"; echo
    exit 1
fi
echo "xss file: $summary; carrier MSIX $xss_msix, submission $xss_sub"
token="$("$bin" tokens issue --db "sqlite://$db" --state TX --name probes | tail -n1)"

mkdir -p "$tmp/spool"
: >"$tmp/serve.out"
TMPDIR="$tmp/spool" "$bin" serve --addr 127.0.0.1:0 --db "sqlite://$db" >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
url=""
for _ in $(seq 1 600); do
    url="$(sed -n 's#.*Puente is serving at \(http://[^ ]*\).*#\1#p' "$tmp/serve.out" | head -n1)"
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$tmp/serve.err"; exit 1; }
    sleep 0.1
done
url="${url%/}"
for _ in $(seq 1 300); do curl -fsS -o /dev/null "$url/healthz" 2>/dev/null && break; sleep 0.1; done

python3 bench/probes/probes.py --url "$url" --db "$db" --email "$email" --password "$password" --secret "$secret" \
    --login-email "$login_email" --mfa-email "$mfa_email" --token "$token" --tmp "$tmp" \
    --xss-msix "$xss_msix" --xss-submission "$xss_sub" --admin-email "$admin_email" --admin-secret "$admin_secret" --xss-payloads "$tmp/xss.json" --parts "$parts" $no2g ||
    failures=$((failures + 1))

if [ -n "$sqlmap" ]; then
    echo "== extra: sqlmap --batch --level 1 --risk 1 on one search URL (at most 2 minutes)"
    cookie="$(python3 bench/faults/signin.py "$url" "$email" "$password" "$secret")"
    if python3 -m venv "$tmp/venv" && "$tmp/venv/bin/pip" install -q sqlmap >/dev/null 2>&1; then
        echo "  sqlmap $("$tmp/venv/bin/sqlmap" --version 2>/dev/null | tail -n1)"
        # A real child's names, so that the parameters are dynamic.
        q="$(python3 -c 'import sqlite3, sys, urllib.parse; c = sqlite3.connect(sys.argv[1]); r = c.execute("SELECT first_name, last_name_1, birth_city FROM state_records WHERE birth_city <> \"\" LIMIT 1").fetchone(); print(urllib.parse.urlencode(dict(zip(["first_name", "last_name", "birth_city"], r))))' "$db")"
        TERM=dumb timeout 120 "$tmp/venv/bin/sqlmap" --batch --level 1 --risk 1 --disable-coloring --output-dir "$tmp/sqlmap" \
            -u "$url/search?$q" --cookie "$cookie" \
            >"$tmp/sqlmap.out" 2>&1
        rc=$?
        grep -E "might be injectable|is vulnerable|injectable|not injectable|all tested parameters|WARNING|CRITICAL" "$tmp/sqlmap.out" | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g; s/\x1b[()][A-Z0-9]//g; s/\x1b[=>]//g' | head -n 20 | sed 's/^/  /'
        if grep -qE "parameter '[^']*' (is|might be) (vulnerable|injectable)|sqlmap identified the following injection" "$tmp/sqlmap.out"; then
            echo "FAIL sqlmap reports an injectable parameter"
            failures=$((failures + 1))
        else
            echo "PASS sqlmap found no injectable parameter (exit $rc$([ "$rc" = 124 ] && echo ', stopped at 2 minutes'))"
        fi
    else
        echo "NOTE sqlmap could not be installed with pip; skipped"
    fi
fi

if kill -0 "$server_pid" 2>/dev/null && curl -fsS -o /dev/null --max-time 10 "$url/healthz"; then
    echo "PASS server still running and healthy at the end"
else
    echo "FAIL server not healthy at the end"; failures=$((failures + 1))
    tail -n 20 "$tmp/serve.err"
fi
if grep -qiE 'panicked' "$tmp/serve.err"; then
    echo "FAIL the server log has a panic:"; grep -i -m3 -A2 panicked "$tmp/serve.err"; failures=$((failures + 1))
fi
echo "probes battery: $([ "$failures" = 0 ] && echo passed || echo FAILED), $(($(date +%s) - started)) s"
[ "$failures" = 0 ]
