#!/usr/bin/env bash
# Set up (first time) and run the whole test suite: lint, core, GUI (offscreen), CLI and the frozen bundle.
# Extra arguments go to pytest, e.g. `-m "not bundle"` for a quick run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
.venv/bin/ruff check .
QT_QPA_PLATFORM=offscreen exec .venv/bin/python -m pytest "$@"
