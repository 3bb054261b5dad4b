"""SLA clock of the service desk: working calendars, deadlines, pauses, states and the choice of policy.

Datetimes. Every datetime passed in must be timezone-aware (any zone); every datetime returned is
aware and in UTC. A naive datetime raises NaiveDatetimeError instead of being guessed. The Frappe shell
stores naive datetimes in the SYSTEM time zone, so it converts at the boundary: `from_naive(value,
system_tz)` on the way in, `to_naive(value, system_tz)` on the way out. The policy's own zone (that of
its WorkingCalendar) is independent of both.

Working calendar. Working hours are local wall-clock shifts per weekday (0 = Monday) in the policy's
IANA zone, several a day if need be (09:00-13:00 and 14:00-18:00). A shift end of `None` (END_OF_DAY)
means 24:00, and so does time(0, 0): a Frappe Time field cannot hold 24:00 and an end of 00:00 can mean
nothing else. A shift never crosses midnight: 22:00-06:00 is 22:00-24:00 on one weekday plus
00:00-06:00 on the next. Holidays are local dates and have no working time.

Daylight saving. A shift covers the instants from the first moment the local clock shows its start to
the first moment it shows its end, so 09:00-17:00 begins at 09:00 local on either side of a change.
Wall-clock times skipped by a spring-forward gap never happen: a round-the-clock day has 23 hours and a
shift starting inside the gap starts when the clocks jump. When clocks go back, the repeated hour keeps
the state of the moment before the change, so a round-the-clock calendar counts real elapsed time (25
hours that day). Put as one rule: an instant is working when the latest wall-clock time shown so far
falls in a shift of a working day.

Clock semantics.
- `add_working_time(start, s)` is the first instant by which `s` seconds of working time have passed
  since `start`; outside working hours the clock starts at the next working instant, and a target
  reached at the end of a shift is due at that end (Friday 17:00, not Monday 09:00). For s == 0 it is
  `next_working_instant(start)`, the instant the clock starts.
- Pauses (statuses such as "On Hold") are intervals whose working time does not count; overlapping
  ones are merged. While a pause is open and the target is not yet reached, the deadline is not fixed:
  `deadline_with_pauses` returns None and the shell shows the clock as paused.
- At Risk: the remaining working time is at most `at_risk_fraction` of the target (default 20 %).
  `at_risk_from` gives the instant that starts, so the shell can store it in an indexed column and the
  scheduler finds every issue to escalate with `WHERE at_risk_on <= now AND NOT escalated`.
- Breached: now is after the due instant, or the target was fulfilled after it. Met: fulfilled at or
  before it.

Cost. Nothing walks the span day by day. Working time per weekday is fixed, so whole weeks are skipped
by arithmetic; holidays and the few days a clock change alters are corrections in one sorted list with
prefix sums, searched by bisection. A call costs O(log H) plus the intervals of two days. Clock changes
are read from the zone once per zone and year (probing the offset weekly and bisecting to the second:
over 1900-2044 this finds the same changes as daily probing for every zone of the tz database) and
cached. Build a WorkingCalendar once per policy and reuse it: it caches what it has computed.

Durations are float seconds at the API and whole microseconds inside, so
`calendar.working_seconds_between(t, calendar.add_working_time(t, s)) == s` for whole microseconds.
"""

import math
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_app.core.errors import CoreError, Message, _lt

ON_TRACK, AT_RISK, BREACHED, MET, PAUSED = "On Track", "At Risk", "Breached", "Met", "Paused"
SLA_STATES = (ON_TRACK, AT_RISK, BREACHED, MET, PAUSED)
DEFAULT_AT_RISK_FRACTION = 0.2
END_OF_DAY = None  # as a shift end: 24:00

WEEKDAY_NAMES = (
	_lt("Monday"),
	_lt("Tuesday"),
	_lt("Wednesday"),
	_lt("Thursday"),
	_lt("Friday"),
	_lt("Saturday"),
	_lt("Sunday"),
)

_US = 1_000_000
_DAY = 86_400 * _US
_ONE_US = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_MONDAY_SHIFT = 3  # 1970-01-01 was a Thursday: (day number + 3) % 7 is the weekday
_NEGATIVE_INFINITY = -(1 << 62)


class SLAError(CoreError):
	"""Base class of the errors of this module; `reason` is a stable code for the shell, `message` the
	text for a user (a template and its values)."""

	reason = "sla_error"


class NaiveDatetimeError(SLAError):
	reason = "naive_datetime"


class InvalidDuration(SLAError):
	reason = "invalid_duration"


class InvalidInterval(SLAError):
	reason = "invalid_interval"


class CalendarError(SLAError):
	"""A working calendar that cannot be built."""

	reason = "invalid_calendar"


class UnknownTimeZone(CalendarError):
	reason = "unknown_time_zone"

	def __init__(self, name: object):
		super().__init__(_lt("Unknown time zone: {0}"), repr(name))
		self.time_zone = name


class InvalidWeekday(CalendarError):
	reason = "invalid_weekday"

	def __init__(self, weekday: object):
		super().__init__(_lt("Weekday must be 0 (Monday) to 6 (Sunday), not {0}"), repr(weekday))
		self.weekday = weekday


def _day(weekday: int) -> Message:
	return Message(WEEKDAY_NAMES[weekday])


class InvalidShift(CalendarError):
	"""`template` names the day as {0}; `args` fill the rest."""

	reason = "invalid_shift"

	def __init__(self, weekday: int, shift: object, template: str, *args):
		super().__init__(template, _day(weekday), *args)
		self.weekday, self.shift = weekday, shift


class ShiftEndsBeforeStart(InvalidShift):
	reason = "shift_ends_before_start"

	def __init__(self, weekday: int, start: time, end: time | None):
		super().__init__(
			weekday,
			(start, end),
			_lt(
				"{0}: the shift {1}-{2} must end after it starts (a shift cannot cross midnight: split it at "
				"24:00)"
			),
			_clock(start),
			_clock(end),
		)


class OverlappingShifts(CalendarError):
	reason = "overlapping_shifts"

	def __init__(self, weekday: int, first: tuple, second: tuple):
		super().__init__(
			_lt("{0}: the shifts {1}-{2} and {3}-{4} overlap"),
			_day(weekday),
			_clock(first[0]),
			_clock(first[1]),
			_clock(second[0]),
			_clock(second[1]),
		)
		self.weekday, self.shifts = weekday, (first, second)


class InvalidHoliday(CalendarError):
	reason = "invalid_holiday"

	def __init__(self, holiday: object):
		super().__init__(_lt("A holiday must be a date, not {0}"), repr(holiday))
		self.holiday = holiday


class NoWorkingTime(CalendarError):
	reason = "no_working_time"

	def __init__(self):
		super().__init__(_lt("The working hours have no working time in the week"))


def _clock(value: time | None) -> str:
	if value is None:
		return "24:00"
	text = f"{value.hour:02d}:{value.minute:02d}"
	if value.second or value.microsecond:
		text += f":{value.second:02d}" + (f".{value.microsecond:06d}" if value.microsecond else "")
	return text


def _micros_of_day(value: time) -> int:
	return ((value.hour * 60 + value.minute) * 60 + value.second) * _US + value.microsecond


# Datetimes and durations at the boundary.


def _to_us(value: datetime, what: str = "datetime") -> int:
	if not isinstance(value, datetime):
		raise NaiveDatetimeError(f"{what} must be a timezone-aware datetime, not {value!r}")
	if value.tzinfo is None or value.utcoffset() is None:
		raise NaiveDatetimeError(f"{what} must be timezone-aware, got the naive {value.isoformat()}")
	return (value - _EPOCH) // _ONE_US


def _from_us(micros: int) -> datetime:
	return _EPOCH + timedelta(microseconds=micros)


def _duration_us(seconds: float | timedelta) -> int:
	if isinstance(seconds, timedelta):
		micros = seconds // _ONE_US
	else:
		if not math.isfinite(seconds):
			raise InvalidDuration(
				_lt("A duration must be a finite number of seconds, not {0}"), repr(seconds)
			)
		micros = round(seconds * _US)
	if micros < 0:
		raise InvalidDuration(_lt("A duration cannot be negative: {0}"), repr(seconds))
	return micros


def from_naive(value: datetime, tz_name: str) -> datetime:
	"""The UTC datetime of a naive wall time in the zone `tz_name` (e.g. Frappe's system time zone).

	Aware values are converted to UTC. A wall time repeated when clocks go back is read as its first
	occurrence; one skipped by a spring-forward gap with the offset before the gap (Python's fold=0).
	UTC, not the zone itself, because Python never finds an aware datetime inside a repeated hour equal
	to one in another zone.
	"""
	if value.tzinfo is None:
		value = value.replace(tzinfo=_zone(tz_name), fold=0)
	return value.astimezone(timezone.utc)


def to_naive(value: datetime, tz_name: str) -> datetime:
	"""The naive wall time of `value` in the zone `tz_name`, as the Frappe shell stores datetimes."""
	_to_us(value)
	return value.astimezone(_zone(tz_name)).replace(tzinfo=None)


def _zone(name: str) -> ZoneInfo:
	if not isinstance(name, str) or not name:
		raise UnknownTimeZone(name)
	try:
		return ZoneInfo(name)
	except (ZoneInfoNotFoundError, ValueError, OSError) as error:
		raise UnknownTimeZone(name) from error


# Time zone changes, read once per zone and year.


def _offset_us(zone: ZoneInfo, micros: int) -> int:
	return _from_us(micros).astimezone(zone).utcoffset() // _ONE_US


@lru_cache(maxsize=8192)
def _year_changes(zone: ZoneInfo, year: int) -> tuple[int, tuple[tuple[int, int], ...]]:
	"""The UTC offset at the first instant of the UTC `year` and each change within it, as
	(first instant with the new offset, new offset), all in microseconds."""
	begin = (datetime(year, 1, 1, tzinfo=timezone.utc) - _EPOCH) // _ONE_US
	end = (datetime(year + 1, 1, 1, tzinfo=timezone.utc) - _EPOCH) // _ONE_US if year < 9999 else None
	end = end if end is not None else begin + 365 * _DAY
	first = current = _offset_us(zone, begin)
	changes = []
	step = 7 * _DAY
	low = begin
	while low < end:
		high = min(low + step, end)
		while _offset_us(zone, high) != current:
			# The first whole second in (low, high] whose offset differs from the current one.
			a, b = low // _US, high // _US
			while b - a > 1:
				middle = (a + b) // 2
				if _offset_us(zone, middle * _US) != current:
					b = middle
				else:
					a = middle
			current = _offset_us(zone, b * _US)
			changes.append((b * _US, current))
			low = b * _US
		low = high
	return first, tuple(changes)


def _utc_year(micros: int) -> int:
	return _from_us(micros).year


# The working calendar.


@dataclass(frozen=True)
class _Coverage:
	"""What a calendar knows for the UTC years first_year..last_year: the zone's offsets and the
	corrections (holidays, days altered by clock changes) to the weekly working time."""

	first_year: int
	last_year: int
	piece_starts: list[int]  # the zone's offset is piece_offsets[i] from piece_starts[i] on
	piece_offsets: list[int]
	safe_first_day: int  # days whose answers this coverage gives exactly
	safe_last_day: int
	exception_days: list[int]  # sorted day numbers
	exception_prefix: list[int]  # exception_prefix[k]: sum of the corrections of the first k
	totals_after: list[int]  # working time before the day after each exception day (nondecreasing)
	day_intervals: dict[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)  # a cache


def _wall_to_instant(starts: list[int], offsets: list[int], wall: int) -> int:
	"""The first instant whose local wall clock shows `wall` (microseconds since 1970-01-01 00:00 local)
	or later, for a zone whose offset is offsets[i] from starts[i] on."""
	index = bisect_right(starts, wall - 2 * _DAY) - 1
	last = len(starts) - 1
	while True:
		instant = max(starts[index], wall - offsets[index])  # a piece starting after `wall` is a gap's end
		if index == last or instant < starts[index + 1]:
			return instant
		index += 1


class WorkingCalendar:
	"""Working hours per weekday, holidays and a time zone; see the module docstring for the rules.

	`weekly` maps a weekday (0 = Monday) to its shifts, each (start, end) as `datetime.time`, end `None`
	or time(0, 0) for 24:00; a weekday left out has no working time. `holidays` are local dates.
	"""

	def __init__(
		self,
		weekly: Mapping[int, Sequence[tuple[time, time | None]]],
		holidays: Iterable[date] = (),
		tz: str = "UTC",
	):
		self.tz_name = tz
		self.zone = _zone(tz)
		self._shifts = _validated_week(weekly)
		self._nominal = [sum(end - start for start, end in day) for day in self._shifts]
		self.weekly_seconds = sum(self._nominal) / _US
		if not any(self._nominal):
			raise NoWorkingTime()
		self._week = sum(self._nominal)
		self._week_prefix = [0]
		for amount in self._nominal:
			self._week_prefix.append(self._week_prefix[-1] + amount)
		self._holidays = frozenset(_day_number(day) for day in holidays)
		self._holiday_corrections = sorted(
			(day, -self._nominal[(day + _MONDAY_SHIFT) % 7])
			for day in self._holidays
			if self._nominal[(day + _MONDAY_SHIFT) % 7]
		)
		self._coverage: _Coverage | None = None

	def __repr__(self) -> str:
		return f"WorkingCalendar(tz={self.tz_name!r}, weekly_seconds={self.weekly_seconds}, holidays={len(self._holidays)})"

	# Public clock.

	def working_seconds_between(self, start: datetime, end: datetime) -> float:
		"""Working seconds in [start, end); 0 when end is not after start."""
		low, high = _to_us(start, "start"), _to_us(end, "end")
		return self._working_us(low, high) / _US

	def add_working_time(self, start: datetime, seconds: float | timedelta) -> datetime:
		"""The first instant by which `seconds` of working time have passed since `start` (UTC)."""
		begin, amount = _to_us(start, "start"), _duration_us(seconds)
		if amount == 0:
			return _from_us(self._next_working_us(begin))
		return _from_us(self._add_us(begin, amount))

	def next_working_instant(self, at: datetime) -> datetime:
		"""`at` if it is working time, else the start of the next working interval (UTC)."""
		return _from_us(self._next_working_us(_to_us(at, "at")))

	def is_working(self, at: datetime) -> bool:
		micros = _to_us(at, "at")
		return self._next_working_us(micros) == micros

	def has_working_time_between(self, start: datetime | date, end: datetime | date) -> bool:
		"""Whether [start, end) holds any working time; a `date` stands for the local midnight starting it,
		so (first_day, last_day + 1 day) asks whether a holiday list leaves any working day in that range."""
		return self._working_us(self._bound_us(start), self._bound_us(end)) > 0

	# Internals, in integer microseconds since the Unix epoch and day numbers since 1970-01-01 local.

	def _bound_us(self, value: datetime | date) -> int:
		if isinstance(value, datetime):
			return _to_us(value)
		day = value.toordinal() - _EPOCH_ORDINAL
		self._cover(day - 1, day + 1)
		return self._wall_to_us(day * _DAY)

	def _working_us(self, low: int, high: int) -> int:
		if high <= low:
			return 0
		self._cover(low // _DAY - 1, high // _DAY + 1)
		return self._cumulative(high) - self._cumulative(low)

	def _add_us(self, begin: int, amount: int) -> int:
		first = begin // _DAY - 1
		estimate = first + 7 * (amount // self._week + 2)
		self._cover(first, estimate)
		while True:
			coverage = self._coverage
			start_day = self._day_of(begin)
			target = self._day_start_total(start_day) + self._within_day(start_day, begin) + amount
			boundary = self._first_boundary_reaching(start_day + 1, target)
			if boundary - 1 <= coverage.safe_last_day:
				break
			self._cover(first, boundary + 366)
		day = boundary - 1
		remaining = target - self._day_start_total(day)
		for low, high in self._intervals(day):
			if remaining <= high - low:
				return low + remaining
			remaining -= high - low
		raise AssertionError("working time of a day disagrees with its correction")  # pragma: no cover

	def _next_working_us(self, at: int) -> int:
		self._cover(at // _DAY - 1, at // _DAY + 8)
		day = self._day_of(at)
		for low, high in self._intervals(day):
			if high > at:
				return max(low, at)
		while True:
			boundary = self._first_boundary_reaching(day + 1, self._day_start_total(day + 1) + 1)
			if boundary - 1 <= self._coverage.safe_last_day:
				return self._intervals(boundary - 1)[0][0]
			self._cover(day, boundary + 366)

	def _cumulative(self, micros: int) -> int:
		"""Working time from a fixed origin to `micros`; only differences mean anything."""
		day = self._day_of(micros)
		return self._day_start_total(day) + self._within_day(day, micros)

	def _within_day(self, day: int, micros: int) -> int:
		total = 0
		for low, high in self._intervals(day):
			if micros <= low:
				break
			total += min(high, micros) - low
		return total

	def _nominal_total(self, day: int) -> int:
		"""Working time of the plain weeks (no holidays, no clock changes) before `day`."""
		weeks, weekday = divmod(day + _MONDAY_SHIFT, 7)
		return weeks * self._week + self._week_prefix[weekday]

	def _first_nominal_day(self, total: int) -> int:
		"""The first day number whose `_nominal_total` is at least `total`."""
		weeks, rest = divmod(total, self._week)
		if rest == 0:
			weeks, rest = weeks - 1, self._week
		return weeks * 7 + bisect_left(self._week_prefix, rest) - _MONDAY_SHIFT

	def _day_start_total(self, day: int) -> int:
		coverage = self._coverage
		return self._nominal_total(day) + coverage.exception_prefix[bisect_left(coverage.exception_days, day)]

	def _first_boundary_reaching(self, lowest: int, target: int) -> int:
		"""The first day number D >= lowest with `_day_start_total(D) >= target`.

		Between two corrections the total is the plain weekly one plus a constant, which inverts in O(1);
		a binary search over the corrections finds the stretch holding the answer.
		"""
		coverage = self._coverage
		days, prefix = coverage.exception_days, coverage.exception_prefix
		first = bisect_left(days, lowest)
		low = bisect_left(coverage.totals_after, target, first)  # first correction reaching the target
		stretch_start = max(lowest, days[low - 1] + 1) if low > first else lowest
		candidate = max(stretch_start, self._first_nominal_day(target - prefix[low]))
		if low < len(days) and candidate > days[low]:
			return days[low] + 1
		return candidate

	def _day_of(self, micros: int) -> int:
		"""The day number whose working intervals may hold `micros` (the date of the latest wall time)."""
		coverage = self._coverage
		offset = coverage.piece_offsets[bisect_right(coverage.piece_starts, micros) - 1]
		day = (micros + offset) // _DAY
		while micros >= self._wall_to_us((day + 1) * _DAY):
			day += 1
		while micros < self._wall_to_us(day * _DAY):
			day -= 1
		return day

	def _wall_to_us(self, wall: int) -> int:
		coverage = self._coverage
		return _wall_to_instant(coverage.piece_starts, coverage.piece_offsets, wall)

	def _intervals(self, day: int, coverage: _Coverage | None = None) -> tuple[tuple[int, int], ...]:
		"""The working intervals of a local day, in UTC microseconds."""
		coverage = coverage or self._coverage
		cached = coverage.day_intervals.get(day)
		if cached is not None:
			return cached
		intervals: tuple[tuple[int, int], ...] = ()
		if day not in self._holidays:
			base = day * _DAY
			starts, offsets = coverage.piece_starts, coverage.piece_offsets
			converted = (
				(
					_wall_to_instant(starts, offsets, base + start),
					_wall_to_instant(starts, offsets, base + end),
				)
				for start, end in self._shifts[(day + _MONDAY_SHIFT) % 7]
			)
			intervals = tuple((low, high) for low, high in converted if high > low)
		if len(coverage.day_intervals) > 4096:
			coverage.day_intervals.clear()
		coverage.day_intervals[day] = intervals
		return intervals

	def _cover(self, first_day: int, last_day: int) -> None:
		"""Make the coverage answer exactly for day numbers first_day..last_day."""
		coverage = self._coverage
		if coverage and coverage.safe_first_day <= first_day and last_day <= coverage.safe_last_day:
			return
		first_year = _utc_year(max(first_day - 3, -719_000) * _DAY) - 1
		last_year = _utc_year(min(last_day + 3, 2_900_000) * _DAY) + 1
		if coverage:
			first_year = min(first_year, coverage.first_year)
			last_year = max(last_year, coverage.last_year)
		first_year, last_year = max(first_year, 1), min(last_year, 9999)
		offset, _ = _year_changes(self.zone, first_year)
		starts, offsets = [_NEGATIVE_INFINITY], [offset]
		changes = []
		for year in range(first_year, last_year + 1):
			for instant, new_offset in _year_changes(self.zone, year)[1]:
				changes.append((instant, offsets[-1], new_offset))
				starts.append(instant)
				offsets.append(new_offset)
		safe_first = date(first_year + 1, 1, 2).toordinal() - _EPOCH_ORDINAL
		safe_last = date(last_year - 1, 12, 30).toordinal() - _EPOCH_ORDINAL
		# Days next to a clock change may have more or less working time than their weekday: measure them.
		measuring = _Coverage(first_year, last_year, starts, offsets, safe_first, safe_last, [], [0], [])
		corrections = dict(self._holiday_corrections)
		for instant, before, after in changes:
			for day in range((instant - 1 + before) // _DAY - 1, (instant + after) // _DAY + 2):
				if day in self._holidays:
					continue
				nominal = self._nominal[(day + _MONDAY_SHIFT) % 7]
				measured = sum(high - low for low, high in self._intervals(day, measuring))
				if measured != nominal:
					corrections[day] = measured - nominal
		days = sorted(corrections)
		prefix = [0]
		for day in days:
			prefix.append(prefix[-1] + corrections[day])
		totals_after = [self._nominal_total(day + 1) + prefix[index + 1] for index, day in enumerate(days)]
		self._coverage = _Coverage(
			first_year,
			last_year,
			starts,
			offsets,
			safe_first,
			safe_last,
			days,
			prefix,
			totals_after,
			measuring.day_intervals,
		)


def _day_number(holiday: date) -> int:
	if isinstance(holiday, datetime):
		holiday = holiday.date()
	if not isinstance(holiday, date):
		raise InvalidHoliday(holiday)
	return holiday.toordinal() - _EPOCH_ORDINAL


def _validated_week(weekly: Mapping[int, Sequence[tuple[time, time | None]]]) -> list[list[tuple[int, int]]]:
	week: list[list[tuple[int, int]]] = [[] for _ in range(7)]
	for weekday, shifts in weekly.items():
		if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
			raise InvalidWeekday(weekday)
		spans = []
		for shift in shifts:
			try:
				start, end = shift
			except (TypeError, ValueError):
				raise InvalidShift(
					weekday, shift, _lt("{0}: a shift is a start and an end time, not {1}"), repr(shift)
				) from None
			for value in (start, end):
				if value is not None and not isinstance(value, time):
					raise InvalidShift(
						weekday, shift, _lt("{0}: a shift's times must be times of day, not {1}"), repr(value)
					)
				if value is not None and value.tzinfo is not None:
					raise InvalidShift(
						weekday, shift, _lt("{0}: a shift's times are local times, without a time zone")
					)
			if start is None:
				raise InvalidShift(weekday, shift, _lt("{0}: a shift needs a start time"))
			end_us = _DAY if end is None or end == time(0) else _micros_of_day(end)
			start_us = _micros_of_day(start)
			if end_us <= start_us:
				raise ShiftEndsBeforeStart(weekday, start, end)
			spans.append((start_us, end_us, (start, end)))
		spans.sort(key=lambda span: span[:2])
		for previous, following in pairwise(spans):
			if following[0] < previous[1]:
				raise OverlappingShifts(weekday, previous[2], following[2])
		for start_us, end_us, _ in spans:
			if week[weekday] and week[weekday][-1][1] == start_us:  # 09:00-13:00 + 13:00-18:00
				week[weekday][-1] = (week[weekday][-1][0], end_us)
			else:
				week[weekday].append((start_us, end_us))
	return week


# Pauses and deadlines.


@dataclass(frozen=True)
class Interval:
	"""A pause of the clock: from `start` to `end`, or still open when `end` is None."""

	start: datetime
	end: datetime | None = None

	def __post_init__(self):
		low = _to_us(self.start, "pause start")
		if self.end is not None and _to_us(self.end, "pause end") < low:
			raise InvalidInterval(
				f"A pause cannot end ({self.end.isoformat()}) before it starts ({self.start.isoformat()})"
			)


def _merged_pauses(pauses: Iterable[Interval]) -> list[tuple[int, int | None]]:
	"""Pauses in microseconds, sorted and merged; an open pause swallows everything after its start."""
	spans = sorted(
		(_to_us(pause.start), None if pause.end is None else _to_us(pause.end))
		for pause in pauses
		if pause.end is None or pause.end > pause.start
	)
	merged: list[tuple[int, int | None]] = []
	for low, high in spans:
		if merged and (merged[-1][1] is None or low <= merged[-1][1]):
			previous_low, previous_high = merged[-1]
			if previous_high is None or high is None:
				merged[-1] = (previous_low, None)
			else:
				merged[-1] = (previous_low, max(previous_high, high))
			continue
		merged.append((low, high))
	return merged


def working_seconds_elapsed(
	calendar: WorkingCalendar, start: datetime, now: datetime, pauses: Iterable[Interval] = ()
) -> float:
	"""Working seconds from `start` to `now` that were not paused; an open pause lasts until `now`."""
	low, high = _to_us(start, "start"), _to_us(now, "now")
	total = calendar._working_us(low, high)
	for pause_low, pause_high in _merged_pauses(pauses):
		clipped_high = high if pause_high is None else min(pause_high, high)
		total -= calendar._working_us(max(pause_low, low), clipped_high)
	return total / _US


def deadline_with_pauses(
	calendar: WorkingCalendar,
	start: datetime,
	target_seconds: float | timedelta,
	pauses: Iterable[Interval] = (),
) -> datetime | None:
	"""When `target_seconds` of unpaused working time have passed since `start` (UTC), or None while an
	open pause holds the clock before the target is reached (the shell shows it as paused)."""
	current, remaining = _to_us(start, "start"), _duration_us(target_seconds)
	for pause_low, pause_high in _merged_pauses(pauses):
		if pause_high is not None and pause_high <= current:
			continue
		if pause_low > current:
			if remaining:
				available = calendar._working_us(current, pause_low)
				if available >= remaining:
					return _from_us(calendar._add_us(current, remaining))
				remaining -= available
			else:
				first = calendar._next_working_us(current)
				if first < pause_low:
					return _from_us(first)
		if pause_high is None:
			return None
		current = max(current, pause_high)
	if remaining:
		return _from_us(calendar._add_us(current, remaining))
	return _from_us(calendar._next_working_us(current))


def at_risk_from(
	calendar: WorkingCalendar,
	start: datetime,
	target_seconds: float | timedelta,
	pauses: Iterable[Interval] = (),
	fraction: float = DEFAULT_AT_RISK_FRACTION,
) -> datetime | None:
	"""The instant from which at most `fraction` of the target's working time remains (None while paused
	before it); store it so the scheduler selects `WHERE at_risk_on <= now`."""
	if not 0 <= fraction <= 1:
		raise InvalidDuration(_lt("The at-risk share must be between 0 and 1, not {0}"), repr(fraction))
	target = _duration_us(target_seconds)
	return deadline_with_pauses(
		calendar, start, timedelta(microseconds=target - round(target * fraction)), pauses
	)


def sla_state(
	due: datetime | None, at_risk_on: datetime | None, now: datetime, fulfilled_at: datetime | None = None
) -> str:
	"""MET or BREACHED once fulfilled (late is BREACHED); else PAUSED without a due instant, BREACHED
	after it, AT_RISK from `at_risk_on`, ON_TRACK before."""
	if fulfilled_at is not None:
		return MET if due is None or _to_us(fulfilled_at) <= _to_us(due) else BREACHED
	if due is None:
		return PAUSED
	moment = _to_us(now, "now")
	if moment > _to_us(due):
		return BREACHED
	if at_risk_on is not None and moment >= _to_us(at_risk_on):
		return AT_RISK
	return ON_TRACK


@dataclass(frozen=True)
class ClockReading:
	state: str
	due: datetime | None  # None while paused before the target is reached
	at_risk_on: datetime | None  # None once fulfilled or while paused before it
	elapsed_seconds: float  # unpaused working time up to fulfilment or now
	remaining_seconds: float  # target minus elapsed; negative once over
	paused: bool


def read_clock(
	calendar: WorkingCalendar,
	start: datetime,
	target_seconds: float | timedelta,
	now: datetime,
	pauses: Iterable[Interval] = (),
	fulfilled_at: datetime | None = None,
	at_risk_fraction: float = DEFAULT_AT_RISK_FRACTION,
) -> ClockReading:
	"""Everything the shell stores or shows about one target (first response or resolution)."""
	pauses = list(pauses)
	if fulfilled_at is not None:  # fulfilment ends any pause
		pauses = [Interval(p.start, max(p.start, fulfilled_at)) if p.end is None else p for p in pauses]
	until = fulfilled_at if fulfilled_at is not None else now
	due = deadline_with_pauses(calendar, start, target_seconds, pauses)
	at_risk_on = (
		None
		if fulfilled_at is not None
		else at_risk_from(calendar, start, target_seconds, pauses, at_risk_fraction)
	)
	elapsed = working_seconds_elapsed(calendar, start, until, pauses)
	moment = _to_us(now, "now")
	paused = fulfilled_at is None and any(p.end is None and _to_us(p.start) <= moment for p in pauses)
	return ClockReading(
		state=sla_state(due, at_risk_on, now, fulfilled_at),
		due=due,
		at_risk_on=at_risk_on,
		elapsed_seconds=elapsed,
		remaining_seconds=_duration_us(target_seconds) / _US - elapsed,
		paused=paused,
	)


def pauses_and_fulfilment(
	timeline: Iterable[tuple[datetime, str]],
	pause_statuses: Collection[str],
	fulfil_statuses: Collection[str],
	*,
	once: bool = False,
) -> tuple[list[Interval], datetime | None]:
	"""Pauses and the fulfilment instant from an issue's status history: (instant, status entered) pairs,
	the first being the status it was created in.

	once=True (first response): the first entry into a fulfilling status fulfils for good. once=False
	(resolution): only a fulfilling status the issue is still in fulfils, from the start of that run; an
	earlier one that was reopened counts as a pause, like time in a pausing status.
	"""
	steps = sorted(timeline, key=lambda step: _to_us(step[0], "status change"))
	fulfilled_at = None
	if once:
		for index, (moment, status) in enumerate(steps):
			if status in fulfil_statuses:
				fulfilled_at, steps = moment, steps[:index]
				break
	elif steps and steps[-1][1] in fulfil_statuses:
		index = len(steps) - 1
		while index > 0 and steps[index - 1][1] in fulfil_statuses:
			index -= 1
		fulfilled_at = steps[index][0]
		steps = steps[:index]

	def holds(status: str) -> bool:
		return status in pause_statuses or (not once and status in fulfil_statuses)

	pauses: list[Interval] = []
	open_since: datetime | None = None
	for moment, status in steps:
		if holds(status) and open_since is None:
			open_since = moment
		elif not holds(status) and open_since is not None:
			pauses.append(Interval(open_since, moment))
			open_since = None
	if open_since is not None:
		pauses.append(Interval(open_since, fulfilled_at))
	return pauses, fulfilled_at


# Choice of policy.


def _names(values: Iterable[str] | str | None) -> frozenset[str]:
	if values is None:
		return frozenset()
	if isinstance(values, str):
		return frozenset((values,)) if values else frozenset()
	return frozenset(value for value in values if value)


@dataclass(frozen=True)
class PolicyRule:
	"""When a policy applies. An empty set means any; `condition` is the shell's evaluation of the
	policy's condition expression for the issue (None when it has none); `order` breaks ties, lower
	first; a default policy applies only when no other one matches."""

	name: str
	priorities: frozenset[str] = field(default_factory=frozenset)
	customers: frozenset[str] = field(default_factory=frozenset)
	customer_groups: frozenset[str] = field(default_factory=frozenset)
	territories: frozenset[str] = field(default_factory=frozenset)
	issue_types: frozenset[str] = field(default_factory=frozenset)
	condition: bool | None = None
	default: bool = False
	order: int = 0

	def __post_init__(self):
		for name in ("priorities", "customers", "customer_groups", "territories", "issue_types"):
			object.__setattr__(self, name, _names(getattr(self, name)))

	@property
	def specificity(self) -> int:
		"""How many things the policy constrains."""
		constrained = (
			self.priorities,
			self.customers,
			self.customer_groups,
			self.territories,
			self.issue_types,
		)
		return sum(1 for values in constrained if values) + (self.condition is not None)

	def matches(self, facts: "IssueFacts") -> bool:
		return (
			self.condition is not False
			and (not self.priorities or facts.priority in self.priorities)
			and (not self.customers or facts.customer in self.customers)
			and (not self.customer_groups or not self.customer_groups.isdisjoint(facts.customer_groups))
			and (not self.territories or not self.territories.isdisjoint(facts.territories))
			and (not self.issue_types or facts.issue_type in self.issue_types)
		)


@dataclass(frozen=True)
class IssueFacts:
	"""What policies are matched on. Groups and territories are trees: pass the customer's group and
	territory followed by their ancestors, so a policy for a parent group covers its children."""

	priority: str | None = None
	customer: str | None = None
	customer_groups: Sequence[str] = ()
	territories: Sequence[str] = ()
	issue_type: str | None = None


def choose_policy(policies: Iterable[PolicyRule], facts: IssueFacts) -> PolicyRule | None:
	"""The matching non-default policy that constrains the most, ties broken by `order` then name; else
	the best matching default policy; else None."""
	matching = [policy for policy in policies if policy.matches(facts)]
	for tier in ([p for p in matching if not p.default], [p for p in matching if p.default]):
		if tier:
			return min(tier, key=lambda policy: (-policy.specificity, policy.order, policy.name))
	return None
