# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint

from crm_app.cx_data_quality import completeness
from crm_app.exceptions import CompletenessSettingsError

RULE_FIELDS = ("record_type", "fieldname", "alternatives", "weight")


class CXDataQualitySettings(Document):
	def validate(self):
		self.validate_threshold()
		completeness.check_rules(self.completeness_rules)

	def validate_threshold(self):
		if not 1 <= cint(self.completeness_threshold) <= 100:
			frappe.throw(_("Incomplete Below must be between 1 and 100 (%)."), CompletenessSettingsError)

	def on_update(self):
		before = self.get_doc_before_save()
		if before and before.completeness_threshold != self.completeness_threshold:
			frappe.cache.delete_value("bootinfo")  # list views colour scores by the threshold
		if self.rules_changed(before) and not self.flags.skip_recompute:
			completeness.enqueue_recompute()
			frappe.msgprint(
				_("Every record's completeness is being recomputed in the background."),
				alert=True,
				indicator="blue",
			)

	def rules_changed(self, before) -> bool:
		return not before or self.rule_signature(self) != self.rule_signature(before)

	@staticmethod
	def rule_signature(doc) -> tuple:
		return tuple(
			tuple(row.get(field) for field in RULE_FIELDS) for row in doc.get("completeness_rules") or []
		)

	@frappe.whitelist(methods=["POST"])
	def recompute_now(self):
		self.check_permission("write")
		completeness.enqueue_recompute()
