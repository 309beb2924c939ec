#!/usr/bin/env bash
# Runs the whole pipeline on this machine: Kafka, PostgreSQL, api + scanner + classifier + actioner + fetcher, a
# demo bank and demo traffic. Ctrl-C (or SIGTERM) stops every service gracefully, then Kafka.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

[ -n "${MOD_SKIP_INSTALL:-}" ] || bash deploy/local/install.sh
bash deploy/local/up.sh

# The services' logs (request lines with client addresses, fetched URLs, webhook targets' addresses): the owner's
# alone, as Kafka's log and segments are.
LOG_DIR="$DATA_DIR/logs"
mkdir -p "$LOG_DIR"
chmod 700 "$LOG_DIR"
export DATABASE_URL="postgres://$MOD_DB_USER@$PG_HOST:$PG_PORT/$MOD_DB_NAME"
export API_PORT="${API_PORT:-8080}"
# Audit tree heads need an Ed25519 key; without one given, an ephemeral key (this run only, never on disk).
export MOD_AUDIT_SIGNING_KEY_PEM="${MOD_AUDIT_SIGNING_KEY_PEM:-$(node -e "process.stdout.write(require('node:crypto').generateKeyPairSync('ed25519').privateKey.export({type:'pkcs8',format:'pem'}))")}"
# The evidence vault's master key: made once and kept in .data/ (owner-only), so that evidence in the demo's database
# still opens after a restart; a deployment takes it from its secret store.
VAULT_KEY_FILE="$DATA_DIR/vault-master-key"
[ -s "$VAULT_KEY_FILE" ] || (umask 077 && node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64'))" >"$VAULT_KEY_FILE")
export MOD_VAULT_MASTER_KEY="${MOD_VAULT_MASTER_KEY:-$(cat "$VAULT_KEY_FILE")}"
# Staff accounts' TOTP secrets are sealed under this key: made once and kept in .data/ (owner-only), like the vault's.
PEOPLE_KEY_FILE="$DATA_DIR/people-secret-key"
[ -s "$PEOPLE_KEY_FILE" ] || (umask 077 && node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64'))" >"$PEOPLE_KEY_FILE")
export MOD_PEOPLE_SECRET_KEY="${MOD_PEOPLE_SECRET_KEY:-$(cat "$PEOPLE_KEY_FILE")}"
# Reporters' contact details are sealed under this key (and the public form's tokens signed with the other): made
# once and kept in .data/ (owner-only), like the vault's.
for name in report-contact-key report-form-secret; do
  [ -s "$DATA_DIR/$name" ] || (umask 077 && node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64'))" >"$DATA_DIR/$name")
done
export REPORT_CONTACT_KEY="${REPORT_CONTACT_KEY:-$(cat "$DATA_DIR/report-contact-key")}"
export REPORT_FORM_SECRET="${REPORT_FORM_SECRET:-$(cat "$DATA_DIR/report-form-secret")}"
API_URL="http://127.0.0.1:$API_PORT"
SCANNER_OPS_PORT="${SCANNER_OPS_PORT:-9101}"
ACTIONER_OPS_PORT="${ACTIONER_OPS_PORT:-9102}"
FETCHER_OPS_PORT="${FETCHER_OPS_PORT:-9103}"
CLASSIFIER_OPS_PORT="${CLASSIFIER_OPS_PORT:-9104}"
# The API's /metrics and named readiness checks: on its ops port (loopback), not on API_PORT.
API_OPS_PORT="${API_OPS_PORT:-9105}"
# The tenant standing watcher's ops server (`modctl kafka standing --watch --ops-port`).
STANDING_OPS_PORT="${STANDING_OPS_PORT:-9106}"

pids=()
start_service() { # name, ops port, entry point; each service runs as its own Kafka principal (mod-<name>)
  local name=$1 port=$2 entry=$3
  (
    # umask 077: the log (made anew, so an earlier run's 0644 file goes) and whatever the service writes are its
    # owner's alone.
    umask 077
    rm -f "$LOG_DIR/$name.log"
    export_kafka_client_env "mod-$name"
    OPS_PORT="$port" exec nohup node "$entry" >"$LOG_DIR/$name.log" 2>&1
  ) &
  pids+=($!)
  log "started $name (pid $!, Kafka principal mod-$name, log $LOG_DIR/$name.log)"
}

stop_all() {
  trap - INT TERM EXIT
  log "stopping services"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  local deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [ -z "${MOD_KEEP_KAFKA:-}" ]; then bash deploy/local/kafka.sh stop; fi
  log "stopped"
}
trap stop_all INT TERM EXIT

# `modctl kafka standing --watch` as the admin principal: a tenant disabled (the console, the admin API, modctl tenant
# disable) loses its partner principal's produce and fetch on the broker as soon as the watcher reads the change (every
# second), and gets them back once enabled. Its JSON log is appended to the log file, its metrics on port $2 of
# loopback; should it stop, it is started again after $1 seconds. SIGTERM stops the watcher or the wait in progress with the loop, so nothing of it outlives
# the demo.
start_standing_loop() {
  (
    umask 077
    rm -f "$LOG_DIR/kafka-standing.log"
    export_kafka_client_env admin
    export MODCTL_ACTOR=demo-kafka-standing
    child=''
    trap '[ -z "$child" ] || kill -TERM "$child" 2>/dev/null; exit 0' TERM
    while :; do
      node packages/cli/dist/main.js kafka standing --watch --ops-port "$2" >>"$LOG_DIR/kafka-standing.log" 2>&1 &
      child=$!
      wait "$child" || log "modctl kafka standing --watch stopped (see $LOG_DIR/kafka-standing.log); again in $1 s"
      sleep "$1" &
      child=$!
      wait "$child"
    done
  ) &
  pids+=($!)
  log "started modctl kafka standing --watch (pid $!, Kafka principal admin, log $LOG_DIR/kafka-standing.log)"
}

start_service api "$API_OPS_PORT" services/api/dist/main.js
# Huge pages for the decoder's large buffers (README, Configuration).
GLIBC_TUNABLES=glibc.malloc.hugetlb=1 start_service scanner "$SCANNER_OPS_PORT" services/scanner/dist/main.js
start_service actioner "$ACTIONER_OPS_PORT" services/actioner/dist/main.js
start_service fetcher "$FETCHER_OPS_PORT" services/fetcher/dist/main.js
# The classifier decodes with sharp as well; its model threads default to this machine's cores.
GLIBC_TUNABLES=glibc.malloc.hugetlb=1 start_service classifier "$CLASSIFIER_OPS_PORT" services/classifier/dist/main.js

# A service's start on a loaded 2-core machine (five starting at once) can take a minute on its own.
READY_TIMEOUT_S="${READY_TIMEOUT_S:-180}"
wait_ready() { # name, url
  local deadline=$((SECONDS + READY_TIMEOUT_S))
  until curl -fsS "$2" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { tail -n 20 "$LOG_DIR/$1.log" >&2; die "$1 not ready after $READY_TIMEOUT_S s"; }
    sleep 0.5
  done
  log "$1 ready"
}
wait_ready api "$API_URL/health/ready"
wait_ready scanner "http://127.0.0.1:$SCANNER_OPS_PORT/health/ready"
wait_ready actioner "http://127.0.0.1:$ACTIONER_OPS_PORT/health/ready"
wait_ready fetcher "http://127.0.0.1:$FETCHER_OPS_PORT/health/ready"
wait_ready classifier "http://127.0.0.1:$CLASSIFIER_OPS_PORT/health/ready"
start_standing_loop "${KAFKA_STANDING_INTERVAL_S:-5}" "$STANDING_OPS_PORT"

rm -f "$LOG_DIR/demo.log"
(umask 077 && API_URL="$API_URL" DEMO_KEYS_FILE="$DATA_DIR/demo-keys.json" exec node services/demo/dist/main.js >"$LOG_DIR/demo.log" 2>&1) &
pids+=($!)
sleep 3
# People (password and TOTP), made once; every run prints a fresh one-time password for each: a reviewer, an
# authority officer, and a hotline operator (citizens' reports, contact details).
modctl() { MODCTL_ACTOR=demo node packages/cli/dist/main.js "$@"; }
modctl tenant create --id demo-hotline --kind hotline --name "Demo hotline" >/dev/null 2>&1 || true
modctl tenant create --id demo-authority --kind authority --name "Demo authority" >/dev/null 2>&1 || true
demo_person() { # tenant, login, role, name: prints the one-time password
  local id made
  id="$(modctl people list --tenant "$1" | node -e "let t='';process.stdin.on('data',(d)=>(t+=d)).on('end',()=>process.stdout.write(t.split('\n').filter(Boolean).map((l)=>JSON.parse(l)).find((p)=>p.login===process.argv[1])?.id??''))" "$2")"
  if [ -z "$id" ]; then made="$(modctl people add --tenant "$1" --login "$2" --role "$3" --name "$4")"
  else made="$(modctl people reset --id "$id")"; fi
  # On stdin, not on node's command line: ps shows those to every user, and the first to sign in takes the account.
  printf '%s' "$made" | node -e "let t='';process.stdin.on('data',(d)=>(t+=d)).on('end',()=>process.stdout.write(JSON.parse(t).oneTimePassword))" 2>/dev/null || echo '<modctl people failed>'
}
REVIEWER_OTP="$(demo_person demo-hotline demo.reviewer reviewer "Demo reviewer")"
OFFICER_OTP="$(demo_person demo-authority demo.officer authority "Demo officer")"
OPERATOR_OTP="$(demo_person demo-hotline demo.operator hotline "Demo hotline operator")"
# The 111 hotline's call centre: an API key of role hotline (a fresh one each run) files reports taken by phone.
HOTLINE_KEY="$(modctl key issue --tenant demo-hotline --role hotline --label 'demo call centre' | node -e "let t='';process.stdin.on('data',(d)=>(t+=d)).on('end',()=>process.stdout.write(JSON.parse(t).key??''))" 2>/dev/null || echo '<modctl key failed>')"
AUTHORITY_KEY="$(node -p "require('$DATA_DIR/demo-keys.json').authority" 2>/dev/null || echo '<see .data/demo-keys.json>')"
cat >&2 <<MSG

  The pipeline is running. Demo uploads arrive every 2 s (a third are copies of "known" pictures, which
  become orders; one in ten a copy of a "suspected" one, which becomes a review case for the reviewer).
  Orders (as the demo authority):
    curl -s -H "authorization: Bearer $AUTHORITY_KEY" '$API_URL/v1/orders?limit=5'
  Reviewer (a person): sign in as demo.reviewer with the one-time password $REVIEWER_OTP
    curl -si -H 'content-type: application/json' -d '{"login":"demo.reviewer","password":"$REVIEWER_OTP"}' '$API_URL/v1/session'
    then set a password and enrol an authenticator app (services/api/README.md, "Staff accounts"), or sign in
    at $API_URL/console; the review queue is GET $API_URL/v1/cases.
  Console ($API_URL/console), first sign-in with a one-time password (then a new password and TOTP enrolment):
    authority officer demo.officer: $OFFICER_OTP     hotline operator demo.operator: $OPERATOR_OTP
  Citizens' reports: the public form at $API_URL/report (English: ?lang=en), progress at $API_URL/report/status;
    the hotline's call centre files one (answers a tracking code), the reviewer assesses what nothing settled:
    curl -s -H "authorization: Bearer $HOTLINE_KEY" -H 'content-type: application/json' \
      -d '{"urls":["http://127.0.0.2/reported/page.html"],"category":"other"}' '$API_URL/v1/reports'
    (a loopback address the fetcher refuses without sending anything: the report goes to the reviewer; the demo
    sends no traffic beyond this machine)
    figures: curl -s -H "authorization: Bearer $HOTLINE_KEY" '$API_URL/v1/report-stats'
  Metrics:   http://127.0.0.1:PORT/metrics of each service's ops server (loopback only): api $API_OPS_PORT,
             scanner $SCANNER_OPS_PORT, actioner $ACTIONER_OPS_PORT, fetcher $FETCHER_OPS_PORT, classifier $CLASSIFIER_OPS_PORT,
             tenant standing watcher $STANDING_OPS_PORT
  Health:    http://127.0.0.1:PORT/health/ready on the ports above (names a failing check); the API's public
             $API_URL/health/ready says only ready or not
  Logs:      $LOG_DIR/{api,scanner,classifier,actioner,fetcher,kafka-standing,demo}.log     API keys: $DATA_DIR/demo-keys.json
  Tenants' Kafka access: modctl kafka standing every ${KAFKA_STANDING_INTERVAL_S:-30} s suspends a disabled tenant's
             partner principal and restores it once enabled (log $LOG_DIR/kafka-standing.log)
  Stop:      Ctrl-C

MSG
# Follow decisions as they happen, human-readable (pino-pretty); the log files stay JSON. When the tail stops,
# the printer reads the end of its input and exits.
tail -q -n 0 -F "$LOG_DIR/demo.log" "$LOG_DIR/actioner.log" 2>/dev/null > >(bash deploy/local/pretty-logs.sh) &
pids+=($!)
wait "${pids[0]}"
