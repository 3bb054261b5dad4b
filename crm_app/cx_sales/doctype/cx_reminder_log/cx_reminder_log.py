# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CXReminderLog(Document):
	pass


def on_doctype_update():
	frappe.db.add_index("CX Reminder Log", ["reference_name", "kind"])
