"""Sites installed before the trust issue: opportunity lines say what they sell, deals carry base amounts,
reminder keys become digests, campaigns get their figures, records carry their assignees."""

import frappe

from crm_app.campaigns import refresh_all_campaign_rollups
from crm_app.integrations.erpnext.setup import LEGACY_ITEM_LINK, remove_legacy_item_link
from crm_app.money import recompute_base_amounts
from crm_app.permissions import ASSIGNABLE, refresh_all_assignees
from crm_app.utils import erpnext_installed


def execute():
	set_item_types()
	frappe.db.sql(
		"""update `tabCX Reminder Log` set reminder_key = sha2(
			concat_ws('|', kind, reference_doctype, reference_name, user, due_on), 256)"""
	)
	recompute_base_amounts()
	refresh_all_campaign_rollups()
	for doctype in ASSIGNABLE:
		refresh_all_assignees(doctype)


def set_item_types() -> None:
	"""Lines sold Items where a Property Setter switched the one link to ERPNext's Item."""
	legacy = frappe.db.get_value("Property Setter", LEGACY_ITEM_LINK, "value")
	item_type = "Item" if legacy == "Item" and erpnext_installed() else "CX Product"
	frappe.db.sql(
		"update `tabCX Opportunity Item` set item_type = %s where ifnull(item_type, '') = ''", item_type
	)
	remove_legacy_item_link()
