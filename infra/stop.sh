#!/usr/bin/env bash
# Stops the Kafka, FerretDB and PostgreSQL processes that infra/start.sh started, and only those.
# Usage: infra/stop.sh [kafka|ferretdb|postgres]...   (CONCIERGE_PROFILE picks dev or test)
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

stop_postgres() {
  if [[ -f "$PG_DATA/postmaster.pid" ]]; then
    log "stopping PostgreSQL"
    as_pg "$(pg_bin pg_ctl)" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1 || true
  fi
}

if [[ $# -eq 0 ]]; then set -- kafka ferretdb postgres; fi
for name in "$@"; do
  if [[ "$name" == postgres ]]; then stop_postgres; else stop_one "$name"; fi
done
