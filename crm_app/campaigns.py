"""Campaign figures shown on the form and the list: members, responses, leads, opportunities, won and
invoiced amounts, what the campaign cost per lead and per won deal, its ROI, and the won amount credited
to it by first and last touch attribution.

A lead or opportunity whose change moves what a campaign counts (it joins or leaves the campaign, a deal
is won or no longer won, a won deal's amount changes: crm_app/core/marketing/attribution.py), or a touch
recorded for it (crm_app/cx_marketing/results.py), queues a refresh of that campaign (deduplicated per
campaign, after commit), so a burst of saves costs one count per campaign and an ordinary save none.
Attribution, where a new touch of one campaign can take a deal from another, is recounted only for the
campaigns concerned (those touching the people of the won deals that changed), one deduplicated job per
campaign on the long queue. A daily job recounts every campaign with one GROUP BY per figure, which also
covers bulk loads that bypass the documents. Amounts are in the reporting currency (crm_app/money.py); the
campaign's cost is converted to it at the latest Currency Exchange rate where its currency differs.
"""

import frappe
from frappe.utils import flt, getdate

from crm_app.core.marketing.attribution import (
	CAPTURED,
	FIRST_TOUCH,
	LAST_TOUCH,
	RESPONSE_TYPES,
	DealState,
	LeadState,
	deal_moves_attribution,
	deal_rollup_campaigns,
	lead_moves_attribution,
	lead_rollup_campaigns,
)
from crm_app.core.marketing.results import campaign_ratios
from crm_app.core.pipeline import WON
from crm_app.money import exchange_rate, reporting_currency
from crm_app.utils import erpnext_installed

CAMPAIGN = "CX Campaign"
ATTRIBUTION_JOB = "crm_app:campaign_attribution"  # job id prefix, one job per campaign
# Fixed WHERE fragments (no values in them): one campaign list, or every campaign.
SOME, ALL = "in %(campaigns)s", "is not null"
CAPTURED_ONLY = "and touch.touch_type = %(captured)s"


def queue_campaign_refresh(*campaigns: str | None) -> None:
	"""The counted figures of these campaigns (not attribution: queue_attribution_refresh)."""
	for campaign in sorted({campaign for campaign in campaigns if campaign}):
		frappe.enqueue(
			"crm_app.campaigns.refresh_campaign_rollups",
			campaigns=[campaign],
			queue="short",
			job_id=f"crm_app:campaign_rollups:{campaign}",
			deduplicate=True,
			enqueue_after_commit=True,
		)


def queue_attribution_refresh(*campaigns: str | None) -> None:
	"""The first and last touch amounts of these campaigns, one deduplicated job per campaign."""
	for campaign in sorted({campaign for campaign in campaigns if campaign}):
		frappe.enqueue(
			"crm_app.campaigns.refresh_attribution",
			campaigns=[campaign],
			queue="long",
			job_id=f"{ATTRIBUTION_JOB}:{campaign}",
			deduplicate=True,
			enqueue_after_commit=True,
		)


def on_deal_change(before, after) -> None:
	"""A deal saved (`before`: the document before the save, None when new) or deleted (`after` None):
	queue what its change moves, nothing for a save that moves no figure."""
	old, new = deal_state(before), deal_state(after)
	queue_campaign_refresh(*deal_rollup_campaigns(old, new))
	if deal_moves_attribution(old, new):
		from crm_app.cx_marketing.results import campaigns_touching, deal_people

		people = set().union(*(deal_people(state.lead, state.customer) for state in (old, new) if state))
		queue_attribution_refresh(*campaigns_touching(people))


def deal_state(doc) -> DealState | None:
	if doc is None:
		return None
	return DealState(
		campaign=doc.campaign or None,
		won=doc.status == WON,
		amount=flt(doc.base_amount),
		closed_on=getdate(doc.closed_on) if doc.closed_on else None,
		lead=doc.lead or None,
		customer=doc.customer or None,
	)


def on_lead_change(name: str, before, after) -> None:
	"""A lead saved or deleted (as on_deal_change): its campaign's counts when it joins or leaves it;
	attribution when its campaign or customer changes and a deal of theirs is won."""
	old, new = lead_state(before), lead_state(after)
	queue_campaign_refresh(*lead_rollup_campaigns(old, new))
	if lead_moves_attribution(old, new):
		from crm_app.cx_marketing.results import attribution_scope

		states = [state for state in (old, new) if state]
		people = {("CX Lead", name)} | {("CX Customer", s.customer) for s in states if s.customer}
		queue_attribution_refresh(*attribution_scope(people, also=[s.campaign for s in states]))


def lead_state(doc) -> LeadState | None:
	if doc is None:
		return None
	return LeadState(campaign=doc.campaign or None, customer=doc.customer or None)


def refresh_campaign_rollups(campaigns: list[str]) -> None:
	"""Recount the given campaigns: indexed GROUP BYs restricted to them."""
	campaigns = [c for c in campaigns if c and frappe.db.exists(CAMPAIGN, c)]
	if campaigns:
		write_figures(campaign_figures(campaigns))


def refresh_all_campaign_rollups() -> None:
	"""Scheduled daily: every campaign's figures and attribution, each figure by one GROUP BY."""
	recount_all_campaigns()
	frappe.db.commit()


def recount_all_campaigns() -> None:
	write_figures(campaign_figures(None))
	recount_attribution()


def refresh_attribution(campaigns: list[str] | None = None) -> None:
	"""The deduplicated job: first and last touch won amounts of these campaigns (None: every one)."""
	recount_attribution(campaigns)
	frappe.db.commit()


def recount_attribution(campaigns: list[str] | None = None) -> None:
	"""First and last touch won amounts of these campaigns, or of every campaign (None)
	(crm_app/cx_marketing/results.py)."""
	from crm_app.cx_marketing.results import credited_amounts

	if campaigns is not None:
		recount_campaigns_attribution(campaigns)
		return
	first, last = credited_amounts(FIRST_TOUCH), credited_amounts(LAST_TOUCH)
	table = frappe.qb.DocType(CAMPAIGN)
	frappe.qb.update(table).set(table.first_touch_won_amount, 0).set(table.last_touch_won_amount, 0).where(
		(table.first_touch_won_amount != 0) | (table.last_touch_won_amount != 0)
	).run()
	values = {
		campaign: {
			"first_touch_won_amount": first.get(campaign, {}).get("won_amount", 0),
			"last_touch_won_amount": last.get(campaign, {}).get("won_amount", 0),
		}
		for campaign in {*first, *last}
	}
	frappe.db.bulk_update(CAMPAIGN, values, chunk_size=500, update_modified=False)


def recount_campaigns_attribution(campaigns: list[str]) -> None:
	"""A deal credited to a campaign is one of the won deals of the people it touched: only those are
	credited again, and only these campaigns' amounts written."""
	from crm_app.cx_marketing.results import credited_amounts, won_deals_of_campaigns

	campaigns = [c for c in campaigns if c and frappe.db.exists(CAMPAIGN, c)]
	if not campaigns:
		return
	deals = won_deals_of_campaigns(campaigns)
	first = last = {}
	if deals:
		deal = frappe.qb.DocType("CX Opportunity")
		first = credited_amounts(FIRST_TOUCH, deal.name.isin(deals))
		last = credited_amounts(LAST_TOUCH, deal.name.isin(deals))
	values = {
		campaign: {
			"first_touch_won_amount": first.get(campaign, {}).get("won_amount", 0),
			"last_touch_won_amount": last.get(campaign, {}).get("won_amount", 0),
		}
		for campaign in campaigns
	}
	frappe.db.bulk_update(CAMPAIGN, values, chunk_size=500, update_modified=False)


def campaign_figures(campaigns: list[str] | None) -> dict[str, dict]:
	"""Every stored figure of the campaigns (None: all), by campaign."""
	scope = SOME if campaigns else ALL
	values = {"campaigns": tuple(campaigns or ()), "won": WON, "responses": tuple(RESPONSE_TYPES)}
	values["captured"] = CAPTURED
	names = campaigns or frappe.get_all(CAMPAIGN, pluck="name")
	figures = {name: _empty_figures() for name in names}

	def add(rows, *fields):
		for campaign, *numbers in rows:
			if campaign in figures:
				for field, number in zip(fields, numbers, strict=True):
					figures[campaign][field] += flt(number)

	# {scope} is SOME or ALL, fixed fragments; every value is a parameter.
	add(
		frappe.db.sql(
			f"select campaign, count(*) from `tabCX Lead` where campaign {scope} group by campaign", values
		),
		"leads_count",
	)
	add(
		frappe.db.sql(
			f"""select campaign, count(*), sum(status = %(won)s), sum(if(status = %(won)s, base_amount, 0)),
				sum(invoiced_amount)
			from `tabCX Opportunity` where campaign {scope} group by campaign""",
			values,
		),
		"opportunities_count",
		"won_count",
		"won_amount",
		"invoiced_amount",
	)
	# Members: the distinct people touched, and the leads of the campaign it never touched; responses:
	# the touches where the person acted, and the leads of the campaign without their stored Captured
	# touch (entered before touches were recorded, or by hand), which came in through it all the same.
	add(
		frappe.db.sql(
			f"""select campaign, count(distinct reference_doctype, reference_name),
				sum(touch_type in %(responses)s)
			from `tabCX Campaign Touch` where campaign {scope} group by campaign""",
			values,
		),
		"members_count",
		"responses_count",
	)
	for field, only_captured in (("members_count", ""), ("responses_count", CAPTURED_ONLY)):
		# {only_captured} is empty or a fixed condition. The index is forced: MariaDB probed the touches by
		# campaign (every touch of the campaign for each lead: minutes at 300,000 touches).
		add(
			frappe.db.sql(
				f"""select lead.campaign, count(*) from `tabCX Lead` lead
				where lead.campaign {scope} and not exists (
					select 1 from `tabCX Campaign Touch` touch force index (reference_touched_on_index)
					where touch.reference_doctype = 'CX Lead'
						and touch.reference_name = lead.name and touch.campaign = lead.campaign {only_captured})
				group by lead.campaign""",
				values,
			),
			field,
		)
	_add_ratios(figures)
	return figures


def _empty_figures() -> dict:
	return dict.fromkeys(
		(
			"members_count",
			"responses_count",
			"leads_count",
			"opportunities_count",
			"won_count",
			"won_amount",
			"invoiced_amount",
		),
		0.0,
	)


def _add_ratios(figures: dict[str, dict]) -> None:
	currency, today, with_books = reporting_currency(), getdate(), erpnext_installed()
	table = frappe.qb.DocType(CAMPAIGN)
	costs = (
		frappe.qb.from_(table)
		.select(table.name, table.currency, table.actual_cost)
		.where(table.name.isin(list(figures) or [""]))
		.run()
	)
	for name, cost_currency, actual_cost in costs:
		row = figures[name]
		base_cost = to_reporting_currency(actual_cost, cost_currency, currency, today)
		ratios = campaign_ratios(
			actual_cost=base_cost or 0.0,
			won_amount=row["won_amount"],
			invoiced_amount=row["invoiced_amount"] if with_books else None,
			leads=int(row["leads_count"]),
			won_deals=int(row["won_count"]),
		)
		row.update(
			base_currency=currency,
			base_actual_cost=base_cost,
			roi_percent=ratios.roi_percent,
			invoiced_roi_percent=ratios.invoiced_roi_percent,
			cost_per_lead=ratios.cost_per_lead,
			cost_per_won_deal=ratios.cost_per_won_deal,
		)


def to_reporting_currency(amount, currency: str | None, reporting: str, on) -> float | None:
	"""`amount` of a campaign (its budget or cost) in the reporting currency; None without a rate."""
	if not amount:
		return 0.0
	rate = exchange_rate(currency or reporting, reporting, on)
	return round(flt(amount) * rate[0], 2) if rate else None


def write_figures(figures: dict[str, dict]) -> None:
	# Frappe's number columns are NOT NULL: an unknown ratio is stored as 0 and the form hides it
	# (depends_on) where it means nothing (no cost, no leads, no won deal).
	values = {
		name: {field: 0 if value is None else value for field, value in row.items()}
		for name, row in figures.items()
	}
	frappe.db.bulk_update(CAMPAIGN, values, chunk_size=500, update_modified=False)
