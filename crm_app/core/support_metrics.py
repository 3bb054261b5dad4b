"""Figures of the service desk reports: periods, backlog, duration statistics, ratings.

Plain values in, plain values out: the reports read grouped rows with frappe.qb and hand them here.
Durations are seconds in, hours out; dates are calendar days of the system time zone.
"""

import calendar
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from crm_app.core.errors import CoreError

DAILY, WEEKLY, MONTHLY = "Daily", "Weekly", "Monthly"
PERIODICITIES = (DAILY, WEEKLY, MONTHLY)
RATINGS = (1, 2, 3, 4, 5)
SATISFIED = frozenset({4, 5})  # the share of 4s and 5s is the usual CSAT score
MAX_PERIODS = 1000  # rows and chart points a report builds: about three years by day


class UnknownPeriodicity(CoreError):
	def __init__(self, periodicity: str):
		super().__init__(f"Unknown periodicity: {periodicity}")
		self.periodicity = periodicity


class EmptyPeriod(CoreError):
	def __init__(self, from_date: date, to_date: date):
		super().__init__(f"The period ends ({to_date}) before it starts ({from_date})")


class TooManyPeriods(CoreError):
	def __init__(self, count: int):
		super().__init__(f"{count} periods: at most {MAX_PERIODS}")
		self.count = count


# -- periods ------------------------------------------------------------------------------------------


def last_days(today: date, days: int) -> tuple[date, date]:
	"""From `days` days ago to today, as Frappe's "last 30 days" time span and the desk's date filters."""
	return today - timedelta(days=days), today


def period_start(day: date, periodicity: str, week_starts_on: int = 0) -> date:
	"""First day of the day, week (starting on weekday `week_starts_on`, 0 = Monday) or month holding
	`day`."""
	if periodicity == DAILY:
		return day
	if periodicity == WEEKLY:
		return day - timedelta(days=(day.weekday() - week_starts_on) % 7)
	if periodicity == MONTHLY:
		return day.replace(day=1)
	raise UnknownPeriodicity(periodicity)


def next_period_start(start: date, periodicity: str) -> date:
	if periodicity == DAILY:
		return start + timedelta(days=1)
	if periodicity == WEEKLY:
		return start + timedelta(days=7)
	if periodicity == MONTHLY:
		return start + timedelta(days=calendar.monthrange(start.year, start.month)[1] - start.day + 1)
	raise UnknownPeriodicity(periodicity)


@dataclass(frozen=True)
class Periods:
	"""The days, weeks or months from `from_date` to `to_date`; the first and last may be partial."""

	from_date: date
	to_date: date
	periodicity: str = WEEKLY
	week_starts_on: int = 0

	def __post_init__(self):
		if self.periodicity not in PERIODICITIES:
			raise UnknownPeriodicity(self.periodicity)
		if self.to_date < self.from_date:
			raise EmptyPeriod(self.from_date, self.to_date)
		if (count := self.count) > MAX_PERIODS:
			raise TooManyPeriods(count)

	@property
	def count(self) -> int:
		"""How many periods, without listing them."""
		first, last = self.of(self.from_date), self.of(self.to_date)
		if self.periodicity == MONTHLY:
			return (last.year - first.year) * 12 + last.month - first.month + 1
		return (last - first).days // (7 if self.periodicity == WEEKLY else 1) + 1

	@property
	def starts(self) -> list[date]:
		found, current = [], self.of(self.from_date)
		while current <= self.to_date:
			found.append(current)
			current = next_period_start(current, self.periodicity)
		return found

	def of(self, day: date) -> date:
		return period_start(day, self.periodicity, self.week_starts_on)

	def last_day(self, start: date) -> date:
		"""The period's last day within the report's range."""
		return min(next_period_start(start, self.periodicity) - timedelta(days=1), self.to_date)


# -- volume and backlog -------------------------------------------------------------------------------


@dataclass
class Flow:
	opened: int = 0
	resolved: int = 0
	backlog: int = 0  # open at the end of the period


@dataclass
class PeriodFlow:
	start: date
	total: Flow
	by_key: dict[Hashable, Flow] = field(default_factory=dict)


def issue_flow(
	periods: Periods,
	opened: Iterable[tuple[date, Hashable, int]],
	resolved: Iterable[tuple[date, Hashable, int]],
	open_at_start: Iterable[tuple[Hashable, int]],
) -> tuple[list[PeriodFlow], list[Hashable]]:
	"""Issues opened and resolved per period and the backlog at each period's end, in total and per key
	(issue type, priority...).

	`opened` and `resolved` are (day, key, issues) counts of the days in the range; `open_at_start` the
	issues per key still open when the range starts. The backlog at a period's end is the one at the
	start plus what opened minus what was resolved since. Keys come back most opened first."""
	flows: dict[tuple[date, Hashable], Flow] = defaultdict(Flow)
	volume: dict[Hashable, int] = defaultdict(int)
	for day, key, count in opened:
		flows[periods.of(day), key].opened += count
		volume[key] += count
	for day, key, count in resolved:
		flows[periods.of(day), key].resolved += count
		volume.setdefault(key, 0)
	backlog: dict[Hashable, int] = defaultdict(int)
	for key, count in open_at_start:
		backlog[key] += count
		volume.setdefault(key, 0)
	keys = sorted(volume, key=lambda key: (-volume[key], str(key or "")))
	result = []
	for start in periods.starts:
		period = PeriodFlow(start, Flow())
		for key in keys:
			flow = flows.get((start, key), Flow())
			backlog[key] += flow.opened - flow.resolved
			figures = Flow(flow.opened, flow.resolved, backlog[key])
			period.by_key[key] = figures
			period.total.opened += figures.opened
			period.total.resolved += figures.resolved
			period.total.backlog += figures.backlog
		result.append(period)
	return result, keys


# -- durations ----------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float | None:
	"""The `fraction` (0-1) percentile by linear interpolation between the closest ranks, as MariaDB's
	PERCENTILE_CONT and numpy's default; None for no values."""
	if not values:
		return None
	if not 0 <= fraction <= 1:
		raise ValueError(fraction)
	ordered = sorted(values)
	position = (len(ordered) - 1) * fraction
	low, high = math.floor(position), math.ceil(position)
	return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class DurationStats:
	"""Hours, over `count` issues (None where there are none)."""

	count: int = 0
	average: float | None = None
	median: float | None = None
	p90: float | None = None


def hours(seconds: float | None) -> float | None:
	return None if seconds is None else round(seconds / 3600, 2)


def duration_stats(seconds: Sequence[float]) -> DurationStats:
	"""Count, average, median and 90th percentile of durations given in seconds, in hours; a negative
	duration (answered before it was logged, as imports bring) counts as 0."""
	values = [max(float(value), 0.0) for value in seconds if value is not None]
	if not values:
		return DurationStats()
	return DurationStats(
		count=len(values),
		average=hours(sum(values) / len(values)),
		median=hours(percentile(values, 0.5)),
		p90=hours(percentile(values, 0.9)),
	)


def group_durations(
	rows: Iterable[tuple[date, Hashable, float]], periods: Periods
) -> dict[tuple[date | None, Hashable | None], list[float]]:
	"""(day, key, seconds) rows as lists per (period, key), per (period, None), per (None, key) and
	(None, None) for the whole range."""
	found: dict[tuple, list[float]] = defaultdict(list)
	for day, key, seconds in rows:
		if seconds is None:
			continue
		start = periods.of(day)
		for group in ((start, key), (start, None), (None, key), (None, None)):
			found[group].append(seconds)
	return found


# -- rates and ratings --------------------------------------------------------------------------------


def rate(part: float, whole: float) -> float | None:
	"""Percentage of part in whole, one decimal; None when there is no whole (no figure, not 0 %)."""
	return round(100.0 * part / whole, 1) if whole else None


def compliance(met: int, breached: int) -> float | None:
	"""Share of decided targets that were met; targets still running are not counted."""
	return rate(met, met + breached)


@dataclass(frozen=True)
class Ratings:
	counts: Mapping[int, int]

	@property
	def count(self) -> int:
		return sum(self.counts.get(rating, 0) for rating in RATINGS)

	@property
	def average(self) -> float | None:
		total = sum(rating * self.counts.get(rating, 0) for rating in RATINGS)
		return round(total / self.count, 2) if self.count else None

	@property
	def satisfied(self) -> float | None:
		"""Share of 4s and 5s (%)."""
		return rate(sum(self.counts.get(rating, 0) for rating in SATISFIED), self.count)

	def share(self, rating: int) -> float | None:
		return rate(self.counts.get(rating, 0), self.count)


def ratings_of(rows: Iterable[tuple[int, int]]) -> Ratings:
	"""(rating, count) rows; ratings outside 1-5 (0 is "not rated") are left out."""
	counts: dict[int, int] = defaultdict(int)
	for rating, count in rows:
		if rating in RATINGS:
			counts[int(rating)] += int(count or 0)
	return Ratings(dict(counts))
