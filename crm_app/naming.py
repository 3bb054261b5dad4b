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
transaction, or this very transaction having taken it), Frappe's own naming runs instead, and keeps
running for that doctype until the transaction ends: this transaction then holds the series row itself,
and every further wait for it would be a second lost (a bulk job creating thousands of records).
"""

import os
import threading

import frappe
import pymysql
from frappe.database import get_db
from frappe.model.naming import set_name_from_naming_options

SERIES_LOCK_WAIT = 1  # seconds the short connection waits for the series row before giving way


class SeriesOutsideTransaction:
	"""Controller mixin for doctypes named by naming series that many people create at once."""

	def autoname(self):
		autoname = self.meta.autoname or ""
		if autoname.startswith("naming_series:") and self.doctype not in series_held_here():
			self.name = next_name(self, autoname)
			if not self.name:
				hold_series_here(self.doctype)


def series_held_here() -> set[str]:
	"""Doctypes whose series this transaction has taken through Frappe's naming (it holds their row)."""
	return getattr(frappe.local, "cx_series_held", None) or set()


def hold_series_here(doctype: str) -> None:
	held = getattr(frappe.local, "cx_series_held", None)
	if held is None:
		held = frappe.local.cx_series_held = set()
	if not held:  # callbacks run once: registered again for each transaction that needs them
		frappe.db.after_commit.add(held.clear)
		frappe.db.after_rollback.add(held.clear)
	held.add(doctype)


def next_name(doc, autoname: str) -> str | None:
	"""The name Frappe would give `doc`, with the series moved on a connection committed at once; None
	(Frappe names it as usual) when that connection cannot take the series row."""
	side = side_connection()
	own = frappe.local.db
	frappe.local.db = side  # Frappe's naming reads and moves the series through frappe.db
	try:
		set_name_from_naming_options(autoname, doc)
		side.commit()
		return doc.name
	except Exception as error:
		forget_side_connection()  # whatever state it is in, the next record starts on a fresh one
		if not isinstance(
			error, pymysql.err.OperationalError | frappe.QueryTimeoutError | frappe.QueryDeadlockError
		):
			raise  # lock waits, deadlocks, a refused connection: Frappe's naming; anything else is a bug
		doc.name = None
		return None
	finally:
		frappe.local.db = own


# One side connection per process, thread and site, kept between requests: opening one per record cost
# more than the naming itself (a login round trip to MariaDB for every lead, call and deal).
_side_connections: dict[tuple, object] = {}


def _side_key() -> tuple:
	return (frappe.local.site, os.getpid(), threading.get_ident())


def side_connection():
	side = _side_connections.get(_side_key())
	if side is None:
		conf = frappe.local.conf
		side = get_db(
			socket=conf.db_socket,
			host=conf.db_host,
			port=conf.db_port,
			user=conf.db_name,
			password=conf.db_password,
			cur_db_name=conf.db_name,
		)
		side.sql("set session innodb_lock_wait_timeout = %s", SERIES_LOCK_WAIT)
		side.commit()
		_side_connections[_side_key()] = side
	return side


def forget_side_connection() -> None:
	side = _side_connections.pop(_side_key(), None)
	if side is not None:
		try:
			side.rollback()
			side.close()
		except Exception:
			pass  # a connection already gone has nothing to close
