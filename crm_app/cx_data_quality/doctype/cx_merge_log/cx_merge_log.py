# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CXMergeLog(Document):
	"""What a merge moved and deleted (crm_app/cx_data_quality/merge.py); written by the server only."""
