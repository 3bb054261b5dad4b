"""Campaign results, ROI and attribution on a hand-checked data set; the touch record; the Campaign
Performance report's permissions.

The data set (period 2025-04-01 .. 2025-06-30):

- Spring Mail (cost 1,000, budget 1,500): leads L1 (Ann's; Captured touch stored, google/cpc) and L2
  (Bob's; no stored touch: its campaign counts as its Captured touch); deals D1 (L1, won 4,000 on
  15 May) and D2 (L2, won 2,000 on 10 June); an email to L1 on 1 June, after D1 was won.
- Webinar (cost 500): lead L3 (Ann's, replied) with deal D3 (lost 3,000); an email sent and a link
  clicked by L1 in April; an email opened by customer C1 (Bob's) before its deal D4 (no campaign, won
  1,000 on 20 June).

First touch: D1 -> Spring (captured 2 April before Webinar's 10 April), D2 -> Spring, D4 -> Webinar.
Last touch: D1 -> Webinar (clicked 11 April; Spring's June email came after the win), D2 -> Spring,
D4 -> Webinar.
"""

from datetime import datetime
from unittest.mock import patch

import frappe
from frappe.desk.query_report import run

from crm_app.campaigns import recount_all_campaigns, recount_attribution, refresh_campaign_rollups
from crm_app.core.marketing.attribution import FIRST_TOUCH, LAST_TOUCH
from crm_app.cx_marketing.results import _forget_queued as forget_queued
from crm_app.cx_marketing.results import record_touch, record_touches
from crm_app.exceptions import InvalidTouchError
from tests.integration.factories import CXTestCase, make_customer, make_lead, make_opportunity, make_user

SPRING, WEBINAR = "Res Spring Mail", "Res Webinar"
ANN, BOB = "res.ann@example.com", "res.bob@example.com"
MARKETER = "res.marketer@example.com"
PERIOD = {"from_date": "2025-04-01", "to_date": "2025-06-30"}
REPORT = "CX Campaign Performance"
ON_ERPNEXT = "erpnext" in frappe.get_installed_apps()


def campaign(name: str, cost: float, budget: float = 0) -> str:
	frappe.get_doc(
		{
			"doctype": "CX Campaign",
			"campaign_name": name,
			"status": "Active",
			"actual_cost": cost,
			"budget": budget,
		}
	).insert()
	return name


def lead(owner: str, created: str, campaign_name: str | None) -> str:
	doc = make_lead(
		first_name="Res", last_name=owner.split(".")[1][:3], lead_owner=owner, campaign=campaign_name
	)
	frappe.db.set_value("CX Lead", doc.name, "creation", created, update_modified=False)
	# A capture hook (lead capture part) may record a Captured touch on insert: the data set sets its own.
	frappe.db.delete("CX Campaign Touch", {"reference_doctype": "CX Lead", "reference_name": doc.name})
	return doc.name


def deal(owner: str, status: str, amount: float, closed_on: str | None, campaign_name=None, **parties) -> str:
	doc = make_opportunity(opportunity_owner=owner, **parties)
	frappe.db.set_value(
		"CX Opportunity",
		doc.name,
		{
			"status": status,
			"amount": amount,
			"base_amount": amount,
			"closed_on": closed_on,
			"campaign": campaign_name,
			"creation": "2025-04-15 09:00:00",
		},
		update_modified=False,
	)
	return doc.name


def touch(campaign_name, doctype, name, kind, on, source=None, medium=None):
	record_touch(campaign_name, doctype, name, kind, touched_on=on, utm_source=source, utm_medium=medium)


class ResultsData(CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(ANN, "Sales User")
		make_user(BOB, "Sales User")
		make_user(MARKETER, "Marketing User")
		campaign(SPRING, 1000, 1500)
		campaign(WEBINAR, 500)
		self.l1 = lead(ANN, "2025-04-02 09:00:00", SPRING)
		self.l2 = lead(BOB, "2025-04-05 09:00:00", SPRING)
		self.l3 = lead(ANN, "2025-05-01 09:00:00", WEBINAR)
		self.c1 = make_customer(customer_name="Res Customer", account_manager=BOB).name
		touch(SPRING, "CX Lead", self.l1, "Captured", "2025-04-02 09:00:00", "google", "cpc")
		touch(WEBINAR, "CX Lead", self.l1, "Email Sent", "2025-04-10 08:00:00", "newsletter", "email")
		touch(WEBINAR, "CX Lead", self.l1, "Link Clicked", "2025-04-11 08:00:00", "newsletter", "email")
		touch(SPRING, "CX Lead", self.l1, "Email Sent", "2025-06-01 08:00:00", "newsletter", "email")
		touch(WEBINAR, "CX Lead", self.l3, "Replied", "2025-05-02 08:00:00", "newsletter", "email")
		touch(WEBINAR, "CX Customer", self.c1, "Email Opened", "2025-06-05 08:00:00", "newsletter", "email")
		self.d1 = deal(ANN, "Won", 4000, "2025-05-15", SPRING, lead=self.l1)
		self.d2 = deal(BOB, "Won", 2000, "2025-06-10", SPRING, lead=self.l2)
		self.d3 = deal(ANN, "Lost", 3000, "2025-06-01", WEBINAR, lead=self.l3)
		self.d4 = deal(BOB, "Won", 1000, "2025-06-20", None, customer=self.c1)

	def tearDown(self):
		super().tearDown()
		frappe.clear_document_cache("CX Settings", "CX Settings")

	def figures(self, name: str) -> dict:
		return frappe.db.get_value("CX Campaign", name, "*", as_dict=True)

	def report(self, **filters) -> dict:
		result = run(REPORT, filters={**PERIOD, **filters}, ignore_prepared_report=True)
		return result

	def rows_by(self, result, key="campaign") -> dict:
		return {row[key]: frappe._dict(row) for row in result["result"]}


class TestCampaignFigures(ResultsData):
	def assert_figures(self, name, **expected):
		figures = self.figures(name)
		self.assertEqual({key: figures[key] for key in expected}, expected)

	def test_results_and_roi_of_each_campaign(self):
		for refresh in (lambda: refresh_campaign_rollups([SPRING, WEBINAR]), recount_all_campaigns):
			refresh()
			self.assert_figures(
				SPRING,
				members_count=2,  # L1 touched, L2 its lead
				responses_count=2,  # L1 captured (stored), L2 captured (its campaign)
				leads_count=2,
				opportunities_count=2,
				won_count=2,
				won_amount=6000,
				roi_percent=500,  # (6,000 - 1,000) / 1,000
				cost_per_lead=500,
				cost_per_won_deal=500,
			)
			self.assert_figures(
				WEBINAR,
				members_count=3,  # L1, L3, C1
				responses_count=3,  # L1 clicked, L3 replied, L3 came with the campaign
				leads_count=1,
				opportunities_count=1,
				won_count=0,
				won_amount=0,
				roi_percent=-100,
				cost_per_lead=500,
				cost_per_won_deal=0,  # unknown: stored as 0, hidden on the form
			)

	def test_first_and_last_touch_amounts(self):
		recount_all_campaigns()
		self.assertEqual(self.figures(SPRING).first_touch_won_amount, 6000)  # D1 + D2
		self.assertEqual(self.figures(SPRING).last_touch_won_amount, 2000)  # D2
		self.assertEqual(self.figures(WEBINAR).first_touch_won_amount, 1000)  # D4
		self.assertEqual(self.figures(WEBINAR).last_touch_won_amount, 5000)  # D1 + D4

	def test_a_campaign_without_cost_has_no_roi(self):
		frappe.db.set_value("CX Campaign", WEBINAR, "actual_cost", 0)
		refresh_campaign_rollups([WEBINAR])
		self.assertEqual((self.figures(WEBINAR).roi_percent, self.figures(WEBINAR).cost_per_lead), (0, 0))

	def test_figures_are_server_owned(self):
		doc = frappe.get_doc("CX Campaign", SPRING)
		doc.won_amount, doc.roi_percent, doc.members_count = 99, 99, 99
		doc.save()
		refresh_campaign_rollups([SPRING])
		self.assertEqual((self.figures(SPRING).members_count, self.figures(SPRING).roi_percent), (2, 500))


class TestTouchRecord(ResultsData):
	def test_unknown_touch_type_is_refused_and_nothing_written(self):
		before = frappe.db.count("CX Campaign Touch")
		with self.assertRaises(InvalidTouchError):
			record_touches(
				[
					{
						"campaign": SPRING,
						"reference_doctype": "CX Lead",
						"reference_name": self.l1,
						"touch_type": "Email Sent",
					},
					{
						"campaign": SPRING,
						"reference_doctype": "CX Lead",
						"reference_name": self.l1,
						"touch_type": "Carrier Pigeon",
					},
				]
			)
		self.assertEqual(frappe.db.count("CX Campaign Touch"), before)

	def test_empty_campaign_is_ignored_and_unknown_campaign_refused(self):
		before = frappe.db.count("CX Campaign Touch")
		record_touch("", "CX Lead", self.l1, "Captured")
		record_touch(None, "CX Lead", self.l1, "Captured")
		self.assertEqual(frappe.db.count("CX Campaign Touch"), before)
		with self.assertRaises(InvalidTouchError):
			record_touch("No Such Campaign", "CX Lead", self.l1, "Captured")
		with self.assertRaises(InvalidTouchError):
			record_touch(SPRING, "CX Lead", "", "Captured")

	def test_bulk_rows_land_with_their_fields(self):
		record_touches(
			[
				{
					"campaign": SPRING,
					"reference_doctype": "CX Lead",
					"reference_name": self.l3,
					"touch_type": "Bounced",
					"email": "x@example.com",
					"touched_on": "2025-06-02 10:00:00",
				},
				{
					"campaign": WEBINAR,
					"reference_doctype": "CX Lead",
					"reference_name": self.l3,
					"touch_type": "Unsubscribed",
				},
			]
		)
		stored = frappe.get_all(
			"CX Campaign Touch",
			{"reference_name": self.l3, "touch_type": ("in", ("Bounced", "Unsubscribed"))},
			["campaign", "touch_type", "email", "touched_on", "owner"],
			order_by="touch_type",
		)
		self.assertEqual([row.campaign for row in stored], [SPRING, WEBINAR])
		self.assertEqual(stored[0].touched_on, datetime(2025, 6, 2, 10))
		self.assertEqual(stored[0].email, "x@example.com")
		self.assertTrue(stored[1].touched_on)

	def test_touches_are_read_only_for_marketing_and_go_with_their_record(self):
		frappe.set_user(MARKETER)
		self.assertTrue(frappe.has_permission("CX Campaign Touch", "read"))
		self.assertFalse(frappe.has_permission("CX Campaign Touch", "create"))
		self.assertFalse(frappe.has_permission("CX Campaign Touch", "write"))
		frappe.set_user("Administrator")
		frappe.delete_doc("CX Opportunity", self.d3)
		frappe.delete_doc("CX Lead", self.l3)
		self.assertFalse(frappe.db.exists("CX Campaign Touch", {"reference_name": self.l3}))


class TestCampaignPerformanceReport(ResultsData):
	def test_by_campaign_last_touch(self):
		rows = self.rows_by(self.report(group_by="Campaign", attribution=LAST_TOUCH))
		spring, webinar = rows[SPRING], rows[WEBINAR]
		self.assertEqual(
			(
				spring.members,
				spring.responses,
				spring.leads,
				spring.opportunities,
				spring.won,
				spring.won_amount,
			),
			(2, 2, 2, 2, 1, 2000),  # L1's June email is in the period: still one member
		)
		self.assertEqual(
			(spring.budget, spring.actual_cost, spring.roi_percent, spring.cost_per_lead),
			(1500, 1000, 100, 500),
		)
		self.assertEqual(
			(webinar.members, webinar.responses, webinar.leads, webinar.won, webinar.won_amount),
			(3, 3, 1, 2, 5000),
		)
		self.assertEqual(webinar.roi_percent, 900)  # (5,000 - 500) / 500

	def test_first_touch_credits_the_earliest_campaign(self):
		rows = self.rows_by(self.report(group_by="Campaign", attribution=FIRST_TOUCH))
		self.assertEqual((rows[SPRING].won, rows[SPRING].won_amount), (2, 6000))
		self.assertEqual((rows[WEBINAR].won, rows[WEBINAR].won_amount), (1, 1000))

	def test_by_source_and_medium(self):
		result = self.report(group_by="Campaign, Source and Medium", attribution=LAST_TOUCH)
		rows = {(row["campaign"], row["source"], row["medium"]): row for row in result["result"]}
		self.assertEqual(rows[(WEBINAR, "newsletter", "email")]["won_amount"], 5000)
		self.assertEqual(rows[(SPRING, "google", "cpc")]["members"], 1)
		self.assertNotIn("roi_percent", {c["fieldname"] for c in result["columns"]})
		by_medium = self.rows_by(self.report(group_by="Medium", attribution=FIRST_TOUCH), "medium")
		self.assertEqual(by_medium["cpc"]["won_amount"], 4000)  # D1: Spring's captured touch, google/cpc

	def test_chart_shows_won_amount_and_cost(self):
		chart = self.report()["chart"]
		self.assertEqual([d["name"] for d in chart["data"]["datasets"]], ["Won Amount", "Actual Cost"])
		self.assertIn(SPRING, chart["data"]["labels"])

	def test_a_restricted_sales_user_counts_only_records_they_may_read(self):
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
		frappe.set_user(ANN)
		rows = self.rows_by(self.report(group_by="Campaign", attribution=FIRST_TOUCH))
		frappe.set_user("Administrator")
		spring, webinar = rows[SPRING], rows[WEBINAR]
		# Ann reads L1, L3, D1, D3: not Bob's L2, D2, C1, D4.
		self.assertEqual((spring.leads, spring.opportunities, spring.won, spring.won_amount), (1, 1, 1, 4000))
		self.assertEqual(spring.members, 1)  # L1 only
		self.assertEqual((webinar.members, webinar.won_amount), (2, 0))  # L1, L3; D4 is Bob's

	def test_invalid_filters_are_refused(self):
		with self.assertRaises(frappe.ValidationError):
			self.report(group_by="Planet")
		with self.assertRaises(frappe.ValidationError):
			self.report(attribution="Linear")


class TestWhatASaveQueues(ResultsData):
	"""A save queues the recount of what it moved, per campaign, and nothing for an ordinary save."""

	def setUp(self):
		super().setUp()
		enqueue = patch("frappe.enqueue")
		self.enqueue = enqueue.start()
		self.addCleanup(enqueue.stop)
		forget_queued()  # as after a commit: what the data set queued does not hide what a test queues

	def queued(self) -> dict[str, set[str]]:
		"""Campaigns queued per job ("rollups", "attribution"); every job deduplicated by its campaign."""
		jobs = {"rollups": set(), "attribution": set()}
		for call in self.enqueue.call_args_list:
			method, kwargs = call.args[0], call.kwargs
			kind = {
				"crm_app.campaigns.refresh_campaign_rollups": "rollups",
				"crm_app.campaigns.refresh_attribution": "attribution",
			}.get(method)
			if kind:
				(campaign,) = kwargs["campaigns"]
				self.assertTrue(kwargs["deduplicate"])
				self.assertTrue(kwargs["job_id"].endswith(f":{campaign}"), kwargs["job_id"])
				jobs[kind].add(campaign)
		self.enqueue.reset_mock()
		return jobs

	def test_an_ordinary_save_queues_nothing(self):
		lead_doc = frappe.get_doc("CX Lead", self.l2)
		lead_doc.city = "Lviv"
		lead_doc.save()
		deal_doc = make_opportunity(lead=self.l2, title="Res open deal", campaign=SPRING)
		self.queued()
		deal_doc.reload()
		deal_doc.title, deal_doc.amount = "Res open deal, renamed", 750  # open: no figure reads its amount
		deal_doc.save()
		self.assertEqual(self.queued(), {"rollups": set(), "attribution": set()})

	def test_winning_a_deal_recounts_the_campaigns_touching_its_people_only(self):
		deal_doc = make_opportunity(lead=self.l3, title="Res new deal", campaign=SPRING)
		self.assertEqual(self.queued(), {"rollups": {SPRING}, "attribution": set()})  # counted, not won
		deal_doc.reload()
		deal_doc.set_status("Won")
		# L3: Webinar's lead, replied to Webinar; Spring is the deal's campaign, not a touch of L3.
		self.assertEqual(self.queued(), {"rollups": {SPRING}, "attribution": {WEBINAR}})
		deal_doc.reload()
		deal_doc.set_status("Open")
		self.assertEqual(self.queued(), {"rollups": {SPRING}, "attribution": {WEBINAR}})

	def test_a_touch_moves_attribution_only_for_someone_with_a_won_deal(self):
		touch(SPRING, "CX Lead", self.l3, "Email Sent", "2025-06-02 08:00:00")  # L3's deal was lost
		self.assertEqual(self.queued(), {"rollups": {SPRING}, "attribution": set()})
		touch(WEBINAR, "CX Lead", self.l2, "Email Sent", "2025-06-02 08:00:00")  # L2 won D2 (Spring's lead)
		self.assertEqual(self.queued(), {"rollups": {WEBINAR}, "attribution": {SPRING, WEBINAR}})

	def test_a_lead_changing_campaign_recounts_both(self):
		lead_doc = frappe.get_doc("CX Lead", self.l2)
		lead_doc.campaign = WEBINAR
		lead_doc.save()
		self.assertEqual(self.queued(), {"rollups": {SPRING, WEBINAR}, "attribution": {SPRING, WEBINAR}})

	def test_recounting_one_campaign_writes_its_amounts_only_and_as_the_full_recount(self):
		recount_attribution([SPRING])
		self.assertEqual(
			(self.figures(SPRING).first_touch_won_amount, self.figures(SPRING).last_touch_won_amount),
			(6000, 2000),
		)
		self.assertEqual(
			(self.figures(WEBINAR).first_touch_won_amount, self.figures(WEBINAR).last_touch_won_amount),
			(0, 0),
		)
		recount_attribution([WEBINAR])
		self.assertEqual(
			(self.figures(WEBINAR).first_touch_won_amount, self.figures(WEBINAR).last_touch_won_amount),
			(1000, 5000),
		)


@__import__("unittest").skipUnless(ON_ERPNEXT, "ERPNext is not installed on this site")
class TestInvoicedRevenue(CXTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		from tests.integration.test_y_erpnext_books import setUpModule as set_up_books

		set_up_books()

	def test_invoiced_revenue_and_its_roi(self):
		from tests.integration.test_y_erpnext_books import invoice_for, make_deal

		campaign(SPRING, 1000)
		cx = make_customer(customer_name=f"Res Books {frappe.generate_hash(length=6)}")
		record_touch(SPRING, "CX Customer", cx.name, "Link Clicked", touched_on="2025-04-03 10:00:00")
		won = make_deal(cx.name, campaign=SPRING)
		frappe.db.set_value(
			"CX Opportunity", won.name, {"status": "Won", "closed_on": "2025-05-01"}, update_modified=False
		)
		invoice = invoice_for(cx.erpnext_customer, 1500)
		invoice.cx_opportunity = won.name
		invoice.save()
		self.assertEqual(frappe.db.get_value("CX Opportunity", won.name, "invoiced_amount"), 1500)
		refresh_campaign_rollups([SPRING])
		figures = frappe.db.get_value(
			"CX Campaign", SPRING, ["invoiced_amount", "invoiced_roi_percent"], as_dict=True
		)
		self.assertEqual((figures.invoiced_amount, figures.invoiced_roi_percent), (1500, 50))
		rows = {
			row["campaign"]: row
			for row in run(
				REPORT, filters={**PERIOD, "attribution": LAST_TOUCH}, ignore_prepared_report=True
			)["result"]
		}
		self.assertEqual(rows[SPRING]["invoiced"], 1500)
