#!/usr/bin/env bash
# `npm test`: installs what is missing (Node 24, dependencies, the Temporal CLI, Chromium,
# PostgreSQL), then runs typecheck, lint, format check and the whole jest suite. Extra arguments
# go to jest.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_node
ensure_dependencies
ensure_temporal_cli
ensure_chromium
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
results="$KASAL_ROOT/.kasal/jest-results.json"
mkdir -p "$(dirname "$results")"
status=0
NODE_OPTIONS="--experimental-vm-modules ${NODE_OPTIONS:-}" npx jest --ci --json --outputFile="$results" "$@" || status=$?
# One plain closing line for CI: 'N passed, N failed'.
node -e 'const r = require(process.argv[1]); console.log(`jest: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)' "$results" || true
exit "$status"
