"""The app's translations (crm_app/locale, gettext): extractors for the app's own JSON records, and the
template as the sources make it today, for the CI's check that `main.pot` is current.

Frappe's `generate-pot-file` reads `babel_extractors.csv` at the repository's root before its own map:
number cards and dashboard charts are records Frappe shows by their label or name, which its own
extractors do not read.
"""

import json
from pathlib import Path

APP = "crm_app"


def extract_number_card(fileobj, *args, **kwargs):
	data = json.load(fileobj)
	if isinstance(data, dict) and data.get("doctype") == "Number Card" and data.get("label"):
		yield None, "_", data["label"], ["Label of a number card"]


def extract_dashboard_chart(fileobj, *args, **kwargs):
	data = json.load(fileobj)
	if isinstance(data, dict) and data.get("doctype") == "Dashboard Chart" and data.get("chart_name"):
		yield None, "_", data["chart_name"], ["Name of a dashboard chart"]


def source_messages() -> set[tuple[str, str | None]]:
	"""(message, context) of every translatable string of the app's sources: Frappe's own
	generate-pot-file run (its extractors, keywords and this app's map), caught before it writes.

	Frappe's navbar extractor imports hooks.py by its path inside the bench: where the app is checked out
	elsewhere (CI links a clone into the bench), it is given the checkout's grandparent as the "bench"."""
	from unittest.mock import patch

	import frappe
	from frappe.gettext import translate
	from frappe.gettext.extractors import navbar

	repository = Path(frappe.get_pymodule_path(APP, "..")).resolve()
	caught = {}

	def catch(app, catalog, locale=None):
		caught[app] = catalog

	with (
		patch.object(translate, "write_catalog", catch),
		patch.object(navbar, "get_bench_path", lambda: str(repository.parent.parent)),
	):
		translate.generate_pot(APP)
	return {
		(message.id if isinstance(message.id, str) else message.id[0], message.context)
		for message in caught[APP]
		if message.id
	}
