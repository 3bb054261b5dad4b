"""The desk's number cards and charts from tallies: the same figures as Frappe's own methods, kept
current through every way the app writes, and never for a user whom Frappe would show less."""

import json

import frappe
from frappe.desk.doctype.dashboard_chart import dashboard_chart as frappe_chart
from frappe.desk.doctype.number_card import number_card as frappe_card
from frappe.utils import add_days, nowdate

from crm_app.activities import refresh_rollups
from crm_app.core.insights import tally as core
from crm_app.cx_insights import figures
from crm_app.exceptions import InvalidDateTimeError, InvalidFilterError

from .factories import CXTestCase, make_lead, make_opportunity, make_product, make_user

RESTRICTED = "figures.sales@example.com"
COLLEAGUE = "figures.colleague@example.com"
SHARED_ONLY = "figures.shared@example.com"
WORKSPACE = "Customer Relations"


def drift() -> dict[str, int]:
	"""Tally rows that differ from a GROUP BY of their table, per tally (nothing pending)."""
	figures.flush()
	found = {}
	for tally in core.TALLIES:
		fixes = core.corrections(tally, figures.grouped_table(tally), figures.kept_rows(tally))
		if fixes:
			found[tally.name] = [(fix.dims, fix.count, fix.sums) for fix in fixes]
	return found


def assign(doc, user: str) -> None:
	frappe.get_doc(
		{
			"doctype": "ToDo",
			"description": "Work it",
			"reference_type": doc.doctype,
			"reference_name": doc.name,
			"allocated_to": user,
		}
	).insert()


def card_args(card_name: str, extra: list | None = None) -> tuple[dict, list]:
	card = frappe.get_doc("Number Card", card_name)
	filters = json.loads(card.filters_json or "[]")
	for row in json.loads(card.dynamic_filters_json or "[]"):
		filters.append([*row[:3], nowdate()])
	doc = {
		"document_type": card.document_type,
		"function": card.function,
		"aggregate_function_based_on": card.aggregate_function_based_on,
	}
	return doc, filters + (extra or [])


class TestTallies(CXTestCase):
	def setUp(self):
		super().setUp()
		figures.reconcile(commit=False)
		figures.flush()

	def test_every_way_the_app_writes_keeps_the_tallies_exact(self):
		lead = make_lead(source="Website")
		other = make_lead(first_name="Grace", status="Contacted")
		lead.status = "Qualified"
		lead.save()
		lead.db_set("score_band", "Hot")  # what rescore_lead does
		frappe.get_doc(
			{
				"doctype": "ToDo",
				"description": "Call back",
				"reference_type": "CX Lead",
				"reference_name": other.name,
				"allocated_to": "Administrator",
				"date": add_days(nowdate(), 3),
			}
		).insert()
		refresh_rollups("CX Lead", other.name)  # next_follow_up written without a document
		deal = make_opportunity(items=[{**make_product(), "qty": 2, "rate": 150}])
		deal.sales_stage = "Proposal"
		deal.save()
		deal.mark_won()
		make_opportunity().delete()
		frappe.delete_doc("CX Lead", make_lead(first_name="Gone").name)
		issue = frappe.get_doc({"doctype": "CX Issue", "subject": "Broken"}).insert()
		issue.status = "Replied"
		issue.save()
		self.assertEqual(drift(), {})

	def test_reconcile_repairs_writes_that_bypass_the_documents(self):
		lead = make_lead()
		figures.flush()
		frappe.db.set_value("CX Lead", lead.name, "status", "Lost")  # SQL-level, no document
		self.assertIn("leads", drift())
		figures.reconcile(commit=False)
		self.assertEqual(drift(), {})

	def test_reconcile_inside_a_transaction_counts_its_own_changes_once(self):
		make_lead(first_name="Pending")  # its delta waits for the commit
		figures.reconcile(["CX Lead"], commit=False)
		self.assertEqual(drift(), {})

	def test_filters_frappe_reads_its_own_way_give_frappes_figures(self):
		make_lead(first_name="No source")
		make_lead(first_name="Sourced", source="Partner")
		figures.flush()
		today = nowdate()
		doc = {"document_type": "CX Lead", "function": "Count"}
		for filters in (
			[["CX Lead", "status", "in", []]],
			[["CX Lead", "status", "not in", []]],
			[["CX Lead", "next_follow_up", ">=", f"{today} 00:00:00"]],
			[["CX Lead", "next_follow_up", "<", f"{today} 10:00:00"]],
			[["CX Lead", "next_follow_up", "in", f"{today}, {add_days(today, 1)}"]],
			[["CX Lead", "docstatus", "<", "inf"]],
			[["CX Lead", "docstatus", "<", "0.5"]],
			{"source": ["!=", "Partner"]},
			[["CX Lead", "_assign", "like", "%Administrator%"]],
		):
			self.assertEqual(
				figures.number_card_result(json.dumps(doc), json.dumps(filters)),
				frappe_card.get_result(json.dumps(doc), json.dumps(filters)),
				filters,
			)
		chart = frappe.get_doc("Dashboard Chart", "CX Leads by Source")
		for filters in ([["CX Lead", "source", "!=", "Partner"]], [["CX Lead", "source", "is", "not set"]]):
			ours = figures.dashboard_chart_data(chart_name=chart.name, filters=json.dumps(filters))
			frappes = frappe_chart.get(chart_name=chart.name, filters=json.dumps(filters), refresh=1)
			self.assertEqual(normalised(ours), normalised(frappes), filters)  # NULL sources left out
		with self.assertRaises(InvalidFilterError):
			figures.number_card_result(
				json.dumps(doc), json.dumps([["CX Lead", "creation", "previous", "1 age"]])
			)

	def test_a_user_who_reads_only_what_is_shared_with_them_gets_frappes_figures(self):
		make_user(SHARED_ONLY)
		make_lead(first_name="Not shared")
		shared = make_lead(first_name="Shared")
		frappe.share.add("CX Lead", shared.name, SHARED_ONLY, read=1)
		figures.flush()
		frappe.set_user(SHARED_ONLY)
		self.assertIsNone(figures.reach("CX Lead"))
		doc = {"document_type": "CX Lead", "function": "Count"}
		self.assertEqual(figures.number_card_result(json.dumps(doc), "[]"), 1.0)

	def test_a_rolled_back_transaction_leaves_no_delta_behind(self):
		make_lead()
		self.assertTrue(getattr(frappe.local, figures.PENDING, None))
		frappe.db.rollback()
		self.assertFalse(getattr(frappe.local, figures.PENDING, None))

	def test_cards_and_charts_say_what_frappe_says(self):
		make_lead(source="Website", status="Contacted")
		make_lead(source="Cold Call", status="New")
		make_opportunity(items=[{**make_product(), "qty": 1, "rate": 900}]).mark_won()
		make_opportunity(items=[{**make_product(), "qty": 3, "rate": 70}])
		figures.flush()
		variants = [
			[],
			[["CX Lead", "status", "not in", ["Lost"]]],
			[["CX Lead", "source", "is", "set"]],
			[["CX Lead", "next_follow_up", "is", "not set"]],
			[["CX Opportunity", "closed_on", "Timespan", "this year"]],
			[["CX Opportunity", "closed_on", "between", [add_days(nowdate(), -400), nowdate()]]],
		]
		page = frappe.get_doc("Workspace", WORKSPACE)
		for link in page.number_cards:
			for extra in variants:
				doc, filters = card_args(link.number_card_name)
				if extra and extra[0][0] != doc["document_type"]:
					continue
				filters += extra
				self.assertEqual(
					figures.number_card_result(json.dumps(doc), json.dumps(filters)),
					frappe_card.get_result(json.dumps(doc), json.dumps(filters)),
					f"{link.number_card_name} {extra}",
				)
		for link in page.charts:
			chart = frappe.get_doc("Dashboard Chart", link.chart_name)
			ours = figures.dashboard_chart_data(chart_name=chart.name, filters=chart.filters_json)
			frappes = frappe_chart.get(chart_name=chart.name, filters=chart.filters_json, refresh=1)
			self.assertEqual(normalised(ours), normalised(frappes), chart.name)
			# what the desk sends: empty strings for the dates and spans it leaves to the chart
			from_desk = figures.dashboard_chart_data(
				chart_name=chart.name, filters=chart.filters_json, from_date="", to_date="", timespan=""
			)
			self.assertEqual(normalised(from_desk), normalised(frappes), chart.name)
			self.assertIsNot(
				figures.chart_from_tally(
					chart, figures.checked_conditions(chart.document_type, chart.filters_json), *[None] * 4
				),
				figures.NOT_ANSWERED,
				f"{chart.name} is answered by a tally",
			)

	def test_a_restricted_user_is_answered_from_the_rows_that_name_them(self):
		make_user(RESTRICTED, "Sales User")
		make_user(COLLEAGUE, "Sales User")
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		make_lead(first_name="Mine", lead_owner=RESTRICTED, source="Website")
		make_lead(first_name="Theirs", lead_owner=COLLEAGUE)
		assigned = make_lead(first_name="Assigned to me", lead_owner=COLLEAGUE, source="Partner")
		shared_work = make_lead(first_name="Two of us", lead_owner=COLLEAGUE, status="Contacted")
		for user, lead in ((RESTRICTED, assigned), (RESTRICTED, shared_work), (COLLEAGUE, shared_work)):
			assign(lead, user)
		make_opportunity(opportunity_owner=RESTRICTED, items=[{**make_product(), "qty": 1, "rate": 40}])
		make_opportunity(opportunity_owner=COLLEAGUE, items=[{**make_product(), "qty": 1, "rate": 60}])
		figures.flush()
		doc, filters = card_args("CX Open Leads")
		everyone = figures.number_card_result(json.dumps(doc), json.dumps(filters))
		frappe.set_user(RESTRICTED)
		self.assertEqual(figures.reach("CX Lead"), RESTRICTED)
		self.assertEqual(figures.reach("CX Issue"), None)  # issues follow customers: Frappe answers
		page = frappe.get_doc("Workspace", WORKSPACE)
		for link in page.number_cards:
			doc, filters = card_args(link.number_card_name)
			self.assertEqual(
				figures.number_card_result(json.dumps(doc), json.dumps(filters)),
				frappe_card.get_result(json.dumps(doc), json.dumps(filters)),
				link.number_card_name,
			)
		for link in page.charts:
			chart = frappe.get_doc("Dashboard Chart", link.chart_name)
			ours = figures.dashboard_chart_data(chart_name=chart.name, filters=chart.filters_json)
			frappes = frappe_chart.get(chart_name=chart.name, filters=chart.filters_json, refresh=1)
			self.assertEqual(normalised(ours), normalised(frappes), chart.name)
		doc, filters = card_args("CX Open Leads")
		self.assertEqual(figures.number_card_result(json.dumps(doc), json.dumps(filters)), 3)
		self.assertLess(3, everyone)

	def test_a_user_permission_sends_the_user_to_frappe(self):
		make_user(RESTRICTED, "Sales User")
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": RESTRICTED,
				"allow": "CX Territory",
				"for_value": "All Territories",
			}
		).insert()
		frappe.set_user(RESTRICTED)
		self.assertIsNone(figures.reach("CX Lead"))

	def test_bad_input_is_refused_in_words(self):
		doc, filters = card_args("CX Open Leads")
		for bad_doc in ("abc", "[1, 2]", json.dumps({**doc, "function": "Median"})):
			with self.assertRaises(InvalidFilterError):
				figures.number_card_result(bad_doc, json.dumps(filters))
		with self.assertRaises(InvalidFilterError):
			figures.number_card_result(json.dumps(doc), "{[")
		with self.assertRaises(frappe.ValidationError):  # Frappe's own words for a short filter
			figures.number_card_result(json.dumps(doc), json.dumps([[1, 2]]))
		with self.assertRaises(InvalidDateTimeError):
			figures.number_card_result(json.dumps(doc), json.dumps(filters), to_date="not a date")
		with self.assertRaises(InvalidFilterError):
			figures.dashboard_chart_data(chart_name="CX Leads by Source", timespan="forever")


def normalised(data):
	"""Chart data with numbers as floats, groups in label order (ties may come in either order)."""
	if not data:
		return data
	values = [float(v or 0) for v in data["datasets"][0]["values"]]
	return sorted(zip(data["labels"], values, strict=True), key=lambda pair: str(pair[0]))
