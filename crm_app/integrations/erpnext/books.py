"""A deal's and a customer's figures follow ERPNext's books.

Submitting, cancelling or amending a Quotation, Sales Order, Sales Invoice (credit notes included) or
Payment Entry recomputes each affected opportunity from its submitted documents (one query per deal),
the customer's money (one query per customer) and queues the campaign's refresh. Nothing is added up
incrementally, so `repair_books` (bench command `crm-recompute-books`) can rebuild everything and a
drifted figure is put right by the next document.

Amounts are in the reporting currency: ERPNext's company-currency totals, converted when a company keeps
its books in another currency. Paid is what was invoiced less what is still outstanding.
"""

import frappe
from frappe import _
from frappe.utils import cint, flt, getdate, nowdate

from crm_app.campaigns import queue_campaign_refresh
from crm_app.core.books.deal_books import (
	OPEN,
	WON_WHEN_ORDERED_OR_INVOICED,
	DealDocuments,
	status_from_books,
)
from crm_app.exceptions import MissingExchangeRateError
from crm_app.integrations.erpnext.common import integration_enabled, setting
from crm_app.money import exchange_rate, reporting_currency
from crm_app.server_fields import save_as_server

DEAL = "CX Opportunity"
BOOK_FIELDS = ("quoted_amount", "ordered_amount", "invoiced_amount", "paid_amount", "outstanding_amount")
QUOTATION_LOST_REASON = "Quotation Lost"


# -- document events ---------------------------------------------------------------------------------


def on_document_change(doc, method=None) -> None:
	"""on_submit / on_cancel / on_update_after_submit of Quotation, Sales Order and Sales Invoice."""
	if not integration_enabled():
		return
	deals = {doc.get("cx_opportunity")}
	before = doc.get_doc_before_save() if method == "on_update_after_submit" else None
	if before:
		deals.add(before.get("cx_opportunity"))
	refresh_deals(deals)
	if doc.doctype == "Sales Invoice":
		refresh_customer_money_of([doc.customer])


def on_payment_change(doc, method=None) -> None:
	"""Payment Entry on_submit / on_cancel: the deals of the invoices it pays."""
	if not integration_enabled() or doc.party_type != "Customer":
		return
	refresh_deals({doc.get("cx_opportunity"), *deals_of_references(doc)})
	refresh_customer_money_of([doc.party])


def on_journal_change(doc, method=None) -> None:
	"""Journal Entry on_submit / on_cancel: a payment or write-off booked against invoices or orders."""
	if not integration_enabled():
		return
	rows = [row for row in doc.accounts if row.reference_type in ("Sales Invoice", "Sales Order")]
	if not rows:
		return
	deals = set()
	for doctype in ("Sales Invoice", "Sales Order"):
		names = [row.reference_name for row in rows if row.reference_type == doctype]
		if names:
			deals.update(frappe.get_all(doctype, {"name": ("in", names)}, pluck="cx_opportunity"))
	refresh_deals(deals)
	refresh_customer_money_of([row.party for row in doc.accounts if row.party_type == "Customer"])


def deals_of_references(payment) -> set[str]:
	deals = set()
	for doctype in ("Sales Invoice", "Sales Order"):
		names = [row.reference_name for row in payment.references if row.reference_doctype == doctype]
		if names:
			deals.update(frappe.get_all(doctype, {"name": ("in", names)}, pluck="cx_opportunity"))
	return {deal for deal in deals if deal}


# -- deals -------------------------------------------------------------------------------------------


def refresh_deals(deals) -> None:
	for deal in sorted({deal for deal in deals if deal}):
		refresh_deal(deal)


def refresh_deal(deal: str) -> None:
	"""Set the deal's figures from its submitted documents and, as CX Settings say, its status."""
	current = frappe.db.get_value(
		DEAL, deal, ["status", "status_set_by_books", "campaign", *BOOK_FIELDS], as_dict=True
	)
	if not current:
		return  # the deal was deleted: the document keeps its name, there is nothing to update
	books = deal_documents(deal)
	figures = {
		"quoted_amount": books.quoted,
		"ordered_amount": books.ordered,
		"invoiced_amount": books.invoiced,
		"paid_amount": books.paid,
		"outstanding_amount": books.outstanding,
	}
	if any(flt(current[field], 2) != flt(value, 2) for field, value in figures.items()):
		frappe.db.set_value(DEAL, deal, figures, update_modified=False)
		queue_campaign_refresh(current.campaign)
	change = status_from_books(
		current.status,
		bool(current.status_set_by_books),
		books,
		won_when=setting("mark_won_when", WON_WHEN_ORDERED_OR_INVOICED),
	)
	if change and (change.status != "Lost" or cint(setting("mark_lost_with_quotation", 1))):
		set_status_from_books(deal, change.status, change.by_books)


def set_status_from_books(deal: str, status: str, by_books: bool) -> None:
	doc = frappe.get_doc(DEAL, deal)
	doc.status = status
	doc.status_set_by_books = 1 if by_books and status != OPEN else 0
	if status == "Lost":
		doc.lost_reason = doc.lost_reason or quotation_lost_reason()
		doc.lost_detail = doc.lost_detail or _("Its quotations were lost.")
	if status == OPEN:
		doc.lost_reason = doc.lost_detail = None
	doc.flags.ignore_permissions = True  # the books decide, whoever submitted the document
	doc.flags.status_from_books = True
	save_as_server(doc)
	doc.add_comment("Info", _("Status set to {0} by its quotations, orders and invoices.").format(_(status)))


def documents_of(deal: str) -> dict:
	"""For the deal's form: its latest submitted quotation and order (the next document is made from
	them, through ERPNext's own mapping), or nothing without the integration."""
	if not integration_enabled() or not deal:
		return {}
	latest = {}
	for doctype in ("Quotation", "Sales Order"):
		filters = {"cx_opportunity": deal, "docstatus": 1}
		if doctype == "Quotation":
			filters["status"] = ("not in", ["Lost", "Expired"])
		found = frappe.get_all(doctype, filters, pluck="name", order_by="creation desc", limit=1)
		latest[doctype] = found[0] if found else None
	return latest


def quotation_lost_reason() -> str:
	if not frappe.db.exists("CX Lost Reason", QUOTATION_LOST_REASON):
		frappe.get_doc({"doctype": "CX Lost Reason", "lost_reason": QUOTATION_LOST_REASON}).insert(
			ignore_permissions=True
		)
	return QUOTATION_LOST_REASON


def deal_documents(deal: str) -> DealDocuments:
	"""One query: the deal's submitted quotations, orders and invoices, grouped by company."""
	rows = frappe.db.sql(
		"""select 'Quotation' as kind, company, status = 'Lost' as lost, count(*) as documents,
				sum(base_grand_total) as total, 0 as outstanding
			from `tabQuotation` where cx_opportunity = %(deal)s and docstatus = 1
			group by company, status = 'Lost'
		union all
		select 'Sales Order', company, 0, count(*), sum(base_grand_total), 0
			from `tabSales Order` where cx_opportunity = %(deal)s and docstatus = 1 group by company
		union all
		select 'Sales Invoice', company, 0, count(*), sum(base_grand_total),
				sum(outstanding_amount * conversion_rate)
			from `tabSales Invoice` where cx_opportunity = %(deal)s and docstatus = 1 group by company""",
		{"deal": deal},
		as_dict=True,
	)
	sums = {"quoted": 0.0, "ordered": 0.0, "invoiced": 0.0, "outstanding": 0.0}
	counts = {"lost_quotations": 0, "live_quotations": 0, "orders": 0}
	for row in rows:
		rate = company_rate(row.company)
		total = flt(row.total) * rate
		if row.kind == "Quotation":
			counts["lost_quotations" if row.lost else "live_quotations"] += row.documents
			if not row.lost:
				sums["quoted"] += total
		elif row.kind == "Sales Order":
			counts["orders"] += row.documents
			sums["ordered"] += total
		else:
			sums["invoiced"] += total
			sums["outstanding"] += flt(row.outstanding) * rate
	return DealDocuments(**{key: flt(value, 2) for key, value in sums.items()}, **counts)


def company_rate(company: str) -> float:
	"""Company currency -> reporting currency: 1 when they agree, else Currency Exchange's rate today."""
	currency = frappe.get_cached_value("Company", company, "default_currency")
	target = reporting_currency()
	if not currency or currency == target:
		return 1.0
	found = exchange_rate(currency, target, getdate())
	if not found:
		frappe.throw(
			_("Add a Currency Exchange from {0} to {1}: company {2} keeps its books in {0}.").format(
				currency, target, company
			),
			MissingExchangeRateError,
		)
	return found[0]


# -- customers ---------------------------------------------------------------------------------------


def refresh_customer_money_of(erpnext_customers) -> None:
	for customer in {customer for customer in erpnext_customers if customer}:
		cx_customer = frappe.db.get_value("Customer", customer, "cx_customer")
		if cx_customer:
			frappe.db.set_value("CX Customer", cx_customer, customer_money(customer), update_modified=False)


def customer_money(customer: str) -> dict:
	"""Lifetime value (invoiced net of credit notes), outstanding, overdue and last purchase: one query."""
	rows = frappe.db.sql(
		"""select company, sum(base_grand_total) as invoiced,
				sum(outstanding_amount * conversion_rate) as outstanding,
				sum(if(due_date < %(today)s and outstanding_amount > 0, outstanding_amount * conversion_rate,
					0)) as overdue,
				max(if(is_return = 0, posting_date, null)) as last_purchase
			from `tabSales Invoice` where customer = %(customer)s and docstatus = 1 group by company""",
		{"customer": customer, "today": nowdate()},
		as_dict=True,
	)
	money = {"lifetime_value": 0.0, "outstanding_amount": 0.0, "overdue_amount": 0.0}
	last = None
	for row in rows:
		rate = company_rate(row.company)
		money["lifetime_value"] += flt(row.invoiced) * rate
		money["outstanding_amount"] += flt(row.outstanding) * rate
		money["overdue_amount"] += flt(row.overdue) * rate
		last = max(filter(None, (last, row.last_purchase)), default=None)
	return {
		**{key: flt(value, 2) for key, value in money.items()},
		"last_purchase_on": last,
		"base_currency": reporting_currency(),
	}


def refresh_all_customer_money() -> None:
	"""Every linked customer from the submitted invoices: zero, then one GROUP BY per company joined back
	(each company's totals at its rate to the reporting currency)."""
	frappe.db.sql(
		"""update `tabCX Customer` set lifetime_value = 0, outstanding_amount = 0, overdue_amount = 0,
			last_purchase_on = null, base_currency = %s where ifnull(erpnext_customer, '') != ''""",
		reporting_currency(),
	)
	for company in frappe.get_all("Company", pluck="name"):
		frappe.db.sql(
			"""update `tabCX Customer` cx
			join (select customer, sum(base_grand_total) as invoiced,
					sum(outstanding_amount * conversion_rate) as outstanding,
					sum(if(due_date < %(today)s and outstanding_amount > 0, outstanding_amount * conversion_rate,
						0)) as overdue,
					max(if(is_return = 0, posting_date, null)) as last_purchase
				from `tabSales Invoice` where docstatus = 1 and company = %(company)s group by customer
			) books on books.customer = cx.erpnext_customer
			set cx.lifetime_value = cx.lifetime_value + books.invoiced * %(rate)s,
				cx.outstanding_amount = cx.outstanding_amount + books.outstanding * %(rate)s,
				cx.overdue_amount = cx.overdue_amount + books.overdue * %(rate)s,
				cx.last_purchase_on = greatest(ifnull(cx.last_purchase_on, books.last_purchase),
					ifnull(books.last_purchase, cx.last_purchase_on))""",
			{"today": nowdate(), "company": company, "rate": company_rate(company)},
		)


def repair_books(progress=None) -> int:
	"""Recompute every deal that has documents or figures, every linked customer and every campaign from
	ERPNext's submitted documents (bench command `crm-recompute-books`). Returns the deals refreshed."""
	if not integration_enabled():
		return 0
	deals = set()
	for doctype in ("Quotation", "Sales Order", "Sales Invoice"):
		deals.update(
			frappe.get_all(
				doctype,
				{"docstatus": 1, "cx_opportunity": ("is", "set")},
				pluck="cx_opportunity",
				distinct=True,
			)
		)
	deal = frappe.qb.DocType(DEAL)
	deals.update(
		frappe.qb.from_(deal)
		.select(deal.name)
		.where(
			(deal.quoted_amount != 0)
			| (deal.ordered_amount != 0)
			| (deal.invoiced_amount != 0)
			| (deal.status_set_by_books == 1)
		)
		.run(pluck=True)
	)
	for done, name in enumerate(sorted(deals), 1):
		refresh_deal(name)
		if done % 1000 == 0:
			frappe.db.commit()
			if progress:
				progress(done, len(deals))
	refresh_all_customer_money()
	from crm_app.campaigns import refresh_all_campaign_rollups

	refresh_all_campaign_rollups()  # commits
	return len(deals)
