"""Insights from ERPNext's books (issue 13): purchases and returns for RFM and value, revenue, cost of goods,
late payment and Loyalty Point Entries for profitability and loyalty, monthly quantities of submitted invoices
for demand forecasts.

On the ERPNext site, with ERPNext's own test setup (company, chart, items) that test_y_erpnext_books makes
(its setUpModule, run here too: whichever module runs first makes it). A `test_y_` module: the suites that
expect an ERPNext site without a company have run before. Skipped on a plain site.
"""

import unittest

import frappe
from frappe.utils import add_days, add_months, flt, get_first_day, getdate, nowdate

from crm_app.cx_insights import forecast, loyalty, value
from crm_app.integrations.erpnext.insights_forecast import monthly_quantities
from tests.integration.factories import CXTestCase, make_customer
from tests.integration.test_insights_profitability import InsightsCase, report, rows_by_customer
from tests.integration.test_insights_value import TODAY, ValueCase, customer_figures
from tests.integration.test_y_erpnext_books import COMPANY, ON_ERPNEXT
from tests.integration.test_y_erpnext_books import setUpModule as set_up_books

needs_erpnext = unittest.skipUnless(ON_ERPNEXT, "ERPNext is not installed on this site")
DEMAND_ITEM = "CX-TEST-DEMAND"
FORECAST_TODAY = getdate("2026-11-15")  # the last complete month is October 2026


def setUpModule():
	set_up_books()  # does nothing on a plain site


@needs_erpnext
class TestFromInvoices(ValueCase):
	COMPANY = "Wind Power LLC"
	ITEM = "CX-TEST-SERVICE"

	def setUp(self):
		super().setUp()
		if not value.integration_enabled() or not frappe.db.exists("Company", self.COMPANY):
			self.skipTest("ERPNext is not set up on this site (run test_y_erpnext_books first)")

	def invoice(self, customer: str, days_ago: int, amount: float, **values):
		posting = add_days(TODAY, -days_ago)
		doc = frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"customer": customer,
				"company": self.COMPANY,
				"currency": "USD",
				"set_posting_time": 1,
				"posting_date": posting,
				"due_date": posting,
				"items": [{"item_code": self.ITEM, "qty": -1 if amount < 0 else 1, "rate": abs(amount)}],
				**values,
			}
		)
		doc.insert()
		doc.submit()
		return doc

	def test_invoices_and_returns_are_the_purchases(self):
		cx = make_customer(customer_name=f"Invoiced {self.tag}")
		erpnext_customer = frappe.db.get_value("CX Customer", cx.name, "erpnext_customer")
		if not erpnext_customer:
			self.skipTest("customers are not mirrored to ERPNext on this site")
		first = self.invoice(erpnext_customer, 100, 300)
		self.invoice(erpnext_customer, 40, 200)
		self.invoice(erpnext_customer, 10, -100, is_return=1, return_against=first.name)
		from crm_app.integrations.erpnext.insights import purchase_rows

		rows = [row for row in purchase_rows(add_days(TODAY, -365)) if row[0] == cx.name]
		self.assertEqual(sorted(flt(amount) for _c, _d, amount in rows), [-100, 200, 300])
		self.run_job()
		figures = customer_figures(cx.name)
		# the return nets the value but is not a purchase, nor activity
		self.assertEqual(
			(figures.rfm_frequency, figures.rfm_recency_days, flt(figures.rfm_monetary)), (2, 40, 400)
		)
		self.assertTrue(
			figures.rfm_segment or len(frappe.get_all("CX Customer", {"rfm_scored_on": ("is", "set")})) < 5
		)


SERVICE_ITEM = "CX-TEST-PROFIT-SERVICE"


@needs_erpnext
class TestProfitabilityAndLoyaltyFromERPNext(InsightsCase):
	def setUp(self):
		super().setUp()
		from crm_app.integrations.erpnext.customers import ensure_erpnext_customer

		frappe.db.set_single_value("CX Settings", "erpnext_enabled", 1)
		self.settings(late_payment_annual_rate=36.5, support_hour_rate=0, weight_cost_of_goods=1)
		if not frappe.db.exists("Item", SERVICE_ITEM):
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": SERVICE_ITEM,
					"item_name": SERVICE_ITEM,
					"item_group": "All Item Groups",
					"stock_uom": "Nos",
					"is_stock_item": 0,
				}
			).insert()
		# a service has no stock ledger: its cost is the item's valuation rate
		frappe.db.set_value("Item", SERVICE_ITEM, "valuation_rate", 40)
		self.customer = make_customer(customer_name="Books Profit").name
		self.erp_customer = ensure_erpnext_customer(frappe.get_doc("CX Customer", self.customer))

	def invoice(self, amount: float, posted: int, due: int, qty: int = 1, **values):
		doc = frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"customer": self.erp_customer,
				"company": COMPANY,
				"currency": "USD",
				"set_posting_time": 1,
				"posting_date": add_days(nowdate(), posted),
				"due_date": add_days(nowdate(), due),
				"items": [{"item_code": SERVICE_ITEM, "qty": qty, "rate": amount}],
				**values,
			}
		)
		doc.insert()
		doc.submit()
		return doc

	def test_revenue_cost_of_goods_and_late_payment_come_from_the_books(self):
		from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

		self.invoice(1000, posted=-20, due=-10)  # unpaid, 10 days late
		paid = self.invoice(500, posted=-20, due=-15)
		payment = get_payment_entry("Sales Invoice", paid.name)
		payment.posting_date = add_days(nowdate(), -5)  # paid 10 days late
		payment.reference_no, payment.reference_date = "CX-PROFIT", nowdate()
		payment.insert()
		payment.submit()
		credit = self.invoice(200, posted=-2, due=-2, qty=-1, is_return=1)
		self.assertEqual(credit.docstatus, 1)
		rows = rows_by_customer(report())
		row = rows[self.customer]
		self.assertEqual(row["revenue"], 1300)  # 1000 + 500 - 200
		self.assertEqual(row["cost_of_goods"], -40)  # (1 + 1 - 1) x 40: the return takes its cost back
		# 36.5 % a year is 0.1 % a day: 1,000 x 10 days + 500 x 10 days
		self.assertAlmostEqual(row["late_payment"], -15, places=2)
		self.assertIn("ERPNext", report()["message"])

	def test_points_are_erpnext_loyalty_point_entries_and_tiers_follow_the_settings(self):
		program = frappe.get_doc(
			{
				"doctype": "Loyalty Program",
				"loyalty_program_name": "CX Profit Loyalty",
				"from_date": add_days(nowdate(), -100),
				"company": COMPANY,
				"conversion_factor": 1,
				"collection_rules": [{"tier_name": "Base", "collection_factor": 1, "min_spent": 0}],
			}
		).insert()
		self.settings(tiers=[("Silver", 100), ("Gold", 1000)])
		for points, expiry in ((150, 30), (-20, 30), (900, -1)):  # the last has expired
			frappe.get_doc(
				{
					"doctype": "Loyalty Point Entry",
					"loyalty_program": program.name,
					"customer": self.erp_customer,
					"company": COMPANY,
					"loyalty_points": points,
					"posting_date": add_days(nowdate(), -10),
					"expiry_date": add_days(nowdate(), expiry),
				}
			).insert(ignore_permissions=True)
		stats = loyalty.refresh_loyalty(commit=False)
		self.assertEqual(stats["source"], loyalty.FROM_ERPNEXT)
		self.assertEqual(
			frappe.db.get_value("CX Customer", self.customer, ["loyalty_points", "loyalty_tier"]),
			(130, "Silver"),
		)


@needs_erpnext
class TestDemandFromInvoices(CXTestCase):
	"""The forecast job reads submitted invoice lines in the stock unit, returns netted within their month,
	drafts and cancelled invoices left out."""

	def setUp(self):
		super().setUp()
		from crm_app.integrations.erpnext.customers import ensure_erpnext_customer

		frappe.db.set_single_value("CX Settings", "erpnext_enabled", 1)
		frappe.db.delete("CX Demand Forecast")
		if not frappe.db.exists("Item", DEMAND_ITEM):
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": DEMAND_ITEM,
					"item_name": "Demand test service",
					"item_group": "All Item Groups",
					"stock_uom": "Nos",
					"is_stock_item": 0,
				}
			).insert()
		customer = make_customer(customer_name="Demand Books")
		self.erp_customer = ensure_erpnext_customer(frappe.get_doc("CX Customer", customer.name))

	def ensure_fiscal_year(self, day) -> None:
		if not frappe.db.exists(
			"Fiscal Year", {"year_start_date": ("<=", day), "year_end_date": (">=", day)}
		):
			year = str(getdate(day).year)
			frappe.get_doc(
				{
					"doctype": "Fiscal Year",
					"year": year,
					"year_start_date": f"{year}-01-01",
					"year_end_date": f"{year}-12-31",
				}
			).insert()

	def invoice(self, months_ago: int, qty: float, submit: bool = True, **values):
		posting = add_days(add_months(get_first_day(FORECAST_TODAY), -months_ago), 9)
		self.ensure_fiscal_year(posting)
		doc = frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"customer": self.erp_customer,
				"company": COMPANY,
				"currency": "USD",
				"set_posting_time": 1,
				"posting_date": posting,
				"due_date": posting,
				"items": [{"item_code": DEMAND_ITEM, "qty": qty, "rate": 10}],
				**values,
			}
		)
		doc.insert()
		if submit:
			doc.submit()
		return doc

	def test_monthly_quantities_come_from_submitted_invoices_and_are_forecast(self):
		for months_ago in range(1, 31):  # 30 months, a yearly rhythm, up to October 2026
			self.invoice(months_ago, 20 + (months_ago % 12) * 3)
		self.invoice(1, -4, is_return=1)  # a return in October nets within October
		self.invoice(1, 500, submit=False)  # a draft sells nothing
		cancelled = self.invoice(2, 300)
		cancelled.cancel()

		start = add_months(get_first_day(FORECAST_TODAY), -30)
		rows = {
			(year, month): quantity
			for _kind, item, _group, year, month, quantity in monthly_quantities(start, FORECAST_TODAY)
			if item == DEMAND_ITEM
		}
		self.assertEqual(len(rows), 30)
		self.assertEqual(flt(rows[(2026, 10)]), 20 + 1 * 3 - 4)
		self.assertEqual(flt(rows[(2026, 9)]), 20 + 2 * 3)  # the cancelled invoice is not counted

		result = forecast.refresh_forecasts(commit=False, today=FORECAST_TODAY)
		self.assertGreaterEqual(result["forecast"], 1)
		history = frappe.get_all(
			"CX Demand Forecast",
			filters={"item": DEMAND_ITEM, "is_forecast": 0},
			fields=["period", "actual"],
			order_by="period",
		)
		self.assertEqual((str(history[-1].period), flt(history[-1].actual)), ("2026-10-01", 19))
		ahead = frappe.get_all(
			"CX Demand Forecast",
			filters={"item": DEMAND_ITEM, "is_forecast": 1},
			fields=["period", "forecast", "lower", "upper", "method"],
			order_by="period",
		)
		self.assertEqual(str(ahead[0].period), "2026-11-01")
		self.assertTrue(all(row.lower <= row.forecast <= row.upper for row in ahead))
		self.assertTrue(ahead[0].method.startswith("ETS"))
