#!/usr/bin/env bash
# Apache Kafka 4 (KRaft) on 127.0.0.1, from jars that Maven fetches from Maven Central: a single node on :9092, or
# with MOD_KAFKA_NODES=3 a cluster of three (each broker and controller; replication 3, min.insync.replicas 2) on
# :9092, :9094, :9096 (controllers on the next port of each). Every client authenticates: SASL/SCRAM-SHA-512 over
# TLS (SASL_SSL), and the StandardAuthorizer refuses whatever no ACL allows. The CA and every principal's password
# are generated on first start under .data/ (MOD_DATA_DIR).
#   deploy/local/kafka.sh start            fetch jars (cached), make TLS material and credentials once, format
#                                          storage once, start, wait until an authenticated client is served
#   deploy/local/kafka.sh stop             stop cleanly (SIGTERM, then wait)
#   deploy/local/kafka.sh status
#   deploy/local/kafka.sh bootstrap        print the bootstrap servers (for KAFKA_BROKERS)
#   deploy/local/kafka.sh principal NAME   make sure the SCRAM user NAME exists (a partner's, say); prints the
#                                          file holding its credentials (KAFKA_SASL_USERNAME / _PASSWORD)
#   deploy/local/kafka.sh kill-node N      SIGKILL node N (failure tests); start-node N starts it again
# Idempotent: starting a running cluster, or stopping a stopped one, does nothing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# The broker settings deploy/compose's broker shares (its start.sh sources the same file).
source "$(dirname "${BASH_SOURCE[0]}")/../compose/kafka/broker-config.sh"

SCRAM_USERS_FILE="$DATA_DIR/kafka-scram-users"
# Connections from loopback a broker here takes at once, and new connections a second (kafka_connection_properties).
LOCAL_LOOPBACK_CONNECTIONS=10000
LOCAL_CONNECTION_CREATION_RATE=2000

# Node i's ports, storage, pid file and log; a single node keeps the paths it always had.
node_port() { echo $((KAFKA_PORT + 2 * ($1 - 1))); }
node_controller_port() { echo $((KAFKA_CONTROLLER_PORT + 2 * ($1 - 1))); }
node_suffix() { [ "$KAFKA_NODES" -eq 1 ] && echo "" || echo "-$1"; }
node_data() { echo "$DATA_DIR/kafka$(node_suffix "$1")"; }
node_pid_file() { echo "$DATA_DIR/kafka$(node_suffix "$1").pid"; }
node_log() { echo "$DATA_DIR/kafka$(node_suffix "$1").log"; }
node_config() { echo "$DATA_DIR/kafka-server$(node_suffix "$1").properties"; }
nodes() { seq 1 "$KAFKA_NODES"; }

fetch_jars() {
  if [ -f "$KAFKA_LIBS/.complete" ] && [ "$KAFKA_LIBS/.complete" -nt "$KAFKA_DIR/pom.xml" ]; then return; fi
  log "fetching Kafka $KAFKA_VERSION jars with Maven (deploy/kafka/pom.xml)"
  rm -rf "$KAFKA_LIBS"
  mvn -q -B -f "$KAFKA_DIR/pom.xml" dependency:copy-dependencies -Dkafka.version="$KAFKA_VERSION" \
    -DoutputDirectory="$KAFKA_LIBS" -DincludeScope=runtime >&2
  touch "$KAFKA_LIBS/.complete"
}

node_pid() {
  local file; file="$(node_pid_file "$1")"
  [ -f "$file" ] || return 1
  local pid; pid="$(cat "$file")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# A private CA and the brokers' certificate (SAN 127.0.0.1 and localhost), made once. Clients trust ca.pem.
ensure_tls() {
  [ -f "$KAFKA_TLS_DIR/broker.pem" ] && return
  log "making the local Kafka CA and broker certificate in $KAFKA_TLS_DIR"
  mkdir -p "$KAFKA_TLS_DIR"
  chmod 700 "$KAFKA_TLS_DIR"
  (
    cd "$KAFKA_TLS_DIR"
    umask 077
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 3650 \
      -subj "/CN=moderation local Kafka CA" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout broker.key -out broker.csr \
      -subj "/CN=$KAFKA_HOST" 2>/dev/null
    printf 'subjectAltName=IP:%s,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' "$KAFKA_HOST" > ext.cnf
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out broker.crt -days 3650 \
      -extfile ext.cnf 2>/dev/null
    # Kafka's PEM key store: an unencrypted PKCS#8 key followed by the certificate.
    openssl pkcs8 -topk8 -nocrypt -in broker.key -out broker.p8
    cat broker.p8 broker.crt > broker.pem
    rm -f broker.csr broker.key broker.p8 ext.cnf
    chmod 644 ca.pem
  )
}

write_config() {
  local admin_pw controller_pw voters="" i replicas min_isr
  admin_pw="$(principal_password admin)"
  controller_pw="$(principal_password controller)"
  for i in $(nodes); do voters="$voters${voters:+,}$i@$KAFKA_HOST:$(node_controller_port "$i")"; done
  # One node: replication 1. A cluster: every partition on 3 brokers, a write needs 2 of them.
  replicas=$((KAFKA_NODES >= 3 ? 3 : 1))
  min_isr=$((KAFKA_NODES >= 3 ? 2 : 1))
  for i in $(nodes); do
    # The storage holds the media topics' bytes (uploads, for hours): its owner's alone, also when made before.
    mkdir -p "$(node_data "$i")"
    chmod 700 "$(node_data "$i")"
    (umask 077 && {
      cat <<PROPS
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=SASL_SSL://$KAFKA_HOST:$(node_port "$i"),CONTROLLER://$KAFKA_HOST:$(node_controller_port "$i")
advertised.listeners=SASL_SSL://$KAFKA_HOST:$(node_port "$i")
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT
log.dirs=$(node_data "$i")
log.cleaner.backoff.ms=1000
PROPS
      kafka_security_properties sasl_ssl "$admin_pw" "$controller_pw" "$KAFKA_TLS_DIR/broker.pem" "$KAFKA_CA_PEM"
      kafka_topic_properties "$replicas" "$min_isr"
      # Production's per-address limit, but every client here (the services, the tests, the other brokers) comes
      # from loopback: loopback gets the room of a whole test run, and new connections may come as fast as it opens
      # them (many test files at once).
      kafka_connection_properties "$KAFKA_MAX_CONNECTIONS_PER_IP" "$LOCAL_CONNECTION_CREATION_RATE" \
        "$KAFKA_HOST:$LOCAL_LOOPBACK_CONNECTIONS"
    } > "$(node_config "$i")")
  done
  (umask 077 && kafka_admin_properties "$admin_pw" "$KAFKA_CA_PEM" > "$KAFKA_ADMIN_PROPS")
}

kafka_java() { java -Dlog4j.configuration=file:/dev/null -cp "$KAFKA_LIBS/*" "$@"; }

# Every node formatted with one cluster id and the same SCRAM users (stored in the metadata log).
format_storage() {
  [ -f "$(node_data 1)/meta.properties" ] && return
  log "formatting KRaft storage of $KAFKA_NODES node(s) in $DATA_DIR (SCRAM users: admin $SERVICE_PRINCIPALS)"
  local args=() name cluster i
  for name in admin $SERVICE_PRINCIPALS; do
    args+=(--add-scram "SCRAM-SHA-512=[name=$name,password=$(principal_password "$name")]")
  done
  cluster="$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
  for i in $(nodes); do
    (umask 077 && kafka_java kafka.tools.StorageTool format --ignore-formatted -t "$cluster" -c "$(node_config "$i")" \
      "${args[@]}" >/dev/null 2>&1) || die "could not format the storage of node $i"
  done
  printf '%s\n' admin $SERVICE_PRINCIPALS > "$SCRAM_USERS_FILE"
}

# Adds a SCRAM user to the running cluster (credentials generated on first use); no-op when it is known.
add_scram_user() {
  local name=$1
  grep -qx -- "$name" "$SCRAM_USERS_FILE" 2>/dev/null && return
  local config_command=org.apache.kafka.tools.ConfigCommand
  [[ "$KAFKA_VERSION" == 3.* ]] && config_command=kafka.admin.ConfigCommand
  # The password in a file of ours (mktemp: 0600), removed after, never on the command line, which ps shows to all.
  local file status=0
  file="$(mktemp "$DATA_DIR/kafka-scram-user.XXXXXX")"
  kafka_scram_password_properties "$(principal_password "$name")" > "$file"
  kafka_java "$config_command" --bootstrap-server "$(bootstrap)" \
    --command-config "$KAFKA_ADMIN_PROPS" --alter --entity-type users --entity-name "$name" \
    --add-config-file "$file" >/dev/null 2>&1 || status=$?
  rm -f "$file"
  [ "$status" = 0 ] || die "could not create the SCRAM user $name"
  echo "$name" >> "$SCRAM_USERS_FILE"
  log "SCRAM user $name created"
}

start_node() {
  local i=$1 pid
  if pid="$(node_pid "$i")"; then log "Kafka node $i already running (pid $pid)"; return; fi
  if port_open "$KAFKA_HOST" "$(node_port "$i")"; then die "port $(node_port "$i") is taken by another process"; fi
  log "starting Kafka node $i on $KAFKA_HOST:$(node_port "$i"), SASL_SSL (log: $(node_log "$i"))"
  # umask 077: every log segment (media bytes among them) and the log file are the owner's alone. `exec` keeps
  # the subshell's pid, the broker's.
  (umask 077 && exec nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$(node_config "$i")" >"$(node_log "$i")" 2>&1) &
  echo $! > "$(node_pid_file "$i")"
}

start() {
  if [ -f "$(node_data 1)/meta.properties" ] && [ ! -f "$(principal_file admin)" ]; then
    die "$(node_data 1) was formatted with credentials that are gone; remove $DATA_DIR/kafka* to start afresh"
  fi
  fetch_jars
  ensure_tls
  write_config
  format_storage
  local i
  for i in $(nodes); do start_node "$i"; done
  wait_ready
  # Service principals added to the project after this storage was formatted.
  for name in $SERVICE_PRINCIPALS; do add_scram_user "$name"; done
}

bootstrap() { kafka_bootstrap; }

# Ready means the cluster answers an authenticated client's metadata request, not merely that a port is open.
wait_ready() {
  local deadline=$((SECONDS + 120)) i
  until kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$(bootstrap)" \
      --command-config "$KAFKA_ADMIN_PROPS" --list >/dev/null 2>&1; do
    for i in $(nodes); do
      if ! node_pid "$i" >/dev/null; then
        tail -n 30 "$(node_log "$i")" >&2 || true
        die "Kafka node $i exited during start-up"
      fi
    done
    [ $SECONDS -lt $deadline ] || die "Kafka not ready after 120 s (see $DATA_DIR/kafka*.log)"
    sleep 1
  done
  log "Kafka ready on $(bootstrap) (SASL_SSL; CA $KAFKA_CA_PEM, credentials in $KAFKA_CREDS_DIR)"
}

stop_node() {
  local i=$1 signal=${2:-TERM} pid
  if ! pid="$(node_pid "$i")"; then rm -f "$(node_pid_file "$i")"; return; fi
  log "stopping Kafka node $i (pid $pid, SIG$signal)"
  kill "-$signal" "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "Kafka node $i did not stop in 30 s; killing"; kill -KILL "$pid"; fi
  rm -f "$(node_pid_file "$i")"
}

stop() {
  local i running=0
  for i in $(nodes); do node_pid "$i" >/dev/null && running=1; done
  [ "$running" = 1 ] || { log "Kafka not running"; }
  # The controllers last: brokers shut down cleanly only while a quorum answers.
  for i in $(nodes | sort -rn); do stop_node "$i" & done
  wait
}

principal() {
  local name=${1:-}
  [[ "$name" =~ ^[A-Za-z0-9._-]{1,200}$ ]] || die "usage: $0 principal NAME ([A-Za-z0-9._-], at most 200)"
  node_pid 1 >/dev/null || die "Kafka is not running (deploy/local/kafka.sh start)"
  add_scram_user "$name"
  principal_file "$name"
}

node_arg() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$KAFKA_NODES" ] || die "node: 1 to $KAFKA_NODES"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    up=0
    for i in $(nodes); do if pid="$(node_pid "$i")"; then echo "node $i running (pid $pid)"; up=1; else echo "node $i stopped"; fi; done
    [ "$up" = 1 ] || exit 3 ;;
  bootstrap) bootstrap ;;
  principal) principal "${2:-}" ;;
  kill-node) node_arg "${2:-}"; stop_node "$2" KILL ;;
  start-node) node_arg "${2:-}"; fetch_jars; start_node "$2" ;;
  *) echo "usage: $0 start|stop|status|bootstrap|principal NAME|kill-node N|start-node N" >&2; exit 2 ;;
esac
