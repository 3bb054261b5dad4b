# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CXTally(Document):
	"""One row of a tally (crm_app/core/insights/tally.py); written by crm_app.cx_insights.figures only."""
