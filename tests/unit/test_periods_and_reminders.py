from datetime import date, datetime

import pytest

from crm_app.core import periods, pipeline, reminders


def test_period_end_for_month_and_quarter():
	assert periods.period_end("Month", date(2026, 2, 1)) == date(2026, 2, 28)
	assert periods.period_end("Quarter", date(2026, 10, 1)) == date(2026, 12, 31)


@pytest.mark.parametrize(
	"kind,start,reason",
	[
		("Month", date(2026, 2, 3), "not_first_day"),
		("Quarter", date(2026, 2, 1), "not_quarter_start"),
		("Year", date(2026, 1, 1), "unknown_period"),
	],
)
def test_period_errors(kind, start, reason):
	with pytest.raises(periods.PeriodError) as caught:
		periods.period_end(kind, start)
	assert caught.value.reason == reason


def test_months_between_and_closed():
	assert periods.months_between(date(2026, 11, 15), date(2027, 1, 2)) == [
		date(2026, 11, 1),
		date(2026, 12, 1),
		date(2027, 1, 1),
	]
	assert periods.quarter_start(date(2026, 11, 23)) == date(2026, 10, 1)
	assert periods.is_closed(date(2026, 9, 30), date(2026, 10, 1))
	assert not periods.is_closed(date(2026, 9, 30), date(2026, 9, 30))


TODAY = date(2026, 11, 23)


def test_follow_ups_due_today_and_overdue():
	rows = [
		("CX Lead", "L1", "Ada", "u1", TODAY),
		("CX Lead", "L2", "Bob", "u1", date(2026, 11, 20)),
		("CX Lead", "L3", "Cy", "u2", date(2026, 11, 24)),
		("CX Lead", "L4", "Di", None, TODAY),
	]
	found = reminders.follow_ups(rows, TODAY)
	assert [(r.kind, r.name) for r in found] == [
		(reminders.FOLLOW_UP_OVERDUE, "L2"),
		(reminders.FOLLOW_UP_DUE, "L1"),
	]


def test_follow_ups_are_capped_per_user_most_overdue_first():
	rows = [("CX Lead", f"L{day}", "x", "u1", date(2026, 11, day)) for day in (20, 3, 15, 23)]
	rows.append(("CX Lead", "M1", "y", "u2", TODAY))
	found = reminders.follow_ups(rows, TODAY, per_user=2)
	assert [(r.user, r.name) for r in found] == [("u1", "L3"), ("u1", "L15"), ("u2", "M1")]


def test_reminder_keys_fit_the_log_whatever_the_names():
	long_user = "a" * 130 + "@example.com"
	reminder = reminders.Reminder(reminders.STALE_LEAD, "CX Lead", "N" * 140, "t", long_user, TODAY)
	same = reminders.Reminder(reminders.STALE_LEAD, "CX Lead", "N" * 140, "other title", long_user, TODAY)
	later = reminders.Reminder(reminders.STALE_LEAD, "CX Lead", "N" * 140, "t", long_user, date(2026, 11, 24))
	assert len(reminder.key) <= 140
	assert reminder.key == same.key != later.key


def test_stale_is_oldest_first_and_capped_per_user():
	rows = [
		("L1", "a", "u1", date(2026, 10, 1)),
		("L2", "b", "u1", date(2026, 9, 1)),
		("L3", "c", "u1", date(2026, 11, 20)),  # contacted recently
		("L4", "d", "u1", date(2026, 8, 1)),
	]
	found = reminders.stale(reminders.STALE_LEAD, "CX Lead", rows, TODAY, days=14, per_user=2)
	assert [r.name for r in found] == ["L4", "L2"]


def test_keys_make_reminders_idempotent_but_new_dates_count_again():
	first = reminders.follow_ups([("CX Lead", "L1", "Ada", "u1", TODAY)], TODAY)
	sent = {r.key for r in first}
	assert reminders.unsent(first, sent) == []
	moved = reminders.follow_ups([("CX Lead", "L1", "Ada", "u1", date(2026, 11, 22))], TODAY)
	assert len(reminders.unsent(moved, sent)) == 1
	assert len(reminders.unsent(first + first, set())) == 1


def test_past_close_date():
	rows = [("O1", "Deal", "u1", date(2026, 11, 22)), ("O2", "Deal", "u1", TODAY)]
	assert [r.name for r in reminders.past_close_date(rows, TODAY)] == ["O1"]


@pytest.mark.parametrize(
	"kw,expected",
	[
		(
			{
				"status": "Won",
				"stage_category": "Commit",
				"current": "Pipeline",
				"stage_changed": False,
				"edited": False,
			},
			"Closed",
		),
		(
			{
				"status": "Lost",
				"stage_category": "Commit",
				"current": None,
				"stage_changed": False,
				"edited": False,
			},
			"Omitted",
		),
		(
			{
				"status": "Open",
				"stage_category": "Commit",
				"current": None,
				"stage_changed": False,
				"edited": False,
			},
			"Commit",
		),
		(
			{
				"status": "Open",
				"stage_category": "Commit",
				"current": "Best Case",
				"stage_changed": True,
				"edited": False,
			},
			"Commit",
		),
		(
			{
				"status": "Open",
				"stage_category": "Commit",
				"current": "Best Case",
				"stage_changed": True,
				"edited": True,
			},
			"Best Case",
		),
		(
			{
				"status": "Open",
				"stage_category": "Pipeline",
				"current": "Closed",
				"stage_changed": False,
				"edited": False,
			},
			"Pipeline",
		),
	],
)
def test_forecast_category(kw, expected):
	assert pipeline.forecast_category(**kw) == expected


def test_days_between_and_rate():
	assert pipeline.days_between(datetime(2026, 1, 1), datetime(2026, 1, 2, 12)) == 1.5
	assert pipeline.days_between(None, datetime(2026, 1, 1)) == 0.0
	assert pipeline.rate(1, 3) == 33.3
	assert pipeline.rate(1, 0) == 0.0
