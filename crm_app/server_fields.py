"""The server owns the fields it computes.

Every read-only field of an app doctype (rollups, timestamps, stage history, scores, counts, money) takes
its saved value again before `validate` (on insert: its default), whatever the client sent; the
controller then computes it afresh. So neither an API client nor a form opened before a call was logged
can write one back. Three exceptions, each explicit:

- fields Frappe fetches from a link (`fetch_from`) are Frappe's: it fetches them again on every save;
- server code that sets such a field on purpose (conversion, closing a deal) saves with
  `save_as_server` / `insert_as_server`;
- past values of the HISTORY_FIELDS (old tickets' times, old deals' stage dates) may be brought in by
  Frappe's Data Import or by a System Manager.
"""

import frappe

from crm_app.utils import app_modules

# Read-only fields whose past values an import of history may carry.
HISTORY_FIELDS = {
	"CX Issue": frozenset({"opened_on", "first_responded_on", "resolved_on", "closed_on"}),
	"CX Opportunity": frozenset(
		{"status", "lost_reason", "lost_detail", "closed_on", "stage_changed_on", "stage_history"}
	),
}
NOT_DATA = frozenset({"Section Break", "Column Break", "Tab Break", "HTML", "Button", "Fold", "Heading"})
TABLES = frozenset({"Table", "Table MultiSelect"})


def server_owned_fields(meta) -> list:
	"""Read-only data fields and tables, except those Frappe fetches from a link."""
	return [df for df in meta.fields if df.read_only and df.fieldtype not in NOT_DATA and not df.fetch_from]


def on_before_validate(doc, method=None) -> None:
	"""`before_validate` for every doctype (hooks.py): the app's documents keep their server fields, so a
	new doctype is covered the day it is added."""
	if doc.meta.module in app_modules():
		keep_server_fields(doc)


def keep_server_fields(doc) -> None:
	if doc.flags.set_by_server:
		return
	before = doc.get_doc_before_save()
	history = HISTORY_FIELDS.get(doc.doctype, frozenset()) if history_allowed() else frozenset()
	restore(doc, before, history)
	for table in doc.meta.get_table_fields():
		if table.fieldname in history:
			continue
		saved_rows = list(before.get(table.fieldname) or []) if before else []
		if table.read_only:
			doc.set(table.fieldname, [row.as_dict() for row in saved_rows])
			continue
		saved = {row.name: row for row in saved_rows}
		for row in doc.get(table.fieldname) or []:
			restore(row, saved.get(row.name), frozenset())


def restore(doc, before, history: frozenset) -> None:
	for df in server_owned_fields(doc.meta):
		if df.fieldtype in TABLES or df.fieldname in history:
			continue
		doc.set(df.fieldname, before.get(df.fieldname) if before else default_of(df))
	# A fetched field whose link is empty has nothing to fetch from: Frappe leaves what was sent.
	for df in doc.meta.fields:
		if df.read_only and df.fetch_from and not doc.get(df.fetch_from.split(".", 1)[0]):
			doc.set(df.fieldname, None)


def imported_history(doc) -> set[str]:
	"""History fields an import (or a System Manager) brought in this save: the controller keeps them
	rather than stamping the current time."""
	if not history_allowed():
		return set()
	before = doc.get_doc_before_save()
	return {
		field
		for field in HISTORY_FIELDS.get(doc.doctype, ())
		if doc.get(field) and (not before or doc.get(field) != before.get(field))
	}


def default_of(df):
	if df.fieldtype in ("Int", "Float", "Currency", "Percent", "Check"):
		return 0
	if df.fieldtype == "Select" and df.default:
		return df.default
	return None


def history_allowed() -> bool:
	return bool(frappe.flags.in_import) or "System Manager" in frappe.get_roles()


def save_as_server(doc, **kwargs):
	"""Save a document whose read-only fields this server code has set on purpose."""
	return _as_server(doc.save, doc, **kwargs)


def insert_as_server(doc, **kwargs):
	"""Insert a document whose read-only fields this server code has set on purpose."""
	return _as_server(doc.insert, doc, **kwargs)


def _as_server(write, doc, **kwargs):
	doc.flags.set_by_server = True
	try:
		return write(**kwargs)
	finally:
		doc.flags.set_by_server = False
