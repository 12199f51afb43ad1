#!/usr/bin/env bash
# The whole test suite, on SQLite and then on PostgreSQL (each PostgreSQL test gets a fresh
# database on the local server, which this script starts if needed). Extra arguments go to the
# test runner, e.g. `scripts/test.sh -p puente-domain`.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
# A section's heading, with the seconds since the start (to see where CI time goes).
section() { echo "=== $* ($(( $(date +%s) - started ))s) ==="; }
source scripts/pg.sh
ensure_postgres
export PUENTE_TEST_PG_URL=${PUENTE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# Drop the databases earlier runs left behind.
psql "$PUENTE_TEST_PG_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'puente_t_%'" 2>/dev/null |
    while read -r db; do psql "$PUENTE_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done

# The e-mail tests talk to a real SMTP server (scripts/smtp_sink.py, Python aiosmtpd).
python3 -c 'import aiosmtpd' 2>/dev/null || python3 -m pip install --quiet aiosmtpd
# The PDF report tests read the PDFs' text with pdftotext (Debian poppler-utils).
if ! command -v pdftotext >/dev/null 2>&1; then
    echo "installing Debian poppler-utils (pdftotext)"
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
    fi
fi

if command -v cargo-nextest >/dev/null 2>&1; then
    run() { cargo nextest run --workspace --no-fail-fast "$@"; }
else
    run() { cargo test --workspace --no-fail-fast "$@"; }
fi
for backend in sqlite postgres; do
    section "tests on $backend"
    PUENTE_TEST_BACKEND=$backend run "$@"
done
if [ -z "${PUENTE_SKIP_SCHEMATHESIS:-}" ] && [ $# -eq 0 ]; then
    section "schemathesis against the OpenAPI document (live demo server)"
    bash scripts/schemathesis.sh
fi
if [ -f tests/browser/package.json ] && [ -z "${PUENTE_SKIP_BROWSER:-}" ]; then
    section "browser tests (headless Chromium)"
    bash tests/browser/run.sh
fi
if [ $# -eq 0 ] && { [ -z "${PUENTE_SKIP_CRASH:-}" ] || [ -z "${PUENTE_SKIP_LOAD:-}" ]; }; then
    cargo build -q -p puente-cli
    bin="${CARGO_TARGET_DIR:-target}/debug/puente"
    case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
fi
if [ -z "${PUENTE_SKIP_CRASH:-}" ] && [ $# -eq 0 ]; then
    section "crash battery (3 kill -9 cycles per backend; 25 by hand: bench/crash/run.sh)"
    for backend in sqlite postgres; do
        PUENTE_BIN="$bin" bash bench/crash/run.sh --cycles 3 --students 1500 --backend "$backend"
    done
fi
if [ -z "${PUENTE_SKIP_LOAD:-}" ] && [ $# -eq 0 ]; then
    section "load battery (30 s, 50 sessions, 4 uploads, per backend; 10 minutes by hand: bench/load/run.sh)"
    for backend in sqlite postgres; do
        PUENTE_BIN="$bin" bash bench/load/run.sh --seconds 30 --users 50 --students 1500 --backend "$backend"
    done
fi
if [ -z "${PUENTE_SKIP_FUZZ:-}" ] && [ $# -eq 0 ]; then
    section "fuzzing (20 s per target; longer by hand: scripts/fuzz.sh SECONDS)"
    bash scripts/fuzz.sh 20
fi
if [ $# -eq 0 ]; then section "all tests done"; fi
