# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CXMergeLogRow(Document):
	"""One reference a merge moved to the surviving record, with where it pointed before."""
