# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Pipeline Forecast: weighted amount per month and owner by forecast category, against targets.

- Open deals count in the month of their expected close date, at their weighted amount, under their
  forecast category (Pipeline when unset). Open deals the owner marked Omitted are left out.
- Won deals count in the month of their close date, at their full amount, as Closed. Lost ones never count.
- Target: the owner's Month target for that month, else a third of their Quarter target. Only targets of
  a sales person count; with a territory filter, only their targets set for that territory or below.
- Attainment: Closed / target.

One query: open deals by expected close date and won deals by close date, each grouped by month, owner
and category in SQL, joined by UNION ALL. Each half is a range scan of an index led by (status, date);
with the covering indexes named in benchmarks/forecast.py neither half reads the table itself.
"""

from datetime import date

import frappe
from frappe import _
from frappe.query_builder.functions import DateFormat, Sum
from frappe.utils import formatdate, getdate

from crm_app.core.periods import months_between
from crm_app.core.pipeline import BEST_CASE, CLOSED, COMMIT, OPEN, PIPELINE, WON
from crm_app.core.sales_metrics import (
	CURRENT_QUARTER,
	FORECAST_COLUMNS,
	ForecastRow,
	attainment,
	forecast_by_month,
	forecast_pivot,
	monthly_targets,
)
from crm_app.cx_sales.report.common import (
	OPPORTUNITY,
	SalesFilters,
	column,
	currency_column,
	in_period,
	money_chart,
	money_message,
	parse_filters,
	record_criteria,
	sales_targets,
	summary,
	with_currency,
)
from crm_app.prepared_reports import report_progress

FIELDNAMES = {PIPELINE: "pipeline", BEST_CASE: "best_case", COMMIT: "commit", CLOSED: "closed"}
COLORS = {PIPELINE: "#98d8f5", BEST_CASE: "#5e64ff", COMMIT: "#f8814f", CLOSED: "#29cd42"}


def execute(filters: dict | None = None):
	sales_filters = parse_filters(filters, CURRENT_QUARTER)
	months = months_between(sales_filters.from_date, sales_filters.to_date)
	targets = monthly_targets(sales_targets(sales_filters, months))
	deals = deal_rows(sales_filters)
	report_progress("CX Pipeline Forecast", 1, 1)
	pivot = forecast_pivot(deals, targets, months)
	totals = forecast_by_month(pivot, months)
	return columns(), with_currency(rows(pivot)), money_message(), chart(totals), report_summary(totals)


def deal_rows(filters: SalesFilters) -> list[tuple[date, str, str, str | None, float]]:
	"""(month, owner, status, category, amount) summed per group in SQL."""
	opportunity = frappe.qb.DocType(OPPORTUNITY)

	def grouped(status: str, date_field: str, amount_field: str):
		month = DateFormat(opportunity[date_field], "%Y-%m-01")
		return (
			frappe.qb.from_(opportunity)
			.select(
				month,
				opportunity.opportunity_owner,
				opportunity.status,
				opportunity.forecast_category,
				Sum(opportunity[amount_field]),
			)
			.where(opportunity.status == status)
			.where(in_period(opportunity[date_field], filters))
			.where(record_criteria(OPPORTUNITY, filters))
			.groupby(month, opportunity.opportunity_owner, opportunity.status, opportunity.forecast_category)
		)

	query = grouped(OPEN, "expected_close_date", "base_weighted_amount").union_all(
		grouped(WON, "closed_on", "base_amount")
	)
	return [
		(getdate(month), owner, status, category, float(amount or 0))
		for month, owner, status, category, amount in query.run()
	]


def month_label(month: date) -> str:
	return formatdate(month, "MMM yyyy")


def columns() -> list[dict]:
	return [
		column("Month", "month", "Data", 100),
		column("Owner", "owner", "Link", 200, options="User"),
		*(currency_column(category, FIELDNAMES[category]) for category in FORECAST_COLUMNS),
		currency_column("Total Weighted", "total", 140),
		currency_column("Target", "target"),
		column("Attainment (%)", "attainment", "Percent", 130),
	]


def rows(pivot: list[ForecastRow]) -> list[dict]:
	return [
		{
			"month": month_label(row.month),
			"owner": row.owner,
			**{FIELDNAMES[category]: row.amounts[category] for category in FORECAST_COLUMNS},
			"total": row.total,
			"target": row.target,
			"attainment": row.attainment,
		}
		for row in pivot
	]


def chart(totals: dict[date, dict[str, float]]) -> dict:
	datasets = [
		{
			"name": _(category),
			"chartType": "bar",
			"values": [month[category] for month in totals.values()],
		}
		for category in FORECAST_COLUMNS
	]
	datasets.append(
		{"name": _("Target"), "chartType": "line", "values": [month["target"] for month in totals.values()]}
	)
	return money_chart(
		{
			"data": {"labels": [month_label(month) for month in totals], "datasets": datasets},
			"type": "axis-mixed",
			"barOptions": {"stacked": 1},
			"colors": [*(COLORS[category] for category in FORECAST_COLUMNS), "#ff5858"],
		}
	)


def report_summary(totals: dict[date, dict[str, float]]) -> list[dict]:
	def total(key: str) -> float:
		return sum(month[key] for month in totals.values())

	open_weighted = total(PIPELINE) + total(BEST_CASE) + total(COMMIT)
	closed, target = total(CLOSED), total("target")
	return [
		summary("Open Weighted", open_weighted, "Currency"),
		summary("Commit", total(COMMIT), "Currency", "Orange"),
		summary("Closed", closed, "Currency", "Green"),
		summary("Target", target, "Currency", "Grey"),
		summary("Attainment (%)", attainment(closed, target) or 0, "Percent", "Green"),
	]
