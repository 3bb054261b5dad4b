# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt, nowdate

from crm_app.core import pipeline
from crm_app.exceptions import LostReasonRequiredError, MissingPartyError, OpportunityClosedError
from crm_app.utils import get_settings


class CXOpportunity(Document):
	def validate(self):
		self.validate_party()
		self.set_party_name()
		self.set_defaults()
		self.set_item_amounts()
		self.set_probability()
		self.validate_closing()
		self.weighted_amount = pipeline.weighted_amount(self.amount, self.probability)

	def validate_party(self):
		if not (self.lead or self.customer):
			frappe.throw(_("Select the lead or the customer this opportunity is for."), MissingPartyError)
		if self.lead and not self.customer:
			self.customer = frappe.db.get_value("CX Lead", self.lead, "customer")

	def set_party_name(self):
		if self.customer:
			self.party_name = frappe.db.get_value("CX Customer", self.customer, "customer_name")
		else:
			self.party_name = frappe.db.get_value("CX Lead", self.lead, "lead_name")

	def set_defaults(self):
		settings = get_settings()
		self.status = self.status or pipeline.OPEN  # data import skips field defaults
		self.currency = (
			self.currency or settings.default_currency or frappe.db.get_default("currency") or "USD"
		)
		self.sales_stage = self.sales_stage or settings.default_sales_stage or first_stage()
		if self.is_new() and not self.opportunity_owner:
			self.opportunity_owner = frappe.session.user

	def set_item_amounts(self):
		for row in self.items:
			row.amount = pipeline.items_total([(row.qty, row.rate)])
			row.currency = self.currency
		if self.items:
			self.amount = pipeline.items_total([(row.qty, row.rate) for row in self.items])

	def set_probability(self):
		before = self.get_doc_before_save()
		stage_default = stage_probability(self.sales_stage)
		if before and not self.has_value_changed("sales_stage"):
			probability = self.probability
		else:
			probability = pipeline.probability_after_stage_change(
				old_stage_default=stage_probability(before.sales_stage) if before else None,
				new_stage_default=stage_default,
				old_probability=flt(before.probability) if before else None,
				new_probability=None if self.is_new() and not self.probability else flt(self.probability),
			)
		self.probability = pipeline.probability_for_status(self.status, flt(probability))

	def validate_closing(self):
		if self.status == pipeline.LOST and not self.lost_reason:
			frappe.throw(
				_("Select why the opportunity was lost."), LostReasonRequiredError, title=_("Lost Reason")
			)
		if self.status == pipeline.OPEN:
			self.lost_reason = self.lost_detail = self.closed_on = None
		elif self.has_value_changed("status") or not self.closed_on:
			self.closed_on = nowdate()

	@frappe.whitelist(methods=["POST"])
	def mark_won(self):
		self.set_status(pipeline.WON)

	@frappe.whitelist(methods=["POST"])
	def mark_lost(self, lost_reason: str, lost_detail: str | None = None):
		self.lost_reason = lost_reason
		self.lost_detail = lost_detail
		self.set_status(pipeline.LOST)

	@frappe.whitelist(methods=["POST"])
	def reopen(self):
		self.probability = stage_probability(self.sales_stage) or 0
		self.set_status(pipeline.OPEN)

	def set_status(self, status: str):
		self.check_permission("write")
		if status != pipeline.OPEN and self.status in pipeline.CLOSED_STATUSES:
			frappe.throw(
				_("Opportunity {0} is already {1}. Reopen it first.").format(self.name, _(self.status)),
				OpportunityClosedError,
			)
		self.status = status
		self.save()


def stage_probability(stage: str | None) -> float | None:
	if not stage:
		return None
	value = frappe.get_cached_value("CX Sales Stage", stage, "default_probability")
	return None if value is None else flt(value)


def first_stage() -> str | None:
	stages = frappe.get_all("CX Sales Stage", order_by="stage_order asc", limit=1, pluck="name")
	return stages[0] if stages else None


def on_doctype_update():
	frappe.db.add_index("CX Opportunity", ["status", "modified"])
	frappe.db.add_index("CX Opportunity", ["opportunity_owner", "modified"])
