#!/usr/bin/env bash
# One command: set up .venv with the test tools, then lint, type-check, check the layering, and run
# the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
.venv/bin/python -m pytest "$@"
