#!/bin/sh
# Entry point of the moderation image: the first argument is the role this container runs.
#   api | scanner | classifier | actioner | fetcher
#                                          a service (configuration from the environment, README "Configuration")
#   modctl COMMAND ...                     the operators' CLI, e.g. `modctl kafka setup` as a job
# `exec` makes node PID 1's only process, so it receives SIGTERM and shuts down gracefully itself.
set -eu
app="${MOD_APP_DIR:-/app}"
role="${1:-}"
[ "$#" -eq 0 ] || shift
case "$role" in
  api)
    # Its /metrics and named readiness checks: never on the public API_PORT.
    export OPS_PORT="${OPS_PORT:-9105}"
    exec node "$app/services/api/dist/main.js" "$@"
    ;;
  scanner)
    export OPS_PORT="${OPS_PORT:-9101}"
    # Huge pages for the decoder's large buffers (README, Configuration); glibc >= 2.35 honours it.
    export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}"
    exec node "$app/services/scanner/dist/main.js" "$@"
    ;;
  classifier)
    export OPS_PORT="${OPS_PORT:-9104}"
    # It decodes every unmatched image with sharp too: the same huge pages for its buffers.
    export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1}"
    exec node "$app/services/classifier/dist/main.js" "$@"
    ;;
  actioner)
    export OPS_PORT="${OPS_PORT:-9102}"
    exec node "$app/services/actioner/dist/main.js" "$@"
    ;;
  fetcher)
    export OPS_PORT="${OPS_PORT:-9103}"
    exec node "$app/services/fetcher/dist/main.js" "$@"
    ;;
  modctl)
    exec node "$app/packages/cli/dist/main.js" "$@"
    ;;
  *)
    echo "usage: ROLE [ARGS...]   ROLE: api | scanner | classifier | actioner | fetcher | modctl COMMAND ..." >&2
    if [ -z "$role" ] || [ "$role" = "--help" ]; then exit 0; fi
    echo "unknown role: $role" >&2
    exit 2
    ;;
esac
