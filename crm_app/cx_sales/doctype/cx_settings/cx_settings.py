# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

from frappe.model.document import Document

from crm_app import money


class CXSettings(Document):
	def on_update(self):
		if self.has_value_changed("default_currency"):
			# Every deal's amount in the new reporting currency; cards and charts show it.
			money.set_display_currency()
			money.enqueue_recompute()
