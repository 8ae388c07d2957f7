#!/usr/bin/env bash
# Shared settings of the infra scripts: where tools are cached, where data lives, which ports.
# Sourced, never run. Every value can be overridden from the environment.
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd "$INFRA_DIR/.." && pwd)"
CACHE_DIR="${CONCIERGE_CACHE_DIR:-$ROOT_DIR/.cache}"
DATA_DIR="${CONCIERGE_DATA_DIR:-$ROOT_DIR/.data}"
RUN_DIR="$DATA_DIR/run"

FERRETDB_VERSION="v1.24.2"
FERRETDB_BIN="$CACHE_DIR/bin/ferretdb"
MONGO_HOST="${MONGO_HOST:-127.0.0.1}"
MONGO_PORT="${MONGO_PORT:-27017}"

KAFKA_LIBS="$CACHE_DIR/kafka/libs"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"

# Nothing may call home (see the README, "Telemetry").
export FERRETDB_TELEMETRY=disable DO_NOT_TRACK=1 TURBO_TELEMETRY_DISABLED=1 APOLLO_TELEMETRY_DISABLED=true

log() { printf '[infra] %s\n' "$*" >&2; }

# pid_alive NAME: true when the pid file of NAME names a live process.
pid_alive() {
  local file="$RUN_DIR/$1.pid"
  [[ -f "$file" ]] && kill -0 "$(cat "$file")" 2>/dev/null
}

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}
