# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document
from frappe.utils import now_datetime

from crm_app.conflicts import ChangedMeanwhile
from crm_app.core.tickets import status_timestamps
from crm_app.integrations.erpnext.history import check_issue_purchase
from crm_app.naming import SeriesOutsideTransaction
from crm_app.server_fields import imported_history

STAMP_FIELDS = ("opened_on", "first_responded_on", "resolved_on", "closed_on")


class CXIssue(SeriesOutsideTransaction, ChangedMeanwhile, Document):
	def validate(self):
		self.set_customer_from_contact()
		self.stamp_status_times()
		check_issue_purchase(self)

	def set_customer_from_contact(self):
		if not self.contact or self.customer:
			return
		customers = frappe.get_all(
			"Dynamic Link",
			filters={"parenttype": "Contact", "parent": self.contact, "link_doctype": "CX Customer"},
			pluck="link_name",
		)
		if len(customers) == 1:
			self.customer = customers[0]

	def stamp_status_times(self):
		before = self.get_doc_before_save()
		current = {field: self.get(field) for field in STAMP_FIELDS}
		changes = status_timestamps(before.status if before else None, self.status, now_datetime(), current)
		brought = imported_history(self)  # an old ticket's own times, from Data Import
		self.update({field: value for field, value in changes.items() if field not in brought})


def on_doctype_update():
	frappe.db.add_index("CX Issue", ["status", "modified"])
	# A customer's issues newest first (its 360 timeline), in index order.
	frappe.db.add_index("CX Issue", ["customer", "opened_on"])
