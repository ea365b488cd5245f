#!/bin/sh
# Add Video Studio to the applications menu of the current user (no root needed):
# writes ~/.local/share/applications/videostudio.desktop pointing at this folder's executable,
# and the icon into ~/.local/share/icons/hicolor. Run it again after moving the folder;
# `install-desktop-entry.sh --remove` takes both away again.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data="${XDG_DATA_HOME:-$HOME/.local/share}"
entry="$data/applications/videostudio.desktop"
if [ "${1:-}" = "--remove" ]; then
  rm -f "$entry"
  for size in 16 24 32 48 64 128 256 512; do
    rm -f "$data/icons/hicolor/${size}x${size}/apps/videostudio.png"
  done
  rm -f "$data/icons/hicolor/scalable/apps/videostudio.svg"
  echo "removed $entry"
  exit 0
fi
mkdir -p "$data/applications" "$data/icons/hicolor/scalable/apps"
for size in 16 24 32 48 64 128 256 512; do
  mkdir -p "$data/icons/hicolor/${size}x${size}/apps"
  cp "$here/share/icons/videostudio-$size.png" "$data/icons/hicolor/${size}x${size}/apps/videostudio.png"
done
cp "$here/share/icons/videostudio.svg" "$data/icons/hicolor/scalable/apps/videostudio.svg"
# The Exec key quotes the path: the folder may contain spaces or other special characters.
# Desktop Entry rules: \ " ` $ get a backslash inside the quotes, then \ is doubled again;
# % becomes %%. Then & and | are escaped for sed's replacement text.
escaped=$(printf '%s' "$here/videostudio" | sed 's/\\/\\\\\\\\/g; s/"/\\\\"/g; s/`/\\\\`/g; s/\$/\\\\$/g; s/%/%%/g')
escaped=$(printf '%s' "$escaped" | sed 's/[\\&|]/\\&/g')
sed "s|^Exec=videostudio|Exec=\"$escaped\"|" "$here/share/applications/videostudio.desktop" > "$entry.tmp"
mv "$entry.tmp" "$entry"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database "$data/applications" || true
echo "added $entry"
