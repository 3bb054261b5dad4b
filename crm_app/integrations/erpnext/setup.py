"""Follow ERPNext in and out without breaking a record.

Frappe calls the app-install hooks for every app; they act only for ERPNext, and the uninstall side only
once ERPNext is really gone: `uninstall-app --dry-run` runs the same hooks and must change nothing.
When ERPNext arrives (before or after this app): the custom fields of fields.py, the item default of
items.py, and a background job that links the customers ERPNext already has. When it leaves: the fields
go (ERPNext's data stays), and the items deals sold become CX Products.
"""

import frappe

from crm_app.integrations.erpnext.customers import enqueue_backfill
from crm_app.integrations.erpnext.fields import add_custom_fields, add_indexes, remove_custom_fields
from crm_app.integrations.erpnext.items import follow_item_type_default, products_for_departed_items
from crm_app.utils import erpnext_installed

# Before opportunity lines said what they sell, a Property Setter switched their one link to Item.
LEGACY_ITEM_LINK = {"doc_type": "CX Opportunity Item", "field_name": "item", "property": "options"}


def remove_legacy_item_link() -> None:
	if frappe.db.exists("Property Setter", LEGACY_ITEM_LINK):
		frappe.db.delete("Property Setter", LEGACY_ITEM_LINK)
		frappe.clear_cache(doctype="CX Opportunity Item")


def setup_erpnext_integration(link_customers: bool = False) -> None:
	"""After this app's install and migrate: follow whether ERPNext is there."""
	remove_legacy_item_link()
	follow_item_type_default()
	if erpnext_installed():
		add_custom_fields()
		add_indexes()
		if link_customers:
			enqueue_backfill(after_commit=True)  # the worker must see the custom fields
	else:
		remove_custom_fields()


def after_app_install(app_name: str) -> None:
	"""Lines keep their CX Products, new lines default to ERPNext's Item; the customers get linked."""
	if app_name == "erpnext":
		setup_erpnext_integration(link_customers=True)


def after_app_uninstall(app_name: str) -> None:
	if app_name == "erpnext" and "erpnext" not in frappe.get_installed_apps():
		products_for_departed_items()
		setup_erpnext_integration()
		frappe.db.commit()  # Frappe commits before the after-uninstall hooks, not after them
