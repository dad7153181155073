#!/bin/sh
# Installs Holdfast from this unpacked archive for one user (default
# ~/.local) or system-wide (./install.sh --prefix /usr/local, as root):
# the binary, the menu entry and the icons. --uninstall removes them.
# Holdfast needs GTK 3 and WebKitGTK 4.1 from your distribution
# (Debian/Ubuntu: libgtk-3-0 libwebkit2gtk-4.1-0; Fedora: gtk3
# webkit2gtk4.1; Arch: gtk3 webkit2gtk-4.1).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix="$HOME/.local"
action=install
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --uninstall) action=uninstall; shift ;;
    -h | --help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
apps="$prefix/share/applications"
icons="$prefix/share/icons/hicolor"

if [ "$action" = uninstall ]; then
  rm -f "$prefix/bin/holdfast" "$apps/holdfast.desktop"
  for d in "$icons"/*/apps; do rm -f "$d/holdfast.png"; done
  echo "Holdfast removed from $prefix (your chats stay in ~/.config/holdfast)."
  exit 0
fi

mkdir -p "$prefix/bin" "$apps"
install -m 0755 "$here/holdfast" "$prefix/bin/holdfast"
# The menu entry runs the binary by its full path: $prefix/bin may not be on PATH.
sed "s|^Exec=holdfast\$|Exec=$prefix/bin/holdfast|" "$here/holdfast.desktop" >"$apps/holdfast.desktop"
chmod 0644 "$apps/holdfast.desktop"
for d in "$here"/icons/hicolor/*/apps; do
  size=$(basename "$(dirname "$d")")
  mkdir -p "$icons/$size/apps"
  install -m 0644 "$d/holdfast.png" "$icons/$size/apps/holdfast.png"
done
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" 2>/dev/null || true
echo "Holdfast $("$prefix/bin/holdfast" --version | cut -d' ' -f2) installed in $prefix: find it in your applications menu, or run $prefix/bin/holdfast."
