# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from crm_app.activities import TRACKED, refresh_rollups
from crm_app.naming import SeriesOutsideTransaction
from crm_app.phones import is_local, record_countries
from crm_app.utils import normalize_phone_fields


class CXCallLog(SeriesOutsideTransaction, Document):
	def validate(self):
		self.validate_reference()
		self.set_summary()
		normalize_phone_fields(self, ("phone_number",), *self.reference_countries())

	def reference_countries(self) -> list[str]:
		"""A number typed without "+country" is read in the country of the record called."""
		if not is_local(self.phone_number):
			return []
		return record_countries(self.reference_doctype, self.reference_name)

	def validate_reference(self):
		if self.reference_doctype not in (*TRACKED, "CX Issue"):
			frappe.throw(
				_("Calls are logged on leads, customers, opportunities and issues."), frappe.ValidationError
			)
		frappe.get_doc(self.reference_doctype, self.reference_name).check_permission("read")

	def set_summary(self):
		if not self.summary:
			self.summary = _("{0} call: {1}").format(_(self.direction), _(self.outcome))

	def on_update(self):
		self.create_follow_up_task()
		self.refresh_reference(self.get_doc_before_save())

	def on_trash(self):
		if self.follow_up_todo and frappe.db.get_value("ToDo", self.follow_up_todo, "status") == "Open":
			frappe.db.set_value("ToDo", self.follow_up_todo, "status", "Cancelled")

	def after_delete(self):
		refresh_rollups(self.reference_doctype, self.reference_name)

	def create_follow_up_task(self):
		"""A ToDo for the caller on the follow-up date; moving the date moves the task."""
		if not self.follow_up_on or (self.follow_up_todo and not self.has_value_changed("follow_up_on")):
			return
		if self.follow_up_todo:
			frappe.db.set_value("ToDo", self.follow_up_todo, "date", self.follow_up_on)
			return
		todo = frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": self.caller or frappe.session.user,
				"assigned_by": frappe.session.user,
				"reference_type": self.reference_doctype,
				"reference_name": self.reference_name,
				"date": self.follow_up_on,
				"description": _("Follow up on: {0}").format(self.summary),
			}
		)
		todo.flags.skip_cx_rollups = True  # refresh_reference runs once, right after
		todo.insert(ignore_permissions=True)
		self.db_set("follow_up_todo", todo.name)

	def refresh_reference(self, before):
		refresh_rollups(self.reference_doctype, self.reference_name)
		if before and (before.reference_doctype, before.reference_name) != (
			self.reference_doctype,
			self.reference_name,
		):
			refresh_rollups(before.reference_doctype, before.reference_name)


def on_doctype_update():
	# A record's calls newest first (its 360 timeline), read in index order however many there are.
	frappe.db.add_index(
		"CX Call Log", ["reference_doctype", "reference_name", "call_start"], "reference_start_index"
	)
