"""Threading by the References header as well as In-Reply-To.

Frappe's inbound mail finds the thread of a reply by its In-Reply-To header only. When that names a
message the desk never saw (a colleague on copy answered the customer's reply), the References header
still lists the thread's earlier messages: the newest one the desk knows names the issue. Whatever is
found there is then checked like any proposal (crm_app/cx_support/mail.py).
"""

import frappe
from frappe.core.doctype.communication.communication import Communication
from frappe.email.doctype.email_account.email_account import EmailAccount
from frappe.email.receive import InboundMail

from crm_app.core.marketing.bounces import message_ids_of_mail
from crm_app.core.service.mail import referenced_message_ids


class ThreadedInboundMail(InboundMail):
	def process(self):
		# The Communication keeps no headers: campaign email reads the Message-IDs a delivery report
		# returns while the mail is filed (crm_app/cx_marketing/sends.py, referenced_message_ids).
		frappe.local.cx_inbound_message_ids = message_ids_of_mail(self.mail)
		try:
			return super().process()
		finally:
			frappe.local.cx_inbound_message_ids = None

	def parent_communication(self):
		found = super().parent_communication()
		if found:
			return found
		for message_id in referenced_message_ids(self.mail.get("References")):
			communication = Communication.find_one_by_filters(message_id=message_id, order_by="creation DESC")
			if communication:
				self._parent_communication = communication
				return communication
		return found


class CXEmailAccount(EmailAccount):
	def get_inbound_mails(self) -> list[InboundMail]:
		mails = super().get_inbound_mails()
		for mail in mails:
			mail.__class__ = ThreadedInboundMail  # the same object, read by the subclass's rules
		return mails
