#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, no ZooKeeper) on 127.0.0.1:9092, from jars that Maven fetches from Maven Central.
#   deploy/local/kafka.sh start   fetch jars (cached), format storage once, start, wait until clients are accepted
#   deploy/local/kafka.sh stop    stop cleanly (SIGTERM, then wait)
#   deploy/local/kafka.sh status
# Idempotent: starting a running broker, or stopping a stopped one, does nothing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

fetch_jars() {
  if [ -f "$KAFKA_LIBS/.complete" ] && [ "$KAFKA_LIBS/.complete" -nt "$KAFKA_DIR/pom.xml" ]; then return; fi
  log "fetching Kafka jars with Maven (deploy/kafka/pom.xml)"
  rm -rf "$KAFKA_LIBS"
  mvn -q -B -f "$KAFKA_DIR/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$KAFKA_LIBS" -DincludeScope=runtime >&2
  touch "$KAFKA_LIBS/.complete"
}

running_pid() {
  [ -f "$KAFKA_PID_FILE" ] || return 1
  local pid; pid="$(cat "$KAFKA_PID_FILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

write_config() {
  mkdir -p "$KAFKA_DATA"
  cat > "$DATA_DIR/kafka-server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
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
}

start() {
  if pid="$(running_pid)"; then log "Kafka already running (pid $pid)"; wait_ready; return; fi
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then die "port $KAFKA_PORT is taken by another process"; fi
  fetch_jars
  write_config
  if [ ! -f "$KAFKA_DATA/meta.properties" ]; then
    log "formatting KRaft storage in $KAFKA_DATA"
    java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool format --ignore-formatted \
      -t "$(java -cp "$KAFKA_LIBS/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)" \
      -c "$DATA_DIR/kafka-server.properties" >/dev/null 2>&1
  fi
  log "starting Kafka on $KAFKA_HOST:$KAFKA_PORT (log: $KAFKA_LOG)"
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$DATA_DIR/kafka-server.properties" >"$KAFKA_LOG" 2>&1 &
  echo $! > "$KAFKA_PID_FILE"
  wait_ready
}

# Ready means the broker answers metadata requests to a client, not merely that its port is open.
wait_ready() {
  local deadline=$((SECONDS + 90))
  until java -cp "$KAFKA_LIBS/*" org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" --list >/dev/null 2>&1; do
    if ! running_pid >/dev/null; then tail -n 30 "$KAFKA_LOG" >&2 || true; die "Kafka exited during start-up"; fi
    [ $SECONDS -lt $deadline ] || die "Kafka not ready after 90 s (see $KAFKA_LOG)"
    sleep 1
  done
  log "Kafka ready on $KAFKA_HOST:$KAFKA_PORT"
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

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if pid="$(running_pid)"; then echo "running (pid $pid)"; else echo "stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
