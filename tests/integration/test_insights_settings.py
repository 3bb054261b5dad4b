"""CX Insights Settings: the defaults a site starts with, and settings no figure can be made from."""

import frappe

from crm_app.exceptions import InsightsSettingsError

from .factories import CXTestCase, make_user

SETTINGS = "CX Insights Settings"


def settings(**values):
	doc = frappe.get_doc(SETTINGS)
	doc.update(values)
	return doc


class TestInsightsSettings(CXTestCase):
	def test_a_site_starts_with_defaults_and_three_tiers(self):
		doc = frappe.get_doc(SETTINGS)
		self.assertEqual(doc.value_horizon_days, 365)
		self.assertEqual(doc.weight_revenue, 1)
		self.assertEqual([(t.tier_name, t.min_points) for t in doc.loyalty_tiers][:1], [("Bronze", 0)])

	def test_negative_or_non_numeric_weights_are_refused(self):
		for value in (-1, "-0.5", "heavy", "nan", "inf"):
			with self.subTest(value=value), self.assertRaises(InsightsSettingsError):
				settings(weight_support=value).save()
		self.assertEqual(frappe.db.get_single_value(SETTINGS, "weight_support"), 1)  # nothing written

	def test_periods_must_be_at_least_one_and_the_season_within_the_history(self):
		with self.assertRaises(InsightsSettingsError):
			settings(value_horizon_days=0).save()
		with self.assertRaises(InsightsSettingsError):
			settings(forecast_season_length=24, forecast_history_months=12).save()

	def test_tiers_need_their_own_names_and_points_and_are_kept_in_order(self):
		doc = settings()
		doc.loyalty_tiers = []
		doc.append("loyalty_tiers", {"tier_name": "Gold", "min_points": 5000})
		doc.append("loyalty_tiers", {"tier_name": "Bronze", "min_points": 0})
		doc.save()
		self.assertEqual([t.tier_name for t in doc.loyalty_tiers], ["Bronze", "Gold"])
		doc.append("loyalty_tiers", {"tier_name": "gold", "min_points": 9000})
		with self.assertRaises(InsightsSettingsError):
			doc.save()

	def test_an_action_has_points_once(self):
		doc = settings()
		doc.append("loyalty_actions", {"action": "Referral", "points": 50})
		doc.append("loyalty_actions", {"action": "Referral", "points": 70})
		with self.assertRaises(InsightsSettingsError):
			doc.save()

	def test_a_sales_manager_reads_but_cannot_change_them(self):
		frappe.set_user(make_user("insights.manager@example.com", "Sales Manager"))
		self.assertTrue(frappe.has_permission(SETTINGS, "read"))
		with self.assertRaises(frappe.PermissionError):
			settings(weight_support=2).save()
