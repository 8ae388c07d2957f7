#!/usr/bin/env bash
# Shared settings of the infra scripts: where tools are cached, where data lives, which ports.
# Sourced, never run. Every value can be overridden from the environment.
#
# Two profiles keep development and tests apart, each with its own broker, PostgreSQL cluster,
# FerretDB and data folder (README, "Development and test stacks"):
#   CONCIERGE_PROFILE=dev  (npm start, npm run import)  .data/dev   Kafka 9092, FerretDB 27017, PostgreSQL 55432
#   CONCIERGE_PROFILE=test (npm test, npm run bench)    .data/test  Kafka 9192, FerretDB 27027, PostgreSQL 55442
set -euo pipefail

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT_DIR="$(cd "$INFRA_DIR/.." && pwd)"
CACHE_DIR="${CONCIERGE_CACHE_DIR:-$ROOT_DIR/.cache}"
PROFILE="${CONCIERGE_PROFILE:-dev}"
case "$PROFILE" in
  dev) port_base=0 ;;
  test) port_base=10 ;;
  *) printf '[infra] CONCIERGE_PROFILE must be dev or test, not %s\n' "$PROFILE" >&2; exit 1 ;;
esac
DATA_DIR="${CONCIERGE_DATA_DIR:-$ROOT_DIR/.data/$PROFILE}"
RUN_DIR="$DATA_DIR/run"

FERRETDB_VERSION="v1.24.2"
FERRETDB_BIN="$CACHE_DIR/bin/ferretdb"
MONGO_HOST="${MONGO_HOST:-127.0.0.1}"
MONGO_PORT="${MONGO_PORT:-$((27017 + port_base))}"

PG_MAJOR=15
PG_HOST=127.0.0.1
PG_PORT="${PG_PORT:-$((55432 + port_base))}"
PG_DATA="$DATA_DIR/postgres"
PG_SOCKET_DIR="$DATA_DIR/postgres-run"
# FerretDB keeps every MongoDB database as a schema of this one PostgreSQL database.
PG_DATABASE=ferretdb

KAFKA_LIBS="$CACHE_DIR/kafka/libs"
KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-$((9092 + port_base * 10))}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((9093 + port_base * 10))}"
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

# pg_bin NAME: the path of a PostgreSQL server program (initdb, pg_ctl, postgres, psql).
pg_bin() {
  printf '%s/%s' "/usr/lib/postgresql/$PG_MAJOR/bin" "$1"
}

# as_pg CMD...: runs a PostgreSQL program as the owner of the cluster. initdb and the server refuse
# to run as root, so root runs them as the `postgres` user that Debian's package creates.
as_pg() {
  if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
