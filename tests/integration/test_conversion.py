from unittest.mock import patch

import frappe

from crm_app.cx_sales.doctype.cx_lead.conversion import convert_lead, look_up_avatar
from crm_app.exceptions import AlreadyConvertedError, LeadNotConvertibleError

from .factories import CXTestCase, count, make_lead


class TestConversion(CXTestCase):
	def test_conversion_creates_linked_customer_contact_and_opportunity(self):
		lead = make_lead(
			organization_name="Analytical Engines", email="ada@example.com", mobile_no="+447400123456"
		)
		result = convert_lead(lead.name, create_opportunity=True, opportunity_amount=5000)

		lead.reload()
		self.assertEqual(lead.status, "Converted")
		self.assertEqual(lead.customer, result["customer"])
		self.assertEqual(lead.opportunity, result["opportunity"])

		customer = frappe.get_doc("CX Customer", result["customer"])
		self.assertEqual(customer.customer_name, "Analytical Engines")
		self.assertEqual(customer.customer_type, "Company")
		self.assertEqual(customer.primary_contact, result["contact"])
		self.assertEqual(customer.lead, lead.name)

		contact = frappe.get_doc("Contact", result["contact"])
		self.assertEqual(contact.email_id, "ada@example.com")
		self.assertIn(
			("CX Customer", customer.name), [(li.link_doctype, li.link_name) for li in contact.links]
		)

		opportunity = frappe.get_doc("CX Opportunity", result["opportunity"])
		self.assertEqual(
			(opportunity.customer, opportunity.lead, opportunity.amount), (customer.name, lead.name, 5000)
		)

	def test_the_avatar_is_looked_up_after_the_conversion_not_inside_it(self):
		lead = make_lead(email="grace@example.com")
		gravatar = "https://secure.gravatar.com/avatar/x?d=404&s=200"
		with patch("frappe.contacts.doctype.contact.contact.has_gravatar") as inside_the_request:
			contact = convert_lead(lead.name)["contact"]
		inside_the_request.assert_not_called()
		self.assertFalse(frappe.db.get_value("Contact", contact, "image"))
		with patch("frappe.utils.has_gravatar", return_value=gravatar):
			look_up_avatar(contact)
		self.assertEqual(frappe.db.get_value("Contact", contact, "image"), gravatar)

	def test_second_conversion_is_refused_and_writes_nothing(self):
		lead = make_lead()
		convert_lead(lead.name)
		customers = count("CX Customer")
		with self.assertRaises(AlreadyConvertedError):
			convert_lead(lead.name)
		self.assertEqual(count("CX Customer"), customers)

	def test_lost_lead_cannot_be_converted(self):
		lead = make_lead(status="Lost")
		with self.assertRaises(LeadNotConvertibleError):
			convert_lead(lead.name)

	def test_failed_conversion_leaves_nothing_half_written(self):
		lead = make_lead(organization_name="Half Written Ltd")
		customers, contacts = count("CX Customer"), count("Contact")
		with self.assertRaises(frappe.ValidationError):
			convert_lead(lead.name, create_opportunity=True, sales_stage="No Such Stage")
		self.assertEqual((count("CX Customer"), count("Contact")), (customers, contacts))
		self.assertFalse(frappe.db.get_value("CX Lead", lead.name, "customer"))

	def test_linked_lead_cannot_be_deleted(self):
		lead = make_lead()
		convert_lead(lead.name, create_opportunity=True)
		with self.assertRaises(frappe.LinkExistsError):
			frappe.delete_doc("CX Lead", lead.name)
