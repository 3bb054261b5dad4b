"""Frappe's global search, with the permission model's rules applied to each result.

Frappe's search (the awesome bar, `frappe.utils.global_search.search`) returns the indexed content of any
record of a doctype the user may read; it never asks whether they may read that record. For a
restricted sales user that would show the names, emails and phones of colleagues' leads. This replaces
the method (hooks.py, `override_whitelisted_methods`) with one that drops the records the user may not
reach: one query per ruled doctype among the results.
"""

import frappe
from frappe.utils import cint
from frappe.utils.global_search import search as frappe_search

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
	return [result for result in results if (result.doctype, result.name) not in hidden]
