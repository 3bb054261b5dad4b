# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Campaign Performance: what each campaign (or source, or medium) brought in over a period.

- Members and responses: the distinct people touched in the period, and the touches where they acted
  (captured, clicked, replied); a lead of the campaign created in the period without its stored
  Captured touch counts as one (crm_app/campaigns.py reads old data the same way).
- Leads and opportunities: those created in the period with the campaign set on them.
- Won, won amount and invoiced (ERPNext): deals won in the period, each credited whole to one campaign by
  the attribution model (crm_app/core/marketing/attribution.py), with the source and medium of the
  credited touch.
- Budget, actual cost, ROI and costs per lead and per won deal: by campaign only (a campaign's cost is
  not split by source or medium); amounts in the reporting currency.

Every record read is narrowed to what the user may see (`match_conditions`, as `frappe.get_list`):
touches count only on leads, customers and contacts the user may read, leads and deals only when the
user may read them, and campaigns only those the user may read.
"""

from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder import Case, Criterion
from frappe.query_builder.functions import Coalesce, Count, NullIf, Sum
from frappe.utils import getdate
from pypika.functions import Concat
from pypika.terms import ExistsCriterion

from crm_app.campaigns import to_reporting_currency
from crm_app.core.marketing.attribution import CAPTURED, FIRST_TOUCH, LAST_TOUCH, MODELS, RESPONSE_TYPES
from crm_app.core.marketing.results import campaign_ratios
from crm_app.cx_marketing.results import TOUCH, credited_touches, won_deals
from crm_app.cx_sales.report.common import (
	SalesFilters,
	column,
	currency_column,
	in_period,
	money_chart,
	money_message,
	parse_filters,
	summary,
	with_currency,
)
from crm_app.exceptions import CXValidationError
from crm_app.money import reporting_currency
from crm_app.permissions import match_conditions
from crm_app.prepared_reports import report_progress
from crm_app.utils import erpnext_installed

REPORT = "CX Campaign Performance"
CAMPAIGN, LEAD, OPPORTUNITY = "CX Campaign", "CX Lead", "CX Opportunity"
PEOPLE = ("CX Lead", "CX Customer", "Contact")
GROUPINGS = {
	"Campaign": ("campaign",),
	"Source": ("source",),
	"Medium": ("medium",),
	"Campaign, Source and Medium": ("campaign", "source", "medium"),
}
FIGURES = (
	"members",
	"responses",
	"leads",
	"opportunities",
	"won",
	"won_amount",
	"invoiced",
	"budget",
	"actual_cost",
)
CHART_BARS = 20
# A lead's touches are read by this index (cx_campaign_touch.py); MariaDB otherwise probed them by
# campaign, every touch of the campaign for each lead.
REFERENCE_INDEX = "reference_touched_on_index"


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	period = parse_filters(filters)
	keys = GROUPINGS.get(filters.get("group_by") or "Campaign")
	model = filters.get("attribution") or LAST_TOUCH
	if keys is None or model not in MODELS:
		frappe.throw(_("Choose a grouping and an attribution model from the list."), CXValidationError)
	scope = CampaignScope(filters.get("campaign"))
	rows: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
	add_touches(rows, keys, period, scope)
	report_progress(REPORT, 1, 4)
	add_leads(rows, keys, period, scope)
	add_opportunities(rows, keys, period, scope)
	report_progress(REPORT, 2, 4)
	add_won(rows, keys, period, scope, model)
	report_progress(REPORT, 3, 4)
	if keys == ("campaign",):
		add_costs(rows, period, scope)
	result = finish(rows, keys)
	by_campaign = keys == ("campaign",)
	return (
		columns(keys),
		result,
		message(model, by_campaign),
		chart(result, keys),
		report_summary(result, by_campaign),
	)


class CampaignScope:
	"""The campaign filter and the campaigns the user may read."""

	def __init__(self, campaign: str | None):
		self.campaign = campaign or None
		table = frappe.qb.DocType(CAMPAIGN)
		self.conditions = match_conditions(CAMPAIGN)
		self.readable = (
			None
			if self.conditions is None
			else set(frappe.qb.from_(table).select(table.name).where(self.conditions).run(pluck=True))
		)

	def criterion(self, field) -> Criterion:
		criteria = [field.isnotnull(), field != ""]
		if self.campaign:
			criteria.append(field == self.campaign)
		if self.readable is not None:
			criteria.append(field.isin(sorted(self.readable) or [""]))
		return Criterion.all(criteria)

	def allows(self, campaign: str | None) -> bool:
		if not campaign or (self.campaign and campaign != self.campaign):
			return False
		return self.readable is None or campaign in self.readable


def visible(doctype: str, name_field) -> Criterion:
	"""`name_field` names a `doctype` record the user may read (and that still exists)."""
	table = frappe.qb.DocType(doctype)
	records = frappe.qb.from_(table).select(table.name)
	if (conditions := match_conditions(doctype)) is not None:
		records = records.where(conditions)
	return name_field.isin(records)


def visible_people(doctype_field, name_field) -> Criterion:
	readable = [doctype for doctype in PEOPLE if frappe.has_permission(doctype, "read")]
	return (
		Criterion.any([(doctype_field == doctype) & visible(doctype, name_field) for doctype in readable])
		if readable
		else (doctype_field == "")
	)  # reads nobody


def lead_source_medium(lead):
	"""A lead's source (its UTM source, else its Lead Source) and medium (its UTM medium)."""
	meta = frappe.get_meta(LEAD)
	source = lead.source
	if meta.has_field("utm_source"):
		source = Coalesce(NullIf(lead.utm_source, ""), lead.source)
	medium = lead.utm_medium if meta.has_field("utm_medium") else None
	return source, medium


def grouped(query, key_terms: dict, keys: tuple[str, ...]):
	"""Select and group `query` by the report's key columns (from a fixed list)."""
	terms = [key_terms[key] for key in keys]
	selected = [term.as_(key) if term is not None else None for key, term in zip(keys, terms, strict=True)]
	query = query.select(*[term for term in selected if term is not None])
	groupable = [term for term in terms if term is not None]
	return query.groupby(*groupable) if groupable else query


def add(rows: dict, keys: tuple[str, ...], results: list[dict], *figures: str) -> None:
	for result in results:
		row = rows[tuple(result.get(key) or None for key in keys)]
		for figure in figures:
			row[figure] += result.get(figure) or 0


def add_touches(rows, keys, period: SalesFilters, scope: CampaignScope) -> None:
	touch = frappe.qb.DocType(TOUCH)
	query = frappe.qb.from_(touch).select(
		Count(Concat(touch.reference_doctype, ":", touch.reference_name)).distinct().as_("members"),
		Sum(Case().when(touch.touch_type.isin(list(RESPONSE_TYPES)), 1).else_(0)).as_("responses"),
	)
	query = (
		grouped(
			query,
			{"campaign": touch.campaign, "source": touch.utm_source, "medium": touch.utm_medium},
			keys,
		)
		.where(in_period(touch.touched_on, period, is_datetime=True))
		.where(scope.criterion(touch.campaign))
		.where(visible_people(touch.reference_doctype, touch.reference_name))
	)
	add(rows, keys, query.run(as_dict=True), "members", "responses")


def _touch_of_lead(lead, *touch_types: str):
	touch = frappe.qb.DocType(TOUCH)
	query = (
		frappe.qb.from_(touch)
		.force_index(REFERENCE_INDEX)
		.select(touch.name)
		.where(touch.reference_doctype == LEAD)
		.where(touch.reference_name == lead.name)
		.where(touch.campaign == lead.campaign)
	)
	if touch_types:
		query = query.where(touch.touch_type.isin(list(touch_types)))
	return ExistsCriterion(query)


def add_leads(rows, keys, period: SalesFilters, scope: CampaignScope) -> None:
	"""Leads created in the period; those without stored touches of their campaign count as its members
	and responses (their campaign is their Captured touch)."""
	lead = frappe.qb.DocType(LEAD)
	source, medium = lead_source_medium(lead)
	conditions = match_conditions(LEAD)
	for figure, extra in (
		("leads", None),
		("members", _touch_of_lead(lead).negate()),
		("responses", _touch_of_lead(lead, CAPTURED).negate()),
	):
		query = frappe.qb.from_(lead).select(Count("*").as_(figure))
		query = grouped(query, {"campaign": lead.campaign, "source": source, "medium": medium}, keys)
		query = query.where(in_period(lead.creation, period, is_datetime=True)).where(
			scope.criterion(lead.campaign)
		)
		if extra is not None:
			query = query.where(extra)
		if conditions is not None:
			query = query.where(conditions)
		add(rows, keys, query.run(as_dict=True), figure)


def add_opportunities(rows, keys, period: SalesFilters, scope: CampaignScope) -> None:
	deal, lead = frappe.qb.DocType(OPPORTUNITY), frappe.qb.DocType(LEAD)
	lead_source, medium = lead_source_medium(lead)
	query = (
		frappe.qb.from_(deal)
		.left_join(lead)
		.on(lead.name == deal.lead)
		.select(Count("*").as_("opportunities"))
	)
	query = grouped(
		query,
		{"campaign": deal.campaign, "source": Coalesce(lead_source, deal.source), "medium": medium},
		keys,
	)
	query = query.where(in_period(deal.creation, period, is_datetime=True)).where(
		scope.criterion(deal.campaign)
	)
	if (conditions := match_conditions(OPPORTUNITY)) is not None:
		query = query.where(conditions)
	add(rows, keys, query.run(as_dict=True), "opportunities")


def add_won(rows, keys, period: SalesFilters, scope: CampaignScope, model: str) -> None:
	deal = frappe.qb.DocType(OPPORTUNITY)
	criteria = [in_period(deal.closed_on, period)]
	if (conditions := match_conditions(OPPORTUNITY)) is not None:
		criteria.append(conditions)
	deals = won_deals(*criteria)
	credited = credited_touches(deals, model)
	for won in deals:
		touch = credited.get(won.name)
		if touch is None or not scope.allows(touch.campaign):
			continue
		values = {"campaign": touch.campaign, "source": touch.utm_source, "medium": touch.utm_medium}
		row = rows[tuple(values[key] or None for key in keys)]
		row["won"] += 1
		row["won_amount"] += won.amount
		row["invoiced"] += won.invoiced


def add_costs(rows, period: SalesFilters, scope: CampaignScope) -> None:
	"""Budget and cost of the campaigns shown, and of those running in the period without results."""
	table = frappe.qb.DocType(CAMPAIGN)
	query = (
		frappe.qb.from_(table)
		.select(table.name, table.currency, table.budget, table.actual_cost)
		.where(scope.criterion(table.name))
	)
	shown = [key[0] for key in rows]
	running = (table.start_date <= period.to_date) & (
		table.end_date.isnull() | (table.end_date >= period.from_date)
	)
	query = query.where(table.name.isin(shown or [""]) | running)
	reporting, today = reporting_currency(), getdate()
	for name, currency, budget, actual_cost in query.run():
		row = rows[(name,)]
		row["budget"] = to_reporting_currency(budget, currency, reporting, today)
		row["actual_cost"] = to_reporting_currency(actual_cost, currency, reporting, today)


def finish(rows: dict[tuple, dict], keys: tuple[str, ...]) -> list[dict]:
	result = []
	with_books = erpnext_installed()
	for key, figures in rows.items():
		row = {**dict(zip(keys, key, strict=True)), **figures}
		cost = row["actual_cost"]
		ratios = campaign_ratios(
			actual_cost=cost or 0,
			won_amount=row["won_amount"],
			invoiced_amount=row["invoiced"] if with_books else None,
			leads=row["leads"],
			won_deals=row["won"],
		)
		row.update(
			roi_percent=ratios.roi_percent,
			cost_per_lead=ratios.cost_per_lead,
			cost_per_won_deal=ratios.cost_per_won_deal,
		)
		result.append(row)
	result.sort(key=lambda row: (-row["won_amount"], -row["leads"], [str(row[k] or "") for k in keys]))
	return with_currency(result)


def columns(keys: tuple[str, ...]) -> list[dict]:
	labels = {
		"campaign": column("Campaign", "campaign", "Link", 180, options=CAMPAIGN),
		"source": column("Source", "source", "Data", 140),
		"medium": column("Medium", "medium", "Data", 120),
	}
	result = [labels[key] for key in keys]
	result += [
		column("Members", "members", "Int", 100),
		column("Responses", "responses", "Int", 100),
		column("Leads", "leads", "Int", 90),
		column("Opportunities", "opportunities", "Int", 110),
		column("Won", "won", "Int", 80),
		currency_column("Won Amount", "won_amount"),
	]
	if erpnext_installed():
		result.append(currency_column("Invoiced", "invoiced"))
	if keys == ("campaign",):
		result += [
			currency_column("Budget", "budget"),
			currency_column("Actual Cost", "actual_cost"),
			column("ROI (%)", "roi_percent", "Percent", 100),
			currency_column("Cost per Lead", "cost_per_lead"),
			currency_column("Cost per Won Deal", "cost_per_won_deal"),
		]
	return result


def message(model: str, by_campaign: bool) -> str:
	credit = (
		_("Each won deal is credited to the first campaign that touched its people before the win.")
		if model == FIRST_TOUCH
		else _("Each won deal is credited to the last campaign that touched its people before the win.")
	)
	parts = [money_message(), credit]
	if not by_campaign:
		parts.append(_("Costs and ROI are shown by campaign only."))
	return " ".join(parts)


def chart(result: list[dict], keys: tuple[str, ...]) -> dict | None:
	bars = [row for row in result if row["won_amount"] or row.get("actual_cost")][:CHART_BARS]
	if not bars:
		return None
	labels = [" / ".join(str(row[key] or _("Not Set")) for key in keys) for row in bars]
	datasets = [{"name": _("Won Amount"), "values": [row["won_amount"] for row in bars]}]
	if keys == ("campaign",):
		datasets.append({"name": _("Actual Cost"), "values": [row["actual_cost"] or 0 for row in bars]})
	return money_chart({"data": {"labels": labels, "datasets": datasets}, "type": "bar"})


def report_summary(result: list[dict], by_campaign: bool) -> list[dict]:
	totals = {figure: sum(row[figure] or 0 for row in result) for figure in FIGURES}
	shown = [
		summary("Members", totals["members"]),
		summary("Leads", totals["leads"]),
		summary("Won", totals["won"], indicator="Green"),
		summary("Won Amount", totals["won_amount"], "Currency", "Green"),
	]
	if by_campaign:
		ratios = campaign_ratios(
			actual_cost=totals["actual_cost"],
			won_amount=totals["won_amount"],
			invoiced_amount=None,
			leads=int(totals["leads"]),
			won_deals=int(totals["won"]),
		)
		shown += [
			summary("Actual Cost", totals["actual_cost"], "Currency", "Orange"),
			summary("ROI (%)", ratios.roi_percent, "Percent", "Green"),
		]
	return shown
