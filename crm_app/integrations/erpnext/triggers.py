"""Trigger conditions and actions that need ERPNext: a left shopping cart, a one-use Coupon Code, and a
customer's own copy of a template Pricing Rule, each for a CRM customer's ERPNext twin."""

import frappe
from frappe import _
from frappe.utils import add_days, add_to_date, escape_html, getdate, now_datetime, nowdate

from crm_app.exceptions import TriggerNeedsERPNextError
from crm_app.utils import erpnext_installed

CART_ORDER_TYPE = "Shopping Cart"  # ERPNext's (and webshop's) order type of a cart Quotation


def check_pricing_rule(pricing_rule: str | None) -> None:
	"""TriggerNeedsERPNextError unless ERPNext is installed and the Pricing Rule exists and is coupon based."""
	check_selling_rule(pricing_rule, _("Coupon codes need ERPNext, which is not installed on this site."))
	if not frappe.db.get_value("Pricing Rule", pricing_rule, "coupon_code_based"):
		frappe.throw(
			_("Pricing Rule {0} is not coupon based: set Coupon Code Based on it first.").format(
				escape_html(pricing_rule)
			),
			TriggerNeedsERPNextError,
		)


def check_template_rule(pricing_rule: str | None) -> None:
	"""TriggerNeedsERPNextError unless ERPNext is installed and the template Pricing Rule exists and sells
	(a rule for one customer is a selling rule)."""
	check_selling_rule(pricing_rule, _("Pricing Rules need ERPNext, which is not installed on this site."))
	if not frappe.db.get_value("Pricing Rule", pricing_rule, "selling"):
		frappe.throw(
			_("Pricing Rule {0} is not for selling: a customer's price is a selling rule.").format(
				escape_html(pricing_rule)
			),
			TriggerNeedsERPNextError,
		)


def check_selling_rule(pricing_rule: str | None, no_erpnext_message: str) -> None:
	if not erpnext_installed():
		frappe.throw(no_erpnext_message, TriggerNeedsERPNextError)
	if not pricing_rule or not frappe.db.exists("Pricing Rule", pricing_rule):
		frappe.throw(
			_("ERPNext has no Pricing Rule {0}.").format(escape_html(str(pricing_rule or ""))),
			TriggerNeedsERPNextError,
		)


def erpnext_twin(cx_customer: str) -> str:
	"""The ERPNext Customer of a CRM customer, made (or matched) if it has none yet."""
	from crm_app.integrations.erpnext.customers import ensure_erpnext_customer

	customer = frappe.db.get_value("CX Customer", cx_customer, "erpnext_customer")
	return customer or ensure_erpnext_customer(frappe.get_doc("CX Customer", cx_customer))


def create_coupon_code(cx_customer: str, pricing_rule: str, valid_days: int = 0) -> str:
	"""A one-use Gift Card coupon of `pricing_rule` for the ERPNext twin of `cx_customer` (made if it has
	none yet); its name."""
	coupon = frappe.get_doc(
		{
			"doctype": "Coupon Code",
			"coupon_name": f"{pricing_rule[:60]}-{frappe.generate_hash(length=10).upper()}",
			"coupon_type": "Gift Card",
			"customer": erpnext_twin(cx_customer),
			"pricing_rule": pricing_rule,
			"valid_from": nowdate(),
			"valid_upto": add_days(nowdate(), valid_days) if valid_days else None,
			"maximum_use": 1,
		}
	)
	coupon.insert(ignore_permissions=True)  # the trigger's authority
	return coupon.name


def apply_pricing_rule(cx_customer: str, template: str, name: str, valid_days: int = 0) -> tuple[str, bool]:
	"""The customer's own copy of the `template` Pricing Rule, named `name`: for their ERPNext twin only,
	enabled from today, until `valid_days` from today (else the template's end). A rule of that name
	already there is kept as it is (a rerun gives nothing twice). (rule name, whether it was made now)."""
	if frappe.db.exists("Pricing Rule", name):
		return name, False
	customer = erpnext_twin(cx_customer)
	source = frappe.get_doc("Pricing Rule", template)
	rule = frappe.copy_doc(source)
	valid_upto = add_days(nowdate(), valid_days) if valid_days else source.valid_upto
	customer_name = frappe.db.get_value("Customer", customer, "customer_name") or customer
	rule.update(
		{
			"title": f"{source.title} - {customer_name}"[:140],
			"disable": 0,
			"applicable_for": "Customer",  # Pricing Rule's validate clears the other party fields
			"customer": customer,
			"valid_from": max(getdate(nowdate()), getdate(source.valid_from or nowdate())),
			"valid_upto": valid_upto,
			# the customer's own rule applies without a coupon, and is no promotional scheme's slab
			"coupon_code_based": 0,
			"promotional_scheme": None,
			"promotional_scheme_id": None,
		}
	)
	rule.insert(ignore_permissions=True, set_name=name)  # the trigger's authority
	return rule.name, True


def left_cart_criterion(customer_table, hours: int):
	"""CX Customers (of `customer_table`) whose ERPNext twin has a draft Shopping Cart Quotation that has
	not changed for `hours` hours: `erpnext_customer IN (SELECT party_name ...)`, which MariaDB runs as one
	semi-join over the carts, not a lookup per customer."""
	return customer_table.erpnext_customer.isin(left_cart_query(hours))


def left_cart_query(hours: int):
	quotation = frappe.qb.DocType("Quotation")
	return (
		frappe.qb.from_(quotation)
		.select(quotation.party_name)
		.distinct()
		.where(
			(quotation.docstatus == 0)
			& (quotation.order_type == CART_ORDER_TYPE)
			& (quotation.quotation_to == "Customer")
			& (quotation.modified <= add_to_date(now_datetime(), hours=-hours))
		)
	)


def left_cart_customers(hours: int) -> list[str]:
	"""The ERPNext customers with a cart left for `hours` hours (the trigger form's live count)."""
	return [row[0] for row in left_cart_query(hours).run()]
