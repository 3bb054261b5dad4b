"""The 360 panel of customers and leads (crm_app/cx_sales/profile.py): one request returns every part, the
timeline pages without gaps or repeats across equal moments, and a restricted sales user sees neither
another user's customer nor entries they may not read."""

import unittest

import frappe
from frappe.utils import add_to_date, now_datetime

from crm_app.cx_sales.profile import InvalidCursorError, ProfileDoctypeError, get_profile

from .factories import (
	CXTestCase,
	make_call_log,
	make_campaign,
	make_customer,
	make_lead,
	make_opportunity,
	make_user,
)

ALICE, BOB = "alice.profile@example.com", "bob.profile@example.com"
ON_ERPNEXT = "erpnext" in frappe.get_installed_apps()


def comment(doctype: str, name: str, text: str):
	return frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Comment",
			"reference_doctype": doctype,
			"reference_name": name,
			"content": text,
		}
	).insert(ignore_permissions=True)


def email(reference: tuple[str, str], subject: str, links=(), when=None):
	doc = frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "Email",
			"sent_or_received": "Received",
			"sender": "client@example.com",
			"subject": subject,
			"reference_doctype": reference[0],
			"reference_name": reference[1],
			"communication_date": when or now_datetime(),
		}
	)
	for doctype, name in links:
		doc.append("timeline_links", {"link_doctype": doctype, "link_name": name})
	return doc.insert(ignore_permissions=True)


def meeting(doctype: str, name: str, subject: str, owner: str = "Administrator"):
	event = frappe.get_doc(
		{
			"doctype": "Event",
			"subject": subject,
			"event_type": "Private",
			"event_category": "Meeting",
			"starts_on": add_to_date(now_datetime(), hours=-1),
			"event_participants": [{"reference_doctype": doctype, "reference_docname": name}],
		}
	).insert(ignore_permissions=True)
	if owner != "Administrator":
		frappe.db.set_value("Event", event.name, "owner", owner, update_modified=False)
	return event


def task(doctype: str, name: str, user: str, description: str):
	return frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": user,
			"reference_type": doctype,
			"reference_name": name,
			"description": description,
		}
	).insert(ignore_permissions=True)


def timeline_titles(profile) -> set:
	return {entry["title"] for entry in profile["timeline"]["entries"]}


def walk(doctype: str, name: str, limit: int) -> list[tuple]:
	"""Every timeline entry, page by page through `before`."""
	seen, before = [], None
	for _page in range(500):
		timeline = get_profile(doctype, name, before=before, limit=limit)["timeline"]
		seen.extend((e["kind"], e["name"], e.get("via_name"), e["moment"]) for e in timeline["entries"])
		before = timeline["next"]
		if not before:
			return seen
	raise AssertionError("the timeline never ended")


class TestProfile(CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(ALICE, "Sales User")
		make_user(BOB, "Sales User")
		self.customer = make_customer(customer_name="Profile Works", account_manager=ALICE)

	def test_one_request_returns_every_part(self):
		customer = self.customer.name
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Petra",
				"last_name": "Profile",
				"email_ids": [{"email_id": "petra.profile@example.com", "is_primary": 1}],
				"links": [{"link_doctype": "CX Customer", "link_name": customer}],
			}
		).insert(ignore_permissions=True)
		frappe.get_doc(
			{
				"doctype": "Address",
				"address_title": "Profile Works HQ",
				"address_type": "Billing",
				"address_line1": "1 Profile Street",
				"city": "Kraków",
				"country": frappe.db.get_value("Country", {}) or "Poland",
				"links": [{"link_doctype": "CX Customer", "link_name": customer}],
			}
		).insert(ignore_permissions=True)
		campaign = make_campaign("Profile Spring")
		deal = make_opportunity(customer=customer, title="Profile deal", campaign=campaign)
		issue = frappe.get_doc(
			{"doctype": "CX Issue", "subject": "Profile issue", "customer": customer}
		).insert()
		make_call_log(reference_doctype="CX Customer", reference_name=customer, summary="Profile call")
		comment("CX Customer", customer, "<p>Profile note</p>")
		task("CX Customer", customer, ALICE, "Profile task")
		meeting("CX Customer", customer, "Profile meeting")
		email(("CX Customer", customer), "Profile mail")
		email(("CX Issue", issue.name), "Profile issue mail", links=[("CX Customer", customer)])

		profile = get_profile("CX Customer", customer)

		self.assertEqual(profile["title"], "Profile Works")
		self.assertEqual(profile["owner"], ALICE)
		figures = {figure["fieldname"] for figure in profile["figures"]}
		self.assertTrue(
			{"lifetime_value", "outstanding_amount", "loyalty_points", "satisfaction_score"} <= figures
		)
		self.assertEqual([c["first_name"] for c in profile["contacts"]["rows"]], ["Petra"])
		self.assertEqual([a["address_title"] for a in profile["addresses"]["rows"]], ["Profile Works HQ"])
		self.assertEqual([o["name"] for o in profile["opportunities"]["rows"]], [deal.name])
		self.assertEqual([i["name"] for i in profile["issues"]["rows"]], [issue.name])
		kinds = {entry["kind"] for entry in profile["timeline"]["entries"]}
		self.assertEqual(kinds, {"email", "call", "meeting", "note", "task", "issue", "campaign"})
		self.assertTrue(
			{"Profile call", "Profile note", "Profile task", "Profile meeting", "Profile mail"}
			<= timeline_titles(profile)
		)
		self.assertIn("Profile issue mail", timeline_titles(profile))  # linked, filed on its issue
		# Frappe copies a meeting into a Communication linked to the record: it shows once, as the meeting.
		meetings = [e["kind"] for e in profile["timeline"]["entries"] if e["title"] == "Profile meeting"]
		self.assertEqual(meetings, ["meeting"])
		self.assertIsNone(profile["timeline"]["next"])
		for label in profile["timeline"]["kinds"].values():
			self.assertTrue(label["label"] and label["icon"])

	def test_a_lead_shows_its_campaign_and_no_issues(self):
		lead = make_lead(first_name="Lena", last_name="Profile", campaign=make_campaign("Profile Autumn"))
		make_call_log(reference_doctype="CX Lead", reference_name=lead.name, summary="Lead call")
		profile = get_profile("CX Lead", lead.name)
		self.assertIsNone(profile["issues"])
		self.assertIn("lead_score", {figure["fieldname"] for figure in profile["figures"]})
		entries = {entry["kind"]: entry for entry in profile["timeline"]["entries"]}
		self.assertEqual(entries["campaign"]["name"], "Profile Autumn")
		self.assertEqual(entries["call"]["title"], "Lead call")

	def test_pages_have_no_gaps_or_repeats_across_equal_moments(self):
		customer = self.customer.name
		moment = add_to_date(now_datetime(), days=-3).replace(microsecond=0)
		for i in range(7):
			make_call_log(
				reference_doctype="CX Customer",
				reference_name=customer,
				summary=f"Tie {i}",
				call_start=moment,
			)
		for i in range(5):
			note = comment("CX Customer", customer, f"Tie note {i}")
			frappe.db.set_value("Comment", note.name, "creation", moment, update_modified=False)
			mail = email(("CX Customer", customer), f"Tie mail {i}", when=moment)
			frappe.db.set_value(
				"Communication", mail.name, "communication_date", moment, update_modified=False
			)
		for i in range(4):
			make_call_log(
				reference_doctype="CX Customer",
				reference_name=customer,
				summary=f"Later {i}",
				call_start=add_to_date(moment, hours=i + 1),
			)
		everything = walk("CX Customer", customer, 100)
		self.assertEqual(len(everything), 21)
		for limit in (1, 2, 3, 5):
			paged = walk("CX Customer", customer, limit)
			self.assertEqual(paged, everything, f"pages of {limit}")
			self.assertEqual(len(set(paged)), len(paged))
		moments = [row[3] for row in everything]
		self.assertEqual(moments, sorted(moments, reverse=True))

	def test_restricted_sales_user_sees_neither_other_customers_nor_hidden_entries(self):
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		customer = self.customer.name
		bobs = make_customer(customer_name="Bob's Account", account_manager=BOB)
		bobs_lead = make_lead(first_name="Bobby", last_name="Secret", lead_owner=BOB)
		email(("CX Customer", customer), "Alice mail")
		email(("CX Lead", bobs_lead.name), "Bob lead mail", links=[("CX Customer", customer)])
		meeting("CX Customer", customer, "Administrator private meeting")
		meeting("CX Customer", customer, "Alice meeting", owner=ALICE)
		task("CX Customer", customer, ALICE, "Alice task")
		task("CX Customer", customer, BOB, "Bob task")
		make_call_log(reference_doctype="CX Customer", reference_name=customer, summary="Alice call")
		frappe.get_doc({"doctype": "CX Issue", "subject": "Alice issue", "customer": customer}).insert()
		frappe.get_doc({"doctype": "CX Issue", "subject": "Bob issue", "customer": bobs.name}).insert()

		frappe.set_user(ALICE)
		with self.assertRaises(frappe.PermissionError):
			get_profile("CX Customer", bobs.name)
		with self.assertRaises(frappe.PermissionError):
			get_profile("CX Lead", bobs_lead.name)
		profile = get_profile("CX Customer", customer)
		titles = {entry["title"] for entry in profile["timeline"]["entries"]}
		self.assertTrue({"Alice mail", "Alice meeting", "Alice task", "Alice call", "Alice issue"} <= titles)
		self.assertFalse(
			{"Bob lead mail", "Administrator private meeting", "Bob task", "Bob issue"} & titles, titles
		)
		self.assertEqual([i["subject"] for i in profile["issues"]["rows"]], ["Alice issue"])

		frappe.set_user("Administrator")  # who may read all of it sees all of it
		titles = timeline_titles(get_profile("CX Customer", customer))
		self.assertTrue({"Bob lead mail", "Administrator private meeting", "Bob task"} <= titles)

	def test_only_customers_and_leads_and_only_cursors_it_handed_out(self):
		with self.assertRaises(ProfileDoctypeError):
			get_profile("User", "Administrator")
		with self.assertRaises(ProfileDoctypeError):
			get_profile("CX Opportunity", make_opportunity().name)
		with self.assertRaises(frappe.DoesNotExistError):
			get_profile("CX Customer", "no-such-customer-4711")
		for before in ("garbage", "2026-01-01 10:00:00|sms|X", "2026-13-01 10:00:00|call|X", "x" * 5000):
			with self.assertRaises(InvalidCursorError):
				get_profile("CX Customer", self.customer.name, before=before)
		self.assertEqual(get_profile("CX Customer", self.customer.name, limit=-5)["timeline"]["entries"], [])


@unittest.skipUnless(ON_ERPNEXT, "ERPNext is not installed on this site")
class TestProfileWithERPNext(CXTestCase):
	def test_invoices_show_to_users_who_may_read_them(self):
		make_user(ALICE, "Sales User")
		customer = make_customer(customer_name="Profile Books", account_manager=ALICE)
		party = customer.get("erpnext_customer") or "Profile Books Party"
		frappe.db.set_value("CX Customer", customer.name, "erpnext_customer", party, update_modified=False)
		# A bare submitted header is all the panel reads (no ledger: it is never posted).
		invoice = frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"name": f"PROFILE-SINV-{frappe.generate_hash(length=6)}",
				"customer": party,
				"posting_date": frappe.utils.nowdate(),
				"grand_total": 420,
				"currency": "USD",
				"status": "Unpaid",
				"docstatus": 1,
			}
		)
		invoice.db_insert()
		entries = get_profile("CX Customer", customer.name)["timeline"]["entries"]
		invoices = [e for e in entries if e["kind"] == "sales_invoice"]
		self.assertEqual(
			[(e["name"], e["amount"], e["date_only"]) for e in invoices], [(invoice.name, 420, True)]
		)

		frappe.set_user(ALICE)  # a Sales User does not read Sales Invoices
		kinds = {e["kind"] for e in get_profile("CX Customer", customer.name)["timeline"]["entries"]}
		self.assertNotIn("sales_invoice", kinds)
