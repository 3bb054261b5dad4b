"""Several people acting on one record at the same moment, each in a thread of their own with its own
connection and transaction, as separate web requests would: one succeeds, the others are told in words
what happened to the record, and nothing is half-written or done twice."""

import threading
import time
import unittest
from unittest.mock import patch

import frappe

from crm_app.cx_sales.doctype.cx_lead.conversion import convert_lead
from crm_app.exceptions import AlreadyConvertedError, AlreadyLinkedError, ChangedMeanwhileError

from .conftest import BENCH, SITE
from .factories import CXTestCase, make_lead, make_opportunity, make_product, make_user

MANAGER = "concurrent.manager@example.com"
ACCOUNTANT = "concurrent.accounts@example.com"
ON_ERPNEXT = "erpnext" in frappe.get_installed_apps()


def at_once(*actions, user: str = MANAGER) -> list[tuple[str, object]]:
	"""Run each action in its own thread and Frappe context, all released together; each returns
	("ok", result) or (exception class name, exception). Each commits or rolls back on its own."""
	ready = threading.Barrier(len(actions))
	outcomes: list = [None] * len(actions)

	def run(index, action):
		frappe.init(site=SITE, sites_path=str(BENCH / "sites"))
		frappe.connect()
		try:
			frappe.set_user(user)
			prepare, act = action
			state = prepare()
			ready.wait(timeout=60)
			result = act(state)
			frappe.db.commit()
			outcomes[index] = ("ok", result)
		except Exception as exc:
			frappe.db.rollback()
			outcomes[index] = (type(exc).__name__, exc)
		finally:
			frappe.destroy()

	threads = [threading.Thread(target=run, args=(i, action)) for i, action in enumerate(actions)]
	for thread in threads:
		thread.start()
	for thread in threads:
		thread.join(timeout=120)
	return outcomes


def delete_committed(doctype: str, name: str, attempts: int = 5) -> None:
	"""Delete a record these tests committed. A worker of the bench, if one runs, may be busy with a job
	the test's saves queued (rollups, recounts) and hold the row for a moment: Frappe's delete refuses at
	once (NOWAIT), so try again shortly."""
	for attempt in range(attempts):
		try:
			frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
			frappe.db.commit()
			return
		except frappe.QueryTimeoutError:
			frappe.db.rollback()
			if attempt == attempts - 1:
				raise
			time.sleep(1)


class TestSimultaneousActions(CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(MANAGER, "Sales Manager", "Sales User")
		self.started = frappe.utils.now_datetime()

	def tearDown(self):
		frappe.db.rollback()
		for doctype in ("CX Opportunity", "CX Lead", "Contact", "CX Customer"):
			for name in frappe.get_all(doctype, {"creation": (">=", self.started)}, pluck="name"):
				delete_committed(doctype, name)
		super().tearDown()

	def test_eight_conversions_of_one_lead_convert_it_once(self):
		lead = make_lead(first_name="Contested", status="Qualified", email="contested@example.com").name
		frappe.db.commit()  # the other connections see only what is committed
		outcomes = at_once(*[(lambda: None, lambda _state: convert_lead(lead)) for _ in range(8)])
		kinds = [kind for kind, _value in outcomes]
		self.assertEqual(kinds.count("ok"), 1, outcomes)
		self.assertEqual(kinds.count(AlreadyConvertedError.__name__), 7, outcomes)
		customer = frappe.db.get_value("CX Lead", lead, "customer")
		refused = next(value for kind, value in outcomes if kind != "ok")
		self.assertIn(customer, str(refused))
		self.assertIn(frappe.utils.get_fullname(MANAGER), str(refused))
		self.assertEqual(frappe.db.count("CX Customer", {"creation": (">=", self.started)}), 1)

	def test_two_stage_moves_from_copies_opened_together_keep_the_first_and_explain_it(self):
		deal = make_opportunity(items=[{**make_product(), "qty": 1, "rate": 100}]).name
		frappe.db.commit()

		def move_to(stage):
			def act(doc):
				doc.sales_stage = stage
				doc.save()
				return stage

			return (lambda: frappe.get_doc("CX Opportunity", deal), act)

		outcomes = at_once(move_to("Proposal"), move_to("Negotiation"))
		kinds = sorted(kind for kind, _value in outcomes)
		self.assertEqual(kinds, sorted(["ok", ChangedMeanwhileError.__name__]), outcomes)
		kept = next(value for kind, value in outcomes if kind == "ok")
		self.assertEqual(frappe.db.get_value("CX Opportunity", deal, "sales_stage"), kept)
		refused = str(next(value for kind, value in outcomes if kind != "ok"))
		self.assertIn(deal, refused)
		self.assertIn(kept, refused)  # it says what the deal now reads
		self.assertTrue(issubclass(ChangedMeanwhileError, frappe.TimestampMismatchError))
		refused_stage = ({"Proposal", "Negotiation"} - {kept}).pop()
		stays = frappe.get_all("CX Opportunity Stage Log", {"parent": deal}, pluck="stage")
		self.assertNotIn(refused_stage, stays)  # nothing of the refused move was written

	@unittest.skipUnless(ON_ERPNEXT, "ERPNext is not installed on this site")
	def test_two_accountants_linking_one_invoice_link_it_once_and_say_by_whom(self):
		from crm_app.integrations.erpnext.deals import link_documents
		from tests.integration import test_y_erpnext_books as books

		books.setUpModule()  # ERPNext's company and the test items
		make_user(ACCOUNTANT, "Accounts User")
		customer = frappe.get_doc({"doctype": "CX Customer", "customer_name": "Contested Books"}).insert()
		deal = books.make_deal(customer.name)
		invoice = books.invoice_for(customer.erpnext_customer, 400)
		frappe.db.commit()
		try:
			link = [["Sales Invoice", invoice.name, deal.name]]
			outcomes = at_once(*[(lambda: None, lambda _state: link_documents(link))] * 2, user=ACCOUNTANT)
			kinds = sorted(kind for kind, _value in outcomes)
			self.assertEqual(kinds, sorted(["ok", AlreadyLinkedError.__name__]), outcomes)
			refused = str(next(value for kind, value in outcomes if kind != "ok"))
			self.assertIn(deal.name, refused)
			self.assertIn(frappe.utils.get_fullname(ACCOUNTANT), refused)
			self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "cx_opportunity"), deal.name)
			self.assertEqual(frappe.db.get_value("CX Opportunity", deal.name, "invoiced_amount"), 400)
		finally:
			frappe.get_doc("Sales Invoice", invoice.name).cancel()
			frappe.delete_doc("Sales Invoice", invoice.name, force=True)
			frappe.db.commit()

	@unittest.skipUnless(ON_ERPNEXT, "ERPNext is not installed on this site")
	def test_two_invoices_of_one_deal_submitted_at_once_both_count(self):
		from crm_app.integrations.erpnext import books as deal_books
		from tests.integration import test_y_erpnext_books as books

		books.setUpModule()
		customer = frappe.get_doc({"doctype": "CX Customer", "customer_name": "Busy Books"}).insert()
		deal = books.make_deal(customer.name).name
		frappe.db.commit()

		def invoice(amount):
			def act(_state):
				return books.invoice_for(customer.erpnext_customer, amount, cx_opportunity=deal).name

			return (lambda: None, act)

		with patch("frappe.enqueue") as queued:  # the jobs each commit would queue, run below in order
			outcomes = at_once(invoice(300), invoice(500), user="Administrator")
		invoices = [value for kind, value in outcomes if kind == "ok"]
		try:
			self.assertEqual(len(invoices), 2, outcomes)
			later = [c.kwargs for c in queued.call_args_list if c.args[0].endswith("books.refresh_later")]
			self.assertEqual(len(later), 2)
			for job in later:
				deal_books.refresh_later(job["deals"], job["customers"])
			self.assertEqual(frappe.db.get_value("CX Opportunity", deal, "invoiced_amount"), 800)
			self.assertEqual(frappe.db.get_value("CX Customer", customer.name, "lifetime_value"), 800)
		finally:
			for name in invoices:
				frappe.get_doc("Sales Invoice", name).cancel()
				frappe.delete_doc("Sales Invoice", name, force=True)
			frappe.db.commit()

	def test_a_record_being_created_does_not_hold_its_naming_series_for_others(self):
		"""Frappe locks the series row until the creating transaction ends; conversions queued on it."""
		created, release, done = threading.Event(), threading.Event(), threading.Event()
		names = {}

		customer = frappe.get_doc({"doctype": "CX Customer", "customer_name": "Series Ltd"}).insert().name
		product = make_product()
		frappe.db.commit()

		def new_deal(title):
			return make_opportunity(
				title=title, customer=customer, items=[{**product, "qty": 1, "rate": 1}]
			).name

		def in_own_context(body):
			frappe.init(site=SITE, sites_path=str(BENCH / "sites"))
			frappe.connect()
			try:
				frappe.set_user(MANAGER)
				body()
			finally:
				frappe.db.rollback()
				frappe.destroy()

		def slow():
			names["slow"] = new_deal("Slow deal")  # inserted, not committed
			created.set()
			release.wait(timeout=60)

		def quick():
			created.wait(timeout=60)
			names["quick"] = new_deal("Quick deal")
			frappe.db.commit()
			done.set()

		threads = [threading.Thread(target=in_own_context, args=(body,)) for body in (slow, quick)]
		for thread in threads:
			thread.start()
		try:
			self.assertTrue(done.wait(timeout=20), "the second deal waited for the first one's transaction")
		finally:
			release.set()
			for thread in threads:
				thread.join(timeout=60)
		self.assertNotEqual(names["slow"], names["quick"])
		frappe.db.commit()  # a fresh snapshot, which sees the other connections' commits
		self.assertTrue(frappe.db.exists("CX Opportunity", names["quick"]))
		self.assertFalse(
			frappe.db.exists("CX Opportunity", names["slow"])
		)  # rolled back: a gap, as a deletion

	def test_a_transaction_holding_the_series_stops_asking_for_it(self):
		"""A bulk job that took a series through Frappe's naming holds its row: the side connection would
		wait a second for it on every further record (the demo data took 2 s a deal)."""
		from unittest import mock

		from crm_app import naming

		lead = frappe.qb.DocType("CX Lead")
		frappe.db.commit()
		# this transaction takes the lead series row as Frappe's own naming would
		frappe.db.sql("select `current` from `tabSeries` where name like 'CX-LEAD-%%' for update")
		with mock.patch.object(naming, "next_name", wraps=naming.next_name) as asked:
			for first_name in ("One", "Two", "Three"):
				frappe.get_doc(
					{"doctype": "CX Lead", "first_name": first_name, "lead_name": first_name}
				).insert()
		self.assertLessEqual(asked.call_count, 1)
		self.assertEqual(
			len(frappe.qb.from_(lead).select(lead.name).where(lead.first_name == "Three").run()), 1
		)
		frappe.db.rollback()
		self.assertFalse(naming.series_held_here())  # forgotten with the transaction

	def test_a_save_from_a_stale_form_says_who_changed_the_lead_and_what_it_reads(self):
		lead = make_lead(first_name="Stale")
		mine = frappe.get_doc("CX Lead", lead.name)
		theirs = frappe.get_doc("CX Lead", lead.name)
		frappe.set_user(MANAGER)
		theirs.status = "Contacted"
		theirs.save()
		frappe.set_user("Administrator")
		mine.organization_name = "Mine Ltd"
		with self.assertRaises(ChangedMeanwhileError) as refused:
			mine.save()
		message = str(refused.exception)
		self.assertIn(frappe.utils.get_fullname(MANAGER), message)
		self.assertIn("Contacted", message)
		self.assertEqual(
			frappe.db.get_value("CX Lead", lead.name, "organization_name"), lead.organization_name
		)

	def test_the_explanation_escapes_what_users_typed(self):
		prankster = make_user("prank.ster@example.com", "Sales Manager", "Sales User")
		# Frappe strips tags from names typed in the form; an import or another app may not
		frappe.db.set_value("User", prankster, "first_name", "<img src=x onerror=alert(1)>")
		frappe.local.fullnames = {}
		customer = frappe.get_doc({"doctype": "CX Customer", "customer_name": "Plain Ltd"}).insert()
		mine = frappe.get_doc("CX Customer", customer.name)
		theirs = frappe.get_doc("CX Customer", customer.name)
		frappe.set_user(prankster)
		theirs.customer_name = "<script>x()</script> Ltd"
		theirs.save()
		frappe.set_user("Administrator")
		mine.website = "https://plain.example.com"
		with self.assertRaises(ChangedMeanwhileError) as refused:
			mine.save()
		message = str(refused.exception)
		self.assertNotIn("<img", message)
		self.assertNotIn("<script>", message)
		self.assertIn("&lt;script&gt;", message)
		self.assertIn("&lt;img", message)  # the name is there, escaped
