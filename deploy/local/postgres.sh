#!/usr/bin/env bash
# Makes sure the machine's PostgreSQL answers on 127.0.0.1:5432, then creates the project's role and database.
# Idempotent. The application role owns nothing it must not change: audit_log UPDATE/DELETE is revoked by the
# migrations, which run as this role.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

psql_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U "${PG_ADMIN_USER:-postgres}" -d postgres -v ON_ERROR_STOP=1 -qtA "$@"; }

if ! pg_isready -h "$PG_HOST" -p "$PG_PORT" -q; then
  log "PostgreSQL not answering on $PG_HOST:$PG_PORT; starting the local cluster"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    version="$(ls /etc/postgresql | sort -V | tail -n 1)"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -h "$PG_HOST" -p "$PG_PORT" -q && break; sleep 1; done
  pg_isready -h "$PG_HOST" -p "$PG_PORT" -q || die "PostgreSQL is not reachable on $PG_HOST:$PG_PORT"
fi

if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$MOD_DB_USER'")" != "1" ]; then
  log "creating role $MOD_DB_USER"
  psql_admin -c "create role \"$MOD_DB_USER\" login createdb"
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname = '$MOD_DB_NAME'")" != "1" ]; then
  log "creating database $MOD_DB_NAME"
  psql_admin -c "create database \"$MOD_DB_NAME\" owner \"$MOD_DB_USER\""
fi
log "PostgreSQL ready: postgres://$MOD_DB_USER@$PG_HOST:$PG_PORT/$MOD_DB_NAME"
