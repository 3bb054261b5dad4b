"""Checks of one segment or trigger rule: a Frappe filter `[doctype, fieldname, operator, value]`.

The shell reads the field's type and options from the doctype's meta and hands them here; this module
says whether the operator is one Frappe knows, whether it makes sense for that field type, and whether
the value has the right type, and returns the value in a normalised form (numbers as numbers, "in"
lists as lists, operators in lower case). Nothing here imports Frappe.
"""

import datetime
import re
from dataclasses import dataclass
from typing import Any

from crm_app.core.errors import CoreError, _lt

# Frappe's own list (frappe.utils.data.get_filter), the nested-set ones included.
NESTED_SET_OPERATORS = frozenset(
	{"descendants of", "descendants of (inclusive)", "not descendants of", "ancestors of", "not ancestors of"}
)
OPERATORS = frozenset(
	{
		"=",
		"!=",
		">",
		"<",
		">=",
		"<=",
		"like",
		"not like",
		"in",
		"not in",
		"is",
		"between",
		"timespan",
		"previous",
		"next",
		*NESTED_SET_OPERATORS,
	}
)
COMPARISONS = frozenset({">", "<", ">=", "<="})
LIST_OPERATORS = frozenset({"in", "not in"})
PERIOD_VALUES = frozenset({"1 week", "1 month", "3 months", "6 months", "1 year"})  # "previous"/"next"

INT_TYPES = frozenset({"Int", "Check"})
FLOAT_TYPES = frozenset({"Float", "Currency", "Percent"})
NUMBER_TYPES = INT_TYPES | FLOAT_TYPES
DATE_TYPES = frozenset({"Date", "Datetime"})
TEXT_TYPES = frozenset(
	{"Data", "Small Text", "Text", "Long Text", "Link", "Dynamic Link", "Read Only", "Phone", "Autocomplete"}
)

# What each kind of field may be compared with; Frappe's desk offers the same (filter.js).
_ALLOWED_BY_KIND = {
	# Frappe's list query cannot read "between" on a number: ">=" and "<=" say the same
	"number": frozenset({"=", "!=", "in", "not in", "is", *COMPARISONS}),
	"check": frozenset({"=", "!="}),
	"date": frozenset(
		{"=", "!=", "in", "not in", "is", *COMPARISONS, "between", "timespan", "previous", "next"}
	),
	"select": frozenset({"=", "!=", "in", "not in", "is"}),
	"link": frozenset({"=", "!=", "like", "not like", "in", "not in", "is", *NESTED_SET_OPERATORS}),
	"text": frozenset({"=", "!=", "like", "not like", "in", "not in", "is", *COMPARISONS}),
}

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")


MESSAGES = {
	"shape": _lt("A rule must be [doctype, field, operator, value], not {value}"),
	"no_field": _lt("A rule needs a field name"),
	"other_doctype": _lt("Field {field} belongs to {value}, not to {detail}"),
	"unknown_operator": _lt("Field {field}: unknown operator {value}"),
	"unusable_field": _lt("Field {field}: a {detail} field cannot be used in a rule"),
	"operator_not_for_type": _lt("Field {field}: operator {value} does not apply to a {detail} field"),
	"is_value": _lt("Field {field}: 'is' takes 'set' or 'not set', not {value}"),
	"timespan_needed": _lt("Field {field}: a timespan must be named, e.g. 'last 30 days'"),
	"period_value": _lt("Field {field}: {detail} takes one of {value}"),
	"between_two": _lt("Field {field}: 'between' needs two values, from and to"),
	"between_backwards": _lt("Field {field}: 'between' runs from {value} to {detail}, backwards"),
	"list_needed": _lt("Field {field}: {detail} needs at least one value"),
	"record_needed": _lt("Field {field}: {detail} needs a record name"),
	"text_to_match": _lt("Field {field}: {detail} needs text to match"),
	"value_needed": _lt("Field {field}: a value is needed"),
	"one_value": _lt("Field {field}: one value is needed, not a list"),
	"not_option": _lt("Field {field}: {value} is not one of its options ({detail})"),
	"not_text": _lt("Field {field}: text is needed, not {value}"),
	"not_whole": _lt("Field {field}: {value} is not a whole number"),
	"not_check": _lt("Field {field}: a check box is 0 or 1, not {value}"),
	"not_number": _lt("Field {field}: {value} is not a number"),
	"not_date": _lt("Field {field}: {value} is not a date (YYYY-MM-DD)"),
	"not_datetime": _lt("Field {field}: {value} is not a date and time (YYYY-MM-DD HH:MM:SS)"),
}


class RuleError(CoreError):
	"""A rule that cannot be applied: `field` names the field, `reason` is a key of MESSAGES (the message's
	template, which the shell translates), `value` and `detail` fill it in."""

	def __init__(self, field: str, reason: str, value: object = "", detail: object = ""):
		self.field, self.reason = field, reason
		self.value = repr(value) if not isinstance(value, str) or reason != "period_value" else value
		self.detail = str(detail)
		super().__init__(MESSAGES[reason], field=field, value=self.value, detail=self.detail)


@dataclass(frozen=True)
class Rule:
	doctype: str
	fieldname: str
	operator: str
	value: Any


def parse_rule(raw: Any, doctype: str) -> Rule:
	"""Read one filter as the desk stores it: [doctype, field, operator, value] or [field, operator, value]."""
	if not isinstance(raw, list | tuple) or len(raw) not in (3, 4):
		raise RuleError("", "shape", raw)
	if len(raw) == 3:
		raw = (doctype, *raw)
	rule_doctype, fieldname, operator, value = raw[:4]
	if not isinstance(fieldname, str) or not fieldname:
		raise RuleError(str(fieldname), "no_field")
	if rule_doctype and rule_doctype != doctype:
		raise RuleError(fieldname, "other_doctype", rule_doctype, doctype)
	if not isinstance(operator, str):
		raise RuleError(fieldname, "unknown_operator", operator)
	return Rule(doctype, fieldname, operator.strip().casefold() or "=", value)


def field_kind(fieldtype: str) -> str | None:
	if fieldtype == "Check":
		return "check"
	if fieldtype in NUMBER_TYPES:
		return "number"
	if fieldtype in DATE_TYPES:
		return "date"
	if fieldtype == "Select":
		return "select"
	if fieldtype in ("Link", "Dynamic Link"):
		return "link"
	if fieldtype in TEXT_TYPES:
		return "text"
	return None


def select_options(options: str | None) -> list[str]:
	return (options or "").split("\n")


def check_rule(rule: Rule, fieldtype: str, options: str | None = None) -> Rule:
	"""The rule with its value normalised, or RuleError naming the field and the problem."""
	field, op = rule.fieldname, rule.operator
	if op not in OPERATORS:
		raise RuleError(field, "unknown_operator", rule.operator)
	kind = field_kind(fieldtype)
	if kind is None:
		raise RuleError(field, "unusable_field", detail=fieldtype)
	if op not in _ALLOWED_BY_KIND[kind]:
		raise RuleError(field, "operator_not_for_type", op, fieldtype)
	return Rule(rule.doctype, field, op, _check_value(field, fieldtype, options, op, rule.value))


def _check_value(field: str, fieldtype: str, options: str | None, op: str, value: Any) -> Any:
	if op == "is":
		if value not in ("set", "not set"):
			raise RuleError(field, "is_value", value)
		return value
	if op == "timespan":
		if not isinstance(value, str) or not value.strip():
			raise RuleError(field, "timespan_needed")
		return value.strip().casefold()
	if op in ("previous", "next"):
		if value not in PERIOD_VALUES:
			raise RuleError(field, "period_value", ", ".join(sorted(PERIOD_VALUES)), op)
		return value
	if op == "between":
		if not isinstance(value, list | tuple) or len(value) != 2:
			raise RuleError(field, "between_two")
		if any(v is None or v == "" for v in value):
			raise RuleError(field, "between_two")
		low, high = (scalar_value(field, fieldtype, options, v) for v in value)
		if low > high:
			raise RuleError(field, "between_backwards", low, high)
		return [low, high]
	if op in LIST_OPERATORS:
		items = value.split(",") if isinstance(value, str) else value
		if not isinstance(items, list | tuple):
			raise RuleError(field, "list_needed", detail=op)
		items = [item.strip() if isinstance(item, str) else item for item in items]
		if not items or not any(item not in (None, "") for item in items):
			raise RuleError(field, "list_needed", detail=op)
		return [scalar_value(field, fieldtype, options, item, allow_empty=True) for item in items]
	if op in NESTED_SET_OPERATORS:
		if not isinstance(value, str) or not value:
			raise RuleError(field, "record_needed", detail=op)
		return value
	if op in ("like", "not like"):
		if not isinstance(value, str) or not value:
			raise RuleError(field, "text_to_match", detail=op)
		return value
	return scalar_value(field, fieldtype, options, value, allow_empty=op in ("=", "!="))


def scalar_value(
	field: str, fieldtype: str, options: str | None, value: Any, allow_empty: bool = False
) -> Any:
	"""One value checked against the field's type; None or "" only where `allow_empty`."""
	if value is None or value == "":
		# "not set" for text; a number or date needs a value ('is' 'not set' says empty)
		if allow_empty and fieldtype not in NUMBER_TYPES | DATE_TYPES:
			return value
		raise RuleError(field, "value_needed")
	if isinstance(value, list | tuple | dict):
		raise RuleError(field, "one_value")
	if fieldtype in INT_TYPES:
		return _to_int(field, value, fieldtype)
	if fieldtype in FLOAT_TYPES:
		return _to_float(field, value)
	if fieldtype == "Date":
		return _to_date(field, value)
	if fieldtype == "Datetime":
		return _to_datetime(field, value)
	if fieldtype == "Select":
		text = str(value)
		if text not in select_options(options):
			allowed = ", ".join(o for o in select_options(options) if o)
			raise RuleError(field, "not_option", text, allowed)
		return text
	if isinstance(value, bool):
		raise RuleError(field, "not_text", value)
	if not isinstance(value, str | int | float):
		raise RuleError(field, "not_text", value)
	return str(value)


def _to_int(field: str, value: Any, fieldtype: str) -> int:
	if isinstance(value, bool):
		return int(value)
	try:
		number = float(value) if isinstance(value, str) else value
		if not isinstance(number, int | float) or number != int(number):
			raise ValueError
	except (TypeError, ValueError, OverflowError):
		raise RuleError(field, "not_whole", value) from None
	if fieldtype == "Check" and int(number) not in (0, 1):
		raise RuleError(field, "not_check", value)
	return int(number)


def _to_float(field: str, value: Any) -> float:
	if isinstance(value, bool):
		raise RuleError(field, "not_number", value)
	try:
		number = float(value)
	except (TypeError, ValueError):
		raise RuleError(field, "not_number", value) from None
	if number != number or number in (float("inf"), float("-inf")):
		raise RuleError(field, "not_number", value)
	return number


def _to_date(field: str, value: Any) -> str:
	if isinstance(value, datetime.datetime):
		return value.date().isoformat()
	if isinstance(value, datetime.date):
		return value.isoformat()
	text = str(value).strip()
	try:
		if _DATE_RE.match(text):
			return datetime.date.fromisoformat(text).isoformat()
		if _DATETIME_RE.match(text):
			return datetime.datetime.fromisoformat(text).date().isoformat()
	except ValueError:
		pass
	raise RuleError(field, "not_date", value)


def _to_datetime(field: str, value: Any) -> str:
	if isinstance(value, datetime.datetime):
		return value.isoformat(sep=" ")
	if isinstance(value, datetime.date):
		return value.isoformat()
	text = str(value).strip()
	try:
		if _DATE_RE.match(text):
			# a bare date stays a date: the query reads it as the whole day where that matters
			return datetime.date.fromisoformat(text).isoformat()
		if _DATETIME_RE.match(text):
			return datetime.datetime.fromisoformat(text).isoformat(sep=" ")
	except ValueError:
		pass
	raise RuleError(field, "not_datetime", value)
