#!/usr/bin/env bash
# Starts one pool instance: writes the OpenClaw config from the environment, then runs
# the gateway in place of this shell (so it receives the platform's SIGTERM directly).
#
# Usage: entrypoint.sh                 write the config, then exec the gateway
#        entrypoint.sh --check-config  write the config and exit 0 (a dry run for tests)
#
# Environment:
#   INSTANCE_TOKEN      required. This instance's own credential: 64 lowercase hex characters
#                       (256 bits) that the pool derives for this instance alone. It is never
#                       the pool's API key, and it opens no other instance. The pool sends
#                       "Authorization: Bearer <INSTANCE_TOKEN>" on every call to the
#                       instance; it is written as gateway.auth.token and as
#                       channels.convos.poolApiKey (the key name the OpenClaw side reads; the
#                       value is the instance's token now). Without it the Convos endpoints
#                       accept any caller, so the instance refuses to start.
#                       The instance must never send the token anywhere: it serves only as its
#                       own bearer check, with one exception, asking the pool to remove the
#                       instance: POST <pool>/api/pool/self-destruct with the JSON body
#                       {"instanceId": "<INSTANCE_ID>", "instanceToken": "<INSTANCE_TOKEN>"}.
#   INSTANCE_ID         optional. The pool's id of this instance (e.g. 12 lowercase letters
#                       and digits), the instanceId of a self-destruct request. Not secret.
#                       Older pools do not set it; when set it is passed to the gateway
#                       process unchanged.
#   XMTP_ENV            required: dev or production. The pool's XMTP network.
#   PORT                port the gateway listens on (default 8080).
#   OPENCLAW_STATE_DIR  where the config lives (default $HOME/.openclaw); put it on a
#                       volume if claimed instances must survive a restart.
#   OPENCLAW_BIN        the gateway command (default: openclaw).
#
# The pool's own API key must never reach an instance. Should an older pool or a
# misconfiguration still set it, it is ignored: the entrypoint warns (without printing
# it) and unsets it before any check or command runs, so neither the config nor the gateway
# process ever sees it.
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

# The pool key's variable, named in two parts so that a search for the name finds no place
# that reads it: this check only warns and removes it, before any other command runs.
pool_key_var="POOL_API""_KEY"
if [ -n "${!pool_key_var+set}" ]; then
  printf 'entrypoint: warning: %s is set; the pool key must never reach an instance. Ignoring it (not written to the config, unset for the gateway); the instance authenticates with INSTANCE_TOKEN.\n' "$pool_key_var" >&2
  unset "$pool_key_var"
fi

[ -n "${INSTANCE_TOKEN:-}" ] ||
  fail "INSTANCE_TOKEN is not set. Refusing to start: an instance without it accepts every caller on /convos/*."
case "$INSTANCE_TOKEN" in
  *[[:space:]]*) fail "INSTANCE_TOKEN contains whitespace; callers compare 'Bearer <token>' exactly, so it could never match." ;;
esac

if [ -n "${INSTANCE_ID+set}" ]; then
  export INSTANCE_ID
fi

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

# jq reads the token from its environment ($ENV), so the secret is never on a command line
# (visible in /proc) nor pasted into shell-built JSON. The file holds the token: owner-only.
umask 077
tmp="$(mktemp "$OPENCLAW_STATE_DIR/.openclaw.json.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
{ if [ -s "$config" ]; then cat "$config"; else echo '{}'; fi; } | jq --arg xmtpEnv "$XMTP_ENV" --argjson port "$PORT" '
  # poolApiKey is the name the Convos channel reads; its value is the instance token.
  . * {
    channels: { convos: { enabled: true, env: $xmtpEnv, poolApiKey: $ENV.INSTANCE_TOKEN } },
    gateway: {
      mode: "local",
      port: $port,
      bind: "lan",
      auth: { mode: "token", token: $ENV.INSTANCE_TOKEN },
      # A claim writes the config; with hot reload on, that write would restart the
      # Convos channel and drop the fresh binding for a moment.
      reload: { mode: "off" }
    }
  }' >"$tmp"
mv "$tmp" "$config"
trap - EXIT

printf 'entrypoint: wrote %s (instance %s, XMTP_ENV=%s, port %s, config reload off)\n' \
  "$config" "${INSTANCE_ID:-id not set}" "$XMTP_ENV" "$PORT"
if [ "$check_only" = true ]; then
  exit 0
fi

exec "${OPENCLAW_BIN:-openclaw}" gateway run --port "$PORT"
