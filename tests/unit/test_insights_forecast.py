"""Demand forecasts: monthly series, ETS with holdout MASE against seasonal naive (crm_app/core/insights/forecast.py)."""

import math
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_app.core.insights import forecast as fc

LAST = date(2026, 10, 1)  # October 2026 is the last complete month
SEASON = (10, 12, 15, 20, 26, 30, 31, 28, 22, 16, 12, 11)


def trended_seasonal(months: int) -> list[float]:
	return [100 + 2 * t + SEASON[t % 12] for t in range(months)]


# -- months and series ---------------------------------------------------------------------------------


def test_month_numbers_round_trip():
	assert fc.month_start(fc.month_number(date(2026, 1, 31))) == date(2026, 1, 1)
	assert fc.month_number(date(2026, 1, 1)) - fc.month_number(date(2025, 12, 31)) == 1
	assert fc.month_start(fc.month_number(date(2025, 12, 9)) + 2) == date(2026, 2, 1)


def test_monthly_series_nets_clips_and_windows():
	rows = [
		("A", date(2026, 8, 3), 5),
		("A", date(2026, 8, 20), 2),
		("A", date(2026, 10, 31), 4),
		("A", date(2026, 10, 2), -1),  # a return nets within its month
		("A", date(2026, 11, 2), 50),  # after the last complete month: ignored
		("A", date(2030, 1, 1), 50),  # a future date: ignored
		("A", date(2026, 4, 30), 9),  # before the 6-month window: ignored
		("B", date(2026, 6, 1), 3),
		("B", date(2026, 7, 1), -8),  # returns beyond sales: no negative demand
		("C", date(2026, 9, 1), 2),
		("C", date(2026, 9, 5), -2),  # no net sale in the window: left out
		("D", date(2026, 9, 1), 0),
	]
	first, series = fc.monthly_series(rows, last_month=LAST, history_months=6)
	assert first == date(2026, 5, 1)
	# A starts at its first sale (August): the months before it are not zero demand.
	assert series == {"A": [7.0, 0.0, 3.0], "B": [3.0, 0.0, 0.0, 0.0, 0.0]}


def test_monthly_series_with_no_rows_is_empty():
	assert fc.monthly_series([], last_month=LAST, history_months=36) == (date(2023, 11, 1), {})
	with pytest.raises(fc.ForecastError):
		fc.monthly_series([], last_month=LAST, history_months=0)


def test_minimum_history_is_holdout_plus_season_plus_scale():
	assert fc.min_history_months(12, 6) == 24
	assert fc.min_history_months(1, 3) == 3 + 1 + fc.MIN_SCALE_DIFFERENCES


@pytest.mark.parametrize(
	"settings_, fragment",
	[
		({"history_months": 36, "horizon": 6, "season_length": 0}, "season length"),
		({"history_months": 36, "horizon": 6, "season_length": 25}, "season length"),
		({"history_months": 36, "horizon": 0, "season_length": 12}, "horizon"),
		({"history_months": 36, "horizon": 6, "season_length": 12, "level": 100}, "interval"),
		({"history_months": 23, "horizon": 6, "season_length": 12}, "at least 24 months"),
	],
)
def test_settings_that_cannot_work_are_refused(settings_, fragment):
	with pytest.raises(fc.ForecastError, match=fragment):
		fc.check_settings(**settings_)


def test_sound_settings_pass():
	fc.check_settings(history_months=36, horizon=6, season_length=12)


# -- one series ----------------------------------------------------------------------------------------


def test_short_series_has_not_enough_history():
	result = fc.forecast_one("A", date(2025, 1, 1), [5.0] * 23, horizon=6, season_length=12)
	assert result.status == fc.NOT_ENOUGH_HISTORY
	assert result.mean == () and result.mase is None


def test_known_trended_seasonal_series_beats_seasonal_naive():
	history = trended_seasonal(36)
	result = fc.forecast_one("A", date(2023, 11, 1), history, horizon=6, season_length=12)
	assert result.status == fc.FORECAST
	assert result.method.startswith("ETS(A,") and result.method.endswith(",A)")
	# Every seasonal difference is the trend over a year, 24: that is the MASE scale, and seasonal naive misses
	# each holdout month by exactly 24, so its MASE is 1.
	assert result.naive_mase == pytest.approx(1.0)
	assert result.mase < 0.5
	truth = [100 + 2 * t + SEASON[t % 12] for t in range(36, 42)]
	for predicted, actual in zip(result.mean, truth, strict=True):
		assert predicted == pytest.approx(actual, rel=0.05)
	assert result.forecast_months() == [date(2026, 11, 1), date(2026, 12, 1)] + [
		date(2027, m, 1) for m in range(1, 5)
	]


def test_intervals_hold_the_forecast_and_widen():
	history = [50 + 10 * math.sin(2 * math.pi * t / 12) + (7 if t % 3 == 0 else -4) for t in range(36)]
	result = fc.forecast_one("A", date(2023, 11, 1), history, horizon=6, season_length=12, level=95)
	assert all(lo <= mid <= hi for lo, mid, hi in zip(result.lower, result.mean, result.upper, strict=True))
	assert result.upper[-1] - result.lower[-1] >= result.upper[0] - result.lower[0]


def test_narrower_level_gives_narrower_band():
	history = [50 + 10 * math.sin(2 * math.pi * t / 12) + (7 if t % 3 == 0 else -4) for t in range(36)]
	wide = fc.forecast_one("A", date(2023, 11, 1), history, horizon=6, season_length=12, level=95)
	narrow = fc.forecast_one("A", date(2023, 11, 1), history, horizon=6, season_length=12, level=80)
	assert narrow.upper[0] - narrow.lower[0] < wide.upper[0] - wide.lower[0]


def test_less_than_two_seasons_of_training_is_not_seasonal():
	history = trended_seasonal(26)  # 20 months of training: under two seasons
	result = fc.forecast_one("A", date(2024, 9, 1), history, horizon=6, season_length=12)
	assert result.status == fc.FORECAST
	assert result.method.endswith(",N)")


def test_flat_history_falls_back_to_seasonal_naive_without_mase():
	result = fc.forecast_one("A", date(2023, 11, 1), [4.0] * 30, horizon=6, season_length=12)
	assert result.method == fc.SEASONAL_NAIVE
	assert result.mean == (4.0,) * 6 and result.lower == (4.0,) * 6 and result.upper == (4.0,) * 6
	assert result.mase is None and result.naive_mase is None  # no in-sample error: no scale


def test_seasonal_naive_interval_by_hand():
	import numpy as np

	# Seasonal differences (season 2) of [1, 3, 2, 5, 4, 6]: 1, 2, 2, 1 -> rms sqrt(2.5).
	mean, lower, upper = fc._seasonal_naive_interval(np.array([1, 3, 2, 5, 4, 6.0]), 3, 2, 80)
	sigma, z = math.sqrt(2.5), 1.2815515655446004
	assert list(mean) == [4.0, 6.0, 4.0]
	assert list(upper - mean) == pytest.approx([z * sigma, z * sigma, z * sigma * math.sqrt(2)])
	assert list(mean - lower) == pytest.approx(list(upper - mean))


def test_forecasts_are_never_negative():
	history = [30 - t for t in range(30)]  # falling to zero
	result = fc.forecast_one("A", date(2024, 5, 1), history, horizon=6, season_length=12)
	assert min(result.lower) >= 0 and min(result.mean) >= 0


def test_season_of_one_month():
	history = [20 + (t % 5) for t in range(20)]
	result = fc.forecast_one("A", date(2025, 3, 1), history, horizon=3, season_length=1)
	assert result.status == fc.FORECAST and result.mase is not None and result.naive_mase is not None


# -- many series ---------------------------------------------------------------------------------------


def test_forecast_all_keeps_order_reports_progress_and_summarizes():
	series = {("A", ""): trended_seasonal(36), ("B", "North"): [3.0] * 10, ("C", ""): [4.0] * 30}
	progress = []
	results = fc.forecast_all(
		series,
		last_month=LAST,
		horizon=6,
		season_length=12,
		chunk_size=2,
		on_progress=lambda *a: progress.append(a),
	)
	assert [r.key for r in results] == list(series)
	assert progress == [(2, 3), (3, 3)]
	assert results[0].first_month == date(2023, 11, 1) and results[1].first_month == date(2026, 1, 1)
	summary = fc.summarize(results, season_length=12, horizon=6)
	assert (summary.series, summary.forecast, summary.not_enough_history, summary.scored) == (3, 2, 1, 1)
	assert summary.mase == results[0].mase and summary.naive_mase == pytest.approx(1.0)
	assert summary.min_history_months == 24


def test_forecast_all_with_nothing():
	assert fc.forecast_all({}, last_month=LAST, horizon=6, season_length=12) == []
	summary = fc.summarize([], season_length=12, horizon=6)
	assert summary.series == 0 and summary.mase is None and summary.naive_mase is None


def test_forecast_all_refuses_bad_settings():
	with pytest.raises(fc.ForecastError):
		fc.forecast_all({"A": [1.0] * 30}, last_month=LAST, horizon=0, season_length=12)


def test_two_workers_give_the_same_forecasts():
	series = {f"I{i}": [10 + ((t * (i + 3)) % 7) + SEASON[t % 12] for t in range(30)] for i in range(6)}
	one = fc.forecast_all(series, last_month=LAST, horizon=6, season_length=12, chunk_size=2)
	two = fc.forecast_all(series, last_month=LAST, horizon=6, season_length=12, chunk_size=2, workers=2)
	assert one == two


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=40))
def test_any_history_gives_a_sane_answer(values):
	result = fc.forecast_one("A", date(2023, 1, 1), [float(v) for v in values], horizon=6, season_length=12)
	if len(values) < 24:
		assert result.status == fc.NOT_ENOUGH_HISTORY
		return
	assert result.status == fc.FORECAST and len(result.mean) == 6
	assert all(
		0 <= lo <= mid <= hi for lo, mid, hi in zip(result.lower, result.mean, result.upper, strict=True)
	)
	assert all(math.isfinite(v) for v in result.mean + result.lower + result.upper)
	assert result.mase is None or result.mase >= 0
