#!/usr/bin/env bash
# End-to-end tests: real `holdfast serve` processes (started and stopped by
# the tests, on free loopback ports with temporary data folders) driven
# through Debian chromium. Needs bin/holdfast (`make build`) and the npm
# packages (`make deps-frontend`). Exits non-zero on any failure and ends
# with "N passed, M failed".
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root/frontend"

if [ ! -x "${HOLDFAST_BIN:-$root/bin/holdfast}" ]; then
  echo "e2e: ${HOLDFAST_BIN:-$root/bin/holdfast} is missing; run 'make build' first" >&2
  exit 2
fi
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
  echo "e2e: chromium not found; run 'make deps-frontend'" >&2
  exit 2
fi

mkdir -p test-results
files=("$here"/*.test.mjs)
if [ "$#" -gt 0 ]; then files=("$@"); fi

summary="$(mktemp)"
trap 'rm -f "$summary"' EXIT
# One file at a time: each starts its own servers and browser, and the
# machine may have only two cores.
rc=0
node --test --test-concurrency=1 --test-timeout=180000 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter="$here/summary-reporter.mjs" --test-reporter-destination="$summary" \
  "${files[@]}" || rc=$?
cat "$summary"
if [ "$rc" -eq 0 ] && ! grep -q ' passed, 0 failed$' "$summary"; then rc=1; fi
exit "$rc"
