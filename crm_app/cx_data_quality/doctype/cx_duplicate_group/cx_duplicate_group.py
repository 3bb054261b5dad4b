# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CXDuplicateGroup(Document):
	"""Records the duplicate scan found to be one party (crm_app/cx_data_quality/duplicates.py)."""
