#!/usr/bin/env bash
# npm run bench [-- PATTERN]: the benchmarks under test/bench on the test stack, figures printed.
export CONCIERGE_PROFILE=test
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ensure_dependencies
ensure_signing_secret
bash infra/start.sh
npm run --silent build
exec npx jest -c jest.bench.config.js --runInBand "$@"
