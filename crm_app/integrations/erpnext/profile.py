"""ERPNext's documents on the 360 panel of a CX Customer: quotations, sales orders, sales invoices and
payments of its ERPNext Customer, each under the user's own permissions on that doctype (a user who may
not read Sales Invoices sees none). Hooked in through `cx_profile_sources` (hooks.py); nothing without
ERPNext, with the integration off, or for a customer without an ERPNext twin. The payments' index is
added with the integration's others (fields.py)."""

import frappe
from frappe import _

from crm_app.core.errors import _lt
from crm_app.integrations.erpnext.common import integration_enabled

# kind: (doctype, party condition, date column, amount column)
DOCUMENTS = {
	"quotation": ("Quotation", "party_name", "transaction_date", "grand_total"),
	"sales_order": ("Sales Order", "customer", "transaction_date", "grand_total"),
	"sales_invoice": ("Sales Invoice", "customer", "posting_date", "grand_total"),
	"payment": ("Payment Entry", "party", "posting_date", "paid_amount"),
}
KINDS = {
	"quotation": (_lt("Quotation"), "file"),
	"sales_order": (_lt("Sales Order"), "sell"),
	"sales_invoice": (_lt("Sales Invoice"), "accounting"),
	"payment": (_lt("Payment"), "income"),
}


def kinds() -> dict:
	return KINDS if integration_enabled() else {}


def timeline_sources(doc) -> list:
	customer = doc.get("erpnext_customer") if doc.doctype == "CX Customer" else None
	if not customer or not integration_enabled():
		return []
	from crm_app.cx_sales.profile import query_source, restricted

	sources = []
	for kind, (doctype, party, posted, amount) in DOCUMENTS.items():
		table = frappe.qb.DocType(doctype)
		query = frappe.qb.from_(table).where((table[party] == customer) & (table.docstatus < 2))
		if doctype == "Quotation":
			query = query.where(table.quotation_to == "Customer")
		if doctype == "Payment Entry":
			query = query.where(table.party_type == "Customer")
		query = restricted(query, doctype)
		if query is not None:
			fields = [table.status, table.docstatus, table[amount].as_("amount"), currency(table)]
			sources.append(
				query_source(
					kind,
					query,
					table[posted],
					table.name,
					fields,
					lambda row, kind=kind: document_entry(row, kind),
					date_only=True,
				)
			)
	return sources


def currency(table):
	if table._table_name == "tabPayment Entry":
		return table.paid_from_account_currency.as_("currency")  # what paid_amount is in
	return table.currency


def document_entry(row, kind: str) -> dict:
	doctype = DOCUMENTS[kind][0]
	return {
		"kind": kind,
		"doctype": doctype,
		"name": row._name,
		"title": row._name,
		"status": _("Draft") if row.docstatus == 0 else row.status,
		"amount": row.amount,
		"currency": row.currency,
	}
