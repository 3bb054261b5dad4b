#!/usr/bin/env bash
# One command for a fresh Debian/Ubuntu machine with internet: MariaDB, Redis, Node and a Frappe v15
# bench from the official upstream (or the existing bench named by CRM_APP_BENCH), a site with this app
# and demo data, then start it.
#
#   scripts/setup.sh                       # site crm.localhost on http://crm.localhost:8000
# Environment: CRM_APP_BENCH (default ~/frappe-bench), CRM_APP_SITE (default crm.localhost),
#              CRM_APP_DB_ROOT_PASSWORD (default root), WITH_ERPNEXT=1 to add ERPNext v15 too.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bench=${CRM_APP_BENCH:-$HOME/frappe-bench}
site=${CRM_APP_SITE:-crm.localhost}
root_password=${CRM_APP_DB_ROOT_PASSWORD:-root}
sudo=$([ "$(id -u)" = 0 ] && echo "" || echo sudo)

if [ ! -x "$bench/env/bin/python" ]; then
	$sudo apt-get update
	$sudo apt-get install -y git python3-dev python3-venv python3-pip pipx mariadb-server mariadb-client \
		redis-server nodejs npm pkg-config libmariadb-dev curl
	$sudo npm install -g yarn
	printf '[mysqld]\ncharacter-set-server=utf8mb4\ncollation-server=utf8mb4_unicode_ci\n[client]\ndefault-character-set=utf8mb4\n' \
		| $sudo tee /etc/mysql/mariadb.conf.d/99-frappe.cnf >/dev/null
	$sudo service mariadb restart
	$sudo mysql -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED BY '$root_password'; FLUSH PRIVILEGES;" || true
	pipx install frappe-bench
	export PATH=$HOME/.local/bin:$PATH
	bench init --frappe-branch version-15 "$bench"
	if [ "${WITH_ERPNEXT:-0}" = 1 ]; then (cd "$bench" && bench get-app --branch version-15 erpnext); fi
fi

"$repo/scripts/services.sh" "$bench"
"$repo/scripts/link_app.sh" "$bench"
frappe_cmd() { (cd "$bench/sites" && "$bench/env/bin/python" -m frappe.utils.bench_helper frappe "$@"); }
if [ ! -d "$bench/sites/$site" ]; then
	apps=(--install-app crm_app)
	[ -d "$bench/apps/erpnext" ] && [ "${WITH_ERPNEXT:-0}" = 1 ] && apps=(--install-app erpnext "${apps[@]}")
	"$bench/env/bin/python" "$repo/scripts/forget_module_cache.py" "$bench" "$site"
	frappe_cmd new-site "$site" --db-root-password "$root_password" --admin-password admin "${apps[@]}"
fi
frappe_cmd --site "$site" crm-demo-data --force
echo "Starting $site on http://$site:8000 (Administrator / admin)"
frappe_cmd --site "$site" serve --port 8000
