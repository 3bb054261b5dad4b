# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CXDuplicateMember(Document):
	"""A record of a duplicate group, with what it was read as when the group was found."""
