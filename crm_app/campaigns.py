"""Campaign figures shown on the form and the list: leads, opportunities, won and invoiced amounts.

A lead or opportunity that joins, leaves or changes within a campaign queues a refresh of that campaign
(deduplicated per campaign, after commit), so a burst of saves costs one count per campaign; a daily job
recounts every campaign in three set-based statements, which also covers bulk loads that bypass the
documents. The won amount is in the reporting currency (crm_app/money.py).
"""

import frappe
from frappe.query_builder import Case
from frappe.query_builder.functions import Count, Sum

from crm_app.core.pipeline import WON
from crm_app.money import reporting_currency


def queue_campaign_refresh(*campaigns: str | None) -> None:
	for campaign in sorted({campaign for campaign in campaigns if campaign}):
		frappe.enqueue(
			"crm_app.campaigns.refresh_campaign_rollups",
			campaigns=[campaign],
			queue="short",
			job_id=f"crm_app:campaign_rollups:{campaign}",
			deduplicate=True,
			enqueue_after_commit=True,
		)


def refresh_campaign_rollups(campaigns: list[str]) -> None:
	"""Recount the given campaigns: one indexed count per doctype and campaign."""
	lead, opportunity = frappe.qb.DocType("CX Lead"), frappe.qb.DocType("CX Opportunity")
	for campaign in campaigns:
		if not frappe.db.exists("CX Campaign", campaign):
			continue
		leads = frappe.qb.from_(lead).select(Count("*")).where(lead.campaign == campaign).run()[0][0]
		deals, won, invoiced = (
			frappe.qb.from_(opportunity)
			.select(
				Count("*"),
				Sum(Case().when(opportunity.status == WON, opportunity.base_amount).else_(0)),
				Sum(opportunity.invoiced_amount),
			)
			.where(opportunity.campaign == campaign)
			.run()[0]
		)
		frappe.db.set_value(
			"CX Campaign",
			campaign,
			{
				"leads_count": leads or 0,
				"opportunities_count": deals or 0,
				"won_amount": won or 0,
				"invoiced_amount": invoiced or 0,
				"base_currency": reporting_currency(),
			},
			update_modified=False,
		)


def refresh_all_campaign_rollups() -> None:
	"""Scheduled daily: every campaign at once, each figure by one GROUP BY joined back."""
	frappe.db.sql(
		"""update `tabCX Campaign` campaign
		left join (select campaign, count(*) as leads from `tabCX Lead`
			where campaign is not null group by campaign) lead on lead.campaign = campaign.name
		left join (select campaign, count(*) as deals,
				sum(if(status = %(won)s, base_amount, 0)) as won, sum(invoiced_amount) as invoiced
			from `tabCX Opportunity`
			where campaign is not null group by campaign) deal on deal.campaign = campaign.name
		set campaign.base_currency = %(currency)s, campaign.leads_count = ifnull(lead.leads, 0),
			campaign.opportunities_count = ifnull(deal.deals, 0),
			campaign.won_amount = ifnull(deal.won, 0), campaign.invoiced_amount = ifnull(deal.invoiced, 0)""",
		{"won": WON, "currency": reporting_currency()},
	)
	frappe.db.commit()
