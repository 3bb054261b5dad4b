"""Trigger actions that need ERPNext: a one-use Coupon Code for a customer's ERPNext twin."""

import frappe
from frappe import _
from frappe.utils import add_days, escape_html, nowdate

from crm_app.exceptions import TriggerNeedsERPNextError
from crm_app.utils import erpnext_installed


def check_pricing_rule(pricing_rule: str | None) -> None:
	"""TriggerNeedsERPNextError unless ERPNext is installed and the Pricing Rule exists and is coupon based."""
	if not erpnext_installed():
		frappe.throw(
			_("Coupon codes need ERPNext, which is not installed on this site."), TriggerNeedsERPNextError
		)
	if not pricing_rule or not frappe.db.exists("Pricing Rule", pricing_rule):
		frappe.throw(
			_("ERPNext has no Pricing Rule {0}.").format(escape_html(str(pricing_rule or ""))),
			TriggerNeedsERPNextError,
		)
	if not frappe.db.get_value("Pricing Rule", pricing_rule, "coupon_code_based"):
		frappe.throw(
			_("Pricing Rule {0} is not coupon based: set Coupon Code Based on it first.").format(
				escape_html(pricing_rule)
			),
			TriggerNeedsERPNextError,
		)


def create_coupon_code(cx_customer: str, pricing_rule: str, valid_days: int = 0) -> str:
	"""A one-use Gift Card coupon of `pricing_rule` for the ERPNext twin of `cx_customer` (made if it has
	none yet); its name."""
	from crm_app.integrations.erpnext.customers import ensure_erpnext_customer

	customer = frappe.db.get_value("CX Customer", cx_customer, "erpnext_customer")
	if not customer:
		customer = ensure_erpnext_customer(frappe.get_doc("CX Customer", cx_customer))
	coupon = frappe.get_doc(
		{
			"doctype": "Coupon Code",
			"coupon_name": f"{pricing_rule[:60]}-{frappe.generate_hash(length=10).upper()}",
			"coupon_type": "Gift Card",
			"customer": customer,
			"pricing_rule": pricing_rule,
			"valid_from": nowdate(),
			"valid_upto": add_days(nowdate(), valid_days) if valid_days else None,
			"maximum_use": 1,
		}
	)
	coupon.insert(ignore_permissions=True)  # the trigger's authority
	return coupon.name
