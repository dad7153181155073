#!/usr/bin/env bash
# Front-end dependencies: npm packages (npm ci, when node_modules is missing
# or older than the lockfile) and, for the browser tests, Debian chromium
# plus CJK fonts for the Chinese screenshots. Browsers are never downloaded
# by npm: playwright-core drives the system chromium.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

# openssl: the browser tests make a throwaway certificate for their "remote" HTTPS host.
# sqlite3: a browser test holds the database's write lock from a second program.
./scripts/apt-ensure.sh chromium fonts-noto-cjk openssl sqlite3

# Debian's own nodejs is too old for Vite 8, so Node is not installed here.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "deps-frontend: node and npm are required (Node 20.19 or newer)" >&2
  exit 1
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "deps-frontend: Node $(node -v) is too old; the front end needs Node 20.19 or newer" >&2
  exit 1
fi

cd frontend
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: belt and braces; playwright-core downloads nothing itself.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
fi
