#!/usr/bin/env bash
# Starts one piece of the platform in the foreground: `run.sh temporal|api|worker`.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

piece="${1:-}"
case "$piece" in
  temporal)
    ensure_temporal_cli
    log "Temporal dev server on $TEMPORAL_DEV_IP:$TEMPORAL_DEV_PORT, Web UI http://localhost:$TEMPORAL_DEV_UI_PORT"
    temporal_dev_command
    exec "${TEMPORAL_DEV_CMD[@]}"
    ;;
  api | worker)
    ensure_node
    ensure_dependencies
    ensure_build
    entry="dist/api/server.js"
    [ "$piece" = worker ] && entry="dist/worker/main.js"
    # Beside `run.sh temporal` (no TEMPORAL_ADDRESS), the API serves that dev server's Web UI.
    [ "$piece" = api ] && [ -z "${TEMPORAL_ADDRESS:-}" ] && embedded_web_ui_env
    exec node "$KASAL_ROOT/$entry"
    ;;
  *)
    echo "usage: run.sh temporal|api|worker" >&2
    exit 2
    ;;
esac
