#!/usr/bin/env bash
# npm run token|rotate-signing-key -- ARGS
# Runs a users-service command against the running stack's users database, with its seal key.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
command="$1"
shift
ensure_dependencies >&2
ensure_seal_key
npx turbo run build --filter=@concierge/users... --output-logs=errors-only >&2
exec node "services/users/dist/cli/$command.js" "$@"
