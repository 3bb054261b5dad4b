"""The permission model of README.md, tried as a restricted sales user would try to get around it."""

import frappe
from frappe.client import insert as client_insert
from frappe.client import save as client_save

from crm_app.ownership import other_owners, show_warning

from .factories import (
	CXTestCase,
	make_call_log,
	make_customer,
	make_lead,
	make_opportunity,
	make_target,
	make_user,
)

ALICE, BOB, MANAGER = "alice.access@example.com", "bob.access@example.com", "mia.access@example.com"
SUPPORT = "sam.support@example.com"


class RestrictedCase(CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(ALICE, "Sales User")
		make_user(BOB, "Sales User")
		make_user(MANAGER, "Sales Manager")
		make_user(SUPPORT, "Support Team")
		bob = frappe.get_doc("User", BOB)
		bob.update({"first_name": "Bob", "last_name": "Builder"})
		bob.save(ignore_permissions=True)
		frappe.local.fullnames = {}  # get_fullname keeps names per process
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)

	def can(self, user, ptype, doctype, name) -> bool:
		frappe.set_user(user)
		try:
			return frappe.has_permission(doctype, ptype, name)
		finally:
			frappe.set_user("Administrator")

	def listed(self, user, doctype) -> set[str]:
		frappe.set_user(user)
		try:
			return set(frappe.get_list(doctype, pluck="name", limit=0))
		finally:
			frappe.set_user("Administrator")


class TestSelfAssignment(RestrictedCase):
	"""A ToDo is an assignment; only someone who may work the record may hand it out."""

	def assert_self_assignment_refused(self, record):
		todo = {
			"doctype": "ToDo",
			"allocated_to": ALICE,
			"reference_type": record.doctype,
			"reference_name": record.name,
			"description": "mine now",
		}
		frappe.set_user(ALICE)
		with self.assertRaises(frappe.PermissionError):
			client_insert(todo)
		frappe.set_user("Administrator")
		self.assertFalse(frappe.db.exists("ToDo", {"reference_name": record.name, "allocated_to": ALICE}))
		self.assertFalse(self.can(ALICE, "read", record.doctype, record.name))
		self.assertFalse(self.can(ALICE, "write", record.doctype, record.name))
		self.assertNotIn(record.name, self.listed(ALICE, record.doctype))

	def test_todo_on_a_colleagues_lead_is_refused(self):
		self.assert_self_assignment_refused(make_lead(first_name="Bobs", lead_owner=BOB))

	def test_todo_on_a_colleagues_opportunity_is_refused(self):
		self.assert_self_assignment_refused(make_opportunity(opportunity_owner=BOB))

	def test_retargeting_an_own_todo_is_refused(self):
		own = make_lead(first_name="Own", lead_owner=ALICE)
		theirs = make_lead(first_name="Theirs", lead_owner=BOB)
		frappe.set_user(ALICE)
		todo = client_insert(
			{
				"doctype": "ToDo",
				"allocated_to": ALICE,
				"reference_type": "CX Lead",
				"reference_name": own.name,
				"description": "call",
			}
		)
		todo["reference_name"] = theirs.name
		with self.assertRaises(frappe.PermissionError):
			client_save(todo)
		frappe.set_user("Administrator")
		self.assertFalse(self.can(ALICE, "read", "CX Lead", theirs.name))

	def test_call_log_follow_up_cannot_assign_a_record_the_user_may_not_write(self):
		theirs = make_lead(first_name="Theirs", lead_owner=BOB)
		frappe.set_user(ALICE)
		with self.assertRaises(frappe.PermissionError):
			make_call_log(
				reference_doctype="CX Lead",
				reference_name=theirs.name,
				caller=ALICE,
				follow_up_on=frappe.utils.add_days(frappe.utils.nowdate(), 1),
			)
		frappe.set_user("Administrator")
		self.assertFalse(self.can(ALICE, "read", "CX Lead", theirs.name))

	def test_manager_assignment_still_opens_the_record(self):
		from frappe.desk.form.assign_to import add as assign

		theirs = make_lead(first_name="Handed", lead_owner=BOB)
		frappe.set_user(MANAGER)
		assign({"assign_to": [ALICE], "doctype": "CX Lead", "name": theirs.name, "description": "take it"})
		frappe.set_user("Administrator")
		self.assertTrue(self.can(ALICE, "write", "CX Lead", theirs.name))
		self.assertIn(theirs.name, self.listed(ALICE, "CX Lead"))

	def test_access_follows_every_assignment_and_ends_with_it(self):
		from frappe.desk.form.assign_to import add as assign
		from frappe.desk.form.assign_to import remove as unassign

		carol = make_user("carol.access@example.com", "Sales User")
		lead = make_lead(first_name="Shared", last_name="Work", lead_owner=BOB)
		frappe.set_user(MANAGER)
		assign({"assign_to": [ALICE], "doctype": "CX Lead", "name": lead.name, "description": "one"})
		self.assertEqual(
			frappe.db.get_value("CX Lead", lead.name, ["assigned_user", "several_assignees"]), (ALICE, 0)
		)
		assign({"assign_to": [carol], "doctype": "CX Lead", "name": lead.name, "description": "two"})
		self.assertEqual(
			frappe.db.get_value("CX Lead", lead.name, ["assigned_user", "several_assignees"]), (None, 1)
		)
		frappe.set_user("Administrator")
		self.assertIn(lead.name, self.listed(ALICE, "CX Lead"))
		self.assertIn(lead.name, self.listed(carol, "CX Lead"))
		frappe.set_user(MANAGER)
		unassign("CX Lead", lead.name, ALICE)
		frappe.set_user("Administrator")
		self.assertNotIn(lead.name, self.listed(ALICE, "CX Lead"))
		self.assertFalse(self.can(ALICE, "read", "CX Lead", lead.name))
		self.assertTrue(self.can(carol, "write", "CX Lead", lead.name))
		self.assertEqual(
			frappe.db.get_value("CX Lead", lead.name, ["assigned_user", "several_assignees"]), (carol, 0)
		)

	def test_naming_an_assignment_rule_does_not_help(self):
		theirs = make_lead(first_name="Ruled", lead_owner=BOB)
		rule = frappe.get_doc("Assignment Rule", "CX New Leads - Round Robin")
		rule.set("users", [{"user": ALICE}])
		rule.disabled = 0
		rule.save()
		self.addCleanup(rule.clear_cache)  # the rollback does not reach the rules' cache
		frappe.set_user(ALICE)
		with self.assertRaises(frappe.PermissionError):
			client_insert(
				{
					"doctype": "ToDo",
					"allocated_to": ALICE,
					"reference_type": "CX Lead",
					"reference_name": theirs.name,
					"assignment_rule": rule.name,
					"description": "the rule gave it to me",
				}
			)
		frappe.set_user("Administrator")
		self.assertFalse(self.can(ALICE, "read", "CX Lead", theirs.name))

	def test_own_record_can_be_self_assigned(self):
		own = make_lead(first_name="Own", lead_owner=ALICE)
		frappe.set_user(ALICE)
		client_insert(
			{
				"doctype": "ToDo",
				"allocated_to": ALICE,
				"reference_type": "CX Lead",
				"reference_name": own.name,
				"description": "call back",
			}
		)


class TestAlreadyBeingWorkedWarning(RestrictedCase):
	def warning_for(self, user, **lead):
		frappe.set_user(user)
		try:
			probe = frappe.new_doc("CX Lead", first_name="Probe", lead_owner=user, **lead)
			probe.validate()
			frappe.clear_messages()
			show_warning(other_owners(probe, email=lead.get("email"), phones=(lead.get("mobile_no"),)))
			return str(frappe.message_log)
		finally:
			frappe.clear_messages()
			frappe.set_user("Administrator")

	def test_names_the_owner_but_not_a_record_the_user_may_not_read(self):
		theirs = make_lead(first_name="Secret", last_name="Prospect", email="vip@secret.test", lead_owner=BOB)
		warning = self.warning_for(ALICE, email="vip@secret.test")
		self.assertIn("Bob Builder", warning)
		self.assertNotIn(theirs.name, warning)
		self.assertNotIn("Secret Prospect", warning)

	def test_names_a_record_the_user_may_read(self):
		shared = make_lead(
			first_name="Shared", last_name="Prospect", email="team@shared.test", lead_owner=BOB
		)
		frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": ALICE,
				"reference_type": "CX Lead",
				"reference_name": shared.name,
				"description": "help Bob",
			}
		).insert()
		warning = self.warning_for(ALICE, email="team@shared.test")
		self.assertIn(shared.name, warning)
		self.assertIn("Bob Builder", warning)


class TestRecordsThatFollowTheirRecord(RestrictedCase):
	def test_call_logs_follow_the_record(self):
		own = make_lead(first_name="Own", lead_owner=ALICE)
		theirs = make_lead(first_name="Theirs", lead_owner=BOB)
		mine = make_call_log(reference_doctype="CX Lead", reference_name=own.name, caller=ALICE)
		hidden = make_call_log(reference_doctype="CX Lead", reference_name=theirs.name, caller=BOB)
		visible = self.listed(ALICE, "CX Call Log")
		self.assertIn(mine.name, visible)
		self.assertNotIn(hidden.name, visible)
		self.assertFalse(self.can(ALICE, "read", "CX Call Log", hidden.name))
		self.assertTrue(self.can(ALICE, "read", "CX Call Log", mine.name))
		self.assertTrue(self.can(MANAGER, "read", "CX Call Log", hidden.name))

	def test_customers_follow_their_account_manager(self):
		own = make_customer(customer_name="Alice Account", account_manager=ALICE)
		theirs = make_customer(customer_name="Bob Account", account_manager=BOB)
		visible = self.listed(ALICE, "CX Customer")
		self.assertIn(own.name, visible)
		self.assertNotIn(theirs.name, visible)
		self.assertFalse(self.can(ALICE, "read", "CX Customer", theirs.name))
		self.assertTrue(self.can(MANAGER, "read", "CX Customer", theirs.name))

	def test_issues_follow_the_customer_for_sales_users_and_are_open_to_support(self):
		own = make_customer(customer_name="Alice Client", account_manager=ALICE)
		theirs = make_customer(customer_name="Bob Client", account_manager=BOB)
		mine = frappe.get_doc({"doctype": "CX Issue", "subject": "Mine", "customer": own.name}).insert()
		hidden = frappe.get_doc(
			{"doctype": "CX Issue", "subject": "Hidden", "customer": theirs.name}
		).insert()
		visible = self.listed(ALICE, "CX Issue")
		self.assertIn(mine.name, visible)
		self.assertNotIn(hidden.name, visible)
		self.assertFalse(self.can(ALICE, "read", "CX Issue", hidden.name))
		self.assertEqual({mine.name, hidden.name} - self.listed(SUPPORT, "CX Issue"), set())

	def test_targets_are_the_users_own(self):
		start = frappe.utils.get_first_day(frappe.utils.add_months(frappe.utils.nowdate(), 1))
		own = make_target(sales_person=ALICE, period_type="Month", period_start=start, target_amount=10)
		theirs = make_target(sales_person=BOB, period_type="Month", period_start=start, target_amount=10)
		visible = self.listed(ALICE, "CX Sales Target")
		self.assertIn(own.name, visible)
		self.assertNotIn(theirs.name, visible)
		self.assertFalse(self.can(ALICE, "read", "CX Sales Target", theirs.name))


class TestGlobalSearch(RestrictedCase):
	def test_the_awesome_bar_finds_only_reachable_records(self):
		from frappe.desk.page.setup_wizard.install_fixtures import update_global_search_doctypes
		from frappe.utils.global_search import sync_global_search

		update_global_search_doctypes()  # as the setup wizard does: the app's doctypes join the search
		frappe.cache.hdel("global_search", "search_priorities")
		self.addCleanup(frappe.cache.hdel, "global_search", "search_priorities")

		own = make_lead(first_name="Zyxwvu", last_name="Ownlead", lead_owner=ALICE)
		theirs = make_lead(first_name="Zyxwvu", last_name="Theirlead", lead_owner=BOB)
		sync_global_search()
		# What the awesome bar calls, after Frappe applies the app's override.
		search = frappe.get_attr(frappe.override_whitelisted_method("frappe.utils.global_search.search"))
		frappe.set_user(ALICE)
		found = {row["name"] for row in search(text="Zyxwvu")}
		frappe.set_user("Administrator")
		self.assertIn(own.name, found)
		self.assertNotIn(theirs.name, found)


class TestChildRows(RestrictedCase):
	def test_child_rows_of_a_colleagues_deal_stay_hidden(self):
		from frappe.client import get_list

		from .factories import make_product

		theirs = make_opportunity(opportunity_owner=BOB, items=[{**make_product(), "qty": 2, "rate": 999}])
		own = make_opportunity(opportunity_owner=ALICE, items=[{**make_product(), "qty": 1, "rate": 5}])
		frappe.set_user(ALICE)
		for child in ("CX Opportunity Item", "CX Opportunity Stage Log"):
			parents = {
				row["parent"]
				for row in get_list(child, fields=["parent"], parent="CX Opportunity", limit_page_length=0)
			}
			self.assertIn(own.name, parents, child)
			self.assertNotIn(theirs.name, parents, child)
		frappe.set_user("Administrator")

	def test_every_child_table_of_a_ruled_doctype_has_a_rule(self):
		from crm_app.permissions import RULES

		hooks = frappe.get_hooks("permission_query_conditions")
		for doctype in [d for d in RULES if not frappe.get_meta(d).istable]:
			for table in frappe.get_meta(doctype).get_table_fields():
				self.assertIn(table.options, RULES, f"{doctype}.{table.fieldname}")
				self.assertIn(table.options, hooks, f"{doctype}.{table.fieldname}")


class TestHooksGiveAnExplicitAnswer(RestrictedCase):
	"""Frappe 16 reads a `None` from a has_permission hook as a refusal; 15 as "no opinion"."""

	def test_every_has_permission_hook_answers_true_or_false(self):
		hooks = frappe.get_hooks("has_permission")
		lead = make_lead(first_name="Answer", lead_owner=ALICE)
		for doctype, methods in hooks.items():
			if not doctype.startswith("CX "):
				continue
			doc = lead if doctype == "CX Lead" else frappe.new_doc(doctype)
			for method in methods:
				for user in (ALICE, MANAGER, "Administrator"):
					for ptype in ("read", "write", "create"):
						answer = frappe.get_attr(method)(doc=doc, ptype=ptype, user=user)
						self.assertIsInstance(answer, bool, f"{method} for {user}, {ptype}")
