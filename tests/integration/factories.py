"""Small factories and a base class with a rollback after every test."""

import frappe
from frappe.tests.utils import FrappeTestCase


class CXTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")

	def tearDown(self):
		frappe.db.rollback()
		frappe.set_user("Administrator")
		# Frappe keeps the outgoing Email Account it found on frappe.local; one a test made (and rolled
		# back) would make later tests send mail at once, and Email Queue commits what it sends
		frappe.local.outgoing_email_account = {}


def make_lead(**values):
	doc = frappe.get_doc({"doctype": "CX Lead", "first_name": "Ada", "last_name": "Lovelace", **values})
	return doc.insert()


def make_customer(**values):
	return frappe.get_doc(
		{"doctype": "CX Customer", "customer_name": "Analytical Engines", **values}
	).insert()


def make_opportunity(**values):
	if "lead" not in values and "customer" not in values:
		values["customer"] = make_customer().name
	from crm_app.money import reporting_currency

	return frappe.get_doc(
		{"doctype": "CX Opportunity", "title": "Engine order", "currency": reporting_currency(), **values}
	).insert()


def make_user(email: str, *roles: str) -> str:
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		)
		for role in roles:
			user.append("roles", {"role": role})
		user.insert(ignore_permissions=True)
	return email


def count(doctype: str, filters=None) -> int:
	return frappe.db.count(doctype, filters or {})


def make_territory(name: str, parent: str = "All Territories", is_group: int = 0) -> str:
	if not frappe.db.exists("CX Territory", name):
		frappe.get_doc(
			{
				"doctype": "CX Territory",
				"territory_name": name,
				"parent_cx_territory": parent,
				"is_group": is_group,
			}
		).insert()
	return name


def make_competitor(name: str) -> str:
	if not frappe.db.exists("CX Competitor", name):
		frappe.get_doc({"doctype": "CX Competitor", "competitor_name": name}).insert()
	return name


def make_campaign(name: str) -> str:
	if not frappe.db.exists("CX Campaign", name):
		frappe.get_doc({"doctype": "CX Campaign", "campaign_name": name, "status": "Active"}).insert()
	return name


def make_target(history: bool = False, **values):
	"""A CX Sales Target; `history=True` writes one for a closed period, which the form refuses to set."""
	doc = frappe.get_doc({"doctype": "CX Sales Target", "period_type": "Quarter", **values})
	if not history:
		return doc.insert()
	from crm_app.core.periods import period_end

	doc.period_end = period_end(doc.period_type, frappe.utils.getdate(doc.period_start))
	doc.set_new_name()
	doc.db_insert()
	return doc


def make_call_log(**values):
	return frappe.get_doc(
		{"doctype": "CX Call Log", "direction": "Outgoing", "outcome": "Connected", **values}
	).insert()


def make_product(code: str | None = None) -> dict:
	"""An opportunity item row's link: ERPNext's Item where ERPNext is installed, else a CX Product."""
	code = code or f"PRD-{frappe.generate_hash(length=6)}"
	if "erpnext" in frappe.get_installed_apps():
		if not frappe.db.exists("Item", code):
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": code,
					"item_name": code,
					"item_group": erpnext_master(
						"Item Group", "All Item Groups", item_group_name=None, is_group=1
					),
					"stock_uom": erpnext_master("UOM", "Nos", uom_name=None),
					"is_stock_item": 0,
				}
			).insert()
		return {"item_type": "Item", "item": code}
	if not frappe.db.exists("CX Product", code):
		frappe.get_doc({"doctype": "CX Product", "product_code": code, "product_name": code}).insert()
	return {"item_type": "CX Product", "item": code}


def erpnext_master(doctype: str, name: str, **values) -> str:
	"""A master an ERPNext site has only after its setup wizard (the test sites skip it)."""
	if not frappe.db.exists(doctype, name):
		values = {key: value if value is not None else name for key, value in values.items()}
		frappe.get_doc({"doctype": doctype, **values}).insert(ignore_permissions=True)
	return name
