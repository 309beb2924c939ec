#!/usr/bin/env bash
# First start of the compose PostgreSQL (docker-entrypoint-initdb.d): the application's own role and database.
# The role is not a superuser and owns only its database, so the revokes the migrations make (audit_log UPDATE
# and DELETE) bind it, as on deploy/local/postgres.sh's database. Its password is a compose secret.
set -euo pipefail
password="$(tr -d '\r\n' < "${MOD_SECRETS_DIR:-/run/secrets}/postgres_moderation_password")"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v password="$password" <<'SQL'
create role moderation login password :'password';
create database moderation owner moderation;
SQL
