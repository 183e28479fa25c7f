#!/usr/bin/env bash
# Quick start 2: set up with the test extras, then run the whole suite (units, integration, doctests, notebooks).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
# the browser test needs Debian's chromium + chromium-driver: install them where we can (root with apt-get)
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[test] installing chromium and chromium-driver for the browser test"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } \
      >/dev/null 2>&1 || echo "[test] could not install chromium: the browser test will be skipped"
  fi
fi
export MPLBACKEND=Agg
# a private build cache, so the suite builds every layer from the shipped data
export LINFEN_GEO_CACHE="${LINFEN_GEO_CACHE:-$(mktemp -d)/cache}"
.venv/bin/ruff check .
.venv/bin/ruff format --check $(ls -d linfen_geo tests notebooks benchmarks 2>/dev/null)
exec .venv/bin/python -m pytest -n 2 --dist loadfile --nbmake tests linfen_geo notebooks "$@"
