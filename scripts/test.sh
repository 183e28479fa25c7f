#!/usr/bin/env bash
# Quick start 2: set up with the test extras, then run the whole suite (units, integration, doctests, notebooks).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export MPLBACKEND=Agg
# a private build cache, so the suite builds every layer from the shipped data
export LINFEN_GEO_CACHE="${LINFEN_GEO_CACHE:-$(mktemp -d)/cache}"
.venv/bin/ruff check .
.venv/bin/ruff format --check $(ls -d linfen_geo tests notebooks benchmarks 2>/dev/null)
exec .venv/bin/python -m pytest -n 2 --dist loadfile --nbmake tests linfen_geo notebooks "$@"
