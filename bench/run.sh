#!/usr/bin/env bash
# Build bench/.venv (the peers pinned in bench/requirements.txt plus IronRelay from this checkout,
# editable) and run the side-by-side benchmark. Arguments go to bench.py: --quick, --runs N,
# --systems a,b, --databases postgres,sqlite, --workloads a,b (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
VENV=${BENCH_VENV:-.venv}
STAMP="$VENV/.bench-installed"

if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
# Reinstall only when the pins or IronRelay's own requirements changed.
if [ ! -f "$STAMP" ] || [ requirements.txt -nt "$STAMP" ] || [ ../setup.cfg -nt "$STAMP" ]; then
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r requirements.txt -e ..
  touch "$STAMP"
fi

exec "$VENV/bin/python" bench.py "$@"
