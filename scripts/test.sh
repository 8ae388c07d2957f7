#!/usr/bin/env bash
# npm test: set-up as for npm start, then typecheck, lint, composition check and every test tier.
# Tests run on a stack of their own (CONCIERGE_PROFILE=test: other ports, .data/test).
export CONCIERGE_PROFILE=test
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

ensure_dependencies
ensure_signing_secret
step "starting the test stack: Kafka, PostgreSQL and FerretDB"
bash infra/start.sh
step "typecheck (strict) and build"
npm run --silent typecheck
step "lint"
npm run --silent lint
step "supergraph composition is current"
node scripts/compose.js --check
step "tests: unit, integration (real broker and database), end-to-end (through the gateway)"
npx jest --ci --runInBand "$@"
