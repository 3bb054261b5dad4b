# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt, getdate, now_datetime, nowdate

from crm_app import money, ownership
from crm_app.campaigns import on_deal_change
from crm_app.conflicts import ChangedMeanwhile
from crm_app.core import pipeline
from crm_app.core.books.deal_books import BY_PERSON
from crm_app.exceptions import (
	LostReasonRequiredError,
	MissingExchangeRateError,
	MissingPartyError,
	OpportunityClosedError,
	ProbabilityRangeError,
)
from crm_app.integrations.erpnext.books import documents_of
from crm_app.integrations.erpnext.items import set_item_types
from crm_app.integrations.erpnext.stock import set_line_stock
from crm_app.naming import SeriesOutsideTransaction
from crm_app.server_fields import imported_history, save_as_server
from crm_app.utils import get_settings


class CXOpportunity(SeriesOutsideTransaction, ChangedMeanwhile, Document):
	def validate(self):
		self.validate_party()
		self.set_party_name()
		self.set_defaults()
		set_item_types(self.items)
		self.set_item_amounts()
		set_line_stock(self)
		self.set_probability()
		self.validate_closing()
		self.weighted_amount = pipeline.weighted_amount(self.amount, self.probability)
		self.set_base_amounts()
		self.set_forecast_category()
		self.log_stage_change()
		self.note_who_set_the_status()
		self.warn_if_worked_by_others()

	def onload(self):
		self.set_onload("erpnext_documents", documents_of(self.name))

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
		if not 0 <= flt(probability) <= 100:
			frappe.throw(
				_("Probability must be between 0 and 100, not {0}.").format(flt(probability)),
				ProbabilityRangeError,
			)
		self.probability = pipeline.probability_for_status(self.status, flt(probability))

	def set_base_amounts(self):
		"""The amounts in the reporting currency, at Currency Exchange's rate where there is one, else at
		the rate entered on the deal. A closed deal keeps the rate of the day it closed."""
		self.base_currency = money.reporting_currency()
		before = self.get_doc_before_save()
		if self.currency == self.base_currency:
			self.exchange_rate, self.exchange_rate_date = 1, None
		elif self.keeps_closing_rate(before):
			self.exchange_rate, self.exchange_rate_date = before.exchange_rate, before.exchange_rate_date
		else:
			on = getdate(self.closed_on) if self.status != pipeline.OPEN and self.closed_on else getdate()
			found = money.exchange_rate(self.currency, self.base_currency, on)
			if found:
				self.exchange_rate, self.exchange_rate_date = found
			elif flt(self.exchange_rate) > 0:
				entered_now = not before or self.has_value_changed("exchange_rate")
				self.exchange_rate_date = on if entered_now else before.exchange_rate_date or on
			else:
				frappe.throw(
					_("Enter the exchange rate from {0} to {1}: there is none for {2}.").format(
						self.currency, self.base_currency, frappe.format(on, "Date")
					),
					MissingExchangeRateError,
					title=_("Exchange Rate Missing"),
				)
		self.base_amount = flt(flt(self.amount) * flt(self.exchange_rate), 2)
		self.base_weighted_amount = pipeline.weighted_amount(self.base_amount, self.probability)

	def keeps_closing_rate(self, before) -> bool:
		return bool(
			before
			and self.status in pipeline.CLOSED_STATUSES
			and before.status == self.status
			and before.currency == self.currency
			and before.base_currency == self.base_currency
			and flt(before.exchange_rate) > 0
		)

	def validate_closing(self):
		if self.status == pipeline.LOST and not self.lost_reason:
			frappe.throw(
				_("Select why the opportunity was lost."), LostReasonRequiredError, title=_("Lost Reason")
			)
		if self.status == pipeline.OPEN:
			self.lost_reason = self.lost_detail = self.closed_on = None
		elif (self.has_value_changed("status") or not self.closed_on) and "closed_on" not in imported_history(
			self
		):
			self.closed_on = nowdate()

	def set_forecast_category(self):
		stage_category = frappe.get_cached_value("CX Sales Stage", self.sales_stage, "forecast_category")
		self.forecast_category = pipeline.forecast_category(
			status=self.status,
			stage_category=stage_category,
			current=self.forecast_category,
			stage_changed=not self.is_new() and self.has_value_changed("sales_stage"),
			edited=bool(self.forecast_category)
			if self.is_new()
			else self.has_value_changed("forecast_category"),
		)

	def log_stage_change(self):
		"""Keep one stage-history row per stay in a stage; a closed deal's last stay ends when it closes."""
		now = now_datetime()
		open_row = (
			self.stage_history[-1] if self.stage_history and not self.stage_history[-1].left_on else None
		)
		stage_changed = self.is_new() or self.has_value_changed("sales_stage")
		reopened = self.status == pipeline.OPEN and self.has_value_changed("status") and not self.is_new()
		if open_row and (stage_changed or self.status in pipeline.CLOSED_STATUSES):
			open_row.left_on = now
			open_row.days_in_stage = pipeline.days_between(open_row.entered_on, now)
			open_row = None
		if (
			self.status == pipeline.OPEN
			and not open_row
			and (stage_changed or reopened or not self.stage_history)
		):
			self.append(
				"stage_history",
				{"stage": self.sales_stage, "entered_on": now, "changed_by": frappe.session.user},
			)
			if "stage_changed_on" not in imported_history(self):
				self.stage_changed_on = now

	def note_who_set_the_status(self):
		"""A status a person sets (won, lost or reopened) is theirs: the documents leave it alone."""
		if not self.is_new() and self.has_value_changed("status") and not self.flags.status_from_books:
			self.status_set_by = BY_PERSON

	def warn_if_worked_by_others(self):
		if self.is_new() or self.has_value_changed("customer") or self.has_value_changed("lead"):
			ownership.warn_about_other_owners(self)

	def on_update(self):
		# Campaign figures and attribution: queued only when what they read changed (crm_app/campaigns.py).
		on_deal_change(self.get_doc_before_save(), self)

	def on_trash(self):
		on_deal_change(self, None)

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
		save_as_server(self)  # status and the lost reason are read-only on the form


def stage_probability(stage: str | None) -> float | None:
	if not stage:
		return None
	value = frappe.get_cached_value("CX Sales Stage", stage, "default_probability")
	return None if value is None else flt(value)


def first_stage() -> str | None:
	stages = frappe.get_all("CX Sales Stage", order_by="stage_order asc", limit=1, pluck="name")
	return stages[0] if stages else None


def on_doctype_update():
	from crm_app.cx_sales.doctype.cx_lead.cx_lead import add_list_indexes

	add_list_indexes("CX Opportunity", "opportunity_owner")
	frappe.db.sql_ddl("alter table `tabCX Opportunity` drop index if exists `status_modified_index`")
	# Covering indexes: the forecast and rep reports read only these, even at a million deals, also for
	# a restricted sales user (the rule's columns close each index).
	access = ["opportunity_owner", "assigned_user", "several_assignees"]
	frappe.db.add_index(
		"CX Opportunity",
		["status", "expected_close_date", *access, "territory", "forecast_category", "base_weighted_amount"],
		OPEN_FORECAST_INDEX,
	)
	frappe.db.add_index(
		"CX Opportunity",
		["status", "closed_on", *access, "territory", "forecast_category", "base_amount", "creation"],
		CLOSED_FORECAST_INDEX,
	)
	# They covered the amounts in each deal's own currency, which the reports no longer add.
	frappe.db.sql_ddl("alter table `tabCX Opportunity` drop index if exists `forecast_open_index`")
	frappe.db.sql_ddl("alter table `tabCX Opportunity` drop index if exists `forecast_closed_index`")


OPEN_FORECAST_INDEX, CLOSED_FORECAST_INDEX = "forecast_open_base_index", "forecast_closed_base_index"
