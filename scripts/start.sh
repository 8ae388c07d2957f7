#!/usr/bin/env bash
# npm start: install what is missing, start Kafka and FerretDB, build, run the four subgraphs and
# the gateway, print the gateway URL with a sample query. Ctrl-C stops everything it started.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

ensure_dependencies
ensure_signing_secret
infra_was_up=false
if [[ -f "$DATA_DIR/run/kafka.pid" ]] && kill -0 "$(cat "$DATA_DIR/run/kafka.pid")" 2>/dev/null; then infra_was_up=true; fi
step "starting Kafka, PostgreSQL and FerretDB"
bash infra/start.sh
step "building"
npm run --silent build

LOG_DIR="$DATA_DIR/logs"
mkdir -p "$LOG_DIR"
pids=()
cleanup() {
  trap - INT TERM EXIT
  step "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  if [[ "$infra_was_up" == false ]]; then bash infra/stop.sh; fi
}
trap cleanup INT TERM EXIT

run() { # run NAME ENTRY: a process whose JSON log goes to .data/dev/logs/NAME.log, a short line per problem to the terminal
  node "$2" > >(tee -a "$LOG_DIR/$1.log" | node scripts/console-lines.js "$1") 2>&1 &
  pids+=($!)
}

wait_ready() { # wait_ready NAME URL
  for _ in $(seq 1 120); do
    if curl -fs "$2" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "$1 did not become ready; see $LOG_DIR/$1.log" >&2
  exit 1
}

step "starting the subgraphs and the gateway"
run users services/users/dist/index.js
run access-requests services/access-requests/dist/index.js
run delegation services/delegation/dist/index.js
run notifications services/notifications/dist/index.js
wait_ready users "http://127.0.0.1:${USERS_PORT:-4001}/ready"
wait_ready access-requests "http://127.0.0.1:${ACCESS_REQUESTS_PORT:-4002}/ready"
wait_ready delegation "http://127.0.0.1:${DELEGATION_PORT:-4003}/ready"
wait_ready notifications "http://127.0.0.1:${NOTIFICATIONS_PORT:-4004}/ready"
run gateway gateway/dist/index.js
wait_ready gateway "http://127.0.0.1:${GATEWAY_PORT:-4000}/ready"

url="http://127.0.0.1:${GATEWAY_PORT:-4000}/graphql"
# The development stack's first global administrator: created on the first start, found after.
admin="${CONCIERGE_DEV_ADMIN:-admin@example.org}"
# A failure here (say, the administrator was suspended) leaves the stack running and says why.
set_password="$(node services/users/dist/cli/bootstrap-admin.js --email "$admin" 2>>"$LOG_DIR/bootstrap-admin.log")" ||
  set_password=""
token="$(node services/users/dist/cli/token.js --email "$admin" 2>>"$LOG_DIR/bootstrap-admin.log")" ||
  token="(none: $(tail -n 1 "$LOG_DIR/bootstrap-admin.log"))"
if [[ -n "$set_password" ]]; then
  password_line="Their set-password token (single use; setPassword(token, password), then login): $set_password"
else
  password_line="They have a password: sign in with login(login: \"$admin\", password: ...)."
fi
cat >&2 <<MSG

Concierge is running. Gateway: $url

The administrator $admin. An access token for them (valid 15 minutes; make another with
'npm run --silent token -- --email $admin'):
  export TOKEN=$token
$password_line

$(node scripts/print-samples.js "$url")

Warnings and errors appear here in one line each; the full JSON logs are in $LOG_DIR.
Press Ctrl-C to stop.
MSG
wait
