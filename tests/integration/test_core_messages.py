# ruff: noqa: RUF001
"""A core error reaches the user in their language (issue 12): the shell translates the core's `_lt`
template with Frappe's own `_`, then fills in the values (escaped: a dialog shows HTML)."""

import frappe
from frappe.core.doctype.translation.translation import clear_user_translation_cache

from crm_app.core.insights.loyalty import LoyaltyError, parse_tiers
from crm_app.cx_insights.profitability import settings_values
from crm_app.exceptions import InsightsSettingsError
from crm_app.utils import core_message

from .factories import CXTestCase

SETTINGS = "CX Insights Settings"
# A made-up catalog (Frappe's user translations), so that the test does not depend on the app's own.
WORDS = {
	"{0} cannot be negative ({1}).": "{0}: не может быть меньше нуля ({1}).",
	"The weight of support": "Вес поддержки",
	"Tier {0} is listed twice.": "Уровень {0} указан дважды.",
}


class TestCoreMessages(CXTestCase):
	def setUp(self):
		super().setUp()
		for source, translated in WORDS.items():
			frappe.get_doc(
				{
					"doctype": "Translation",
					"language": "ru",
					"source_text": source,
					"translated_text": translated,
				}
			).insert()
		self.language = frappe.local.lang

	def tearDown(self):
		frappe.local.lang = self.language
		super().tearDown()
		clear_user_translation_cache("ru")  # rolled back, but the merged catalog was cached meanwhile
		frappe.clear_document_cache(SETTINGS, SETTINGS)

	def test_the_template_is_translated_then_filled_in_and_values_escaped(self):
		try:
			parse_tiers([{"tier_name": "<b>Gold</b>", "min_points": 1}, {"tier_name": "<b>gold</b>"}])
		except LoyaltyError as raised:
			error = raised
		self.assertEqual(core_message(error), "Tier &lt;b&gt;gold&lt;/b&gt; is listed twice.")
		frappe.local.lang = "ru"
		self.assertEqual(core_message(error), "Уровень &lt;b&gt;gold&lt;/b&gt; указан дважды.")
		self.assertEqual(core_message(error, escape=False), "Уровень <b>gold</b> указан дважды.")
		self.assertEqual(str(error), "Tier <b>gold</b> is listed twice.")  # the English, for logs

	def test_a_settings_error_from_the_core_is_thrown_in_the_users_language(self):
		frappe.db.set_single_value(SETTINGS, "weight_support", -1)  # past the form's own check
		frappe.clear_document_cache(SETTINGS, SETTINGS)
		frappe.local.lang = "ru"
		with self.assertRaises(InsightsSettingsError) as caught:
			settings_values()
		self.assertEqual(str(caught.exception), "Вес поддержки: не может быть меньше нуля (-1).")

	def test_other_errors_are_shown_as_they_are(self):
		self.assertEqual(core_message(ValueError("plain <text>")), "plain <text>")
