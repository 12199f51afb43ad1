# Sourced by scripts/test.sh and .ci/run: make sure a PostgreSQL server answers on 127.0.0.1:5432.
# On a machine without one, install Debian's package and start its cluster.
ensure_postgres() {
    if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then return 0; fi
    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        echo "installing PostgreSQL (Debian package)" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    local ver
    ver=$(ls /etc/postgresql | sort -V | tail -n 1)
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
    for _ in $(seq 1 30); do
        pg_isready -h 127.0.0.1 -p 5432 -q && return 0
        sleep 1
    done
    echo "PostgreSQL did not start on 127.0.0.1:5432" >&2
    return 1
}
