#!/usr/bin/env bash
# README command (2): set up, make sure every service the tests use is up, lint and type-check, run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
for service in scripts/services/*.sh; do
  echo "==> service: $service"
  bash "$service"
done
echo "==> ruff"
.venv/bin/ruff check .
echo "==> mypy"
.venv/bin/python scripts/typecheck.py
exec .venv/bin/python -m pytest -q -ra "$@"
