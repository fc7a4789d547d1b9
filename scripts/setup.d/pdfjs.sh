#!/usr/bin/env bash
# Bundle pdf.js (npm package pdfjs-dist, pinned in web/vendor/package-lock.json)
# into web/static/pdfjs/, which the web reader serves itself: no CDN, nothing
# fetched by a browser from outside the court's network.  Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/../../web/vendor"
target=../static/pdfjs
stamp="$target/.lock-sha256"
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  # Debian's npm; machines with NodeSource's nodejs already have npm (and Debian's would conflict).
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq nodejs npm >/dev/null
fi
npm ci --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error
rm -rf "$target"
mkdir -p "$target"
src=node_modules/pdfjs-dist
cp "$src/build/pdf.min.mjs" "$src/build/pdf.worker.min.mjs" "$src/LICENSE" "$target/"
cp -r "$src/cmaps" "$src/standard_fonts" "$target/"
echo "$want" > "$stamp"
echo "pdf.js $(node -p "require('./$src/package.json').version") bundled into web/static/pdfjs"
