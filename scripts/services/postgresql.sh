#!/usr/bin/env bash
# PostgreSQL on 127.0.0.1:5432, trust auth, database `test` (preinstalled on the development and CI machines).
# The batch state of multi-machine batches (edossier batch --state postgresql://…) is tested against it.
set -euo pipefail
up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
if ! up; then
  command -v pg_ctlcluster >/dev/null || { apt-get install -y -qq postgresql >/dev/null; }
  version=$(ls /etc/postgresql | sort -n | tail -1)
  pg_ctlcluster "$version" main start || true
  for _ in $(seq 1 60); do up && break; sleep 0.5; done
  up || { echo "postgresql did not come up" >&2; exit 1; }
fi
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
