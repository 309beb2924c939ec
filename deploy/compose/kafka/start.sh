#!/usr/bin/env bash
# Single-node Apache Kafka 4 (KRaft) for deploy/compose, run inside the official apache/kafka image and secured
# like deploy/local/kafka.sh: every client authenticates with SASL/SCRAM-SHA-512 over TLS, and the KRaft
# StandardAuthorizer refuses whatever no ACL allows. Credentials and TLS material come from /run/secrets (compose
# secrets made by deploy/compose/init-secrets.sh); nothing secret is in the image or in this file.
#   start.sh                 write the configuration, format the storage once (SCRAM users: admin and the five
#                            service principals), then run the broker in the foreground
#   start.sh check           exit 0 when the broker answers an authenticated client and every principal above has
#                            its SCRAM user (the compose health check; it adds those missing, see ensure_users)
#   start.sh add-user NAME   create or update the SCRAM user NAME (a partner's), password read from stdin
# Listeners: INTERNAL kafka:9093 (the services, inside the compose network), EXTERNAL on 9094 advertised as
# $KAFKA_EXTERNAL_HOST:$KAFKA_EXTERNAL_PORT (partners that use Kafka directly), CONTROLLER on loopback only.
set -euo pipefail
# The broker settings this script shares with deploy/local/kafka.sh (mounted beside it, in /mod/).
# shellcheck source=/dev/null
source "$(dirname "${BASH_SOURCE[0]}")/broker-config.sh"

KAFKA_HOME="${KAFKA_HOME:-/opt/kafka}"
SECRETS_DIR="${MOD_SECRETS_DIR:-/run/secrets}"
RUN_DIR="${MOD_KAFKA_RUN_DIR:-/tmp/mod-kafka}"
DATA_DIR="${MOD_KAFKA_DATA_DIR:-/var/lib/kafka/data}"
EXTERNAL_HOST="${KAFKA_EXTERNAL_HOST:-127.0.0.1}"
EXTERNAL_PORT="${KAFKA_EXTERNAL_PORT:-9094}"
PRINCIPALS="admin mod-api mod-scanner mod-classifier mod-fetcher mod-actioner"
# The principals whose SCRAM users the health check found or made since the broker started (ensure_users).
USERS_CHECKED="$RUN_DIR/scram-users-checked"

die() { echo "kafka start: $*" >&2; exit 1; }

# A principal's password: the compose secret kafka_<name>_password (dashes become underscores).
password() {
  local file="$SECRETS_DIR/kafka_${1//-/_}_password"
  [ -s "$file" ] || die "missing secret $file (deploy/compose/init-secrets.sh makes it)"
  tr -d '\r\n' < "$file"
}

write_config() {
  local admin controller
  admin="$(password admin)"
  controller="$(password controller)"
  mkdir -p "$RUN_DIR"
  chmod 700 "$RUN_DIR"
  (umask 077 && {
    cat <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9095
listeners=INTERNAL://0.0.0.0:9093,EXTERNAL://0.0.0.0:9094,CONTROLLER://127.0.0.1:9095
advertised.listeners=INTERNAL://kafka:9093,EXTERNAL://$EXTERNAL_HOST:$EXTERNAL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=INTERNAL
listener.security.protocol.map=INTERNAL:SASL_SSL,EXTERNAL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT
listener.name.external.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=$DATA_DIR
PROPS
    kafka_security_properties internal "$admin" "$controller" "$SECRETS_DIR/kafka_broker_pem" "$SECRETS_DIR/kafka_ca"
    kafka_topic_properties 1 1
    kafka_connection_properties "$KAFKA_MAX_CONNECTIONS_PER_IP" "$KAFKA_MAX_CONNECTION_CREATION_RATE"
  } > "$RUN_DIR/server.properties")
  (umask 077 && kafka_admin_properties "$admin" "$SECRETS_DIR/kafka_ca" > "$RUN_DIR/admin.properties")
}

# SCRAM users can only be added to KRaft storage at format time, or through a running broker (add-user).
format_once() {
  [ -f "$DATA_DIR/meta.properties" ] && return
  local args=() name
  for name in $PRINCIPALS; do
    args+=(--add-scram "SCRAM-SHA-512=[name=$name,password=$(password "$name")]")
  done
  "$KAFKA_HOME/bin/kafka-storage.sh" format --ignore-formatted \
    -t "$("$KAFKA_HOME/bin/kafka-storage.sh" random-uuid)" -c "$RUN_DIR/server.properties" "${args[@]}" >/dev/null
  echo "kafka start: storage formatted, SCRAM users: $PRINCIPALS" >&2
}

configs() {
  "$KAFKA_HOME/bin/kafka-configs.sh" --bootstrap-server kafka:9093 --command-config "$RUN_DIR/admin.properties" "$@"
}

# Creates or updates the SCRAM user NAME through the running broker. Its password goes to kafka-configs.sh in a file
# of this script's alone, removed after, never on the command line.
set_scram_user() { # name password
  local file status=0
  mkdir -p "$RUN_DIR"
  chmod 700 "$RUN_DIR"
  file="$(mktemp "$RUN_DIR/scram-user.XXXXXX")"
  kafka_scram_password_properties "$2" > "$file"
  configs --alter --entity-type users --entity-name "$1" --add-config-file "$file" || status=$?
  rm -f "$file"
  return "$status"
}

# A volume formatted before a principal joined PRINCIPALS (mod-classifier, say) has no SCRAM user for it, and the
# format step never runs again. The first health check after each start adds every missing one through the running
# broker, with the password of its secret (existing users are left as they are); kafka-setup and the services wait
# for the broker to be healthy, so they find their users. Later checks skip this (one JVM run each is enough).
ensure_users() {
  [ "$(cat "$USERS_CHECKED" 2>/dev/null)" = "$PRINCIPALS" ] && return
  local known name
  known="$(configs --describe --entity-type users)"
  for name in $PRINCIPALS; do
    grep -q "user-principal '$name' are SCRAM-SHA-512" <<<"$known" && continue
    set_scram_user "$name" "$(password "$name")" >/dev/null
    echo "kafka start: SCRAM user $name added (the storage was formatted before it existed)" >&2
  done
  printf '%s' "$PRINCIPALS" > "$USERS_CHECKED"
}

case "${1:-start}" in
  start)
    write_config
    rm -f "$USERS_CHECKED"
    format_once
    # Every log segment (media bytes among them) is the broker's alone, as deploy/local/kafka.sh starts it.
    umask 077
    exec "$KAFKA_HOME/bin/kafka-server-start.sh" "$RUN_DIR/server.properties"
    ;;
  check)
    "$KAFKA_HOME/bin/kafka-broker-api-versions.sh" --bootstrap-server kafka:9093 \
      --command-config "$RUN_DIR/admin.properties" >/dev/null
    ensure_users
    ;;
  add-user)
    name="${2:-}"
    [[ "$name" =~ ^[A-Za-z0-9._-]{1,200}$ ]] || die "usage: start.sh add-user NAME (password on stdin)"
    IFS= read -r user_password || true
    [ -n "$user_password" ] || die "no password on stdin"
    # Kafka reads the file as Latin-1 properties: other characters would be stored as another password.
    LC_ALL=C
    [[ "$user_password" =~ ^[\ -~]+$ ]] || die "the password must be printable ASCII (e.g. openssl rand -base64 32)"
    set_scram_user "$name" "$user_password"
    ;;
  *)
    die "usage: start.sh [start|check|add-user NAME]"
    ;;
esac
