# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Response and Resolution Times: hours from an issue's opening to its first response and to its
resolution (count, average, median, 90th percentile) per day, week or month, in total and per issue
type, priority, channel, language or agent.

Calendar hours, not the working hours of a service level policy (CX SLA Compliance judges those). A
response time counts in the period of the response, a resolution time in the period of the resolution,
so a period's figures are final once it is over. A response or resolution stamped before the opening
(imported history) counts as 0. Only the issues the user may see count.
"""

import frappe
from frappe import _
from frappe.query_builder.functions import Date

from crm_app.core import support_metrics as metrics
from crm_app.cx_sales.report.common import column, summary
from crm_app.cx_support.report.common import (
	SupportFilters,
	breakdown_row,
	dimension_key,
	in_period,
	issue_criteria,
	issue_table,
	parse_filters,
	period_label,
	period_row,
	seconds_between,
	sort_keys,
	tree_columns,
)
from crm_app.prepared_reports import report_progress

REPORT = "CX Response and Resolution Times"
MEASURES = ("response", "resolution")
DESCRIPTION = (
	"Calendar hours from opening, not working hours: a response counts in the period it was made, a "
	"resolution in the period it was made."
)


def execute(filters: dict | None = None):
	support_filters = parse_filters(filters)
	grouped = get_data(support_filters)
	rows, keys = [], sort_keys(ordered_keys(grouped), support_filters.dimension)
	for start in support_filters.periods.starts:
		rows.append(period_row(start, support_filters, **figures(grouped, start, None)))
		for key in keys:
			if any((start, key) in grouped[measure] for measure in MEASURES):
				rows.append(breakdown_row(start, key, support_filters, **figures(grouped, start, key)))
	return (
		columns(support_filters),
		rows,
		_(DESCRIPTION),
		chart(grouped, support_filters),
		report_summary(grouped),
	)


def get_data(filters: SupportFilters) -> dict[str, dict]:
	"""Per measure, the durations (seconds) grouped per (period, key), (period, None), (None, key) and
	(None, None)."""
	issue = issue_table()
	responses = durations(issue.first_responded_on, filters)
	report_progress(REPORT, 1, 2)
	resolutions = durations(issue.resolved_on, filters)
	report_progress(REPORT, 2, 2)
	return {
		"response": metrics.group_durations(responses, filters.periods),
		"resolution": metrics.group_durations(resolutions, filters.periods),
	}


def durations(moment, filters: SupportFilters) -> list[tuple]:
	"""(day, key, seconds since opening) of the issues whose `moment` falls in the range."""
	issue = issue_table()
	return (
		frappe.qb.from_(issue)
		.select(Date(moment), dimension_key(filters), seconds_between(issue.opened_on, moment))
		.where(in_period(moment, filters))
		.where(issue.opened_on.isnotnull())
		.where(issue_criteria(filters))
		.run()
	)


def ordered_keys(grouped: dict[str, dict]) -> list:
	"""Dimension values, busiest first."""
	volume: dict = {}
	for measure in MEASURES:
		for (start, key), values in grouped[measure].items():
			if start is None and key is not None:
				volume[key] = volume.get(key, 0) + len(values)
	return sorted(volume, key=lambda key: (-volume[key], str(key)))


def figures(grouped: dict[str, dict], start, key) -> dict:
	found = {}
	for measure in MEASURES:
		stats = metrics.duration_stats(grouped[measure].get((start, key), []))
		found.update(
			{
				f"{measure}_count": stats.count,
				f"{measure}_average": stats.average,
				f"{measure}_median": stats.median,
				f"{measure}_p90": stats.p90,
			}
		)
	return found


def columns(filters: SupportFilters) -> list[dict]:
	found = tree_columns(filters)
	for measure, label, counted in (
		("response", "First Response", "Responded"),
		("resolution", "Resolution", "Resolved"),
	):
		found += [
			column(counted, f"{measure}_count", "Int", 100),
			column(f"Average {label} (Hours)", f"{measure}_average", "Float", 170, precision=1),
			column(f"Median {label} (Hours)", f"{measure}_median", "Float", 170, precision=1),
			column(f"90th Percentile {label} (Hours)", f"{measure}_p90", "Float", 200, precision=1),
		]
	return found


def chart(grouped: dict[str, dict], filters: SupportFilters) -> dict:
	starts = filters.periods.starts
	datasets = []
	for measure, label in (("response", "First Response"), ("resolution", "Resolution")):
		stats = [metrics.duration_stats(grouped[measure].get((start, None), [])) for start in starts]
		datasets += [
			{"name": _("Median {0} (Hours)").format(_(label)), "values": [s.median or 0 for s in stats]},
			{
				"name": _("90th Percentile {0} (Hours)").format(_(label)),
				"values": [s.p90 or 0 for s in stats],
			},
		]
	return {
		"data": {"labels": [period_label(start, filters) for start in starts], "datasets": datasets},
		"type": "line",
		"colors": ["#5e64ff", "#b5b8ff", "#29cd42", "#a8e6b2"],
		"lineOptions": {"regionFill": 0},
	}


def report_summary(grouped: dict[str, dict]) -> list[dict]:
	response = metrics.duration_stats(grouped["response"].get((None, None), []))
	resolution = metrics.duration_stats(grouped["resolution"].get((None, None), []))
	return [
		summary("Median First Response (Hours)", response.median or 0, "Float", "Blue"),
		summary("90th Percentile First Response (Hours)", response.p90 or 0, "Float", "Blue"),
		summary("Median Resolution (Hours)", resolution.median or 0, "Float", "Green"),
		summary("90th Percentile Resolution (Hours)", resolution.p90 or 0, "Float", "Green"),
	]
