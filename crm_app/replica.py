"""Reads go to the replica only while it is healthy.

With `read_from_replica` set, Frappe sends every `@frappe.read_only()` call (script reports, list views,
counts, and this app's number cards and dashboard charts) to the replica, and connects to it without
asking whether it runs or how far behind it is: a stopped replica would fail every report, a lagging one
would answer with old figures. Before each request and each background job this hook asks
`crm_app.core.replica.verdict` whether the replica may answer, and if not turns `read_from_replica` off
for that request or job only (`frappe.init` reads site_config.json afresh into `frappe.local.conf` for
each request and job, so nothing carries over): its reads go to the primary. Writes never go to the
replica (Frappe opens it only inside `read_only`, and it is `read_only=1`), so no write path depends on it.

The answer is kept in Redis for a few seconds, so a request costs one cache read; a probe connects with a
one-second timeout. Lag is read from the replica's own SHOW SLAVE STATUS (Seconds_Behind_Master and both
threads), which needs SLAVE MONITOR: scripts/replica.sh grants it to the site's user on the replica only.
A heartbeat table would need a writer on the primary and a clock shared by both; the replica already
knows its lag. A replica whose status cannot be read is not used.
"""

import frappe
import pymysql
from pymysql.cursors import DictCursor

from crm_app.core import replica as core

CACHE_SECONDS = 5  # how long a stopped replica may still be tried, and how often it is probed
CONNECT_TIMEOUT = 1  # seconds: an unreachable replica must not hold a request up


def before_request() -> None:
	use_replica_only_if_healthy()


def before_job(method=None, kwargs=None, transaction_type=None) -> None:
	use_replica_only_if_healthy()


def use_replica_only_if_healthy() -> None:
	conf = frappe.local.conf
	if not conf.get("read_from_replica"):
		return
	if not current_verdict(conf)["usable"]:
		conf.read_from_replica = False  # this request or job only


def current_verdict(conf) -> dict:
	"""{"usable": bool, "reason": str}, probed at most once per CACHE_SECONDS per site and replica."""
	key = f"crm_app:replica_verdict:{conf.get('replica_host')}:{conf.get('replica_db_port')}"
	cached = frappe.cache.get_value(key, expires=True)
	if cached is not None:
		return cached
	found = core.verdict(probe(conf), core.max_lag(conf.get("cx_replica_max_lag")))
	if not found.usable:
		frappe.logger("crm_app.replica").warning(f"replica not used: {found.reason}")
	answer = {"usable": found.usable, "reason": found.reason}
	frappe.cache.set_value(key, answer, expires_in_sec=CACHE_SECONDS)
	return answer


def probe(conf) -> core.ReplicaState:
	"""Connect as Frappe would (same user, or the replica's own credentials) and read the replication status."""
	different = conf.get("different_credentials_for_replica")
	try:
		connection = pymysql.connect(
			host=conf.get("replica_host"),
			port=int(conf.get("replica_db_port") or 3306),
			user=conf.get("replica_db_name") if different else conf.get("db_name"),
			password=conf.get("replica_db_password") if different else conf.get("db_password"),
			connect_timeout=CONNECT_TIMEOUT,
			read_timeout=CONNECT_TIMEOUT * 2,
			cursorclass=DictCursor,
		)
	except (pymysql.MySQLError, OSError, ValueError) as error:
		return core.ReplicaState(reachable=False, error=str(error))
	try:
		with connection.cursor() as cursor:
			cursor.execute("SHOW SLAVE STATUS")
			return core.ReplicaState(reachable=True, status=cursor.fetchone())
	except pymysql.MySQLError as error:
		return core.ReplicaState(reachable=True, error=str(error))
	finally:
		connection.close()
