#!/usr/bin/env bash
# Set up the environment, seed the demo year into the embedded SQLite file, and start the app.
# Open http://127.0.0.1:8501 ; demo accounts (password "demo"): admin, liaison, deputy, congress, supervisor.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/minsheng check
.venv/bin/minsheng db upgrade
.venv/bin/minsheng demo
exec .venv/bin/minsheng serve "$@"
