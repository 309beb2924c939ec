#!/usr/bin/env bash
# Infrastructure only: Kafka (KRaft, single node) and PostgreSQL with the project's role and database.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$REPO_ROOT/deploy/local/postgres.sh"
bash "$REPO_ROOT/deploy/local/kafka.sh" start
