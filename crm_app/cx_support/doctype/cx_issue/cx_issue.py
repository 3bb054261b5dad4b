# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document
from frappe.utils import now_datetime

from crm_app.conflicts import ChangedMeanwhile
from crm_app.core.tickets import status_timestamps
from crm_app.cx_support import routing, sla
from crm_app.integrations.erpnext.history import check_issue_purchase
from crm_app.naming import SeriesOutsideTransaction
from crm_app.server_fields import imported_history

STAMP_FIELDS = ("opened_on", "first_responded_on", "resolved_on", "closed_on")


class CXIssue(SeriesOutsideTransaction, ChangedMeanwhile, Document):
	def validate(self):
		self.set_customer_from_contact()
		self.stamp_status_times()
		sla.log_status(self)
		sla.apply_sla(self)
		check_issue_purchase(self)

	def onload(self):
		self.set_onload("agent_open_issues", routing.open_load(self.agent))

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
	# The escalation job reads the issues whose service level changes next, and nothing else.
	frappe.db.add_index("CX Issue", ["sla_next_check_on"])
	# An agent's open load, counted on every issue form and in the agent report; an agent's issue list,
	# newest first, read in index order (benchmarks/service_desk.py).
	frappe.db.add_index("CX Issue", ["agent", "status"])
	frappe.db.add_index("CX Issue", ["agent", "modified"])
