#!/usr/bin/env bash
# Set up edossier on a fresh Debian/Ubuntu machine: system packages, a virtual
# environment in .venv with the project and its test tools.  Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

packages=$(grep -hv '^\s*#' scripts/apt-packages.txt | sed '/^\s*$/d' | sort -u | tr '\n' ' ')
missing=""
for pkg in $packages; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  echo "==> installing system packages:$missing"
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> installing edossier into .venv"
.venv/bin/pip install -q --upgrade pip >/dev/null
.venv/bin/pip install -q -e '.[test,bench]'

for hook in scripts/setup.d/*.sh; do
  [ -e "$hook" ] || continue
  echo "==> $hook"
  bash "$hook"
done
echo "==> setup done"
