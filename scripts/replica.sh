#!/usr/bin/env bash
# A read replica for ONE site: a second MariaDB on this machine replicating the site's database from the
# primary with MariaDB's own GTID replication, and the site told to send its read-only calls there.
# Not needed by CI or the tests; for load runs and for trying `read_from_replica`.
#
#   scripts/replica.sh BENCH SITE [start|stop|status|remove]
#
#   start   (default, idempotent) turns the primary's binary log on if it is off (a conf.d file and one
#           restart of the primary), creates the replica server (own datadir, port, socket), seeds it from a
#           consistent `mariadb-dump --single-transaction --master-data --gtid` of the site's database, copies
#           the site's database user to it, starts replication and sets in the site's site_config.json
#           read_from_replica: 1, replica_host: 127.0.0.1, replica_db_port: PORT. Run again, it only starts
#           what is stopped.
#   stop    shuts the replica server down (the site falls back to the primary: crm_app/replica.py)
#   status  replication threads, lag, GTID positions and the site's replica keys
#   remove  drops the replica keys from site_config.json, stops the replica and deletes its datadir; the
#           primary keeps its binary log (harmless, expires after expire_logs_days)
#
# Environment: CRM_APP_DB_ROOT_PASSWORD (primary root password, default root), CRM_APP_REPLICA_PORT (3307),
# CRM_APP_REPLICA_DIR (/var/lib/mysql-replica). Needs root (it writes /etc/mysql and starts mariadbd).
#
# Layout: the replica's options are in /etc/mysql/crm-replica.cnf (read only by the replica, never by the
# primary); server_id 2, read_only (the site's user cannot write there; replication can), utf8mb4 as the
# primary, replicate_do_db = the site's database only. The replica also grants the site's user SLAVE
# MONITOR, so the app can read its own lag from SHOW SLAVE STATUS (crm_app/replica.py).
set -euo pipefail

bench=${1:?usage: scripts/replica.sh BENCH SITE [start|stop|status|remove]}
site=${2:?usage: scripts/replica.sh BENCH SITE [start|stop|status|remove]}
action=${3:-start}
root_password=${CRM_APP_DB_ROOT_PASSWORD:-root}
port=${CRM_APP_REPLICA_PORT:-3307}
datadir=${CRM_APP_REPLICA_DIR:-/var/lib/mysql-replica}
rundir=/run/mysqld-replica
socket=$rundir/mysqld.sock
replica_cnf=/etc/mysql/crm-replica.cnf
primary_cnf=/etc/mysql/mariadb.conf.d/70-crm-binlog.cnf
error_log=$datadir/error.log  # the datadir: mysql may not write /var/log
repl_user=crm_repl
site_config=$bench/sites/$site/site_config.json

[ -f "$site_config" ] || { echo "no site $site in $bench" >&2; exit 1; }
db_name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["db_name"])' "$site_config")

primary() { mariadb -uroot -p"$root_password" -h127.0.0.1 -P3306 "$@"; }
replica() { mariadb -uroot -S "$socket" "$@"; }
replica_up() { mariadb-admin -uroot -S "$socket" ping --silent >/dev/null 2>&1; }
say() { printf '[replica] %s\n' "$*"; }

# The replica password lives beside the datadir (root only), so reruns reuse it.
repl_password() {
	local file=$datadir.repl-password
	[ -s "$file" ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$file")
	cat "$file"
}

site_config_set() { # site_config_set on|off
	python3 - "$site_config" "$1" "$port" <<'PY'
import json, sys
path, mode, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
conf = json.load(open(path))
keys = {"read_from_replica": 1, "replica_host": "127.0.0.1", "replica_db_port": port}
if mode == "on":
	conf.update(keys)
else:
	for key in keys:
		conf.pop(key, None)
with open(path, "w") as f:
	json.dump(conf, f, indent=1, sort_keys=True)
PY
}

ensure_primary_binlog() {
	local state
	state=$(primary -N -e "select concat(if(@@log_bin, 1, 0), ':', @@binlog_format, ':', @@server_id)")
	if [ "$state" = "1:ROW:1" ]; then
		return
	fi
	say "primary: binary log off ($state); writing $primary_cnf and restarting it once"
	cat >"$primary_cnf" <<'CNF'
# crm_app scripts/replica.sh: the binary log a replica reads (GTID, row-based).
[mysqld]
server_id     = 1
log_bin       = mysql-bin
binlog_format = ROW
CNF
	local charset_before
	charset_before=$(primary -N -e "select concat(@@character_set_server, '/', @@collation_server)")
	# The Debian init script cannot log in once root has a password: shut down and start as services.sh.
	local pid
	pid=$(primary -N -e "select @@pid_file" | xargs cat)
	mariadb-admin -uroot -p"$root_password" -h127.0.0.1 shutdown
	for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
	(setsid mysqld_safe >/dev/null 2>&1 &)
	for _ in $(seq 1 60); do primary -e 'select 1' >/dev/null 2>&1 && break; sleep 1; done
	state=$(primary -N -e "select concat(if(@@log_bin, 1, 0), ':', @@binlog_format, ':', @@server_id)")
	local charset_after
	charset_after=$(primary -N -e "select concat(@@character_set_server, '/', @@collation_server)")
	say "primary: log_bin:format:server_id = $state; character set $charset_before -> $charset_after"
	[ "$state" = "1:ROW:1" ] || { echo "the primary did not come back with its binary log" >&2; exit 1; }
}

write_replica_cnf() {
	local collation
	collation=$(primary -N -e "select @@collation_server")
	cat >"$replica_cnf" <<CNF
# crm_app scripts/replica.sh: the read replica of $site ($db_name). Read only by the replica's mariadbd.
[mysqld]
user                           = mysql
datadir                        = $datadir
port                           = $port
bind-address                   = 127.0.0.1
socket                         = $socket
pid-file                       = $rundir/mysqld.pid
log-error                      = $error_log
server_id                      = 2
read_only                      = 1
character-set-server           = utf8mb4
collation-server               = $collation
replicate_do_db                = $db_name
relay_log                      = relay-bin
# A replica may lose its last second on a crash: the primary has it.
innodb_flush_log_at_trx_commit = 2
innodb_buffer_pool_size        = 256M
CNF
}

start_replica_server() {
	replica_up && return
	mkdir -p "$rundir" && chown mysql:mysql "$rundir"
	if [ ! -d "$datadir/mysql" ]; then
		say "initialising $datadir"
		mkdir -p "$datadir" && chown mysql:mysql "$datadir"
		mariadb-install-db --defaults-file="$replica_cnf" --user=mysql --datadir="$datadir" >/dev/null
	fi
	say "starting the replica server on port $port"
	(setsid /usr/sbin/mariadbd --defaults-file="$replica_cnf" >/dev/null 2>&1 &)
	for _ in $(seq 1 60); do replica_up && return; sleep 1; done
	echo "the replica did not start; see $error_log" >&2
	exit 1
}

# The replica's copy of the site's user: same name, host and password hash, same grants on the database,
# plus SLAVE MONITOR to read the lag. GRANTs on the primary do not replicate (replicate_do_db).
copy_site_user() {
	local user_sql
	user_sql=$(primary -N -e "show create user '$db_name'@'localhost'")
	replica -e "drop user if exists '$db_name'@'localhost'; $user_sql;
		grant all privileges on \`$db_name\`.* to '$db_name'@'localhost';
		grant slave monitor on *.* to '$db_name'@'localhost'; flush privileges;"
}

seed_and_replicate() {
	local marker=$datadir/crm-seeded
	if [ -f "$marker" ]; then
		[ "$(cat "$marker")" = "$db_name" ] || {
			echo "this replica serves $(cat "$marker"); run 'remove' for that site first" >&2
			exit 1
		}
		replica -e "start slave" 2>/dev/null || true
		return
	fi
	local password
	password=$(repl_password)
	primary -e "create user if not exists '$repl_user'@'127.0.0.1' identified by '$password';
		alter user '$repl_user'@'127.0.0.1' identified by '$password';
		grant replication slave on *.* to '$repl_user'@'127.0.0.1';"
	say "seeding the replica from a consistent dump of $db_name (a few minutes for 1 GB)"
	replica -e "stop slave; reset slave all; set global gtid_slave_pos = ''" 2>/dev/null || true
	# --master-data --gtid writes the dump's GTID position (SET GLOBAL gtid_slave_pos) into the dump.
	mariadb-dump -uroot -p"$root_password" -h127.0.0.1 --single-transaction --master-data=1 --gtid \
		--routines --triggers --events --databases "$db_name" | replica
	copy_site_user
	replica -e "change master to master_host='127.0.0.1', master_port=3306, master_user='$repl_user',
		master_password='$password', master_use_gtid=slave_pos, master_connect_retry=5; start slave;"
	echo "$db_name" >"$marker"
}

show_status() {
	if ! replica_up; then
		say "replica server on port $port: DOWN"
	else
		replica -e "show slave status\G" |
			grep -E 'Slave_IO_Running|Slave_SQL_Running:|Seconds_Behind_Master|Gtid_IO_Pos|Last_(IO|SQL)_Error:|Replicate_Do_DB' || true
		replica -N -e "select concat('replica gtid_slave_pos: ', @@gtid_slave_pos)"
	fi
	primary -N -e "select concat('primary gtid_binlog_pos: ', @@gtid_binlog_pos, '  log_bin=', @@log_bin)"
	python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); print("site_config:", {k: c.get(k) for k in ("read_from_replica","replica_host","replica_db_port","cx_replica_max_lag")})' "$site_config"
}

case $action in
start)
	ensure_primary_binlog
	write_replica_cnf
	start_replica_server
	seed_and_replicate
	copy_site_user
	site_config_set on
	show_status
	;;
stop)
	if replica_up; then mariadb-admin -uroot -S "$socket" shutdown; fi
	say "replica stopped"
	;;
status)
	show_status
	;;
remove)
	site_config_set off
	if replica_up; then mariadb-admin -uroot -S "$socket" shutdown; fi
	rm -rf "$datadir" "$datadir.repl-password" "$replica_cnf"
	primary -e "drop user if exists '$repl_user'@'127.0.0.1'"
	say "replica removed; $site reads from the primary"
	;;
*)
	echo "unknown action $action (start|stop|status|remove)" >&2
	exit 2
	;;
esac
