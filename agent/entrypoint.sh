#!/usr/bin/env bash
# Starts one pool instance: writes the OpenClaw config from the environment, then runs
# the gateway in place of this shell (so it receives the platform's SIGTERM directly).
#
# Usage: entrypoint.sh                 write the config, then exec the gateway
#        entrypoint.sh --check-config  write the config and exit 0 (a dry run for tests)
#
# Environment:
#   POOL_API_KEY        required. The pool's bearer key, written as channels.convos.poolApiKey
#                       and gateway.auth.token. Without it the Convos endpoints accept any
#                       caller, so the instance refuses to start.
#   XMTP_ENV            required: dev or production. The pool's XMTP network.
#   PORT                port the gateway listens on (default 8080).
#   OPENCLAW_STATE_DIR  where the config lives (default $HOME/.openclaw); put it on a
#                       volume if claimed instances must survive a restart.
#   OPENCLAW_BIN        the gateway command (default: openclaw).
#
# The config is merged into an existing one rather than replaced: a claim saves the
# instance's XMTP identity and conversation there, and a restart must not forget them.
set -euo pipefail

fail() {
  printf 'entrypoint: %s\n' "$*" >&2
  exit 1
}

check_only=false
case "${1:-}" in
  "") ;;
  --check-config) check_only=true ;;
  *) fail "unknown argument '$1' (expected nothing or --check-config)" ;;
esac

[ -n "${POOL_API_KEY:-}" ] ||
  fail "POOL_API_KEY is not set. Refusing to start: an instance without it accepts every caller on /convos/*."
case "$POOL_API_KEY" in
  *[[:space:]]*) fail "POOL_API_KEY contains whitespace; callers compare 'Bearer <key>' exactly, so it could never match." ;;
esac

case "${XMTP_ENV:-}" in
  dev | production) ;;
  *) fail "XMTP_ENV must be 'dev' or 'production' (got '${XMTP_ENV:-}')." ;;
esac

PORT="${PORT:-8080}"
case "$PORT" in
  "" | *[!0-9]*) fail "PORT must be a number (got '$PORT')." ;;
esac
PORT=$((10#$PORT))
if [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
  fail "PORT must be between 1 and 65535 (got '$PORT')."
fi

export OPENCLAW_STATE_DIR="${OPENCLAW_STATE_DIR:-$HOME/.openclaw}"
config="$OPENCLAW_STATE_DIR/openclaw.json"
mkdir -p "$OPENCLAW_STATE_DIR/workspace"

if [ -s "$config" ]; then
  jq -e 'type == "object"' "$config" >/dev/null 2>&1 ||
    fail "$config exists but is not a JSON object; leaving it for the operator (it may hold a claimed instance's identity)."
fi

# jq reads the key from its environment ($ENV), so the secret is never on a command line
# (visible in /proc) nor pasted into shell-built JSON. The file holds the key: owner-only.
umask 077
tmp="$(mktemp "$OPENCLAW_STATE_DIR/.openclaw.json.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
{ if [ -s "$config" ]; then cat "$config"; else echo '{}'; fi; } | jq --arg xmtpEnv "$XMTP_ENV" --argjson port "$PORT" '
  . * {
    channels: { convos: { enabled: true, env: $xmtpEnv, poolApiKey: $ENV.POOL_API_KEY } },
    gateway: {
      mode: "local",
      port: $port,
      bind: "lan",
      auth: { mode: "token", token: $ENV.POOL_API_KEY },
      # A claim writes the config; with hot reload on, that write would restart the
      # Convos channel and drop the fresh binding for a moment.
      reload: { mode: "off" }
    }
  }' >"$tmp"
mv "$tmp" "$config"
trap - EXIT

printf 'entrypoint: wrote %s (XMTP_ENV=%s, port %s, config reload off)\n' "$config" "$XMTP_ENV" "$PORT"
if [ "$check_only" = true ]; then
  exit 0
fi

exec "${OPENCLAW_BIN:-openclaw}" gateway run --port "$PORT"
