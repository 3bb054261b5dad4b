"""Pipeline figures for the desk."""

import json

import frappe
from frappe import _

from crm_app.exceptions import InvalidFilterError
from crm_app.money import reporting_currency


@frappe.whitelist()
def kanban_totals(filters: str | list | dict | None = None) -> dict[str, dict]:
	"""Count and amount (in the reporting currency) of opportunities per stage, under the board's
	filters and the user's permissions."""
	frappe.has_permission("CX Opportunity", "read", throw=True)
	rows = frappe.get_list(
		"CX Opportunity",
		filters=board_filters(filters),
		fields=["sales_stage", "count(name) as count", "sum(base_amount) as amount"],
		group_by="sales_stage",
		order_by="sales_stage",
	)
	currency = reporting_currency()
	return {
		row.sales_stage: {"count": row.count, "amount": row.amount or 0, "currency": currency} for row in rows
	}


DOCTYPE = "CX Opportunity"


def board_filters(filters: str | list | dict | None) -> list | None:
	"""The board's filters as a list of conditions on opportunity fields; anything else is refused with
	a clear message rather than reaching the database."""
	if isinstance(filters, str):
		try:
			filters = json.loads(filters) if filters.strip() else None
		except ValueError:
			filters = "not json"
	if filters is None:
		return None
	if not isinstance(filters, list | dict):
		frappe.throw(_("Filters must be a list or a dictionary of conditions."), InvalidFilterError)
	conditions = [{key: value} for key, value in filters.items()] if isinstance(filters, dict) else filters
	valid = set(frappe.get_meta(DOCTYPE).get_valid_columns())
	parsed = []
	for condition in conditions:
		try:
			parsed.append(frappe.utils.get_filter(DOCTYPE, condition))
		except Exception:
			parsed.append(None)
		if not parsed[-1] or parsed[-1].doctype != DOCTYPE or parsed[-1].fieldname not in valid:
			frappe.throw(
				_("Not a condition on an opportunity field: {0}").format(
					frappe.bold(frappe.utils.escape_html(json.dumps(condition, default=str)[:200]))
				),
				InvalidFilterError,
			)
	return [[f.doctype, f.fieldname, f.operator, f.value] for f in parsed]
