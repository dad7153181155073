#!/usr/bin/env bash
# Installs what `make dist` needs, when missing: the desktop build's
# packages and the Wails CLI (scripts/deps-desktop.sh), dpkg-dev
# (dpkg-shlibdeps works out the .deb's Depends), ImageMagick (icon sizes),
# file and binutils (checks on the Windows build), curl (the install test),
# mingw-w64 (cgo for SQLite in the Windows build), NSIS (the Windows
# installer) and the pinned nfpm (builds the .deb).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/deps-desktop.sh
./scripts/apt-ensure.sh dpkg-dev imagemagick desktop-file-utils gcc-mingw-w64-x86-64 nsis file binutils curl

NFPM_VERSION=v2.45.2
gobin="$(go env GOPATH)/bin"
if [ "$(go version -m "$gobin/nfpm" 2>/dev/null | awk '$1 == "mod" { print $3 }')" != "$NFPM_VERSION" ]; then
  echo "installing nfpm $NFPM_VERSION"
  go install "github.com/goreleaser/nfpm/v2/cmd/nfpm@$NFPM_VERSION"
fi
