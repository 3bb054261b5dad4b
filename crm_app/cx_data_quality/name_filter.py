"""The list views' name box finds names typed in any alphabet.

Frappe puts a doctype's title field among the list's standard filters: the lead list shows a "Lead Name"
box, the customer list a "Customer Name" box, and that is where a Frappe user types a name. Frappe sends
what they type as `lead_name like '%Kowal%'`: one alphabet only, and a scan of every row. On those two
lists (and the report view, Kanban, the count, the sidebar's group-by counts and an export of the same
list, which send the same filters) this box is mapped through the search keys instead: it finds the
records with a word starting with what was typed, in any alphabet ("Kowal" finds Ковальчук and
Kowalczyk), through the key index, as the link search does. A value with a digit or "@", or under two
letters, stays Frappe's LIKE.

Frappe's filters cannot carry a sub-query, so `before_request` takes the name filter out of the request
and the app's `permission_query_conditions` hook (`condition`) adds the key sub-query in its place to the
list's own statement, beside the user's permission conditions, for that request only.
"""

import json

import frappe
from frappe.query_builder import DocType

from crm_app.core.quality.search_keys import query_prefixes
from crm_app.cx_data_quality.search_keys import key_criterion

# The list views whose title box is mapped, and that box's field.
NAME_BOXES = {"CX Lead": "lead_name", "CX Customer": "customer_name"}
# Methods the list view, the report view and Kanban call with the list's filters, and their parameter.
LIST_METHODS = {
	"frappe.desk.reportview.get": "filters",
	"frappe.desk.reportview.get_list": "filters",
	"frappe.desk.reportview.get_count": "filters",
	"frappe.desk.reportview.export_query": "filters",
	"frappe.desk.reportview.get_sidebar_stats": "filters",
	"frappe.desk.listview.get_group_by_count": "current_filters",
	"frappe.client.get_count": "filters",
}


def before_request() -> None:
	"""`before_request` hook: a list request that filters a name box by `like` looks the name up in the
	key table instead (see the module's docstring)."""
	parameter = LIST_METHODS.get(requested_method())
	if parameter:
		take_name_filter(frappe.local.form_dict, parameter)


def requested_method() -> str:
	request = getattr(frappe.local, "request", None)
	path = getattr(request, "path", "") or ""
	if path.startswith("/api/") and "/method/" in path:
		return path.rsplit("/method/", 1)[1].strip("/")
	return frappe.local.form_dict.get("cmd") or ""


def take_name_filter(form: dict, parameter: str = "filters") -> bool:
	"""Move a `like` filter on the name box of the requested doctype out of `form[parameter]` into this
	request's key look-up. False (and nothing changed) when there is none, or nothing to look up by
	name; invalid filters are left for Frappe to refuse."""
	doctype = form.get("doctype")
	field = NAME_BOXES.get(doctype) if isinstance(doctype, str) else None
	raw = form.get(parameter)
	if not field or not raw:
		return False
	try:
		filters = json.loads(raw) if isinstance(raw, str) else raw
	except ValueError:
		return False
	found = _name_filter(filters, doctype, field)
	if found is None:
		return False
	position, value = found
	prefixes = query_prefixes(value.strip("%").replace("%", " "))
	if not prefixes:
		return False
	if isinstance(filters, dict):
		remaining = {key: item for key, item in filters.items() if key != position}
	else:
		remaining = [item for index, item in enumerate(filters) if index != position]
	form[parameter] = json.dumps(remaining) if isinstance(raw, str) else remaining
	if not hasattr(frappe.local, "cx_name_filters"):
		frappe.local.cx_name_filters = {}
	frappe.local.cx_name_filters[doctype] = prefixes
	return True


def _name_filter(filters, doctype: str, field: str) -> tuple[int | str, str] | None:
	"""Where the name box's filter is (its index, or its key in a dict) and its value."""
	if isinstance(filters, dict):
		condition = filters.get(field)
		if isinstance(condition, list | tuple) and len(condition) == 2:
			operator, value = condition
			if isinstance(operator, str) and operator.lower() == "like" and isinstance(value, str):
				return field, value
		return None
	if not isinstance(filters, list):
		return None
	for index, item in enumerate(filters):
		if not isinstance(item, list | tuple):
			continue
		if len(item) >= 4 and item[0] == doctype:
			fieldname, operator, value = item[1:4]
		elif len(item) == 3:
			fieldname, operator, value = item
		else:
			continue
		if fieldname == field and isinstance(operator, str) and operator.lower() == "like":
			if isinstance(value, str):
				return index, value
	return None


def condition(user: str | None = None, doctype: str | None = None) -> str:
	"""`permission_query_conditions` hook of the name boxes' doctypes: the key look-up this request took
	from the name box, as a condition on the list's statement; "" otherwise (every other read)."""
	prefixes = getattr(frappe.local, "cx_name_filters", {}).get(doctype)
	if not prefixes:
		return ""
	# The prefixes are folded words, letters a-z only: written into the statement as literals. In
	# parentheses, as Frappe joins the hooks' conditions with a bare " and ".
	sql = key_criterion(doctype, prefixes, DocType(doctype).name).get_sql(
		quote_char="`", secondary_quote_char="'", with_namespace=True
	)
	return f"({sql})"
