# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from crm_app.cx_support.knowledge import KnowledgeBaseError


class CXArticleCategory(Document):
	"""A topic of the knowledge base; may sit under a parent category."""

	def validate(self):
		self.check_parent_chain()

	def check_parent_chain(self):
		seen, parent = {self.name}, self.parent_category
		while parent:
			if parent in seen:
				frappe.throw(
					_("Category {0} cannot be placed under {1}: it would be its own parent.").format(
						frappe.bold(self.name), frappe.bold(self.parent_category)
					),
					KnowledgeBaseError,
				)
			seen.add(parent)
			parent = frappe.db.get_value("CX Article Category", parent, "parent_category")
