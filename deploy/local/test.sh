#!/usr/bin/env bash
# The whole test run, as CI runs it: install from the lockfile, start Kafka, make sure PostgreSQL is up,
# then lint, typecheck and every test (unit and integration). Tests reach the broker as its admin principal
# (each creates its own topics and ACLs) and start services under the services' own principals.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
bash deploy/local/install.sh
bash deploy/local/up.sh
ensure_test_tools
export_kafka_client_env admin
export MOD_DATA_DIR="$DATA_DIR" MOD_KAFKA_CREDENTIALS_DIR="$KAFKA_CREDS_DIR"
export DATABASE_URL="postgres://$MOD_DB_USER@$PG_HOST:$PG_PORT/$MOD_DB_NAME"
pnpm -s test
