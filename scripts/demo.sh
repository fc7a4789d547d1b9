#!/usr/bin/env bash
# README command (1): set everything up, then bind the bundled sample scans into a
# signed dossier with the embedded defaults (filesystem store under ./.edossier).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
CASE="（2024）浙0102民初100号"
echo "==> processing samples/ into case $CASE"
.venv/bin/edossier process samples/01-complaint.tif samples/02-power-of-attorney.jpg samples/03-judgment.pdf --case "$CASE"
.venv/bin/edossier verify --case "$CASE"
PDF=$(.venv/bin/edossier get "$CASE" -o "out/sample-dossier.pdf")
echo
echo "The signed dossier is at: $(pwd)/$PDF"
echo "Open it with any PDF reader (e.g. xdg-open $PDF), or list stored cases with: .venv/bin/edossier list"
