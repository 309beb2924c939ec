#!/usr/bin/env bash
# The whole test run, as CI runs it: install from the lockfile, start Kafka, make sure PostgreSQL is up,
# then lint, typecheck and every test (unit and integration).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
bash deploy/local/install.sh
bash deploy/local/up.sh
ensure_test_tools
export KAFKA_BROKERS="$KAFKA_HOST:$KAFKA_PORT"
export DATABASE_URL="postgres://$MOD_DB_USER@$PG_HOST:$PG_PORT/$MOD_DB_NAME"
pnpm -s test
