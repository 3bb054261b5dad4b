# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document

from crm_app.core.marketing.capture import slug
from crm_app.utils import validate_date_range


class CXCampaign(Document):
	def validate(self):
		validate_date_range(self, "start_date", "end_date")
		self.currency = self.currency or frappe.db.get_default("currency")
		self.set_utm_slug()

	def set_utm_slug(self):
		# Lead capture finds the campaign a link's utm_campaign names by this indexed value.
		self.utm_slug = slug(self.campaign_name or self.name) or None
