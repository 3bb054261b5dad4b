# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CXTally(Document):
	"""One row of a tally (crm_app/core/insights/tally.py); written by crm_app.cx_insights.figures only."""


def on_doctype_update():
	# A widget reads one tally, almost always with a condition on its first dimension (the status).
	frappe.db.add_index("CX Tally", ["tally", "dim_1"])
