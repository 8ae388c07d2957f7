#!/usr/bin/env bash
# npm start: install what is missing, start Kafka and FerretDB, build, run the four subgraphs and
# the gateway, print the gateway URL with a sample query. Ctrl-C stops everything it started.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

ensure_dependencies
ensure_signing_secret
infra_was_up=false
if [[ -f .data/run/kafka.pid ]] && kill -0 "$(cat .data/run/kafka.pid)" 2>/dev/null; then infra_was_up=true; fi
step "starting Kafka and FerretDB"
bash infra/start.sh
step "building"
npm run --silent build

mkdir -p .data/logs
pids=()
cleanup() {
  trap - INT TERM EXIT
  step "stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait "${pids[@]}" 2>/dev/null || true
  if [[ "$infra_was_up" == false ]]; then bash infra/stop.sh; fi
}
trap cleanup INT TERM EXIT

run() { # run NAME ENTRY: a process whose JSON log goes to the terminal and to .data/logs/NAME.log
  node "$2" > >(tee -a ".data/logs/$1.log") 2>&1 &
  pids+=($!)
}

wait_ready() { # wait_ready NAME URL
  for _ in $(seq 1 120); do
    if curl -fs "$2" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  echo "$1 did not become ready; see .data/logs/$1.log" >&2
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
token="$(node services/users/dist/cli/token.js --user bootstrap-admin --role admin)"
cat >&2 <<MSG

Concierge is running. Gateway: $url

An administrator's access token (valid 15 minutes; make another with
'npm run --silent token -w @concierge/users -- --user bootstrap-admin --role admin'):
  export TOKEN=$token

Create a user, then read it with its notifications across two subgraphs:
  curl -s $url -H "authorization: Bearer \$TOKEN" -H 'content-type: application/json' \\
    -d '{"query":"mutation { createUser(input: {email: \"ada@example.org\", displayName: \"Ada Lovelace\"}) { id } }"}'
  curl -s $url -H "authorization: Bearer \$TOKEN" -H 'content-type: application/json' \\
    -d '{"query":"{ user(id: \"<id from above>\") { id email notifications { kind title } } }"}'

Press Ctrl-C to stop.
MSG
wait
