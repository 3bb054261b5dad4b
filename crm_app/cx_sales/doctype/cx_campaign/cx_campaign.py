# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document

from crm_app.utils import validate_date_range


class CXCampaign(Document):
	def validate(self):
		validate_date_range(self, "start_date", "end_date")
		self.currency = self.currency or frappe.db.get_default("currency")
