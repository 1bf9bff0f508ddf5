#!/usr/bin/env bash
# `npm start`: installs what is missing, then runs the whole platform on this machine: a
# Temporal dev server (unless TEMPORAL_ADDRESS points at one), a worker and the API, with an
# embedded SQLite database unless DATABASE_URL is set. State lives in KASAL_HOME (.kasal/).
# Ctrl-C stops everything.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_node
ensure_dependencies
ensure_temporal_cli
ensure_build
mkdir -p "$KASAL_HOME"

pids=()
stopping=0
stop_all() {
  [ "$stopping" = 1 ] && return
  stopping=1
  log "stopping…"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  log "stopped"
}
trap 'stop_all; exit 0' INT TERM
trap 'stop_all' EXIT

if [ -z "${TEMPORAL_ADDRESS:-}" ]; then
  temporal_dev_command
  "${TEMPORAL_DEV_CMD[@]}" >>"$KASAL_HOME/temporal.log" 2>&1 &
  pids+=($!)
  export TEMPORAL_ADDRESS="$TEMPORAL_DEV_IP:$TEMPORAL_DEV_PORT"
  embedded_web_ui_env
  log "waiting for the Temporal dev server on $TEMPORAL_ADDRESS (log: $KASAL_HOME/temporal.log)"
  wait_for_port "$TEMPORAL_DEV_IP" "$TEMPORAL_DEV_PORT" 60
fi

node "$KASAL_ROOT/dist/worker/main.js" &
pids+=($!)
node "$KASAL_ROOT/dist/api/server.js" &
pids+=($!)

port="${PORT:-8000}"
api_url="${PUBLIC_URL:-http://localhost:$port}"
api_up=0
for _ in $(seq 1 120); do
  if http_answers "http://127.0.0.1:$port/health"; then api_up=1; break; fi
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || break 2; done
  sleep 0.5
done
if [ "$api_up" = 0 ]; then
  log "the platform did not come up; see the messages above"
  stop_all
  exit 1
fi

admin_email="${KASAL_ADMIN_EMAIL:-admin@kasal.local}"
if [ -n "${KASAL_ADMIN_PASSWORD:-}" ]; then
  password_hint='the value of KASAL_ADMIN_PASSWORD'
elif [ -f "$KASAL_HOME/initial-admin-password" ]; then
  password_hint="the generated one in $KASAL_HOME/initial-admin-password"
else
  password_hint='the one you set (generated on the first start)'
fi
cat <<BANNER

  Kasal is running.
    API              $api_url/api/v1
    API docs         $api_url/api-docs
    OpenAPI          $api_url/api-openapi.json
    Temporal Web UI  ${TEMPORAL_UI_URL:-(external Temporal at $TEMPORAL_ADDRESS)}
    Health           $api_url/health
    Log in           curl -X POST $api_url/api/v1/auth/login \\
                       -H 'content-type: application/json' \\
                       -d '{"email":"$admin_email","password":"…"}'
                     password: $password_hint
    Data             $KASAL_HOME (kept across restarts)
  Press Ctrl-C to stop.

BANNER

# Run until Ctrl-C, or until one piece exits (then stop the others).
set +e
wait -n "${pids[@]}"
status=$?
set -e
if [ "$stopping" = 0 ]; then
  log "a process exited (status $status); stopping the platform"
  stop_all
  exit "$status"
fi
