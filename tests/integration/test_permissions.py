"""A restricted sales user cannot reach another user's lead: form, list, link search, report, REST API."""

import frappe
from frappe.desk.reportview import get as report_view_get
from frappe.desk.search import search_link

from .factories import CXTestCase, make_lead, make_opportunity, make_user

ALICE, BOB, MANAGER = "alice.sales@example.com", "bob.sales@example.com", "mia.manager@example.com"


class TestRestrictedSalesUsers(CXTestCase):
	def setUp(self):
		super().setUp()
		for user, role in ((ALICE, "Sales User"), (BOB, "Sales User"), (MANAGER, "Sales Manager")):
			make_user(user, role)
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		self.alices = make_lead(first_name="Alice", last_name="Own", lead_owner=ALICE)
		self.bobs = make_lead(first_name="Bobby", last_name="Other", lead_owner=BOB)
		self.assigned = make_lead(first_name="Carol", last_name="Assigned", lead_owner=BOB)
		frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": ALICE,
				"reference_type": "CX Lead",
				"reference_name": self.assigned.name,
				"description": "call",
			}
		).insert(ignore_permissions=True)

	def visible_to(self, user):
		frappe.set_user(user)
		return set(frappe.get_list("CX Lead", pluck="name", limit=0))

	def test_list_shows_own_and_assigned_only(self):
		visible = self.visible_to(ALICE)
		self.assertIn(self.alices.name, visible)
		self.assertIn(self.assigned.name, visible)
		self.assertNotIn(self.bobs.name, visible)

	def test_form_refuses_other_users_lead(self):
		frappe.set_user(ALICE)
		self.assertFalse(frappe.has_permission("CX Lead", "read", self.bobs.name))
		with self.assertRaises(frappe.PermissionError):
			frappe.get_doc("CX Lead", self.bobs.name).check_permission("read")
		self.assertTrue(frappe.has_permission("CX Lead", "write", self.assigned.name))

	def test_link_search_and_report_hide_other_users_lead(self):
		frappe.set_user(ALICE)
		found = {row["value"] for row in search_link("CX Lead", "Bobby")}
		self.assertNotIn(self.bobs.name, found)
		self.assertIn(self.alices.name, {row["value"] for row in search_link("CX Lead", "Alice")})
		frappe.local.form_dict = frappe._dict(doctype="CX Lead", fields=["name"], limit_page_length=0)
		rows = report_view_get()
		self.assertNotIn(self.bobs.name, {r[0] for r in rows["values"]})

	def test_rest_api_refuses_other_users_lead(self):
		from frappe.api.v1 import document_list, read_doc

		frappe.set_user(ALICE)
		frappe.local.form_dict = frappe._dict(fields='["name"]', limit_page_length=0)
		names = {row["name"] for row in document_list("CX Lead")}
		self.assertNotIn(self.bobs.name, names)
		with self.assertRaises(frappe.PermissionError):
			read_doc("CX Lead", self.bobs.name)

	def test_managers_and_unrestricted_setting_see_everything(self):
		self.assertIn(self.bobs.name, self.visible_to(MANAGER))
		frappe.set_user("Administrator")
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 0)
		self.assertIn(self.bobs.name, self.visible_to(ALICE))

	def test_opportunities_follow_the_same_rule(self):
		own = make_opportunity(opportunity_owner=ALICE)
		other = make_opportunity(opportunity_owner=BOB)
		frappe.set_user(ALICE)
		visible = set(frappe.get_list("CX Opportunity", pluck="name", limit=0))
		self.assertIn(own.name, visible)
		self.assertNotIn(other.name, visible)

	def test_territory_user_permission_applies(self):
		frappe.get_doc(
			{"doctype": "CX Territory", "territory_name": "North", "parent_cx_territory": "All Territories"}
		).insert()
		frappe.get_doc(
			{"doctype": "CX Territory", "territory_name": "South", "parent_cx_territory": "All Territories"}
		).insert()
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 0)
		north = make_lead(first_name="Nora", territory="North", lead_owner=BOB)
		south = make_lead(first_name="Sam", territory="South", lead_owner=BOB)
		frappe.get_doc(
			{"doctype": "User Permission", "user": ALICE, "allow": "CX Territory", "for_value": "North"}
		).insert()
		visible = self.visible_to(ALICE)
		self.assertIn(north.name, visible)
		self.assertNotIn(south.name, visible)

	def test_user_name_with_quote_is_escaped(self):
		quoted = make_user("o'neil.sales@example.com", "Sales User")
		own = make_lead(first_name="Owen", last_name="Quoted", lead_owner=quoted)
		visible = self.visible_to(quoted)
		self.assertEqual(visible & {own.name, self.alices.name, self.bobs.name}, {own.name})

	def test_list_joining_a_child_table_keeps_the_rule(self):
		# The child table also has `name` and an owner column; the rule must still mean the opportunity's.
		own = make_opportunity(opportunity_owner=ALICE)
		other = make_opportunity(opportunity_owner=BOB)
		frappe.set_user(ALICE)
		rows = frappe.get_list(
			"CX Opportunity", fields=["name", "`tabCX Opportunity Stage Log`.stage"], limit=0
		)
		names = {row.name for row in rows}
		self.assertIn(own.name, names)
		self.assertNotIn(other.name, names)


class TestRestrictedListPlans(CXTestCase):
	"""What lets MariaDB read a restricted user's own records instead of every record of a status."""

	def index_columns(self, doctype: str, index: str) -> list[str]:
		rows = frappe.db.sql(
			"select column_name from information_schema.statistics where table_schema = database() "
			"and table_name = %s and index_name = %s order by seq_in_index",
			(f"tab{doctype}", index),
		)
		return [row[0] for row in rows]

	def test_owner_and_assignee_ranges_are_indexed_by_status(self):
		for doctype, owner in (("CX Lead", "lead_owner"), ("CX Opportunity", "opportunity_owner")):
			self.assertEqual(self.index_columns(doctype, "owner_status_index"), [owner, "status", "modified"])
			self.assertEqual(
				self.index_columns(doctype, "assignee_status_index"), ["assigned_user", "status", "modified"]
			)

	def test_the_nightly_statistics_cover_every_large_table(self):
		from crm_app.db_statistics import ANALYZE_STATEMENTS, refresh_optimizer_statistics

		self.assertIn(
			"crm_app.db_statistics.refresh_optimizer_statistics",
			frappe.get_hooks("scheduler_events")["daily_long"],
		)
		self.assertEqual(refresh_optimizer_statistics(), {doctype: "OK" for doctype in ANALYZE_STATEMENTS})


class TestRestrictionReadOncePerRequest(CXTestCase):
	def setUp(self):
		super().setUp()
		self.found_request = getattr(frappe.local, "request", AttributeError)

	def tearDown(self):
		if self.found_request is AttributeError:
			del frappe.local.request  # unbound outside a web request, as the test found it
		else:
			frappe.local.request = self.found_request
		super().tearDown()

	def test_a_request_reads_the_setting_once_and_the_next_request_afresh(self):
		from unittest.mock import patch

		from crm_app import permissions

		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		frappe.local.request = object()  # a web request in flight
		with patch.object(frappe.db, "sql", wraps=frappe.db.sql) as sql:
			self.assertTrue(permissions.restriction_on())
			self.assertTrue(permissions.restriction_on())
		self.assertEqual(sql.call_count, 1)
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 0)
		frappe.local.request = object()  # the next request
		self.assertFalse(permissions.restriction_on())
		frappe.local.request = None  # a job or the console: read each time
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		self.assertTrue(permissions.restriction_on())
