#!/usr/bin/env bash
# Makes the secrets deploy/compose/compose.yaml reads, once, in deploy/compose/secrets/ (or $MOD_COMPOSE_SECRETS_DIR):
#   kafka-ca.pem, kafka-ca.key        a private CA for the broker (keep the key to issue certificates later)
#   kafka-broker.pem                  the broker's key and certificate (SAN: kafka, localhost, $KAFKA_EXTERNAL_HOST)
#   kafka-<principal>.password        SCRAM passwords: admin, controller and the five service principals
#   postgres.password                 the PostgreSQL superuser's (the image's `postgres` user)
#   postgres-moderation.password      the application role's
#   <service>.env                     per service: its Kafka principal, password and DATABASE_URL, the headers of an
#                                     OTLP collector (empty); the API also its Ed25519 audit signing key and the
#                                     staff accounts' sealing key; api, scanner and classifier the evidence vault's
#                                     master key; admin.env for the `modctl kafka setup` job
# Existing files are kept: run it again after adding a principal and only the missing files are made.
# Needs openssl. Never commit the folder (it is in .gitignore and .dockerignore).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="${MOD_COMPOSE_SECRETS_DIR:-$here/secrets}"
external_host="${KAFKA_EXTERNAL_HOST:-127.0.0.1}"

mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"

# Files the containers read through compose secrets (bind mounts) must be readable by the containers' users
# (Kafka's appuser, postgres, node: uids 1000 and 999), hence 0644; the folder itself stays 0700 to the host's
# other users. The env files are read by compose on the host only: 0600.
readable() { chmod 644 "$@"; }

random_password() { openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n'; }
make_password() { # file
  [ -s "$1" ] && return
  (umask 077 && random_password > "$1")
  readable "$1"
}

if [ ! -s kafka-ca.pem ]; then
  (umask 077 && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout kafka-ca.key \
    -out kafka-ca.pem -days 3650 -subj "/CN=moderation compose Kafka CA" 2>/dev/null)
  readable kafka-ca.pem
fi
if [ ! -s kafka-broker.pem ]; then
  if [[ "$external_host" =~ ^[0-9.]+$|: ]]; then external_san="IP:$external_host"; else external_san="DNS:$external_host"; fi
  tmp="$(mktemp -d)"
  (
    umask 077
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/broker.key" \
      -out "$tmp/broker.csr" -subj "/CN=kafka" 2>/dev/null
    printf 'subjectAltName=DNS:kafka,DNS:localhost,%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$external_san" \
      > "$tmp/ext.cnf"
    openssl x509 -req -in "$tmp/broker.csr" -CA kafka-ca.pem -CAkey kafka-ca.key -CAcreateserial \
      -out "$tmp/broker.crt" -days 825 -extfile "$tmp/ext.cnf" 2>/dev/null
    # Kafka's PEM key store: an unencrypted PKCS#8 key followed by the certificate.
    openssl pkcs8 -topk8 -nocrypt -in "$tmp/broker.key" -out "$tmp/broker.p8"
    cat "$tmp/broker.p8" "$tmp/broker.crt" > kafka-broker.pem
  )
  rm -rf "$tmp"
  readable kafka-broker.pem
fi

for principal in admin controller mod-api mod-scanner mod-classifier mod-fetcher mod-actioner; do
  make_password "kafka-$principal.password"
done
make_password postgres.password
make_password postgres-moderation.password

database_url="postgres://moderation:$(cat postgres-moderation.password)@postgres:5432/moderation"
env_file() { # file principal [extra line]
  [ -s "$1" ] && return
  (umask 077 && {
    printf 'KAFKA_SASL_USERNAME=%s\nKAFKA_SASL_PASSWORD=%s\n' "$2" "$(cat "kafka-$2.password")"
    printf 'DATABASE_URL=%s\n' "$database_url"
    if [ -n "${3:-}" ]; then printf '%s\n' "$3"; fi
  } > "$1")
}
# The API signs audit tree heads with an Ed25519 key (PKCS#8 PEM; the service accepts \n escapes on one line).
if [ ! -s api.env ]; then
  signing_key="$(openssl genpkey -algorithm ed25519 2>/dev/null | awk '{printf "%s\\n", $0}')"
  env_file api.env mod-api "MOD_AUDIT_SIGNING_KEY_PEM=$signing_key"
fi
env_file scanner.env mod-scanner
env_file classifier.env mod-classifier
env_file actioner.env mod-actioner
env_file fetcher.env mod-fetcher
env_file admin.env admin
# The evidence vault's master key (32 random bytes, base64), the same for every service that seals or opens evidence;
# made once (an existing one is kept: evidence sealed under it must stay readable). After a rotation the old keys go
# in MOD_VAULT_PREVIOUS_KEYS, comma-separated.
vault_key="$(sed -n 's/^MOD_VAULT_MASTER_KEY=//p' api.env scanner.env classifier.env 2>/dev/null | head -n 1)"
[ -n "$vault_key" ] || vault_key="$(openssl rand -base64 32)"
for service in api scanner classifier; do
  grep -q '^MOD_VAULT_MASTER_KEY=' "$service.env" || printf 'MOD_VAULT_MASTER_KEY=%s\n' "$vault_key" >> "$service.env"
  grep -q '^MOD_VAULT_PREVIOUS_KEYS=' "$service.env" || printf 'MOD_VAULT_PREVIOUS_KEYS=\n' >> "$service.env"
done
# The key that seals staff accounts' TOTP secrets (32 random bytes, base64), the API's only; made once and kept: under a
# new key the secrets people enrolled no longer open, and each of them needs an admin's reset.
grep -q '^MOD_PEOPLE_SECRET_KEY=' api.env || printf 'MOD_PEOPLE_SECRET_KEY=%s\n' "$(openssl rand -base64 32)" >> api.env
# Citizens' reports: the key sealing reporters' contact details (made once and kept, like the people key) and the
# secret signing the public form's tokens (the same for every API container).
for key in REPORT_CONTACT_KEY REPORT_FORM_SECRET; do
  grep -q "^$key=" api.env || printf '%s=%s\n' "$key" "$(openssl rand -base64 32)" >> api.env
done
# After a rotation of the contact key the old one goes in REPORT_CONTACT_PREVIOUS_KEYS (comma-separated).
grep -q '^REPORT_CONTACT_PREVIOUS_KEYS=' api.env || printf 'REPORT_CONTACT_PREVIOUS_KEYS=\n' >> api.env
# Headers for an OTLP collector (e.g. its authorization), empty until traces are exported somewhere that needs them.
for service in api scanner classifier actioner fetcher; do
  grep -q '^OTEL_EXPORTER_OTLP_HEADERS=' "$service.env" || printf 'OTEL_EXPORTER_OTLP_HEADERS=\n' >> "$service.env"
done

echo "compose secrets ready in $dir" >&2
