#!/usr/bin/env bash
# Redis on 127.0.0.1:6379 (preinstalled on the development and CI machines).
set -euo pipefail
if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then exit 0; fi
command -v redis-server >/dev/null || { apt-get install -y -qq redis-server >/dev/null; }
mkdir -p /var/lib/redis /var/log/redis
redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
  --dir /var/lib/redis --logfile /var/log/redis/ci.log
for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 ping 2>/dev/null | grep -q PONG && exit 0; sleep 0.2; done
echo "redis did not come up" >&2; exit 1
