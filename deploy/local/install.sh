#!/usr/bin/env bash
# Installs the pinned pnpm and every dependency from the lockfile, then builds the workspace.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
ensure_pnpm
log "installing dependencies from the lockfile"
pnpm install --frozen-lockfile --reporter=append-only >&2
log "building"
pnpm -s build
