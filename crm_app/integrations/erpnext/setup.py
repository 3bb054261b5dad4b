"""Follow ERPNext in and out without breaking a record (see items.py).

Frappe calls the app-install hooks for every app; they act only for ERPNext, and the uninstall side only
once ERPNext is really gone: `uninstall-app --dry-run` runs the same hooks and must change nothing.
"""

import frappe

from crm_app.integrations.erpnext.items import follow_item_type_default, products_for_departed_items

# Before opportunity lines said what they sell, a Property Setter switched their one link to Item.
LEGACY_ITEM_LINK = {"doc_type": "CX Opportunity Item", "field_name": "item", "property": "options"}


def remove_legacy_item_link() -> None:
	if frappe.db.exists("Property Setter", LEGACY_ITEM_LINK):
		frappe.db.delete("Property Setter", LEGACY_ITEM_LINK)
		frappe.clear_cache(doctype="CX Opportunity Item")


def setup_erpnext_integration() -> None:
	"""After this app's install and migrate: follow whether ERPNext is there."""
	remove_legacy_item_link()
	follow_item_type_default()


def after_app_install(app_name: str) -> None:
	"""Nothing to convert: lines keep their CX Products, new lines default to ERPNext's Item."""
	if app_name == "erpnext":
		follow_item_type_default()


def after_app_uninstall(app_name: str) -> None:
	if app_name == "erpnext" and "erpnext" not in frappe.get_installed_apps():
		products_for_departed_items()
		follow_item_type_default()
		frappe.db.commit()  # Frappe commits before the after-uninstall hooks, not after them
