"""Sales report arithmetic on plain rows: funnel steps, monthly targets, the forecast pivot, rep figures,
shares of lost deals and idle days. The Frappe shell aggregates in SQL and hands the grouped rows here."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from crm_app.core.periods import MONTH, QUARTER, add_months, month_start, quarter_start
from crm_app.core.pipeline import BEST_CASE, CLOSED, COMMIT, OMITTED, OPEN, PIPELINE, WON, rate

# Forecast columns, left to right; Omitted deals are left out of a forecast.
FORECAST_COLUMNS = (PIPELINE, BEST_CASE, COMMIT, CLOSED)
OPEN_CATEGORIES = (PIPELINE, BEST_CASE, COMMIT)
LAST_90_DAYS, CURRENT_QUARTER = "last_90_days", "current_quarter"
DEFAULT_STALE_DAYS = 14


# -- periods ------------------------------------------------------------------------------------------


def default_period(kind: str, today: date) -> tuple[date, date]:
	"""The current quarter, or the 90 days up to today."""
	if kind == CURRENT_QUARTER:
		start = quarter_start(today)
		return start, add_months(start, 3) - timedelta(days=1)
	return today - timedelta(days=90), today


# -- funnel -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStep:
	step: str
	count: int
	from_previous: float | None  # None for the first step
	from_first: float


def funnel(steps: Iterable[tuple[str, int]]) -> list[FunnelStep]:
	"""Conversion of each step from the step before and from the first step, in percent."""
	result: list[FunnelStep] = []
	for label, count in steps:
		count = int(count or 0)
		if not result:
			result.append(FunnelStep(label, count, None, 100.0 if count else 0.0))
			continue
		previous, first = result[-1].count, result[0].count
		result.append(FunnelStep(label, count, rate(count, previous), rate(count, first)))
	return result


# -- targets ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
	owner: str
	period_type: str
	period_start: date
	amount: float


def monthly_targets(targets: Iterable[Target]) -> dict[tuple[str, date], float]:
	"""Target per (owner, month): the owner's Month target for that month when there is one, else a
	third of the Quarter target holding the month. Several targets for the same slot add up."""
	by_month: dict[tuple[str, date], float] = defaultdict(float)
	by_quarter: dict[tuple[str, date], float] = defaultdict(float)
	for target in targets:
		first = month_start(target.period_start)
		if target.period_type == MONTH:
			by_month[(target.owner, first)] += target.amount or 0
		elif target.period_type == QUARTER:
			for offset in range(3):
				by_quarter[(target.owner, add_months(first, offset))] += (target.amount or 0) / 3
	return {**by_quarter, **by_month}


def target_for_months(monthly: Mapping[tuple[str, date], float], owner: str, months: Iterable[date]) -> float:
	return sum(monthly.get((owner, month), 0.0) for month in months)


def attainment(achieved: float, target: float) -> float | None:
	"""Achieved as a percentage of target; None (shown blank) when there is no target."""
	return rate(achieved or 0, target) if target else None


# -- forecast -----------------------------------------------------------------------------------------


def forecast_bucket(status: str, category: str | None) -> str | None:
	"""Forecast column of a deal: won is Closed; open follows its category (Pipeline when unset or not an
	open category); an open deal the user Omitted, and every lost deal, stays out."""
	if status == WON:
		return CLOSED
	if status != OPEN or category == OMITTED:
		return None
	return category if category in OPEN_CATEGORIES else PIPELINE


@dataclass
class ForecastRow:
	month: date
	owner: str
	amounts: dict[str, float] = field(default_factory=lambda: dict.fromkeys(FORECAST_COLUMNS, 0.0))
	target: float = 0.0

	@property
	def total(self) -> float:
		return sum(self.amounts.values())

	@property
	def attainment(self) -> float | None:
		return attainment(self.amounts[CLOSED], self.target)


def forecast_pivot(
	rows: Iterable[tuple[date, str, str, str | None, float]],
	targets: Mapping[tuple[str, date], float],
	months: Iterable[date],
) -> list[ForecastRow]:
	"""Rows of (month, owner, status, category, amount) pivoted to one row per month and owner with an
	amount per forecast column, plus that owner's target for the month. Owners with a target but no
	deal in a month get a row too. Only the given months are kept; rows come sorted by month, owner."""
	wanted = set(months)
	table: dict[tuple[date, str], ForecastRow] = {}

	def row_for(month: date, owner: str) -> ForecastRow:
		key = (month, owner or "")
		if key not in table:
			table[key] = ForecastRow(month, owner or "")
		return table[key]

	for month, owner, status, category, amount in rows:
		bucket = forecast_bucket(status, category)
		if bucket and month in wanted:
			row_for(month, owner).amounts[bucket] += amount or 0
	for (owner, month), amount in targets.items():
		if month in wanted and amount:
			row_for(month, owner)
	for row in table.values():
		row.target = targets.get((row.owner, row.month), 0.0)
	return [table[key] for key in sorted(table)]


def forecast_by_month(pivot: Iterable[ForecastRow], months: Iterable[date]) -> dict[date, dict[str, float]]:
	"""Totals per month of every forecast column and of the target, months without rows included."""
	totals = {month: {**dict.fromkeys(FORECAST_COLUMNS, 0.0), "target": 0.0} for month in months}
	for row in pivot:
		month = totals.setdefault(row.month, {**dict.fromkeys(FORECAST_COLUMNS, 0.0), "target": 0.0})
		for category, amount in row.amounts.items():
			month[category] += amount
		month["target"] += row.target
	return dict(sorted(totals.items()))


# -- rep performance ----------------------------------------------------------------------------------


@dataclass
class RepFigures:
	owner: str
	leads: int = 0
	converted: int = 0
	response_hours: float | None = None
	won: int = 0
	lost: int = 0
	won_amount: float = 0.0
	cycle_days: float | None = None
	calls: int = 0
	meetings: int = 0
	emails: int = 0
	target: float = 0.0

	@property
	def conversion_rate(self) -> float:
		return rate(self.converted, self.leads)

	@property
	def win_rate(self) -> float:
		return rate(self.won, self.won + self.lost)

	@property
	def average_deal(self) -> float:
		return round(self.won_amount / self.won, 2) if self.won else 0.0

	@property
	def activities(self) -> int:
		return self.calls + self.meetings + self.emails

	@property
	def has_pipeline(self) -> bool:
		"""Handled a lead, closed a deal or has a target: more than activities alone."""
		return bool(self.leads or self.won or self.lost or self.target)

	@property
	def attainment(self) -> float | None:
		return attainment(self.won_amount, self.target)


def rep_figures(
	leads: Iterable[tuple[str, int, int, float | None]],
	deals: Iterable[tuple[str, int, int, float, float | None]],
	activities: Mapping[str, Iterable[tuple[str, int]]],
	targets: Mapping[str, float],
) -> list[RepFigures]:
	"""One row per owner met in any input, sorted by owner.

	leads: (owner, handled, converted, average response in seconds or None)
	deals: (owner, won, lost, won amount, average days from creation to close of won deals or None)
	activities: {"calls" | "meetings" | "emails": [(user, count)]}
	targets: {owner: target amount for the period}
	"""
	reps: dict[str, RepFigures] = {}

	def rep(owner: str | None) -> RepFigures:
		owner = owner or ""
		return reps.setdefault(owner, RepFigures(owner))

	for owner, handled, converted, response_seconds in leads:
		figures = rep(owner)
		figures.leads, figures.converted = int(handled or 0), int(converted or 0)
		if response_seconds is not None:
			figures.response_hours = round(float(response_seconds) / 3600, 1)
	for owner, won, lost, won_amount, cycle_days in deals:
		figures = rep(owner)
		figures.won, figures.lost, figures.won_amount = int(won or 0), int(lost or 0), float(won_amount or 0)
		figures.cycle_days = None if cycle_days is None else round(float(cycle_days), 1)
	for kind, counts in activities.items():
		for user, number in counts:
			setattr(rep(user), kind, int(number or 0))
	for owner, amount in targets.items():
		if amount:
			rep(owner).target = amount
	return [reps[owner] for owner in sorted(reps)]


# -- shares -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
	label: str
	count: int
	count_share: float
	amount: float
	amount_share: float


def shares(groups: Iterable[tuple[str, int, float]], total_count: int, total_amount: float) -> list[Share]:
	"""Each group's count and amount with its percentage of the totals, largest count first.

	The totals are passed in because groups may overlap (a deal lost to two competitors is in both)."""
	rows = []
	for label, count, amount in groups:
		count, amount = int(count or 0), float(amount or 0)
		rows.append(Share(label or "", count, rate(count, total_count), amount, rate(amount, total_amount)))
	return sorted(rows, key=lambda row: (-row.count, -row.amount, row.label))


# -- stale work ---------------------------------------------------------------------------------------


def stale_threshold(requested: int | None, setting: int | None) -> int:
	"""Days of silence that make a record stale: the filter, else the setting, else 14."""
	for value in (requested, setting):
		if value and int(value) > 0:
			return int(value)
	return DEFAULT_STALE_DAYS


def idle_since(days: int, today: date) -> date:
	"""Records whose last activity fell on this day or before have been idle for `days` or more."""
	return today - timedelta(days=days)


def days_idle(last_activity: date | datetime | None, today: date) -> int:
	if not last_activity:
		return 0
	day = last_activity.date() if isinstance(last_activity, datetime) else last_activity
	return max((today - day).days, 0)


def oldest_first(rows: Iterable[dict], limit: int) -> list[dict]:
	"""Rows carrying a `last_activity`, least recently touched first, at most `limit` of them."""
	return sorted(rows, key=lambda row: (row["last_activity"], row.get("name") or ""))[:limit]
