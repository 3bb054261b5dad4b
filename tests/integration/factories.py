"""Small factories and a base class with a rollback after every test."""

import frappe
from frappe.tests.utils import FrappeTestCase


class CXTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")

	def tearDown(self):
		frappe.db.rollback()
		frappe.set_user("Administrator")


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
	return frappe.get_doc(
		{"doctype": "CX Opportunity", "title": "Engine order", "currency": "USD", **values}
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
