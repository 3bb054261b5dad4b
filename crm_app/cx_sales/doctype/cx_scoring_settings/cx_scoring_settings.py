# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from crm_app import scoring
from crm_app.exceptions import ScoringCriterionError

RULE_FIELDS = (
	"criterion_type",
	"fieldname",
	"operator",
	"value",
	"activity",
	"min_count",
	"within_days",
	"points",
)


class CXScoringSettings(Document):
	def validate(self):
		self.validate_thresholds()
		self.validate_criteria()

	def validate_thresholds(self):
		if (self.hot_threshold or 0) < (self.warm_threshold or 0):
			frappe.throw(_("Hot must start at or above Warm."), ScoringCriterionError)

	def validate_criteria(self):
		scoring.compile_rows([row.as_dict() for row in self.criteria])

	def on_update(self):
		if self.rules_changed() and not self.flags.skip_rescore:
			scoring.enqueue_rescore()
			frappe.msgprint(
				_("Every lead is being rescored in the background."), alert=True, indicator="blue"
			)

	def rules_changed(self) -> bool:
		before = self.get_doc_before_save()
		if not before:
			return True
		return self.rule_signature(self) != self.rule_signature(before)

	@staticmethod
	def rule_signature(doc) -> tuple:
		rows = tuple(
			tuple(row.get(f) for f in ("enabled", *RULE_FIELDS)) for row in doc.get("criteria") or []
		)
		return (doc.hot_threshold, doc.warm_threshold, rows)

	@frappe.whitelist(methods=["POST"])
	def rescore_now(self):
		self.check_permission("write")
		scoring.enqueue_rescore()


@frappe.whitelist()
def get_scorable_fields() -> list[dict]:
	frappe.has_permission("CX Scoring Settings", "read", throw=True)
	return [
		{"value": fieldname, "label": _(label), "fieldtype": fieldtype}
		for fieldname, (fieldtype, label) in sorted(scoring.lead_fields().items(), key=lambda i: _(i[1][1]))
	]
