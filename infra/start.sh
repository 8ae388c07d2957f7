#!/usr/bin/env bash
# Starts PostgreSQL, FerretDB on it, and the Kafka broker in the background, and waits until the
# database and the broker answer. A no-op for whatever is already up. Stop them with infra/stop.sh.
# CONCIERGE_PROFILE (dev or test) picks the ports and the data folder (infra/lib.sh).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$INFRA_DIR/install.sh"
mkdir -p "$RUN_DIR" "$DATA_DIR/logs"

# The cluster is created once, owned by the user that runs the server, and prepared for FerretDB
# (infra/postgres/prepare.sql); the marker file says it was. Its data stays across restarts.
create_postgres_cluster() {
  log "creating the PostgreSQL cluster in $PG_DATA (first start only)"
  mkdir -p "$PG_DATA"
  chown_to_pg "$PG_DATA"
  as_pg "$(pg_bin initdb)" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >>"$DATA_DIR/logs/postgres.log" 2>&1
  cat >>"$PG_DATA/postgresql.conf" <<CONF
# Concierge development and test cluster (infra/start.sh)
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
shared_buffers = 256MB
work_mem = 16MB
max_connections = 300
# A commit returns before its WAL reaches the disk: a crash of the server loses nothing, a crash of
# the machine may lose the last few hundred milliseconds of commits. Development only.
synchronous_commit = off
CONF
  start_postgres_server
  pg_sql postgres -c "CREATE DATABASE $PG_DATABASE"
  pg_sql "$PG_DATABASE" -f "$INFRA_DIR/postgres/prepare.sql"
  touch "$PG_DATA/concierge-prepared"
}

# pg_sql DATABASE ARGS...: psql over the cluster's own socket, stopping at the first error.
pg_sql() {
  local database="$1"
  shift
  as_pg "$(pg_bin psql)" -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U postgres -d "$database" "$@" \
    >>"$DATA_DIR/logs/postgres.log" 2>&1
}

# chown_to_pg PATH: when root runs the server as `postgres`, that user must own its files and be
# able to reach them.
chown_to_pg() {
  [[ "$(id -u)" -eq 0 ]] || return 0
  chown postgres: "$1"
  if ! runuser -u postgres -- test -w "$1"; then
    log "the postgres user cannot reach $1; put the data folder where it can (CONCIERGE_DATA_DIR)"
    exit 1
  fi
}

postgres_running() {
  [[ -f "$PG_DATA/postmaster.pid" ]] && as_pg "$(pg_bin pg_ctl)" -D "$PG_DATA" status >/dev/null 2>&1
}

start_postgres_server() {
  mkdir -p "$PG_SOCKET_DIR"
  chown_to_pg "$PG_SOCKET_DIR"
  log "starting PostgreSQL on $PG_HOST:$PG_PORT"
  # -w: returns once the server accepts connections.
  as_pg "$(pg_bin pg_ctl)" -D "$PG_DATA" -l "$DATA_DIR/logs/postgres.log" -w -t 120 start >/dev/null
}

start_postgres() {
  if postgres_running; then return; fi
  touch "$DATA_DIR/logs/postgres.log"
  chown_to_pg "$DATA_DIR/logs/postgres.log"
  if [[ -f "$PG_DATA/concierge-prepared" ]]; then
    start_postgres_server
    # prepare.sql is idempotent: an existing cluster takes in what later versions added.
    pg_sql "$PG_DATABASE" -f "$INFRA_DIR/postgres/prepare.sql"
    return
  fi
  # No cluster yet, or one whose first start was interrupted: it holds no data, so make it anew.
  rm -rf "$PG_DATA"
  create_postgres_cluster
}

start_ferretdb() {
  if pid_alive ferretdb; then return; fi
  if port_open "$MONGO_HOST" "$MONGO_PORT"; then
    log "something already listens on $MONGO_HOST:$MONGO_PORT; using it as the database"
    return
  fi
  start_postgres
  mkdir -p "$DATA_DIR/ferretdb/state"
  log "starting FerretDB (PostgreSQL back end) on $MONGO_HOST:$MONGO_PORT"
  # Every open read (a cursor, each statement of a multi-statement update) holds one connection of
  # FerretDB's pool until it ends; the default of 50 is too few for four services and a test run.
  setsid "$FERRETDB_BIN" \
    --handler=pg --postgresql-url="postgres://postgres@$PG_HOST:$PG_PORT/$PG_DATABASE?pool_max_conns=200" \
    --listen-addr="$MONGO_HOST:$MONGO_PORT" --state-dir="$DATA_DIR/ferretdb/state" \
    --debug-addr=- --telemetry=disable --log-level=warn \
    >>"$DATA_DIR/logs/ferretdb.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/ferretdb.pid"
}

# A small heap and the serial collector: the whole stack shares two cores with the tests.
KAFKA_JAVA=(java -Xms128m -Xmx"$KAFKA_HEAP" -XX:+UseSerialGC
  -Dlog4j2.configurationFile="$INFRA_DIR/kafka/log4j2.properties" -cp "$KAFKA_LIBS/*")

start_kafka() {
  if pid_alive kafka; then return; fi
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    log "something already listens on $KAFKA_HOST:$KAFKA_PORT; using it as the broker"
    return
  fi
  local dir="$DATA_DIR/kafka" props="$DATA_DIR/kafka/server.properties"
  mkdir -p "$dir/logs"
  sed -e "s|@HOST@|$KAFKA_HOST|g" -e "s|@PORT@|$KAFKA_PORT|g" \
    -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" -e "s|@LOG_DIRS@|$dir/logs|g" \
    "$INFRA_DIR/kafka/server.properties.template" >"$props"
  if [[ ! -f "$dir/logs/meta.properties" ]]; then
    log "formatting Kafka storage (KRaft, single node)"
    local cluster_id
    cluster_id="$("${KAFKA_JAVA[@]}" -XX:TieredStopAtLevel=1 kafka.tools.StorageTool random-uuid 2>>"$DATA_DIR/logs/kafka.log")"
    "${KAFKA_JAVA[@]}" -XX:TieredStopAtLevel=1 kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$props" \
      >>"$DATA_DIR/logs/kafka.log" 2>&1
  fi
  log "starting Kafka on $KAFKA_HOST:$KAFKA_PORT"
  # setsid: the broker outlives the shell that started it and ignores its Ctrl-C; stop.sh ends it.
  setsid "${KAFKA_JAVA[@]}" kafka.Kafka "$props" >>"$DATA_DIR/logs/kafka.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/kafka.pid"
}

start_ferretdb
start_kafka
CONCIERGE_DATA_DIR="$DATA_DIR" MONGO_HOST="$MONGO_HOST" MONGO_PORT="$MONGO_PORT" KAFKA_HOST="$KAFKA_HOST" KAFKA_PORT="$KAFKA_PORT" \
  node "$INFRA_DIR/wait.mjs"
