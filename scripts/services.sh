#!/usr/bin/env bash
# Starts the machine's PostgreSQL and Redis if they are not answering (both come from Debian's
# packages on our machines and CI); the integration tests use them as a user's service would.
set -uo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null; }

if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! redis_up && command -v redis-server >/dev/null 2>&1; then
  echo "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
fi
for _ in $(seq 1 20); do pg_up && redis_up && exit 0; sleep 0.5; done
pg_up || echo "warning: PostgreSQL is not answering on 127.0.0.1:5432" >&2
redis_up || echo "warning: Redis is not answering on 127.0.0.1:6379" >&2
