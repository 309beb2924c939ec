# The broker and admin-client settings deploy/compose/kafka/start.sh (beside it in the broker's container, at
# /mod/) and deploy/local/kafka.sh share: SASL/SCRAM-SHA-512 over TLS for every client, the KRaft controller's
# static PLAIN user, PEM TLS material, the StandardAuthorizer, and the topic defaults. Source it; do not run it.
# Each function prints properties; the caller writes them (umask 077: they hold passwords).
# shellcheck shell=bash

# kafka_security_properties LISTENER ADMIN_PASSWORD CONTROLLER_PASSWORD KEYSTORE TRUSTSTORE
# Clients and brokers authenticate with SCRAM-SHA-512 (brokers talk to each other on LISTENER as the admin super
# user); the controller listener takes one static PLAIN user; nothing is allowed that no ACL allows.
kafka_security_properties() {
  cat <<PROPS
# Clients: SCRAM-SHA-512 over TLS. Brokers talk to each other as the admin super user.
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.$1.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$2";
# KRaft controllers cannot use SCRAM; the controller listener (loopback) takes one static PLAIN user.
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="$3" user_controller="$3";
ssl.keystore.type=PEM
ssl.keystore.location=$4
ssl.truststore.type=PEM
ssl.truststore.location=$5
# Nothing is allowed that no ACL allows; only the brokers themselves and the operator's admin are super users.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:controller
allow.everyone.if.no.acl.found=false
PROPS
}

# kafka_topic_properties REPLICAS MIN_ISR
# Topics are made only by `modctl kafka setup`; the internal ones are replicated REPLICAS times, a write needing
# MIN_ISR of them; one event (media up to 16 MiB) fits a message.
kafka_topic_properties() {
  cat <<PROPS
num.partitions=3
default.replication.factor=$1
min.insync.replicas=$2
offsets.topic.replication.factor=$1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$1
transaction.state.log.min.isr=$2
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
message.max.bytes=16777216
PROPS
}

# The connection limits of a production broker (compose's; the Helm chart's brokers are the operator's, and
# deploy/README.md asks for the same). Kafka's defaults have none: one address could hold every file descriptor of
# the broker, and a client reconnecting in a loop (or thousands at once) have the network threads do a TLS handshake
# and a SCRAM exchange (4096 rounds of HMAC-SHA-512) each time, starving every other client.
# shellcheck disable=SC2034 # read by the scripts that source this file
KAFKA_MAX_CONNECTIONS_PER_IP=100
# shellcheck disable=SC2034
KAFKA_MAX_CONNECTION_CREATION_RATE=50

# kafka_connection_properties PER_IP CREATION_RATE [OVERRIDES]
# At most PER_IP connections open from one address to a broker (a service's pod opens a few to each broker; a
# partner's clients share its address, so behind a NAT or a load balancer that hides client addresses they share one
# budget) and at most CREATION_RATE new connections a second to a broker, past which the broker delays accepting
# them. OVERRIDES (host:count,...) lifts the first for the addresses named: where every client connects from
# loopback (deploy/local: the services, the tests, the brokers of a local cluster to each other).
kafka_connection_properties() {
  cat <<PROPS
max.connections.per.ip=$1
max.connection.creation.rate=$2
PROPS
  if [ -n "${3:-}" ]; then echo "max.connections.per.ip.overrides=$3"; fi
}

# kafka_admin_properties ADMIN_PASSWORD TRUSTSTORE
# The admin client's properties (Kafka's command-line tools: --command-config).
kafka_admin_properties() {
  cat <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$1";
ssl.truststore.type=PEM
ssl.truststore.location=$2
PROPS
}

# kafka_scram_password_properties PASSWORD
# One user's SCRAM credential as kafka-configs.sh --add-config-file reads it (a Java properties file: a backslash is
# written escaped). On its command line (--add-config) the password would be readable by every process of the host
# (ps, /proc/PID/cmdline, a container's too); the caller writes this to a file of its own (mktemp: 0600) and removes
# it after.
kafka_scram_password_properties() {
  printf 'SCRAM-SHA-512=password=%s\n' "${1//\\/\\\\}"
}
