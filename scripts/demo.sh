#!/usr/bin/env bash
# One command: set up .venv and render the bundled sample document, offline, into ./videostudio-demo.mp4
set -euo pipefail
here="$(pwd)"
"$(dirname "$0")/setup.sh"
cd "$here"
exec "$(dirname "$0")/../.venv/bin/videostudio" demo "$@"
