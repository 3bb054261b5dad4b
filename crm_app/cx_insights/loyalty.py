"""Loyalty points and tiers on CX Customer, refreshed nightly in bulk (crm_app/core/insights/loyalty.py).

Where ERPNext's Loyalty Program is in use (the integration on and a Loyalty Program defined), the points
are ERPNext's own balance (Loyalty Point Entries: earned less redeemed, unexpired): ERPNext keeps the only
ledger. Otherwise they are computed each night from scratch: points per unit of the won deals' base
amounts plus the points of the actions CX Insights Settings rewards (a call logged on the customer, an
issue of theirs resolved, a satisfaction survey answered, a lead they referred). Tiers always come from
the settings' thresholds.

Only customers whose points or tier changed are written (`update_modified=False`: a figure the server
keeps is not an edit); a tier change also dates `loyalty_tier_since` and leaves a Comment on the customer,
so it shows in the timeline, and CX Trigger rules on `loyalty_tier` act on it. The first run (no customer
has a tier yet) dates the tiers without a comment on each customer.
"""

from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder.functions import Count, Sum
from frappe.utils import cint, flt, getdate, now

from crm_app.core.insights import loyalty as core
from crm_app.exceptions import InsightsSettingsError
from crm_app.integrations.erpnext.common import integration_enabled
from crm_app.utils import core_message

SETTINGS = "CX Insights Settings"
CUSTOMER = "CX Customer"
JOB_ID = "crm_app:cx_insights_loyalty"
BATCH = 5000
WRITE_CHUNK = 1000
FROM_ERPNEXT, COMPUTED = "ERPNext Loyalty Program", "Won deals and actions"


def nightly() -> None:
	"""scheduler_events daily_long."""
	enqueue_refresh()


def enqueue_refresh() -> None:
	frappe.enqueue(
		"crm_app.cx_insights.loyalty.refresh_loyalty",
		queue="long",
		job_id=JOB_ID,
		deduplicate=True,
		enqueue_after_commit=True,
		timeout=3600,
	)


def loyalty_settings() -> tuple[tuple[core.Tier, ...], dict[str, int], float]:
	settings = frappe.get_cached_doc(SETTINGS)
	try:
		tiers = core.parse_tiers(row.as_dict() for row in settings.loyalty_tiers)
		actions = core.parse_actions(row.as_dict() for row in settings.loyalty_actions)
		per_unit = core.check_points_per_unit(
			1 if settings.loyalty_points_per_unit is None else settings.loyalty_points_per_unit
		)
	except core.LoyaltyError as error:
		frappe.throw(core_message(error), InsightsSettingsError, title=_("Insights Settings"))
	return tiers, actions, per_unit


def refresh_loyalty(commit: bool = True) -> dict:
	"""Recompute every customer's points and tier; write the changes in batches. Returns counts."""
	tiers, actions, per_unit = loyalty_settings()
	today = getdate()
	if uses_erpnext_program():
		from crm_app.integrations.erpnext.insights_profitability import loyalty_balances

		points, source = loyalty_balances(today), FROM_ERPNEXT
	else:
		points, source = computed_points(per_unit, actions), COMPUTED
	total = frappe.db.count(CUSTOMER)
	# The first run (no customer has a tier yet: tiers just set up) dates every tier but comments on none:
	# a comment on each customer of the database says nothing anyone would act on.
	first_run = not frappe.db.sql(
		"select 1 from `tabCX Customer` where ifnull(loyalty_tier, '') != '' limit 1"
	)
	seen = updated = changed_tiers = 0
	after = ""
	while batch := stored_standings(after):
		after = batch[-1][0]
		standings = {name: standing for name, standing in batch}
		changes = core.updates(standings, points, tiers, today)
		write(changes)
		moved = [change for change in changes if change.tier_changed]
		if not first_run:
			comment_tier_changes(moved, tiers)
		seen += len(batch)
		updated += len(changes)
		changed_tiers += len(moved)
		if commit:
			frappe.db.commit()
		frappe.publish_progress(
			seen * 100 / max(total, 1),
			title=_("Loyalty"),
			description=_("{0} of {1} customers").format(seen, total),
		)
	return {"customers": seen, "updated": updated, "tier_changes": changed_tiers, "source": source}


def uses_erpnext_program() -> bool:
	if not integration_enabled():
		return False
	from crm_app.integrations.erpnext.insights_profitability import loyalty_program_in_use

	return loyalty_program_in_use()


def stored_standings(after: str) -> list[tuple[str, core.Standing]]:
	customer = frappe.qb.DocType(CUSTOMER)
	rows = (
		frappe.qb.from_(customer)
		.select(customer.name, customer.loyalty_points, customer.loyalty_tier, customer.loyalty_tier_since)
		.where(customer.name > after)
		.orderby(customer.name)
		.limit(BATCH)
		.run()
	)
	return [
		(name, core.Standing(cint(points), tier or "", getdate(since) if since else None))
		for name, points, tier, since in rows
	]


def computed_points(per_unit: float, actions: dict[str, int]) -> dict[str, int]:
	"""Customer -> points from won deals (all time) and the rewarded actions."""
	deal = frappe.qb.DocType("CX Opportunity")
	purchases = (
		frappe.qb.from_(deal)
		.select(deal.customer, Sum(deal.base_amount))
		.where((deal.status == "Won") & deal.customer.isnotnull() & (deal.customer != ""))
		.groupby(deal.customer)
		.run()
	)
	counts = action_counts({action for action, value in actions.items() if value})
	points: dict[str, int] = {}
	for customer in {customer for customer, _amount in purchases} | counts.keys():
		points[customer] = 0
	for customer, amount in purchases:
		points[customer] += core.purchase_points(flt(amount), per_unit)
	for customer, by_action in counts.items():
		points[customer] += core.action_points(by_action, actions)
	return {customer: value for customer, value in points.items() if value}


def action_counts(rewarded: set[str]) -> dict[str, dict[str, int]]:
	"""Customer -> action -> how many times, for the rewarded actions only (one GROUP BY each)."""
	counts: dict[str, dict[str, int]] = defaultdict(dict)
	issue, call, lead = (
		frappe.qb.DocType("CX Issue"),
		frappe.qb.DocType("CX Call Log"),
		frappe.qb.DocType("CX Lead"),
	)
	queries = {
		core.CALL_LOGGED: frappe.qb.from_(call)
		.select(call.reference_name, Count("*"))
		.where(call.reference_doctype == CUSTOMER)
		.groupby(call.reference_name),
		core.ISSUE_RESOLVED: frappe.qb.from_(issue)
		.select(issue.customer, Count("*"))
		.where(
			issue.status.isin(("Resolved", "Closed")) & issue.customer.isnotnull() & (issue.customer != "")
		)
		.groupby(issue.customer),
		core.SURVEY_ANSWERED: frappe.qb.from_(issue)
		.select(issue.customer, Count("*"))
		.where((issue.csat_rating > 0) & issue.customer.isnotnull() & (issue.customer != ""))
		.groupby(issue.customer),
	}
	# A referral needs the lead to name the customer who referred it: counted once CX Lead has that field.
	if frappe.db.has_column("CX Lead", "referred_by"):
		queries[core.REFERRAL] = (
			frappe.qb.from_(lead)
			.select(lead.referred_by, Count("*"))
			.where(lead.referred_by.isnotnull() & (lead.referred_by != ""))
			.groupby(lead.referred_by)
		)
	for action, query in queries.items():
		if action in rewarded:
			for customer, number in query.run():
				counts[customer][action] = cint(number)
	return counts


def write(changes: list[core.LoyaltyUpdate]) -> None:
	"""Each chunk in one UPDATE joined to its rows (a derived table of UNION ALL selects): a CASE per
	column (`frappe.db.bulk_update`) is evaluated branch by branch for every row, ten times slower here,
	and a temporary table is DDL, refused inside a transaction that has written."""
	row = "select %s as name, %s as points, %s as tier, cast(%s as date) as since"
	for offset in range(0, len(changes), WRITE_CHUNK):
		chunk = changes[offset : offset + WRITE_CHUNK]
		rows = " union all ".join([row] * len(chunk))
		frappe.db.sql(
			f"""update `tabCX Customer` customer join ({rows}) batch on batch.name = customer.name
			set customer.loyalty_points = batch.points, customer.loyalty_tier = batch.tier,
				customer.loyalty_tier_since = batch.since""",
			[value for c in chunk for value in (c.customer, c.points, c.tier, c.tier_since)],
		)


def comment_tier_changes(changes: list[core.LoyaltyUpdate], tiers: tuple[core.Tier, ...]) -> None:
	"""One Info comment per tier change, in one insert (a night can move thousands of customers)."""
	if not changes:
		return
	stamp, user = now(), frappe.session.user
	rows = [
		(
			frappe.generate_hash(length=10),
			"Info",
			CUSTOMER,
			change.customer,
			tier_change_text(change, tiers),
			user,
			user,
			stamp,
			stamp,
		)
		for change in changes
	]
	frappe.db.bulk_insert(
		"Comment",
		[
			"name",
			"comment_type",
			"reference_doctype",
			"reference_name",
			"content",
			"owner",
			"modified_by",
			"creation",
			"modified",
		],
		rows,
	)


def tier_change_text(change: core.LoyaltyUpdate, tiers: tuple[core.Tier, ...]) -> str:
	none = _("no tier")
	text = (
		_("Loyalty tier up: {0} to {1} ({2} points).")
		if core.direction(change.previous_tier, change.tier, tiers) == core.UP
		else _("Loyalty tier down: {0} to {1} ({2} points).")
	)
	return text.format(change.previous_tier or none, change.tier or none, change.points)
