"""The app's reports as Frappe Prepared Reports (README, "Reports").

A prepared report runs in a background job as the user who asked for it, so its result carries that
user's permissions (the rules of crm_app/permissions.py, User Permissions). Frappe v15 lets anyone who may
open a report read every prepared result of it, and reads the one named by `prepared_report_name`
without any check. For the app's reports a stored result is its owner's alone (System Managers aside,
as everywhere in Frappe), in lists, forms, downloads, the report view and its export.
"""

import json
from pathlib import Path

import frappe
from frappe import _
from frappe.core.doctype.prepared_report import prepared_report as frappe_prepared_report
from frappe.desk import query_report
from frappe.utils.caching import request_cache

from crm_app.exceptions import InvalidFilterError

PREPARED_REPORT = "Prepared Report"
APP = "crm_app"


@request_cache  # asked once per Prepared Report row a list or form checks
def app_reports() -> list[str]:
	"""The reports of the app's modules (script reports and the custom reports saved from them)."""
	return frappe.get_all(
		"Report", filters={"module": ("in", frappe.get_module_list(APP))}, pluck="name", order_by="name"
	)


def reads_every_result(user: str) -> bool:
	return user == "Administrator" or "System Manager" in frappe.get_roles(user)


def may_read(report_name: str, owner: str, user: str) -> bool:
	return owner == user or reads_every_result(user) or report_name not in app_reports()


def has_permission(doc, ptype: str | None = None, user: str | None = None, debug: bool = False) -> bool:
	"""`has_permission` hook: another user's result of an app report is refused; anything else goes by
	Frappe's own rule (the user may open the report). Explicit either way (Frappe runs only the last
	hook that answers)."""
	user = user or frappe.session.user
	if not may_read(doc.report_name, doc.owner, user):
		return False
	return bool(frappe_prepared_report.has_permission(doc, user))


def query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""`permission_query_conditions` hook (Frappe adds its own rule beside it): other users' results of
	app reports are not listed."""
	user = user or frappe.session.user
	if reads_every_result(user) or not (reports := app_reports()):
		return ""
	names = ", ".join(frappe.db.escape(name) for name in reports)
	return (
		f"(`tabPrepared Report`.`owner` = {frappe.db.escape(user)}"
		f" or `tabPrepared Report`.`report_name` not in ({names}))"
	)


def check_named_result(filters) -> None:
	"""The report view and its export read the result named by `prepared_report_name` as is: refuse it
	unless the user may read that Prepared Report."""
	if isinstance(filters, str):
		try:
			filters = json.loads(filters)
		except ValueError:
			return  # Frappe refuses malformed filters itself
	name = filters.get("prepared_report_name") if isinstance(filters, dict) else None
	if not name:
		return
	found = frappe.db.get_value(PREPARED_REPORT, str(name), ["report_name", "owner"], as_dict=True)
	if found and not may_read(found.report_name, found.owner, frappe.session.user):
		frappe.throw(_("You may not read this prepared report."), frappe.PermissionError)


@frappe.whitelist()
def run(
	report_name: str,
	filters: str | dict | None = None,
	user: str | None = None,
	ignore_prepared_report: bool | str | int = False,
	custom_columns: str | list | None = None,
	is_tree: bool | str | int = False,
	parent_field: str | None = None,
	are_default_filters: bool | str | int = True,
):
	"""Override of `frappe.desk.query_report.run`: the named result's owner is checked first, and only
	a System Manager may ask for another user's stored result (Frappe's `user` argument)."""
	check_report(report_name)
	filters = json_argument(filters, dict, _("Filters"))
	custom_columns = json_argument(custom_columns, list, _("Columns"))
	if user and user != frappe.session.user:
		if not reads_every_result(frappe.session.user):
			frappe.throw(_("You may not read another user's report."), frappe.PermissionError)
		if not frappe.db.exists("User", user):
			frappe.throw(_("User {0} does not exist.").format(user), frappe.DoesNotExistError)
	check_named_result(filters)
	return query_report.run(
		report_name,
		filters=filters,
		user=user,
		ignore_prepared_report=ignore_prepared_report,
		custom_columns=custom_columns,
		is_tree=is_tree,
		parent_field=parent_field,
		are_default_filters=are_default_filters,
	)


@frappe.whitelist()
def export_query():
	"""Override of `frappe.desk.query_report.export_query` (it reads the form dict): same check."""
	check_report(frappe.form_dict.get("report_name"))
	for field, kind, label in (("filters", dict, _("Filters")), ("custom_columns", list, _("Columns"))):
		json_argument(frappe.form_dict.get(field), kind, label)
	check_named_result(frappe.form_dict.get("filters"))
	return query_report.export_query()


def check_report(report_name) -> None:
	"""Frappe's report methods fail with a server error on a missing or malformed report name."""
	if not isinstance(report_name, str) or not frappe.db.exists("Report", report_name):
		frappe.throw(_("Report {0} does not exist.").format(report_name), frappe.DoesNotExistError)


def json_argument(value, kind: type, label: str):
	"""A JSON argument decoded (a dict for filters, a list for columns); malformed ones refused as bad
	input, not passed on to fail inside Frappe."""
	if value in (None, ""):
		return None
	if isinstance(value, str):
		try:
			value = json.loads(value)
		except ValueError:
			value = None
	if not isinstance(value, kind):
		frappe.throw(
			_("{0}: send a JSON {1}.").format(label, _("object") if kind is dict else _("list")),
			InvalidFilterError,
		)
	return value


def report_progress(report_name: str, done: int, total: int) -> None:
	"""In a prepared report's job, tell its user how far it got (the desk's progress bar, for that user
	only); a no-op anywhere else, where the answer comes back at once."""
	job = getattr(frappe.local, "job", None)
	if not (job and (job.get("kwargs") or {}).get("prepared_report")):
		return
	frappe.publish_progress(
		done * 100 / total,
		title=_("Preparing {0}").format(_(report_name)),
		description=_("Step {0} of {1}").format(done, total),
	)


def prepared_in_json() -> dict[str, int]:
	"""Report name -> timeout of the app's reports whose JSON makes them prepared reports."""
	found = {}
	for module in frappe.get_module_list(APP):
		folder = Path(frappe.get_module_path(module), "report")
		for path in folder.glob("*/*.json") if folder.is_dir() else ():
			report = json.loads(path.read_text())
			if report.get("doctype") == "Report" and report.get("prepared_report"):
				found[report["name"]] = report.get("timeout") or 0
	return found


def sync_prepared_flags() -> None:
	for name, timeout in prepared_in_json().items():
		if frappe.db.exists("Report", name):
			frappe.db.set_value(
				"Report", name, {"prepared_report": 1, "timeout": timeout}, update_modified=False
			)  # a newer modified would stop migrate syncing the JSON
