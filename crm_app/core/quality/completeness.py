"""Record completeness: how much of what a record should say it says, by weighted rules.

A rule names one field, or several of which any one will do (email or phone), and a weight. A record's
completeness is the share of the weights whose rules it meets, as a whole percentage rounded down: it
reads 100 only when nothing is missing. With no rules every record is complete.

A value is missing when it is None, a blank string, a zero number (a number nobody filled in is stored as
0) or an empty collection. Dates and other values count as given.
"""

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from numbers import Number
from typing import Any, Protocol


class Values(Protocol):
	"""A record's values: a dict, a row, or a document; anything with `get(fieldname)`."""

	def get(self, key: str, /) -> Any: ...


@dataclass(frozen=True)
class Rule:
	fields: tuple[str, ...]  # met when any of them is given
	weight: int


@dataclass(frozen=True)
class Completeness:
	percent: int
	missing: tuple[Rule, ...]  # in the order of the rules


class CompletenessRuleError(ValueError):
	"""A rule that cannot be applied; `reason` says why, `row` is its 1-based position, `detail` what was
	wrong and `suggestion` a field meant, if one is close."""

	def __init__(self, reason: str, row: int, detail: str = "", suggestion: str = ""):
		super().__init__(f"{reason} (row {row}): {detail}")
		self.reason, self.row, self.detail, self.suggestion = reason, row, detail, suggestion


def is_missing(value: Any) -> bool:
	if value is None:
		return True
	if isinstance(value, str):
		return not value.strip()
	if isinstance(value, Number):
		return value == 0
	if isinstance(value, list | tuple | set | frozenset | dict):
		return not value
	return False


def score(values: Values, rules: Iterable[Rule]) -> Completeness:
	rules = tuple(rules)
	total = sum(rule.weight for rule in rules)
	if not total:
		return Completeness(100, ())
	missing = tuple(rule for rule in rules if all(is_missing(values.get(field)) for field in rule.fields))
	given = total - sum(rule.weight for rule in missing)
	return Completeness(given * 100 // total, missing)


def fields_used(rules: Iterable[Rule]) -> list[str]:
	return sorted({field for rule in rules for field in rule.fields})


def split_fields(text: str | None) -> list[str]:
	"""Field names as typed: separated by commas, spaces or "or"."""
	names = re.split(r"[\s,;|]+", (text or "").strip())
	return [name for name in names if name and name.lower() != "or"]


def parse_rules(rows: Iterable[Mapping], known_fields: Iterable[str], strict: bool = True) -> list[Rule]:
	"""Rules from settings rows ({fieldname, alternatives, weight}), checked against the record's fields.

	Strict (a form being saved): the first bad row raises CompletenessRuleError. Otherwise (a save of a
	record, after a field was deleted) a field that no longer exists is left out of its rule, and a rule
	with no field left is dropped: a record is never blocked by settings it cannot change."""
	known = set(known_fields)
	rules, seen = [], {}
	for index, row in enumerate(rows, 1):
		fields = tuple(
			dict.fromkeys([*split_fields(row.get("fieldname")), *split_fields(row.get("alternatives"))])
		)
		unknown = [field for field in fields if field not in known]
		if not strict:
			fields = tuple(field for field in fields if field in known)
			if fields and _weight(row, index, strict=False) > 0:
				rules.append(Rule(fields, _weight(row, index, strict=False)))
			continue
		if not fields:
			raise CompletenessRuleError("field_missing", index)
		if unknown:
			close = difflib.get_close_matches(unknown[0], sorted(known), n=1)
			raise CompletenessRuleError("unknown_field", index, unknown[0], close[0] if close else "")
		weight = _weight(row, index, strict=True)
		key = frozenset(fields)
		if key in seen:
			raise CompletenessRuleError("duplicate_rule", index, ", ".join(fields), str(seen[key]))
		seen[key] = index
		rules.append(Rule(fields, weight))
	return rules


def _weight(row: Mapping, index: int, strict: bool) -> int:
	value = row.get("weight")
	try:
		weight = int(value)
		whole = weight == float(value)
	except (TypeError, ValueError):
		weight, whole = 0, False
	if strict and (not whole or weight <= 0):
		raise CompletenessRuleError("weight_not_positive", index, str(value))
	return weight if whole else 0
