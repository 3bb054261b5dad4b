"""CX Deals and Invoices (the report's work; its module in cx_sales/report only calls `run`).

- Deals: each deal with books figures or won, in the period (closing date, else expected closing), with
  what was quoted, ordered, invoiced, paid and is outstanding. The figures are kept on the deal by
  books.py, so this is one indexed read of CX Opportunity, not a join over the invoices.
- Invoices Without Deal: submitted invoices (not credit notes) of the period that name no deal, each with
  the customer's likeliest open or won deal (crm_app/core/books/matching.py) for the bulk link.
Both apply get_list's match conditions (crm_app/permissions.py) on every doctype they read, show the
LIMIT rows that matter most and sum all of them in the summary.
"""

import frappe
from frappe import _
from frappe.query_builder import Criterion, Order
from frappe.query_builder.functions import Coalesce, Count, Sum

from crm_app.core.books.matching import DealCandidate, suggest_deal
from crm_app.cx_sales.report.common import column, currency_column, parse_filters, summary, with_currency
from crm_app.integrations.erpnext.books import company_rate
from crm_app.integrations.erpnext.history import may_read_invoices
from crm_app.money import report_note
from crm_app.permissions import match_conditions

LIMIT = 500
DEALS, INVOICES = "Deals", "Invoices Without Deal"
FIGURES = ("quoted_amount", "ordered_amount", "invoiced_amount", "paid_amount", "outstanding_amount")


def run(filters: dict | None):
	filters = frappe._dict(filters or {})
	period = parse_filters(filters, default=None)
	if filters.get("view") == INVOICES:
		return invoices_without_deal(filters, period)
	return deals(filters, period)


# -- deals -------------------------------------------------------------------------------------------


def deals(filters, period):
	deal = frappe.qb.DocType("CX Opportunity")
	criteria = [
		(deal.quoted_amount != 0)
		| (deal.ordered_amount != 0)
		| (deal.invoiced_amount != 0)
		| (deal.status == "Won")
	]
	if period.from_date and period.to_date:
		closing = Coalesce(deal.closed_on, deal.expected_close_date)
		criteria.append(closing[period.from_date : period.to_date])
	if filters.get("customer"):
		criteria.append(deal.customer == filters.customer)
	if (visible := match_conditions("CX Opportunity")) is not None:
		criteria.append(visible)
	where = Criterion.all(criteria)
	rows = (
		frappe.qb.from_(deal)
		.select(
			deal.name.as_("opportunity"),
			deal.title,
			deal.customer,
			deal.party_name,
			deal.status,
			deal.base_amount,
			*[deal[field] for field in FIGURES],
		)
		.where(where)
		.orderby(deal.outstanding_amount, order=Order.desc)
		.orderby(deal.invoiced_amount, order=Order.desc)
		.limit(LIMIT)
		.run(as_dict=True)
	)
	totals = (
		frappe.qb.from_(deal)
		.select(Count("*"), Sum(deal.base_amount), *[Sum(deal[field]) for field in FIGURES])
		.where(where)
		.run()[0]
	)
	count, amount, quoted, ordered, invoiced, paid, outstanding = (value or 0 for value in totals)
	columns = [
		column("Opportunity", "opportunity", "Link", 150, options="CX Opportunity"),
		column("Title", "title", "Data", 180),
		column("Customer", "customer", "Link", 140, options="CX Customer"),
		column("Customer Name", "party_name", "Data", 160),
		column("Status", "status", "Data", 80),
		currency_column("Amount", "base_amount"),
		currency_column("Quoted", "quoted_amount"),
		currency_column("Ordered", "ordered_amount"),
		currency_column("Invoiced", "invoiced_amount"),
		currency_column("Paid", "paid_amount"),
		currency_column("Outstanding", "outstanding_amount"),
	]
	report_summary = [
		summary("Deals", count),
		summary("Amount", amount, "Currency"),
		summary("Quoted", quoted, "Currency"),
		summary("Ordered", ordered, "Currency"),
		summary("Invoiced", invoiced, "Currency", "Green"),
		summary("Paid", paid, "Currency", "Green"),
		summary("Outstanding", outstanding, "Currency", "Orange"),
	]
	message = shown_message(len(rows), count) + report_note()
	return columns, with_currency(rows), message, None, report_summary


# -- invoices without a deal -------------------------------------------------------------------------


def invoices_without_deal(filters, period):
	if not may_read_invoices():
		# Customer-wide lists need the role; invoices shared one by one are read on their own forms.
		frappe.throw(_("You may not read Sales Invoices."), frappe.PermissionError)
	invoice = frappe.qb.DocType("Sales Invoice")
	criteria = [
		invoice.docstatus == 1,
		invoice.is_return == 0,
		invoice.cx_opportunity.isnull() | (invoice.cx_opportunity == ""),  # reads the deal index
	]
	if period.from_date and period.to_date:
		criteria.append(invoice.posting_date[period.from_date : period.to_date])
	if filters.get("customer"):
		criteria.append(
			invoice.customer
			== (frappe.db.get_value("CX Customer", filters.customer, "erpnext_customer") or "")
		)
	if (visible := match_conditions("Sales Invoice")) is not None:
		criteria.append(visible)
	where = Criterion.all(criteria)
	rows = (
		frappe.qb.from_(invoice)
		.select(
			invoice.name.as_("sales_invoice"),
			invoice.posting_date,
			invoice.customer,
			invoice.customer_name,
			invoice.base_grand_total,
			invoice.outstanding_amount,
			invoice.currency.as_("invoice_currency"),
			invoice.grand_total,
			invoice.company,
		)
		.where(where)
		.orderby(invoice.posting_date, order=Order.desc)
		.limit(LIMIT)
		.run(as_dict=True)
	)
	per_company = (
		frappe.qb.from_(invoice)
		.select(invoice.company, Count("*"), Sum(invoice.base_grand_total))
		.where(where)
		.groupby(invoice.company)
		.run()
	)
	count = sum(documents for _company, documents, _total in per_company)
	total = sum(float(amount or 0) * company_rate(company) for company, _count, amount in per_company)
	add_suggestions(rows)
	columns = [
		column("Sales Invoice", "sales_invoice", "Link", 160, options="Sales Invoice"),
		column("Date", "posting_date", "Date", 100),
		column("Customer", "customer", "Link", 140, options="Customer"),
		column("Customer Name", "customer_name", "Data", 160),
		column("Total", "grand_total", "Currency", 120, options="invoice_currency"),
		currency_column("Total (Company Currency)", "base_grand_total"),
		column("Suggested Deal", "suggested_opportunity", "Link", 150, options="CX Opportunity"),
		column("Deal Title", "suggested_title", "Data", 160),
		column("Fit", "fit", "Percent", 70, precision=0),
	]
	report_summary = [
		summary("Invoices Without a Deal", count or 0, indicator="Orange"),
		summary("Their Total", total or 0, "Currency"),
		summary(
			"With a Suggestion", sum(1 for row in rows if row.get("suggested_opportunity")), indicator="Green"
		),
	]
	message = shown_message(len(rows), count or 0) + _(
		"Tick invoices and use Link to Suggested Deals to link them in one go."
	)
	return columns, with_currency(rows), message, None, report_summary


def add_suggestions(rows: list[dict]) -> None:
	"""Each invoice's likeliest deal among its customer's open and won deals the user may see."""
	customers = {row.customer for row in rows}
	if not customers:
		return
	twins = dict(
		frappe.get_all("Customer", {"name": ("in", list(customers))}, ["name", "cx_customer"], as_list=True)
	)
	deal = frappe.qb.DocType("CX Opportunity")
	query = (
		frappe.qb.from_(deal)
		.select(
			deal.name,
			deal.customer,
			deal.base_amount,
			deal.status,
			deal.closed_on,
			deal.expected_close_date,
		)
		.where(deal.customer.isin([twin for twin in twins.values() if twin] or [""]))
		.where(deal.status.isin(["Open", "Won"]))
	)
	if (visible := match_conditions("CX Opportunity")) is not None:
		query = query.where(visible)
	candidates: dict[str, list[DealCandidate]] = {}
	for name, customer, amount, status, closed_on, expected_close_date in query.run():
		on = closed_on or expected_close_date
		candidates.setdefault(customer, []).append(
			DealCandidate(name, float(amount or 0), on, status == "Won")
		)
	for row in rows:
		amount = float(row.base_grand_total or 0) * company_rate(
			row.company
		)  # as the deals: reporting currency
		best = suggest_deal(amount, row.posting_date, candidates.get(twins.get(row.customer), []))
		if best:
			row.suggested_opportunity, row.fit = best[0], round(best[1] * 100)
	suggested = {row.suggested_opportunity for row in rows if row.get("suggested_opportunity")}
	titles = dict(
		frappe.get_all("CX Opportunity", {"name": ("in", list(suggested))}, ["name", "title"], as_list=True)
	)
	for row in rows:
		if row.get("suggested_opportunity"):
			row.suggested_title = titles.get(row.suggested_opportunity)


def shown_message(shown: int, total: int) -> str:
	if total > shown:
		return (
			_("Showing the {0} rows that matter most of {1}; the figures above count all of them.").format(
				shown, total
			)
			+ " "
		)
	return ""
