"""Local phone formats (issue 12): a number typed without "+country" is read in its record's country (a
lead's own, a contact's address's or its lead's or customer's), else in the site's, never the other way
round."""

import frappe

from crm_app.exceptions import InvalidPhoneError

from .factories import CXTestCase, make_call_log, make_customer, make_lead


class PhoneCase(CXTestCase):
	def setUp(self):
		super().setUp()
		self.site_country("Germany")

	def tearDown(self):
		super().tearDown()  # rolls the settings back; the values read meanwhile are cached
		frappe.db.value_cache.pop("System Settings", None)
		frappe.clear_document_cache("CX Settings", "CX Settings")

	def site_country(self, country: str | None) -> None:
		frappe.db.set_single_value("System Settings", "country", country)
		frappe.db.set_single_value("CX Settings", "default_phone_region", None)
		frappe.clear_document_cache("CX Settings", "CX Settings")

	def contact(self, *links: tuple[str, str], phone: str, **values):
		doc = frappe.get_doc({"doctype": "Contact", "first_name": "Olena", **values})
		doc.add_phone(phone, is_primary_mobile_no=True)
		for doctype, name in links:
			doc.append("links", {"link_doctype": doctype, "link_name": name})
		return doc.insert()

	def address(self, country: str, *links: tuple[str, str], **values) -> str:
		doc = frappe.get_doc(
			{
				"doctype": "Address",
				"address_title": "Office",
				"address_type": "Office",
				"address_line1": "1 Main Street",
				"city": "Town",
				"country": country,
				"links": [{"link_doctype": doctype, "link_name": name} for doctype, name in links],
				**values,
			}
		)
		return doc.insert().name


class TestLeadPhones(PhoneCase):
	def test_local_numbers_are_read_in_the_leads_country_not_the_sites(self):
		polish = make_lead(
			first_name="Agnieszka", last_name="Nowak", country="Poland", mobile_no="600 700 800"
		)
		ukrainian = make_lead(
			first_name="Olena",
			last_name="Kovalenko",
			country="Ukraine",
			mobile_no="050 123 4567",
			phone="044 123 4567",
		)
		self.assertEqual(polish.mobile_no, "+48600700800")
		self.assertEqual(ukrainian.mobile_no, "+380501234567")
		self.assertEqual(ukrainian.phone, "+380441234567")
		self.assertEqual(frappe.db.get_value("CX Lead", polish.name, "mobile_no"), "+48600700800")

	def test_a_lead_without_a_country_is_read_in_the_sites_country(self):
		# country "": none (on an ERPNext site a new lead takes the user's default country otherwise)
		self.site_country("Poland")
		self.assertEqual(make_lead(mobile_no="600 700 800", country="").mobile_no, "+48600700800")
		self.site_country("Ukraine")
		self.assertEqual(make_lead(mobile_no="050 123 4567", country="").mobile_no, "+380501234567")

	def test_the_crm_default_comes_before_the_sites_country(self):
		frappe.db.set_single_value("CX Settings", "default_phone_region", "Poland")
		frappe.clear_document_cache("CX Settings", "CX Settings")
		self.assertEqual(make_lead(mobile_no="600 700 800", country="").mobile_no, "+48600700800")

	def test_a_local_number_of_another_country_is_refused(self):
		with self.assertRaises(InvalidPhoneError):
			make_lead(country="Ukraine", mobile_no="600 700 800")

	def test_a_call_is_read_in_the_country_of_the_record_called(self):
		lead = make_lead(country="Poland", mobile_no="+48600700800")
		call = make_call_log(
			reference_doctype="CX Lead", reference_name=lead.name, phone_number="600 700 801"
		)
		self.assertEqual(call.phone_number, "+48600700801")


class TestContactPhones(PhoneCase):
	def test_a_customers_contact_is_read_in_the_customers_address_country(self):
		customer = make_customer(customer_name="Svitanok LLC", customer_type="Company")
		self.address("Ukraine", ("CX Customer", customer.name), is_primary_address=1)
		contact = self.contact(("CX Customer", customer.name), phone="050 123 4567")
		self.assertEqual([row.phone for row in contact.phone_nos], ["+380501234567"])
		self.assertEqual(contact.mobile_no, "+380501234567")
		customer.reload()
		customer.primary_contact = contact.name
		customer.save()
		self.assertEqual(customer.mobile_no, "+380501234567")

	def test_a_leads_contact_is_read_in_the_leads_country_and_its_own_address_first(self):
		lead = make_lead(country="Poland")
		self.assertEqual(self.contact(("CX Lead", lead.name), phone="600 700 800").mobile_no, "+48600700800")
		address = self.address("Ukraine")
		contact = self.contact(("CX Lead", lead.name), phone="050 123 4567", address=address)
		self.assertEqual(contact.mobile_no, "+380501234567")

	def test_a_contact_of_no_crm_record_is_left_as_typed(self):
		self.assertEqual(self.contact(phone="067 123 45 67").phone_nos[0].phone, "067 123 45 67")

	def test_a_number_that_cannot_exist_is_refused_on_a_crm_contact(self):
		lead = make_lead(country="Poland")
		with self.assertRaises(InvalidPhoneError):
			self.contact(("CX Lead", lead.name), phone="12")

	def test_numbers_kept_from_before_are_not_read_again(self):
		lead = make_lead(country="Ukraine")
		contact = frappe.get_doc({"doctype": "Contact", "first_name": "Old"})
		contact.add_phone("600 700 800", is_primary_phone=True)
		contact.insert()  # before it was the lead's: left as typed (and not a Ukrainian number)
		contact.append("links", {"link_doctype": "CX Lead", "link_name": lead.name})
		contact.add_phone("050 123 4567", is_primary_mobile_no=True)
		contact.save()
		self.assertEqual(sorted(row.phone for row in contact.phone_nos), ["+380501234567", "600 700 800"])
		self.assertEqual((contact.phone, contact.mobile_no), ("600 700 800", "+380501234567"))
