# Shared helpers for the local deployment scripts. Source it; do not run it.
# shellcheck shell=bash
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA_DIR="${MOD_DATA_DIR:-$REPO_ROOT/.data}"
KAFKA_DIR="$REPO_ROOT/deploy/kafka"
KAFKA_LIBS="$KAFKA_DIR/libs"
KAFKA_HOST="127.0.0.1"
KAFKA_PORT="${MOD_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${MOD_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_DATA="$DATA_DIR/kafka"
KAFKA_PID_FILE="$DATA_DIR/kafka.pid"
KAFKA_LOG="$DATA_DIR/kafka.log"
PG_HOST="${PGHOST:-127.0.0.1}"
PG_PORT="${PGPORT:-5432}"
MOD_DB_NAME="${MOD_DB_NAME:-moderation}"
MOD_DB_USER="${MOD_DB_USER:-moderation}"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# pnpm pinned by package.json's packageManager; installed with npm when missing or different.
ensure_pnpm() {
  local want
  want="$(node -p "require('$REPO_ROOT/package.json').packageManager.split('@')[1]")"
  if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want" ]; then
    log "installing pnpm $want with npm"
    npm install -g --no-fund --no-audit "pnpm@$want" >/dev/null
  fi
}

# Debian tools some tests need (named-checkzone validates the DNS RPZ output). Installed when missing and root.
ensure_test_tools() {
  if command -v named-checkzone >/dev/null 2>&1; then return; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing bind9-utils (named-checkzone)"
    (apt-get install -y -qq bind9-utils >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq bind9-utils >/dev/null 2>&1; }) ||
      log "WARNING: could not install bind9-utils; zone validation tests will be skipped"
  else
    log "WARNING: named-checkzone missing and not root; zone validation tests will be skipped"
  fi
}
