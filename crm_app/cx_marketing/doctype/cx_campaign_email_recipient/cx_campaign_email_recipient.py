import frappe
from frappe.model.document import Document


class CXCampaignEmailRecipient(Document):
	pass


def on_doctype_update():
	# Each member gets each step once, whatever runs twice (crm_app/cx_marketing/sends.py).
	frappe.db.add_unique(
		"CX Campaign Email Recipient",
		["campaign_email", "step", "member_doctype", "member_name"],
		constraint_name="unique_campaign_email_member",
	)
	frappe.db.add_index("CX Campaign Email Recipient", ["campaign_email", "step", "email"])
	frappe.db.add_index("CX Campaign Email Recipient", ["email", "status"])
	frappe.db.add_index("CX Campaign Email Recipient", ["email_queue"])
