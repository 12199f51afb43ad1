#!/usr/bin/env bash
# Property-based API testing with schemathesis against the live demo server: every operation of
# GET /api/openapi.json is called with generated valid and invalid requests, and every answer
# must match the document (status code, content type, headers, body schema) with no server error.
#
# Starts `puente demo` on a free port with a throw-away data directory, signs a demo user in
# through the login form (password + TOTP) for the search/record operations, issues a TX API
# token with `puente tokens issue` for the submission operations, runs schemathesis (pinned,
# installed in a venv under ~/.cache) bounded in time, and exits non-zero on any failure.
#
# Environment:
#   PUENTE_BIN               use this puente binary instead of building one
#   CARGO_TARGET_DIR         respected when locating the binary (default: target)
#   PUENTE_ST_SECONDS        time budget of each of the two runs (default 60)
#   PUENTE_ST_STUDENTS       children in the demo database (default 300)
#   PUENTE_ST_VENV           where the venv lives (default ~/.cache/puente/schemathesis-VERSION)
#   PUENTE_ARTIFACTS         where the reports go (default: ci-artifacts, repo-relative)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

ST_VERSION=4.32.5
log() { echo "[schemathesis] $*"; }

# 1. schemathesis in its own venv (pinned).
venv="${PUENTE_ST_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/puente/schemathesis-$ST_VERSION}"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$ST_VERSION"; then
    log "installing schemathesis $ST_VERSION into $venv"
    rm -rf "$venv"
    if ! python3 -m venv "$venv" 2>/dev/null; then
        # Debian ships venv support (ensurepip) separately.
        log "installing python3-venv"
        rm -rf "$venv"
        sudo_=""
        [ "$(id -u)" = 0 ] || sudo_=sudo
        $sudo_ apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

artifacts="${PUENTE_ARTIFACTS:-ci-artifacts}"
case "$artifacts" in /*) ;; *) artifacts="$root/$artifacts" ;; esac
mkdir -p "$artifacts/schemathesis"

tmp="$(mktemp -d -t puente-st.XXXXXX)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 2. The binary.
if [ -n "${PUENTE_BIN:-}" ]; then
    bin="$PUENTE_BIN"
else
    log "cargo build -p puente-cli"
    cargo build -q -p puente-cli
    bin="${CARGO_TARGET_DIR:-target}/debug/puente"
    case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac
fi

# 3. The demo server on a free port.
demo_log="$tmp/demo.out"
"$bin" demo --students "${PUENTE_ST_STUDENTS:-300}" --addr 127.0.0.1:0 --dir "$tmp/data" \
    >"$demo_log" 2>"$tmp/demo.err" &
server_pid=$!
url=""
for _ in $(seq 1 600); do
    url="$(sed -n 's#.*Puente is serving at \(http://[^ ]*\).*#\1#p' "$demo_log" | head -n1)"
    [ -n "$url" ] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        log "puente demo exited before serving:"
        cat "$demo_log" "$tmp/demo.err" >&2
        exit 1
    fi
    sleep 0.2
done
if [ -z "$url" ]; then
    log "puente demo did not print its URL within 120 s"
    cat "$demo_log" "$tmp/demo.err" >&2
    exit 1
fi
url="${url%/}"
log "server at $url (pid $server_pid)"

# 4. Credentials: a TX API token, and a signed-in session of a demo user who may search and
#    view records (national scope, so that every generated MSIX ID is in scope).
token="$("$bin" tokens issue --db "sqlite://$tmp/data/puente.db" --state TX --name schemathesis | tail -n1)"
case "$token" in pnt_*) ;; *) log "could not issue an API token"; exit 1 ;; esac
session="$("$venv/bin/python" - "$url" "$demo_log" <<'PY'
import base64, hashlib, hmac, http.cookiejar, re, struct, sys, time, urllib.parse, urllib.request

url, demo_log = sys.argv[1], sys.argv[2]
text = open(demo_log, encoding="utf-8").read()
password = re.search(r"password for all: (\S+?)\)", text).group(1)
accounts = re.findall(r"^\s+(\S+@\S+)\s+(.*?)\s+TOTP secret ([A-Z2-7]+=*)\s*$", text, re.M)
# A national role that may search and view records.
pick = next(a for a in accounts if a[0].startswith("primary.user@"))
email, _, secret = pick

def totp(secret_b32):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    h = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    o = h[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1_000_000)

jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

def form(path, fields):
    page = opener.open(url + path).read().decode()
    fields["_csrf"] = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(fields).encode()
    return opener.open(url + path, data).geturl()

form("/login", {"email": email, "password": password, "next": "/"})
form("/login/mfa", {"code": totp(secret), "next": "/"})
token = next((c.value for c in jar if c.name == "puente_session"), None)
if not token:
    sys.exit("sign-in failed")
print(token)
PY
)"
log "signed in; API token issued"

# 5. schemathesis: operations for signed-in users with the session, submissions with the token.
seconds="${PUENTE_ST_SECONDS:-60}"
status=0
run() {
    local name="$1"
    shift
    log "run '$name' (at most ${seconds}s)"
    "$venv/bin/schemathesis" --config-file "$here/schemathesis.toml" run "$url/api/openapi.json" \
        --checks all \
        --max-time "$seconds" \
        --workers 2 \
        --request-timeout 30 \
        --suppress-health-check all \
        --report junit --report-dir "$artifacts/schemathesis" \
        --report-junit-path "$artifacts/schemathesis/$name.xml" \
        "$@" || status=$?
}
export PUENTE_ST_SESSION="$session" PUENTE_ST_TOKEN="$token"
run students --include-tag students --include-tag meta
run submissions --include-tag submissions
if [ "$status" -ne 0 ]; then
    log "FAILED (reports in $artifacts/schemathesis)"
    exit "$status"
fi
log "passed"
