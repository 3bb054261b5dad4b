"""Lead capture on existing sites: each campaign's UTM campaign value (CX Campaign.utm_slug), which capture
looks a link's utm_campaign up by (crm_app/cx_marketing/capture.py), set from its name in batches."""

import frappe

from crm_app.core.marketing.capture import slug

BATCH = 1_000


def execute():
	campaign = frappe.qb.DocType("CX Campaign")
	after = ""
	while True:
		rows = (
			frappe.qb.from_(campaign)
			.select(campaign.name, campaign.campaign_name)
			.where(campaign.name > after)
			.orderby(campaign.name)
			.limit(BATCH)
			.run()
		)
		if not rows:
			return
		values = {name: {"utm_slug": slug(label or name) or None} for name, label in rows}
		frappe.db.bulk_update("CX Campaign", values, update_modified=False)
		after = rows[-1][0]
