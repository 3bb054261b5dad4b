"""A customer's purchases as ERPNext's books state them, for the CX Customer and CX Issue forms."""

import frappe
from frappe import _
from frappe.query_builder.functions import Count, DateFormat, Max, Sum
from frappe.utils import add_months, get_first_day, getdate, nowdate

from crm_app.exceptions import IssuePurchaseError
from crm_app.integrations.erpnext.books import customer_money
from crm_app.integrations.erpnext.common import integration_enabled

RECENT = 10


@frappe.whitelist()
def purchase_history(customer: str) -> dict:
	"""For a CX Customer the user may read: money figures, totals by month for a year, recent invoices and
	the items bought most. Invoice rows only for users who may read Sales Invoices."""
	cx_customer = frappe.get_doc("CX Customer", customer)
	cx_customer.check_permission("read")
	erpnext_customer = cx_customer.get("erpnext_customer")
	if not integration_enabled() or not erpnext_customer:
		return {}
	invoice = frappe.qb.DocType("Sales Invoice")
	line = frappe.qb.DocType("Sales Invoice Item")
	submitted = (invoice.customer == erpnext_customer) & (invoice.docstatus == 1)
	since = get_first_day(add_months(getdate(nowdate()), -11))
	by_month = (
		frappe.qb.from_(invoice)
		.select(
			DateFormat(invoice.posting_date, "%Y-%m").as_("month"),
			Sum(invoice.base_grand_total).as_("total"),
		)
		.where(submitted & (invoice.posting_date >= since))
		.groupby(DateFormat(invoice.posting_date, "%Y-%m"))
		.run(as_dict=True)
	)
	items = (
		frappe.qb.from_(line)
		.join(invoice)
		.on(invoice.name == line.parent)
		.select(
			line.item_code,
			Max(line.item_name).as_("item_name"),
			Sum(line.stock_qty).as_("qty"),
			Sum(line.base_net_amount).as_("amount"),
			Max(invoice.posting_date).as_("last_on"),
		)
		.where(submitted)
		.groupby(line.item_code)
		.orderby(Sum(line.base_net_amount), order=frappe.qb.desc)
		.limit(RECENT)
		.run(as_dict=True)
	)
	may_read_invoices = frappe.has_permission("Sales Invoice", "read")
	invoices = (
		frappe.get_list(
			"Sales Invoice",
			filters={"customer": erpnext_customer, "docstatus": 1},
			fields=[
				"name",
				"posting_date",
				"due_date",
				"grand_total",
				"currency",
				"outstanding_amount",
				"status",
				"is_return",
				"cx_opportunity",
			],
			order_by="posting_date desc",
			limit_page_length=RECENT,
		)
		if may_read_invoices
		else []
	)
	count = (
		frappe.qb.from_(invoice).select(Count("*")).where(submitted & (invoice.is_return == 0)).run()[0][0]
	)
	return {
		"customer": erpnext_customer,
		"money": customer_money(erpnext_customer),
		"company_currency": frappe.db.get_default("currency"),
		"invoice_count": count,
		"by_month": by_month,
		"items": items,
		"invoices": invoices,
		"invoices_hidden": not may_read_invoices,
		"labels": {"none": _("No submitted invoices yet.")},
	}


@frappe.whitelist()
@frappe.validate_and_sanitize_search_inputs
def invoice_query(doctype: str, txt: str, searchfield: str, start: int, page_len: int, filters: dict):
	"""Link search for an issue's invoice: the issue customer's submitted invoices the user may read."""
	cx_customer = (filters or {}).get("cx_customer")
	customer = cx_customer and frappe.db.get_value("CX Customer", cx_customer, "erpnext_customer")
	if not customer:
		return []
	return frappe.get_list(
		"Sales Invoice",
		filters={"customer": customer, "docstatus": 1, "name": ("like", f"%{txt}%")},
		fields=["name", "posting_date", "grand_total"],
		order_by="posting_date desc",
		limit_start=start,
		limit_page_length=page_len,
		as_list=True,
	)


def check_issue_purchase(issue) -> None:
	"""An issue's invoice is one of its customer's; the item, if given with an invoice, is on it."""
	invoice = issue.get("sales_invoice")
	if not invoice or not integration_enabled():
		return
	customer = issue.customer and frappe.db.get_value("CX Customer", issue.customer, "erpnext_customer")
	if frappe.db.get_value("Sales Invoice", invoice, "customer") != customer:
		frappe.throw(
			_("Sales Invoice {0} is not an invoice of this issue's customer.").format(invoice),
			IssuePurchaseError,
		)
	item = issue.get("item")
	if item and not frappe.db.exists("Sales Invoice Item", {"parent": invoice, "item_code": item}):
		frappe.throw(_("Item {0} is not on Sales Invoice {1}.").format(item, invoice), IssuePurchaseError)
