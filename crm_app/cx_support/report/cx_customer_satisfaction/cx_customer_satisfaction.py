# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Customer Satisfaction: the ratings (1-5) customers gave their issues in the period.

Three views of the same ratings:
- Per Agent: ratings, average, share of 4s and 5s (the CSAT score) and how many of each rating, per
  assigned agent;
- Per Period: the same per day, week or month;
- Latest Comments: the 100 latest ratings that came with a comment.

The chart shows how the ratings are distributed (Per Period: the average over time); the summary adds
the response rate: of the ratings requested in the period, the share already given. Only the issues the
user may see count.
"""

from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder import Case, Order
from frappe.query_builder.functions import Count, Date, IfNull, Sum

from crm_app.core import support_metrics as metrics
from crm_app.cx_sales.report.common import column, summary
from crm_app.cx_support.report.common import (
	SupportFilters,
	escaped,
	in_period,
	issue_criteria,
	issue_table,
	key_label,
	parse_filters,
	period_label,
	user_names,
)
from crm_app.exceptions import InvalidFilterError

PER_AGENT, PER_PERIOD, COMMENTS = "Per Agent", "Per Period", "Latest Comments"
VIEWS = (PER_AGENT, PER_PERIOD, COMMENTS)
LATEST = 100


def execute(filters: dict | None = None):
	view = (filters or {}).get("view") or PER_AGENT
	if view not in VIEWS:
		frappe.throw(_("Not a view of this report: {0}").format(escaped(view)), InvalidFilterError)
	support_filters = parse_filters(filters, default_dimension="agent")
	overall = metrics.ratings_of(rating_counts(support_filters))
	rows = get_data(support_filters, view)
	columns = {PER_AGENT: agent_columns, PER_PERIOD: period_columns, COMMENTS: comment_columns}[view]()
	chart = average_chart(rows) if view == PER_PERIOD else distribution_chart(overall)
	return columns, rows, None, chart, report_summary(overall, support_filters)


def get_data(filters: SupportFilters, view: str = PER_AGENT) -> list[dict]:
	return {PER_AGENT: agent_rows, PER_PERIOD: period_rows, COMMENTS: comment_rows}[view](filters)


def rated(filters: SupportFilters):
	"""Ratings (1-5) given in the period, on issues the user may see."""
	issue = issue_table()
	return (
		frappe.qb.from_(issue)
		.where(issue.csat_rating.between(1, 5))
		.where(in_period(issue.csat_rated_on, filters))
		.where(issue_criteria(filters))
	)


def rating_counts(filters: SupportFilters, *keys) -> list[tuple]:
	"""(*keys, rating, count) rows."""
	issue = issue_table()
	return rated(filters).select(*keys, issue.csat_rating, Count("*")).groupby(*keys, issue.csat_rating).run()


def ratings_row(ratings: metrics.Ratings) -> dict:
	return {
		"ratings": ratings.count,
		"average_rating": ratings.average,
		"satisfied": ratings.satisfied,
		**{f"rated_{rating}": ratings.counts.get(rating, 0) for rating in metrics.RATINGS},
	}


def ratings_columns() -> list[dict]:
	return [
		column("Ratings", "ratings", "Int", 80),
		column("Average Rating", "average_rating", "Float", 120, precision=2),
		column("Satisfied (%)", "satisfied", "Percent", 110),
		*[column(f"Rated {rating}", f"rated_{rating}", "Int", 80) for rating in metrics.RATINGS],
	]


def agent_rows(filters: SupportFilters) -> list[dict]:
	grouped: dict[str, list] = defaultdict(list)
	for agent, rating, count in rating_counts(filters, IfNull(issue_table().agent, "")):
		grouped[agent].append((rating, count))
	names = user_names(grouped)
	rows = [
		{
			"agent": agent or None,
			"agent_name": names.get(agent) or key_label(agent, "agent"),
			**ratings_row(metrics.ratings_of(counts)),
		}
		for agent, counts in grouped.items()
	]
	rows.sort(key=lambda row: (not row["agent"], -row["ratings"], row["agent_name"]))
	return rows


def agent_columns() -> list[dict]:
	return [
		column("Agent", "agent", "Link", 180, options="User"),
		column("Agent Name", "agent_name", "Data", 160),
		*ratings_columns(),
	]


def period_rows(filters: SupportFilters) -> list[dict]:
	periods = filters.periods
	grouped: dict = defaultdict(list)
	for day, rating, count in rating_counts(filters, Date(issue_table().csat_rated_on)):
		grouped[periods.of(day)].append((rating, count))
	return [
		{
			"label": period_label(start, filters),
			"period_start": start,
			**ratings_row(metrics.ratings_of(grouped.get(start, []))),
		}
		for start in periods.starts
	]


def period_columns() -> list[dict]:
	return [
		column("Period", "label", "Data", 130),
		column("Period Start", "period_start", "Date", 110),
		*ratings_columns(),
	]


def comment_rows(filters: SupportFilters) -> list[dict]:
	issue = issue_table()
	found = (
		rated(filters)
		.select(
			issue.name,
			issue.subject,
			issue.customer,
			issue.agent,
			issue.csat_rating,
			issue.csat_comment,
			issue.csat_rated_on,
		)
		.where(IfNull(issue.csat_comment, "") != "")
		.orderby(issue.csat_rated_on, order=Order.desc)
		.orderby(issue.name, order=Order.desc)
		.limit(LATEST)
		.run(as_dict=True)
	)
	return [
		{
			"issue": row.name,
			"subject": row.subject,
			"customer": row.customer,
			"agent": row.agent,
			"rating": row.csat_rating,
			"comment": row.csat_comment,
			"rated_on": row.csat_rated_on,
		}
		for row in found
	]


def comment_columns() -> list[dict]:
	return [
		column("Issue", "issue", "Link", 150, options="CX Issue"),
		column("Subject", "subject", "Data", 200),
		column("Customer", "customer", "Link", 160, options="CX Customer"),
		column("Agent", "agent", "Link", 160, options="User"),
		column("Rating", "rating", "Int", 70),
		column("Comment", "comment", "Small Text", 320),
		column("Rated On", "rated_on", "Datetime", 160),
	]


def distribution_chart(ratings: metrics.Ratings) -> dict | None:
	if not ratings.count:
		return None
	return {
		"data": {
			"labels": [str(rating) for rating in metrics.RATINGS],
			"datasets": [
				{"name": _("Ratings"), "values": [ratings.counts.get(r, 0) for r in metrics.RATINGS]}
			],
		},
		"type": "bar",
		"colors": ["#ffa00a"],
	}


def average_chart(rows: list[dict]) -> dict:
	return {
		"data": {
			"labels": [row["label"] for row in rows],
			"datasets": [
				{"name": _("Average Rating"), "values": [row["average_rating"] or 0 for row in rows]}
			],
		},
		"type": "line",
		"colors": ["#ffa00a"],
		"axisOptions": {"shortenYAxisNumbers": 0},
	}


def requests(filters: SupportFilters) -> tuple[int, int]:
	"""(ratings requested in the period, of those already rated)."""
	issue = issue_table()
	found = (
		frappe.qb.from_(issue)
		.select(Count("*"), Sum(Case().when(issue.csat_rating.between(1, 5), 1).else_(0)))
		.where(in_period(issue.csat_requested_on, filters))
		.where(issue_criteria(filters))
		.run()
	)
	asked, answered = found[0] if found else (0, 0)
	return int(asked or 0), int(answered or 0)


def report_summary(ratings: metrics.Ratings, filters: SupportFilters) -> list[dict]:
	asked, answered = requests(filters)
	return [
		summary("Ratings", ratings.count, "Int", "Blue"),
		summary("Average Rating", ratings.average or 0, "Float", "Blue"),
		summary("Satisfied (%)", ratings.satisfied or 0, "Percent", "Green"),
		summary("Response Rate (%)", metrics.rate(answered, asked) or 0, "Percent", "Grey"),
	]
