#!/usr/bin/env bash
# Set up (first time) and start Wenze Desktop on the local default workspace. Arguments go to `wenze`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
exec .venv/bin/wenze "$@"
