import frappe

from crm_app.exceptions import InvalidPhoneError, LeadNotConvertibleError

from .factories import CXTestCase, count, make_lead


class TestLead(CXTestCase):
	def test_full_name_owner_and_phone_normalised(self):
		lead = make_lead(mobile_no="+44 7400 123456", phone="(202) 555-0143", country="United States")
		self.assertEqual(lead.lead_name, "Ada Lovelace")
		self.assertEqual(lead.lead_owner, "Administrator")
		self.assertEqual(lead.mobile_no, "+447400123456")
		self.assertEqual(lead.phone, "+12025550143")
		self.assertEqual(lead.status, "New")

	def test_invalid_phone_is_refused_and_nothing_written(self):
		before = count("CX Lead")
		with self.assertRaises(InvalidPhoneError):
			make_lead(mobile_no="+44 12")
		self.assertEqual(count("CX Lead"), before)

	def test_invalid_email_is_refused(self):
		with self.assertRaises(frappe.InvalidEmailAddressError):
			make_lead(email="not-an-email")

	def test_unknown_link_is_refused(self):
		with self.assertRaises(frappe.LinkValidationError):
			make_lead(source="No Such Source")

	def test_a_name_is_required(self):
		with self.assertRaises(frappe.MandatoryError):
			make_lead(first_name="", last_name="", organization_name="")

	def test_converted_status_cannot_be_typed(self):
		with self.assertRaises(LeadNotConvertibleError):
			make_lead(status="Converted")
