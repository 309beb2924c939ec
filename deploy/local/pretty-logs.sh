#!/usr/bin/env bash
# Prints the services' JSON log lines (pino) from stdin human-readable on stdout, one line each: local time,
# level, service, message, then the other fields as JSON (a `verdict actioned` line keeps its "decision").
# Lines that are not JSON pass through unchanged; the log files themselves stay JSON. demo.sh follows the
# decisions through it; by hand:  tail -F .data/logs/actioner.log | bash deploy/local/pretty-logs.sh
set -euo pipefail
pretty="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/services/demo/node_modules/.bin/pino-pretty"
if [ ! -x "$pretty" ]; then
  echo "pino-pretty is not installed (deploy/local/install.sh installs it): the logs are shown as JSON" >&2
  exec cat
fi
exec "$pretty" --singleLine --translateTime 'SYS:HH:MM:ss.l' --messageFormat '{if service}{service}: {end}{msg}' \
  --ignore service
