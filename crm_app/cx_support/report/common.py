"""Shared by the service desk reports: filters, the issues a user may see, periods, tree rows.

Script reports query with frappe.qb, which applies no permissions of its own, so every query on CX Issue
adds `match_conditions` (crm_app/permissions.py): exactly what `frappe.get_list` adds for the user
(User Permissions, shares, and for a restricted sales user the issues of their customers). Never alias
the issue table: the conditions name it by its real table name.

Times are calendar time in the system time zone, not the working time of a service level policy.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property

import frappe
from frappe import _
from frappe.query_builder import Criterion, CustomFunction
from frappe.query_builder.functions import IfNull, UnixTimestamp
from frappe.utils import formatdate, getdate
from frappe.utils.data import get_start_of_week_index

from crm_app.core import support_metrics as metrics
from crm_app.core.tickets import ON_HOLD, OPEN, REPLIED
from crm_app.cx_sales.report.common import column
from crm_app.exceptions import InvalidDateRangeError, InvalidFilterError
from crm_app.permissions import match_conditions

ISSUE = "CX Issue"
OPEN_STATUSES = (OPEN, REPLIED, ON_HOLD)
MET, BREACHED = "Met", "Breached"
DEFAULT_DAYS = 30  # as Frappe's "last 30 days" time span
# The dimensions a report may break figures down by: label -> CX Issue field.
DIMENSIONS = {
	"Issue Type": "issue_type",
	"Priority": "priority",
	"Channel": "channel",
	"Language": "language",
	"Agent": "agent",
}
PRIORITY_ORDER = ("Urgent", "High", "Medium", "Low")
# Plain equality filters every support report takes: filter name -> CX Issue field.
EQUALITY_FILTERS = ("priority", "issue_type", "channel", "language", "agent", "customer", "sla_policy")

Greatest = CustomFunction("GREATEST", ["first", "second"])


@dataclass(frozen=True)
class SupportFilters:
	from_date: date
	to_date: date
	periodicity: str = metrics.WEEKLY
	dimension: str = "issue_type"
	equal: tuple[tuple[str, str], ...] = ()  # (field, value) pairs

	@property
	def starts(self) -> datetime:
		"""First moment of the period, for Datetime columns."""
		return datetime.combine(self.from_date, time.min)

	@property
	def ends_before(self) -> datetime:
		"""First moment after the period, for Datetime columns."""
		return datetime.combine(self.to_date + timedelta(days=1), time.min)

	@cached_property
	def periods(self) -> metrics.Periods:
		# Frappe numbers weekdays from Sunday (0), Python from Monday (0).
		week_start = (get_start_of_week_index() - 1) % 7
		try:
			return metrics.Periods(self.from_date, self.to_date, self.periodicity, week_start)
		except metrics.TooManyPeriods as error:
			frappe.throw(
				_("{0} periods are too many to show: choose a shorter range or a longer period.").format(
					error.count
				),
				InvalidFilterError,
			)

	@property
	def dimension_label(self) -> str:
		return next(label for label, field in DIMENSIONS.items() if field == self.dimension)


def parse_filters(filters: dict | None, default_dimension: str = "issue_type") -> SupportFilters:
	"""Report filters as typed values, refused in words when they cannot be: the period (default: the last
	30 days), the periodicity, the dimension (a label of DIMENSIONS or its field) and the equality
	filters."""
	filters = frappe._dict(filters or {})
	today = getdate()
	default_from, default_to = metrics.last_days(today, DEFAULT_DAYS)
	from_date = getdate(filters.from_date) if filters.get("from_date") else None
	to_date = getdate(filters.to_date) if filters.get("to_date") else None
	if not from_date and not to_date:
		from_date, to_date = default_from, default_to
	elif not from_date:
		from_date = to_date - (default_to - default_from)
	elif not to_date:
		to_date = max(from_date, today)
	if to_date < from_date:
		frappe.throw(
			_("To Date cannot be before From Date."), InvalidDateRangeError, title=_("Invalid Period")
		)
	periodicity = filters.get("periodicity") or metrics.WEEKLY
	if periodicity not in metrics.PERIODICITIES:
		frappe.throw(_("Not a periodicity: {0}").format(escaped(periodicity)), InvalidFilterError)
	return SupportFilters(
		from_date=from_date,
		to_date=to_date,
		periodicity=periodicity,
		dimension=dimension_field(filters.get("group_by"), default_dimension),
		equal=tuple(
			(field, str(filters[field])) for field in EQUALITY_FILTERS if filters.get(field) not in (None, "")
		),
	)


def dimension_field(value, default: str) -> str:
	if value in (None, ""):
		return default
	if isinstance(value, str) and value in DIMENSIONS:
		return DIMENSIONS[value]
	if value in DIMENSIONS.values():
		return value
	frappe.throw(_("Not a way to group issues: {0}").format(escaped(value)), InvalidFilterError)


def escaped(value) -> str:
	return frappe.bold(frappe.utils.escape_html(str(value)[:100]))


def issue_table():
	return frappe.qb.DocType(ISSUE)


def issue_criteria(filters: SupportFilters) -> Criterion:
	"""The equality filters and what the user may see of CX Issue."""
	issue = issue_table()
	criteria = [issue[field] == value for field, value in filters.equal]
	if (visible := match_conditions(ISSUE)) is not None:
		criteria.append(visible)
	return Criterion.all(criteria)


def in_period(column, filters: SupportFilters) -> Criterion:
	"""A Datetime column (or expression) within the period, as a half-open range."""
	return (column >= filters.starts) & (column < filters.ends_before)


def dimension_key(filters: SupportFilters):
	"""GROUP BY key of the chosen dimension: a missing value and an empty one are one group."""
	return IfNull(issue_table()[filters.dimension], "")


def seconds_between(start, end):
	return UnixTimestamp(end) - UnixTimestamp(start)


def done_on():
	"""When an issue left the backlog: its resolution, or its opening for one resolved "before" it was
	opened (imported history), so that nothing leaves the backlog before it entered it."""
	issue = issue_table()
	return Greatest(issue.opened_on, issue.resolved_on)


# -- labels and rows ----------------------------------------------------------------------------------


def period_label(start: date, filters: SupportFilters) -> str:
	if filters.periodicity == metrics.MONTHLY:
		return formatdate(start, "MMM yyyy")
	return formatdate(start)


def key_label(key, dimension: str) -> str:
	if key in (None, ""):
		return _("Not Assigned") if dimension == "agent" else _("Not Set")
	if dimension == "agent":
		return user_names([key]).get(key) or key
	return _(key) if dimension in ("priority", "channel") else str(key)


def user_names(users) -> dict[str, str]:
	"""Full names of users (the desk shows them beside every User link anyway)."""
	users = [user for user in set(users) if user]
	if not users:
		return {}
	found = frappe.get_all("User", filters={"name": ("in", users)}, fields=["name", "full_name"])
	return {row.name: row.full_name or row.name for row in found}


def sort_keys(keys, dimension: str) -> list:
	"""Priorities from Urgent down; anything else as given."""
	if dimension != "priority":
		return list(keys)
	return sorted(keys, key=lambda key: PRIORITY_ORDER.index(key) if key in PRIORITY_ORDER else 99)


def period_row(start: date, filters: SupportFilters, **values) -> dict:
	"""A period's row of a tree report (its breakdown rows follow, indented)."""
	return {
		"name": str(start),
		"parent": "",
		"indent": 0,
		"label": period_label(start, filters),
		"period_start": start,
		**values,
	}


def breakdown_row(start: date, key, filters: SupportFilters, **values) -> dict:
	return {
		"name": f"{start}|{key}",
		"parent": str(start),
		"indent": 1,
		"label": key_label(key, filters.dimension),
		"period_start": start,
		filters.dimension: key or None,
		**values,
	}


LINK_OPTIONS = {
	"issue_type": "CX Issue Type",
	"language": "Language",
	"agent": "User",
	"customer": "CX Customer",
}


def dimension_column(filters: SupportFilters, width: int = 130) -> dict:
	dimension = filters.dimension
	if dimension in LINK_OPTIONS:
		return column(filters.dimension_label, dimension, "Link", width, options=LINK_OPTIONS[dimension])
	return column(filters.dimension_label, dimension, "Data", width)


def tree_columns(filters: SupportFilters) -> list[dict]:
	"""The leading columns of a period tree: its label, the period's first day, the dimension value."""
	return [
		column(_("Period / {0}").format(_(filters.dimension_label)), "label", "Data", 220),
		column("Period Start", "period_start", "Date", 110),
		dimension_column(filters),
	]
