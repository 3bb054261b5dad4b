"""Loyalty points and tiers (plain Python, no frappe).

Points come from purchases (points per unit of the reporting currency, rounded down, never below 0: a
customer whose credit notes outweigh their purchases has 0 purchase points, not a debt) and from actions
the admin chose (a resolved issue, an answered survey ...), each worth a fixed number of points. Where
ERPNext's Loyalty Program keeps the ledger the shell passes its balance instead, and only tiers are
derived here.

A tier is the highest one whose threshold the points reach; below the lowest threshold a customer has no
tier (""). A change of tier is dated: `tier_since` moves to the day of the change and stays while the
tier stays.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from crm_app.core.errors import CoreError, Message, _lt

CALL_LOGGED, ISSUE_RESOLVED, SURVEY_ANSWERED, REFERRAL = (
	_lt("Call Logged"),
	_lt("Issue Resolved"),
	_lt("Survey Answered"),
	_lt("Referral"),
)
ACTIONS = (CALL_LOGGED, ISSUE_RESOLVED, SURVEY_ANSWERED, REFERRAL)
UP, DOWN = "up", "down"


class LoyaltyError(CoreError):
	"""A tier table, action table or points rate the loyalty figures cannot be made from."""


@dataclass(frozen=True, order=True)
class Tier:
	min_points: int
	name: str


def _whole_number(value, label: Message) -> int:
	not_whole = _lt("{0} must be a whole number, not {1}.")
	if isinstance(value, bool):
		raise LoyaltyError(not_whole, label, repr(value))
	try:
		number = float(value)
	except (TypeError, ValueError):
		raise LoyaltyError(not_whole, label, repr(value)) from None
	if not math.isfinite(number) or number != int(number):
		raise LoyaltyError(not_whole, label, repr(value))
	if number < 0:
		raise LoyaltyError(_lt("{0} cannot be negative ({1})."), label, int(number))
	return int(number)


def parse_tiers(rows: Iterable[Mapping]) -> tuple[Tier, ...]:
	"""Tiers from rows {"tier_name", "min_points"}, lowest threshold first. Refused: a blank name, a
	negative or fractional threshold, the same name (any case) or the same threshold twice."""
	tiers, names, thresholds = [], set(), set()
	for position, row in enumerate(rows, start=1):
		name = (row.get("tier_name") or "").strip()
		if not name:
			raise LoyaltyError(_lt("Tier row {0} has no name."), position)
		threshold = _whole_number(
			row.get("min_points") or 0, Message(_lt("The minimum points of tier {0}"), name)
		)
		if name.casefold() in names:
			raise LoyaltyError(_lt("Tier {0} is listed twice."), name)
		if threshold in thresholds:
			raise LoyaltyError(
				_lt("Two tiers start at {0} points: each tier needs its own threshold."), threshold
			)
		names.add(name.casefold())
		thresholds.add(threshold)
		tiers.append(Tier(threshold, name))
	return tuple(sorted(tiers))


def parse_actions(rows: Iterable[Mapping]) -> dict[str, int]:
	"""Points per action from rows {"action", "points"}. Refused: an unknown action, one listed twice,
	negative or fractional points."""
	points: dict[str, int] = {}
	for row in rows:
		action = row.get("action")
		if action not in ACTIONS:
			raise LoyaltyError(
				_lt("Unknown loyalty action {0}: expected one of {1}."),
				repr(action),
				[Message(known) for known in ACTIONS],
			)
		if action in points:
			raise LoyaltyError(_lt("The action {0} is listed twice."), Message(action))
		points[action] = _whole_number(
			row.get("points") or 0, Message(_lt("The points of {0}"), Message(action))
		)
	return points


def check_points_per_unit(value) -> float:
	try:
		rate = float(value)
	except (TypeError, ValueError):
		raise LoyaltyError(_lt("Points per unit must be a number, not {0}."), repr(value)) from None
	if not math.isfinite(rate) or rate < 0:
		raise LoyaltyError(_lt("Points per unit must be zero or more, not {0}."), repr(value))
	return rate


def purchase_points(amount: float, points_per_unit: float) -> int:
	"""Points for a customer's net purchases: rounded down, 0 for a net of zero or less."""
	rate = check_points_per_unit(points_per_unit)
	if not math.isfinite(amount) or amount <= 0:
		return 0
	# A hair of tolerance: 0.1 + 0.2 units at 10 points each is 3 points, not 2.
	return math.floor(amount * rate + 1e-9)


def action_points(counts: Mapping[str, int], points_per_action: Mapping[str, int]) -> int:
	return sum(points_per_action.get(action, 0) * max(int(count), 0) for action, count in counts.items())


def total_points(
	purchase_amount: float,
	action_counts: Mapping[str, int],
	points_per_unit: float,
	points_per_action: Mapping[str, int],
) -> int:
	return purchase_points(purchase_amount, points_per_unit) + action_points(action_counts, points_per_action)


def tier_for(points: int, tiers: tuple[Tier, ...]) -> str:
	"""The highest tier whose threshold `points` reach; "" below the lowest (or without tiers)."""
	reached = ""
	for tier in tiers:  # ascending
		if points >= tier.min_points:
			reached = tier.name
	return reached


def direction(old: str, new: str, tiers: tuple[Tier, ...]) -> str:
	"""UP or DOWN between two tiers (no tier, or a tier no longer configured, ranks lowest)."""
	order = {tier.name: position for position, tier in enumerate(tiers, start=1)}
	return UP if order.get(new, 0) > order.get(old, 0) else DOWN


@dataclass(frozen=True)
class Standing:
	"""What a customer has on record: points, tier and since when."""

	points: int = 0
	tier: str = ""
	tier_since: date | None = None


@dataclass(frozen=True)
class LoyaltyUpdate:
	customer: str
	points: int
	tier: str
	tier_since: date | None
	previous_tier: str
	tier_changed: bool


def updates(
	stored: Mapping[str, Standing], points: Mapping[str, int], tiers: tuple[Tier, ...], today: date
) -> list[LoyaltyUpdate]:
	"""What to write: the customers in `stored` whose points or tier differ from what `points` (missing:
	0) now give, ordered by customer. A new tier is dated `today`; losing every tier clears the date."""
	result = []
	for customer in sorted(stored):
		before = stored[customer]
		now_points = int(points.get(customer, 0))
		tier = tier_for(now_points, tiers)
		changed = tier != (before.tier or "")
		if not changed and now_points == before.points:
			continue
		since = (today if tier else None) if changed else before.tier_since
		result.append(LoyaltyUpdate(customer, now_points, tier, since, before.tier or "", changed))
	return result
