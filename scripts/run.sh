#!/usr/bin/env bash
# Quick start 1: set up, then run the main job (every layer, the analyses, tables, maps, reports -> out/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/linfen-geo run --out "${OUT:-out}" "$@"
