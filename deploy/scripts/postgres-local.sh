#!/usr/bin/env bash
# Makes a local PostgreSQL available for the tests: installs Debian's package when absent (as
# root), starts the cluster, and creates the kasal role and database. Prints the database URL.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_USER="${KASAL_PG_USER:-kasal}"
PG_PASSWORD="${KASAL_PG_PASSWORD:-kasal}"
PG_DATABASE="${KASAL_PG_DATABASE:-kasal_test}"
PG_PORT="${KASAL_PG_PORT:-5432}"

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres "$@"; fi
}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "PostgreSQL is not installed; installing Debian's postgresql package"
  as_root apt-get update -qq >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -n1)"
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
  as_root pg_createcluster "$version" main --port "$PG_PORT" >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $4}' | grep -q online; then
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster "$version" main start >&2
fi
for _ in $(seq 1 60); do
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
  sleep 0.5
done

as_postgres psql -q -p "$PG_PORT" -v ON_ERROR_STOP=1 >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
  END IF;
END \$\$;
SQL
if ! as_postgres psql -p "$PG_PORT" -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'" | grep -q 1; then
  as_postgres createdb -p "$PG_PORT" -O "$PG_USER" "$PG_DATABASE" >&2
fi

echo "postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATABASE"
