"""Campaign results on existing sites: the new figures of CX Campaign (members, responses, ROI, costs per
lead and per won deal, first and last touch won amounts) counted once now instead of at the next daily
recount (crm_app/campaigns.py), and the Campaign Performance report prepared as its JSON says."""

from crm_app.campaigns import recount_all_campaigns
from crm_app.prepared_reports import sync_prepared_flags


def execute():
	sync_prepared_flags()
	recount_all_campaigns()
