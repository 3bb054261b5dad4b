#!/usr/bin/env bash
# Start MariaDB and Redis for a local bench when they are not running (CI machines start with neither).
# Usage: scripts/services.sh BENCH_PATH
set -u
bench=${1:?bench path}
root_password=${CRM_APP_DB_ROOT_PASSWORD:-root}

mariadb_up() { mysqladmin ping -uroot -p"$root_password" -h127.0.0.1 --silent >/dev/null 2>&1; }
redis_port=$(python3 - "$bench/sites/common_site_config.json" <<'PY'
import json, sys, urllib.parse
conf = json.load(open(sys.argv[1]))
print(urllib.parse.urlparse(conf.get("redis_cache", "redis://127.0.0.1:6379")).port or 6379)
PY
)
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ]; }

if ! mariadb_up; then
	service mariadb start >/dev/null 2>&1 || service mysql start >/dev/null 2>&1 || (mysqld_safe >/dev/null 2>&1 &)
fi
if ! redis_up; then
	redis-server --bind 127.0.0.1 --port "$redis_port" --daemonize yes --save '' --appendonly no >/dev/null
fi
for _ in $(seq 1 60); do
	if mariadb_up && redis_up; then exit 0; fi
	sleep 1
done
echo "MariaDB or Redis did not start for the bench at $bench" >&2
exit 1
