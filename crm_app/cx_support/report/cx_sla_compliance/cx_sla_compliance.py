# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX SLA Compliance: per service level policy and priority (or agent, issue type, channel, language),
of the issues opened in the period under a policy:

- With Target: issues whose policy sets a first response (resolution) time for their priority.
- Met / Breached: targets reached in time / missed (still open past the deadline, or done after it).
- Running: targets not decided yet (on track or at risk); they are not in the compliance.
- Compliance (%): met / (met + breached).

Deadlines and states are those the service level engine keeps on each issue (crm_app/cx_support/sla.py),
in the policy's working hours. One grouped query; only the issues the user may see count.
"""

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Count, IfNull, Sum

from crm_app.core.support_metrics import compliance
from crm_app.cx_sales.report.common import column, summary
from crm_app.cx_support.report.common import (
	BREACHED,
	MET,
	SupportFilters,
	dimension_column,
	dimension_key,
	in_period,
	issue_criteria,
	issue_table,
	key_label,
	parse_filters,
	sort_keys,
)

TARGETS = ("response", "resolution")


def execute(filters: dict | None = None):
	support_filters = parse_filters(filters, default_dimension="priority")
	rows = get_data(support_filters)
	return columns(support_filters), rows, None, chart(rows), report_summary(rows)


def get_data(filters: SupportFilters) -> list[dict]:
	issue, key = issue_table(), dimension_key(filters)
	counted = []
	for target in TARGETS:
		status = IfNull(issue[f"{target}_status"], "")
		counted += [
			Sum(Case().when(status != "", 1).else_(0)),
			Sum(Case().when(status == MET, 1).else_(0)),
			Sum(Case().when(status == BREACHED, 1).else_(0)),
		]
	found = (
		frappe.qb.from_(issue)
		.select(issue.sla_policy, key, Count("*"), *counted)
		.where(issue.sla_policy.isnotnull() & (issue.sla_policy != ""))
		.where(in_period(issue.opened_on, filters))
		.where(issue_criteria(filters))
		.groupby(issue.sla_policy, key)
		.run()
	)
	by_policy: dict[str, dict] = {}
	for policy, value, issues, *figures in found:
		by_policy.setdefault(policy, {})[value] = (issues, figures)
	rows = []
	for policy in sorted(by_policy):
		for value in sort_keys(sorted(by_policy[policy]), filters.dimension):
			issues, figures = by_policy[policy][value]
			row = {
				"sla_policy": policy,
				filters.dimension: value or None,
				"group_label": key_label(value, filters.dimension),
				"issues": issues,
			}
			for index, target in enumerate(TARGETS):
				with_target, met, breached = (int(x or 0) for x in figures[3 * index : 3 * index + 3])
				row.update(
					{
						f"{target}_targets": with_target,
						f"{target}_met": met,
						f"{target}_breached": breached,
						f"{target}_running": with_target - met - breached,
						f"{target}_compliance": compliance(met, breached),
					}
				)
			rows.append(row)
	return rows


def columns(filters: SupportFilters) -> list[dict]:
	found = [
		# Text, not a link: Frappe refuses a report whose link columns name a doctype the user may not
		# read, and sales users read issues but not policies.
		column("SLA Policy", "sla_policy", "Data", 160),
		dimension_column(filters),
	]
	if filters.dimension == "agent":
		found.append(column("Agent Name", "group_label", "Data", 150))
	found.append(column("Issues", "issues", "Int", 80))
	for target, label in (("response", "First Response"), ("resolution", "Resolution")):
		found += [
			column(f"{label}: With Target", f"{target}_targets", "Int", 150),
			column(f"{label}: Met", f"{target}_met", "Int", 130),
			column(f"{label}: Breached", f"{target}_breached", "Int", 150),
			column(f"{label}: Running", f"{target}_running", "Int", 140),
			column(f"{label}: Compliance (%)", f"{target}_compliance", "Percent", 170),
		]
	return found


def chart(rows: list[dict]) -> dict | None:
	if not rows:
		return None
	return {
		"data": {
			"labels": [f"{row['sla_policy']}: {row['group_label']}" for row in rows],
			"datasets": [
				{
					"name": _("First Response (%)"),
					"values": [row["response_compliance"] or 0 for row in rows],
				},
				{"name": _("Resolution (%)"), "values": [row["resolution_compliance"] or 0 for row in rows]},
			],
		},
		"type": "bar",
		"colors": ["#5e64ff", "#29cd42"],
		"fieldtype": "Percent",
	}


def report_summary(rows: list[dict]) -> list[dict]:
	def total(field: str) -> int:
		return sum(row[field] for row in rows)

	return [
		summary("Issues Under a Policy", total("issues"), "Int", "Blue"),
		summary(
			"First Response Compliance (%)",
			compliance(total("response_met"), total("response_breached")) or 0,
			"Percent",
			"Green",
		),
		summary(
			"Resolution Compliance (%)",
			compliance(total("resolution_met"), total("resolution_breached")) or 0,
			"Percent",
			"Green",
		),
		summary("Breached Targets", total("response_breached") + total("resolution_breached"), "Int", "Red"),
	]
