# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

from frappe.contacts.address_and_contact import delete_contact_and_address, load_address_and_contact
from frappe.contacts.doctype.address.address import get_address_display
from frappe.model.document import Document

from crm_app.conflicts import ChangedMeanwhile
from crm_app.integrations.erpnext.customers import forget_erpnext_twin, on_cx_customer_insert


class CXCustomer(ChangedMeanwhile, Document):
	def onload(self):
		load_address_and_contact(self)

	def validate(self):
		self.set_address_display()

	def set_address_display(self):
		if self.has_value_changed("primary_address"):
			self.primary_address_display = (
				get_address_display(self.primary_address) if self.primary_address else None
			)

	def after_insert(self):
		on_cx_customer_insert(self)

	def on_trash(self):
		forget_erpnext_twin(self)
		# Contacts and addresses linked only to this customer go with it, as in ERPNext.
		delete_contact_and_address(self.doctype, self.name)
