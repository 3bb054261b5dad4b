"""A rule "when <condition on a record> then <actions>", evaluated in bulk (crm_app/cx_marketing/triggers.py)."""

import frappe
from frappe.model.document import Document

from crm_app.cx_marketing import triggers


class CXTrigger(Document):
	def validate(self):
		# the log names every matching record: only for a record type its author may read
		frappe.has_permission(self.trigger_on, "read", throw=True)
		self.validate_condition()
		self.validate_actions()

	def validate_condition(self):
		self.condition_hash = triggers.validate_condition(
			self.trigger_on, self.filters_json, self.cart_left_hours
		)

	def validate_actions(self):
		before = self.get_doc_before_save()
		# who may give discounts is asked again when the trigger would give them to other records
		same_audience = (
			before
			and not self.has_value_changed("condition_hash")
			and not (self.enabled and not before.enabled)
		)
		triggers.validate_actions(self.trigger_on, self.actions, before.actions if same_audience else ())

	def on_trash(self):
		# The log only says what this trigger did: it goes with it, set-based (it may hold a million rows).
		frappe.db.delete("CX Trigger Log", {"cx_trigger": self.name})
