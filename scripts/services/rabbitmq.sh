#!/usr/bin/env bash
# RabbitMQ on 127.0.0.1:5672, guest/guest (preinstalled on the development and CI machines).
set -euo pipefail
up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if up; then exit 0; fi
command -v rabbitmq-server >/dev/null || { apt-get install -y -qq rabbitmq-server >/dev/null; }
rabbitmq-server -detached
for _ in $(seq 1 120); do up && exit 0; sleep 0.5; done
echo "rabbitmq did not come up" >&2; exit 1
