#!/usr/bin/env bash
# Shared by start.sh and test.sh: install what is missing, start the infrastructure, build.
set -euo pipefail
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT_DIR"

# Nothing may call home (README, "Telemetry").
export TURBO_TELEMETRY_DISABLED=1 APOLLO_TELEMETRY_DISABLED=true FERRETDB_TELEMETRY=disable DO_NOT_TRACK=1
export NODE_ENV="${NODE_ENV:-development}"
# dev (npm start, npm run import) or test (npm test): each has its own broker, database and data
# folder (infra/lib.sh), so a test run leaves nothing behind for the development stack to read.
export CONCIERGE_PROFILE="${CONCIERGE_PROFILE:-dev}"
DATA_DIR="${CONCIERGE_DATA_DIR:-$ROOT_DIR/.data/$CONCIERGE_PROFILE}"
if [[ "$CONCIERGE_PROFILE" == test ]]; then
  # Where the tests and benchmarks find the test stack's database and broker (infra/lib.sh).
  export TEST_MONGO_URL="${TEST_MONGO_URL:-mongodb://127.0.0.1:27027}" KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:9192}"
fi

step() { printf '\n== %s\n' "$*" >&2; }

ensure_dependencies() {
  if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    step "installing npm dependencies"
    npm ci --no-audit --no-fund
  fi
}

# The gateway signs the principal it forwards with this secret; subgraphs verify it. Development
# and tests make one per run unless it is set.
ensure_signing_secret() {
  if [[ -z "${GATEWAY_SIGNING_SECRET:-}" ]]; then
    GATEWAY_SIGNING_SECRET="$(node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))')"
    export GATEWAY_SIGNING_SECRET
  fi
  # Called from here so that start.sh and test.sh make both per-run secrets.
  ensure_seal_key
}

# The users service (and its import command) seals set-password tokens with this key (32 bytes,
# base64url) and the notifications service opens them. Unless it is set, development keeps one in
# .data/dev/secrets/seal-key, so that the stack and a command run beside it share it.
ensure_seal_key() {
  if [[ -z "${CONCIERGE_SEAL_KEY:-}" ]]; then
    local file="$DATA_DIR/secrets/seal-key"
    if [[ ! -s "$file" ]]; then
      mkdir -p "$(dirname "$file")"
      (umask 077 && node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))' >"$file")
    fi
    CONCIERGE_SEAL_KEY="$(cat "$file")"
    export CONCIERGE_SEAL_KEY
  fi
}
