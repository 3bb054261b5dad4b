# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Sales Funnel: four steps over one period.

1. Leads: leads created in the period.
2. Qualified: those leads whose status is now Qualified or Converted.
3. Opportunities: opportunities created in the period.
4. Won: opportunities won with a close date in the period.

Owner, territory, source and campaign filter both leads and opportunities.
"""

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Count, Sum

from crm_app.core.pipeline import WON
from crm_app.core.sales_metrics import FunnelStep, funnel
from crm_app.cx_sales.report.common import (
	LEAD,
	OPPORTUNITY,
	SalesFilters,
	column,
	in_period,
	money_message,
	parse_filters,
	record_criteria,
	summary,
)
from crm_app.prepared_reports import report_progress

QUALIFIED_STATUSES = ("Qualified", "Converted")


def execute(filters: dict | None = None):
	sales_filters = parse_filters(filters)
	leads, qualified = lead_counts(sales_filters)
	report_progress("CX Sales Funnel", 1, 2)
	opportunities, won, won_amount = opportunity_counts(sales_filters)
	steps = funnel(
		[
			(_("Leads"), leads),
			(_("Qualified"), qualified),
			(_("Opportunities"), opportunities),
			(_("Won"), won),
		]
	)
	return columns(), rows(steps), money_message(), chart(steps), report_summary(steps, won_amount)


def lead_counts(filters: SalesFilters) -> tuple[int, int]:
	lead = frappe.qb.DocType(LEAD)
	created, qualified = (
		frappe.qb.from_(lead)
		.select(Count("*"), Sum(Case().when(lead.status.isin(QUALIFIED_STATUSES), 1).else_(0)))
		.where(in_period(lead.creation, filters, is_datetime=True))
		.where(record_criteria(LEAD, filters))
		.run()[0]
	)
	return int(created or 0), int(qualified or 0)


def opportunity_counts(filters: SalesFilters) -> tuple[int, int, float]:
	"""Opportunities created in the period, and won ones closed in it (with their amount)."""
	opportunity = frappe.qb.DocType(OPPORTUNITY)
	created = in_period(opportunity.creation, filters, is_datetime=True)
	won = (opportunity.status == WON) & in_period(opportunity.closed_on, filters)
	count_created, count_won, won_amount = (
		frappe.qb.from_(opportunity)
		.select(
			Sum(Case().when(created, 1).else_(0)),
			Sum(Case().when(won, 1).else_(0)),
			Sum(Case().when(won, opportunity.base_amount).else_(0)),
		)
		.where(created | won)
		.where(record_criteria(OPPORTUNITY, filters))
		.run()[0]
	)
	return int(count_created or 0), int(count_won or 0), float(won_amount or 0)


def columns() -> list[dict]:
	return [
		column("Step", "step", "Data", 160),
		column("Count", "count", "Int", 110),
		column("Conversion from Previous Step (%)", "from_previous", "Percent", 220),
		column("Conversion from First Step (%)", "from_first", "Percent", 200),
	]


def rows(steps: list[FunnelStep]) -> list[dict]:
	return [
		{"step": s.step, "count": s.count, "from_previous": s.from_previous, "from_first": s.from_first}
		for s in steps
	]


def chart(steps: list[FunnelStep]) -> dict:
	return {
		"data": {
			"labels": [s.step for s in steps],
			"datasets": [{"name": _("Count"), "values": [s.count for s in steps]}],
		},
		"type": "bar",
		"colors": ["#5e64ff"],
		"fieldtype": "Int",
	}


def report_summary(steps: list[FunnelStep], won_amount: float) -> list[dict]:
	return [
		summary("Leads", steps[0].count),
		summary("Won", steps[-1].count, indicator="Green"),
		summary("Leads to Won (%)", steps[-1].from_first, "Percent", "Green"),
		summary("Won Amount", won_amount, "Currency", "Green"),
	]
