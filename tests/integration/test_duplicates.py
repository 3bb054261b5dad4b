"""Duplicates: the live warning on save (under the permission model), the stored keys, the scan and review."""

from unittest.mock import patch

import frappe

from crm_app.cx_data_quality import duplicates

from .factories import CXTestCase, make_customer, make_lead, make_user

ALICE, BOB, MANAGER = "alice.sales@example.com", "bob.sales@example.com", "mia.manager@example.com"


def possible_duplicate_messages() -> list[str]:
	return [
		entry.get("message", "") if isinstance(entry, dict) else str(entry)
		for entry in frappe.local.message_log
		if not isinstance(entry, dict) or entry.get("title") == "Possible Duplicate"
	]


def keys_of(doctype: str, name: str) -> set[str]:
	return set(
		frappe.get_all(
			"CX Duplicate Key", filters={"record_doctype": doctype, "record_name": name}, pluck="match_key"
		)
	)


class TestLiveWarning(CXTestCase):
	def setUp(self):
		super().setUp()
		for user, role in ((ALICE, "Sales User"), (BOB, "Sales User"), (MANAGER, "Sales Manager")):
			make_user(user, role)
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		self.original = make_lead(
			first_name="Юлия", last_name="Ковальчук", email="yuliia.k@gmail.com", lead_owner=BOB
		)
		frappe.local.message_log = []

	def test_a_new_lead_in_another_alphabet_is_warned_about_with_the_record_and_reasons(self):
		make_lead(first_name="Julia", last_name="Kowalczuk", email="YuliiaK@googlemail.com")
		[message] = possible_duplicate_messages()
		self.assertIn(self.original.name, message)
		self.assertIn("same email", message)

	def test_a_restricted_user_is_not_told_the_name_of_a_record_they_may_not_read(self):
		frappe.set_user(ALICE)
		make_lead(first_name="Yuliia", last_name="Kovalchuk", email="yuliia.k@gmail.com", lead_owner=ALICE)
		[message] = possible_duplicate_messages()
		self.assertNotIn(self.original.name, message)
		self.assertNotIn("Ковальчук", message)
		self.assertIn("1 more that you may not open", message)

	def test_different_people_are_not_warned_about(self):
		make_lead(first_name="Petro", last_name="Bondar", email="petro@ukr.net")
		self.assertEqual(possible_duplicate_messages(), [])

	def test_keys_follow_the_record_through_edit_and_delete(self):
		self.assertIn("e:yuliiak@gmail.com", keys_of("CX Lead", self.original.name))
		self.original.email = "new.mail@ukr.net"
		self.original.save()
		keys = keys_of("CX Lead", self.original.name)
		self.assertIn("e:new.mail@ukr.net", keys)
		self.assertNotIn("e:yuliiak@gmail.com", keys)
		self.original.delete()
		self.assertEqual(keys_of("CX Lead", self.original.name), set())

	def test_a_save_that_changes_no_key_rewrites_none(self):
		"""Keys are replaced by primary key and only where they changed: deleting a record's keys by
		record locked the index gap, and two new leads saved at once deadlocked there."""
		key = frappe.qb.DocType("CX Duplicate Key")
		stored = lambda: set(  # noqa: E731
			frappe.qb.from_(key).select(key.name).where(key.record_name == self.original.name).run(pluck=True)
		)
		before = stored()
		self.original.reload()
		self.original.notes = "called"
		self.original.save()
		self.assertEqual(stored(), before)  # the same rows, not new ones
		self.original.email = "other.mail@ukr.net"
		self.original.save()
		after = stored()
		self.assertTrue(after - before and before - after)
		self.assertEqual(len(after), len(keys_of("CX Lead", self.original.name)))  # no key twice

	def test_a_save_that_does_not_touch_names_or_channels_does_not_warn(self):
		make_lead(first_name="Julia", last_name="Kowalczuk", email="yuliia.k@gmail.com")
		frappe.local.message_log = []
		self.original.reload()
		self.original.notes = "called"
		self.original.save()
		self.assertEqual(possible_duplicate_messages(), [])

	def test_contacts_match_through_their_email_and_phone_rows(self):
		first = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Hryhorii",
				"last_name": "Shcherbyna",
				"phone_nos": [{"phone": "+380671234567", "is_primary_mobile_no": 1}],
			}
		).insert()
		frappe.local.message_log = []
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Григорій",
				"last_name": "Щербина",
				"phone_nos": [{"phone": "067 123 45 67"}],
			}
		).insert()
		[message] = possible_duplicate_messages()
		self.assertIn(first.name, message)


class TestScanAndReview(CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(ALICE, "Sales User")
		make_user(MANAGER, "Sales Manager")
		self.leads = [
			make_lead(first_name="Юлия", last_name="Ковальчук", email="yk@gmail.com"),
			make_lead(
				first_name="Yuliia", last_name="Kovalchuk", email="y.k@gmail.com", mobile_no="+380671234567"
			),
			make_lead(
				first_name="Julia", last_name="Kowalczuk", mobile_no="067 123 45 67", country="Ukraine"
			),
		]
		self.customers = [
			make_customer(customer_name="ТОВ «Світанок»", customer_type="Company"),
			make_customer(customer_name="Svitanok LLC", customer_type="Company"),
		]

	def scan(self):
		with patch.object(frappe.db, "commit"):  # the test's rollback undoes the scan
			return duplicates.run_scan(("CX Lead", "CX Customer"))

	def group_of(self, name: str):
		member = frappe.get_all(
			"CX Duplicate Member",
			filters={"record_name": name, "parenttype": "CX Duplicate Group"},
			pluck="parent",
		)
		return frappe.get_doc("CX Duplicate Group", member[0]) if member else None

	def test_the_scan_files_one_group_per_party_with_members_and_reasons(self):
		self.scan()
		group = self.group_of(self.leads[0].name)
		self.assertEqual(sorted(row.record_name for row in group.members), sorted(d.name for d in self.leads))
		self.assertEqual(group.status, "Open")
		self.assertIn("same email", group.reasons)
		customers = self.group_of(self.customers[0].name)
		self.assertEqual(
			sorted(row.record_name for row in customers.members), sorted(c.name for c in self.customers)
		)
		self.assertIn("same company", customers.reasons)

	def test_a_dismissed_group_is_not_filed_again_and_a_second_scan_adds_nothing(self):
		self.scan()
		group = self.group_of(self.leads[0].name)
		duplicates.review_group(group.name, "dismiss")
		self.scan()
		self.assertEqual(self.group_of(self.leads[1].name).name, group.name)
		self.assertEqual(frappe.db.get_value("CX Duplicate Group", group.name, "status"), "Dismissed")

	def test_an_open_group_the_scan_no_longer_finds_is_dropped(self):
		self.scan()
		group = self.group_of(self.leads[0].name)
		for lead in self.leads[1:]:
			lead.delete()
		self.scan()
		self.assertFalse(frappe.db.exists("CX Duplicate Group", group.name))

	def test_review_needs_write_access_and_a_known_decision(self):
		self.scan()
		group = self.group_of(self.leads[0].name)
		frappe.set_user(ALICE)
		with self.assertRaises(frappe.PermissionError):
			duplicates.review_group(group.name, "confirm")
		with self.assertRaises(frappe.PermissionError):
			duplicates.start_scan()
		frappe.set_user(MANAGER)
		with self.assertRaises(frappe.ValidationError):
			duplicates.review_group(group.name, "merge everything")
		self.assertEqual(duplicates.review_group(group.name, "confirm"), "Confirmed")
		self.assertEqual(frappe.db.get_value("CX Duplicate Group", group.name, "reviewed_by"), MANAGER)
