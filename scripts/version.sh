#!/usr/bin/env bash
# Prints Holdfast's version, the one string stamped into every binary
# (-ldflags "-X main.version=…"):
#
#   $HOLDFAST_VERSION when set (a leading "v" is dropped), else
#   the latest v* tag, from git describe: "0.2.0" on the tag,
#     "0.2.0-3-gabc1234" three commits later, "-dirty" with local edits; else
#   "0.0.0-dev+abc1234" when no tag is reachable (a shallow clone, or one
#     made without tags); else "0.0.0-dev" outside a git checkout.
#
#   scripts/version.sh            the version
#   scripts/version.sh --deb      the same as a Debian package version
#                                 (sorts right: 0.2.0~rc1 < 0.2.0 < 0.2.0+3.gabc1234)
#   scripts/version.sh --numeric  MAJOR.MINOR.PATCH only (Windows version resources)
set -euo pipefail
cd "$(dirname "$0")/.."

version() {
  if [ -n "${HOLDFAST_VERSION:-}" ]; then
    echo "${HOLDFAST_VERSION#v}"
    return
  fi
  if ! git rev-parse --git-dir >/dev/null 2>&1; then
    echo "0.0.0-dev"
    return
  fi
  local d
  if d=$(git describe --tags --match 'v[0-9]*' --dirty 2>/dev/null); then
    echo "${d#v}"
    return
  fi
  local commit
  commit=$(git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)
  if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    commit="$commit.dirty"
  fi
  echo "0.0.0-dev+$commit"
}

# deb maps the version to Debian's ordering: a pre-release ("-rc1",
# "-dev") sorts before its release with "~", commits after a tag sort
# after it with "+".
deb() {
  local v=$1 re='^([0-9]+\.[0-9]+\.[0-9]+)(-([0-9]+)-g([0-9a-f]+))?(-dirty)?$'
  if [[ $v =~ $re ]]; then
    local out=${BASH_REMATCH[1]} extra=()
    [ -n "${BASH_REMATCH[2]}" ] && extra+=("${BASH_REMATCH[3]}" "g${BASH_REMATCH[4]}")
    [ -n "${BASH_REMATCH[5]}" ] && extra+=(dirty)
    if [ ${#extra[@]} -gt 0 ]; then
      out+="+$(IFS=.; echo "${extra[*]}")"
    fi
    echo "$out"
    return
  fi
  # Anything else (a pre-release tag like 0.3.0-rc1, 0.0.0-dev+abc1234):
  # the first "-" starts a pre-release; characters Debian does not allow
  # become ".".
  local base=${v%%-*} rest=${v#*-}
  [ "$base" = "$v" ] && rest=""
  rest=$(echo "$rest" | tr -c 'A-Za-z0-9.+~\n' '.')
  if [ -n "$rest" ]; then echo "$base~$rest"; else echo "$base"; fi
}

v=$(version)
if ! [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]]; then
  echo "version.sh: version $v does not start with MAJOR.MINOR.PATCH" >&2
  exit 1
fi
case "${1:-}" in
  "") echo "$v" ;;
  --deb) deb "$v" ;;
  --numeric) [[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] && echo "${BASH_REMATCH[0]}" ;;
  *) echo "usage: $0 [--deb|--numeric]" >&2; exit 2 ;;
esac
