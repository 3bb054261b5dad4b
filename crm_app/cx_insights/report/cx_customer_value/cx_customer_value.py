# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Customer Value: customers by RFM segment with their expected value and churn risk.

The figures are those the nightly customer value job wrote on each customer (crm_app/cx_insights/value.py):
churn risk is 100 - the probability that the customer is still active. The table shows the first LIMIT
customers in the chosen order; the chart and the summary count every customer the user may read
(`match_conditions`: the same User Permissions and restricted sales user's rule as the customer list).
"""

import frappe
from frappe import _
from frappe.query_builder import Criterion, Order
from frappe.query_builder.functions import Count, IfNull, Sum
from frappe.utils import flt

from crm_app.core.insights.rfm import SEGMENTS
from crm_app.cx_insights.value import segment_label
from crm_app.cx_sales.report.common import column, currency_column, money_chart, summary, with_currency
from crm_app.exceptions import InvalidFilterError
from crm_app.permissions import match_conditions

LIMIT = 500
ORDERS = ("predicted_value", "churn_risk", "rfm_monetary")


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	customer = frappe.qb.DocType("CX Customer")
	where = criteria(customer, filters)
	rows = customer_rows(customer, where, filters.get("order_by") or "predicted_value")
	counts = segment_counts(customer, where)
	return columns(), with_currency(rows), message(), chart(counts), report_summary(counts)


def criteria(customer, filters) -> Criterion:
	segment = filters.get("segment")
	if segment and segment not in SEGMENTS:
		frappe.throw(_("Unknown value segment: {0}").format(segment), InvalidFilterError)
	if (order := filters.get("order_by")) and order not in ORDERS:
		frappe.throw(_("Unknown order: {0}").format(order), InvalidFilterError)
	where = [customer.rfm_segment.isin(SEGMENTS)]
	if segment:
		where.append(customer.rfm_segment == segment)
	if filters.get("min_churn_risk") not in (None, ""):
		risk = flt(filters.min_churn_risk)
		if not 0 <= risk <= 100:
			frappe.throw(_("Churn risk is a percentage between 0 and 100."), InvalidFilterError)
		where.append(customer.value_model_status == "Scored")
		where.append(100 - customer.probability_alive >= risk)
	if (visible := match_conditions("CX Customer")) is not None:
		where.append(visible)
	return Criterion.all(where)


def customer_rows(customer, where: Criterion, order_by: str) -> list[dict]:
	churn_risk = 100 - customer.probability_alive
	order = {
		"predicted_value": customer.predicted_value,
		"churn_risk": churn_risk,
		"rfm_monetary": customer.rfm_monetary,
	}[order_by]
	rows = (
		frappe.qb.from_(customer)
		.select(
			customer.name.as_("customer"),
			customer.customer_name,
			customer.rfm_segment,
			customer.rfm_segment_since,
			customer.rfm_score,
			customer.rfm_recency_days,
			customer.rfm_frequency,
			customer.rfm_monetary,
			customer.value_model_status,
			customer.predicted_purchases,
			customer.predicted_value,
			customer.probability_alive,
		)
		.where(where)
		.orderby(order, order=Order.desc)
		.orderby(customer.name)
		.limit(LIMIT)
		.run(as_dict=True)
	)
	for row in rows:
		scored = row.value_model_status == "Scored"
		row["churn_risk"] = 100 - flt(row.probability_alive) if scored else None
		if not scored:  # 0 in the column is "no figure", not a prediction of none
			row["predicted_purchases"] = row["predicted_value"] = row["probability_alive"] = None
		row["rfm_segment"] = segment_label(row.rfm_segment)
	return rows


def segment_counts(customer, where: Criterion) -> dict[str, tuple[int, float]]:
	"""Customers and expected value per segment: (count, value)."""
	rows = (
		frappe.qb.from_(customer)
		.select(customer.rfm_segment, Count("*"), Sum(IfNull(customer.predicted_value, 0)))
		.where(where)
		.groupby(customer.rfm_segment)
		.run()
	)
	return {segment: (int(count), flt(value)) for segment, count, value in rows}


def columns() -> list[dict]:
	return [
		column("Customer", "customer", "Link", 160, options="CX Customer"),
		column("Customer Name", "customer_name", "Data", 180),
		column("Value Segment", "rfm_segment", "Data", 140),
		column("In Segment Since", "rfm_segment_since", "Date", 110),
		column("RFM Score", "rfm_score", "Data", 80),
		column("Days Since Last Purchase", "rfm_recency_days", "Int", 100),
		column("Purchases", "rfm_frequency", "Int", 90),
		currency_column("Purchase Value", "rfm_monetary"),
		column("Expected Purchases", "predicted_purchases", "Float", 100),
		currency_column("Expected Value", "predicted_value"),
		column("Still Active (Probability)", "probability_alive", "Percent", 110),
		column("Churn Risk", "churn_risk", "Percent", 100),
		column("Value Model", "value_model_status", "Data", 120),
	]


def chart(counts: dict[str, tuple[int, float]]) -> dict:
	present = [segment for segment in SEGMENTS if segment in counts]
	return money_chart(
		{
			"data": {
				"labels": [segment_label(segment) for segment in present],
				"datasets": [{"name": _("Expected Value"), "values": [counts[s][1] for s in present]}],
			},
			"type": "bar",
		}
	)


def report_summary(counts: dict[str, tuple[int, float]]) -> list[dict]:
	customers = sum(count for count, _value in counts.values())
	at_risk = sum(counts.get(segment, (0, 0))[0] for segment in ("At Risk", "Cannot Lose Them"))
	result = [
		summary("Customers Scored", customers),
		summary("Champions", counts.get("Champions", (0, 0))[0], indicator="Green"),
		summary("At Risk", at_risk, indicator="Red"),
		summary("Expected Value", sum(value for _count, value in counts.values()), "Currency", "Blue"),
	]
	if customers > LIMIT:
		result.append(summary("Shown", LIMIT, indicator="Grey"))
	return result


def message() -> str:
	settings = frappe.db.get_value(
		"CX Insights Settings",
		"CX Insights Settings",
		["value_last_run", "value_horizon_days", "value_model_note"],
		as_dict=True,
	)
	if not settings or not settings.value_last_run:
		return _("Customer value has not been computed yet: it runs every night.")
	return _("Computed on {0}; expected purchases and value over the next {1} days. {2}").format(
		frappe.utils.format_datetime(settings.value_last_run),
		settings.value_horizon_days or 365,
		frappe.utils.escape_html(settings.value_model_note or ""),
	)
