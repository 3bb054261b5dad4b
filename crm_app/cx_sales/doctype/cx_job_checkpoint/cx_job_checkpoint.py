# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CXJobCheckpoint(Document):
	"""A resumable job's journal row (crm_app/jobs.py); written by the server only."""
