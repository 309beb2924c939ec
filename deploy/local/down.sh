#!/usr/bin/env bash
# Stops Kafka (PostgreSQL belongs to the machine and keeps running).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$REPO_ROOT/deploy/local/kafka.sh" stop
