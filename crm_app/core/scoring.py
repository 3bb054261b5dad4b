"""Weighted lead scoring: criteria a sales manager configures, evaluated on plain data.

A criterion is checked once (`compile_criteria`) and then evaluated many times, so a bulk rescore of a
million leads spends its time in small closures, not in parsing rules again for every lead.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from crm_app.core.errors import CoreError, _lt

FIELD, ACTIVITY, NO_CONTACT = "Field", "Activity", "No Contact"
ACTIVITIES = ("Email", "Call", "Meeting")
NUMERIC_OPERATORS = frozenset({"greater than", "less than"})
OPERATORS = frozenset(
	{"equals", "not equals", "in", "not in", "greater than", "less than", "is set", "is not set", "contains"}
)
NUMERIC_FIELDTYPES = frozenset({"Int", "Float", "Currency", "Percent", "Check", "Rating", "Duration"})
HOT, WARM, COLD = "Hot", "Warm", "Cold"

# (activity, within_days) -> number of such activities; within_days 0 means "ever".
ActivityCounts = Mapping[tuple[str, int], int]


# Why a criterion cannot be evaluated: {0} is its row, {1} the detail (a field, a value).
ERROR_MESSAGES = {
	"unknown_field": _lt("Row {0}: CX Lead has no field {1}."),
	"field_not_numeric": _lt("Row {0}: 'greater than' and 'less than' need a numeric field; {1} is not one."),
	"value_not_numeric": _lt("Row {0}: the value {1} is not a number."),
	"value_missing": _lt("Row {0}: enter a value for {1}."),
	"unknown_operator": _lt("Row {0}: unknown operator {1}."),
	"unknown_activity": _lt("Row {0}: choose the activity (Email, Call or Meeting)."),
	"days_required": _lt("Row {0}: enter after how many days without contact the points apply."),
	"negative_number": _lt("Row {0}: days and counts cannot be negative."),
	"points_not_integer": _lt("Row {0}: points must be a whole number, not {1}."),
	"days_not_integer": _lt("Row {0}: days must be a whole number, not {1}."),
	"count_not_integer": _lt("Row {0}: the count must be a whole number, not {1}."),
	"unknown_type": _lt("Row {0}: unknown criterion type {1}."),
}


class ScoringRuleError(CoreError):
	"""A criterion that cannot be evaluated; `reason` says why, `row` is its 1-based position."""

	def __init__(self, reason: str, row: int, detail: str = ""):
		super().__init__(ERROR_MESSAGES[reason], row, detail)
		self.reason, self.row, self.detail = reason, row, detail


Translate = Callable[[str], str]


def untranslated(text: str) -> str:
	return text


@dataclass(frozen=True)
class Criterion:
	"""A compiled rule. Its label is built for each reader (`describe(translate)`): compiled rules are
	cached per site and shared by users of every language."""

	kind: str
	points: int
	describe: Callable[[Translate], str] = field(compare=False, repr=False)
	test: Callable[[Mapping[str, Any], ActivityCounts, int | None], bool] = field(compare=False, repr=False)
	window: tuple[str, int] | None = None

	@property
	def label(self) -> str:
		return self.describe(untranslated)


@dataclass(frozen=True)
class ScoreResult:
	total: int
	lines: tuple[tuple[int, str], ...]  # (points, label) of each criterion that applied


def compile_criteria(
	rows: Iterable[Mapping[str, Any]], lead_fields: Mapping[str, tuple[str, str]]
) -> list[Criterion]:
	"""Check and compile criterion rows (dicts with the CX Scoring Criterion fields).

	`lead_fields` maps each scorable lead fieldname to (fieldtype, label). Raises ScoringRuleError.
	"""
	compiled = []
	for position, row in enumerate(rows, start=1):
		if not row.get("enabled", 1):
			continue
		kind = row.get("criterion_type") or FIELD
		points = _int(row.get("points"), "points_not_integer", position)
		if kind == FIELD:
			criterion = _field_criterion(row, points, position, lead_fields)
		elif kind == ACTIVITY:
			criterion = _activity_criterion(row, points, position)
		elif kind == NO_CONTACT:
			criterion = _no_contact_criterion(row, points, position)
		else:
			raise ScoringRuleError("unknown_type", position, str(kind))
		compiled.append(criterion)
	return compiled


def score(
	criteria: list[Criterion],
	lead: Mapping[str, Any],
	activity: ActivityCounts | None = None,
	days_since_contact: int | None = None,
	translate: Translate = untranslated,
) -> ScoreResult:
	"""The score and the criteria behind it, labelled in the reader's language."""
	activity = activity or {}
	lines = tuple(
		(c.points, c.describe(translate)) for c in criteria if c.test(lead, activity, days_since_contact)
	)
	return ScoreResult(sum(points for points, _ in lines), lines)


def total(
	criteria: list[Criterion],
	lead: Mapping[str, Any],
	activity: ActivityCounts | None = None,
	days_since_contact: int | None = None,
) -> int:
	"""The score alone: the bulk path, without building a breakdown."""
	activity = activity or {}
	return sum(c.points for c in criteria if c.test(lead, activity, days_since_contact))


def band(value: int, hot_from: int, warm_from: int) -> str:
	if value >= hot_from:
		return HOT
	if value >= warm_from:
		return WARM
	return COLD


def activity_windows(criteria: list[Criterion]) -> set[tuple[str, int]]:
	"""The (activity, days) counts the criteria need, so the adapter queries only those."""
	return {c.window for c in criteria if c.window}


def needs_contact_age(criteria: list[Criterion]) -> bool:
	return any(c.kind == NO_CONTACT for c in criteria)


def fields_used(criteria_rows: Iterable[Mapping[str, Any]]) -> set[str]:
	return {
		row["fieldname"]
		for row in criteria_rows
		if row.get("enabled", 1) and (row.get("criterion_type") or FIELD) == FIELD and row.get("fieldname")
	}


# -- compilation of each kind ------------------------------------------------------------------


def _field_criterion(row, points, position, lead_fields) -> Criterion:
	fieldname = (row.get("fieldname") or "").strip()
	if fieldname not in lead_fields:
		raise ScoringRuleError("unknown_field", position, fieldname)
	fieldtype, field_label = lead_fields[fieldname]
	operator = row.get("operator") or "equals"
	if operator not in OPERATORS:
		raise ScoringRuleError("unknown_operator", position, operator)
	raw = "" if row.get("value") is None else str(row.get("value")).strip()
	numeric_field = fieldtype in NUMERIC_FIELDTYPES

	if operator in NUMERIC_OPERATORS or (numeric_field and operator in ("equals", "not equals")):
		if operator in NUMERIC_OPERATORS and not numeric_field:
			raise ScoringRuleError("field_not_numeric", position, fieldname)
		number = _float(raw, position)
		test = _numeric_test(fieldname, operator, number)
	elif operator in ("in", "not in"):
		options = frozenset(part.strip().casefold() for part in raw.split(",") if part.strip())
		if not options:
			raise ScoringRuleError("value_missing", position, fieldname)
		test = _membership_test(fieldname, options, negate=operator == "not in")
	elif operator in ("is set", "is not set"):
		test = _is_set_test(fieldname, numeric_field, negate=operator == "is not set")
	else:
		if operator == "contains" and not raw:
			raise ScoringRuleError("value_missing", position, fieldname)
		test = _text_test(fieldname, operator, raw.casefold())

	def describe(translate):
		return row.get("label") or _field_label(translate, field_label, operator, raw)

	return Criterion(FIELD, points, describe, test)


def _activity_criterion(row, points, position) -> Criterion:
	activity = row.get("activity")
	if activity not in ACTIVITIES:
		raise ScoringRuleError("unknown_activity", position, str(activity))
	days = _int(row.get("within_days") or 0, "days_not_integer", position)
	at_least = _int(row.get("min_count") or 1, "count_not_integer", position)
	if days < 0 or at_least < 1:
		raise ScoringRuleError("negative_number", position, str(days))
	window = (activity, days)

	def test(lead, counts, days_since_contact):
		return counts.get(window, 0) >= at_least

	plural = {"Email": _lt("emails"), "Call": _lt("calls"), "Meeting": _lt("meetings")}[activity]
	custom = row.get("label")

	def describe(translate):
		if custom:
			return custom
		if days:
			return translate(_lt("{0}+ {1} in the last {2} days")).format(at_least, translate(plural), days)
		return translate(_lt("{0}+ {1}")).format(at_least, translate(plural))

	return Criterion(ACTIVITY, points, describe, test, window)


def _no_contact_criterion(row, points, position) -> Criterion:
	days = _int(row.get("within_days") or 0, "days_not_integer", position)
	if days < 1:
		raise ScoringRuleError("days_required", position, str(days))

	def test(lead, counts, days_since_contact):
		return days_since_contact is not None and days_since_contact >= days

	custom = row.get("label")

	def describe(translate):
		return custom or translate(_lt("no contact for {0} days")).format(days)

	return Criterion(NO_CONTACT, points, describe, test)


# -- tests -------------------------------------------------------------------------------------


def _numeric_test(fieldname, operator, number):
	def value_of(lead):
		value = lead.get(fieldname)
		try:
			return float(value) if value not in (None, "") else None
		except (TypeError, ValueError):
			return None

	if operator == "greater than":
		return lambda lead, counts, days: (v := value_of(lead)) is not None and v > number
	if operator == "less than":
		return lambda lead, counts, days: (v := value_of(lead)) is not None and v < number
	if operator == "equals":
		return lambda lead, counts, days: value_of(lead) == number
	return lambda lead, counts, days: value_of(lead) != number


def _membership_test(fieldname, options, negate):
	def test(lead, counts, days):
		value = lead.get(fieldname)
		found = value not in (None, "") and str(value).casefold() in options
		return found != negate

	return test


def _is_set_test(fieldname, numeric_field, negate):
	def test(lead, counts, days):
		value = lead.get(fieldname)
		present = bool(value) if numeric_field else value not in (None, "")
		return present != negate

	return test


def _text_test(fieldname, operator, wanted):
	if operator == "contains":
		return lambda lead, counts, days: wanted in str(lead.get(fieldname) or "").casefold()
	negate = operator == "not equals"
	return lambda lead, counts, days: (str(lead.get(fieldname) or "").casefold() == wanted) != negate


def _field_label(translate, field_label, operator, raw) -> str:
	shown = {
		"equals": _lt("is"),
		"not equals": _lt("is not"),
		"in": _lt("is one of"),
		"not in": _lt("is none of"),
		"greater than": _lt("is more than"),
		"less than": _lt("is less than"),
		"contains": _lt("contains"),
		"is set": _lt("is set"),
		"is not set": _lt("is not set"),
	}[operator]
	words = f"{translate(field_label)} {translate(shown)}"
	return words if operator in ("is set", "is not set") else f"{words} {raw}"


def _int(value, reason, position) -> int:
	try:
		number = float(value)
	except (TypeError, ValueError):
		raise ScoringRuleError(reason, position, str(value)) from None
	if number != int(number):
		raise ScoringRuleError(reason, position, str(value))
	return int(number)


def _float(raw, position) -> float:
	try:
		return float(raw)
	except (TypeError, ValueError):
		raise ScoringRuleError("value_not_numeric", position, raw) from None


def rescore_rows(
	columns: list[str],
	rows: Iterable[tuple],
	criteria: list[Criterion],
	counts_by_window: Mapping[tuple[str, int], Mapping[str, int]],
	hot_from: int,
	warm_from: int,
	today: date,
) -> dict[tuple[int, str], list[str]]:
	"""Score database rows (first column the name; with lead_score, score_band, last_contacted_on and
	creation among the columns) and group the names whose score or band changed by their new values."""
	windows = list(counts_by_window)
	needs_age = needs_contact_age(criteria)
	groups: dict[tuple[int, str], list[str]] = defaultdict(list)
	for row in rows:
		lead = dict(zip(columns, row, strict=True))
		name = lead["name"]
		counts = {window: counts_by_window[window].get(name, 0) for window in windows}
		age = None
		if needs_age:
			anchor = lead["last_contacted_on"] or lead["creation"]
			age = (today - _as_date(anchor)).days if anchor else None
		value = total(criteria, lead, counts, age)
		new_band = band(value, hot_from, warm_from)
		if value != lead["lead_score"] or new_band != lead["score_band"]:
			groups[(value, new_band)].append(name)
	return dict(groups)


def _as_date(value) -> date:
	return value.date() if isinstance(value, datetime) else value
