"""Rule sets (Frappe's standard filter lists) turned into SQL, for segments and triggers.

A rule set is what the desk's `frappe.ui.FilterGroup` produces and Number Cards store:
`[[doctype, fieldname, operator, value], ...]`, combined with AND ("all") or OR ("any").

- `validate_rules` checks every rule against the doctype's meta (the type checks are in
  `crm_app.core.marketing.rules`) and returns them normalised;
- `matching_criterion` / `matching_query` build a parameterised `frappe.qb` condition / query selecting
  the matching records' names, for set-based INSERT ... SELECT and COUNT;
- `count_matching` counts what a user may see, through `frappe.get_list` (its permission rules).

`frappe.qb.get_query` is not used for the criteria: on v15 it compares NULLs differently from
`frappe.get_list` ("status != 'Lost'" drops a lead without a status, "between" on a datetime stops at the
start of the last day), so a resolved segment would not match its own live count. The criteria below
follow `DatabaseQuery.prepare_filter_condition` rule by rule instead; the integration tests compare both.
"""

import json
from typing import Any, Literal

import frappe
from frappe import _
from frappe.model.db_query import get_date_range
from frappe.query_builder import Criterion
from frappe.query_builder.functions import Coalesce
from frappe.utils import cstr

from crm_app.core.marketing import rules as core
from crm_app.exceptions import InvalidSegmentRuleError
from crm_app.utils import core_message

Match = Literal["all", "any"]

# Standard columns every doctype has, with the type Frappe gives them.
_STANDARD_FIELDS = {
	"name": ("Data", None),
	"owner": ("Link", "User"),
	"modified_by": ("Link", "User"),
	"creation": ("Datetime", None),
	"modified": ("Datetime", None),
}
_NUMERIC_NOT_NULL = ("Check", "Float", "Int", "Currency", "Percent")  # as prepare_filter_condition
_FALLBACK_DATE = "0001-01-01"
_FALLBACK_DATETIME = "0001-01-01 00:00:00.000000"


def parse_filters(filters_json: str | list | None) -> list:
	"""The rule list stored in a `filters_json` field (JSON text or already a list)."""
	if filters_json in (None, ""):
		return []
	if isinstance(filters_json, str):
		try:
			filters_json = json.loads(filters_json)
		except ValueError:
			frappe.throw(_("The rules are not valid JSON"), InvalidSegmentRuleError)
	if isinstance(filters_json, dict):
		filters_json = [[None, key, *_as_pair(value)] for key, value in filters_json.items()]
	if not isinstance(filters_json, list):
		frappe.throw(_("The rules must be a list of filters"), InvalidSegmentRuleError)
	return filters_json


def _as_pair(value: Any) -> tuple[str, Any]:
	if isinstance(value, list | tuple) and len(value) == 2 and isinstance(value[0], str):
		return value[0], value[1]
	return "=", value


def field_type(doctype: str, fieldname: str) -> tuple[str, str | None] | None:
	"""(fieldtype, options) of a field stored in the doctype's table, None if there is none."""
	if fieldname in _STANDARD_FIELDS:
		return _STANDARD_FIELDS[fieldname]
	df = frappe.get_meta(doctype).get_field(fieldname)
	if not df or df.is_virtual:
		return None
	return df.fieldtype, df.options


def validate_rules(doctype: str, filters: list | str | None, allowed: set[str] | None = None) -> list:
	"""The rules as normalised `[doctype, fieldname, operator, value]` lists, or InvalidSegmentRuleError
	naming the first field that does not exist, is outside `allowed`, has an unknown operator or a value
	of the wrong type."""
	label = _(doctype)
	rules = []
	for raw in parse_filters(filters):
		try:
			rule = core.parse_rule(raw, doctype)
		except core.RuleError as e:
			frappe.throw(rule_error_message(e), InvalidSegmentRuleError)
		typed = field_type(doctype, rule.fieldname)
		if typed is None:
			frappe.throw(
				_("Rule on {0}: {1} has no field {2}").format(rule.fieldname, label, rule.fieldname),
				InvalidSegmentRuleError,
			)
		if allowed is not None and rule.fieldname not in allowed:
			frappe.throw(
				_("Rule on {0}: this field cannot be used in a rule on {1}").format(rule.fieldname, label),
				InvalidSegmentRuleError,
			)
		try:
			rule = core.check_rule(rule, *typed)
		except core.RuleError as e:
			frappe.throw(rule_error_message(e), InvalidSegmentRuleError)
		_check_with_site(rule, *typed)
		rules.append([doctype, rule.fieldname, rule.operator, rule.value])
	return rules


def rule_error_message(error: core.RuleError) -> str:
	"""The core's RuleError in the user's language."""
	return core_message(error)


def _check_with_site(rule: core.Rule, fieldtype: str, options: str | None) -> None:
	"""What only the site can say: a known timespan, a tree to walk."""
	if rule.operator == "timespan" and not frappe.utils.get_timespan_date_range(rule.value):
		frappe.throw(
			_("Rule on {0}: unknown timespan {1}").format(rule.fieldname, rule.value), InvalidSegmentRuleError
		)
	if rule.operator in core.NESTED_SET_OPERATORS:
		if fieldtype != "Link" or not frappe.get_meta(options).is_tree:
			frappe.throw(
				_("Rule on {0}: {1} needs a link to a tree").format(rule.fieldname, rule.operator),
				InvalidSegmentRuleError,
			)


def matching_criterion(doctype: str, filters: list | str | None, match: Match = "all") -> Criterion | None:
	"""The WHERE condition of the rules on `tab<doctype>` (None when there are no rules: everything)."""
	table = frappe.qb.DocType(doctype)
	criteria = [
		_criterion(table, rule[1], rule[2], rule[3], *field_type(doctype, rule[1]))
		for rule in validate_rules(doctype, filters)
	]
	if not criteria:
		return None
	return Criterion.any(criteria) if match == "any" else Criterion.all(criteria)


def matching_query(doctype: str, filters: list | str | None, match: Match = "all"):
	"""SELECT name FROM tab<doctype> WHERE <rules>, parameterised (`.run()` or use as a subquery)."""
	table = frappe.qb.DocType(doctype)
	query = frappe.qb.from_(table).select(table.name)
	criterion = matching_criterion(doctype, filters, match)
	return query.where(criterion) if criterion is not None else query


def count_matching(
	doctype: str, filters: list | str | None, user: str | None = None, match: Match = "all"
) -> int:
	"""How many records match, of those `user` may read (frappe.get_list's rules: roles, User
	Permissions, shares, the app's restrictions). PermissionError if the user may not read the doctype."""
	rules = validate_rules(doctype, filters)
	key = "or_filters" if match == "any" and rules else "filters"
	rows = frappe.get_list(
		doctype, fields=["count(*) as count"], user=user or frappe.session.user, order_by="", **{key: rules}
	)
	return int(rows[0].count) if rows else 0


def _criterion(table, fieldname: str, operator: str, value: Any, fieldtype: str, options: str | None):
	"""One rule as frappe.get_list reads it (DatabaseQuery.prepare_filter_condition), in frappe.qb."""
	column = table[fieldname]
	can_be_null = fieldname not in ("name", "modified", "creation")

	if operator in core.NESTED_SET_OPERATORS:
		nodes = _tree_nodes(options, value, operator)
		values = nodes or [""]
		wrapped = Coalesce(column, "")
		return wrapped.notin(values) if operator.startswith("not ") else wrapped.isin(values)

	if operator in ("in", "not in"):
		values = ["" if v is None else (v.strip() if isinstance(v, str) else v) for v in value]
		if operator == "in":
			can_be_null &= any(v == "" for v in values)
			return (Coalesce(column, "") if can_be_null else column).isin(values)
		return (Coalesce(column, "") if can_be_null else column).notin(values)

	if fieldtype in _NUMERIC_NOT_NULL:
		can_be_null = False
	if operator in ("timespan", "previous", "next"):
		value = list(get_date_range(operator, value))
		operator = "between"
	if operator in (">", ">=") and fieldtype in core.DATE_TYPES:
		can_be_null = False  # NULL is never after a date

	fallback: Any
	if operator == "between":  # dates only (core refuses it elsewhere); NULL never falls between
		low, high = _between_dates(value, fieldtype)
		return column[low:high]
	if operator == "is":
		return _is_set(column, fieldtype) if value == "set" else _is_not_set(column, fieldtype)
	elif fieldtype == "Date":
		value, fallback = frappe.db.format_date(value), _FALLBACK_DATE
	elif fieldtype == "Datetime":
		value, fallback = frappe.db.format_datetime(value), _FALLBACK_DATETIME
	elif fieldtype in _NUMERIC_NOT_NULL:
		fallback = 0
	else:
		value, fallback = cstr(value), ""

	if not can_be_null or (value and operator in ("=", "like")):
		return _compare(column, operator, value)
	if fallback == value and operator == "=":
		return column.isnull() | (column == value)
	if fallback == value and operator == "!=":
		return column != value
	return _compare(Coalesce(column, fallback), operator, value)


def _is_set(column, fieldtype: str):
	"""get_list writes `col != ''`; on a date or number '' is cast (to no date, to 0), and inside an
	INSERT ... SELECT or UPDATE strict mode refuses that cast, so the same test is written without it."""
	if fieldtype in core.DATE_TYPES:
		return column.isnotnull()
	if fieldtype in _NUMERIC_NOT_NULL:
		return column != 0
	return column != ""


def _is_not_set(column, fieldtype: str):
	if fieldtype in core.DATE_TYPES:
		return column.isnull()
	if fieldtype in _NUMERIC_NOT_NULL:
		return column.isnull() | (column == 0)
	return column.isnull() | (column == "")


def _compare(term, operator: str, value: Any):
	match operator:
		case "=":
			return term == value
		case "!=":
			return term != value
		case ">":
			return term > value
		case "<":
			return term < value
		case ">=":
			return term >= value
		case "<=":
			return term <= value
		case "like":
			return term.like(value)
		case "not like":
			return term.not_like(value)
	raise ValueError(operator)  # validate_rules let through an operator this function does not know


def _between_dates(value: list, fieldtype: str) -> tuple[str, str]:
	"""As frappe.model.db_query.get_between_date_filter: a date bound on a datetime covers its whole day."""
	low, high = value
	if fieldtype == "Datetime":
		low = frappe.db.format_datetime(_day_bound(low, "00:00:00"))
		high = frappe.db.format_datetime(_day_bound(high, "23:59:59.999999"))
		return low, high
	return frappe.db.format_date(low), frappe.db.format_date(high)


def _day_bound(value: Any, time: str) -> Any:
	text = cstr(value).strip()
	return f"{text} {time}" if text and " " not in text and "T" not in text else value


def _tree_nodes(doctype: str, name: str, operator: str) -> list[str]:
	"""The records a nested-set operator names, as prepare_filter_condition computes them."""
	lft, rgt = frappe.db.get_value(doctype, name, ["lft", "rgt"]) or (0, 0)
	if "descendants" in operator:
		nodes = frappe.get_all(doctype, filters={"lft": [">", lft], "rgt": ["<", rgt]}, pluck="name")
		if operator == "descendants of (inclusive)":
			nodes.append(name)
		return nodes
	return frappe.get_all(doctype, filters={"lft": ["<", lft], "rgt": [">", rgt]}, pluck="name")
