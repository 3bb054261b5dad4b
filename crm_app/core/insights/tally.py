"""Tallies: small GROUP BY summaries of big tables that answer the desk's number cards and charts.

A tally counts the records of one doctype per combination of a few fields (its dimensions) and adds up
a few money fields. It is kept current by deltas (a record that moves from one combination to another
takes one from the first and adds one to the second) and checked against the table now and then
(`corrections`), so a number card reads a few hundred rows instead of scanning a million.

Dimension values are kept as text, a missing value as "": that is how Frappe's list queries compare
a missing value (`ifnull(field, '')`), and dates in ISO form compare as text in date order, with ""
before every date as Frappe's `ifnull(date, '0001-01-01')`. So a filter means the same on the tally as
on the table.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

MAX_DIMS, MAX_SUMS = 6, 2
COUNT = "count"
NINE_DECIMALS = Decimal("0.000000001")
EQUALITY_OPERATORS = frozenset({"=", "!=", "in", "not in", "is"})
RANGE_OPERATORS = frozenset({"<", "<=", ">", ">=", "between"})


@dataclass(frozen=True)
class Tally:
	name: str
	doctype: str
	dims: tuple[str, ...]
	sums: tuple[str, ...] = ()
	dates: frozenset[str] = frozenset()
	# Dimensions that name the users a record is open to (its owner, its single assignee): a user
	# restricted to their own records is answered from the rows that name them.
	access: tuple[str, ...] = ()

	def __post_init__(self):
		if not 0 < len(self.dims) <= MAX_DIMS or len(self.sums) > MAX_SUMS:
			raise ValueError(f"tally {self.name}: 1-{MAX_DIMS} dimensions and at most {MAX_SUMS} sums")
		if not self.dates <= set(self.dims) or not set(self.access) <= set(self.dims):
			raise ValueError(f"tally {self.name}: date and access dimensions must be dimensions")

	@property
	def fields(self) -> tuple[str, ...]:
		return (*self.dims, *self.sums)


# The tallies the desk reads. A widget is answered by the first tally of its doctype that has every field
# it filters or groups on; anything else goes to Frappe as usual.
LEAD_ACCESS = ("lead_owner", "assigned_user")
DEAL_ACCESS = ("opportunity_owner", "assigned_user")
TALLIES: tuple[Tally, ...] = (
	Tally("leads", "CX Lead", ("status", "score_band", "source", *LEAD_ACCESS), access=LEAD_ACCESS),
	Tally(
		"lead_follow_ups",
		"CX Lead",
		("status", "next_follow_up", *LEAD_ACCESS),
		dates=frozenset({"next_follow_up"}),
		access=LEAD_ACCESS,
	),
	Tally(
		"opportunities",
		"CX Opportunity",
		("status", "sales_stage", "forecast_category", *DEAL_ACCESS),
		("base_amount", "base_weighted_amount"),
		access=DEAL_ACCESS,
	),
	Tally(
		"closed_opportunities",
		"CX Opportunity",
		("status", "closed_on", *DEAL_ACCESS),
		("base_amount",),
		dates=frozenset({"closed_on"}),
		access=DEAL_ACCESS,
	),
	Tally("issues", "CX Issue", ("status", "priority", "issue_type")),
)


def tallies_of(doctype: str, tallies: Iterable[Tally] = TALLIES) -> tuple[Tally, ...]:
	return tuple(tally for tally in tallies if tally.doctype == doctype)


def tallied_fields(doctype: str, tallies: Iterable[Tally] = TALLIES) -> frozenset[str]:
	return frozenset(name for tally in tallies_of(doctype, tallies) for name in tally.fields)


# -- keeping tallies ---------------------------------------------------------------------------------


def as_text(value) -> str:
	if value is None:
		return ""
	if isinstance(value, datetime):
		return value.isoformat(sep=" ")
	if isinstance(value, date):
		return value.isoformat()
	return str(value)


def as_number(value) -> Decimal:
	"""To the nine decimals of Frappe's Currency columns, rounded as MariaDB rounds what it stores."""
	if value in (None, ""):
		return Decimal(0)
	return Decimal(str(value)).quantize(NINE_DECIMALS, rounding=ROUND_HALF_UP)


def dims_of(tally: Tally, record: Mapping) -> tuple[str, ...]:
	return tuple(as_text(record.get(name)) for name in tally.dims)


def row_name(tally: str, dims: tuple[str, ...]) -> str:
	"""The tally row's primary key: one row per tally and combination, so deltas can upsert it."""
	return f"{tally}:{hashlib.sha1(json.dumps([tally, *dims]).encode()).hexdigest()}"


@dataclass
class Delta:
	tally: str
	dims: tuple[str, ...]
	count: int = 0
	sums: tuple[Decimal, ...] = field(default_factory=tuple)
	name: str = ""

	@property
	def empty(self) -> bool:
		return not self.count and not any(self.sums)


def deltas(tally: Tally, before: Mapping | None, after: Mapping | None) -> list[Delta]:
	"""What one record's change (insert: before None, delete: after None) does to the tally."""
	found = []
	for record, sign in ((before, -1), (after, 1)):
		if record is not None:
			dims = dims_of(tally, record)
			sums = tuple(sign * as_number(record.get(name)) for name in tally.sums)
			found.append(Delta(tally.name, dims, sign, sums))
	return merge(found)


def merge(found: Iterable[Delta]) -> list[Delta]:
	"""Deltas of the same row added up, empty ones dropped, in primary-key order: every transaction then
	locks tally rows in the same order, so two of them never wait for each other in a circle."""
	rows: dict[str, Delta] = {}
	for delta in found:
		name = delta.name or row_name(delta.tally, delta.dims)
		if name in rows:
			kept = rows[name]
			kept.count += delta.count
			kept.sums = tuple(a + b for a, b in zip(kept.sums, delta.sums, strict=True))
		else:
			rows[name] = Delta(delta.tally, delta.dims, delta.count, tuple(delta.sums), name)
	return [rows[name] for name in sorted(rows) if not rows[name].empty]


def corrections(
	tally: Tally,
	expected: Iterable[tuple[tuple, int, tuple]],
	kept: Iterable[tuple[tuple, int, tuple]],
) -> list[Delta]:
	"""Deltas that turn the kept tally into the expected one. Both are (dims, count, sums) rows, read in
	one snapshot; applied as increments, they leave the changes committed since that snapshot intact."""
	found = [
		Delta(tally.name, tuple(map(as_text, dims)), int(count), tuple(map(as_number, sums)))
		for dims, count, sums in expected
	]
	found += [
		Delta(tally.name, tuple(map(as_text, dims)), -int(count), tuple(-as_number(s) for s in sums))
		for dims, count, sums in kept
	]
	return merge(found)


# -- answering widgets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
	dim: str
	operator: str
	value: str | tuple[str, ...]


@dataclass(frozen=True)
class Plan:
	tally: Tally
	conditions: tuple[Condition, ...]
	group_by: str | None
	measure: str  # COUNT or one of the tally's sums
	average: bool = False
	reached_by: str | None = None  # only the records this user owns or is the single assignee of


def plan(
	doctype: str,
	filters: Iterable[tuple[str, str, object]],
	*,
	measure: str = COUNT,
	group_by: str | None = None,
	average: bool = False,
	reached_by: str | None = None,
	ignore_ifnull: bool = False,
	tallies: Iterable[Tally] = TALLIES,
) -> Plan | None:
	"""How to answer a count or sum of `doctype` under `filters` ((field, operator, value), Frappe's
	operators), optionally grouped by a field, from a tally; None when no tally can say exactly that.
	With `reached_by`, only the records that name that user in an access dimension count.

	`ignore_ifnull` is how Frappe's Group By charts query: a missing value then fails every comparison
	(`field != 'x'` leaves it out), which the tally, keeping it as "", cannot tell from an empty one; such
	conditions are left to Frappe."""
	try:
		conditions = [condition for f in filters if (condition := as_condition(*f)) is not None]
	except Unanswerable:
		return None
	if ignore_ifnull and any(null_sensitive(c) for c in conditions):
		return None
	for tally in tallies_of(doctype, tallies):
		needed = {c.dim for c in conditions} | ({group_by} if group_by else set())
		if not needed <= set(tally.dims) or (measure != COUNT and measure not in tally.sums):
			continue
		if any(c.operator in RANGE_OPERATORS and c.dim not in tally.dates for c in conditions):
			continue
		if reached_by and not tally.access:
			continue
		return Plan(tally, tuple(map(on_dates(tally), conditions)), group_by, measure, average, reached_by)
	return None


def on_dates(tally: Tally):
	"""A range on a date dimension compares days, as Frappe's `between` does on a Date field."""

	def fit(condition: Condition) -> Condition:
		if condition.operator == "between" and condition.dim in tally.dates:
			return Condition(condition.dim, "between", tuple(v[:10] for v in condition.value))
		return condition

	return fit


def null_sensitive(condition: Condition) -> bool:
	"""Whether a missing value would meet the condition on the tally but not in Frappe's SQL."""
	operator, value = condition.operator, condition.value
	if operator in ("!=", "not in", "<", "<="):
		return True
	if operator == "is":
		return value == "not set"
	if operator == "between":
		return value[0] == ""
	return "" in (value if isinstance(value, tuple) else (value,))


class Unanswerable(Exception):
	"""A filter a tally cannot evaluate the way Frappe would."""


def as_condition(fieldname: str, operator: str, value) -> Condition | None:
	"""A Frappe filter as a condition on a dimension; None for one that every record of a doctype
	without submission meets (`docstatus < 2`, which Frappe's charts add)."""
	operator = operator.lower()
	if fieldname == "docstatus":
		if docstatus_zero_meets(operator, value):
			return None
		raise Unanswerable
	if operator in ("=", "!=", "<", "<=", ">", ">="):
		return Condition(fieldname, operator, as_text(value))
	if operator in ("in", "not in"):
		values = value.split(",") if isinstance(value, str) else value
		if not isinstance(values, list | tuple | set):
			raise Unanswerable
		# Frappe reads an empty list as ('')
		return Condition(fieldname, operator, tuple(as_text(v).strip() for v in values) or ("",))
	if operator == "is" and str(value).lower() in ("set", "not set"):
		return Condition(fieldname, operator, str(value).lower())
	if operator == "between" and isinstance(value, list | tuple) and len(value) == 2 and all(value):
		return Condition(fieldname, operator, (as_text(value[0]), as_text(value[1])))
	raise Unanswerable


def docstatus_zero_meets(operator: str, value) -> bool:
	try:
		number = float(value)
	except (TypeError, ValueError):
		return False
	return {"<": 0 < number, "<=": 0 <= number, "=": number == 0, "!=": number != 0}.get(operator, False)
