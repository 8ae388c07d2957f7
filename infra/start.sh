#!/usr/bin/env bash
# Starts FerretDB and the Kafka broker in the background and waits until both answer.
# A no-op for whatever is already up. Stop them with infra/stop.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$INFRA_DIR/install.sh"
mkdir -p "$RUN_DIR" "$DATA_DIR/logs"

start_ferretdb() {
  if pid_alive ferretdb; then return; fi
  if port_open "$MONGO_HOST" "$MONGO_PORT"; then
    log "something already listens on $MONGO_HOST:$MONGO_PORT; using it as the database"
    return
  fi
  mkdir -p "$DATA_DIR/ferretdb/sqlite" "$DATA_DIR/ferretdb/state"
  log "starting FerretDB on $MONGO_HOST:$MONGO_PORT"
  setsid "$FERRETDB_BIN" \
    --handler=sqlite --sqlite-url="file:$DATA_DIR/ferretdb/sqlite/" \
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
node "$INFRA_DIR/wait.mjs"
