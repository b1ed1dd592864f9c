#!/usr/bin/env bash
# Lint, type-check, then every test (unit, integration, e2e) against real infrastructure.
set -uo pipefail
cd "$(dirname "$0")/.."

make --no-print-directory lint || { echo "test: lint or type check failed" >&2; exit 1; }

mkdir -p test-artifacts
.venv/bin/pytest "$@"
code=$?
if [ "$code" -eq 5 ]; then
  echo "test: pytest collected no tests: the suite is broken, failing" >&2
  exit 1
fi
exit "$code"
