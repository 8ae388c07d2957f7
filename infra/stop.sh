#!/usr/bin/env bash
# Stops the FerretDB and Kafka processes that infra/start.sh started (by pid file), and only those.
# Usage: infra/stop.sh [kafka|ferretdb]...
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stop_one() {
  local name="$1" file="$RUN_DIR/$1.pid"
  [[ -f "$file" ]] || return 0
  local pid
  pid="$(cat "$file")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 300); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop within 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

if [[ $# -eq 0 ]]; then set -- kafka ferretdb; fi
for name in "$@"; do stop_one "$name"; done
