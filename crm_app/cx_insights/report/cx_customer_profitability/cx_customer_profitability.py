# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Customer Profitability: customers ranked by weighted profit over a period, with each factor's
contribution (revenue positive, costs negative) and a stacked bar chart of the most profitable.

The figures and where they come from: crm_app/cx_insights/profitability.py. Weights, the support hour
rate and the late payment rate: CX Insights Settings. Only records the user may read count.
"""

from frappe import _
from frappe.utils import getdate

from crm_app.core.insights.profitability import FACTORS
from crm_app.cx_insights.profitability import customer_profitability
from crm_app.cx_sales.report.common import (
	column,
	currency_column,
	money_chart,
	parse_filters,
	summary,
	with_currency,
)
from crm_app.money import reporting_currency
from crm_app.prepared_reports import report_progress

REPORT = "CX Customer Profitability"
CHART_BARS = 20
FACTOR_LABELS = {
	"revenue": "Revenue",
	"cost_of_goods": "Cost of Goods",
	"acquisition": "Acquisition",
	"support": "Support",
	"late_payment": "Late Payment",
}


def execute(filters: dict | None = None):
	period = parse_filters(filters)
	today = getdate()
	end = min(period.to_date, today)  # nothing dated after today counts: it has not happened yet
	report_progress(REPORT, 1, 2)
	result = customer_profitability(period.from_date, end, today) if period.from_date <= end else None
	report_progress(REPORT, 2, 2)
	rows = table(result) if result else []
	return columns(), rows, message(result, period.to_date > today), chart(rows), report_summary(rows)


def table(result) -> list[dict]:
	rows = []
	for ranked in result.ranked:
		row = {
			"rank": ranked.rank,
			"customer": ranked.customer,
			"customer_name": result.names.get(ranked.customer),
			**{factor: round(value, 2) for factor, value in ranked.contributions.items()},
			"profit": ranked.profit,
			"support_hours": round(result.support_hours.get(ranked.customer, 0.0), 2),
		}
		rows.append(row)
	return with_currency(rows)


def columns() -> list[dict]:
	return [
		column("Rank", "rank", "Int", 70),
		column("Customer", "customer", "Link", 150, options="CX Customer"),
		column("Customer Name", "customer_name", "Data", 180),
		*(currency_column(FACTOR_LABELS[factor], factor) for factor in FACTORS),
		currency_column("Profit", "profit", 140),
		column("Support Hours", "support_hours", "Float", 120, precision=2),
	]


def chart(rows: list[dict]) -> dict | None:
	top = rows[:CHART_BARS]
	if not top:
		return None
	return money_chart(
		{
			"title": _("Contribution of Each Factor: the {0} Most Profitable Customers").format(len(top)),
			"data": {
				"labels": [row["customer_name"] or row["customer"] for row in top],
				"datasets": [
					{"name": _(FACTOR_LABELS[factor]), "values": [row[factor] for row in top]}
					for factor in FACTORS
				],
			},
			"type": "bar",
			"barOptions": {"stacked": 1},
		}
	)


def report_summary(rows: list[dict]) -> list[dict]:
	if not rows:
		return []
	losing = sum(1 for row in rows if row["profit"] < 0)
	return [
		summary("Customers", len(rows)),
		summary("Total Profit", round(sum(row["profit"] for row in rows), 2), "Currency", "Green"),
		summary("Customers at a Loss", losing, "Int", "Red" if losing else "Green"),
	]


def message(result, capped: bool) -> str:
	notes = [
		_(
			"Amounts in {0}. Profit = revenue less cost of goods, acquisition, support and late payment, each times its weight in CX Insights Settings."
		).format(reporting_currency())
	]
	if result is None:
		notes.append(_("The period starts after today: nothing has happened in it yet."))
		return " ".join(notes)
	weights = ", ".join(
		f"{_(FACTOR_LABELS[factor])} {getattr(result.weights, factor):g}" for factor in FACTORS
	)
	notes.append(_("Weights: {0}.").format(weights))
	if result.from_books:
		notes.append(
			_(
				"Revenue and cost of goods from ERPNext's submitted invoices (credit notes netted); late "
				"payment from the payments allocated to them."
			)
		)
	else:
		notes.append(
			_(
				"Revenue from won opportunities. Cost of goods and late payment need ERPNext's invoices: "
				"they are 0 here."
			)
		)
	notes.append(
		_(
			"Support: call time logged on the customer's issues. Acquisition: the cost of the campaign "
			"that brought a customer created in the period, shared over every customer it brought."
		)
	)
	if any(ranked.contributions["revenue"] < 0 for ranked in result.ranked):
		notes.append(_("A negative revenue means credit notes larger than the invoices of the period."))
	if capped:
		notes.append(_("Figures stop at today: nothing after it has happened yet."))
	return " ".join(notes)
