# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CXCampaignTouch(Document):
	"""A record's contact with a campaign; written by the server only (crm_app/cx_marketing/results.py)."""


def on_doctype_update():
	# A campaign's results read its touches by time; attribution reads a record's touches by time.
	frappe.db.add_index("CX Campaign Touch", ["campaign", "touched_on"], "campaign_touched_on_index")
	frappe.db.add_index(
		"CX Campaign Touch",
		["reference_doctype", "reference_name", "touched_on"],
		"reference_touched_on_index",
	)
