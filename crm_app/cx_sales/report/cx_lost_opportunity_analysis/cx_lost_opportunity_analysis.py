# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Lost Opportunity Analysis: opportunities lost with a close date in the period, grouped by lost
reason, by competitor or by the stage they were lost at (their sales stage when closed).

Percentages are of all lost deals in the period (count and amount). A deal lost with two competitors
counts under each, so the competitor shares may add up to more than 100 %; deals without a competitor
show under "Not Set".
"""

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Sum

from crm_app.core.pipeline import LOST
from crm_app.core.sales_metrics import Share, shares
from crm_app.cx_sales.report.common import (
	OPPORTUNITY,
	SalesFilters,
	column,
	currency_column,
	group_key,
	in_period,
	money_message,
	parse_filters,
	record_criteria,
	summary,
	with_currency,
)
from crm_app.prepared_reports import report_progress

REASON, COMPETITOR, STAGE = "Reason", "Competitor", "Stage"
GROUP_FIELDS = {REASON: "lost_reason", STAGE: "sales_stage"}
LABELS = {REASON: "Lost Reason", COMPETITOR: "Competitor", STAGE: "Stage Lost At"}


def execute(filters: dict | None = None):
	sales_filters = parse_filters(filters)
	group_by = (filters or {}).get("group_by") or REASON
	if group_by not in (REASON, COMPETITOR, STAGE):
		frappe.throw(_("Group by Reason, Competitor or Stage."), frappe.ValidationError)
	total_count, total_amount = lost_totals(sales_filters)
	report_progress("CX Lost Opportunity Analysis", 1, 2)
	groups = (
		competitor_groups(sales_filters) if group_by == COMPETITOR else field_groups(sales_filters, group_by)
	)
	rows = shares(groups, total_count, total_amount)
	return (
		columns(group_by),
		with_currency([as_dict(row) for row in rows]),
		money_message(),
		chart(rows, group_by),
		report_summary(total_count, total_amount, rows),
	)


def lost_deals(filters: SalesFilters):
	opportunity = frappe.qb.DocType(OPPORTUNITY)
	return (
		frappe.qb.from_(opportunity)
		.where(opportunity.status == LOST)
		.where(in_period(opportunity.closed_on, filters))
		.where(record_criteria(OPPORTUNITY, filters))
	)


def lost_totals(filters: SalesFilters) -> tuple[int, float]:
	opportunity = frappe.qb.DocType(OPPORTUNITY)
	count, amount = lost_deals(filters).select(Count("*"), Sum(opportunity.base_amount)).run()[0]
	return int(count or 0), float(amount or 0)


def field_groups(filters: SalesFilters, group_by: str) -> list[tuple]:
	opportunity = frappe.qb.DocType(OPPORTUNITY)
	field = group_key(opportunity[GROUP_FIELDS[group_by]])
	return lost_deals(filters).select(field, Count("*"), Sum(opportunity.base_amount)).groupby(field).run()


def competitor_groups(filters: SalesFilters) -> list[tuple]:
	opportunity = frappe.qb.DocType(OPPORTUNITY)
	rival = frappe.qb.DocType("CX Opportunity Competitor")
	return (
		lost_deals(filters)
		.left_join(rival)
		.on(
			(rival.parent == opportunity.name)
			& (rival.parenttype == OPPORTUNITY)
			& (rival.parentfield == "competitors")
		)
		.select(rival.competitor, Count("*"), Sum(opportunity.base_amount))
		.groupby(rival.competitor)
		.run()
	)


def columns(group_by: str) -> list[dict]:
	return [
		column(LABELS[group_by], "label", "Data", 200),
		column("Lost Deals", "count", "Int", 110),
		column("Share of Lost Deals (%)", "count_share", "Percent", 180),
		currency_column("Lost Amount", "amount", 140),
		column("Share of Lost Amount (%)", "amount_share", "Percent", 190),
	]


def as_dict(row: Share) -> dict:
	return {
		"label": row.label or _("Not Set"),
		"count": row.count,
		"count_share": row.count_share,
		"amount": row.amount,
		"amount_share": row.amount_share,
	}


def chart(rows: list[Share], group_by: str) -> dict:
	return {
		"data": {
			"labels": [row.label or _("Not Set") for row in rows],
			"datasets": [{"name": _("Lost Deals"), "values": [row.count for row in rows]}],
		},
		# Competitor groups overlap, so a pie would misstate their shares.
		# No "fieldtype": the pie legend prints the formatter's HTML (a right-aligned div) as text.
		"type": "bar" if group_by == COMPETITOR else "pie",
	}


def report_summary(total_count: int, total_amount: float, rows: list[Share]) -> list[dict]:
	top = rows[0].label or _("Not Set") if rows else ""
	return [
		summary("Lost Deals", total_count, indicator="Red"),
		summary("Lost Amount", total_amount, "Currency", "Red"),
		summary("Most Frequent", top, "Data", "Orange"),
	]
