"""Customer profitability over a period: the figures each factor needs, read in bulk, ranked by the core
(crm_app/core/insights/profitability.py) with the weights of CX Insights Settings.

- Revenue: ERPNext's submitted invoices net of credit notes (posted in the period) where the integration
  is on; won CX Opportunities (closed in the period, base amount) otherwise.
- Cost of goods: ERPNext's valuation of what was invoiced; 0 without ERPNext (a CX Product has no cost).
- Acquisition: customers who became customers (were created) in the period carry their share of the
  campaign that brought them: the campaign of the lead they were converted from, else of their first won
  deal; its actual cost is shared equally over every customer it brought.
- Support: call time logged on the customer's issues opened in the period, at the support hour rate
  (the app keeps no other record of time spent on an issue).
- Late payment: ERPNext's invoices of the period, each part paid (or still open) after its due date, for
  the days late at the annual rate; 0 without ERPNext (no invoices, no due dates).

Only records the user may read count (`match_conditions`, as `frappe.get_list`): customers, deals,
issues and call logs. How the acquisition cost is shared is a property of the campaign, so it counts every
customer the campaign brought.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import flt, getdate

from crm_app.core.insights.profitability import (
	CustomerFigures,
	ProfitabilityError,
	RankedCustomer,
	Weights,
	acquisition_costs,
	late_payment_costs,
	rank,
)
from crm_app.exceptions import InsightsSettingsError
from crm_app.integrations.erpnext.common import integration_enabled
from crm_app.permissions import match_conditions
from crm_app.utils import core_message

SETTINGS = "CX Insights Settings"
CUSTOMER, OPPORTUNITY, ISSUE, CALL_LOG = "CX Customer", "CX Opportunity", "CX Issue", "CX Call Log"
SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class Profitability:
	ranked: list[RankedCustomer]
	names: dict[str, str]  # customer -> customer name
	support_hours: dict[str, float]
	weights: Weights
	from_books: bool  # revenue, cost of goods and late payment from ERPNext


def settings_values() -> tuple[Weights, float, float]:
	"""(weights, support hour rate, late payment annual rate %) from the settings; bad values refused."""
	settings = frappe.get_cached_doc(SETTINGS)
	try:
		weights = Weights.from_settings(settings.as_dict())
	except ProfitabilityError as error:
		frappe.throw(core_message(error), InsightsSettingsError, title=_("Insights Settings"))
	return weights, flt(settings.support_hour_rate), flt(settings.late_payment_annual_rate)


def customer_profitability(start: date, end: date, today: date | None = None) -> Profitability:
	"""Every customer the user may read with a figure in the period, ranked."""
	today = today or getdate()
	weights, hour_rate, annual_rate = settings_values()
	from_books = integration_enabled()
	figures: dict[str, dict[str, float]] = defaultdict(dict)
	if from_books:
		from crm_app.integrations.erpnext import insights_profitability as books

		for customer, values in books.invoiced_figures(start, end).items():
			figures[customer].update(values)
		late_rows = books.late_payment_rows(start, end)
		for customer, cost in late_payment_costs(late_rows, today, annual_rate).items():
			figures[customer]["late_payment"] = cost
	else:
		for customer, amount in won_revenue(start, end).items():
			figures[customer]["revenue"] = amount
	for customer, cost in acquired_in(start, end).items():
		figures[customer]["acquisition"] = cost
	hours = support_hours(start, end)
	for customer, value in hours.items():
		figures[customer]["support_hours"] = value
	names = readable_customers(figures)
	rows = [
		CustomerFigures(customer, **values)
		for customer, values in figures.items()
		if customer in names and any(values.values())
	]
	try:
		ranked = rank(rows, weights, hour_rate)
	except ProfitabilityError as error:
		frappe.throw(core_message(error), InsightsSettingsError, title=_("Insights Settings"))
	return Profitability(ranked, names, hours, weights, from_books)


def won_revenue(start: date, end: date) -> dict[str, float]:
	deal = frappe.qb.DocType(OPPORTUNITY)
	query = (
		frappe.qb.from_(deal)
		.select(deal.customer, Sum(deal.base_amount))
		.where((deal.status == "Won") & deal.closed_on[start:end])
		.where(deal.customer.isnotnull() & (deal.customer != ""))
		.groupby(deal.customer)
	)
	if (visible := match_conditions(OPPORTUNITY)) is not None:
		query = query.where(visible)
	return {customer: flt(amount) for customer, amount in query.run()}


def acquiring_campaigns() -> dict[str, str]:
	"""Customer -> the campaign that brought them: their lead's, else their first won deal's."""
	deal = frappe.qb.DocType(OPPORTUNITY)
	brought: dict[str, str] = {}
	for customer, campaign in (
		frappe.qb.from_(deal)
		.select(deal.customer, deal.campaign)
		.where((deal.status == "Won") & deal.campaign.isnotnull() & (deal.campaign != ""))
		.where(deal.customer.isnotnull() & (deal.customer != ""))
		.orderby(deal.closed_on, deal.creation, order=frappe.qb.desc)  # the first won comes last
		.run()
	):
		brought[customer] = campaign
	customer, lead = frappe.qb.DocType(CUSTOMER), frappe.qb.DocType("CX Lead")
	for name, campaign in (
		frappe.qb.from_(customer)
		.join(lead)
		.on(lead.name == customer.lead)
		.select(customer.name, lead.campaign)
		.where(lead.campaign.isnotnull() & (lead.campaign != ""))
		.run()
	):
		brought[name] = campaign
	return brought


def acquired_in(start: date, end: date) -> dict[str, float]:
	"""Acquisition cost of the customers created in the period."""
	brought = acquiring_campaigns()
	if not brought:
		return {}
	campaign = frappe.qb.DocType("CX Campaign")
	costs = dict(
		frappe.qb.from_(campaign)
		.select(campaign.name, campaign.base_actual_cost)
		.where(campaign.name.isin(sorted(set(brought.values()))))
		.run()
	)
	shares = acquisition_costs(costs, brought)
	customer = frappe.qb.DocType(CUSTOMER)
	created = set(
		frappe.qb.from_(customer)
		.select(customer.name)
		.where(customer.creation[start : f"{end} 23:59:59.999999"])
		.run(pluck=True)
	)
	return {name: cost for name, cost in shares.items() if name in created and cost}


def support_hours(start: date, end: date) -> dict[str, float]:
	"""Hours of calls logged on each customer's issues opened in the period (readable issues and calls)."""
	issue, call = frappe.qb.DocType(ISSUE), frappe.qb.DocType(CALL_LOG)
	query = (
		frappe.qb.from_(call)
		.join(issue)
		.on((call.reference_doctype == ISSUE) & (call.reference_name == issue.name))
		.select(issue.customer, Sum(call.duration))
		.where(issue.opened_on[start : f"{end} 23:59:59.999999"])
		.where(issue.customer.isnotnull() & (issue.customer != ""))
		.groupby(issue.customer)
	)
	for doctype in (ISSUE, CALL_LOG):
		if (visible := match_conditions(doctype)) is not None:
			query = query.where(visible)
	return {customer: flt(seconds) / SECONDS_PER_HOUR for customer, seconds in query.run() if seconds}


def readable_customers(names) -> dict[str, str]:
	"""Customer -> customer name, for those of `names` the user may read."""
	if not names:
		return {}
	customer = frappe.qb.DocType(CUSTOMER)
	query = frappe.qb.from_(customer).select(customer.name, customer.customer_name)
	if (visible := match_conditions(CUSTOMER)) is not None:
		query = query.where(visible)
	found: dict[str, str] = {}
	names = sorted(names)
	for offset in range(0, len(names), 5000):  # an IN list of bounded size
		found.update(query.where(customer.name.isin(names[offset : offset + 5000])).run())
	return found
