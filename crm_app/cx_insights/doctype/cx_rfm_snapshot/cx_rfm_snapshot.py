# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CXRFMSnapshot(Document):
	"""A customer's segment on the night it changed; written by the server only (crm_app/cx_insights/value.py)."""


def on_doctype_update():
	# A customer's movement is read by customer and date.
	frappe.db.add_index("CX RFM Snapshot", ["customer", "scored_on"], "customer_scored_on_index")
