"""A customer's purchases as ERPNext's books state them, for the CX Customer and CX Issue forms."""

import frappe
from frappe import _
from frappe.permissions import get_role_permissions
from frappe.query_builder.functions import Count, DateFormat, Max, Sum
from frappe.utils import add_months, flt, get_first_day, getdate, nowdate

from crm_app.exceptions import IssuePurchaseError
from crm_app.integrations.erpnext.books import company_rate
from crm_app.integrations.erpnext.common import integration_enabled
from crm_app.money import reporting_currency
from crm_app.permissions import match_conditions

RECENT = 10


@frappe.whitelist()
def purchase_history(customer: str) -> dict:
	"""For a CX Customer the user may read: its money figures (kept on the customer); and, for users who
	may read Sales Invoices, invoiced by month over a year, the items bought most and the recent
	invoices, all under the same User Permissions as their invoice list."""
	cx_customer = frappe.get_doc("CX Customer", customer)
	cx_customer.check_permission("read")
	erpnext_customer = cx_customer.get("erpnext_customer")
	if not integration_enabled() or not erpnext_customer:
		return {}
	result = {
		"customer": erpnext_customer,
		"money": {
			"lifetime_value": cx_customer.lifetime_value,
			"outstanding_amount": cx_customer.outstanding_amount,
			"overdue_amount": cx_customer.overdue_amount,
			"last_purchase_on": cx_customer.last_purchase_on,
			"base_currency": cx_customer.base_currency or reporting_currency(),
		},
		"labels": {"none": _("No submitted invoices yet.")},
		"invoices_hidden": not may_read_invoices(),
		"invoice_count": 0,
		"by_month": [],
		"items": [],
		"invoices": [],
	}
	if result["invoices_hidden"]:
		return result
	invoice = frappe.qb.DocType("Sales Invoice")
	line = frappe.qb.DocType("Sales Invoice Item")
	submitted = (invoice.customer == erpnext_customer) & (invoice.docstatus == 1)
	if (visible := match_conditions("Sales Invoice")) is not None:
		submitted = submitted & visible
	since = get_first_day(add_months(getdate(nowdate()), -11))
	month = DateFormat(invoice.posting_date, "%Y-%m")
	by_month = (
		frappe.qb.from_(invoice)
		.select(month, invoice.company, Sum(invoice.base_grand_total))
		.where(submitted & (invoice.posting_date >= since))
		.groupby(month, invoice.company)
		.run()
	)
	items = (
		frappe.qb.from_(line)
		.join(invoice)
		.on(invoice.name == line.parent)
		.select(
			line.item_code,
			invoice.company,
			Max(line.item_name),
			Sum(line.stock_qty),
			Sum(line.base_net_amount),
			Max(invoice.posting_date),
		)
		.where(submitted)
		.groupby(line.item_code, invoice.company)
		.run()
	)
	result["by_month"] = [
		{"month": key, "total": total} for key, total in sorted(converted(by_month, 2, group=0).items())
	]
	result["items"] = top_items(items)
	result["invoice_count"] = (
		frappe.qb.from_(invoice).select(Count("*")).where(submitted & (invoice.is_return == 0)).run()[0][0]
	)
	result["invoices"] = frappe.get_list(
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
	return result


def may_read_invoices() -> bool:
	"""By role: a user who sees only invoices shared with them gets no customer-wide figures."""
	return bool(get_role_permissions(frappe.get_meta("Sales Invoice")).get("read"))


def converted(rows, amount_index: int, group: int) -> dict:
	"""Sum company-currency amounts per group in the reporting currency (row[1] is the company)."""
	sums: dict = {}
	for row in rows:
		sums[row[group]] = sums.get(row[group], 0.0) + flt(row[amount_index]) * company_rate(row[1])
	return sums


def top_items(rows) -> list[dict]:
	items: dict = {}
	for code, company, name, qty, amount, last_on in rows:
		item = items.setdefault(
			code, {"item_code": code, "item_name": name, "qty": 0.0, "amount": 0.0, "last_on": last_on}
		)
		item["qty"] += flt(qty)
		item["amount"] += flt(amount) * company_rate(company)
		item["last_on"] = max(item["last_on"], last_on)
	return sorted(items.values(), key=lambda item: item["amount"], reverse=True)[:RECENT]


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
	before = issue.get_doc_before_save()
	if before and before.get("sales_invoice") == invoice and before.get("item") == issue.get("item"):
		return
	if not frappe.has_permission("Sales Invoice", "read", doc=invoice):
		frappe.throw(_("You cannot link Sales Invoice {0}.").format(invoice), IssuePurchaseError)
	customer = issue.customer and frappe.db.get_value("CX Customer", issue.customer, "erpnext_customer")
	if frappe.db.get_value("Sales Invoice", invoice, "customer") != customer:
		frappe.throw(
			_("Sales Invoice {0} is not an invoice of this issue's customer.").format(invoice),
			IssuePurchaseError,
		)
	item = issue.get("item")
	if item and not frappe.db.exists("Sales Invoice Item", {"parent": invoice, "item_code": item}):
		frappe.throw(_("Item {0} is not on Sales Invoice {1}.").format(item, invoice), IssuePurchaseError)
