#!/usr/bin/env bash
# Single-node Apache Kafka 4 (KRaft) on 127.0.0.1:9092, from jars that Maven fetches from Maven Central.
# Every client authenticates: SASL/SCRAM-SHA-512 over TLS (SASL_SSL), and the StandardAuthorizer refuses whatever
# no ACL allows. The broker's CA and every principal's password are generated on first start under .data/.
#   deploy/local/kafka.sh start            fetch jars (cached), make TLS material and credentials once, format
#                                          storage once, start, wait until an authenticated client is served
#   deploy/local/kafka.sh stop             stop cleanly (SIGTERM, then wait)
#   deploy/local/kafka.sh status
#   deploy/local/kafka.sh principal NAME   make sure the SCRAM user NAME exists (a partner's, say); prints the
#                                          file holding its credentials (KAFKA_SASL_USERNAME / _PASSWORD)
# Idempotent: starting a running broker, or stopping a stopped one, does nothing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SCRAM_USERS_FILE="$KAFKA_DATA/.scram-users"

fetch_jars() {
  if [ -f "$KAFKA_LIBS/.complete" ] && [ "$KAFKA_LIBS/.complete" -nt "$KAFKA_DIR/pom.xml" ]; then return; fi
  log "fetching Kafka $KAFKA_VERSION jars with Maven (deploy/kafka/pom.xml)"
  rm -rf "$KAFKA_LIBS"
  mvn -q -B -f "$KAFKA_DIR/pom.xml" dependency:copy-dependencies -Dkafka.version="$KAFKA_VERSION" \
    -DoutputDirectory="$KAFKA_LIBS" -DincludeScope=runtime >&2
  touch "$KAFKA_LIBS/.complete"
}

running_pid() {
  [ -f "$KAFKA_PID_FILE" ] || return 1
  local pid; pid="$(cat "$KAFKA_PID_FILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# A private CA and the broker's certificate (SAN 127.0.0.1 and localhost), made once. Clients trust ca.pem.
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
  mkdir -p "$KAFKA_DATA"
  local admin_pw controller_pw
  admin_pw="$(principal_password admin)"
  controller_pw="$(principal_password controller)"
  (umask 077 && cat > "$DATA_DIR/kafka-server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=SASL_SSL://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=SASL_SSL://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:SASL_PLAINTEXT
# Clients: SCRAM-SHA-512 over TLS. The broker talks to itself as the admin super user.
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_pw";
# KRaft controllers cannot use SCRAM; the controller listener (loopback) takes one static PLAIN user.
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="$controller_pw" user_controller="$controller_pw";
ssl.keystore.type=PEM
ssl.keystore.location=$KAFKA_TLS_DIR/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$KAFKA_CA_PEM
# Nothing is allowed that no ACL allows; only the broker itself and the operator's admin are super users.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:controller
allow.everyone.if.no.acl.found=false
log.dirs=$KAFKA_DATA
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
message.max.bytes=16777216
log.cleaner.backoff.ms=1000
PROPS
  )
  (umask 077 && cat > "$KAFKA_ADMIN_PROPS" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_pw";
ssl.truststore.type=PEM
ssl.truststore.location=$KAFKA_CA_PEM
PROPS
  )
}

kafka_java() { java -Dlog4j.configuration=file:/dev/null -cp "$KAFKA_LIBS/*" "$@"; }

format_storage() {
  [ -f "$KAFKA_DATA/meta.properties" ] && return
  log "formatting KRaft storage in $KAFKA_DATA (SCRAM users: admin $SERVICE_PRINCIPALS)"
  local args=() name
  for name in admin $SERVICE_PRINCIPALS; do
    args+=(--add-scram "SCRAM-SHA-512=[name=$name,password=$(principal_password "$name")]")
  done
  kafka_java kafka.tools.StorageTool format --ignore-formatted \
    -t "$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)" \
    -c "$DATA_DIR/kafka-server.properties" "${args[@]}" >/dev/null 2>&1
  printf '%s\n' admin $SERVICE_PRINCIPALS > "$SCRAM_USERS_FILE"
}

# Adds a SCRAM user to the running broker (credentials generated on first use); no-op when it is known.
add_scram_user() {
  local name=$1
  grep -qx -- "$name" "$SCRAM_USERS_FILE" 2>/dev/null && return
  local config_command=org.apache.kafka.tools.ConfigCommand
  [[ "$KAFKA_VERSION" == 3.* ]] && config_command=kafka.admin.ConfigCommand
  kafka_java "$config_command" --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" \
    --command-config "$KAFKA_ADMIN_PROPS" --alter --entity-type users --entity-name "$name" \
    --add-config "SCRAM-SHA-512=[password=$(principal_password "$name")]" >/dev/null 2>&1 ||
    die "could not create the SCRAM user $name"
  echo "$name" >> "$SCRAM_USERS_FILE"
  log "SCRAM user $name created"
}

start() {
  if pid="$(running_pid)"; then log "Kafka already running (pid $pid)"; wait_ready; return; fi
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then die "port $KAFKA_PORT is taken by another process"; fi
  if [ -f "$KAFKA_DATA/meta.properties" ] && [ ! -f "$(principal_file admin)" ]; then
    die "$KAFKA_DATA was formatted with credentials that are gone; remove $KAFKA_DATA to start afresh"
  fi
  fetch_jars
  ensure_tls
  write_config
  format_storage
  log "starting Kafka on $KAFKA_HOST:$KAFKA_PORT, SASL_SSL (log: $KAFKA_LOG)"
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$DATA_DIR/kafka-server.properties" >"$KAFKA_LOG" 2>&1 &
  echo $! > "$KAFKA_PID_FILE"
  wait_ready
  # Service principals added to the project after this storage was formatted.
  for name in $SERVICE_PRINCIPALS; do add_scram_user "$name"; done
}

# Ready means the broker answers an authenticated client's metadata request, not merely that its port is open.
wait_ready() {
  local deadline=$((SECONDS + 90))
  until kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" \
      --command-config "$KAFKA_ADMIN_PROPS" --list >/dev/null 2>&1; do
    if ! running_pid >/dev/null; then tail -n 30 "$KAFKA_LOG" >&2 || true; die "Kafka exited during start-up"; fi
    [ $SECONDS -lt $deadline ] || die "Kafka not ready after 90 s (see $KAFKA_LOG)"
    sleep 1
  done
  log "Kafka ready on $KAFKA_HOST:$KAFKA_PORT (SASL_SSL; CA $KAFKA_CA_PEM, credentials in $KAFKA_CREDS_DIR)"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then log "Kafka not running"; rm -f "$KAFKA_PID_FILE"; return; fi
  log "stopping Kafka (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then log "Kafka did not stop in 30 s; killing"; kill -KILL "$pid"; fi
  rm -f "$KAFKA_PID_FILE"
}

principal() {
  local name=${1:-}
  [[ "$name" =~ ^[A-Za-z0-9._-]{1,200}$ ]] || die "usage: $0 principal NAME ([A-Za-z0-9._-], at most 200)"
  running_pid >/dev/null || die "Kafka is not running (deploy/local/kafka.sh start)"
  add_scram_user "$name"
  principal_file "$name"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if pid="$(running_pid)"; then echo "running (pid $pid)"; else echo "stopped"; exit 3; fi ;;
  principal) principal "${2:-}" ;;
  *) echo "usage: $0 start|stop|status|principal NAME" >&2; exit 2 ;;
esac
