#!/usr/bin/env bash
# Smoke test of the frozen app, as a user would meet it: unpack the bundle into a folder whose
# path has spaces and non-ASCII characters, then run it with a clean environment (no venv on
# PATH, a fresh empty HOME, no network) and check what it makes.
#
#   packaging/smoke_test.sh [BUNDLE.tar.gz | BUNDLE_FOLDER] [VOICE_PACK.tar.gz]
#       default: build/videostudio-*-linux-*.tar.gz, else build/dist/videostudio; the voice pack
#       build/videostudio-voice-*.tar.gz (written by build.sh beside the bundle)
#
# Checks, in order (each prints "ok: ..." or stops with "FAILED: ..."):
#  0. the Piper voice pack (when the bundle has the Piper engine but not its voice): without it
#     the offline chain falls back to eSpeak NG with a note naming `videostudio voices install
#     FILE`; a damaged pack and a pack with a member outside its folder are refused (exit 2,
#     a message, no traceback, nothing installed); the real pack installs into the fresh HOME,
#     `videostudio voices` says so, and Piper then speaks with it (its SHA-256 checked);
#  1. the bundle's own self-test (packaging/videostudio_entry.py): eSpeak NG in English and in
#     the 29 languages and Piper with the installed voice speak from the data inside the
#     bundle; ICU breaks Thai, Japanese and Chinese lines; QtMultimedia's FFmpeg backend opens a
#     WAV file; the font chains of the 29 languages have and draw every character of
#     tests/language_samples.py;
#  2. the CLI renders the demo (`videostudio demo --offline`) to an MP4 that the dev venv's PyAV
#     reopens: H.264 video 1920x1080, AAC audio, duration within 0.1 s on both streams, a
#     decoded frame from the middle that is not blank; subtitles beside it;
#  3. a PDF is parsed in a child process (multiprocessing spawn, frozen) and queued as a job,
#     and `jobs` lists it (the database and its migrations work from the bundle);
#  4. the GUI starts offscreen and shows its main window (`gui --smoke-test`);
#  5. bad cases: Qt's xcb platform with no DISPLAY, and a missing system library (libEGL hidden
#     in a private mount namespace; root only) give a message naming what to do, no traceback;
#  6. the desktop entry installs into the fresh HOME with the unusual path quoted.
# Timings (cold start with the bundle's files evicted from the page cache, warm start, demo
# render) are printed at the end. Needs: the dev venv (.venv, for PyAV), `unshare` (util-linux)
# for the network-less and library-less runs (skipped with a note when not allowed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DEV_PY="$ROOT/.venv/bin/python"
[ -x "$DEV_PY" ] || { echo "FAILED: $DEV_PY missing (run scripts/setup.sh dev)"; exit 1; }

source_path="${1:-}"
if [ -z "$source_path" ]; then
  source_path=$(ls -t build/videostudio-*-linux-*.tar.gz 2>/dev/null | head -1 || true)
  [ -n "$source_path" ] || source_path=build/dist/videostudio
fi
[ -e "$source_path" ] || { echo "FAILED: no bundle at $source_path (run packaging/build.sh)"; exit 1; }
voice_pack="${2:-}"
if [ -z "$voice_pack" ]; then
  voice_pack=$(ls -t build/videostudio-voice-*.tar.gz 2>/dev/null | head -1 || true)
fi
[ -z "$voice_pack" ] || voice_pack=$(readlink -f "$voice_pack")

work=$(mktemp -d /tmp/videostudio-smoke.XXXXXX)
trap 'rm -rf "$work"' EXIT
place="$work/Vidéo Stüdio – test folder"
mkdir -p "$place" "$work/home" "$work/out dir"
if [ -d "$source_path" ]; then
  cp -a "$source_path" "$place/"
else
  tar -C "$place" -xzf "$source_path"
fi
app="$place/videostudio/videostudio"
[ -x "$app" ] || { echo "FAILED: $app is not an executable"; exit 1; }
echo "bundle unpacked to: $place"

# A clean environment: only system folders on PATH, a new HOME, UTF-8, no proxies, no keys.
clean_env=(env -i "HOME=$work/home" "PATH=/usr/bin:/bin" "LANG=C.UTF-8" "TMPDIR=$work")
# No network: a new network namespace has only a loopback interface (needs root or userns).
no_net=()
if unshare --net true 2>/dev/null; then
  no_net=(unshare --net)
else
  echo "note: unshare --net is not allowed here; the runs have network access (but --offline)"
fi
run() { "${no_net[@]}" "${clean_env[@]}" "$@"; }

fail() { echo "FAILED: $*"; exit 1; }

# --- 0. the Piper voice: missing (fallback), bad packs refused, the real pack installed
out=$(run "$app" --bundle-self-test-piper 2>&1) || fail "Piper check before the voice pack: $out"
echo "  $out"
if echo "$out" | grep -q "^piper: engine bundled, voice not installed"; then
  echo "$out" | grep -q "espeak spoke .*videostudio voices install FILE.* ok$" \
    || fail "no eSpeak NG fallback naming the voice pack: $out"
  echo "ok: without the voice pack, eSpeak NG speaks and the note names the fix"
  [ -n "$voice_pack" ] && [ -f "$voice_pack" ] \
    || fail "no voice pack (build/videostudio-voice-*.tar.gz; packaging/build.sh writes it)"
  voices_dir="$work/home/.local/share/videostudio/voices"
  head -c 1000000 "$voice_pack" >"$work/damaged-pack.tar.gz"
  "$DEV_PY" - "$work/evil-pack.tar.gz" <<'EOF'
import io
import sys
import tarfile

with tarfile.open(sys.argv[1], "w:gz") as tar:
    info = tarfile.TarInfo("en_US-joe-medium/../../../.bashrc")
    info.size = 5
    tar.addfile(info, io.BytesIO(b"evil\n"))
EOF
  for bad in damaged-pack.tar.gz evil-pack.tar.gz; do
    status=0
    out=$(run "$app" voices install "$work/$bad" 2>&1) || status=$?
    [ "$status" = 2 ] || fail "voices install $bad: exit $status, expected 2: $out"
    echo "$out" | grep -q "nothing was installed" || fail "voices install $bad said: $out"
    echo "$out" | grep -q Traceback && fail "traceback for $bad: $out"
    [ -z "$(ls -A "$voices_dir" 2>/dev/null)" ] || fail "$bad left files in $voices_dir"
    [ ! -e "$work/.bashrc" ] && [ ! -e "$work/home/.bashrc" ] || fail "$bad wrote outside"
  done
  echo "ok: a damaged pack and one with a member outside its folder are refused, nothing installed"
  cp "$voice_pack" "$work/out dir/"
  start_ns=$(date +%s%N)
  out=$(cd "$work/out dir" && run "$app" voices install "$(basename "$voice_pack")" 2>&1) \
    || fail "voices install: $out"
  install_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
  echo "  $out"
  echo "$out" | grep -q "installed voice en_US-joe-medium" || fail "voices install said: $out"
  out=$(run "$app" voices --lang en 2>&1) || fail "voices: $out"
  echo "$out" | grep -q "Piper voice en_US-joe-medium: installed (voice pack" \
    || fail "voices does not list the installed pack: $out"
  echo "ok: the voice pack installed into the fresh HOME in ${install_ms} ms; voices lists it"
  out=$(run "$app" --bundle-self-test-piper 2>&1) || fail "Piper with the voice pack: $out"
  echo "  $out"
  echo "$out" | grep -qF "piper (voice pack, $voices_dir/en_US-joe-medium/" \
    && echo "$out" | grep -q " ok$" || fail "Piper did not speak with the installed voice pack: $out"
  echo "ok: Piper speaks with the installed voice pack"
else
  echo "note: no voice pack check ($(echo "$out" | head -1))"
fi

# --- 1. speech engines, line breaking, media backend and fonts from the bundle's data
(cd "$ROOT" && "$DEV_PY" -c 'import json, sys
from tests.language_samples import SAMPLES
json.dump({k: list(v) for k, v in SAMPLES.items()}, sys.stdout, ensure_ascii=False)') \
  >"$work/samples.json"
out=$(run env QT_QPA_PLATFORM=offscreen "$app" --bundle-self-test "$work/samples.json" 2>&1) \
  || fail "self-test: $out"
echo "$out" | grep -v "^qt\.multimedia\.symbolsresolver" | sed 's/^/  /'
for check in "^espeak .* ok$" "^espeak in 29 languages: ok$" "^icu line breaking: .* ok$" \
  "^qt multimedia (ffmpeg backend): .* ok$" "^fonts for 29 languages: ok$"; do
  echo "$out" | grep -q "$check" || fail "self-test line $check"
done
echo "ok: bundled speech engines speak, ICU breaks lines, the media backend and fonts load"

# --- 2. the demo render
start_ns=$(date +%s%N)
(cd "$work/out dir" && run "$app" demo --offline >"$work/demo.log" 2>&1) \
  || { tail -20 "$work/demo.log"; fail "demo render"; }
demo_s=$(( ($(date +%s%N) - start_ns) / 1000000 ))
mp4="$work/out dir/videostudio-demo.mp4"
[ -s "$mp4" ] || fail "no $mp4"
[ -s "$work/out dir/videostudio-demo.srt" ] || fail "no subtitles beside the MP4"
"$DEV_PY" - "$mp4" <<'EOF' || fail "the demo MP4 is not valid"
import sys

import av
import numpy as np

path = sys.argv[1]
with av.open(path) as container:
    video = container.streams.video[0]
    audio = container.streams.audio[0]
    assert video.codec_context.name == "h264", video.codec_context.name
    assert (video.width, video.height) == (1920, 1080), (video.width, video.height)
    assert audio.codec_context.name == "aac", audio.codec_context.name
    video_s = float(video.duration * video.time_base)
    audio_s = float(audio.duration * audio.time_base)
    assert video_s > 10, f"video lasts only {video_s:.2f} s"
    assert abs(video_s - audio_s) < 0.1, f"video {video_s:.2f} s vs audio {audio_s:.2f} s"
    container.seek(int(video_s / 2 / video.time_base), stream=video)
    frame = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert frame.std() > 10, f"the middle frame is blank (std {frame.std():.1f})"
print(f"  demo.mp4: h264 {video.width}x{video.height} {video_s:.2f} s, aac {audio_s:.2f} s")
EOF
voiced_by=$("$DEV_PY" -c 'import json, sys
scenes = json.load(open(sys.argv[1], encoding="utf-8"))["scenes"]
print(" ".join(sorted({s["speech_provider"] for s in scenes if s["speech_provider"]})))' \
  "$work/out dir/videostudio-demo.metadata.json") || fail "the demo's metadata.json"
if [ -d "$work/home/.local/share/videostudio/voices/en_US-joe-medium" ]; then
  [ "$voiced_by" = piper ] || fail "the demo was voiced by '$voiced_by', not Piper's voice pack"
fi
echo "ok: the CLI rendered the demo to a valid MP4 in $((demo_s / 1000)) s (voice: $voiced_by)"

# --- 3. a PDF through the frozen multiprocessing child, and the job database
pdf="$ROOT/../shared/corpus/video_gen-Internet_Guide_Vol1_Core_Infrastructure.pdf"
if [ -f "$pdf" ]; then
  cp "$pdf" "$work/out dir/guide.pdf"
  out=$(cd "$work/out dir" && run "$app" queue add guide.pdf --offline 2>&1) \
    || fail "queue add of a PDF: $out"
  echo "$out" | grep -q "queued job" || fail "queue add said: $out"
  out=$(run "$app" jobs 2>&1) || fail "jobs: $out"
  echo "$out" | grep -q "guide" || fail "jobs does not list the queued PDF: $out"
  echo "ok: a PDF was parsed in a frozen child process and queued"
else
  echo "note: $pdf not found; PDF check skipped"
fi

# --- 4. the GUI, offscreen
out=$(run env QT_QPA_PLATFORM=offscreen "$app" gui --smoke-test 2>&1) || fail "GUI: $out"
echo "$out" | grep -q "smoke test: main window shown" || fail "GUI said: $out"
echo "ok: $(echo "$out" | grep 'smoke test:')"

# --- 5. bad cases: clear messages, exit code 1, no traceback
out=$(run env QT_QPA_PLATFORM=xcb "$app" 2>&1) && fail "xcb without DISPLAY started: $out"
echo "$out" | grep -q "DISPLAY is not set" || fail "no-display message: $out"
echo "$out" | grep -q Traceback && fail "traceback without DISPLAY: $out"
echo "ok: no display → message, no traceback"
egl=$(ldconfig -p | awk '/libEGL\.so\.1 .*x86-64/ {print $NF; exit}')
if [ -n "$egl" ] && unshare --mount true 2>/dev/null; then
  real_egl=$(readlink -f "$egl")
  out=$(unshare --mount --propagation private sh -c \
    'mount --bind /dev/null "$1" && shift && exec "$@"' sh "$real_egl" \
    "${clean_env[@]}" QT_QPA_PLATFORM=offscreen "$app" 2>&1) && fail "started without libEGL"
  echo "$out" | grep -q "libegl1" || fail "missing-library message does not name libegl1: $out"
  echo "$out" | grep -q Traceback && fail "traceback for a missing library: $out"
  echo "ok: missing libEGL → $(echo "$out" | grep -m1 'apt-get install')"
else
  echo "note: cannot hide libEGL here (needs root and unshare --mount); check skipped"
fi

# --- 6. desktop entry
run "$place/videostudio/install-desktop-entry.sh" >/dev/null
entry="$work/home/.local/share/applications/videostudio.desktop"
grep -q '^Exec=".*Vidéo Stüdio – test folder/videostudio/videostudio" gui$' "$entry" \
  || fail "desktop entry Exec line: $(grep Exec "$entry")"
if command -v desktop-file-validate >/dev/null 2>&1; then
  desktop-file-validate "$entry" || fail "desktop-file-validate"
fi
echo "ok: desktop entry installed"

# --- timings: cold start (bundle evicted from the page cache) and warm start of the GUI
evict() {
  "$DEV_PY" - "$place/videostudio" <<'EOF'
import os
import sys
from pathlib import Path

for path in Path(sys.argv[1]).rglob("*"):
    if path.is_file() and not path.is_symlink():
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
EOF
}
time_gui() {  # milliseconds from the start of the process to "main window shown"
  run env QT_QPA_PLATFORM=offscreen "$DEV_PY" - "$app" <<'EOF'
import subprocess
import sys
import time

start = time.monotonic()
process = subprocess.Popen(
    [sys.argv[1], "gui", "--smoke-test"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
)
shown_ms = -1
for line in process.stdout:
    if "main window shown" in line and shown_ms < 0:
        shown_ms = round((time.monotonic() - start) * 1000)
process.wait()
print(shown_ms)
EOF
}
evict
cold_ms=$(time_gui)
warm_ms=$(time_gui)
evict
t0=$(date +%s%N)
run "$app" --help >/dev/null
cli_cold_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "timings: start to main window shown: cold ${cold_ms} ms, warm ${warm_ms} ms;" \
  "CLI --help cold ${cli_cold_ms} ms; demo render $((demo_s / 1000)) s (load average:" \
  "$(cut -d' ' -f1-3 /proc/loadavg))"
bytes=$(du -sb "$place/videostudio" | cut -f1)
echo "bundle size: $((bytes / 1000000)) MB ($((bytes / 1048576)) MiB) unpacked (du -sb: $bytes bytes)"
installed_voice="$work/home/.local/share/videostudio/voices/en_US-joe-medium"
if [ -d "$installed_voice" ]; then
  voice_bytes=$(du -sb "$installed_voice" | cut -f1)
  pack_bytes=$(stat -c %s "$voice_pack")
  echo "voice pack: $((pack_bytes / 1000000)) MB download ($pack_bytes bytes)," \
    "$((voice_bytes / 1000000)) MB installed (du -sb: $voice_bytes bytes)"
fi
echo "smoke test passed"
