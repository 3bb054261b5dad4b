"""Customer profitability (report CX Customer Profitability) and the nightly loyalty refresh, on a site.

On a plain site revenue comes from won deals and loyalty points from won deals and actions; on an ERPNext
site (with its setup done: a company) revenue, cost of goods and late payment come from submitted invoices
and points from ERPNext's Loyalty Point Entries. Every test rolls back.
"""

import unittest

import frappe
from frappe.desk.query_report import run
from frappe.utils import add_days, getdate, nowdate

from crm_app.cx_insights import loyalty
from crm_app.exceptions import InsightsSettingsError
from tests.integration.factories import (
	CXTestCase,
	make_campaign,
	make_customer,
	make_lead,
	make_opportunity,
	make_user,
)

REPORT = "CX Customer Profitability"
SETTINGS = "CX Insights Settings"
ON_ERPNEXT = "erpnext" in frappe.get_installed_apps()
PERIOD = {"from_date": add_days(nowdate(), -30), "to_date": nowdate()}


def report(**filters) -> dict:
	return run(REPORT, filters={**PERIOD, **filters}, ignore_prepared_report=True)


def rows_by_customer(result: dict) -> dict[str, dict]:
	return {row["customer"]: row for row in result["result"]}


class InsightsCase(CXTestCase):
	def setUp(self):
		super().setUp()
		frappe.clear_document_cache(SETTINGS, SETTINGS)

	def tearDown(self):
		super().tearDown()
		frappe.clear_document_cache(SETTINGS, SETTINGS)

	def settings(self, **values):
		doc = frappe.get_single(SETTINGS)
		tiers = values.pop("tiers", None)
		actions = values.pop("actions", None)
		doc.update(values)
		if tiers is not None:
			doc.set("loyalty_tiers", [{"tier_name": name, "min_points": points} for name, points in tiers])
		if actions is not None:
			doc.set("loyalty_actions", [{"action": action, "points": points} for action, points in actions])
		doc.save()
		frappe.clear_document_cache(SETTINGS, SETTINGS)
		return doc

	def won(self, customer: str, amount: float, closed_on: str | None = None, **values):
		deal = make_opportunity(customer=customer, **values)
		frappe.db.set_value(
			"CX Opportunity",
			deal.name,
			{"status": "Won", "base_amount": amount, "amount": amount, "closed_on": closed_on or nowdate()},
			update_modified=False,
		)
		return deal.name

	def issue(self, customer: str, call_seconds: int = 0, **values) -> str:
		doc = frappe.get_doc(
			{"doctype": "CX Issue", "subject": "Broken engine", "customer": customer}
		).insert()
		if values:  # status and rating are the server's to set: pinned as they would end up
			frappe.db.set_value("CX Issue", doc.name, values, update_modified=False)
		if call_seconds:
			frappe.get_doc(
				{
					"doctype": "CX Call Log",
					"reference_doctype": "CX Issue",
					"reference_name": doc.name,
					"direction": "Incoming",
					"outcome": "Connected",
					"call_start": frappe.utils.now_datetime(),
					"duration": call_seconds,
				}
			).insert()
		return doc.name


@unittest.skipIf(ON_ERPNEXT, "revenue from won deals: a site without ERPNext")
class TestProfitabilityFromDeals(InsightsCase):
	def setUp(self):
		super().setUp()
		self.settings(
			weight_revenue=1,
			weight_cost_of_goods=1,
			weight_acquisition=1,
			weight_support=1,
			weight_late_payment=1,
			support_hour_rate=50,
		)
		campaign = make_campaign("Profit Push")
		frappe.db.set_value("CX Campaign", campaign, {"actual_cost": 1200, "base_actual_cost": 1200})
		lead = make_lead(first_name="Profit", last_name="Lead", campaign=campaign)
		self.big = make_customer(customer_name="Profit Big").name
		frappe.db.set_value("CX Customer", self.big, "lead", lead.name)  # as the lead's conversion sets it
		self.small = make_customer(customer_name="Profit Small").name
		self.idle = make_customer(customer_name="Profit Idle").name  # brought by the campaign, bought nothing
		self.won(self.big, 10_000)
		self.won(self.small, 3_000)
		self.won(self.idle, 0, campaign=campaign, closed_on=add_days(nowdate(), -400))
		self.issue(self.small, call_seconds=2 * 3600)

	def test_customers_rank_by_weighted_profit_with_each_factor(self):
		result = report()
		rows = rows_by_customer(result)
		big, small, idle = rows[self.big], rows[self.small], rows[self.idle]
		# the campaign's 1,200 is shared by the two customers it brought (lead's campaign, first won deal's)
		self.assertEqual(
			(big["revenue"], big["acquisition"], big["support"], big["profit"]), (10_000, -600, 0, 9_400)
		)
		self.assertEqual((small["revenue"], small["support"], small["profit"]), (3_000, -100, 2_900))
		self.assertEqual(small["support_hours"], 2)
		self.assertEqual((idle["revenue"], idle["profit"]), (0, -600))
		self.assertLess(big["rank"], small["rank"])
		self.assertLess(small["rank"], idle["rank"])
		self.assertEqual(
			[row["rank"] for row in result["result"]], sorted(row["rank"] for row in result["result"])
		)
		chart = result["chart"]
		self.assertEqual(chart["type"], "bar")
		self.assertTrue(chart["barOptions"]["stacked"])
		self.assertEqual(len(chart["data"]["datasets"]), 5)
		self.assertIn("won opportunities", result["message"])

	def test_weights_change_the_contributions(self):
		self.settings(weight_acquisition=0, weight_support=2, weight_revenue=0.5)
		rows = rows_by_customer(report())
		self.assertEqual(rows[self.big]["acquisition"], 0)
		self.assertEqual(rows[self.big]["revenue"], 5_000)
		self.assertEqual(rows[self.small]["support"], -200)
		self.assertEqual(rows[self.idle]["profit"], 0, "a factor weighing nothing counts nothing")

	def test_a_negative_weight_is_refused_by_the_settings_and_by_the_report(self):
		with self.assertRaises(InsightsSettingsError):
			self.settings(weight_support=-1)
		frappe.db.rollback()
		frappe.db.set_single_value(SETTINGS, "weight_revenue", -2)  # past the form, as a bad import would
		frappe.clear_document_cache(SETTINGS, SETTINGS)
		with self.assertRaises(InsightsSettingsError):
			report()

	def test_deals_outside_the_period_and_in_the_future_do_not_count(self):
		self.won(self.small, 7_000, closed_on=add_days(nowdate(), -60))
		self.won(self.small, 9_000, closed_on=add_days(nowdate(), 5))
		result = report(to_date=add_days(nowdate(), 30))
		self.assertEqual(rows_by_customer(result)[self.small]["revenue"], 3_000)
		self.assertIn("stop at today", result["message"])

	def test_a_period_in_the_future_or_without_data_shows_nothing_and_says_why(self):
		result = report(from_date=add_days(nowdate(), 10), to_date=add_days(nowdate(), 20))
		self.assertEqual(result["result"], [])
		self.assertIn("starts after today", result["message"])
		result = report(from_date="2001-01-01", to_date="2001-01-31")
		self.assertEqual(result["result"], [])
		self.assertIsNone(result["chart"])

	def test_a_sales_user_sees_only_customers_and_deals_they_may_read(self):
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 0)
		user = make_user("profit.rep@example.com", "Sales User")
		frappe.get_doc(
			{"doctype": "User Permission", "user": user, "allow": "CX Customer", "for_value": self.small}
		).insert()
		frappe.set_user(user)
		rows = rows_by_customer(report())
		self.assertEqual(set(rows), {self.small})


@unittest.skipIf(ON_ERPNEXT, "points from won deals and actions: a site without ERPNext")
class TestLoyaltyFromDealsAndActions(InsightsCase):
	def setUp(self):
		super().setUp()
		self.settings(
			loyalty_points_per_unit=1,
			tiers=[("Silver", 1000), ("Gold", 5000)],
			actions=[("Issue Resolved", 100), ("Survey Answered", 50), ("Call Logged", 0)],
		)
		self.customer = make_customer(customer_name="Loyal One").name
		self.deal = self.won(self.customer, 950.75)
		self.issue(self.customer, status="Resolved", csat_rating=5)

	def standing(self) -> tuple:
		return frappe.db.get_value(
			"CX Customer", self.customer, ["loyalty_points", "loyalty_tier", "loyalty_tier_since"]
		)

	def comments(self) -> list[str]:
		return frappe.get_all(
			"Comment",
			filters={
				"reference_doctype": "CX Customer",
				"reference_name": self.customer,
				"comment_type": "Info",
			},
			pluck="content",
			order_by="creation",
		)

	def test_points_from_purchases_and_actions_set_the_tier(self):
		stats = loyalty.refresh_loyalty(commit=False)
		self.assertEqual(stats["source"], loyalty.COMPUTED)
		# 950 for the deal (rounded down), 100 for the resolved issue, 50 for its answered survey
		self.assertEqual(self.standing(), (1100, "Silver", getdate()))

	def test_a_tier_change_is_commented_and_a_second_run_changes_nothing(self):
		other = make_customer(customer_name="Already Silver").name
		frappe.db.set_value("CX Customer", other, {"loyalty_points": 1000, "loyalty_tier": "Silver"})
		loyalty.refresh_loyalty(commit=False)
		self.assertEqual(self.comments(), ["Loyalty tier up: no tier to Silver (1100 points)."])
		again = loyalty.refresh_loyalty(commit=False)
		self.assertEqual(again["tier_changes"], 0)
		self.assertEqual(len(self.comments()), 1)
		# the deal is lost after all: back below Silver
		frappe.db.set_value("CX Opportunity", self.deal, "status", "Lost")
		loyalty.refresh_loyalty(commit=False)
		self.assertEqual(self.standing(), (150, "", None))
		self.assertEqual(self.comments()[-1], "Loyalty tier down: Silver to no tier (150 points).")

	def test_the_first_run_sets_tiers_without_a_comment_for_each_customer(self):
		frappe.db.sql("update `tabCX Customer` set loyalty_tier = '' where loyalty_tier != ''")
		stats = loyalty.refresh_loyalty(commit=False)
		self.assertEqual(self.standing()[1], "Silver")
		self.assertEqual(self.comments(), [])
		self.assertGreaterEqual(stats["tier_changes"], 1)

	def test_a_bad_tier_table_stored_past_the_form_stops_the_run_with_a_clear_error(self):
		frappe.db.sql(
			"update `tabCX Loyalty Tier` set min_points = 1000 where parent = %s and tier_name = 'Gold'",
			SETTINGS,
		)
		frappe.clear_document_cache(SETTINGS, SETTINGS)
		with self.assertRaises(InsightsSettingsError):
			loyalty.refresh_loyalty(commit=False)

	def test_the_nightly_hook_queues_one_long_job(self):
		from unittest.mock import patch

		with patch("frappe.enqueue") as enqueue:
			loyalty.nightly()
		kwargs = enqueue.call_args.kwargs
		self.assertEqual(
			(kwargs["queue"], kwargs["job_id"], kwargs["deduplicate"]), ("long", loyalty.JOB_ID, True)
		)
