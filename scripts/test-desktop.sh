#!/usr/bin/env bash
# Desktop tests: the app layer's Go tests, then a smoke test that builds
# the real desktop binary with the release tags and drives it in a real
# window under Xvfb (scripts/desktopsmoke): the page connects to the
# in-process server and streams a demo answer, Restart Backend mid-answer
# loses nothing, a click on a link in model output goes to the system browser
# and leaves the window on the app, a second launch hands over to the first
# window, Quit exits 0 with nothing left streaming. Screenshots, logs and
# measurements go to artifacts/. Expects `make frontend` first.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f frontend/dist/index.html ]; then
  echo "test-desktop: frontend/dist is not built (run make frontend)" >&2
  exit 1
fi
echo "app layer: vet and unit tests (fake window, real backend)"
go vet -tags sqlite_fts5 ./app/... ./scripts/desktopsmoke
go test -tags sqlite_fts5 -race -count=1 ./app/...

mkdir -p bin artifacts
# Same flags as scripts/dist.sh (-trimpath), so make dist reuses the build cache.
echo "building the desktop binary (tags desktop,production,webkit2_41,sqlite_fts5)"
go build -trimpath -tags desktop,production,webkit2_41,sqlite_fts5 -ldflags "-s -w -X main.version=$(./scripts/version.sh)" -o bin/holdfast-desktop .
go build -tags sqlite_fts5 -o bin/desktopsmoke ./scripts/desktopsmoke

# A private session bus (single-instance lock) and display for the run.
dbus-run-session -- xvfb-run -a -s "-screen 0 1280x860x24" \
  bin/desktopsmoke -bin bin/holdfast-desktop -artifacts artifacts -readme-shot docs/desktop.png
