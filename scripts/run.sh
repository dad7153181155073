#!/usr/bin/env bash
# `make run`: opens the desktop window when there is a display; without
# one, runs `holdfast serve` (the same backend, the UI in a browser).
# Expects the front end built (make frontend) and bin/holdfast (make build).
set -euo pipefail
cd "$(dirname "$0")/.."

has_display() {
  case "$(uname -s)" in
    Darwin | MINGW* | MSYS* | CYGWIN*) return 0 ;;
  esac
  [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]
}

if has_display; then
  if [ "$(uname -s)" = Linux ]; then
    ./scripts/deps-desktop.sh
  fi
  echo "building the desktop app (bin/holdfast-desktop)"
  go build -tags desktop,production,webkit2_41,sqlite_fts5 -ldflags "-s -w -X main.version=$(./scripts/version.sh)" -o bin/holdfast-desktop .
  exec ./bin/holdfast-desktop
fi

echo "No display (\$DISPLAY and \$WAYLAND_DISPLAY are unset): running 'holdfast serve' instead."
echo "Open the address it prints in a browser."
exec ./bin/holdfast serve
