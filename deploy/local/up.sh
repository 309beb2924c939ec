#!/usr/bin/env bash
# Infrastructure only: Kafka (KRaft, single node, SASL_SSL) and PostgreSQL with the project's role and database;
# then the broker's topics and the services' ACLs (`modctl kafka setup`, as the admin principal).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$REPO_ROOT/deploy/local/postgres.sh"
bash "$REPO_ROOT/deploy/local/kafka.sh" start
[ -f "$REPO_ROOT/packages/cli/dist/main.js" ] || die "modctl is not built: run deploy/local/install.sh first"
(
  export_kafka_client_env admin
  replicas=1
  [ "$KAFKA_NODES" -ge 3 ] && replicas=3
  node "$REPO_ROOT/packages/cli/dist/main.js" kafka setup --replication-factor "$replicas" >/dev/null
)
log "topics and service ACLs in place (modctl kafka setup)"
