#!/usr/bin/env bash
# Install test (part of `make test`): installs dist/holdfast_*.deb with
# apt-get as a user would, checks what it put on the system, starts the
# installed app the way a double-click does (the Exec line of the
# installed .desktop file) under Xvfb with a fresh $HOME (a first run) and
# runs the desktop smoke checks against it (scripts/desktopsmoke), checks
# that `holdfast serve` from the installed binary works without a
# display, then removes the package. Needs root (CI runs as root) or
# sudo. Expects `make dist`. Logs and screenshots go to artifacts/install/.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
VERSION=$(scripts/version.sh)
DEBVER=$(scripts/version.sh --deb)
deb="dist/holdfast_${DEBVER}_amd64.deb"
if [ ! -f "$deb" ]; then
  echo "test-install: $deb is not built (run make dist)" >&2
  exit 1
fi
art=artifacts/install
rm -rf "$art"
mkdir -p "$art" bin

passed=0
failed=0
check() { # check NAME COMMAND...: one line per check, like desktopsmoke
  local name=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    passed=$((passed + 1))
    echo "ok   $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name: ${out:-exit status $?}"
  fi
}

# The package is system-wide: one install test at a time on a machine.
exec 9>/tmp/holdfast-install-test.lock
flock 9
if dpkg-query -W -f='${Status}' holdfast 2>/dev/null | grep -q "install ok installed"; then
  echo "test-install: a holdfast package is already installed here; remove it first (apt-get remove holdfast)" >&2
  exit 1
fi

tmp=$(mktemp -d)
cleanup() {
  if dpkg-query -W -f='${Status}' holdfast 2>/dev/null | grep -q "install ok"; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 remove --purge -y -qq holdfast >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# apt-get reads local packages as the _apt user: give it a copy it can read.
chmod 0755 "$tmp"
install -m 0644 "$deb" "$tmp/"
echo "installing $deb ($(du -h "$deb" | cut -f1)) with apt-get"
start=$(date +%s%N)
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
  "$tmp/$(basename "$deb")" >"$art/apt-install.log" 2>&1 || {
  cat "$art/apt-install.log" >&2
  exit 1
}
echo "     installed in $(( ($(date +%s%N) - start) / 1000000 )) ms"

# --- what the package put on the system -------------------------------------
check "package installed at version $DEBVER" \
  test "$(dpkg-query -W -f='${Version}' holdfast)" = "$DEBVER"
depends=$(dpkg-query -W -f='${Depends}' holdfast)
echo "     Depends: $depends"
check "Depends on GTK 3 and WebKitGTK 4.1" \
  bash -c 'grep -Eq "(^|, )libgtk-3-0( |,|$)" <<<"$1" && grep -Eq "(^|, )libwebkit2gtk-4.1-0( |,|$)" <<<"$1"' _ "$depends"
check "holdfast on PATH is /usr/bin/holdfast" test "$(command -v holdfast)" = /usr/bin/holdfast
check "holdfast --version prints $VERSION" test "$(/usr/bin/holdfast --version)" = "holdfast $VERSION"
check "every shared library resolves (ldd)" bash -c '! ldd /usr/bin/holdfast | grep "not found"'
check "desktop-file-validate accepts the installed entry" \
  bash -c 'out=$(desktop-file-validate /usr/share/applications/holdfast.desktop 2>&1) && [ -z "$out" ] || { echo "$out"; false; }'
icons_ok() {
  local s got
  for s in 16 24 32 48 64 128 256 512; do
    got=$(identify -format '%wx%h' "/usr/share/icons/hicolor/${s}x${s}/apps/holdfast.png") || return 1
    [ "$got" = "${s}x${s}" ] || { echo "${s}x${s} icon is $got"; return 1; }
  done
}
check "hicolor icons 16-512 px, each its size" icons_ok
check "copyright file" test -s /usr/share/doc/holdfast/copyright
check "changelog names this version" \
  test "$(zcat /usr/share/doc/holdfast/changelog.gz | dpkg-parsechangelog -l- -S Version)" = "$DEBVER"

# --- the installed app, launched like a double-click, first run ------------
go build -tags sqlite_fts5 -o bin/desktopsmoke ./scripts/desktopsmoke
echo "desktop smoke test of the installed app (Exec line of /usr/share/applications/holdfast.desktop)"
if dbus-run-session -- xvfb-run -a -s "-screen 0 1280x860x24" \
  bin/desktopsmoke -desktop-entry /usr/share/applications/holdfast.desktop -user-home -big-chat=false \
  -artifacts "$art" | tee "$art/desktopsmoke.txt"; then
  passed=$((passed + 1))
  echo "ok   desktop smoke checks of the installed app"
else
  failed=$((failed + 1))
  echo "FAIL desktop smoke checks of the installed app (see $art/)"
fi

# --- holdfast serve from the installed binary, no display -------------------
serve_check() {
  local home=$tmp/serve-home
  mkdir -p "$home"
  env -u DISPLAY -u WAYLAND_DISPLAY -u HOLDFAST_HOME -u XDG_CONFIG_HOME HOME="$home" HOLDFAST_DEMO_TPS=2000 \
    /usr/bin/holdfast serve --addr 127.0.0.1:0 >"$art/serve.log" 2>&1 &
  local serve_pid=$!
  trap 'kill "$serve_pid" 2>/dev/null || true' RETURN
  local url="" i
  for i in $(seq 1 300); do
    url=$(sed -n 's/.* is serving \(http[^ ]*\)$/\1/p' "$art/serve.log")
    [ -n "$url" ] && break
    kill -0 "$serve_pid" 2>/dev/null || { echo "serve exited:"; cat "$art/serve.log"; return 1; }
    sleep 0.1
  done
  [ -n "$url" ] || { echo "serve printed no URL"; cat "$art/serve.log"; return 1; }
  local base=${url%%/#token=*} token=${url##*#token=}
  local auth=(-H "Authorization: Bearer $token")
  curl -fsS "${auth[@]}" "$base/api/health" | grep -q "\"version\":\"$VERSION\"" || { echo "health does not report $VERSION"; return 1; }
  curl -fsS "$base/" | grep -qi "<!doctype html" || { echo "the web UI is not served at /"; return 1; }
  [ -f "$home/.config/holdfast/holdfast.db" ] || { echo "no database in \$HOME/.config/holdfast"; return 1; }
  local sess msg status=""
  sess=$(curl -fsS "${auth[@]}" -H 'Content-Type: application/json' -d '{"title":"install test"}' "$base/api/sessions" |
    grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
  curl -fsS "${auth[@]}" -H 'Content-Type: application/json' -d '{"content":"hello from the install test","client_id":"install-1"}' \
    "$base/api/sessions/$sess/messages" >/dev/null
  for i in $(seq 1 300); do
    msg=$(curl -fsS "${auth[@]}" "$base/api/sessions/$sess/messages")
    if grep -q '"role":"assistant"' <<<"$msg" && ! grep -q '"status":"streaming"' <<<"$msg"; then
      status=$(grep -o '"status":"[a-z]*"' <<<"$msg" | tail -1)
      break
    fi
    sleep 0.1
  done
  [ "$status" = '"status":"complete"' ] || { echo "the demo answer did not complete ($status)"; return 1; }
  kill -TERM "$serve_pid"
  wait "$serve_pid" || { echo "serve exited with status $? on SIGTERM"; return 1; }
}
check "holdfast serve without a display: health, web UI, a demo answer, clean exit" serve_check

# --- the .tar.gz: its install.sh into a private prefix ----------------------
tarball_check() {
  local tgz="dist/holdfast-$VERSION-linux-amd64.tar.gz" dir=$tmp/tarball prefix=$tmp/tarball/prefix
  mkdir -p "$dir"
  tar -C "$dir" -xzf "$tgz"
  "$dir/holdfast-$VERSION-linux-amd64/install.sh" --prefix "$prefix" >/dev/null
  test "$("$prefix/bin/holdfast" --version)" = "holdfast $VERSION" || { echo "wrong version"; return 1; }
  grep -qx "Exec=$prefix/bin/holdfast" "$prefix/share/applications/holdfast.desktop" || { echo "Exec not rewritten"; return 1; }
  local out
  out=$(desktop-file-validate "$prefix/share/applications/holdfast.desktop" 2>&1) && [ -z "$out" ] || { echo "$out"; return 1; }
  cmp -s "$prefix/bin/holdfast" /usr/bin/holdfast || { echo "not the .deb's binary"; return 1; }
  "$dir/holdfast-$VERSION-linux-amd64/install.sh" --prefix "$prefix" --uninstall >/dev/null
  ! [ -e "$prefix/bin/holdfast" ] || { echo "--uninstall left the binary"; return 1; }
}
check ".tar.gz: install.sh installs the same binary and a valid menu entry, --uninstall removes it" tarball_check

# --- removal -------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 remove --purge -y -qq holdfast >"$art/apt-remove.log" 2>&1
check "apt-get remove takes the binary, menu entry and icons away" bash -c \
  '! [ -e /usr/bin/holdfast ] && ! [ -e /usr/share/applications/holdfast.desktop ] && ! [ -e /usr/share/icons/hicolor/48x48/apps/holdfast.png ]'

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
