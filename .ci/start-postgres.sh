#!/usr/bin/env bash
# Start a local PostgreSQL for the tests and print the URL to use.
#
#   eval "$(.ci/start-postgres.sh)"      # sets KGCRM_TEST_POSTGRES_URL
#
# Idempotent: installs Debian's postgresql package if it is missing, creates a
# dedicated cluster "kgcrm" (listening on 127.0.0.1 only, tuned for tests:
# fsync off), starts it, and creates the role and the database if missing.
# Only the export line goes to stdout; everything else goes to stderr.
#
# Settings (environment):
#   KGCRM_PG_PORT      port of the cluster when it is created (default 5432,
#                      or the next free port if 5432 is taken)
#   KGCRM_PG_CLUSTER   cluster name (default kgcrm)
#   KGCRM_PG_USER      role (default kgcrm)
#   KGCRM_PG_PASSWORD  its password (default kgcrm-test: a test-only server on 127.0.0.1)
#   KGCRM_PG_DATABASE  database (default kgcrm_test)
set -euo pipefail

CLUSTER="${KGCRM_PG_CLUSTER:-kgcrm}"
PORT="${KGCRM_PG_PORT:-5432}"
PG_USER="${KGCRM_PG_USER:-kgcrm}"
PG_PASSWORD="${KGCRM_PG_PASSWORD:-kgcrm-test}"
PG_DATABASE="${KGCRM_PG_DATABASE:-kgcrm_test}"

log() { echo "start-postgres: $*" >&2; }

if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
    as_postgres() { runuser -u postgres -- "$@"; }
else
    SUDO=(sudo)
    as_postgres() { sudo -u postgres -- "$@"; }
fi

# --- install ------------------------------------------------------------------------
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
    log "installing PostgreSQL (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -qq >&2
    "${SUDO[@]}" apt-get install -y -qq postgresql >&2
fi
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"

port_in_use() {
    # A port is taken when something listens on it or another cluster is configured with it.
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
        return 0
    fi
    pg_lsclusters --no-header 2>/dev/null | awk -v p="$1" '$3 == p { found = 1 } END { exit !found }'
}

# --- cluster ------------------------------------------------------------------------
if ! pg_lsclusters --no-header | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { f = 1 } END { exit !f }'; then
    while port_in_use "$PORT"; do
        log "port $PORT is taken, trying $((PORT + 1))"
        PORT=$((PORT + 1))
    done
    log "creating cluster $VERSION/$CLUSTER on 127.0.0.1:$PORT"
    "${SUDO[@]}" pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" --start-conf manual \
        -- --auth-local=peer --auth-host=scram-sha-256 >&2
fi
PORT="$(pg_lsclusters --no-header | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')"

if ! pg_lsclusters --no-header | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c && $4 == "online" { f = 1 } END { exit !f }'; then
    # Test-only server: local connections only, durability traded for speed.
    # (Debian's postgresql.conf reads conf.d/; the settings there win over the ones above them.)
    printf '%s\n' "listen_addresses = '127.0.0.1'" "fsync = off" "synchronous_commit = off" \
        "full_page_writes = off" "max_connections = 200" |
        "${SUDO[@]}" tee "/etc/postgresql/$VERSION/$CLUSTER/conf.d/kgcrm-test.conf" >/dev/null
    log "starting cluster $VERSION/$CLUSTER"
    "${SUDO[@]}" pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi
for _ in $(seq 1 30); do
    if pg_isready -q -h 127.0.0.1 -p "$PORT"; then break; fi
    sleep 1
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { log "PostgreSQL did not come up on port $PORT"; exit 1; }

# --- role and database -------------------------------------------------------------------
psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"; }
if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" ]; then
    log "creating role $PG_USER"
    psql_admin -c "CREATE ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASSWORD'" >&2
else
    psql_admin -c "ALTER ROLE \"$PG_USER\" LOGIN PASSWORD '$PG_PASSWORD'" >&2
fi
if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'")" ]; then
    log "creating database $PG_DATABASE"
    psql_admin -c "CREATE DATABASE \"$PG_DATABASE\" OWNER \"$PG_USER\"" >&2
fi

echo "export KGCRM_TEST_POSTGRES_URL=postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$PORT/$PG_DATABASE"
