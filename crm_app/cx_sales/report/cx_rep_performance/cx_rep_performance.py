# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Rep Performance: one row per owner over one period.

- Leads handled: leads they own created in the period; converted: those of them now Converted.
- Response time: average hours from a lead's creation to its first contact (leads contacted so far).
- Win rate: won / (won + lost) of their opportunities closed in the period; average deal size and sales
  cycle (days from creation to close) over the won ones.
- Activities in the period: calls they logged, meetings they own (Events with a lead, customer or
  opportunity as participant, not cancelled) and emails they sent on those records (the user who sent
  them, whatever address they went out from). Only activities on records the user may see count. The
  territory, source and campaign filters narrow leads and deals, not activities; under them, reps with
  activities only (no lead, closed deal or target) are left out.
- Target: the sum over every month the period touches of their Month target, else a third of their
  Quarter target; attainment: won amount / target.

A restricted sales user sees their own row only.
"""

from dataclasses import replace

import frappe
from frappe import _
from frappe.query_builder import Case, CustomFunction
from frappe.query_builder.functions import Avg, Count, Sum, UnixTimestamp

from crm_app.core.periods import months_between
from crm_app.core.pipeline import LOST, WON, rate
from crm_app.core.sales_metrics import (
	RepFigures,
	attainment,
	monthly_targets,
	rep_figures,
	target_for_months,
)
from crm_app.cx_sales.report.common import (
	LEAD,
	OPPORTUNITY,
	SalesFilters,
	column,
	currency_column,
	group_key,
	in_period,
	money_chart,
	money_message,
	on_visible_records,
	parse_filters,
	record_criteria,
	sales_targets,
	session_restricted,
	summary,
	with_currency,
)
from crm_app.prepared_reports import report_progress
from crm_app.utils import erpnext_installed

DateDiff = CustomFunction("DATEDIFF", ["end", "start"])
Greatest = CustomFunction("GREATEST", ["first", "second"])


def execute(filters: dict | None = None):
	sales_filters = parse_filters(filters)
	if session_restricted():
		sales_filters = replace(sales_filters, owner=frappe.session.user)
	deals = deal_rows(sales_filters)
	report_progress("CX Rep Performance", 1, 3)
	leads = lead_rows(sales_filters)
	report_progress("CX Rep Performance", 2, 3)
	activities = {
		"calls": call_rows(sales_filters),
		"meetings": meeting_rows(sales_filters),
		"emails": email_rows(sales_filters),
	}
	reps = rep_figures(leads, [row[:5] for row in deals], activities, targets_by_owner(sales_filters))
	report_progress("CX Rep Performance", 3, 3)
	if sales_filters.territory or sales_filters.source or sales_filters.campaign:
		# Activities are not narrowed by these filters: keep only reps with work under them.
		reps = [rep for rep in reps if rep.has_pipeline]
	table = rows(reps)
	if erpnext_installed():  # what the books say of the won deals, beside the won amount
		invoiced = {row[0] or "": float(row[5] or 0) for row in deals}
		for row in table:
			row["invoiced_amount"] = invoiced.get(row["owner"], 0.0)
	summaries = report_summary(reps)
	if erpnext_installed():
		summaries.insert(
			1, summary("Invoiced", sum(row["invoiced_amount"] for row in table), "Currency", "Green")
		)
	return columns(), with_currency(table), money_message(), chart(reps), summaries


def lead_rows(filters: SalesFilters) -> list[tuple]:
	"""(owner, handled, converted, average seconds from creation to first contact).

	A lead first contacted before it was entered (an existing conversation, an import) was answered at
	once: 0, not a negative time that would pull the owner's average down."""
	lead = frappe.qb.DocType(LEAD)
	owner = group_key(lead.lead_owner)
	response = UnixTimestamp(lead.first_contacted_on) - UnixTimestamp(lead.creation)
	return (
		frappe.qb.from_(lead)
		.select(
			owner,
			Count("*"),
			Sum(Case().when(lead.status == "Converted", 1).else_(0)),
			Avg(Greatest(response, 0)),
		)
		.where(in_period(lead.creation, filters, is_datetime=True))
		.where(record_criteria(LEAD, filters))
		.groupby(owner)
		.run()
	)


def deal_rows(filters: SalesFilters) -> list[tuple]:
	"""(owner, won, lost, won amount, average days from creation to close of won deals, invoiced on the
	won deals)."""
	opportunity = frappe.qb.DocType(OPPORTUNITY)
	won, owner = opportunity.status == WON, group_key(opportunity.opportunity_owner)
	return (
		frappe.qb.from_(opportunity)
		.select(
			owner,
			Sum(Case().when(won, 1).else_(0)),
			Sum(Case().when(opportunity.status == LOST, 1).else_(0)),
			Sum(Case().when(won, opportunity.base_amount).else_(0)),
			Avg(Case().when(won, DateDiff(opportunity.closed_on, opportunity.creation))),
			Sum(Case().when(won, opportunity.invoiced_amount).else_(0)),
		)
		.where(opportunity.status.isin((WON, LOST)))
		.where(in_period(opportunity.closed_on, filters))
		.where(record_criteria(OPPORTUNITY, filters))
		.groupby(owner)
		.run()
	)


def count_per_user(table, user, started, filters: SalesFilters, *criteria) -> list[tuple]:
	"""(user, count) of the rows of `table` whose `started` falls in the period, for the owner filter if set."""
	query = (
		frappe.qb.from_(table)
		.select(user, Count("*"))
		.where(in_period(started, filters, is_datetime=True))
		.groupby(user)
	)
	for criterion in criteria:
		query = query.where(criterion)
	if filters.owner:
		query = query.where(user == filters.owner)
	return query.run()


def call_rows(filters: SalesFilters) -> list[tuple]:
	call = frappe.qb.DocType("CX Call Log")
	on_records = on_visible_records(call.reference_doctype, call.reference_name)
	return count_per_user(call, call.caller, call.call_start, filters, on_records)


def meeting_rows(filters: SalesFilters) -> list[tuple]:
	event, participant = frappe.qb.DocType("Event"), frappe.qb.DocType("Event Participants")
	on_records = (
		frappe.qb.from_(participant)
		.select(participant.parent)
		.where(participant.parenttype == "Event")
		.where(on_visible_records(participant.reference_doctype, participant.reference_docname))
	)
	return count_per_user(
		event,
		event.owner,
		event.starts_on,
		filters,
		(event.status != "Cancelled") & event.name.isin(on_records),
	)


def email_rows(filters: SalesFilters) -> list[tuple]:
	email, link = frappe.qb.DocType("Communication"), frappe.qb.DocType("Communication Link")
	linked = (
		frappe.qb.from_(link).select(link.parent).where(on_visible_records(link.link_doctype, link.link_name))
	)
	sent_email = (
		(email.communication_type == "Communication")
		& (email.communication_medium == "Email")
		& (email.sent_or_received == "Sent")
	)
	on_records = on_visible_records(email.reference_doctype, email.reference_name) | email.name.isin(linked)
	return count_per_user(email, email.user, email.communication_date, filters, sent_email, on_records)


def targets_by_owner(filters: SalesFilters) -> dict[str, float]:
	months = months_between(filters.from_date, filters.to_date)
	monthly = monthly_targets(sales_targets(filters, months))
	return {
		owner: target_for_months(monthly, owner, months) for owner in {owner for owner, _month in monthly}
	}


def columns() -> list[dict]:
	return [
		column("Owner", "owner", "Link", 200, options="User"),
		column("Leads Handled", "leads", "Int", 110),
		column("Avg Response (Hours)", "response_hours", "Float", 150, precision=1),
		column("Converted", "converted", "Int", 100),
		column("Lead Conversion (%)", "conversion_rate", "Percent", 150),
		column("Won", "won", "Int", 80),
		column("Lost", "lost", "Int", 80),
		column("Win Rate (%)", "win_rate", "Percent", 110),
		currency_column("Won Amount", "won_amount"),
		*([currency_column("Invoiced", "invoiced_amount")] if erpnext_installed() else []),
		currency_column("Avg Deal Size", "average_deal"),
		column("Avg Sales Cycle (Days)", "cycle_days", "Float", 160, precision=1),
		column("Calls", "calls", "Int", 80),
		column("Meetings", "meetings", "Int", 90),
		column("Emails", "emails", "Int", 80),
		column("Activities", "activities", "Int", 100),
		currency_column("Target", "target"),
		column("Attainment (%)", "attainment", "Percent", 130),
	]


def rows(reps: list[RepFigures]) -> list[dict]:
	return [
		{
			"owner": rep.owner,
			"leads": rep.leads,
			"response_hours": rep.response_hours,
			"converted": rep.converted,
			"conversion_rate": rep.conversion_rate,
			"won": rep.won,
			"lost": rep.lost,
			"win_rate": rep.win_rate,
			"won_amount": rep.won_amount,
			"average_deal": rep.average_deal,
			"cycle_days": rep.cycle_days,
			"calls": rep.calls,
			"meetings": rep.meetings,
			"emails": rep.emails,
			"activities": rep.activities,
			"target": rep.target,
			"attainment": rep.attainment,
		}
		for rep in reps
	]


def chart(reps: list[RepFigures]) -> dict:
	shown = [rep for rep in reps if rep.won_amount or rep.target]
	return money_chart(
		{
			"data": {
				"labels": [rep.owner for rep in shown],
				"datasets": [
					{"name": _("Won Amount"), "values": [rep.won_amount for rep in shown]},
					{"name": _("Target"), "values": [rep.target for rep in shown]},
				],
			},
			"type": "bar",
			"colors": ["#29cd42", "#ff5858"],
		}
	)


def report_summary(reps: list[RepFigures]) -> list[dict]:
	won, lost = sum(rep.won for rep in reps), sum(rep.lost for rep in reps)
	won_amount, target = sum(rep.won_amount for rep in reps), sum(rep.target for rep in reps)
	return [
		summary("Won Amount", won_amount, "Currency", "Green"),
		summary("Target", target, "Currency", "Grey"),
		summary("Attainment (%)", attainment(won_amount, target) or 0, "Percent", "Green"),
		summary("Win Rate (%)", rate(won, won + lost), "Percent", "Blue"),
	]
