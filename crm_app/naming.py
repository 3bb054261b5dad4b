"""Naming series numbers taken outside the transaction of the record being created.

Frappe takes the next number of a naming series with `SELECT ... FOR UPDATE` on its `tabSeries` row in
the transaction that creates the record, so the row stays locked until that transaction commits, and
everyone creating a record of that doctype waits for it. Here the number is taken and committed at once
on a short connection of its own, so the row is locked for an instant. A record whose transaction then
rolls back leaves a gap in the series, as a deleted record does.

CX Customer keeps Frappe's naming on purpose: its series row is what serializes lead conversions, and
conversions let through side by side deadlock inside Frappe and ERPNext (a Contact's Dynamic Link rows
and the ERPNext Customer inserted by two transactions at once).

If that connection cannot have the row within a moment (a bulk job holding the series in its own
transaction, or this very transaction having taken it), Frappe's own naming runs instead.
"""

import frappe
import pymysql
from frappe.database import get_db
from frappe.model.naming import set_name_from_naming_options

SERIES_LOCK_WAIT = 1  # seconds the short connection waits for the series row before giving way


class SeriesOutsideTransaction:
	"""Controller mixin for doctypes named by naming series that many people create at once."""

	def autoname(self):
		autoname = self.meta.autoname or ""
		if autoname.startswith("naming_series:"):
			self.name = next_name(self, autoname)


def next_name(doc, autoname: str) -> str | None:
	"""The name Frappe would give `doc`, with the series moved on a connection committed at once; None
	(Frappe names it as usual) when that connection cannot take the series row."""
	conf = frappe.local.conf
	side = get_db(
		socket=conf.db_socket,
		host=conf.db_host,
		port=conf.db_port,
		user=conf.db_name,
		password=conf.db_password,
		cur_db_name=conf.db_name,
	)
	own = frappe.local.db
	frappe.local.db = side  # Frappe's naming reads and moves the series through frappe.db
	try:
		side.sql("set session innodb_lock_wait_timeout = %s", SERIES_LOCK_WAIT)
		set_name_from_naming_options(autoname, doc)
		side.commit()
		return doc.name
	except Exception as error:
		if not isinstance(
			error, pymysql.err.OperationalError | frappe.QueryTimeoutError | frappe.QueryDeadlockError
		):
			raise  # lock waits, deadlocks, a refused connection: Frappe's naming; anything else is a bug
		side.rollback()
		doc.name = None
		return None
	finally:
		frappe.local.db = own
		side.close()
