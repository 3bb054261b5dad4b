"""A deal's and a customer's figures follow ERPNext's books.

Submitting, cancelling or amending a Quotation, Sales Order, Sales Invoice (credit notes included) or
Payment Entry recomputes each affected opportunity from its submitted documents (one query per deal),
the customer's money (one query per customer) and queues the campaign's refresh. Nothing is added up
incrementally, so `repair_books` (bench command `crm-recompute-books`) can rebuild everything and a
drifted figure is put right by the next document.

Amounts are in the reporting currency: ERPNext's company-currency totals (the rounded total where the
document rounds, as its outstanding amount does), converted when a company keeps its books in another
currency. Outstanding is kept in the receivable account's currency, converted to the company's only when
that differs. Paid is what was invoiced less what is still outstanding.
"""

import frappe
from frappe import _
from frappe.utils import cint, flt, getdate, nowdate

from crm_app.campaigns import queue_campaign_refresh
from crm_app.core.books.deal_books import (
	BY_DOCUMENTS,
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
	follow_books(deals, [doc.customer] if doc.doctype == "Sales Invoice" else [], again_after_commit=True)


def on_payment_change(doc, method=None) -> None:
	"""Payment Entry on_submit / on_cancel / on_update_after_submit: the deals of what it pays."""
	if not integration_enabled() or doc.party_type != "Customer":
		return
	deals = {doc.get("cx_opportunity"), *deals_of(doc.references, "reference_doctype", "reference_name")}
	follow_books(deals, [doc.party], again_after_commit=True)


def on_journal_change(doc, method=None) -> None:
	"""Journal Entry on_submit / on_cancel / on_update_after_submit: a payment, write-off or
	reconciliation booked against invoices or orders."""
	if not integration_enabled():
		return
	rows = [row for row in doc.accounts if row.reference_type in ("Sales Invoice", "Sales Order")]
	if rows:
		customers = [row.party for row in doc.accounts if row.party_type == "Customer"]
		follow_books(deals_of(rows, "reference_type", "reference_name"), customers, again_after_commit=True)


def deals_of(rows, doctype_field: str, name_field: str) -> set[str]:
	deals = set()
	for doctype in ("Sales Invoice", "Sales Order"):
		names = [row.get(name_field) for row in rows if row.get(doctype_field) == doctype]
		if names:
			deals.update(frappe.get_all(doctype, {"name": ("in", names)}, pluck="cx_opportunity"))
	return {deal for deal in deals if deal}


def follow_books(deals, customers, again_after_commit: bool = False) -> None:
	"""Recompute the deals and customers, without ever stopping the accounting document: any failure (say
	a missing exchange rate) is rolled back to here, logged, and told to the user; the figures wait for
	the next document or `crm-recompute-books`.

	They are recomputed once more after commit (`refresh_later`): this transaction cannot see a document
	of the same deal that another one submits at the same moment (two accountants invoicing one deal
	would each leave out the other's invoice), and ERPNext's reconciliation saves a payment before it
	updates the invoice's outstanding amount."""
	deals = sorted({deal for deal in deals if deal})
	customers = sorted({customer for customer in customers if customer})
	if not (deals or customers):
		return
	frappe.db.savepoint(SAVEPOINT)
	try:
		refresh_deals(deals)
		refresh_customer_money_of(customers)
	except Exception as error:
		if isinstance(error, frappe.QueryDeadlockError) or frappe.db.is_deadlocked(error):
			raise  # the whole transaction is gone: the document's own save must fail and be retried
		frappe.db.rollback(save_point=SAVEPOINT)
		frappe.log_error(title=_("CRM figures not updated"), reference_doctype=DEAL)
		frappe.msgprint(
			_("Saved. The CRM's deal and customer figures could not be updated: see the Error Log."),
			indicator="orange",
			alert=True,
		)
		return
	if again_after_commit:
		frappe.enqueue(
			"crm_app.integrations.erpnext.books.refresh_later",
			queue="short",
			deals=deals,
			customers=customers,
			enqueue_after_commit=True,
		)


SAVEPOINT = "crm_app_books"


def refresh_later(deals: list[str], customers: list[str]) -> None:
	"""Each figure from a snapshot taken after its record is locked, so that every document committed
	before it counts, and a slower job with an older snapshot cannot write over a newer figure."""
	for deal in sorted({deal for deal in deals if deal}):
		frappe.db.commit()  # a new transaction: its snapshot starts at the first plain read, after the lock
		if frappe.db.sql("select name from `tabCX Opportunity` where name = %s for update", deal):
			refresh_deal(deal)
	for customer in sorted({customer for customer in customers if customer}):
		frappe.db.commit()
		locked = frappe.db.sql(
			"select name from `tabCX Customer` where erpnext_customer = %s for update", customer
		)
		if locked:
			frappe.db.set_value("CX Customer", locked[0][0], customer_money(customer), update_modified=False)
	frappe.db.commit()


# -- deals -------------------------------------------------------------------------------------------


def refresh_deals(deals) -> None:
	for deal in sorted({deal for deal in deals if deal}):
		refresh_deal(deal)


def refresh_deal(deal: str, status_now: bool = False) -> None:
	"""Set the deal's figures from its submitted documents, in this transaction; and, as CX Settings say,
	its status: a full save of the deal (closing date, probability, stage log, history), so it runs in a
	short job right after the document commits, and the accountant's submit does not wait for it."""
	current = frappe.db.get_value(
		DEAL, deal, ["status", "status_set_by", "campaign", *BOOK_FIELDS], as_dict=True
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
	if books_status(current, books):
		if status_now:
			apply_books_status(deal)
		else:
			frappe.enqueue(
				"crm_app.integrations.erpnext.books.apply_books_status",
				queue="short",
				deal=deal,
				job_id=f"crm_app:deal_status:{deal}",
				deduplicate=True,
				enqueue_after_commit=True,
				now=bool(frappe.flags.in_test),  # tests see the status in their own transaction
			)


def books_status(current, books: DealDocuments) -> str | None:
	return status_from_books(
		current.status,
		current.status_set_by,
		books,
		won_when=setting("mark_won_when", WON_WHEN_ORDERED_OR_INVOICED),
		lose_with_quotations=bool(cint(setting("mark_lost_with_quotation", 1))),
	)


def apply_books_status(deal: str) -> None:
	"""The status the documents call for now (read afresh: more documents may have come since)."""
	current = frappe.db.get_value(DEAL, deal, ["status", "status_set_by"], as_dict=True)
	status = current and books_status(current, deal_documents(deal))
	if status:
		set_status_from_books(deal, status)


def set_status_from_books(deal: str, status: str) -> None:
	doc = frappe.get_doc(DEAL, deal)
	doc.status = status
	doc.status_set_by = BY_DOCUMENTS
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
		if doctype == "Quotation":  # the next document is made from what is still open
			filters["status"] = ("not in", ["Lost", "Expired", "Ordered"])
		else:
			filters["per_billed"] = ("<", 100)
			filters["status"] = ("not in", ["Closed", "On Hold"])
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
				sum(if(base_rounded_total != 0, base_rounded_total, base_grand_total)) as total, 0 as outstanding
			from `tabQuotation` where cx_opportunity = %(deal)s and docstatus = 1
			group by company, status = 'Lost'
		union all
		select 'Sales Order', company, 0, count(*), sum(if(base_rounded_total != 0, base_rounded_total, base_grand_total)), 0
			from `tabSales Order` where cx_opportunity = %(deal)s and docstatus = 1 group by company
		union all
		select 'Sales Invoice', company, 0, count(*), sum(if(base_rounded_total != 0, base_rounded_total, base_grand_total)),
				sum(if(party_account_currency = currency, outstanding_amount * conversion_rate, outstanding_amount))
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
		"""select company, sum(if(base_rounded_total != 0, base_rounded_total, base_grand_total)) as invoiced,
				sum(if(party_account_currency = currency, outstanding_amount * conversion_rate, outstanding_amount)) as outstanding,
				sum(if(due_date < %(today)s and outstanding_amount > 0, if(party_account_currency = currency, outstanding_amount * conversion_rate, outstanding_amount), 0)) as overdue,
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
			join (select customer, sum(if(base_rounded_total != 0, base_rounded_total, base_grand_total)) as invoiced,
					sum(if(party_account_currency = currency, outstanding_amount * conversion_rate, outstanding_amount)) as outstanding,
					sum(if(due_date < %(today)s and outstanding_amount > 0, if(party_account_currency = currency, outstanding_amount * conversion_rate, outstanding_amount), 0)) as overdue,
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
			| (deal.status_set_by == BY_DOCUMENTS)
		)
		.run(pluck=True)
	)
	for done, name in enumerate(sorted(deals), 1):
		refresh_deal(name, status_now=True)
		if done % 1000 == 0:
			frappe.db.commit()
			if progress:
				progress(done, len(deals))
	refresh_all_customer_money()
	from crm_app.campaigns import refresh_all_campaign_rollups

	refresh_all_campaign_rollups()  # commits
	return len(deals)
