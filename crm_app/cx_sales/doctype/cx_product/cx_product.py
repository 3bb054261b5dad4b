# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

from frappe.model.document import Document


class CXProduct(Document):
	def validate(self):
		# Opportunity items fetch `item_name`, the field ERPNext's Item has too.
		self.item_name = self.product_name
