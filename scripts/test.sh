#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set-up, type check, unit tests
# (no root needed), integration tests (real containers, as root), and a check
# that the tests left no container, mount, cgroup or process behind.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== type check"
npx tsc --noEmit -p tsconfig.json
echo "== unit and integration tests"
status=0
npx vitest run "$@" || status=$?
echo "== leftovers"
scripts/check-leftovers.sh || status=1
exit $status
