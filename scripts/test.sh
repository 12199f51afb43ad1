#!/usr/bin/env bash
# The whole test suite, on SQLite and then on PostgreSQL (each PostgreSQL test gets a fresh
# database on the local server, which this script starts if needed). Extra arguments go to the
# test runner, e.g. `scripts/test.sh -p puente-domain`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/pg.sh
ensure_postgres
export PUENTE_TEST_PG_URL=${PUENTE_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# Drop the databases earlier runs left behind.
psql "$PUENTE_TEST_PG_URL" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'puente_t_%'" 2>/dev/null |
    while read -r db; do psql "$PUENTE_TEST_PG_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; done

if command -v cargo-nextest >/dev/null 2>&1; then
    run() { cargo nextest run --workspace --no-fail-fast "$@"; }
else
    run() { cargo test --workspace --no-fail-fast "$@"; }
fi
for backend in sqlite postgres; do
    echo "=== tests on $backend ==="
    PUENTE_TEST_BACKEND=$backend run "$@"
done
if [ -f tests/browser/package.json ] && [ -z "${PUENTE_SKIP_BROWSER:-}" ]; then
    echo "=== browser tests (headless Chromium) ==="
    bash tests/browser/run.sh
fi
