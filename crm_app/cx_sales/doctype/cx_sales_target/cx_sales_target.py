# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate

from crm_app.core import periods
from crm_app.exceptions import (
	ClosedPeriodError,
	DuplicateTargetError,
	InvalidPeriodError,
	TargetOwnerMissingError,
)
from crm_app.money import reporting_currency

TARGET_FIELDS = ("sales_person", "territory", "period_type", "period_start", "target_amount", "target_deals")


class CXSalesTarget(Document):
	def validate(self):
		self.validate_owner()
		self.set_period_end()
		self.validate_open_period()
		self.validate_unique()
		self.currency = self.currency or reporting_currency()

	def validate_owner(self):
		if not (self.sales_person or self.territory):
			frappe.throw(
				_("Set the sales person or the territory the target is for."), TargetOwnerMissingError
			)

	def set_period_end(self):
		try:
			self.period_end = periods.period_end(self.period_type, getdate(self.period_start))
		except periods.PeriodError as exc:
			message = {
				"not_first_day": _("A target period starts on the first day of a month or quarter."),
				"not_quarter_start": _("A quarter starts on 1 January, 1 April, 1 July or 1 October."),
			}.get(exc.reason, _("Choose Month or Quarter."))
			frappe.throw(message, InvalidPeriodError, title=_("Invalid Period"))

	def validate_open_period(self):
		"""A closed period's targets are history: attainment was measured against them."""
		before = self.get_doc_before_save()
		changed = self.is_new() or any(self.has_value_changed(f) for f in TARGET_FIELDS)
		closed_now = periods.is_closed(getdate(self.period_end), getdate())
		closed_before = before and periods.is_closed(getdate(before.period_end), getdate())
		if changed and (closed_now or closed_before):
			frappe.throw(
				_("The period ending {0} is closed; its targets can no longer be set or changed.").format(
					frappe.format(self.period_end if closed_now else before.period_end, "Date")
				),
				ClosedPeriodError,
				title=_("Closed Period"),
			)

	def validate_unique(self):
		filters = {
			"sales_person": self.sales_person or ("is", "not set"),
			"territory": self.territory or ("is", "not set"),
			"period_type": self.period_type,
			"period_start": self.period_start,
			"name": ("!=", self.name or ""),
		}
		existing = frappe.db.get_value("CX Sales Target", filters)
		if existing:
			frappe.throw(
				_("Target {0} already covers this person, territory and period.").format(
					frappe.utils.get_link_to_form("CX Sales Target", existing)
				),
				DuplicateTargetError,
			)

	def on_trash(self):
		if periods.is_closed(getdate(self.period_end), getdate()):
			frappe.throw(_("Targets of a closed period cannot be deleted."), ClosedPeriodError)
