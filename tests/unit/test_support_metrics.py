from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_app.core import support_metrics as m


def test_weeks_start_on_the_given_weekday_and_the_last_period_ends_with_the_range():
	periods = m.Periods(date(2021, 1, 6), date(2021, 1, 20), m.WEEKLY, week_starts_on=0)
	assert periods.starts == [date(2021, 1, 4), date(2021, 1, 11), date(2021, 1, 18)]
	assert periods.last_day(date(2021, 1, 18)) == date(2021, 1, 20)
	assert periods.last_day(date(2021, 1, 4)) == date(2021, 1, 10)
	sunday_weeks = m.Periods(date(2021, 1, 6), date(2021, 1, 9), m.WEEKLY, week_starts_on=6)
	assert sunday_weeks.starts == [date(2021, 1, 3)]


def test_months_and_days():
	months = m.Periods(date(2021, 1, 31), date(2021, 3, 1), m.MONTHLY)
	assert months.starts == [date(2021, 1, 1), date(2021, 2, 1), date(2021, 3, 1)]
	assert months.last_day(date(2021, 2, 1)) == date(2021, 2, 28)
	days = m.Periods(date(2021, 2, 27), date(2021, 3, 1), m.DAILY)
	assert days.starts == [date(2021, 2, 27), date(2021, 2, 28), date(2021, 3, 1)]


@given(st.dates(date(2000, 1, 1), date(2030, 1, 1)), st.integers(0, 800), st.sampled_from(m.PERIODICITIES))
def test_the_count_of_periods_is_the_length_of_their_list(start, days, periodicity):
	periods = m.Periods(
		start, start + timedelta(days=days), periodicity, week_starts_on=(start.weekday() - 2) % 7
	)
	assert periods.count == len(periods.starts)


def test_bad_periods_are_refused():
	with pytest.raises(m.UnknownPeriodicity):
		m.Periods(date(2021, 1, 1), date(2021, 1, 2), "Hourly")
	with pytest.raises(m.EmptyPeriod):
		m.Periods(date(2021, 1, 2), date(2021, 1, 1))
	with pytest.raises(m.TooManyPeriods):
		m.Periods(date(2000, 1, 1), date(2021, 1, 1), m.DAILY)
	with pytest.raises(m.TooManyPeriods):
		m.Periods(date(1, 1, 1), date(9999, 12, 31), m.MONTHLY)
	assert m.Periods(date(1950, 1, 1), date(2029, 12, 31), m.MONTHLY).count == 960


def test_last_days_is_frappes_last_30_days():
	assert m.last_days(date(2021, 3, 31), 30) == (date(2021, 3, 1), date(2021, 3, 31))


def test_backlog_is_the_start_plus_what_opened_minus_what_was_resolved():
	periods = m.Periods(date(2021, 1, 4), date(2021, 1, 17), m.WEEKLY)
	opened = [(date(2021, 1, 4), "Bug", 3), (date(2021, 1, 5), "Question", 1), (date(2021, 1, 12), "Bug", 2)]
	resolved = [
		(date(2021, 1, 6), "Bug", 1),
		(date(2021, 1, 13), "Bug", 3),
		(date(2021, 1, 14), "Billing", 1),
	]
	flow, keys = m.issue_flow(periods, opened, resolved, [("Bug", 1), ("Billing", 2)])
	assert keys == ["Bug", "Question", "Billing"]  # most opened first
	first, second = flow
	assert (first.total.opened, first.total.resolved, first.total.backlog) == (4, 1, 6)
	assert first.by_key["Bug"] == m.Flow(3, 1, 3)
	assert first.by_key["Billing"] == m.Flow(0, 0, 2)
	assert (second.total.opened, second.total.resolved, second.total.backlog) == (2, 4, 4)
	assert second.by_key["Bug"] == m.Flow(2, 3, 2)
	assert second.by_key["Billing"] == m.Flow(0, 1, 1)


@given(
	st.lists(st.tuples(st.integers(0, 59), st.sampled_from("ab"), st.integers(1, 3))),
	st.lists(st.tuples(st.integers(0, 59), st.sampled_from("ab"), st.integers(1, 3))),
	st.sampled_from(m.PERIODICITIES),
)
def test_totals_are_the_sum_of_the_breakdown(opened, resolved, periodicity):
	start = date(2021, 1, 1)
	periods = m.Periods(start, start + timedelta(days=59), periodicity)
	as_days = [(start + timedelta(days=offset), key, n) for offset, key, n in opened]
	done = [(start + timedelta(days=offset), key, n) for offset, key, n in resolved]
	flow, _keys = m.issue_flow(periods, as_days, done, [])
	assert sum(p.total.opened for p in flow) == sum(n for *_x, n in opened)
	for period in flow:
		assert period.total.backlog == sum(f.backlog for f in period.by_key.values())
	assert flow[-1].total.backlog == sum(n for *_x, n in opened) - sum(n for *_x, n in resolved)


def test_percentiles_interpolate_between_ranks():
	assert m.percentile([], 0.5) is None
	assert m.percentile([7], 0.9) == 7
	assert m.percentile([1, 2, 3, 4], 0.5) == 2.5
	assert m.percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9) == pytest.approx(91)
	with pytest.raises(ValueError):
		m.percentile([1], 1.5)


def test_duration_stats_in_hours_with_negative_durations_as_zero():
	stats = m.duration_stats([3600, 7200, 10800, -500])
	assert stats == m.DurationStats(count=4, average=1.5, median=1.5, p90=2.7)
	assert m.duration_stats([]) == m.DurationStats()


def test_durations_are_grouped_per_period_key_and_overall():
	periods = m.Periods(date(2021, 1, 1), date(2021, 2, 28), m.MONTHLY)
	grouped = m.group_durations(
		[(date(2021, 1, 5), "a", 10), (date(2021, 1, 9), "b", 20), (date(2021, 2, 1), "a", 30)], periods
	)
	assert grouped[date(2021, 1, 1), "a"] == [10]
	assert grouped[date(2021, 1, 1), None] == [10, 20]
	assert grouped[None, "a"] == [10, 30]
	assert grouped[None, None] == [10, 20, 30]


def test_rates_and_compliance():
	assert m.rate(1, 3) == 33.3
	assert m.rate(1, 0) is None
	assert m.compliance(3, 1) == 75.0
	assert m.compliance(0, 0) is None


def test_ratings():
	ratings = m.ratings_of([(5, 2), (4, 1), (1, 1), (0, 7), (None, 1)])
	assert ratings.count == 4
	assert ratings.average == 3.75
	assert ratings.satisfied == 75.0
	assert ratings.share(1) == 25.0
	assert m.ratings_of([]).average is None
