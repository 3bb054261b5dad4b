from datetime import date, datetime

import pytest

from crm_app.core.periods import add_months
from crm_app.core.sales_metrics import (
	CURRENT_QUARTER,
	LAST_90_DAYS,
	RepFigures,
	Target,
	attainment,
	days_idle,
	default_period,
	forecast_bucket,
	forecast_by_month,
	forecast_pivot,
	funnel,
	idle_since,
	monthly_targets,
	oldest_first,
	rep_figures,
	shares,
	stale_threshold,
	target_for_months,
)

JAN, FEB, MAR, APR = (date(2026, m, 1) for m in (1, 2, 3, 4))


# -- periods ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("day", "months", "expected"),
	[
		(date(2026, 1, 31), 1, date(2026, 2, 1)),
		(date(2026, 11, 15), 2, date(2027, 1, 1)),
		(date(2026, 3, 1), -3, date(2025, 12, 1)),
		(date(2026, 5, 20), 0, date(2026, 5, 1)),
	],
)
def test_add_months_lands_on_first_day(day, months, expected):
	assert add_months(day, months) == expected


def test_default_periods():
	assert default_period(CURRENT_QUARTER, date(2026, 11, 23)) == (date(2026, 10, 1), date(2026, 12, 31))
	assert default_period(CURRENT_QUARTER, date(2026, 2, 28)) == (date(2026, 1, 1), date(2026, 3, 31))
	assert default_period(LAST_90_DAYS, date(2026, 3, 31)) == (date(2025, 12, 31), date(2026, 3, 31))


# -- funnel -------------------------------------------------------------------------------------------


def test_funnel_conversions_from_previous_and_first_step():
	steps = funnel([("Leads", 200), ("Qualified", 50), ("Opportunities", 20), ("Won", 5)])
	assert [(s.step, s.count, s.from_previous, s.from_first) for s in steps] == [
		("Leads", 200, None, 100.0),
		("Qualified", 50, 25.0, 25.0),
		("Opportunities", 20, 40.0, 10.0),
		("Won", 5, 25.0, 2.5),
	]


def test_empty_funnel_has_no_division_by_zero():
	steps = funnel([("Leads", 0), ("Qualified", 0), ("Won", None)])
	assert [(s.count, s.from_previous, s.from_first) for s in steps] == [
		(0, None, 0.0),
		(0, 0.0, 0.0),
		(0, 0.0, 0.0),
	]


def test_funnel_step_may_exceed_the_previous_one():
	# Opportunities can come from leads created before the period.
	steps = funnel([("Leads", 4), ("Opportunities", 6)])
	assert steps[1].from_previous == 150.0


# -- targets ------------------------------------------------------------------------------------------


def test_quarter_target_spreads_evenly_over_its_months():
	monthly = monthly_targets([Target("ann", "Quarter", JAN, 90_000)])
	assert monthly == {("ann", JAN): 30_000, ("ann", FEB): 30_000, ("ann", MAR): 30_000}


def test_month_target_wins_over_the_quarter_share():
	monthly = monthly_targets([Target("ann", "Quarter", JAN, 90_000), Target("ann", "Month", FEB, 50_000)])
	assert monthly[("ann", JAN)] == 30_000
	assert monthly[("ann", FEB)] == 50_000
	assert monthly[("ann", MAR)] == 30_000


def test_targets_are_per_owner_and_add_up_in_the_same_slot():
	monthly = monthly_targets(
		[
			Target("ann", "Month", JAN, 10_000),
			Target("ann", "Month", JAN, 5_000),
			Target("bob", "Quarter", APR, 30_000),
			Target("bob", "Year", JAN, 1),  # unknown period types are ignored
		]
	)
	assert monthly == {
		("ann", JAN): 15_000,
		("bob", APR): 10_000,
		("bob", date(2026, 5, 1)): 10_000,
		("bob", date(2026, 6, 1)): 10_000,
	}


def test_target_for_months_and_attainment():
	monthly = monthly_targets([Target("ann", "Quarter", JAN, 90_000)])
	assert target_for_months(monthly, "ann", [FEB, MAR, APR]) == 60_000
	assert target_for_months(monthly, "bob", [FEB]) == 0
	assert attainment(45_000, 60_000) == 75.0
	assert attainment(45_000, 0) is None
	assert attainment(None, 10) == 0.0


# -- forecast -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("status", "category", "bucket"),
	[
		("Won", "Pipeline", "Closed"),
		("Won", None, "Closed"),
		("Lost", "Omitted", None),
		("Open", "Omitted", None),
		("Open", "Commit", "Commit"),
		("Open", "Best Case", "Best Case"),
		("Open", None, "Pipeline"),
		("Open", "", "Pipeline"),
		("Open", "Closed", "Pipeline"),
	],
)
def test_forecast_bucket(status, category, bucket):
	assert forecast_bucket(status, category) == bucket


def test_forecast_pivot_by_month_and_owner():
	rows = [
		(JAN, "ann", "Open", "Pipeline", 1_000),
		(JAN, "ann", "Open", None, 500),
		(JAN, "ann", "Open", "Commit", 2_000),
		(JAN, "ann", "Won", "Closed", 6_000),
		(JAN, "ann", "Open", "Omitted", 9_999),
		(JAN, "bob", "Open", "Best Case", 700),
		(FEB, "ann", "Won", "Pipeline", 3_000),
		(APR, "ann", "Won", "Closed", 1),  # outside the months asked for
	]
	targets = monthly_targets([Target("ann", "Quarter", JAN, 30_000), Target("cat", "Month", FEB, 4_000)])
	pivot = forecast_pivot(rows, targets, [JAN, FEB, MAR])
	table = {(r.month, r.owner): (r.amounts, r.total, r.target, r.attainment) for r in pivot}
	assert [(r.month, r.owner) for r in pivot] == [
		(JAN, "ann"),
		(JAN, "bob"),
		(FEB, "ann"),
		(FEB, "cat"),
		(MAR, "ann"),
	]
	assert table[(JAN, "ann")] == (
		{"Pipeline": 1_500, "Best Case": 0, "Commit": 2_000, "Closed": 6_000},
		9_500,
		10_000,
		60.0,
	)
	assert table[(JAN, "bob")][1:] == (700, 0, None)
	assert table[(FEB, "ann")][0]["Closed"] == 3_000
	assert table[(FEB, "cat")] == (
		dict.fromkeys(("Pipeline", "Best Case", "Commit", "Closed"), 0),
		0,
		4_000,
		0.0,
	)
	assert table[(MAR, "ann")][2:] == (10_000, 0.0)


def test_forecast_by_month_totals_every_month():
	rows = [(JAN, "ann", "Open", "Commit", 100), (JAN, "bob", "Won", None, 50)]
	targets = {("ann", JAN): 1_000, ("bob", JAN): 500}
	totals = forecast_by_month(forecast_pivot(rows, targets, [JAN, FEB]), [JAN, FEB])
	assert list(totals) == [JAN, FEB]
	assert totals[JAN] == {"Pipeline": 0, "Best Case": 0, "Commit": 100, "Closed": 50, "target": 1_500}
	assert totals[FEB] == {"Pipeline": 0, "Best Case": 0, "Commit": 0, "Closed": 0, "target": 0}


# -- rep performance ----------------------------------------------------------------------------------


def test_rep_figures_merge_every_source():
	reps = rep_figures(
		leads=[("ann", 4, 1, 7200), ("bob", 2, 0, None)],
		deals=[("ann", 3, 1, 30_000, 12.333), ("cat", 0, 2, 0, None)],
		activities={"calls": [("ann", 5), ("dan", 1)], "meetings": [("ann", 2)], "emails": [("bob", 3)]},
		targets={"ann": 60_000, "eve": 0},
	)
	by_owner = {rep.owner: rep for rep in reps}
	assert list(by_owner) == ["ann", "bob", "cat", "dan"]
	ann = by_owner["ann"]
	assert (ann.leads, ann.converted, ann.conversion_rate, ann.response_hours) == (4, 1, 25.0, 2.0)
	assert (ann.won, ann.lost, ann.win_rate, ann.won_amount, ann.average_deal) == (3, 1, 75.0, 30_000, 10_000)
	assert ann.cycle_days == 12.3
	assert (ann.calls, ann.meetings, ann.emails, ann.activities) == (5, 2, 0, 7)
	assert (ann.target, ann.attainment) == (60_000, 50.0)
	cat = by_owner["cat"]
	assert (cat.win_rate, cat.average_deal, cat.cycle_days, cat.attainment) == (0.0, 0.0, None, None)
	assert by_owner["bob"].response_hours is None
	assert by_owner["bob"].activities == 3


def test_rep_without_anything_has_neutral_figures():
	rep = RepFigures("ann")
	assert (rep.conversion_rate, rep.win_rate, rep.average_deal, rep.activities, rep.attainment) == (
		0.0,
		0.0,
		0.0,
		0,
		None,
	)


# -- shares -------------------------------------------------------------------------------------------


def test_shares_of_count_and_amount_largest_first():
	rows = shares([("Price", 1, 500), ("Timing", 3, 1_500), (None, 1, 0)], total_count=5, total_amount=2_000)
	assert [(r.label, r.count, r.count_share, r.amount, r.amount_share) for r in rows] == [
		("Timing", 3, 60.0, 1_500, 75.0),
		("Price", 1, 20.0, 500, 25.0),
		("", 1, 20.0, 0, 0.0),
	]


def test_overlapping_groups_use_the_given_totals():
	rows = shares([("Rival A", 2, 200), ("Rival B", 2, 200)], total_count=2, total_amount=200)
	assert [r.count_share for r in rows] == [100.0, 100.0]
	assert shares([], 0, 0) == []


# -- stale work ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	("requested", "setting", "expected"),
	[(30, 7, 30), (None, 7, 7), (0, 7, 7), (None, None, 14), (-3, 0, 14)],
)
def test_stale_threshold(requested, setting, expected):
	assert stale_threshold(requested, setting) == expected


def test_idle_days():
	today = date(2026, 3, 15)
	assert idle_since(14, today) == date(2026, 3, 1)
	assert days_idle(datetime(2026, 3, 1, 23, 59), today) == 14
	assert days_idle(date(2026, 3, 14), today) == 1
	assert days_idle(datetime(2026, 3, 16, 8, 0), today) == 0
	assert days_idle(None, today) == 0


def test_oldest_first_with_limit():
	rows = [
		{"name": "b", "last_activity": datetime(2026, 1, 2)},
		{"name": "a", "last_activity": datetime(2026, 1, 2)},
		{"name": "c", "last_activity": datetime(2025, 12, 1)},
	]
	assert [r["name"] for r in oldest_first(rows, 2)] == ["c", "a"]
