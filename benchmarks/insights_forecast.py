"""Demand forecast figures, printed (never asserted). Needs no site:
	python3 benchmarks/insights_forecast.py [--items 10000] [--workers 2] [--months 36]

Seeds nothing in a database. `demand_rows` generates invoice lines (item, date, qty) for N items over the
history window with a planted signal: each item has a level, a yearly seasonal profile (period 12, amplitude
0-60 %), a slowly damped trend, Poisson noise, a few returns, and a launch month (one item in ten launched
too recently to forecast; one in five sells a handful a month). It then runs the path the nightly job runs
(crm_app.core.insights.forecast): monthly series, then a holdout fit, MASE and a forecast per series, and prints
- the import time of statsforecast (a fresh process: what the first job in a worker pays),
- the time to build the monthly series and to forecast every item, with the given number of worker processes
  (goal: 10,000 items under 60 s on 2 cores, import and process start included), and per series;
- accuracy on the holdout: the model's mean MASE against the seasonal naive forecast's, and the MASE of the
  planted expected demand itself (about the best any model could do on this noise);
- coverage of the stored prediction interval, measured on the generator's next months (drawn, not seen).
"""

import argparse
import math
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_app.core.insights import forecast as fc

LAST_MONTH = date(2026, 10, 1)
SEASON_LENGTH, HORIZON, LEVEL = 12, 6, 80


def planted_means(items: int, months: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
	"""Expected monthly demand per item over `months` (+ HORIZON months ahead) and each item's launch index."""
	rng = np.random.default_rng(seed)
	t = np.arange(months + HORIZON)
	level = np.where(rng.random(items) < 0.2, rng.uniform(0.5, 4, items), rng.uniform(10, 400, items))[
		:, None
	]
	amplitude = rng.uniform(0, 0.6, items)[:, None]
	phase = rng.uniform(0, 2 * math.pi, items)[:, None]
	growth = rng.normal(0, 0.015, items)[:, None]
	damping = 0.97
	trend = growth * (1 - damping ** (t + 1)) / (1 - damping)  # damped: the growth fades over the years
	means = level * (1 + amplitude * np.sin(2 * math.pi * t / SEASON_LENGTH + phase)) * np.exp(trend)
	launch = np.where(rng.random(items) < 0.1, rng.integers(months - 20, months - 1, items), 0)
	means[t[None, :] < launch[:, None]] = 0
	return means, launch


def demand_rows(means: np.ndarray, months: int, seed: int = 11):
	"""Invoice lines: each item-month's Poisson total split over up to three days, and a few returns."""
	rng = np.random.default_rng(seed)
	first = fc.month_number(LAST_MONTH) - months + 1
	totals = rng.poisson(means[:, :months])
	rows = []
	for item, per_month in enumerate(totals):
		key = f"ITEM-{item:05d}"
		for offset, qty in enumerate(per_month.tolist()):
			if not qty:
				continue
			start = fc.month_start(first + offset)
			parts = min(qty, 1 + offset % 3)
			for part in range(parts):
				rows.append(
					(key, start + timedelta(days=7 * part), qty // parts + (qty % parts if part == 0 else 0))
				)
			if qty > 20 and offset % 7 == 0:
				rows.append((key, start + timedelta(days=20), -(qty // 20)))  # a return, netted in its month
	return rows


def import_seconds() -> float:
	code = "import time; t = time.perf_counter(); import statsforecast.models; print(time.perf_counter() - t)"
	return float(
		subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
	)


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("--items", type=int, default=10_000)
	parser.add_argument("--workers", type=int, default=2)
	parser.add_argument("--months", type=int, default=36)
	args = parser.parse_args()

	print(f"statsforecast import (fresh process): {import_seconds():.2f} s")
	means, _launch = planted_means(args.items, args.months)
	rows = demand_rows(means, args.months)
	print(f"generated {len(rows):,} invoice lines for {args.items:,} items over {args.months} months")

	started = time.perf_counter()
	_first, series = fc.monthly_series(rows, last_month=LAST_MONTH, history_months=args.months)
	built = time.perf_counter() - started
	print(f"monthly series: {len(series):,} in {built:.2f} s")

	started = time.perf_counter()
	results = fc.forecast_all(
		series,
		last_month=LAST_MONTH,
		horizon=HORIZON,
		season_length=SEASON_LENGTH,
		level=LEVEL,
		workers=args.workers,
	)
	took = time.perf_counter() - started
	summary = fc.summarize(results, season_length=SEASON_LENGTH, horizon=HORIZON)
	print(
		f"forecast: {summary.series:,} series in {took:.1f} s with {args.workers} worker(s) "
		f"({1000 * took / max(summary.series, 1):.1f} ms a series; goal for 10,000 items: < 60 s)"
	)
	methods: dict[str, int] = {}
	for result in results:
		methods[result.method or result.status] = methods.get(result.method or result.status, 0) + 1
	print(
		"methods:",
		", ".join(f"{name} {count:,}" for name, count in sorted(methods.items(), key=lambda kv: -kv[1])),
	)
	print(
		f"forecast {summary.forecast:,}, not enough history (< {summary.min_history_months} months) "
		f"{summary.not_enough_history:,}, with a MASE {summary.scored:,}"
	)
	print(
		f"holdout MASE: model {summary.mase:.3f}, seasonal naive {summary.naive_mase:.3f}, {oracle(results, means)}"
	)
	print(coverage(results, means, args.months))


def oracle(results, means) -> str:
	"""MASE of the planted expected demand on the same holdout months: the floor set by the noise."""
	values = []
	for result in results:
		if result.mase is None:
			continue
		item = int(str(result.key).rsplit("-", 1)[1])
		history = np.asarray(result.history)
		train, test = history[:-HORIZON], history[-HORIZON:]
		scale = np.mean(np.abs(train[SEASON_LENGTH:] - train[:-SEASON_LENGTH]))
		planted = means[item, len(means[item]) - 2 * HORIZON : len(means[item]) - HORIZON]
		values.append(np.mean(np.abs(test - planted)) / scale)
	return f"planted expected demand {np.mean(values):.3f}"


def coverage(results, means, months: int) -> str:
	"""Share of the next months' drawn demand inside the stored interval (nominal LEVEL %)."""
	rng = np.random.default_rng(99)
	inside = total = 0
	for result in results:
		if result.status != fc.FORECAST:
			continue
		item = int(str(result.key).rsplit("-", 1)[1])
		drawn = rng.poisson(means[item, months : months + HORIZON])
		inside += int(np.sum((drawn >= np.asarray(result.lower)) & (drawn <= np.asarray(result.upper))))
		total += len(drawn)
	return f"{LEVEL} % interval coverage on the next {HORIZON} months: {100 * inside / max(total, 1):.1f} %"


if __name__ == "__main__":
	main()
