"""Demand forecasts: monthly quantity per item (or item and group) by exponential smoothing, with its accuracy.

Rows are (key, date, qty): the key is opaque (an item, or an (item, group) pair). `monthly_series` nets them
into one quantity per calendar month up to the last complete month; `forecast_all` forecasts each series with
statsforecast's AutoETS and measures it on a holdout first:

- The last `horizon` months are held out and an additive damped-trend model is fitted to the months before them:
  ETS(A,Ad,A) (additive seasonality) when that training part holds two full seasons, else ETS(A,Ad,N). One form,
  not a search: the damped trend is the robust default of the forecasting literature (Gardner & McKenzie 1985;
  among the best in the M3 competition), it nests "no trend" (a trend that fades at once), and on the
  planted-season benchmark (benchmarks/insights_forecast.py) AutoETS's AICc search over no/linear/damped trend
  was less accurate on the holdout and twice as slow. Multiplicative forms are left out: a month without
  sales is a zero, which they cannot fit.
- The model's holdout error is scaled as MASE by the in-sample seasonal naive error (Hyndman & Koehler 2006),
  and the seasonal naive forecast's own holdout MASE is kept beside it: below it, the model beat the baseline.
- The forecast applies that same fitted model to the whole history (statsforecast's `forward`: the states
  run on to the last month, the parameters are those measured), so the accuracy shown is the model's own.
- Demand is never negative: months where returns exceed sales count as zero; forecasts and bounds are cut at 0.

statsforecast (and pandas under it) is imported inside the functions that fit, so importing this module is cheap.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from crm_app.core.errors import CoreError, _lt

# A MASE scale from fewer seasonal differences than this rests on one or two months: the figure would swing
# wildly from one run to the next. With a season of 12 and a horizon of 6 this asks for 24 months of history.
MIN_SCALE_DIFFERENCES = 6
# Seasonal terms need two full seasons in the training part: one season cannot tell a pattern from noise.
MIN_SEASONS_FOR_SEASONAL = 2
MAX_SEASON_LENGTH = 24  # statsforecast's ETS refuses longer seasons
MAX_HORIZON = 36

FORECAST = "Forecast"
NOT_ENOUGH_HISTORY = "Not Enough History"
SEASONAL_NAIVE = "Seasonal Naive"


class ForecastError(CoreError):
	"""A forecast setting that cannot work. The message says which and why (a template and its values,
	`message`); `reason` and `values` name the problem for a program."""

	def __init__(self, reason: str, template: str, *args, **values):
		super().__init__(template, *args)
		self.reason, self.values = reason, values


@dataclass(frozen=True)
class SeriesForecast:
	key: Hashable
	status: str  # FORECAST or NOT_ENOUGH_HISTORY
	first_month: date  # month of history[0]
	history: tuple[float, ...]
	method: str = ""
	mean: tuple[float, ...] = ()
	lower: tuple[float, ...] = ()
	upper: tuple[float, ...] = ()
	mase: float | None = None  # the model's holdout MASE; None when the history is flat (no scale)
	naive_mase: float | None = None  # seasonal naive's holdout MASE on the same months

	def forecast_months(self) -> list[date]:
		start = month_number(self.first_month) + len(self.history)
		return [month_start(start + step) for step in range(len(self.mean))]


@dataclass(frozen=True)
class ForecastSummary:
	series: int
	forecast: int
	not_enough_history: int
	scored: int  # series with a MASE (a flat history has none)
	mase: float | None  # mean holdout MASE of the model over scored series
	naive_mase: float | None  # the same for the seasonal naive forecast
	min_history_months: int


def month_number(day: date) -> int:
	return day.year * 12 + day.month - 1


def month_start(number: int) -> date:
	return date(number // 12, number % 12 + 1, 1)


def min_history_months(season_length: int, horizon: int) -> int:
	"""Months a series needs: the holdout, one season, and enough seasonal differences for the MASE scale."""
	return horizon + season_length + MIN_SCALE_DIFFERENCES


def check_settings(*, history_months: int, horizon: int, season_length: int, level: float = 80) -> None:
	"""Raise ForecastError when the settings cannot give a single forecast."""
	_check_model_settings(horizon, season_length, level)
	needed = min_history_months(season_length, horizon)
	if history_months < needed:
		raise ForecastError(
			"history",
			_lt(
				"The history must cover at least {0} months with a season of {1} and a horizon of {2}: the "
				"last {2} months are held out to measure the forecast, and the error scale needs {3} months "
				"before them."
			),
			needed,
			season_length,
			horizon,
			season_length + MIN_SCALE_DIFFERENCES,
			needed=needed,
			season_length=season_length,
			horizon=horizon,
			before=season_length + MIN_SCALE_DIFFERENCES,
		)


def _check_model_settings(horizon: int, season_length: int, level: float) -> None:
	if not 1 <= season_length <= MAX_SEASON_LENGTH:
		raise ForecastError(
			"season",
			_lt("The season length must be between 1 and {0} months."),
			MAX_SEASON_LENGTH,
			most=MAX_SEASON_LENGTH,
		)
	if not 1 <= horizon <= MAX_HORIZON:
		raise ForecastError(
			"horizon",
			_lt("The forecast horizon must be between 1 and {0} months."),
			MAX_HORIZON,
			most=MAX_HORIZON,
		)
	if not 0 < level < 100:
		raise ForecastError("level", _lt("The prediction interval level must be between 0 and 100."))


def monthly_series(
	rows: Iterable[tuple[Hashable, date, float]], *, last_month: date, history_months: int
) -> tuple[date, dict[Hashable, list[float]]]:
	"""Net quantity per key and calendar month over the `history_months` months ending with `last_month`.

	Returns (first month of the window, {key: quantities}). Rows outside the window (dates in the future
	included) are ignored; a month whose returns exceed its sales counts as 0. A series starts at its first
	month with a sale (before it the item was not sold, which is not a zero demand); keys with no sale in the
	window are left out.
	"""
	if history_months < 1:
		raise ForecastError("window", _lt("The history must cover at least one month."))
	last = month_number(last_month)
	first = last - history_months + 1
	netted: dict[Hashable, dict[int, float]] = {}
	for key, day, qty in rows:
		month = month_number(day)
		if first <= month <= last and qty:
			by_month = netted.setdefault(key, {})
			by_month[month] = by_month.get(month, 0.0) + float(qty)
	series: dict[Hashable, list[float]] = {}
	for key, by_month in netted.items():
		sold = sorted(month for month, qty in by_month.items() if qty > 0)
		if sold:
			series[key] = [max(by_month.get(month, 0.0), 0.0) for month in range(sold[0], last + 1)]
	return month_start(first), series


def forecast_all(
	series: Mapping[Hashable, Sequence[float]],
	*,
	last_month: date,
	horizon: int,
	season_length: int,
	level: float = 80,
	workers: int = 1,
	chunk_size: int = 500,
	on_progress: Callable[[int, int], None] | None = None,
) -> list[SeriesForecast]:
	"""Forecast every series ending with `last_month`, in the given order; `on_progress(done, total)` after each chunk.

	`workers` > 1 spreads chunks over that many processes (forkserver: a worker shares nothing with the
	caller, such as its database connection).
	"""
	_check_model_settings(horizon, season_length, level)
	end = month_number(last_month)
	items = list(series.items())
	chunks = [
		[(key, month_start(end - len(values) + 1), tuple(float(v) for v in values)) for key, values in part]
		for part in (items[i : i + chunk_size] for i in range(0, len(items), chunk_size))
	]
	options = {"horizon": horizon, "season_length": season_length, "level": level}
	results: list[SeriesForecast] = []
	if workers <= 1 or len(chunks) <= 1:
		for chunk in chunks:
			results.extend(_forecast_chunk(chunk, options))
			if on_progress:
				on_progress(len(results), len(items))
		return results

	import multiprocessing
	from concurrent.futures import ProcessPoolExecutor

	context = multiprocessing.get_context("forkserver")
	context.set_forkserver_preload([__name__])
	with ProcessPoolExecutor(max_workers=min(workers, os.cpu_count() or 1), mp_context=context) as pool:
		for done in pool.map(_forecast_chunk, chunks, [options] * len(chunks)):
			results.extend(done)
			if on_progress:
				on_progress(len(results), len(items))
	return results


def summarize(results: Sequence[SeriesForecast], *, season_length: int, horizon: int) -> ForecastSummary:
	scored = [r for r in results if r.mase is not None and r.naive_mase is not None]
	forecast = sum(1 for r in results if r.status == FORECAST)
	return ForecastSummary(
		series=len(results),
		forecast=forecast,
		not_enough_history=len(results) - forecast,
		scored=len(scored),
		mase=_mean([r.mase for r in scored]),
		naive_mase=_mean([r.naive_mase for r in scored]),
		min_history_months=min_history_months(season_length, horizon),
	)


def forecast_one(
	key: Hashable,
	first_month: date,
	history: Sequence[float],
	*,
	horizon: int,
	season_length: int,
	level: float = 80,
) -> SeriesForecast:
	"""Holdout-measure then forecast one monthly series (see the module docstring)."""
	history = tuple(float(v) for v in history)
	if len(history) < min_history_months(season_length, horizon):
		return SeriesForecast(key, NOT_ENOUGH_HISTORY, first_month, history)
	import numpy as np

	y = np.asarray(history, dtype=float)
	train, test = y[:-horizon], y[-horizon:]
	scale = float(np.mean(np.abs(train[season_length:] - train[:-season_length])))
	naive = _seasonal_naive(train, horizon, season_length)
	fitted = _fit_ets(train, y, horizon, season_length, level) if np.ptp(train) > 0 else None
	if fitted is None:
		# A flat training part, or a series ETS cannot fit: the seasonal naive forecast is the honest answer.
		method, holdout = SEASONAL_NAIVE, naive
		mean, lower, upper = _seasonal_naive_interval(y, horizon, season_length, level)
	else:
		method, holdout, mean, lower, upper = fitted
	return SeriesForecast(
		key,
		FORECAST,
		first_month,
		history,
		method=method,
		mean=_clip(mean),
		lower=_clip(lower),
		upper=_clip(upper),
		mase=_mase(test, holdout, scale),
		naive_mase=_mase(test, naive, scale),
	)


def _forecast_chunk(chunk, options) -> list[SeriesForecast]:
	return [forecast_one(key, first, history, **options) for key, first, history in chunk]


def _fit_ets(train, y, horizon: int, season_length: int, level: float):
	from statsforecast.models import AutoETS

	seasonal = season_length > 1 and len(train) >= MIN_SEASONS_FOR_SEASONAL * season_length
	model = AutoETS(
		season_length=season_length if seasonal else 1, model="AZA" if seasonal else "AZN", damped=True
	)
	try:
		model.fit(y=train)
		holdout = model.predict(h=horizon)["mean"]
		ahead = model.forward(y=y, h=horizon, level=[level])
		method = model.model_["method"]
	# statsforecast signals "no model could be fitted" with a bare Exception (and a KeyError on some
	# degenerate series); any failure here falls back to the seasonal naive forecast, per series.
	except Exception:
		return None
	band = _level_label(level)
	return method, holdout, ahead["mean"], ahead[f"lo-{band}"], ahead[f"hi-{band}"]


def _seasonal_naive(train, horizon: int, season_length: int):
	import numpy as np

	last_season = train[-season_length:]
	return np.array([last_season[step % season_length] for step in range(horizon)], dtype=float)


def _seasonal_naive_interval(y, horizon: int, season_length: int, level: float):
	"""Seasonal naive forecast with the textbook interval: residual sd * z * sqrt(full seasons ahead + 1)."""
	import numpy as np
	from scipy.stats import norm

	mean = _seasonal_naive(y, horizon, season_length)
	residuals = y[season_length:] - y[:-season_length]
	sigma = float(np.sqrt(np.mean(residuals**2))) if len(residuals) else 0.0
	z = float(norm.ppf(0.5 + level / 200))
	widths = np.array([z * sigma * math.sqrt(step // season_length + 1) for step in range(horizon)])
	return mean, mean - widths, mean + widths


def _mase(actual, predicted, scale: float) -> float | None:
	if scale <= 0:
		return None
	import numpy as np

	return round(float(np.mean(np.abs(np.asarray(actual) - np.asarray(predicted))) / scale), 6)


def _clip(values) -> tuple[float, ...]:
	return tuple(round(max(float(v), 0.0), 6) for v in values)


def _level_label(level: float) -> str:
	return str(int(level)) if float(level).is_integer() else str(level)


def _mean(values: Sequence[float]) -> float | None:
	return round(sum(values) / len(values), 6) if values else None
