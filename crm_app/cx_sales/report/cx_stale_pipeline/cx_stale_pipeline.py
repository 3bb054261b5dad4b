# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Stale Pipeline: open opportunities and active leads (New, Contacted, Qualified) untouched for at
least N days, oldest first.

Last activity is the record's last contact, else its creation. N is the Days Idle filter, else CX
Settings' stale_lead_days / stale_opportunity_days, else 14. The period filter is optional here and
narrows by creation date. The table shows the oldest LIMIT records; the summary counts all of them.
"""

from datetime import datetime, time, timedelta

import frappe
from frappe import _
from frappe.query_builder import Order
from frappe.query_builder.functions import Coalesce, Count, Sum
from frappe.utils import cint, getdate

from crm_app.core.pipeline import OPEN
from crm_app.core.sales_metrics import days_idle, idle_since, oldest_first, stale_threshold
from crm_app.cx_sales.report.common import (
	LEAD,
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
from crm_app.utils import ACTIVE_LEAD_STATUSES

LIMIT = 500
# doctype: (title, owner, status, settings field, statuses)
SOURCES = {
	LEAD: ("lead_name", "lead_owner", "status", "stale_lead_days", ACTIVE_LEAD_STATUSES),
	OPPORTUNITY: ("title", "opportunity_owner", "sales_stage", "stale_opportunity_days", (OPEN,)),
}


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	sales_filters = parse_filters(filters, default=None)
	today = getdate()
	doctypes = [filters.record_type] if filters.get("record_type") in SOURCES else list(SOURCES)
	records, counts = [], {}
	for done, doctype in enumerate(doctypes, 1):
		days = stale_threshold(cint(filters.get("days")), setting(SOURCES[doctype][3]))
		idle_before = datetime.combine(idle_since(days, today) + timedelta(days=1), time.min)
		records += stale_records(doctype, sales_filters, idle_before)
		counts[doctype] = stale_counts(doctype, sales_filters, idle_before)
		report_progress("CX Stale Pipeline", done, len(doctypes))
	shown = oldest_first(records, LIMIT)
	for row in shown:
		row["days_idle"] = days_idle(row["last_activity"], today)
	return columns(), with_currency(shown), money_message(), chart(counts), report_summary(counts, len(shown))


def setting(fieldname: str) -> int:
	return cint(frappe.db.get_single_value("CX Settings", fieldname))


def stale_query(doctype: str, filters: SalesFilters, idle_before: datetime):
	table = frappe.qb.DocType(doctype)
	statuses = SOURCES[doctype][4]
	return (
		frappe.qb.from_(table)
		.where(table.status.isin(statuses))
		.where(Coalesce(table.last_contacted_on, table.creation) < idle_before)
		.where(in_period(table.creation, filters, is_datetime=True))
		.where(record_criteria(doctype, filters))
	)


def stale_records(doctype: str, filters: SalesFilters, idle_before: datetime) -> list[dict]:
	"""The LIMIT least recently touched records of one doctype."""
	table = frappe.qb.DocType(doctype)
	title, owner, status, _setting, _statuses = SOURCES[doctype]
	last_activity = Coalesce(table.last_contacted_on, table.creation)
	query = (
		stale_query(doctype, filters, idle_before)
		.select(
			table.name,
			table[title].as_("title"),
			table[owner].as_("owner"),
			table[status].as_("status"),
			last_activity.as_("last_activity"),
			table.next_follow_up,
		)
		.orderby(last_activity, order=Order.asc)
		.limit(LIMIT)
	)
	if doctype == OPPORTUNITY:
		query = query.select(table.base_amount.as_("amount"))
	return [
		{**row, "record_type": doctype, "record": row.name, "type": _(type_label(doctype))}
		for row in query.run(as_dict=True)
	]


def stale_counts(doctype: str, filters: SalesFilters, idle_before: datetime) -> dict[str, tuple[int, float]]:
	"""Stale records per owner: (count, amount)."""
	table = frappe.qb.DocType(doctype)
	owner = group_key(table[SOURCES[doctype][1]])
	query = stale_query(doctype, filters, idle_before).select(owner, Count("*")).groupby(owner)
	if doctype == OPPORTUNITY:
		query = query.select(Sum(table.base_amount))
	return {row[0] or "": (int(row[1]), float(row[2] or 0) if len(row) > 2 else 0.0) for row in query.run()}


def type_label(doctype: str) -> str:
	return "Lead" if doctype == LEAD else "Opportunity"


def columns() -> list[dict]:
	return [
		column("Type", "type", "Data", 100),
		column("Record", "record", "Dynamic Link", 180, options="record_type"),
		column("Title", "title", "Data", 200),
		column("Owner", "owner", "Link", 180, options="User"),
		column("Status / Stage", "status", "Data", 120),
		column("Last Activity", "last_activity", "Datetime", 160),
		column("Days Idle", "days_idle", "Int", 90),
		currency_column("Amount", "amount"),
		column("Next Follow-up", "next_follow_up", "Date", 120),
		column("Record Type", "record_type", "Data", 10, hidden=1),
	]


def chart(counts: dict[str, dict[str, tuple[int, float]]]) -> dict:
	owners = sorted({owner for per_owner in counts.values() for owner in per_owner})
	return {
		"data": {
			"labels": [owner or _("Not Set") for owner in owners],
			"datasets": [
				{
					"name": _(type_label(doctype)),
					"values": [per_owner.get(owner, (0, 0))[0] for owner in owners],
				}
				for doctype, per_owner in counts.items()
			],
		},
		"type": "bar",
		"barOptions": {"stacked": 1},
		"fieldtype": "Int",
	}


def report_summary(counts: dict[str, dict[str, tuple[int, float]]], shown: int) -> list[dict]:
	def total(doctype: str, index: int):
		return sum(values[index] for values in counts.get(doctype, {}).values())

	stale_total = total(LEAD, 0) + total(OPPORTUNITY, 0)
	result = [
		summary("Stale Leads", total(LEAD, 0), indicator="Orange"),
		summary("Stale Opportunities", total(OPPORTUNITY, 0), indicator="Orange"),
		summary("Stale Pipeline Amount", total(OPPORTUNITY, 1), "Currency", "Red"),
	]
	if stale_total > shown:
		result.append(summary("Shown (Oldest First)", shown, indicator="Grey"))
	return result
