"""The app's translations (crm_app/locale, gettext): extractors for the app's own JSON records, and the
template as the sources make it today, for the CI's check that `main.pot` is current.

Frappe's `generate-pot-file` reads `babel_extractors.csv` at the repository's root before its own map:
number cards and dashboard charts are records Frappe shows by their label or name, which its own
extractors do not read.
"""

import json
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

APP = "crm_app"


def extract_number_card(fileobj, *args, **kwargs):
	data = json.load(fileobj)
	if isinstance(data, dict) and data.get("doctype") == "Number Card" and data.get("label"):
		yield None, "_", data["label"], ["Label of a number card"]


def extract_dashboard_chart(fileobj, *args, **kwargs):
	data = json.load(fileobj)
	if isinstance(data, dict) and data.get("doctype") == "Dashboard Chart" and data.get("chart_name"):
		yield None, "_", data["chart_name"], ["Name of a dashboard chart"]


@contextmanager
def checkout_as_bench():
	"""Frappe's navbar extractor imports hooks.py by its path inside the bench, which an app checked out
	elsewhere and linked into the bench (as CI and scripts/link_app.sh do) is not: it is given the
	checkout's grandparent as the "bench", where `<checkout>/crm_app/hooks.py` reads as `crm_app.hooks`."""
	import frappe
	from frappe.gettext.extractors import navbar

	repository = Path(frappe.get_pymodule_path(APP, "..")).resolve()
	with patch.object(navbar, "get_bench_path", lambda: str(repository.parent.parent)):
		yield


def generate_template() -> None:
	"""`bench generate-pot-file --app crm_app`, wherever the app is checked out (scripts/translations.sh)."""
	from frappe.gettext import translate

	with checkout_as_bench():
		translate.generate_pot(APP)


def source_messages() -> set[tuple[str, str | None]]:
	"""(message, context) of every translatable string of the app's sources: Frappe's own
	generate-pot-file run (its extractors, keywords and this app's map), caught before it writes."""
	from frappe.gettext import translate

	caught = {}

	def catch(app, catalog, locale=None):
		caught[app] = catalog

	with checkout_as_bench(), patch.object(translate, "write_catalog", catch):
		translate.generate_pot(APP)
	return {
		(message.id if isinstance(message.id, str) else message.id[0], message.context)
		for message in caught[APP]
		if message.id
	}


# Label helpers of the reports (crm_app/cx_sales/report/common.py) that translate their first argument.
LABEL_HELPERS = ("column", "currency_column", "summary")


def extract_report_python(fileobj, keywords, comment_tags, options):
	"""Frappe's Python extractor, which also reads the labels the reports pass to their helpers:
	`column("Total Weighted", ...)` translates its label inside the helper, where no literal is left."""
	from frappe.gettext.extractors.python import extract

	wider = [*keywords, *LABEL_HELPERS]  # Babel hands the extractor the keywords' names
	for lineno, funcname, messages, comments in extract(fileobj, wider, comment_tags, options):
		if funcname not in LABEL_HELPERS:
			yield lineno, funcname, messages, comments
			continue
		label = messages[0] if isinstance(messages, list | tuple) else messages
		if isinstance(label, str) and label:
			yield lineno, "_", label, comments
