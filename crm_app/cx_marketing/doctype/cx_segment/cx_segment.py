# Copyright (c) 2026, crm_app contributors. See license.txt

import json

import frappe
from frappe import _
from frappe.model.document import Document

from crm_app.cx_marketing import segments


class CXSegment(Document):
	def validate(self):
		self.refuse_name_still_being_deleted()
		self.normalise_rules()

	def refuse_name_still_being_deleted(self):
		"""A deleted segment's many stays go in a background job; a new one of that name waits for it, so
		it starts with no members of the old one."""
		if self.is_new() and frappe.db.exists(segments.MEMBER, {"segment": self.name or self.segment_name}):
			frappe.throw(
				_(
					"The members of a deleted segment named {0} are still being removed. Try again in a few minutes."
				).format(self.segment_name),
				frappe.DuplicateEntryError,
			)

	def normalise_rules(self):
		"""Refuse rules the segment cannot apply (InvalidSegmentRuleError) and keep them normalised."""
		self.filters_json = json.dumps(segments.segment_rules(self.segment_of, self.filters_json or "[]"))

	def on_update(self):
		if self.get_doc_before_save() and self.has_value_changed("segment_of"):
			segments.end_rule_stays(self.name)

	def on_trash(self):
		segments.forget_segment(self.name)
