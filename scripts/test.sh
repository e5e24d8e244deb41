#!/usr/bin/env bash
# Set up the environment and run the whole test suite.
# On the embedded SQLite by default; with DATABASE_URL set (postgresql://...), on that database.
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -k import
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
# The direction of imports (docs/layers.md): the contracts in pyproject.toml, before the tests.
.venv/bin/lint-imports --no-cache
exec .venv/bin/python -m pytest "$@"
