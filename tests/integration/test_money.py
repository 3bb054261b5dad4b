"""Deals in EUR and USD: every figure the app shows is in the reporting currency, never a sum of both."""

import frappe
from frappe.utils import add_days, nowdate

from .factories import CXTestCase, make_campaign, make_opportunity, make_user

OWNER = "money.owner@example.com"
CAMPAIGN = "Money Campaign"
RATE = 1.1  # 1 EUR = 1.1 USD


def on_erpnext() -> bool:
	return "erpnext" in frappe.get_installed_apps()


class TestMixedCurrencies(CXTestCase):
	def setUp(self):
		super().setUp()
		make_user(OWNER, "Sales User")
		make_campaign(CAMPAIGN)
		frappe.db.set_single_value("CX Settings", "default_currency", "USD")
		frappe.clear_document_cache("CX Settings", "CX Settings")
		for currency in ("EUR", "USD"):
			frappe.db.set_value("Currency", currency, "enabled", 1)
		if on_erpnext():
			frappe.get_doc(
				{
					"doctype": "Currency Exchange",
					"date": add_days(nowdate(), -10),
					"from_currency": "EUR",
					"to_currency": "USD",
					"exchange_rate": RATE,
					"for_selling": 1,
				}
			).insert()
		self.before = self.figures()
		self.deals = {
			"open_eur": self.deal("EUR", 1_000, stage="Proposal"),
			"open_usd": self.deal("USD", 500, stage="Proposal"),
			"won_eur": self.deal("EUR", 2_000, won=True),
			"won_usd": self.deal("USD", 300, won=True),
			"lost_eur": self.deal("EUR", 100, lost=True),
		}
		self.after = self.figures()

	def tearDown(self):
		super().tearDown()
		frappe.clear_document_cache("CX Settings", "CX Settings")

	def deal(self, currency, amount, stage="Prospecting", won=False, lost=False):
		values = {
			"currency": currency,
			"amount": amount,
			"sales_stage": stage,
			"opportunity_owner": OWNER,
			"campaign": CAMPAIGN,
			"expected_close_date": nowdate(),
		}
		if currency != "USD" and not on_erpnext():
			values["exchange_rate"] = RATE  # plain Frappe has no Currency Exchange: the deal carries it
		doc = make_opportunity(**values)
		if won:
			doc.mark_won()
		if lost:
			doc.mark_lost("Price too high")
		return doc

	def figures(self) -> dict:
		from frappe.desk.doctype.dashboard_chart.dashboard_chart import get as chart
		from frappe.desk.doctype.number_card.number_card import get_result

		def card(name):
			doc = frappe.get_doc("Number Card", name)
			dynamic = [
				[*f[:3], frappe.utils.today(), *f[4:]]
				for f in frappe.parse_json(doc.dynamic_filters_json or "[]")
			]
			return get_result(doc, frappe.parse_json(doc.filters_json or "[]") + dynamic)

		def chart_total(name):
			data = chart(chart_name=name, refresh=1)
			if not data:  # a group-by chart with no rows
				return 0
			return sum(sum(v or 0 for v in dataset["values"]) for dataset in data["datasets"])

		return {
			"open pipeline card": card("CX Open Pipeline Value"),
			"won this month card": card("CX Won This Month"),
			"pipeline by stage chart": chart_total("CX Pipeline by Stage"),
			"weighted pipeline chart": chart_total("CX Weighted Pipeline by Forecast Category"),
			"won by month chart": chart_total("CX Won Amount by Month"),
		}

	def test_each_deal_carries_its_amount_in_the_reporting_currency(self):
		from crm_app.money import reporting_currency

		self.assertEqual(reporting_currency(), "USD")
		eur = frappe.get_doc("CX Opportunity", self.deals["open_eur"].name)
		self.assertEqual(eur.base_currency, "USD")
		self.assertAlmostEqual(eur.exchange_rate, RATE)
		self.assertTrue(eur.exchange_rate_date)
		self.assertAlmostEqual(eur.base_amount, 1_100)
		self.assertAlmostEqual(eur.base_weighted_amount, 1_100 * eur.probability / 100)
		usd = frappe.get_doc("CX Opportunity", self.deals["open_usd"].name)
		self.assertEqual((usd.exchange_rate, usd.base_amount), (1, 500))

	def test_cards_and_charts_add_converted_amounts(self):
		delta = {key: self.after[key] - self.before[key] for key in self.after}
		self.assertAlmostEqual(delta["open pipeline card"], 1_100 + 500)
		self.assertAlmostEqual(delta["won this month card"], 2_200 + 300)
		self.assertAlmostEqual(delta["pipeline by stage chart"], 1_100 + 500)
		self.assertAlmostEqual(delta["won by month chart"], 2_200 + 300)
		weighted = sum(
			frappe.db.get_value("CX Opportunity", self.deals[key].name, "base_weighted_amount")
			for key in ("open_eur", "open_usd")
		)
		self.assertAlmostEqual(delta["weighted pipeline chart"], weighted)

	def test_kanban_totals_are_in_the_reporting_currency(self):
		from crm_app.pipeline import kanban_totals

		totals = kanban_totals({"opportunity_owner": OWNER, "status": "Open"})
		self.assertEqual(totals["Proposal"]["currency"], "USD")
		self.assertAlmostEqual(totals["Proposal"]["amount"], 1_600)

	def test_reports_add_converted_amounts_and_say_so(self):
		from frappe.desk.query_report import run

		period = {"from_date": add_days(nowdate(), -30), "to_date": add_days(nowdate(), 30), "owner": OWNER}

		def summary(name, **extra):
			result = run(name, filters={**period, **extra}, ignore_prepared_report=True)
			self.assertIn("USD", result.get("message") or "", name)
			return {item["label"]: item["value"] for item in result["report_summary"]}

		self.assertAlmostEqual(summary("CX Sales Funnel")["Won Amount"], 2_500)
		self.assertAlmostEqual(summary("CX Pipeline Forecast")["Closed"], 2_500)
		self.assertAlmostEqual(summary("CX Rep Performance")["Won Amount"], 2_500)
		self.assertAlmostEqual(summary("CX Lost Opportunity Analysis")["Lost Amount"], 110)
		for key in ("open_eur", "open_usd"):
			month_ago = frappe.utils.add_to_date(frappe.utils.now_datetime(), days=-30)
			frappe.db.set_value("CX Opportunity", self.deals[key].name, "creation", month_ago)
		stale = summary("CX Stale Pipeline", days=14, from_date=None, to_date=None)
		self.assertAlmostEqual(stale["Stale Pipeline Amount"], 1_600)

	def test_campaign_won_amount_is_converted(self):
		from crm_app.campaigns import refresh_campaign_rollups

		refresh_campaign_rollups([CAMPAIGN])
		campaign = frappe.get_doc("CX Campaign", CAMPAIGN)
		self.assertAlmostEqual(campaign.won_amount, 2_500)
		self.assertEqual(campaign.opportunities_count, 5)

	def test_a_foreign_deal_without_a_rate_is_refused(self):
		from crm_app.exceptions import MissingExchangeRateError

		with self.assertRaises(MissingExchangeRateError):
			make_opportunity(currency="GBP", amount=10, opportunity_owner=OWNER)

	def test_a_new_reporting_currency_converts_every_deal_again(self):
		from crm_app.money import recompute_base_amounts

		frappe.db.set_single_value("CX Settings", "default_currency", "EUR")
		frappe.clear_document_cache("CX Settings", "CX Settings")
		recompute_base_amounts()
		eur = frappe.db.get_value(
			"CX Opportunity", self.deals["open_eur"].name, ["base_currency", "exchange_rate", "base_amount"]
		)
		self.assertEqual(tuple(eur), ("EUR", 1, 1_000))
		usd = frappe.db.get_value(
			"CX Opportunity", self.deals["open_usd"].name, ["base_currency", "exchange_rate", "base_amount"]
		)
		if on_erpnext():  # only EUR -> USD is kept: its inverse converts USD to EUR
			self.assertEqual(usd[0], "EUR")
			self.assertAlmostEqual(usd[1], 1 / RATE, places=6)
			self.assertAlmostEqual(usd[2], 500 / RATE, places=2)
			return
		# No USD -> EUR rate anywhere: the deal counts as 0 until someone enters one, and says so.
		self.assertEqual(tuple(usd), ("EUR", 0, 0))
		from crm_app.exceptions import MissingExchangeRateError

		with self.assertRaises(MissingExchangeRateError):
			frappe.get_doc("CX Opportunity", self.deals["open_usd"].name).save()
