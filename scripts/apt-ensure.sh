#!/usr/bin/env bash
# Installs the Debian packages given as arguments when any is missing.
# apt-get update runs at most once per machine boot (stamp in /tmp).
set -euo pipefail
missing=()
for p in "$@"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
stamp=/tmp/.holdfast-apt-updated
if [ ! -f "$stamp" ]; then
  $SUDO apt-get update -qq
  touch "$stamp"
fi
echo "installing: ${missing[*]}"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
