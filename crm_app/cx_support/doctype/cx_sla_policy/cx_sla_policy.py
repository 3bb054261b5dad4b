# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import add_days, getdate, nowdate

from crm_app.cx_support.sla import FULFIL, PAUSE, build_calendar, on_policy_update
from crm_app.exceptions import InvalidSLAPolicyError

DEFAULT_STATUSES = (("On Hold", PAUSE), ("Resolved", FULFIL), ("Closed", FULFIL))


class CXSLAPolicy(Document):
	def validate(self):
		self.set_default_statuses()
		self.validate_targets()
		self.validate_statuses()
		self.validate_calendar()
		self.validate_single_default()

	def on_update(self):
		if not self.flags.in_insert and self.enabled:
			on_policy_update(self)

	def set_default_statuses(self):
		if not self.statuses:
			for status, effect in DEFAULT_STATUSES:
				self.append("statuses", {"status": status, "effect": effect})

	def validate_targets(self):
		seen = set()
		for row in self.targets:
			if row.priority in seen:
				frappe.throw(
					_("Row {0}: priority {1} has a target already.").format(row.idx, _(row.priority)),
					InvalidSLAPolicyError,
				)
			seen.add(row.priority)
			if (row.first_response_time or 0) <= 0 or (row.resolution_time or 0) <= 0:
				frappe.throw(
					_("Row {0}: the response and resolution times must be longer than zero.").format(row.idx),
					InvalidSLAPolicyError,
				)
			if row.resolution_time < row.first_response_time:
				frappe.throw(
					_("Row {0}: the resolution time cannot be shorter than the first response time.").format(
						row.idx
					),
					InvalidSLAPolicyError,
				)

	def validate_statuses(self):
		statuses = [row.status for row in self.statuses]
		duplicated = {status for status in statuses if statuses.count(status) > 1}
		if duplicated:
			frappe.throw(
				_("Status {0} is listed twice.").format(_(sorted(duplicated)[0])), InvalidSLAPolicyError
			)
		if "Open" in statuses:
			frappe.throw(_("Status Open can neither pause nor fulfil the clock."), InvalidSLAPolicyError)

	def validate_calendar(self):
		calendar = build_calendar(self)
		today = getdate(nowdate())
		if not calendar.has_working_time_between(today, add_days(today, 366)):
			frappe.throw(_("The holidays leave no working day in the coming year."), InvalidSLAPolicyError)

	def validate_single_default(self):
		if not (self.enabled and self.default_policy):
			return
		other = frappe.db.get_value(
			"CX SLA Policy", {"default_policy": 1, "enabled": 1, "name": ("!=", self.name)}
		)
		if other:
			frappe.throw(
				_("Policy {0} is the default already; only one enabled policy can be.").format(other),
				InvalidSLAPolicyError,
			)
