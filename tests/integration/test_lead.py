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


class TestLeadLinkSearch(CXTestCase):
	def test_matches_on_any_column_merged_in_name_order_and_paged(self):
		"""Each column is read on its own, in index order, as far as the page needs; the matches merge."""
		from crm_app.queries import lead_query

		by_email = make_lead(first_name="Zoe", last_name="Quill", email="qxsearch.zoe@example.com").name
		by_name = make_lead(first_name="Qxsearch", last_name="Adams").name
		by_company = make_lead(first_name="Bob", last_name="Quill", organization_name="Qxsearch Ltd").name
		make_lead(first_name="Other", last_name="Person")
		rows = lead_query("CX Lead", "qxsearch", "name", 0, 10, None)
		self.assertEqual([row[0] for row in rows], [by_company, by_name, by_email])  # Bob, Qxsearch, Zoe
		self.assertEqual([row[0] for row in lead_query("CX Lead", "qxsearch", "name", 1, 1, None)], [by_name])
		only_new = lead_query("CX Lead", "qxsearch", "name", 0, 10, {"first_name": "Zoe"})
		self.assertEqual([row[0] for row in only_new], [by_email])
