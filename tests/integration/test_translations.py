"""Translations on a site (issue 12): main.pot holds every message of today's sources (Frappe's own
extractors, so a string added to a form, report, workspace or message without running
scripts/translations.sh fails here), and the compiled catalogs are what the desk reads."""

import frappe
from babel.messages.pofile import read_po
from frappe.translate import get_all_translations

from crm_app import l10n
from crm_app.core.l10n.catalogs import LANGUAGES

from .factories import CXTestCase


def template_messages() -> set[tuple[str, str | None]]:
	with open(frappe.get_app_path("crm_app", "locale", "main.pot"), "rb") as file:
		return {
			(message.id if isinstance(message.id, str) else message.id[0], message.context)
			for message in read_po(file)
			if message.id
		}


class TestTranslations(CXTestCase):
	def test_the_template_holds_every_message_of_the_sources(self):
		in_sources, in_template = l10n.source_messages(), template_messages()
		new = sorted(message for message, _context in in_sources - in_template)
		gone = sorted(message for message, _context in in_template - in_sources)
		self.assertFalse(
			new or gone,
			f"crm_app/locale/main.pot is out of date: run scripts/translations.sh and translate.\n"
			f"New: {new[:20]}\nGone: {gone[:20]}",
		)

	def test_the_desk_reads_the_app_translations_in_each_language(self):
		for language in LANGUAGES:
			with self.subTest(language=language):
				frappe.cache.hdel("merged_translations", language)  # compiled since the last read
				translations = get_all_translations(language)
				self.assertTrue(translations.get("CX Insights Settings"), language)
				self.assertNotEqual(
					translations.get("Predicted conversion: {0}"), "Predicted conversion: {0}"
				)
