# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.custom.doctype.property_setter.property_setter import make_property_setter
from frappe.model.document import Document

from crm_app.exceptions import CXValidationError


class CXSalesStage(Document):
	def validate(self):
		if not 0 <= (self.default_probability or 0) <= 100:
			frappe.throw(_("Default Probability must be between 0 and 100."), CXValidationError)

	def on_update(self):
		sync_stage_options()

	def on_trash(self):
		in_use = frappe.db.count("CX Opportunity", {"sales_stage": self.name})
		if in_use:
			frappe.throw(
				_("Stage {0} is used by {1} opportunities. Move them to another stage first.").format(
					frappe.bold(self.name), in_use
				),
				frappe.LinkExistsError,
			)

	def after_delete(self):
		sync_stage_options()


def ordered_stages() -> list[str]:
	return frappe.get_all("CX Sales Stage", order_by="stage_order asc, name asc", pluck="name")


def sync_stage_options() -> None:
	"""Opportunity stage is a Select (so Kanban can group by it) whose options mirror this master.

	The options live in a Property Setter, as Customize Form would write them, so migrate keeps them;
	the stage Kanban board gets any new column.
	"""
	stages = ordered_stages()
	make_property_setter(
		"CX Opportunity",
		"sales_stage",
		"options",
		"\n".join(stages),
		"Text",
		validate_fields_for_doctype=False,
		is_system_generated=True,
	)
	for board in frappe.get_all(
		"Kanban Board", {"reference_doctype": "CX Opportunity", "field_name": "sales_stage"}, pluck="name"
	):
		sync_kanban_columns(board, stages)
	frappe.clear_cache(doctype="CX Opportunity")


def sync_kanban_columns(board_name: str, values: list[str]) -> None:
	board = frappe.get_doc("Kanban Board", board_name)
	existing = {column.column_name for column in board.columns}
	for value in values:
		if value not in existing:
			board.append("columns", {"column_name": value, "status": "Active", "indicator": "Gray"})
	for column in board.columns:
		if column.column_name not in values:
			column.status = "Archived"
	board.save(ignore_permissions=True)
