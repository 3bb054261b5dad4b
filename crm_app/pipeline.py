"""Pipeline figures for the desk."""

import frappe

from crm_app.utils import get_settings


@frappe.whitelist()
def kanban_totals(filters: str | list | dict | None = None) -> dict[str, dict]:
	"""Count and amount of opportunities per stage, under the board's filters and the user's permissions."""
	frappe.has_permission("CX Opportunity", "read", throw=True)
	rows = frappe.get_list(
		"CX Opportunity",
		filters=frappe.parse_json(filters) if isinstance(filters, str) else filters,
		fields=[
			"sales_stage",
			"count(name) as count",
			"sum(amount) as amount",
			"max(currency) as currency",
			"count(distinct currency) as currencies",
		],
		group_by="sales_stage",
		order_by="sales_stage",
	)
	default = get_settings().default_currency or frappe.db.get_default("currency")
	return {
		# Mixed currencies are summed as plain numbers rather than labelled with one of them.
		row.sales_stage: {
			"count": row.count,
			"amount": row.amount or 0,
			"currency": (row.currency or default) if row.currencies <= 1 else None,
		}
		for row in rows
	}
