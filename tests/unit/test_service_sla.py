from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crm_app.core.service import sla
from crm_app.core.service.sla import (
	AT_RISK,
	BREACHED,
	MET,
	ON_TRACK,
	PAUSED,
	CalendarError,
	Interval,
	IssueFacts,
	NaiveDatetimeError,
	NoWorkingTime,
	OverlappingShifts,
	PolicyRule,
	ShiftEndsBeforeStart,
	UnknownTimeZone,
	WorkingCalendar,
	at_risk_from,
	choose_policy,
	deadline_with_pauses,
	from_naive,
	pauses_and_fulfilment,
	read_clock,
	sla_state,
	to_naive,
	working_seconds_elapsed,
)

UTC = timezone.utc
MINUTE = timedelta(minutes=1)
HOUR = 3600
KYIV, WARSAW, NEW_YORK = "Europe/Kyiv", "Europe/Warsaw", "America/New_York"
OFFICE = {day: [(time(9), time(13)), (time(14), time(18))] for day in range(5)}  # Mon-Fri, split
NINE_TO_FIVE = {day: [(time(9), time(17))] for day in range(5)}
ROUND_THE_CLOCK = {day: [(time(0), None)] for day in range(7)}


def utc(*args) -> datetime:
	return datetime(*args, tzinfo=UTC)


def local(zone: str, *args) -> datetime:
	return datetime(*args, tzinfo=ZoneInfo(zone))


# Brute-force reference: a minute walker sharing no code with the module. An instant is working when
# the latest wall-clock time shown so far (the running maximum, which stays put through an hour repeated
# when clocks go back) falls in a shift of its weekday and its date is not a holiday.


@dataclass
class Spec:
	weekly: dict[int, list[tuple[time, time | None]]]
	tz: str
	holidays: set[date] = field(default_factory=set)

	def calendar(self) -> WorkingCalendar:
		return WorkingCalendar(self.weekly, self.holidays, self.tz)

	def wall_is_working(self, wall: datetime) -> bool:
		if wall.date() in self.holidays:
			return False
		minute = wall.hour * 60 + wall.minute
		for start, end in self.weekly.get(wall.weekday(), ()):
			end_minute = 1440 if end is None or end == time(0) else end.hour * 60 + end.minute
			if start.hour * 60 + start.minute <= minute < end_minute:
				return True
		return False


def walk(spec: Spec, start: datetime) -> Iterator[tuple[datetime, bool]]:
	"""(minute, working) for each minute from `start` (UTC, whole minute) on."""
	zone = ZoneInfo(spec.tz)
	moment, highest = start - timedelta(days=2), None
	while True:
		wall = moment.astimezone(zone).replace(tzinfo=None)
		highest = wall if highest is None or wall > highest else highest
		if moment >= start:
			yield moment, spec.wall_is_working(highest)
		moment += MINUTE


def brute_between(spec: Spec, start: datetime, end: datetime) -> float:
	minutes = 0
	for moment, working in walk(spec, start):
		if moment >= end:
			return minutes * 60.0
		minutes += working
	raise AssertionError


def brute_add(spec: Spec, start: datetime, minutes: int) -> datetime:
	for moment, working in walk(spec, start):
		if working:
			if minutes == 0:
				return moment
			minutes -= 1
			if minutes == 0:
				return moment + MINUTE
	raise AssertionError


# Random calendars, near clock changes.

ZONES = [
	"UTC",
	KYIV,
	WARSAW,
	NEW_YORK,
	"Australia/Lord_Howe",  # a 30-minute change
	"America/Santiago",  # changes at midnight
	"Pacific/Apia",  # skipped 2011-12-30 entirely
	"Asia/Kolkata",
	"America/St_Johns",
]
ANCHORS = [
	utc(2025, 3, 9, 7),
	utc(2025, 3, 30, 1),
	utc(2025, 4, 5, 15),
	utc(2025, 4, 6, 3),
	utc(2025, 6, 18, 12),
	utc(2025, 9, 7, 4),
	utc(2025, 10, 4, 15, 30),
	utc(2025, 10, 26, 1),
	utc(2025, 11, 2, 6),
	utc(2011, 12, 30, 10),
]


@st.composite
def specs(draw) -> Spec:
	weekly = {}
	for weekday in range(7):
		points = sorted(draw(st.sets(st.integers(0, 288), max_size=6)))  # five-minute steps
		shifts = []
		for low, high in zip(points[::2], points[1::2], strict=False):
			end = (
				time(high * 5 // 60, high * 5 % 60) if high < 288 else draw(st.sampled_from([None, time(0)]))
			)
			shifts.append((time(low * 5 // 60, low * 5 % 60), end))
		if shifts:
			weekly[weekday] = shifts
	assume(weekly)
	return Spec(weekly, draw(st.sampled_from(ZONES)))


@st.composite
def cases(draw) -> tuple[Spec, datetime]:
	spec = draw(specs())
	start = draw(st.sampled_from(ANCHORS)) + MINUTE * draw(st.integers(-10 * 1440, 10 * 1440))
	first = start.date()
	offsets = draw(st.sets(st.integers(-3, 35), max_size=8))
	spec.holidays = {first + timedelta(days=offset) for offset in offsets}
	return spec, start


def weekly_minutes(spec: Spec) -> int:
	return round(spec.calendar().weekly_seconds) // 60


SLOW = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(cases(), st.data())
def test_deadline_and_working_time_equal_the_minute_walker(case, data):
	spec, start = case
	calendar = spec.calendar()
	per_week = weekly_minutes(spec)
	minutes = data.draw(st.integers(0, 3 * per_week))
	span = MINUTE * data.draw(st.integers(0, 21 * 1440))

	due = calendar.add_working_time(start, minutes * 60)
	assert due == brute_add(spec, start, minutes)
	assert due.tzinfo is UTC
	assert calendar.working_seconds_between(start, due) == minutes * 60
	assert calendar.working_seconds_between(start, start + span) == brute_between(spec, start, start + span)


@settings(max_examples=300, deadline=None)
@given(cases(), st.integers(0, 10**13), st.integers(0, 3 * 10**12))
def test_add_and_between_are_inverse_to_the_microsecond(case, offset_us, amount_us):
	spec, start = case
	calendar = spec.calendar()
	start += timedelta(microseconds=offset_us % (7 * 86_400 * 10**6))
	seconds = amount_us / 10**6
	due = calendar.add_working_time(start, seconds)
	assert calendar.working_seconds_between(start, due) == seconds
	if amount_us:
		assert calendar.working_seconds_between(start, due - timedelta(microseconds=1)) < seconds
		assert calendar.is_working(due - timedelta(microseconds=1))


@settings(max_examples=200, deadline=None)
@given(cases(), st.integers(1, 5000 * HOUR), st.integers(1, 5000 * HOUR))
def test_long_spans_add_up(case, first, second):
	# Years of working time: deadlines chain and working time adds up across many clock changes.
	spec, start = case
	calendar = spec.calendar()
	middle = calendar.add_working_time(start, first)
	end = calendar.add_working_time(middle, second)
	assert calendar.add_working_time(start, first + second) == end
	assert calendar.working_seconds_between(start, end) == first + second
	assert calendar.working_seconds_between(start, middle) + calendar.working_seconds_between(
		middle, end
	) == (first + second)


def test_thousand_working_hours_without_walking(monkeypatch):
	spec = Spec(
		OFFICE,
		KYIV,
		{date(2025, 1, 1), date(2025, 1, 7), date(2025, 3, 8), date(2025, 4, 21), date(2025, 5, 1)}
		| {date(2025, 6, 9), date(2025, 6, 28), date(2025, 8, 25), date(2025, 8, 26)},
	)
	calendar = spec.calendar()
	start = utc(2024, 12, 30, 7, 13)
	due = calendar.add_working_time(start, 1000 * HOUR)
	assert due == brute_add(spec, start, 1000 * 60)
	assert calendar.working_seconds_between(start, due) == 1000 * HOUR

	# Once the calendar knows the year, a deadline months away reads the intervals of two days only.
	days_read = []
	real_intervals = WorkingCalendar._intervals

	def counting(self, day, coverage=None):
		days_read.append(day)
		return real_intervals(self, day, coverage)

	monkeypatch.setattr(WorkingCalendar, "_intervals", counting)
	later = calendar.add_working_time(start + timedelta(days=2), 1000 * HOUR)
	assert later > due
	assert len(set(days_read)) <= 4


# Weekends, holidays, split shifts.


def test_weekend_is_skipped():
	calendar = WorkingCalendar(NINE_TO_FIVE, tz="UTC")
	friday = utc(2025, 6, 13, 16, 30)
	assert calendar.add_working_time(friday, HOUR) == utc(2025, 6, 16, 9, 30)
	assert calendar.working_seconds_between(friday, utc(2025, 6, 16, 9, 30)) == HOUR


def test_target_reached_at_the_end_of_a_shift_is_due_then():
	calendar = WorkingCalendar(NINE_TO_FIVE, tz="UTC")
	assert calendar.add_working_time(utc(2025, 6, 13, 16), HOUR) == utc(2025, 6, 13, 17)


def test_start_outside_working_hours_starts_at_the_next_working_instant():
	calendar = WorkingCalendar(OFFICE, tz="UTC")
	saturday = utc(2025, 6, 14, 11)
	assert calendar.next_working_instant(saturday) == utc(2025, 6, 16, 9)
	assert calendar.add_working_time(saturday, 0) == utc(2025, 6, 16, 9)
	assert calendar.add_working_time(saturday, 60) == utc(2025, 6, 16, 9, 1)
	assert calendar.add_working_time(utc(2025, 6, 16, 10), 0) == utc(2025, 6, 16, 10)
	assert calendar.next_working_instant(utc(2025, 6, 16, 13)) == utc(2025, 6, 16, 14)


def test_split_shift_skips_the_lunch_break():
	calendar = WorkingCalendar(OFFICE, tz="UTC")
	assert calendar.add_working_time(utc(2025, 6, 16, 12, 30), HOUR) == utc(2025, 6, 16, 14, 30)
	assert calendar.working_seconds_between(utc(2025, 6, 16, 12), utc(2025, 6, 16, 15)) == 2 * HOUR
	assert calendar.weekly_seconds == 40 * HOUR


def test_holidays_consecutive_on_a_weekend_and_in_a_skipped_week():
	plain = WorkingCalendar(NINE_TO_FIVE, tz="UTC")
	monday = utc(2025, 6, 2, 9)
	assert plain.add_working_time(monday, 120 * HOUR) == utc(2025, 6, 20, 17)  # three weeks

	in_skipped_week = WorkingCalendar(NINE_TO_FIVE, [date(2025, 6, 11)], "UTC")
	assert in_skipped_week.add_working_time(monday, 120 * HOUR) == utc(2025, 6, 23, 17)

	consecutive = WorkingCalendar(NINE_TO_FIVE, [date(2025, 6, 23), date(2025, 6, 24)], "UTC")
	assert consecutive.add_working_time(utc(2025, 6, 20, 16), 2 * HOUR) == utc(2025, 6, 25, 10)

	on_weekend = WorkingCalendar(NINE_TO_FIVE, [date(2025, 6, 7), date(2025, 6, 8)], "UTC")
	assert on_weekend.add_working_time(monday, 120 * HOUR) == utc(2025, 6, 20, 17)
	assert on_weekend.working_seconds_between(monday, utc(2025, 7, 2, 9)) == 22 * 8 * HOUR


def test_end_of_day_spellings_and_touching_shifts():
	until_midnight = {0: [(time(20), None)]}
	assert WorkingCalendar(until_midnight).weekly_seconds == 4 * HOUR
	assert WorkingCalendar({0: [(time(20), time(0))]}).weekly_seconds == 4 * HOUR
	touching = WorkingCalendar({0: [(time(14), time(18)), (time(9), time(14))]}, tz="UTC")
	assert touching.add_working_time(utc(2025, 6, 16, 13, 30), HOUR) == utc(2025, 6, 16, 14, 30)
	# a shift to 24:00 and one from 00:00 make one stretch across midnight
	night = WorkingCalendar({0: [(time(22), None)], 1: [(time(0), time(6))]}, tz="UTC")
	assert night.add_working_time(utc(2025, 6, 16, 23), 3 * HOUR) == utc(2025, 6, 17, 2)


def test_has_working_time_between():
	calendar = WorkingCalendar(NINE_TO_FIVE, [date(2025, 6, 16) + timedelta(days=n) for n in range(5)], KYIV)
	assert not calendar.has_working_time_between(date(2025, 6, 14), date(2025, 6, 23))
	assert calendar.has_working_time_between(date(2025, 6, 14), date(2025, 6, 24))
	assert not calendar.has_working_time_between(local(KYIV, 2025, 6, 23, 8), local(KYIV, 2025, 6, 23, 9))
	assert calendar.has_working_time_between(local(KYIV, 2025, 6, 23, 8), local(KYIV, 2025, 6, 23, 9, 1))


# Daylight saving and zones.


def test_kyiv_spring_forward_keeps_local_hours():
	calendar = WorkingCalendar(NINE_TO_FIVE, tz=KYIV)
	friday = local(KYIV, 2025, 3, 28, 16)  # +02:00
	due = calendar.add_working_time(friday, 2 * HOUR)
	assert due == local(KYIV, 2025, 3, 31, 10) == utc(2025, 3, 31, 7)  # +03:00 now
	assert calendar.working_seconds_between(friday, due) == 2 * HOUR


@pytest.mark.parametrize(
	("zone", "sunday", "hours"),
	[
		(KYIV, date(2025, 3, 30), 23),
		(KYIV, date(2025, 10, 26), 25),
		(WARSAW, date(2025, 3, 30), 23),
		(NEW_YORK, date(2025, 3, 9), 23),
		(NEW_YORK, date(2025, 11, 2), 25),
	],
)
def test_round_the_clock_counts_real_time_on_change_days(zone, sunday, hours):
	calendar = WorkingCalendar(ROUND_THE_CLOCK, tz=zone)
	start = datetime.combine(sunday, time(0), ZoneInfo(zone))
	end = datetime.combine(sunday + timedelta(days=1), time(0), ZoneInfo(zone))
	assert calendar.working_seconds_between(start, end) == hours * HOUR
	assert calendar.add_working_time(start, hours * HOUR) == end.astimezone(UTC)
	real_month = start.astimezone(UTC) + timedelta(days=30)  # not wall-clock arithmetic
	assert calendar.working_seconds_between(start, real_month) == 30 * 24 * HOUR


def test_new_york_nine_to_five_across_both_changes():
	calendar = WorkingCalendar(NINE_TO_FIVE, tz=NEW_YORK)
	assert calendar.next_working_instant(utc(2025, 3, 8)) == utc(2025, 3, 10, 13)  # EDT
	assert calendar.next_working_instant(utc(2025, 11, 1)) == utc(2025, 11, 3, 14)  # EST
	week = calendar.working_seconds_between(local(NEW_YORK, 2025, 10, 27), local(NEW_YORK, 2025, 11, 10))
	assert week == 80 * HOUR


def test_shift_edges_inside_the_changes():
	# Kyiv: 2025-03-30 03:00 jumps to 04:00; 2025-10-26 04:00 goes back to 03:00. Both are Sundays.
	sunday = 6
	gap = WorkingCalendar({sunday: [(time(3, 30), time(5))]}, tz=KYIV)
	assert gap.working_seconds_between(utc(2025, 3, 29), utc(2025, 3, 31)) == HOUR
	assert gap.next_working_instant(utc(2025, 3, 29)) == local(KYIV, 2025, 3, 30, 4)

	inside_gap = WorkingCalendar({sunday: [(time(3, 15), time(3, 45)), (time(9), time(10))]}, tz=KYIV)
	assert inside_gap.working_seconds_between(utc(2025, 3, 29), utc(2025, 3, 31)) == HOUR

	starts_in_repeat = WorkingCalendar({sunday: [(time(3, 30), time(8))]}, tz=KYIV)
	assert starts_in_repeat.working_seconds_between(utc(2025, 10, 25), utc(2025, 10, 27)) == 5.5 * HOUR

	ends_in_repeat = WorkingCalendar({sunday: [(time(1), time(3, 30))]}, tz=KYIV)
	assert ends_in_repeat.working_seconds_between(utc(2025, 10, 25), utc(2025, 10, 27)) == 2.5 * HOUR


def test_skipped_day_has_no_working_time():
	calendar = WorkingCalendar(ROUND_THE_CLOCK, tz="Pacific/Apia")
	start = local("Pacific/Apia", 2011, 12, 29)
	assert calendar.working_seconds_between(start, local("Pacific/Apia", 2011, 12, 31)) == 24 * HOUR


def test_input_zone_differs_from_policy_zone():
	calendar = WorkingCalendar(NINE_TO_FIVE, tz=KYIV)
	start = local(NEW_YORK, 2025, 6, 16, 9)  # 16:00 in Kyiv, Monday
	due = calendar.add_working_time(start, 2 * HOUR)
	assert due == local(KYIV, 2025, 6, 17, 10)
	assert due.tzinfo is UTC
	assert calendar.working_seconds_between(start.astimezone(ZoneInfo(WARSAW)), due) == 2 * HOUR


def test_naive_datetimes_are_refused_and_shell_conversions():
	calendar = WorkingCalendar(NINE_TO_FIVE)
	with pytest.raises(NaiveDatetimeError):
		calendar.add_working_time(datetime(2025, 6, 16, 9), 60)
	with pytest.raises(NaiveDatetimeError):
		calendar.working_seconds_between(utc(2025, 6, 16), datetime(2025, 6, 17))
	stored = datetime(2025, 10, 26, 3, 30)  # repeated in Kyiv: the first occurrence
	assert from_naive(stored, KYIV) == utc(2025, 10, 26, 0, 30)
	assert to_naive(utc(2025, 10, 26, 0, 30), KYIV) == stored
	kyiv = WorkingCalendar(NINE_TO_FIVE, tz=KYIV)
	due = kyiv.add_working_time(from_naive(datetime(2025, 6, 16, 9), KYIV), 60)
	assert to_naive(due, KYIV) == datetime(2025, 6, 16, 9, 1)
	assert to_naive(due, NEW_YORK) == datetime(2025, 6, 16, 2, 1)


def test_durations():
	calendar = WorkingCalendar(NINE_TO_FIVE)
	start = utc(2025, 6, 16, 9)
	assert calendar.add_working_time(start, timedelta(hours=1)) == utc(2025, 6, 16, 10)
	with pytest.raises(sla.InvalidDuration):
		calendar.add_working_time(start, -1)
	with pytest.raises(sla.InvalidDuration):
		calendar.add_working_time(start, float("nan"))
	assert calendar.working_seconds_between(utc(2025, 6, 17), start) == 0


# Invalid calendars.


@pytest.mark.parametrize(
	("weekly", "tz", "error"),
	[
		({0: [(time(13), time(9))]}, "UTC", ShiftEndsBeforeStart),
		({0: [(time(9), time(9))]}, "UTC", ShiftEndsBeforeStart),
		({2: [(time(9), time(13)), (time(12), time(18))]}, "UTC", OverlappingShifts),
		({2: [(time(9), None), (time(9), None)]}, "UTC", OverlappingShifts),
		({}, "UTC", NoWorkingTime),
		({5: [], 6: []}, "UTC", NoWorkingTime),
		(NINE_TO_FIVE, "Mars/Olympus_Mons", UnknownTimeZone),
		(NINE_TO_FIVE, "", UnknownTimeZone),
		(NINE_TO_FIVE, "../etc/passwd", UnknownTimeZone),
		({7: [(time(9), time(17))]}, "UTC", sla.InvalidWeekday),
		({0: [(time(9),)]}, "UTC", sla.InvalidShift),
		({0: [("09:00", "17:00")]}, "UTC", sla.InvalidShift),
	],
)
def test_invalid_calendars(weekly, tz, error):
	with pytest.raises(error) as raised:
		WorkingCalendar(weekly, tz=tz)
	assert isinstance(raised.value, CalendarError)
	assert isinstance(raised.value, ValueError)
	assert raised.value.reason


def test_holidays_must_be_dates():
	with pytest.raises(sla.InvalidHoliday):
		WorkingCalendar(NINE_TO_FIVE, ["2025-06-16"])
	as_datetimes = WorkingCalendar(NINE_TO_FIVE, [datetime(2025, 6, 16, 12)])
	assert as_datetimes.next_working_instant(utc(2025, 6, 16)) == utc(2025, 6, 17, 9)


def test_error_messages_are_clear():
	with pytest.raises(OverlappingShifts, match="Wednesday: the shifts 09:00-13:00 and 12:00-24:00 overlap"):
		WorkingCalendar({2: [(time(12), None), (time(9), time(13))]})
	with pytest.raises(ShiftEndsBeforeStart, match="Monday: the shift 13:00-09:00 must end after it starts"):
		WorkingCalendar({0: [(time(13), time(9))]})


# Pauses.


def test_pauses_outside_and_inside_working_hours():
	calendar = WorkingCalendar(NINE_TO_FIVE, tz="UTC")
	start = utc(2025, 6, 16, 9)
	overnight = [Interval(utc(2025, 6, 16, 18), utc(2025, 6, 17, 8))]
	assert deadline_with_pauses(calendar, start, 10 * HOUR, overnight) == utc(2025, 6, 17, 11)
	lunch = [Interval(utc(2025, 6, 16, 12), utc(2025, 6, 16, 13))]
	assert deadline_with_pauses(calendar, start, 10 * HOUR, lunch) == utc(2025, 6, 17, 12)
	assert working_seconds_elapsed(calendar, start, utc(2025, 6, 16, 15), lunch) == 5 * HOUR


def test_overlapping_pauses_are_merged():
	calendar = WorkingCalendar(NINE_TO_FIVE, tz="UTC")
	start = utc(2025, 6, 16, 9)
	pauses = [
		Interval(utc(2025, 6, 16, 10), utc(2025, 6, 16, 12)),
		Interval(utc(2025, 6, 16, 11), utc(2025, 6, 16, 13)),
		Interval(utc(2025, 6, 16, 12, 30), utc(2025, 6, 16, 12, 45)),
	]
	assert working_seconds_elapsed(calendar, start, utc(2025, 6, 16, 17), pauses) == 5 * HOUR
	assert deadline_with_pauses(calendar, start, 5 * HOUR, pauses) == utc(2025, 6, 16, 17)


def test_open_pause_leaves_the_deadline_open_until_it_ends():
	calendar = WorkingCalendar(NINE_TO_FIVE, tz="UTC")
	start = utc(2025, 6, 16, 9)
	waiting = [Interval(utc(2025, 6, 16, 11))]
	assert deadline_with_pauses(calendar, start, 4 * HOUR, waiting) is None
	now = utc(2025, 6, 17, 12)
	assert working_seconds_elapsed(calendar, start, now, waiting) == 2 * HOUR
	reading = read_clock(calendar, start, 4 * HOUR, now, waiting)
	assert (reading.state, reading.paused, reading.due, reading.remaining_seconds) == (
		PAUSED,
		True,
		None,
		2 * HOUR,
	)
	# a pause opened after the target was reached does not move the deadline
	late = [Interval(utc(2025, 6, 16, 15))]
	assert deadline_with_pauses(calendar, start, 4 * HOUR, late) == utc(2025, 6, 16, 13)
	assert read_clock(calendar, start, 4 * HOUR, now, late).state == BREACHED


def test_pause_before_start_and_zero_target():
	calendar = WorkingCalendar(NINE_TO_FIVE, tz="UTC")
	start = utc(2025, 6, 16, 10)
	early = [Interval(utc(2025, 6, 16, 8), utc(2025, 6, 16, 11))]
	assert deadline_with_pauses(calendar, start, HOUR, early) == utc(2025, 6, 16, 12)
	assert working_seconds_elapsed(calendar, start, utc(2025, 6, 16, 12), early) == HOUR
	assert deadline_with_pauses(calendar, start, 0, early) == utc(2025, 6, 16, 11)
	with pytest.raises(sla.InvalidInterval):
		Interval(utc(2025, 6, 16, 11), utc(2025, 6, 16, 10))


@st.composite
def pause_lists(draw, start: datetime) -> list[Interval]:
	pauses = []
	for _ in range(draw(st.integers(0, 5))):
		begin = start + MINUTE * draw(st.integers(-1440, 14 * 1440))
		pauses.append(Interval(begin, begin + MINUTE * draw(st.integers(0, 3 * 1440))))
	return pauses


@settings(max_examples=200, deadline=None)
@given(cases(), st.data())
def test_deadline_with_pauses_agrees_with_elapsed_time(case, data):
	spec, start = case
	calendar = spec.calendar()
	pauses = data.draw(pause_lists(start))
	target = data.draw(st.integers(1, 2 * weekly_minutes(spec))) * 60
	due = deadline_with_pauses(calendar, start, target, pauses)
	assert working_seconds_elapsed(calendar, start, due, pauses) == target
	assert working_seconds_elapsed(calendar, start, due - timedelta(microseconds=1), pauses) < target
	risky = at_risk_from(calendar, start, target, pauses, 0.25)
	assert working_seconds_elapsed(calendar, start, risky, pauses) == target * 0.75
	assert risky <= due


# States.


def test_sla_states():
	due, risky = utc(2025, 6, 16, 17), utc(2025, 6, 16, 15)
	assert sla_state(due, risky, utc(2025, 6, 16, 14)) == ON_TRACK
	assert sla_state(due, risky, utc(2025, 6, 16, 15)) == AT_RISK
	assert sla_state(due, risky, due) == AT_RISK
	assert sla_state(due, risky, utc(2025, 6, 16, 17, 0, 1)) == BREACHED
	assert sla_state(due, risky, utc(2025, 6, 20), fulfilled_at=due) == MET
	assert sla_state(due, risky, utc(2025, 6, 20), fulfilled_at=utc(2025, 6, 16, 18)) == BREACHED
	assert sla_state(None, risky, utc(2025, 6, 20)) == PAUSED


def test_at_risk_instant_and_clock_readings():
	calendar = WorkingCalendar(NINE_TO_FIVE, tz="UTC")
	start = utc(2025, 6, 16, 9)
	assert at_risk_from(calendar, start, 10 * HOUR) == utc(2025, 6, 16, 17)  # 8 of 10 hours used
	assert at_risk_from(calendar, start, 10 * HOUR, fraction=0) == utc(2025, 6, 17, 11)
	with pytest.raises(sla.InvalidDuration):
		at_risk_from(calendar, start, HOUR, fraction=1.5)

	reading = read_clock(calendar, start, 10 * HOUR, utc(2025, 6, 17, 10))
	assert reading.state == AT_RISK
	assert (reading.due, reading.at_risk_on) == (utc(2025, 6, 17, 11), utc(2025, 6, 16, 17))
	assert (reading.elapsed_seconds, reading.remaining_seconds) == (9 * HOUR, HOUR)

	on_time = read_clock(calendar, start, 10 * HOUR, utc(2025, 6, 20), fulfilled_at=utc(2025, 6, 17, 10))
	assert (on_time.state, on_time.at_risk_on, on_time.elapsed_seconds) == (MET, None, 9 * HOUR)
	late = read_clock(calendar, start, 10 * HOUR, utc(2025, 6, 20), fulfilled_at=utc(2025, 6, 17, 12))
	assert (late.state, late.remaining_seconds) == (BREACHED, -HOUR)

	# resolved while on hold: the pause ends with the fulfilment
	held = [Interval(utc(2025, 6, 16, 10))]
	done = read_clock(calendar, start, 10 * HOUR, utc(2025, 6, 20), held, fulfilled_at=utc(2025, 6, 16, 12))
	assert (done.state, done.paused, done.elapsed_seconds, done.due) == (
		MET,
		False,
		HOUR,
		utc(2025, 6, 17, 13),
	)


def test_pauses_and_fulfilment_from_status_history():
	history = [
		(utc(2025, 6, 16, 9), "Open"),
		(utc(2025, 6, 16, 10), "On Hold"),
		(utc(2025, 6, 16, 11), "Replied"),
		(utc(2025, 6, 16, 12), "Open"),
		(utc(2025, 6, 16, 13), "Resolved"),
		(utc(2025, 6, 16, 14), "Open"),
		(utc(2025, 6, 16, 15), "On Hold"),
	]
	paused = {"On Hold"}
	assert pauses_and_fulfilment(history, paused, {"Replied"}, once=True) == (
		[Interval(utc(2025, 6, 16, 10), utc(2025, 6, 16, 11))],
		utc(2025, 6, 16, 11),
	)
	# reopened after resolving: the resolved hour counted as a pause, the last hold is still open
	assert pauses_and_fulfilment(history, paused, {"Resolved", "Closed"}) == (
		[
			Interval(utc(2025, 6, 16, 10), utc(2025, 6, 16, 11)),
			Interval(utc(2025, 6, 16, 13), utc(2025, 6, 16, 14)),
			Interval(utc(2025, 6, 16, 15)),
		],
		None,
	)
	closed = [*history, (utc(2025, 6, 16, 16), "Resolved"), (utc(2025, 6, 17, 9), "Closed")]
	pauses, fulfilled_at = pauses_and_fulfilment(closed, paused, {"Resolved", "Closed"})
	assert fulfilled_at == utc(2025, 6, 16, 16)
	assert pauses[-1] == Interval(utc(2025, 6, 16, 15), utc(2025, 6, 16, 16))


# Choice of policy.


def test_choose_policy():
	default = PolicyRule("Standard", default=True)
	high = PolicyRule("High priority", priorities={"High", "Urgent"})
	gold_high = PolicyRule("Gold high", priorities={"High"}, customer_groups={"Gold"})
	acme = PolicyRule("Acme", customers={"Acme"}, order=1)
	europe = PolicyRule("Europe", territories={"Europe"}, order=0)
	excluded = PolicyRule(
		"VIP only", priorities={"High"}, customer_groups={"Gold"}, territories={"Europe"}, condition=False
	)
	policies = [default, high, gold_high, acme, europe, excluded]

	assert choose_policy(policies, IssueFacts(priority="Low")) == default
	assert choose_policy(policies, IssueFacts(priority="Urgent")) == high
	gold = IssueFacts(
		priority="High", customer_groups=("Gold", "All Customer Groups"), territories=("Europe",)
	)
	assert choose_policy(policies, gold) == gold_high  # two conditions beat one; the excluded one is out
	assert choose_policy(policies, IssueFacts(customer="Acme", territories=("Poland", "Europe"))) == europe
	assert choose_policy([high], IssueFacts(priority="Low")) is None
	assert PolicyRule("x", priorities="High", condition=True).specificity == 2
	assert choose_policy([PolicyRule("b"), PolicyRule("a")], IssueFacts()).name == "a"
	bugs = PolicyRule("Bugs", issue_types={"Bug"})
	assert choose_policy([default, bugs], IssueFacts(issue_type="Bug")) == bugs
	assert choose_policy([default, bugs], IssueFacts(issue_type="Question")) == default
