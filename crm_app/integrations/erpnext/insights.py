"""Purchase rows for the customer value job (crm_app/cx_insights/value.py) from ERPNext's books.

A purchase row is a submitted Sales Invoice of an ERPNext customer linked to a CX Customer
(`Customer.cx_customer`): its posting date and its net total (before taxes) in the reporting currency.
Returns (credit notes, `is_return`) are submitted invoices with negative totals: they come as they are,
and the RFM rules net them (crm_app/core/insights/rfm.py).
"""

from collections.abc import Iterator
from datetime import date

import frappe
from frappe.utils import flt

from crm_app.integrations.erpnext.books import company_rate

BATCH = 50_000


def purchase_rows(since: date, batch_size: int = BATCH) -> Iterator[tuple[str, date, float]]:
	"""(CX Customer, posting date, net total in the reporting currency) of every submitted Sales Invoice
	posted on or after `since` (and later than today too: the core counts and skips those), in keyset
	batches by invoice name."""
	customer = frappe.qb.DocType("Customer")
	twins = dict(
		frappe.qb.from_(customer)
		.select(customer.name, customer.cx_customer)
		.where(customer.cx_customer.isnotnull() & (customer.cx_customer != ""))
		.run()
	)
	if not twins:
		return
	rates: dict[str, float] = {}
	invoice = frappe.qb.DocType("Sales Invoice")
	last = ""
	while True:
		rows = (
			frappe.qb.from_(invoice)
			.select(
				invoice.name, invoice.customer, invoice.posting_date, invoice.company, invoice.base_net_total
			)
			.where((invoice.docstatus == 1) & (invoice.posting_date >= since) & (invoice.name > last))
			.orderby(invoice.name)
			.limit(batch_size)
			.run()
		)
		if not rows:
			return
		for _name, erpnext_customer, posting_date, company, amount in rows:
			cx_customer = twins.get(erpnext_customer)
			if not cx_customer:
				continue
			if company not in rates:
				rates[company] = company_rate(company)
			yield cx_customer, posting_date, flt(amount) * rates[company]
		last = rows[-1][0]
