"""Calendar periods for targets and forecasts: months and quarters."""

import calendar
from datetime import date

MONTH, QUARTER = "Month", "Quarter"


class PeriodError(ValueError):
	def __init__(self, reason: str):
		super().__init__(reason)
		self.reason = reason


def period_end(period_type: str, start: date) -> date:
	"""Last day of the month or quarter starting on `start`; the start must be its first day."""
	if start.day != 1:
		raise PeriodError("not_first_day")
	if period_type == MONTH:
		last_month = start.month
	elif period_type == QUARTER:
		if (start.month - 1) % 3:
			raise PeriodError("not_quarter_start")
		last_month = start.month + 2
	else:
		raise PeriodError("unknown_period")
	return date(start.year, last_month, calendar.monthrange(start.year, last_month)[1])


def month_start(day: date) -> date:
	return day.replace(day=1)


def quarter_start(day: date) -> date:
	return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def add_months(day: date, months: int) -> date:
	"""First day of the month `months` after the one holding `day`."""
	index = day.year * 12 + day.month - 1 + months
	return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
	"""First days of every month from the one holding `start` to the one holding `end`."""
	months, current = [], month_start(start)
	while current <= end:
		months.append(current)
		current = add_months(current, 1)
	return months


def is_closed(end: date, today: date) -> bool:
	"""A period is closed once its last day is past."""
	return end < today
