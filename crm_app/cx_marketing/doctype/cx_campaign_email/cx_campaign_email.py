import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import get_time

from crm_app.exceptions import CampaignEmailError


class CXCampaignEmail(Document):
	def validate(self):
		self.validate_steps()
		self.validate_window()
		self.validate_time_zone()
		self.validate_sender()

	def validate_steps(self):
		if not self.steps:
			frappe.throw(_("Add at least one step (an Email Template)."), CampaignEmailError)
		for row in self.steps:
			if row.idx == 1:
				row.delay_days = 0  # the first step goes at the send time
			elif (row.delay_days or 0) < 0:
				frappe.throw(_("Row {0}: the delay cannot be negative.").format(row.idx), CampaignEmailError)

	def validate_window(self):
		self.drop_defaulted_window()
		if bool(self.window_start) != bool(self.window_end):
			frappe.throw(_("A send window needs both a start and an end time."), CampaignEmailError)
		if self.window_start and get_time(self.window_start) == get_time(self.window_end):
			frappe.throw(_("A send window cannot start and end at the same time."), CampaignEmailError)
		if (self.throttle_per_hour or 0) < 0:
			frappe.throw(_("Emails per hour cannot be negative."), CampaignEmailError)

	def drop_defaulted_window(self):
		"""Frappe fills every Time field of a new record with the current time (desk and frappe.new_doc):
		two such values, seconds apart, are no window anyone chose, not a window of a few milliseconds."""
		if not (self.is_new() and self.window_start and self.window_end):
			return
		start, end = (_seconds(get_time(value)) for value in (self.window_start, self.window_end))
		if abs(end - start) < 60:
			self.window_start = self.window_end = None

	def validate_time_zone(self):
		if not self.time_zone:
			return
		from zoneinfo import ZoneInfo

		try:
			ZoneInfo(self.time_zone)
		except (KeyError, ValueError):
			frappe.throw(_("Unknown time zone: {0}").format(self.time_zone), CampaignEmailError)

	def validate_sender(self):
		if self.sender:
			frappe.utils.validate_email_address(self.sender, throw=True)


def _seconds(moment) -> float:
	return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6
