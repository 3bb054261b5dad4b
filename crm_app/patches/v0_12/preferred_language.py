"""The language fields of customers, leads and contacts are `preferred_language`, no longer `language`
(crm_app/languages.py says why): values move to the new fields, and the app's old Contact field goes
(Frappe keeps its column, as it keeps every dropped field's)."""

import frappe
from frappe.model.utils.rename_field import rename_field

from crm_app.install import CONTACT_LANGUAGE_FIELD, add_contact_language_field

OLD = "language"
NEW = CONTACT_LANGUAGE_FIELD["fieldname"]


def execute():
	for doctype in ("CX Customer", "CX Lead"):
		if frappe.db.has_column(doctype, OLD):
			rename_field(doctype, OLD, NEW)
	old_contact_field = {"dt": "Contact", "fieldname": OLD, "module": CONTACT_LANGUAGE_FIELD["module"]}
	if not frappe.db.exists("Custom Field", old_contact_field):
		return
	add_contact_language_field()
	if frappe.db.exists("Custom Field", {**old_contact_field, "fieldname": NEW}):
		# the app's new field, empty: Frappe's rename moves the values, report columns and property setters
		rename_field("Contact", OLD, NEW)
	else:
		# another app's field of that name (install.py uses it as it is): only its empty values are filled
		contact = frappe.qb.DocType("Contact")
		frappe.qb.update(contact).set(contact[NEW], contact[OLD]).where(
			contact[NEW].isnull() | (contact[NEW] == "")
		).run()
	frappe.db.delete("Custom Field", old_contact_field)
	frappe.clear_cache(doctype="Contact")
