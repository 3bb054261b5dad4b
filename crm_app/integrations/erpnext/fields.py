"""What the ERPNext integration adds to doctypes, in one place: custom fields in while ERPNext and this app
are both installed, out when either leaves (ERPNext's data is never touched; Frappe keeps the columns).

Fields on this app's own doctypes that point at ERPNext doctypes are custom fields too: a Link to
`Customer` or `Sales Invoice` cannot be part of a doctype that must also load on plain Frappe.
"""

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from crm_app.core.books.deal_books import WON_WHEN, WON_WHEN_ORDERED_OR_INVOICED
from crm_app.core.errors import _lt

# Labels and descriptions are marked with `_lt` (the app's template has them; the desk translates them).
MODULE = "CX Sales"  # Frappe's uninstall of crm_app deletes custom fields of its modules too
DEAL_FIELD = "cx_opportunity"
# ERPNext documents that can belong to a deal; ERPNext's own mappings (Quotation -> Sales Order -> Sales
# Invoice, invoice -> credit note) copy a field of the same name forward.
# Delivery Note only carries the deal from order to invoice.
DEAL_DOCTYPES = ("Quotation", "Sales Order", "Delivery Note", "Sales Invoice", "Payment Entry")
PARTY_FIELD = {
	"Quotation": "party_name",
	"Sales Order": "customer",
	"Delivery Note": "customer",
	"Sales Invoice": "customer",
	"Payment Entry": "party",
}


def _deal_field(doctype: str) -> dict:
	return {
		"fieldname": DEAL_FIELD,
		"label": _lt("CRM Opportunity"),
		"fieldtype": "Link",
		"options": "CX Opportunity",
		"insert_after": PARTY_FIELD[doctype],
		# Accountants link a submitted invoice to its deal after the fact.
		"allow_on_submit": 1,
		"search_index": 1,
		"in_standard_filter": 1,
		"description": _lt("The customer's deal this document belongs to (open or won)."),
	}


def custom_fields() -> dict[str, list[dict]]:
	fields = {doctype: [_deal_field(doctype)] for doctype in DEAL_DOCTYPES}
	fields["Customer"] = [
		{
			"fieldname": "cx_customer",
			"label": _lt("CRM Customer"),
			"fieldtype": "Link",
			"options": "CX Customer",
			"insert_after": "customer_group",
			"read_only": 1,
			"no_copy": 1,
			"search_index": 1,
		}
	]
	fields["CX Customer"] = [
		{
			"fieldname": "erpnext_customer",
			"label": _lt("ERPNext Customer"),
			"fieldtype": "Link",
			"options": "Customer",
			"insert_after": "lead",
			"read_only": 1,
			"no_copy": 1,
			"search_index": 1,
		}
	]
	fields["CX Issue"] = [
		{
			"fieldname": "section_erpnext",
			"label": _lt("Purchase"),
			"fieldtype": "Section Break",
			"insert_after": "description",
			"collapsible": 1,
			"collapsible_depends_on": "eval:doc.sales_invoice || doc.item || doc.serial_no",
		},
		{
			"fieldname": "sales_invoice",
			"label": _lt("Sales Invoice"),
			"fieldtype": "Link",
			"options": "Sales Invoice",
			"insert_after": "section_erpnext",
		},
		{
			"fieldname": "item",
			"label": _lt("Item"),
			"fieldtype": "Link",
			"options": "Item",
			"insert_after": "sales_invoice",
		},
		{
			"fieldname": "serial_no",
			"label": _lt("Serial No"),
			"fieldtype": "Link",
			"options": "Serial No",
			"insert_after": "item",
		},
		{
			"fieldname": "section_recent_purchases",
			"label": _lt("The Customer's Purchases"),
			"fieldtype": "Section Break",
			"insert_after": "serial_no",
			"collapsible": 0,
			"depends_on": "customer",
		},
		{
			"fieldname": "recent_purchases_html",
			"label": _lt("Recent Purchases"),
			"fieldtype": "HTML",
			"insert_after": "section_recent_purchases",
		},
	]
	# SLA holidays may come from ERPNext's Holiday List as well as the policy's own rows.
	fields["CX SLA Policy"] = [
		{
			"fieldname": "holiday_list",
			"label": _lt("Holiday List"),
			"fieldtype": "Link",
			"options": "Holiday List",
			"insert_after": "holidays",
			"description": _lt("Its holidays count as well as the rows above."),
		}
	]
	fields["CX Settings"] = [
		{
			"fieldname": "section_erpnext",
			"label": _lt("ERPNext"),
			"fieldtype": "Section Break",
			"insert_after": "max_follow_up_reminders",
		},
		{
			"fieldname": "erpnext_enabled",
			"label": _lt("Connect to ERPNext"),
			"fieldtype": "Check",
			"default": "1",
			"insert_after": "section_erpnext",
			"description": _lt(
				"Customers, deals and their quotations, orders, invoices and payments follow "
				"each other. Off: the CRM leaves ERPNext alone."
			),
		},
		{
			"fieldname": "create_cx_customers",
			"label": _lt("New ERPNext Customers Become CRM Customers"),
			"fieldtype": "Check",
			"default": "1",
			"insert_after": "erpnext_enabled",
			"depends_on": "erpnext_enabled",
		},
		{
			"fieldname": "create_erpnext_customers",
			"label": _lt("New CRM Customers Become ERPNext Customers"),
			"fieldtype": "Check",
			"default": "1",
			"insert_after": "create_cx_customers",
			"depends_on": "erpnext_enabled",
		},
		{
			"fieldname": "link_existing_customers",
			"label": _lt("Link Existing ERPNext Customers"),
			"fieldtype": "Button",
			"insert_after": "create_erpnext_customers",
			"depends_on": "erpnext_enabled",
			"description": _lt(
				"Runs in the background: each ERPNext customer gets its CRM customer "
				"(matched by tax id, email or name, else created). Safe to run again."
			),
		},
		{
			"fieldname": "column_erpnext",
			"fieldtype": "Column Break",
			"insert_after": "link_existing_customers",
		},
		{
			"fieldname": "erpnext_company",
			"label": _lt("Company"),
			"fieldtype": "Link",
			"options": "Company",
			"insert_after": "column_erpnext",
			"depends_on": "erpnext_enabled",
			"description": _lt(
				"For quotations, orders and invoices made from deals. Empty: the user's default company."
			),
		},
		{
			"fieldname": "selling_price_list",
			"label": _lt("Price List"),
			"fieldtype": "Link",
			"options": "Price List",
			"insert_after": "erpnext_company",
			"depends_on": "erpnext_enabled",
			"description": _lt("The rates items take on deals. Empty: the Selling Settings' price list."),
		},
		{
			"fieldname": "mark_won_when",
			"label": _lt("Mark Deals Won When"),
			"fieldtype": "Select",
			"options": "\n".join(WON_WHEN),
			"default": WON_WHEN_ORDERED_OR_INVOICED,
			"insert_after": "selling_price_list",
			"depends_on": "erpnext_enabled",
		},
		{
			"fieldname": "mark_lost_with_quotation",
			"label": _lt("Mark Deals Lost When Their Quotations Are Lost"),
			"fieldtype": "Check",
			"default": "1",
			"insert_after": "mark_won_when",
			"depends_on": "erpnext_enabled",
		},
		{
			"fieldname": "section_erpnext_maps",
			"label": _lt("ERPNext Territories and Customer Groups"),
			"fieldtype": "Section Break",
			"insert_after": "mark_lost_with_quotation",
			"collapsible": 1,
			"depends_on": "erpnext_enabled",
		},
		{
			"fieldname": "customer_maps",
			"label": _lt("Mapping"),
			"fieldtype": "Table",
			"options": "CX ERPNext Customer Map",
			"insert_after": "section_erpnext_maps",
			"description": _lt(
				"Where ERPNext's territory or customer group puts a CRM customer. A territory "
				"or industry of the same name needs no row."
			),
		},
	]
	return fields


def add_custom_fields() -> None:
	fields = custom_fields()
	for rows in fields.values():
		for row in rows:
			row.setdefault("module", MODULE)
			row.setdefault("is_system_generated", 1)
	create_custom_fields(fields, ignore_validate=True)
	seed_settings_defaults(fields["CX Settings"])


def seed_settings_defaults(rows: list[dict]) -> None:
	"""A single doctype keeps no value for a field added later, and Frappe reads a missing Check as 0:
	write each new setting's default once, so the integration starts switched on."""
	singles = frappe.qb.DocType("Singles")
	stored = set(
		frappe.qb.from_(singles).select(singles.field).where(singles.doctype == "CX Settings").run(pluck=True)
	)
	for row in rows:
		if row.get("default") is not None and row["fieldname"] not in stored:
			frappe.db.set_single_value("CX Settings", row["fieldname"], row["default"])
	frappe.clear_document_cache("CX Settings", "CX Settings")


# CX Deals and Invoices lists and counts a period's invoices without a deal from this index alone.
INVOICE_INDEX = "cx_deal_invoice_index"
# The customer's 360 panel reads its payments newest first; ERPNext indexes only the party type.
PAYMENT_INDEX = "cx_party_posting_index"


def add_indexes() -> None:
	frappe.db.add_index(
		"Sales Invoice",
		[DEAL_FIELD, "docstatus", "is_return", "posting_date", "company", "base_grand_total"],
		INVOICE_INDEX,
	)
	frappe.db.add_index("Payment Entry", ["party", "party_type", "posting_date"], PAYMENT_INDEX)


def drop_indexes() -> None:
	if frappe.db.table_exists("Sales Invoice"):
		frappe.db.sql_ddl("alter table `tabSales Invoice` drop index if exists `cx_deal_invoice_index`")
	if frappe.db.table_exists("Payment Entry"):
		frappe.db.sql_ddl(f"alter table `tabPayment Entry` drop index if exists `{PAYMENT_INDEX}`")


def remove_custom_fields() -> None:
	"""Only the definitions go: the columns, and the links they hold on ERPNext's documents, stay."""
	for doctype, rows in custom_fields().items():
		names = [row["fieldname"] for row in rows]
		frappe.db.delete("Custom Field", {"dt": doctype, "fieldname": ("in", names)})
		frappe.db.delete("Property Setter", {"doc_type": doctype, "field_name": ("in", names)})
		frappe.clear_cache(doctype=doctype)
