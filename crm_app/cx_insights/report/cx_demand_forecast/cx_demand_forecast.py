# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Demand Forecast: each item's (or item and group's) forecast with its accuracy, and a chart of the chosen
series: the history, the forecast and its 80 % prediction interval by month.

Rows are those the forecast job stored (crm_app/cx_insights/forecast.py). Several series in the chart are
added up month by month; their bands are added too, which makes the band wider than the sum's own would be.
"""

import frappe
from frappe import _
from frappe.query_builder import Criterion, Order
from frappe.query_builder.functions import Avg, Count, Max, Sum
from frappe.utils import flt, formatdate
from pypika.terms import Case

from crm_app.cx_sales.report.common import column, summary

FORECAST = "CX Demand Forecast"
LIMIT = 500


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	table = frappe.qb.DocType(FORECAST)
	where = criteria(table, filters)
	rows = series_rows(table, where)
	return columns(), rows, message(), chart(table, where), report_summary(table, where)


def criteria(table, filters) -> Criterion:
	where = [table.name.isnotnull()]
	if filters.get("item"):
		where.append(table.item == filters.item)
	if filters.get("customer_group"):
		where.append(table.customer_group == filters.customer_group)
	if filters.get("territory"):
		where.append(table.territory == filters.territory)
	return Criterion.all(where)


def series_rows(table, where) -> list[dict]:
	"""One row per series: its next months' forecast, total and band over the horizon, and its accuracy."""
	forecast = table.is_forecast == 1

	def when_forecast(field):
		return Sum(Case().when(forecast, field).else_(0))

	return (
		frappe.qb.from_(table)
		.select(
			table.item_type,
			table.item,
			Max(table.item_name).as_("item_name"),
			table.customer_group,
			table.territory,
			Max(table.method).as_("method"),
			Max(table.history_months).as_("history_months"),
			when_forecast(table.forecast).as_("forecast_total"),
			when_forecast(table.lower).as_("lower_total"),
			when_forecast(table.upper).as_("upper_total"),
			Max(table.series_mase).as_("series_mase"),
			Max(table.naive_mase).as_("naive_mase"),
		)
		.where(where)
		.groupby(table.item_type, table.item, table.customer_group, table.territory)
		.orderby("forecast_total", order=Order.desc)
		.orderby(table.item)
		.limit(LIMIT)
		.run(as_dict=True)
	)


def columns() -> list[dict]:
	return [
		column("Item", "item", "Dynamic Link", 160, options="item_type"),
		column("Item Name", "item_name", "Data", 180),
		column("Customer Group", "customer_group", "Link", 130, options="CX Customer Group"),
		column("Territory", "territory", "Link", 120, options="CX Territory"),
		column("Method", "method", "Data", 150),
		column("Months of History", "history_months", "Int", 90),
		column("Forecast (Horizon)", "forecast_total", "Float", 130),
		column("Lower (80 %)", "lower_total", "Float", 110),
		column("Upper (80 %)", "upper_total", "Float", 110),
		column("MASE", "series_mase", "Float", 90),
		column("Seasonal Naive MASE", "naive_mase", "Float", 120),
		column("Item Type", "item_type", "Link", 100, options="DocType", hidden=1),
	]


def chart(table, where) -> dict | None:
	rows = (
		frappe.qb.from_(table)
		.select(
			table.period,
			Max(table.is_forecast).as_("is_forecast"),
			# history months have no forecast and forecast months no sales: gaps in the lines, not zeros
			Sum(only_when(table.is_forecast == 0, table.actual)).as_("actual"),
			Sum(only_when(table.is_forecast == 1, table.forecast)).as_("forecast"),
			Sum(only_when(table.is_forecast == 1, table.lower)).as_("lower"),
			Sum(only_when(table.is_forecast == 1, table.upper)).as_("upper"),
		)
		.where(where)
		.groupby(table.period)
		.orderby(table.period)
		.run(as_dict=True)
	)
	if not rows:
		return None

	def values(key):
		# Frappe Charts draws a missing value as 0: in the months sold the forecast and its band lie on what
		# was sold (a fan that opens after the last month), and the bars of the months ahead have no height.
		return [
			flt(row["actual"] if key != "actual" and not row.is_forecast else row[key] or 0, 2)
			for row in rows
		]

	return {
		"data": {
			"labels": [formatdate(row.period, "MMM yyyy") for row in rows],
			"datasets": [
				{"name": _("Sold"), "values": values("actual"), "chartType": "bar"},
				{"name": _("Forecast"), "values": values("forecast"), "chartType": "line"},
				{"name": _("Lower (80 %)"), "values": values("lower"), "chartType": "line"},
				{"name": _("Upper (80 %)"), "values": values("upper"), "chartType": "line"},
			],
		},
		"type": "axis-mixed",
		"colors": ["#449CF0", "#29CD42", "#CBD5E1", "#CBD5E1"],
		"lineOptions": {"hideDots": 1, "spline": 0},
		"barOptions": {"spaceRatio": 0.3},
		"axisOptions": {"xIsSeries": 1},
	}


def report_summary(table, where) -> list[dict]:
	measured = table.mase_defined == 1
	row = (
		frappe.qb.from_(table)
		.select(
			Count(table.item).distinct().as_("items"),
			Avg(only_when(measured, table.series_mase)).as_("mase"),
			Avg(only_when(measured, table.naive_mase)).as_("naive"),
		)
		.where(where & (table.is_forecast == 1))
		.run(as_dict=True)[0]
	)
	better = row.mase is not None and row.naive is not None and row.mase < row.naive
	return [
		summary("Items Forecast", row["items"] or 0),
		summary("Holdout MASE", flt(row.mase, 3), "Float", "Green" if better else "Orange"),
		summary("Seasonal Naive MASE", flt(row.naive, 3), "Float", "Grey"),
	]


def only_when(condition, field):
	return Case().when(condition, field)


def message() -> str:
	settings = frappe.get_cached_doc("CX Insights Settings")
	parts = [
		_(
			"MASE is the error on the last months, held out while fitting, scaled by the seasonal naive forecast's "
			"error: below the seasonal naive figure, the model did better than repeating last season."
		)
	]
	if settings.forecast_note:
		parts.append(frappe.utils.escape_html(settings.forecast_note))
	if settings.forecast_last_run:
		parts.append(_("Forecast on {0}.").format(frappe.utils.format_datetime(settings.forecast_last_run)))
	return "<br>".join(parts)
