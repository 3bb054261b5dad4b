"""Follow ERPNext in and out: opportunity items link to ERPNext's Item while ERPNext is installed."""

import frappe
from frappe.custom.doctype.property_setter.property_setter import make_property_setter

from crm_app.utils import erpnext_installed

ITEM_LINK = ("CX Opportunity Item", "item")


def setup_erpnext_integration() -> None:
	if not erpnext_installed():
		return
	doctype, fieldname = ITEM_LINK
	make_property_setter(
		doctype,
		fieldname,
		"options",
		"Item",
		"Text",
		validate_fields_for_doctype=False,
		is_system_generated=True,
	)
	frappe.clear_cache(doctype=doctype)


def remove_erpnext_integration() -> None:
	doctype, fieldname = ITEM_LINK
	frappe.db.delete("Property Setter", {"doc_type": doctype, "field_name": fieldname, "property": "options"})
	frappe.clear_cache(doctype=doctype)


def after_app_install(app_name: str) -> None:
	if app_name == "erpnext":
		setup_erpnext_integration()


def before_app_uninstall(app_name: str) -> None:
	if app_name == "erpnext":
		remove_erpnext_integration()
