"""Frappe's global search, with the permission model's rules applied to each result.

Frappe's search (the awesome bar, `frappe.utils.global_search.search`) returns the indexed content of any
record of a doctype the user may read; it never asks whether they may read that record. For a
restricted sales user that would show the names, emails and phones of colleagues' leads. This replaces
the method (hooks.py, `override_whitelisted_methods`) with one that drops the records the user may not
reach: one query per ruled doctype among the results.

Frappe's search also finds words only as they are written: the first page adds the leads, customers and
contacts whose name has words starting with what was typed in another alphabet ("Kowal" finds Ковальчук),
from the search keys (crm_app/cx_data_quality/search_keys.py), read under the user's permissions.
"""

import frappe
from frappe import _
from frappe.desk.doctype.global_search_settings.global_search_settings import (
	get_doctypes_for_global_search,
)
from frappe.utils import cint
from frappe.utils.global_search import search as frappe_search

from crm_app.cx_data_quality.search_keys import NAME_FIELDS, TITLE_FIELDS, matching_names
from crm_app.permissions import RULES, query_conditions

MAX_RESULTS = 500


@frappe.whitelist()
def global_search(text: str, start: int = 0, limit: int = 20, doctype: str = "") -> list[dict]:
	# Frappe's search writes start and limit into its SQL as given: a negative one is a syntax error.
	start, limit = max(cint(start), 0), min(max(cint(limit), 1), MAX_RESULTS)
	results = frappe_search(text, start=start, limit=limit, doctype=doctype)
	names_by_doctype: dict[str, list[str]] = {}
	for result in results:
		if result.doctype in RULES:
			names_by_doctype.setdefault(result.doctype, []).append(result.name)
	hidden = set()
	for ruled, names in names_by_doctype.items():
		if not query_conditions(frappe.session.user, ruled):
			continue  # this user is not restricted on it
		visible = set(frappe.get_list(ruled, filters={"name": ("in", names)}, pluck="name"))
		hidden |= {(ruled, name) for name in names if name not in visible}
	results = [result for result in results if (result.doctype, result.name) not in hidden]
	if start:
		return results  # later pages go on with Frappe's results
	return with_key_matches(text, results, limit, doctype)


def with_key_matches(text: str, results: list[dict], limit: int, doctype: str = "") -> list[dict]:
	"""The key matches not among `results` first, then `results`, `limit` in all; Frappe's own results
	keep at least half of the page when they have that many."""
	# The doctypes Frappe's search reads for this user (its settings, read permission), as it picks them.
	allowed = set(get_doctypes_for_global_search()) & set(frappe.get_user().get_can_read())
	searched = [name for name in NAME_FIELDS if name in allowed and (not doctype or name == doctype)]
	found = {(result.doctype, result.name) for result in results}
	room = limit - min(len(results), limit // 2)
	matches = []
	for searched_doctype in searched:
		if len(matches) >= room:
			break
		names = [
			name
			for name in matching_names(searched_doctype, text, room)
			if (searched_doctype, name) not in found
		]
		matches += key_results(searched_doctype, names, text)
	return [*matches[:room], *results][:limit]


def key_results(doctype: str, names: list[str], text: str) -> list[dict]:
	"""Rows shaped as Frappe's search returns them. The desk shows a row's parts that contain the typed
	text: the title's part says what it matched ("Lead Name: Юлия Ковальчук ≈ Kowal")."""
	if not names:
		return []
	title_field = TITLE_FIELDS[doctype]
	label = _(frappe.get_meta(doctype).get_label(title_field))
	titles = dict(
		frappe.get_list(
			doctype,
			filters={"name": ("in", names)},
			fields=["name", title_field],
			order_by="",
			limit_page_length=len(names),
			as_list=True,
		)
	)
	return [
		frappe._dict(
			doctype=doctype, name=name, content=f"{label} : {titles[name] or name} \u2248 {text}", rank=1.0
		)
		for name in names
		if name in titles
	]
