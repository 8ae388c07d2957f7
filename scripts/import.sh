#!/usr/bin/env bash
# npm run import -- FILE [--source NAME] [--dry-run] [--report FILE]
# Imports users into the running stack's users database (see README, "Importing users").
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ensure_dependencies
ensure_seal_key
npx turbo run build --filter=@concierge/users... --output-logs=errors-only >&2
exec node services/users/dist/cli/import.js "$@"
