"""Demand forecasts on a real site: the job reads won deals' items by month, stores history and forecast rows
with their accuracy, says plainly what it could not forecast, and the report and its chart show them."""

import math
from unittest.mock import patch

import frappe
from frappe.utils import add_months, getdate

from crm_app.cx_insights import forecast
from crm_app.cx_insights.report.cx_demand_forecast import cx_demand_forecast as report
from tests.integration.factories import CXTestCase, make_customer, make_product, make_user

TODAY = getdate("2026-11-15")  # the last complete month is October 2026
SETTINGS = "CX Insights Settings"


def won_deal_with_item(customer: str, month: int, item: dict, qty: float) -> None:
	"""A won deal closed in the month `month` months before October 2026, with one item line."""
	deal = frappe.get_doc(
		{
			"doctype": "CX Opportunity",
			"title": "Forecast deal",
			"customer": customer,
			"currency": "USD",
			"status": "Won",
			"closed_on": add_months(getdate("2026-10-10"), -month),
		}
	)
	deal.name = frappe.generate_hash(length=14)
	deal.db_insert()
	line = frappe.get_doc(
		{"doctype": "CX Opportunity Item", **item, "qty": qty, "parent": deal.name, "idx": 1}
	)
	line.parenttype, line.parentfield = "CX Opportunity", "items"
	line.name = frappe.generate_hash(length=14)
	line.db_insert()


class TestDemandForecast(CXTestCase):
	def setUp(self):
		super().setUp()
		frappe.db.delete("CX Demand Forecast")
		self.customer = make_customer(customer_name="Forecast Buyer").name
		self.seasonal, self.new = make_product(), make_product()
		for month in range(30):  # 30 months of a yearly pattern
			qty = 100 + 40 * math.sin(2 * math.pi * month / 12) + (month * 7 % 11)  # not exactly periodic
			won_deal_with_item(self.customer, month, self.seasonal, round(qty))
		for month in range(5):  # launched five months ago: too short to forecast
			won_deal_with_item(self.customer, month, self.new, 10)
		self.from_deals = patch.object(forecast, "integration_enabled", return_value=False)
		self.from_deals.start()
		self.addCleanup(self.from_deals.stop)

	def stored(self, item: dict, is_forecast: int) -> list:
		return frappe.get_all(
			"CX Demand Forecast",
			filters={"item": item["item"], "is_forecast": is_forecast},
			fields=["period", "actual", "forecast", "lower", "upper", "method", "series_mase"],
			order_by="period",
		)

	def test_forecasts_a_long_series_and_says_when_a_series_is_too_short(self):
		result = forecast.refresh_forecasts(commit=False, today=TODAY)
		self.assertEqual(result["series"], 2)
		self.assertEqual(result["forecast"], 1)

		history, ahead = self.stored(self.seasonal, 0), self.stored(self.seasonal, 1)
		self.assertEqual(len(history), forecast.SHOWN_HISTORY_MONTHS)
		self.assertEqual(str(history[-1].period), "2026-10-01")
		self.assertEqual([str(row.period) for row in ahead][:2], ["2026-11-01", "2026-12-01"])
		self.assertEqual(len(ahead), 6)
		for row in ahead:
			self.assertLessEqual(row.lower, row.forecast)
			self.assertLessEqual(row.forecast, row.upper)
			self.assertTrue(row.method.startswith("ETS"))
		self.assertGreater(ahead[0].series_mase, 0)

		self.assertEqual(self.stored(self.new, 1), [])
		self.assertEqual({row.method for row in self.stored(self.new, 0)}, {"Not Enough History"})
		settings = frappe.get_doc(SETTINGS)
		self.assertIn("not enough history", settings.forecast_note)
		self.assertGreater(settings.forecast_mase, 0)

	def test_a_second_run_replaces_the_rows(self):
		forecast.refresh_forecasts(commit=False, today=TODAY)
		first = frappe.db.count("CX Demand Forecast")
		forecast.refresh_forecasts(commit=False, today=TODAY)
		self.assertEqual(frappe.db.count("CX Demand Forecast"), first)

	def test_a_history_too_short_for_the_settings_is_explained_not_run(self):
		frappe.db.set_single_value(SETTINGS, "forecast_history_months", 12)
		frappe.clear_document_cache(SETTINGS, SETTINGS)
		result = forecast.refresh_forecasts(commit=False, today=TODAY)
		self.assertEqual(result["series"], 0)
		self.assertIn("at least 24 months", frappe.db.get_single_value(SETTINGS, "forecast_note"))
		self.assertEqual(frappe.db.count("CX Demand Forecast"), 0)

	def test_report_rows_chart_and_summary(self):
		forecast.refresh_forecasts(commit=False, today=TODAY)
		_columns, rows, message, chart, summary = report.execute({"item": self.seasonal["item"]})
		self.assertEqual(len(rows), 1)
		self.assertEqual(rows[0].history_months, 30)
		self.assertEqual(len(chart["data"]["labels"]), forecast.SHOWN_HISTORY_MONTHS + 6)
		self.assertEqual(
			[d["name"] for d in chart["data"]["datasets"]],
			["Sold", "Forecast", "Lower (80 %)", "Upper (80 %)"],
		)
		sold, ahead, lower, upper = (d["values"] for d in chart["data"]["datasets"])
		history = forecast.SHOWN_HISTORY_MONTHS
		# bars for the months sold, none ahead; the forecast's fan opens after the last month sold
		self.assertEqual(sold[history:], [0] * 6)
		self.assertTrue(all(sold[:history]))
		self.assertEqual(ahead[:history], sold[:history])
		self.assertEqual(lower[:history], sold[:history])
		self.assertTrue(all(lo <= mid <= up for lo, mid, up in zip(lower, ahead, upper, strict=True)))
		self.assertLess(lower[history], upper[history])
		self.assertEqual(summary[0]["value"], 1)
		self.assertIn("MASE", message)

	def test_only_those_who_may_change_the_settings_start_a_forecast(self):
		frappe.set_user(make_user("forecast.manager@example.com", "Sales Manager"))
		with self.assertRaises(frappe.PermissionError):
			forecast.refresh()
