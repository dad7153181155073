#!/usr/bin/env bash
# `make dist`: release packages in dist/, stamped with scripts/version.sh.
#
#   holdfast_<debver>_amd64.deb              Debian/Ubuntu package (nfpm)
#   holdfast-<version>-linux-amd64.tar.gz    the same files for other distributions
#   holdfast-<version>-windows-amd64.exe     Windows build (cross-compiled: mingw-w64, wails build)
#   holdfast-<version>-windows-amd64-setup.exe  its NSIS installer
#
#   scripts/dist.sh [linux|windows|all]      (default all)
#
# Expects frontend/dist built (make frontend) and the tools from
# scripts/deps-dist.sh. SOURCE_DATE_EPOCH (default: the last commit's
# time) fixes every timestamp inside the packages.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
case "$what" in linux | windows | all) ;; *) echo "usage: $0 [linux|windows|all]" >&2; exit 2 ;; esac
if [ ! -f frontend/dist/index.html ]; then
  echo "dist: frontend/dist is not built (run make frontend)" >&2
  exit 1
fi

VERSION=$(scripts/version.sh)
DEBVER=$(scripts/version.sh --deb)
NUMERIC=$(scripts/version.sh --numeric)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
gobin="$(go env GOPATH)/bin"
LDFLAGS="-s -w -X main.version=$VERSION"
DIST=dist
STAGE=$DIST/stage
mkdir -p "$DIST"
echo "dist: Holdfast $VERSION (deb $DEBVER)"

# --- Linux: one tree, packed as .deb and .tar.gz ----------------------------
linux() {
  local root=$STAGE/linux/root
  rm -rf "$STAGE/linux"
  mkdir -p "$root/usr/bin" "$root/usr/share/applications" "$root/usr/share/doc/holdfast"

  echo "dist: building the desktop binary (tags desktop,production,webkit2_41,sqlite_fts5)"
  go build -trimpath -tags desktop,production,webkit2_41,sqlite_fts5 -ldflags "$LDFLAGS" \
    -o "$root/usr/bin/holdfast" .
  local got
  got=$("$root/usr/bin/holdfast" --version)
  if [ "$got" != "holdfast $VERSION" ]; then
    echo "dist: the binary says '$got', want 'holdfast $VERSION'" >&2
    exit 1
  fi

  install -m 0644 build/linux/holdfast.desktop "$root/usr/share/applications/holdfast.desktop"
  desktop-file-validate "$root/usr/share/applications/holdfast.desktop"

  # Icons in the hicolor sizes, drawn from the 1024 px build/appicon.png.
  local size
  for size in 16 24 32 48 64 128 256 512; do
    mkdir -p "$root/usr/share/icons/hicolor/${size}x${size}/apps"
    convert build/appicon.png -filter Lanczos -resize "${size}x${size}" -strip \
      -define png:exclude-chunks=date,time "PNG32:$root/usr/share/icons/hicolor/${size}x${size}/apps/holdfast.png"
  done

  install -m 0644 build/linux/copyright "$root/usr/share/doc/holdfast/copyright"
  changelog | gzip -9n >"$root/usr/share/doc/holdfast/changelog.gz"
  chmod 0644 "$root/usr/share/doc/holdfast/changelog.gz"

  deb "$root"
  tarball "$root"
}

# changelog prints build/linux/changelog, with an entry for this build on
# top when it is not the release the file's first entry describes.
changelog() {
  local top
  top=$(dpkg-parsechangelog -l build/linux/changelog -S Version)
  if [ "$top" != "$DEBVER" ]; then
    local commit when
    commit=$(git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)
    when=$(date -u -R -d "@$SOURCE_DATE_EPOCH")
    printf 'holdfast (%s) UNRELEASED; urgency=low\n\n  * Development build %s from commit %s.\n\n -- Holdfast contributors <holdfast@users.noreply.github.com>  %s\n\n' \
      "$DEBVER" "$VERSION" "$commit" "$when"
  fi
  cat build/linux/changelog
}

# depends asks dpkg-shlibdeps which packages provide the shared libraries
# the binary links (GTK 3, WebKitGTK 4.1, GLib, libc…), with the minimum
# versions their symbols need.
depends() {
  local bin=$1 tmp
  tmp=$(mktemp -d)
  mkdir -p "$tmp/debian"
  printf 'Source: holdfast\n\nPackage: holdfast\nArchitecture: amd64\n' >"$tmp/debian/control"
  (cd "$tmp" && dpkg-shlibdeps -O -e"$OLDPWD/$bin" 2>/dev/null) | sed -n 's/^shlibs:Depends=//p'
  rm -rf "$tmp"
}

deb() {
  local root=$1 deps out
  deps=$(depends "$root/usr/bin/holdfast")
  for want in libgtk-3-0 libwebkit2gtk-4.1-0; do
    if ! grep -Eq "(^|, )$want( |,|$)" <<<"$deps"; then
      echo "dist: dpkg-shlibdeps found no dependency on $want: $deps" >&2
      exit 1
    fi
  done
  echo "dist: Depends: $deps"
  local cfg=$STAGE/linux/nfpm.yaml
  {
    cat <<EOF
name: holdfast
arch: amd64
platform: linux
version: "$DEBVER"
version_schema: none
section: net
priority: optional
maintainer: Holdfast contributors <holdfast@users.noreply.github.com>
description: |-
  Desktop AI chat app whose answers never get lost
  Holdfast is a desktop chat app for AI models: OpenAI-compatible servers
  (OpenAI, Ollama, LM Studio, llama.cpp, vLLM, OpenRouter, DeepSeek),
  Anthropic, and a built-in offline demo model. Every message and streamed
  token is written to SQLite before it is shown, and the window's stream
  resumes exactly where it stopped after a network drop, a sleep or a
  restart. The same binary runs headless: holdfast serve, export, bench.
vendor: Holdfast contributors
license: Proprietary
depends:
EOF
    tr ',' '\n' <<<"$deps" | sed 's/^ *//; s/^/  - /'
    echo "contents:"
    (cd "$root" && find . -type f | sort) | while read -r f; do
      local mode=0644
      [ -x "$root/$f" ] && mode=0755
      printf '  - src: %s\n    dst: %s\n    file_info:\n      mode: %s\n' "$root/${f#./}" "/${f#./}" "$mode"
    done
  } >"$cfg"
  out="$DIST/holdfast_${DEBVER}_amd64.deb"
  rm -f "$DIST"/holdfast_*_amd64.deb
  "$gobin/nfpm" package --config "$cfg" --packager deb --target "$out" >/dev/null
  echo "dist: $out ($(du -h "$out" | cut -f1))"
}

tarball() {
  local root=$1 name="holdfast-$VERSION-linux-amd64"
  local top=$STAGE/linux/tar/$name
  rm -rf "$STAGE/linux/tar"
  mkdir -p "$top"
  cp -a "$root/usr/bin/holdfast" "$top/holdfast"
  cp -a "$root/usr/share/applications/holdfast.desktop" "$top/"
  cp -a "$root/usr/share/icons" "$top/icons"
  cp -a "$root/usr/share/doc/holdfast/copyright" "$top/COPYRIGHT"
  install -m 0755 build/linux/install.sh "$top/install.sh"
  rm -f "$DIST"/holdfast-*-linux-amd64.tar.gz
  tar -C "$STAGE/linux/tar" --sort=name --owner=0 --group=0 --numeric-owner \
    --mtime="@$SOURCE_DATE_EPOCH" -cf - "$name" | gzip -9n >"$DIST/$name.tar.gz"
  echo "dist: $DIST/$name.tar.gz ($(du -h "$DIST/$name.tar.gz" | cut -f1))"
}

# --- Windows: wails build, cross-compiled with mingw-w64 ---------------------
# wails build takes the version in the .exe's resources and the installer
# from wails.json, so it runs on a copy of the project whose wails.json
# carries this version (the checkout itself is never modified).
windows() {
  local src=$STAGE/windows/src name="holdfast-$VERSION-windows-amd64"
  rm -rf "$STAGE/windows"
  mkdir -p "$src"
  tar -C . --exclude=./.git --exclude=./dist --exclude=./bin --exclude=./artifacts \
    --exclude=./build/bin --exclude=node_modules -cf - . | tar -xf - -C "$src"
  # Windows wants a numeric a.b.c version in its resources; the full
  # version goes into the version strings.
  sed -i "s/\"productVersion\": *\"[^\"]*\"/\"productVersion\": \"$NUMERIC\"/" "$src/wails.json"
  sed -i "s/\"ProductVersion\": *\"[^\"]*\"/\"ProductVersion\": \"$VERSION\"/" "$src/build/windows/info.json"
  grep -q "\"productVersion\": \"$NUMERIC\"" "$src/wails.json"
  grep -q "\"ProductVersion\": \"$VERSION\"" "$src/build/windows/info.json"
  echo "dist: cross-compiling for windows/amd64 (wails build, mingw-w64)"
  (cd "$src" && CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc CXX=x86_64-w64-mingw32-g++ \
    "$gobin/wails" build -platform windows/amd64 -m -s -skipbindings -trimpath -nsis \
    -ldflags "-X main.version=$VERSION" -o holdfast.exe) >"$STAGE/windows/wails-build.log" 2>&1 || {
    cat "$STAGE/windows/wails-build.log" >&2
    exit 1
  }
  # What can be checked without Windows: a GUI PE32+ binary that needs no
  # DLL beyond Windows' own (no mingw runtime to ship), stamped with
  # this version in its resources and its code.
  local exe=$src/build/bin/holdfast.exe dlls
  file "$exe" | grep -q 'PE32+ executable (GUI) x86-64' || { file "$exe" >&2; exit 1; }
  dlls=$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/.*DLL Name: //p' | sort -u | tr '\n' ' ')
  if grep -Eiq 'libgcc|libwinpthread|libstdc|sqlite' <<<"$dlls"; then
    echo "dist: holdfast.exe needs DLLs that Windows does not have: $dlls" >&2
    exit 1
  fi
  strings -el "$exe" | grep -qx "$VERSION" || { echo "dist: holdfast.exe has no version resource $VERSION" >&2; exit 1; }
  grep -aq "$VERSION" "$exe" || { echo "dist: holdfast.exe is not stamped with $VERSION" >&2; exit 1; }
  echo "dist: holdfast.exe imports only $dlls"
  rm -f "$DIST"/holdfast-*-windows-amd64*.exe
  cp "$exe" "$DIST/$name.exe"
  file "$src/build/bin/Holdfast-amd64-installer.exe" | grep -q 'Nullsoft Installer' || { echo "dist: the installer is not an NSIS installer" >&2; exit 1; }
  cp "$src/build/bin/Holdfast-amd64-installer.exe" "$DIST/$name-setup.exe"
  echo "dist: $DIST/$name.exe ($(du -h "$DIST/$name.exe" | cut -f1))"
  echo "dist: $DIST/$name-setup.exe ($(du -h "$DIST/$name-setup.exe" | cut -f1))"
}

case "$what" in
  linux) linux ;;
  windows) windows ;;
  all) linux; windows ;;
esac
