#!/usr/bin/env bash
# `npm test`: installs what is missing (Node 24, dependencies, the Temporal CLI, PostgreSQL),
# then runs typecheck, lint, format check and the whole jest suite. Extra arguments go to jest.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_node
ensure_dependencies
ensure_temporal_cli
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  TEST_DATABASE_URL="$(bash "$KASAL_ROOT/deploy/scripts/postgres-local.sh")"
  export TEST_DATABASE_URL
fi
cd "$KASAL_ROOT"

log "build";        npm run --silent build
log "typecheck";    npm run --silent typecheck
log "lint";         npm run --silent lint
log "format check"; npm run --silent format:check
log "jest"
NODE_OPTIONS="--experimental-vm-modules ${NODE_OPTIONS:-}" npx jest --ci "$@"
