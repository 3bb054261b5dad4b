"""SLA clock figures, printed (never asserted); no site needed:
	python3 benchmarks/sla_clock.py [--pairs 100000] [--zone Europe/Kyiv]

Times add_working_time and working_seconds_between for random (start, target) pairs over four years on
a calendar with split shifts (Mon-Fri 09:00-13:00 and 14:00-18:00, Sat 10:00-14:00) and 30 holidays a
year, and the same for long targets (up to 2,000 working hours), to show the cost does not grow with
the distance to the deadline.
"""

import argparse
import random
import sys
import time as clock
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_app.core.service.sla import WorkingCalendar

FIRST_YEAR, YEARS = 2024, 4


def calendar_rows(rng: random.Random) -> tuple[dict, set[date]]:
	weekly = {day: [(time(9), time(13)), (time(14), time(18))] for day in range(5)}
	weekly[5] = [(time(10), time(14))]
	holidays = set()
	for year in range(FIRST_YEAR, FIRST_YEAR + YEARS + 2):
		days = [date(year, 1, 1) + timedelta(days=n) for n in range(365)]
		holidays.update(rng.sample(days, 30))
	return weekly, holidays


def run(label: str, pairs: int, work, arguments: list) -> None:
	started = clock.perf_counter()
	for start, value in arguments:
		work(start, value)
	elapsed = clock.perf_counter() - started
	print(
		f"{label:<48} {elapsed:7.2f} s  {elapsed / pairs * 1e6:7.1f} us/call  {pairs / elapsed:10,.0f} calls/s"
	)


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--pairs", type=int, default=100_000)
	parser.add_argument("--zone", default="Europe/Kyiv")
	parser.add_argument("--seed", type=int, default=7)
	options = parser.parse_args()
	rng = random.Random(options.seed)

	began = clock.perf_counter()
	weekly, holidays = calendar_rows(rng)
	calendar = WorkingCalendar(weekly, holidays, options.zone)
	calendar.working_seconds_between(
		datetime(FIRST_YEAR, 1, 1, tzinfo=timezone.utc),
		datetime(FIRST_YEAR + YEARS + 1, 6, 1, tzinfo=timezone.utc),
	)
	print(f"calendar built and {YEARS + 1} years read: {(clock.perf_counter() - began) * 1e3:.1f} ms")

	origin = datetime(FIRST_YEAR, 1, 1, tzinfo=timezone.utc)
	span = YEARS * 365 * 86_400

	def starts() -> datetime:
		return origin + timedelta(seconds=rng.randrange(span), microseconds=rng.randrange(1_000_000))

	pairs = options.pairs
	short = [(starts(), rng.randrange(15 * 60, 5 * 8 * 3600)) for _ in range(pairs)]  # 15 min .. a week
	long = [(starts(), rng.randrange(200 * 3600, 2000 * 3600)) for _ in range(pairs)]  # 200 .. 2,000 hours
	ends = [(start, start + timedelta(seconds=rng.randrange(60, 120 * 86_400))) for start, _ in short]

	print(f"{pairs:,} pairs, zone {options.zone}, {calendar.weekly_seconds / 3600:g} working hours a week")
	run("add_working_time, targets up to a week", pairs, calendar.add_working_time, short)
	run("add_working_time, targets 200-2,000 hours", pairs, calendar.add_working_time, long)
	run("working_seconds_between, spans up to 120 days", pairs, calendar.working_seconds_between, ends)

	fresh = rng.sample(short, min(pairs, 1000))
	began = clock.perf_counter()
	for start, seconds in fresh:
		WorkingCalendar(weekly, holidays, options.zone).add_working_time(start, seconds)
	per_call = (clock.perf_counter() - began) / len(fresh) * 1e3
	print(f"a new calendar per call ({len(holidays)} holidays; build + first deadline): {per_call:.2f} ms")


if __name__ == "__main__":
	main()
