"""Customer value on a real site: the nightly job writes RFM, segments, expected value and churn figures
back on CX Customer, keeps segment history in CX RFM Snapshot, notes the run in the settings; the refresh
button's permission; the CX Customer Value report; segment rules on the new fields; ERPNext invoices
(returns included) as the source where ERPNext is connected."""

import json
from unittest.mock import patch

import frappe
from frappe.utils import add_days, flt, getdate

from crm_app.cx_insights import value
from crm_app.cx_insights.report.cx_customer_value import cx_customer_value as report
from tests.integration.factories import CXTestCase, make_customer, make_user

TODAY = getdate("2026-06-30")
ON_ERPNEXT = "erpnext" in frappe.get_installed_apps()
SALES = "value.sales@example.com"
MANAGER = "value.manager@example.com"
ADMINISTRATOR = "value.administrator@example.com"


def quick_customer(name: str) -> str:
	"""A CX Customer row without the form's hooks (many are needed, fast)."""
	doc = frappe.get_doc({"doctype": "CX Customer", "customer_name": name})
	doc.name = name
	doc.db_insert()
	return name


def won_deal(customer: str, days_ago: int, amount: float) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "CX Opportunity",
			"title": "Value deal",
			"customer": customer,
			"currency": "USD",
			"status": "Won",
			"closed_on": add_days(TODAY, -days_ago),
			"amount": amount,
			"base_amount": amount,
		}
	)
	doc.name = frappe.generate_hash(length=14)
	doc.db_insert()
	return doc.name


def customer_figures(name: str) -> frappe._dict:
	return frappe.db.get_value(
		"CX Customer",
		name,
		[
			"rfm_recency_days",
			"rfm_frequency",
			"rfm_monetary",
			"rfm_score",
			"rfm_segment",
			"rfm_segment_since",
			"rfm_scored_on",
			"predicted_purchases",
			"predicted_value",
			"probability_alive",
			"value_model_status",
		],
		as_dict=True,
	)


def snapshots(customer: str) -> list[dict]:
	return frappe.get_all(
		"CX RFM Snapshot",
		filters={"customer": customer},
		fields=["scored_on", "segment", "previous_segment", "rfm_score"],
		order_by="name",
	)


class ValueCase(CXTestCase):
	def setUp(self):
		super().setUp()
		value.prepare_scratch_table()  # DDL before this test's first write
		self.tag = frappe.generate_hash(length=6)
		self.ensure_clean_deals()

	def ensure_clean_deals(self):
		# the job reads every won deal of the site; other tests' deals roll back, a site's demo data may not
		self.other_deals = frappe.db.count("CX Opportunity", {"status": "Won"})

	def plain_only(self):
		"""Purchases from won deals, as without ERPNext (on an ERPNext site too)."""
		patcher = patch.object(value, "integration_enabled", return_value=False)
		patcher.start()
		self.addCleanup(patcher.stop)

	def repeat_buyers(self, count: int = 60) -> list[str]:
		"""Customers buying every 30 to 90 days over two years, some lately, some long ago."""
		names = []
		for i in range(count):
			name = quick_customer(f"VAL-{self.tag}-{i:03d}")
			gap = 30 + (i % 7) * 10
			last = (i * 13) % 400
			for k in range(2 + i % 5):
				won_deal(name, last + k * gap, 100 + 10 * (i % 9))
			names.append(name)
		return names

	def run_job(self, today=TODAY):
		return value.refresh_customer_value(commit=False, today=today)


class TestNightlyJob(ValueCase):
	def test_writes_rfm_value_and_churn_back_on_the_customer(self):
		self.plain_only()
		names = self.repeat_buyers()
		once = quick_customer(f"VAL-{self.tag}-ONCE")
		won_deal(once, 3, 500)
		result = self.run_job()
		self.assertEqual(result["model_status"], "Scored", result["note"])
		self.assertGreaterEqual(result["customers"], 61)

		figures = customer_figures(once)
		self.assertEqual((figures.rfm_recency_days, figures.rfm_frequency), (3, 1))
		self.assertEqual(flt(figures.rfm_monetary), 500)
		self.assertEqual(len(figures.rfm_score), 3)
		self.assertEqual(figures.rfm_score[0], "5")  # among the most recent
		self.assertIn(figures.rfm_segment, ("New", "Potential Loyalist"))
		self.assertEqual(getdate(figures.rfm_segment_since), TODAY)
		self.assertEqual(figures.value_model_status, "Scored")
		self.assertEqual(flt(figures.probability_alive), 100)  # no repeat purchase: no dropout seen yet

		for name in names:
			figures = customer_figures(name)
			self.assertTrue(figures.rfm_segment, name)
			self.assertTrue(0 <= flt(figures.probability_alive) <= 100)
			self.assertGreaterEqual(flt(figures.predicted_value), 0)
		# a long-silent frequent buyer is less likely active than a recent one with the same rhythm
		recent = customer_figures(names[0])  # last purchase today
		silent = customer_figures(names[28])  # (28 * 13) % 400 = 364 days ago
		self.assertLess(flt(silent.probability_alive), flt(recent.probability_alive))

		settings = frappe.get_single("CX Insights Settings")
		self.assertTrue(settings.value_last_run)
		self.assertEqual(settings.value_customers_scored, result["customers"])
		self.assertIn("BG/NBD", settings.value_model_note)

	def test_snapshots_on_the_first_run_then_only_when_the_segment_changes(self):
		self.plain_only()
		names = self.repeat_buyers(10)
		self.run_job()
		first = {name: snapshots(name) for name in names}
		for name, rows in first.items():
			self.assertEqual(len(rows), 1, name)
			self.assertEqual(rows[0].previous_segment, None)
			self.assertEqual(rows[0].segment, customer_figures(name).rfm_segment)
		self.run_job()  # same data, same day: no movement, no rows
		self.assertEqual({name: len(snapshots(name)) for name in names}, dict.fromkeys(names, 1))

		# the next day the longest-silent customer buys again; whoever moved gets one more row
		before = {name: customer_figures(name).rfm_segment for name in names}
		later = add_days(TODAY, 1)
		won_deal(names[9], -1, 500)  # (9 * 13) % 400 = 117 days silent until then
		self.run_job(today=later)
		for name in names:
			rows, now = snapshots(name), customer_figures(name)
			if now.rfm_segment == before[name]:
				self.assertEqual(len(rows), 1)
				self.assertEqual(getdate(now.rfm_segment_since), TODAY)
			else:
				self.assertEqual(len(rows), 2)
				self.assertEqual((rows[1].previous_segment, rows[1].segment), (before[name], now.rfm_segment))
				self.assertEqual(getdate(now.rfm_segment_since), later)
		self.assertNotEqual(customer_figures(names[9]).rfm_segment, before[names[9]])

	def test_not_enough_history_is_said_plainly_and_rfm_still_scores(self):
		self.plain_only()
		if self.other_deals:
			self.skipTest("the site has won deals of its own")
		names = [quick_customer(f"VAL-{self.tag}-F{i}") for i in range(6)]
		for i, name in enumerate(names):
			won_deal(name, 10 * i + 1, 100 * (i + 1))
		result = self.run_job()
		self.assertEqual(result["model_status"], "Not Enough History")
		note = frappe.db.get_single_value("CX Insights Settings", "value_model_note")
		self.assertIn("at least 50", note)
		figures = customer_figures(names[0])
		self.assertEqual(figures.value_model_status, "Not Enough History")
		self.assertTrue(figures.rfm_segment)
		self.assertEqual(flt(figures.predicted_value), 0)

	def test_no_purchases_at_all(self):
		self.plain_only()
		if self.other_deals:
			self.skipTest("the site has won deals of its own")
		result = self.run_job()
		self.assertEqual((result["customers"], result["model_status"]), (0, "Not Enough History"))
		self.assertIn("No purchases", result["note"])

	def test_future_dates_are_skipped_and_a_customer_without_purchases_is_cleared(self):
		self.plain_only()
		names = self.repeat_buyers(6)
		won_deal(names[0], -30, 1_000_000)  # closed "next month": a typo, not a champion
		self.run_job()
		self.assertIn(
			"1 row(s) dated after today",
			frappe.db.get_single_value("CX Insights Settings", "value_model_note"),
		)
		self.assertLess(flt(customer_figures(names[0]).rfm_monetary), 1_000_000)

		frappe.db.set_value("CX Opportunity", {"customer": names[1]}, "status", "Lost")
		self.run_job(today=TODAY)
		cleared = customer_figures(names[1])
		self.assertEqual(
			(cleared.rfm_segment, cleared.value_model_status, cleared.rfm_scored_on), (None, None, None)
		)
		self.assertEqual(len(snapshots(names[1])), 1)  # its history stays

	def test_a_second_run_while_one_holds_the_lock_does_nothing(self):
		from crm_app import jobs

		self.assertTrue(jobs.acquire_lock(value.JOB_KEY))
		try:
			with patch.object(value, "jobs", wraps=jobs) as wrapped:
				wrapped.acquire_lock.return_value = False
				self.assertIsNone(value.refresh_customer_value(commit=False))
		finally:
			jobs.release_lock(value.JOB_KEY)

	def test_deleting_a_customer_takes_its_snapshots(self):
		self.plain_only()
		customer = make_customer(customer_name=f"Value Gone {self.tag}")
		won_deal(customer.name, 5, 100)
		for i in range(5):
			won_deal(quick_customer(f"VAL-{self.tag}-D{i}"), i + 1, 50)
		self.run_job()
		self.assertEqual(len(snapshots(customer.name)), 1)
		frappe.db.delete("CX Opportunity", {"customer": customer.name})
		value.forget_snapshots(customer)
		self.assertEqual(snapshots(customer.name), [])


class TestRefreshAndReport(ValueCase):
	def test_refresh_is_for_insights_administrators_and_queues_one_job(self):
		make_user(SALES, "Sales User")
		make_user(MANAGER, "Sales Manager")
		make_user(ADMINISTRATOR, "CRM Administrator")
		for user in (SALES, MANAGER):
			frappe.set_user(user)
			with self.assertRaises(frappe.PermissionError):
				value.refresh()
		frappe.set_user(ADMINISTRATOR)
		with patch("frappe.enqueue") as enqueue:
			result = value.refresh()
		self.assertTrue(result["queued"])
		kwargs = enqueue.call_args.kwargs
		self.assertEqual(enqueue.call_args.args[0], value.METHOD)
		self.assertEqual((kwargs["queue"], kwargs["deduplicate"]), ("long", True))
		self.assertEqual(kwargs["job_id"], result["job_id"])

	def test_report_rows_chart_and_summary(self):
		self.plain_only()
		self.repeat_buyers()
		self.run_job()
		_columns, rows, message, chart, summary = report.execute({"order_by": "churn_risk"})[:5]
		mine = [row for row in rows if row["customer"].startswith(f"VAL-{self.tag}")]
		self.assertTrue(mine)
		risks = [row["churn_risk"] for row in rows if row["churn_risk"] is not None]
		self.assertEqual(risks, sorted(risks, reverse=True))
		for row in mine:
			self.assertAlmostEqual(row["churn_risk"], 100 - flt(row["probability_alive"]), places=4)
		self.assertEqual(chart["type"], "bar")
		self.assertTrue(chart["data"]["labels"])
		self.assertIn("Computed on", message)
		self.assertEqual(summary[0]["value"], frappe.db.count("CX Customer", {"rfm_segment": ("is", "set")}))

		segment = mine[0]["rfm_segment"]
		_c, only, *_ = report.execute({"segment": segment})
		self.assertTrue(only and all(row["rfm_segment"] == segment for row in only))
		with self.assertRaises(frappe.ValidationError):
			report.execute({"segment": "Everyone"})
		with self.assertRaises(frappe.ValidationError):
			report.execute({"min_churn_risk": 140})

	def test_a_segment_rule_on_the_value_segment(self):
		self.plain_only()
		names = self.repeat_buyers(10)
		self.run_job()
		wanted = customer_figures(names[0]).rfm_segment
		segment = frappe.get_doc(
			{
				"doctype": "CX Segment",
				"segment_name": f"Value {self.tag}",
				"segment_of": "CX Customer",
				"match": "All",
				"filters_json": json.dumps([["CX Customer", "rfm_segment", "=", wanted]]),
			}
		).insert()
		from crm_app.cx_marketing import segments

		segments.resolve(segment.name, commit=False)
		members = {row["member_name"] for row in segments.active_members(segment.name, limit=100_000)}
		expected = {name for name in names if customer_figures(name).rfm_segment == wanted}
		self.assertLessEqual(expected, members)
		self.assertTrue(all(customer_figures(name).rfm_segment == wanted for name in members))
