# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Issue Analytics: issues opened and resolved per day, week or month, and the backlog (issues open)
at the end of each, in total and broken down by issue type, priority, channel, language or agent.

- Opened: issues whose opening falls in the period.
- Resolved: issues whose resolution (or closing) falls in the period.
- Backlog: issues opened by the end of the period and not resolved by then. An issue reopened later
  has no resolution time any more (reopening clears it), so it counts as open since its opening.

Three grouped queries (opened per day, resolved per day, open when the range starts); the figures are
added up in crm_app/core/support_metrics.py. Only the issues the user may see count.
"""

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Date

from crm_app.core import support_metrics as metrics
from crm_app.cx_sales.report.common import column, summary
from crm_app.cx_support.report.common import (
	SupportFilters,
	breakdown_row,
	dimension_key,
	done_on,
	in_period,
	issue_criteria,
	issue_table,
	parse_filters,
	period_label,
	period_row,
	sort_keys,
	tree_columns,
)
from crm_app.prepared_reports import report_progress

REPORT = "CX Issue Analytics"


def execute(filters: dict | None = None):
	support_filters = parse_filters(filters)
	flow, keys = get_data(support_filters)
	rows = []
	for period in flow:
		rows.append(period_row(period.start, support_filters, **figures(period.total)))
		for key in sort_keys(keys, support_filters.dimension):
			found = period.by_key[key]
			if found.opened or found.resolved or found.backlog:
				rows.append(breakdown_row(period.start, key, support_filters, **figures(found)))
	return columns(support_filters), rows, None, chart(flow, support_filters), report_summary(flow)


def get_data(filters: SupportFilters) -> tuple[list[metrics.PeriodFlow], list]:
	issue, key = issue_table(), dimension_key(filters)
	opened = per_day(issue.opened_on, key, filters)
	report_progress(REPORT, 1, 3)
	# By when the issue left the backlog; each half of the condition is a range one index can serve.
	left_backlog = (in_period(issue.resolved_on, filters) & (issue.opened_on <= issue.resolved_on)) | (
		in_period(issue.opened_on, filters) & (issue.resolved_on < issue.opened_on)
	)
	resolved = per_day(done_on(), key, filters, left_backlog, in_range=False)
	report_progress(REPORT, 2, 3)
	open_at_start = (
		frappe.qb.from_(issue)
		.select(key, Count("*"))
		.where(issue.opened_on < filters.starts)
		.where(issue.resolved_on.isnull() | (issue.resolved_on >= filters.starts))
		.where(issue_criteria(filters))
		.groupby(key)
		.run()
	)
	report_progress(REPORT, 3, 3)
	return metrics.issue_flow(filters.periods, opened, resolved, open_at_start)


def per_day(moment, key, filters: SupportFilters, *criteria, in_range: bool = True) -> list[tuple]:
	"""(day, key, issues) of the issues whose `moment` falls in the range (or that `criteria` pick)."""
	issue = issue_table()
	day = Date(moment)
	query = (
		frappe.qb.from_(issue).select(day, key, Count("*")).where(issue_criteria(filters)).groupby(day, key)
	)
	if in_range:
		query = query.where(in_period(moment, filters))
	for criterion in criteria:
		query = query.where(criterion)
	return query.run()


def figures(flow: metrics.Flow) -> dict:
	return {"opened": flow.opened, "resolved": flow.resolved, "backlog": flow.backlog}


def columns(filters: SupportFilters) -> list[dict]:
	return [
		*tree_columns(filters),
		column("Opened", "opened", "Int", 100),
		column("Resolved", "resolved", "Int", 100),
		column("Backlog at End", "backlog", "Int", 130),
	]


def chart(flow: list[metrics.PeriodFlow], filters: SupportFilters) -> dict:
	return {
		"data": {
			"labels": [period_label(period.start, filters) for period in flow],
			"datasets": [
				{"name": _("Opened"), "chartType": "bar", "values": [p.total.opened for p in flow]},
				{"name": _("Resolved"), "chartType": "bar", "values": [p.total.resolved for p in flow]},
				{"name": _("Backlog at End"), "chartType": "line", "values": [p.total.backlog for p in flow]},
			],
		},
		"type": "axis-mixed",
		"colors": ["#5e64ff", "#29cd42", "#ff5858"],
	}


def report_summary(flow: list[metrics.PeriodFlow]) -> list[dict]:
	if not flow:
		return []
	first = flow[0].total
	return [
		summary("Open at Start", first.backlog - first.opened + first.resolved, "Int", "Grey"),
		summary("Opened", sum(period.total.opened for period in flow), "Int", "Blue"),
		summary("Resolved", sum(period.total.resolved for period in flow), "Int", "Green"),
		summary("Open at End", flow[-1].total.backlog, "Int", "Red"),
	]
