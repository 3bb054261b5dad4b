"""Merging duplicates moves every reference, loses nothing, refuses bad input, and can be undone.

The property test builds random link graphs around a few leads (comments, assignments, calls, files,
emails, meeting participants, tags, follows, shares), merges a random subset into one of them, and
checks that nothing is lost or left pointing at a merged record; then undoes the merge and checks that
the graph is back as it was.
"""

import unittest

import frappe
from frappe.desk.form.document_follow import follow_document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_app.cx_data_quality import merge as merging
from crm_app.exceptions import ChangedMeanwhileError, MergeRefusedError, MergeUndoRefusedError

from .factories import CXTestCase, make_customer, make_lead, make_user

ALICE, BOB = "alice.sales@example.com", "bob.sales@example.com"
KINDS = ("comment", "todo", "call", "file", "email", "meeting", "tag", "follow", "share")


def attach(kind: str, lead: str, serial: int) -> None:
	"""One thing of `kind` that points at `lead`."""
	if kind == "comment":
		frappe.get_doc("CX Lead", lead).add_comment("Comment", f"note {serial}")
	elif kind == "todo":
		frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": "Administrator",
				"reference_type": "CX Lead",
				"reference_name": lead,
				"description": f"task {serial}",
			}
		).insert()
	elif kind == "call":
		frappe.get_doc(
			{
				"doctype": "CX Call Log",
				"reference_doctype": "CX Lead",
				"reference_name": lead,
				"direction": "Outgoing",
				"outcome": "Connected",
			}
		).insert()
	elif kind == "file":
		frappe.get_doc(
			{
				"doctype": "File",
				"file_name": f"f{serial}.txt",
				"content": f"file {serial}",
				"attached_to_doctype": "CX Lead",
				"attached_to_name": lead,
				"is_private": 1,
			}
		).insert()
	elif kind == "email":
		frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"subject": f"mail {serial}",
				"reference_doctype": "CX Lead",
				"reference_name": lead,
				"sent_or_received": "Received",
			}
		).insert(ignore_permissions=True)
	elif kind == "meeting":
		frappe.get_doc(
			{
				"doctype": "Event",
				"subject": f"meet {serial}",
				"starts_on": "2026-01-05 10:00:00",
				"event_participants": [{"reference_doctype": "CX Lead", "reference_docname": lead}],
			}
		).insert()
	elif kind == "tag":
		frappe.get_doc("CX Lead", lead).add_tag(f"tag{serial % 3}")
	elif kind == "follow":
		follow_document("CX Lead", lead, "Administrator")
	elif kind == "share":
		frappe.share.add("CX Lead", lead, ALICE, read=1, notify=0)


def references(names: set[str], since: dict | None = None) -> dict[tuple[str, str, str], str]:
	"""Every (table, row, field) on the site that points at one of these leads, with its value; with
	`since`, without the merge's own record of itself (its comment and the kept lead's new versions)."""
	found = _references(names)
	if since is not None:
		found = {
			key: value for key, value in found.items() if key in since or key[0] not in ("Comment", "Version")
		}
	return found


def _references(names: set[str]) -> dict[tuple[str, str, str], str]:
	found = {}

	def scan(table, field, type_field=None):
		if table in merging.NOT_MOVED or not frappe.db.table_exists(table):
			return
		filters = {field: ("in", list(names))}
		if type_field:
			filters[type_field] = "CX Lead"
		for row in frappe.get_all(table, filters=filters, fields=["name", field]):
			found[(table, row.name, field)] = row[field]

	from frappe.model.dynamic_links import get_dynamic_links
	from frappe.model.rename_doc import get_link_fields

	for link in get_link_fields("CX Lead"):
		if not link.get("issingle"):
			scan(link["parent"], link["fieldname"])
	for link in get_dynamic_links():
		if not frappe.get_meta(link.parent).issingle:
			scan(link.parent, link.fieldname, link.options)
	for table, type_field, field in merging.DATA_REFERENCES:
		scan(table, field, type_field)
	return found


class TestMergeGraph(CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(ALICE, "Sales User")

	@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
	@given(
		lead_count=st.integers(2, 4),
		edges=st.lists(st.tuples(st.sampled_from(KINDS), st.integers(0, 3)), min_size=1, max_size=14),
		keep_index=st.integers(0, 3),
		merge_count=st.integers(1, 3),
	)
	def test_merge_moves_everything_and_undo_restores_the_graph(
		self, lead_count, edges, keep_index, merge_count
	):
		frappe.db.savepoint("graph")
		try:
			self.check_graph(lead_count, edges, keep_index, merge_count)
		finally:
			frappe.db.rollback(save_point="graph")

	def check_graph(self, lead_count, edges, keep_index, merge_count):
		leads = [make_lead(first_name=f"Graph{i}", last_name="Lead").name for i in range(lead_count)]
		for serial, (kind, index) in enumerate(edges):
			attach(kind, leads[index % lead_count], serial)
		keep = leads[keep_index % lead_count]
		merged = [name for name in leads if name != keep][:merge_count]
		before = references(set(leads))
		kept_fields = frappe.db.get_value(
			"CX Lead", keep, ["first_name", "_user_tags", "_assign"], as_dict=True
		)

		log = merging.merge_records("CX Lead", keep, merged)

		after = references(set(leads), since=before)
		self.assertEqual(set(after), set(before), "a reference was lost or added")
		for key, value in before.items():
			self.assertEqual(after[key], keep if value in merged else value, key)
		self.assertFalse(any(frappe.db.exists("CX Lead", name) for name in merged))
		log_doc = frappe.get_doc("CX Merge Log", log)
		self.assertEqual(log_doc.moved_count, sum(1 for v in before.values() if v in merged))

		merging.undo_merge(log)

		self.assertTrue(all(frappe.db.exists("CX Lead", name) for name in merged))
		self.assertEqual(references(set(leads), since=before), before)
		self.assertEqual(
			frappe.db.get_value("CX Lead", keep, ["first_name", "_user_tags", "_assign"], as_dict=True),
			kept_fields,
		)
		self.assertEqual(frappe.db.get_value("CX Merge Log", log, "status"), "Undone")


class TestMergeRules(CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(ALICE, "Sales User")
		make_user(BOB, "Sales User")
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		self.keep = make_lead(
			first_name="Yuliia", last_name="Kovalchuk", email="yk@gmail.com", lead_owner=ALICE
		)
		self.other = make_lead(
			first_name="Julia", last_name="Kowalczuk", mobile_no="+380671234567", lead_owner=ALICE
		)

	def test_chosen_values_come_from_the_chosen_record_and_empty_fields_are_filled(self):
		merging.merge_records(
			"CX Lead", self.keep.name, [self.other.name], values_from={"first_name": self.other.name}
		)
		kept = frappe.get_doc("CX Lead", self.keep.name)
		self.assertEqual(kept.first_name, "Julia")
		self.assertEqual(kept.mobile_no, "+380671234567")
		self.assertEqual(kept.email, "yk@gmail.com")

	def test_merging_into_itself_or_nothing_is_refused(self):
		with self.assertRaises(MergeRefusedError):
			merging.merge_records("CX Lead", self.keep.name, [self.keep.name])
		with self.assertRaises(MergeRefusedError):
			merging.merge_records("CX Lead", self.keep.name, [])

	def test_a_record_of_another_doctype_is_refused_and_nothing_changes(self):
		customer = make_customer()
		with self.assertRaises(frappe.DoesNotExistError):
			merging.merge_records("CX Lead", self.keep.name, [customer.name])
		with self.assertRaises(MergeRefusedError):
			merging.merge_records("CX Opportunity", self.keep.name, [self.other.name])
		self.assertTrue(frappe.db.exists("CX Customer", customer.name))

	def test_a_value_that_is_not_a_field_the_user_may_choose_is_refused(self):
		for choice in (
			{"lead_score": self.other.name},
			{"first_name": "someone else"},
			{"no_such": self.other.name},
		):
			with self.assertRaises(MergeRefusedError):
				merging.merge_records("CX Lead", self.keep.name, [self.other.name], values_from=choice)

	def test_a_user_who_may_not_write_both_records_is_refused(self):
		bobs = make_lead(first_name="Yulia", last_name="Kovalchuk", lead_owner=BOB)
		frappe.set_user(ALICE)
		with self.assertRaises(frappe.PermissionError):
			merging.merge_records("CX Lead", self.keep.name, [bobs.name])
		with self.assertRaises(frappe.PermissionError):  # a sales user may not delete leads
			merging.merge_records("CX Lead", self.keep.name, [self.other.name])
		frappe.set_user("Administrator")
		self.assertTrue(frappe.db.exists("CX Lead", bobs.name))

	def test_a_record_changed_after_the_user_looked_is_refused_with_who_and_when(self):
		seen = {self.other.name: "2001-01-01 00:00:00.000000"}
		with self.assertRaises(ChangedMeanwhileError) as refused:
			merging.merge_records("CX Lead", self.keep.name, [self.other.name], seen_modified=seen)
		self.assertIn(self.other.name, str(refused.exception))
		self.assertTrue(frappe.db.exists("CX Lead", self.other.name))

	def test_leads_converted_to_different_customers_are_refused(self):
		frappe.db.set_value("CX Lead", self.keep.name, "customer", make_customer(customer_name="A").name)
		frappe.db.set_value("CX Lead", self.other.name, "customer", make_customer(customer_name="B").name)
		with self.assertRaises(MergeRefusedError):
			merging.merge_records("CX Lead", self.keep.name, [self.other.name])

	def test_undo_after_the_kept_record_changed_or_twice_is_refused(self):
		log = merging.merge_records("CX Lead", self.keep.name, [self.other.name])
		kept = frappe.get_doc("CX Lead", self.keep.name)
		kept.notes = "changed after the merge"
		kept.save()
		with self.assertRaises(MergeUndoRefusedError):
			merging.undo_merge(log)
		self.assertFalse(frappe.db.exists("CX Lead", self.other.name))
		frappe.db.set_value(
			"CX Merge Log",
			log,
			"survivor_modified",
			frappe.db.get_value("CX Lead", self.keep.name, "modified"),
		)
		merging.undo_merge(log)
		with self.assertRaises(MergeUndoRefusedError):
			merging.undo_merge(log)

	def test_a_converted_lead_must_be_the_one_kept(self):
		customer = make_customer(customer_name="Converted")
		frappe.db.set_value("CX Lead", self.other.name, {"customer": customer.name, "status": "Converted"})
		with self.assertRaises(MergeRefusedError) as refused:
			merging.merge_records("CX Lead", self.keep.name, [self.other.name])
		self.assertIn(customer.name, str(refused.exception))
		merging.merge_records("CX Lead", self.other.name, [self.keep.name])

	def test_the_duplicate_group_is_marked_merged(self):
		group = frappe.get_doc(
			{
				"doctype": "CX Duplicate Group",
				"record_doctype": "CX Lead",
				"title": "t",
				"fingerprint": frappe.generate_hash(),
			}
		).insert()
		merging.merge_records("CX Lead", self.keep.name, [self.other.name], duplicate_group=group.name)
		self.assertEqual(frappe.db.get_value("CX Duplicate Group", group.name, "status"), "Merged")


class TestContactMerge(CXTestCase):
	def test_emails_and_phones_join_the_kept_contact_once_and_its_primary_stays(self):
		def contact(first, email, phone):
			doc = frappe.get_doc(
				{"doctype": "Contact", "first_name": first, "last_name": "Shcherbyna", "image": "x"}
			)
			doc.add_email(email, is_primary=True)
			doc.add_phone(phone, is_primary_mobile_no=True)
			return doc.insert()

		keep = contact("Hryhorii", "h@ukr.net", "+380671234567")
		other = contact("Григорій", "hryhorii@gmail.com", "+380671234567")
		log = merging.merge_records("Contact", keep.name, [other.name])
		kept = frappe.get_doc("Contact", keep.name)
		self.assertEqual(sorted(e.email_id for e in kept.email_ids), ["h@ukr.net", "hryhorii@gmail.com"])
		self.assertEqual([e.email_id for e in kept.email_ids if e.is_primary], ["h@ukr.net"])
		self.assertEqual(len(kept.phone_nos), 1)
		merging.undo_merge(log)
		self.assertEqual([e.email_id for e in frappe.get_doc("Contact", keep.name).email_ids], ["h@ukr.net"])
		self.assertEqual(
			[e.email_id for e in frappe.get_doc("Contact", other.name).email_ids], ["hryhorii@gmail.com"]
		)


ON_ERPNEXT = "erpnext" in frappe.get_installed_apps()


@unittest.skipUnless(ON_ERPNEXT, "ERPNext is not installed on this site")
class TestMergeWithERPNext(CXTestCase):
	def test_customers_with_two_erpnext_twins_wait_for_erpnext_merge_then_follow_it(self):
		from frappe.model.rename_doc import rename_doc

		from crm_app.integrations.erpnext.customers import ensure_erpnext_customer

		keep = make_customer(customer_name="Svitanok LLC", customer_type="Company")
		other = make_customer(customer_name="ТОВ «Світанок»", customer_type="Company")
		twins = [ensure_erpnext_customer(frappe.get_doc("CX Customer", c.name)) for c in (keep, other)]
		with self.assertRaises(MergeRefusedError):
			merging.merge_records("CX Customer", keep.name, [other.name])

		rename_doc("Customer", twins[1], twins[0], merge=True, show_alert=False, rebuild_search=False)
		merging.merge_records("CX Customer", keep.name, [other.name])
		self.assertEqual(frappe.db.get_value("CX Customer", keep.name, "erpnext_customer"), twins[0])
		self.assertEqual(frappe.db.get_value("Customer", twins[0], "cx_customer"), keep.name)

	def test_the_kept_customer_takes_the_merged_ones_erpnext_twin_when_it_has_none(self):
		from crm_app.integrations.erpnext.customers import ensure_erpnext_customer

		keep = make_customer(customer_name="Zoria Sp. z o.o.", customer_type="Company")
		other = make_customer(customer_name="Zoria", customer_type="Company")
		frappe.db.set_value("CX Customer", keep.name, "erpnext_customer", None)
		frappe.db.set_value("Customer", {"cx_customer": keep.name}, "cx_customer", None)
		twin = ensure_erpnext_customer(frappe.get_doc("CX Customer", other.name))
		log = merging.merge_records("CX Customer", keep.name, [other.name])
		self.assertEqual(frappe.db.get_value("CX Customer", keep.name, "erpnext_customer"), twin)
		self.assertEqual(frappe.db.get_value("Customer", twin, "cx_customer"), keep.name)
		merging.undo_merge(log)
		self.assertEqual(frappe.db.get_value("Customer", twin, "cx_customer"), other.name)
		self.assertFalse(frappe.db.get_value("CX Customer", keep.name, "erpnext_customer"))
