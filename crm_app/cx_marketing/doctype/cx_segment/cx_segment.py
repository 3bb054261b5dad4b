# Copyright (c) 2026, crm_app contributors. See license.txt

import json

from frappe.model.document import Document

from crm_app.cx_marketing import segments


class CXSegment(Document):
	def validate(self):
		self.normalise_rules()

	def before_save(self):
		self.assign_segment_key()

	def assign_segment_key(self):
		"""A key of its own from a sequence, never reused: a namesake made while a deleted segment's stays
		are still being removed in the background starts with none of them."""
		if not self.segment_key:
			self.segment_key = segments.next_segment_key()

	def normalise_rules(self):
		"""Refuse rules the segment cannot apply (InvalidSegmentRuleError) and keep them normalised."""
		self.filters_json = json.dumps(segments.segment_rules(self.segment_of, self.filters_json or "[]"))

	def on_update(self):
		if self.get_doc_before_save() and self.has_value_changed("segment_of"):
			segments.end_rule_stays(self.name)

	def on_trash(self):
		segments.forget_segment(self.name, self.segment_key)


def on_doctype_update():
	segments.create_key_sequence()
