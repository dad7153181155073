#!/usr/bin/env bash
# Installs what building and testing the desktop app needs, when missing:
# GTK 3 and WebKitGTK 4.1 headers (cgo), Xvfb and xauth (a display for
# the smoke test), ImageMagick (screenshots), a D-Bus session daemon (Wails'
# single-instance lock on Linux), desktop-file-utils (checks the .desktop
# entry), xdotool (clicks a link in the window), and the pinned Wails CLI
# (for `wails dev` and `wails build`).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/apt-ensure.sh gcc libc6-dev pkg-config libgtk-3-dev libwebkit2gtk-4.1-dev \
  xvfb xauth imagemagick dbus-daemon desktop-file-utils fonts-dejavu-core xdotool

WAILS_VERSION=v2.16.0
gobin="$(go env GOPATH)/bin"
if ! "$gobin/wails" version 2>/dev/null | grep -qx "$WAILS_VERSION"; then
  echo "installing the Wails CLI $WAILS_VERSION"
  go install "github.com/wailsapp/wails/v2/cmd/wails@$WAILS_VERSION"
fi
