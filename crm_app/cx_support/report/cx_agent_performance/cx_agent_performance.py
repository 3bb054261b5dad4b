# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Agent Performance: one row per agent (the issue's Assigned Agent) over one period.

- Assigned: their issues opened in the period.
- Resolved: their issues resolved (or closed) in the period.
- Open Now: their issues open, on hold or replied today, whatever the period.
- Median first response / resolution: calendar hours from opening, over the responses / resolutions
  made in the period (as in CX Response and Resolution Times).
- SLA compliance: of their issues opened in the period whose service level is decided (Met, or Breached
  on either target), the share met.
- Average rating and ratings: customer satisfaction ratings (1-5) given in the period.

Issues without an agent have a row of their own. Only the issues the user may see count.
"""

from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Count, IfNull, Sum

from crm_app.core import support_metrics as metrics
from crm_app.cx_sales.report.common import column, summary
from crm_app.cx_support.report.common import (
	BREACHED,
	MET,
	OPEN_STATUSES,
	SupportFilters,
	in_period,
	issue_criteria,
	issue_table,
	key_label,
	parse_filters,
	seconds_between,
	user_names,
)
from crm_app.prepared_reports import report_progress

REPORT = "CX Agent Performance"


def execute(filters: dict | None = None):
	support_filters = parse_filters(filters, default_dimension="agent")
	rows = get_data(support_filters)
	return columns(), rows, None, chart(rows), report_summary(rows)


def get_data(filters: SupportFilters) -> list[dict]:
	issue = issue_table()
	agent = IfNull(issue.agent, "")
	found: dict[str, dict] = defaultdict(dict)
	sla = IfNull(issue.sla_status, "")
	for name, assigned, met, breached in (
		frappe.qb.from_(issue)
		.select(
			agent,
			Count("*"),
			Sum(Case().when(sla == MET, 1).else_(0)),
			Sum(Case().when(sla == BREACHED, 1).else_(0)),
		)
		.where(in_period(issue.opened_on, filters))
		.where(issue_criteria(filters))
		.groupby(agent)
		.run()
	):
		found[name].update(assigned=assigned, sla_met=int(met or 0), sla_breached=int(breached or 0))
	report_progress(REPORT, 1, 4)
	for step, measure, moment in (
		(2, "response", issue.first_responded_on),
		(3, "resolution", issue.resolved_on),
	):
		seconds: dict[str, list[float]] = defaultdict(list)
		for name, value in (
			frappe.qb.from_(issue)
			.select(agent, seconds_between(issue.opened_on, moment))
			.where(in_period(moment, filters))
			.where(issue.opened_on.isnotnull())
			.where(issue_criteria(filters))
			.run()
		):
			seconds[name].append(value)
		for name, values in seconds.items():
			stats = metrics.duration_stats(values)
			found[name][f"median_{measure}"] = stats.median
			if measure == "resolution":
				found[name]["resolved"] = stats.count
		report_progress(REPORT, step, 4)
	for name, open_now in (
		frappe.qb.from_(issue)
		.select(agent, Count("*"))
		.where(issue.status.isin(OPEN_STATUSES))
		.where(issue_criteria(filters))
		.groupby(agent)
		.run()
	):
		found[name]["open_now"] = open_now
	for name, total, ratings in (
		frappe.qb.from_(issue)
		.select(agent, Sum(issue.csat_rating), Count("*"))
		.where(issue.csat_rating.between(1, 5))
		.where(in_period(issue.csat_rated_on, filters))
		.where(issue_criteria(filters))
		.groupby(agent)
		.run()
	):
		found[name].update(rating_total=int(total or 0), ratings=ratings)
	report_progress(REPORT, 4, 4)
	return rows(found)


def rows(found: dict[str, dict]) -> list[dict]:
	names = user_names(found)
	table = []
	for agent, figures in found.items():
		met, breached = figures.get("sla_met", 0), figures.get("sla_breached", 0)
		table.append(
			{
				"agent": agent or None,
				"agent_name": names.get(agent) or key_label(agent, "agent"),
				"assigned": figures.get("assigned", 0),
				"resolved": figures.get("resolved", 0),
				"open_now": figures.get("open_now", 0),
				"median_response": figures.get("median_response"),
				"median_resolution": figures.get("median_resolution"),
				"sla_met": met,
				"sla_breached": breached,
				"sla_compliance": metrics.compliance(met, breached),
				"average_rating": average(figures.get("rating_total", 0), figures.get("ratings", 0)),
				"ratings": figures.get("ratings", 0),
				"rating_total": figures.get("rating_total", 0),  # for the summary's average
			}
		)
	# Busiest first; the issues nobody was assigned last.
	table.sort(key=lambda row: (not row["agent"], -row["assigned"], -row["open_now"], row["agent_name"]))
	return table


def average(total: int, count: int) -> float | None:
	return round(total / count, 2) if count else None


def columns() -> list[dict]:
	return [
		column("Agent", "agent", "Link", 180, options="User"),
		column("Agent Name", "agent_name", "Data", 160),
		column("Assigned", "assigned", "Int", 90),
		column("Resolved", "resolved", "Int", 90),
		column("Open Now", "open_now", "Int", 90),
		column("Median First Response (Hours)", "median_response", "Float", 200, precision=1),
		column("Median Resolution (Hours)", "median_resolution", "Float", 180, precision=1),
		column("SLA Met", "sla_met", "Int", 80),
		column("SLA Breached", "sla_breached", "Int", 110),
		column("SLA Compliance (%)", "sla_compliance", "Percent", 140),
		column("Average Rating", "average_rating", "Float", 120, precision=2),
		column("Ratings", "ratings", "Int", 80),
	]


def chart(rows: list[dict]) -> dict | None:
	if not rows:
		return None
	return {
		"data": {
			"labels": [row["agent_name"] for row in rows],
			"datasets": [
				{"name": _("Assigned"), "values": [row["assigned"] for row in rows]},
				{"name": _("Resolved"), "values": [row["resolved"] for row in rows]},
				{"name": _("Open Now"), "values": [row["open_now"] for row in rows]},
			],
		},
		"type": "bar",
		"colors": ["#5e64ff", "#29cd42", "#ff5858"],
	}


def report_summary(rows: list[dict]) -> list[dict]:
	met, breached = sum(row["sla_met"] for row in rows), sum(row["sla_breached"] for row in rows)
	ratings, total = sum(row["ratings"] for row in rows), sum(row["rating_total"] for row in rows)
	return [
		summary("Assigned", sum(row["assigned"] for row in rows), "Int", "Blue"),
		summary("Resolved", sum(row["resolved"] for row in rows), "Int", "Green"),
		summary("Open Now", sum(row["open_now"] for row in rows), "Int", "Red"),
		summary("SLA Compliance (%)", metrics.compliance(met, breached) or 0, "Percent", "Green"),
		summary("Average Rating", average(total, ratings) or 0, "Float", "Blue"),
	]
