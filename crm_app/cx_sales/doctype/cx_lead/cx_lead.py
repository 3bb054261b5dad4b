# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from crm_app import ownership, scoring
from crm_app.campaigns import queue_campaign_refresh
from crm_app.core.names import full_name
from crm_app.exceptions import LeadNotConvertibleError
from crm_app.utils import normalize_phone_fields

PHONE_FIELDS = ("phone", "mobile_no")


class CXLead(Document):
	def validate(self):
		self.set_full_name()
		self.set_default_owner()
		self.normalize_phones()
		self.validate_converted_status()
		self.set_score()
		self.warn_if_worked_by_others()

	def onload(self):
		self.set_onload("score_breakdown", scoring.breakdown(self))

	def set_full_name(self):
		self.lead_name = full_name(self.first_name, self.last_name, self.organization_name)
		if not self.lead_name:
			frappe.throw(
				_("Enter the person's name or the organisation's name."),
				frappe.MandatoryError,
				title=_("Name Missing"),
			)

	def set_default_owner(self):
		if self.is_new() and not self.lead_owner:
			self.lead_owner = frappe.session.user

	def normalize_phones(self):
		changed = self.is_new() or any(self.has_value_changed(f) for f in (*PHONE_FIELDS, "country"))
		if changed:
			normalize_phone_fields(self, PHONE_FIELDS, self.country)

	def validate_converted_status(self):
		"""'Converted' means a customer exists; it is set by conversion, never typed."""
		if self.status == "Converted" and not self.customer:
			frappe.throw(
				_("Use Convert to turn a lead into a customer; the status follows."), LeadNotConvertibleError
			)
		if self.customer and self.status != "Converted" and self.has_value_changed("status"):
			frappe.throw(
				_("Lead {0} is already converted to customer {1}.").format(self.name, self.customer),
				LeadNotConvertibleError,
			)

	def set_score(self):
		scoring.apply_score(self)

	def warn_if_worked_by_others(self):
		watched = ("email", "mobile_no", "phone", "organization_name")
		if self.is_new() or any(self.has_value_changed(f) for f in watched):
			ownership.warn_about_other_owners(
				self,
				email=self.email,
				phones=(self.mobile_no, self.phone),
				organization=self.organization_name,
			)

	def on_update(self):
		before = self.get_doc_before_save()
		if not before or self.has_value_changed("campaign"):
			queue_campaign_refresh(self.campaign, before.campaign if before else None)

	def on_trash(self):
		queue_campaign_refresh(self.campaign)


def on_doctype_update():
	# Lists filter on status and owner and sort on modified; these serve both at a million rows, and as
	# their prefixes they serve plain status and owner filters too (so those fields carry no own index).
	frappe.db.add_index("CX Lead", ["status", "modified"])
	frappe.db.add_index("CX Lead", ["lead_owner", "modified"])
