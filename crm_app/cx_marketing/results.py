"""Campaign touches: the record of each contact a person had with a campaign.

Lead capture and campaign email call `record_touch` / `record_touches` (cheap, no commit: safe in hooks
and jobs); the campaign figures (crm_app/campaigns.py) and the Campaign Performance report read them.
Touches are written by the server only, in one multi-row INSERT per call.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time

import frappe
from frappe import _
from frappe.query_builder import Criterion
from frappe.utils import flt, get_datetime, getdate, now_datetime
from pypika.terms import PseudoColumn

from crm_app.core.marketing.attribution import (
	CAPTURED,
	CREDITED_TYPES,
	TOUCH_TYPES,
	AttributionError,
	Touch,
	check_model,
	check_touch_type,
	credited_touch,
)
from crm_app.core.pipeline import WON
from crm_app.exceptions import InvalidTouchError

TOUCH = "CX Campaign Touch"
OPPORTUNITY, LEAD = "CX Opportunity", "CX Lead"
FIELDS = (
	"name",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"campaign",
	"reference_doctype",
	"reference_name",
	"email",
	"touch_type",
	"touched_on",
	"utm_source",
	"utm_medium",
)


def record_touch(
	campaign: str,
	reference_doctype: str,
	reference_name: str,
	touch_type: str,
	*,
	email: str | None = None,
	utm_source: str | None = None,
	utm_medium: str | None = None,
	touched_on=None,
) -> None:
	"""Record one touch of `campaign` on a record (nothing when campaign is empty). No commit."""
	record_touches(
		[
			{
				"campaign": campaign,
				"reference_doctype": reference_doctype,
				"reference_name": reference_name,
				"touch_type": touch_type,
				"email": email,
				"utm_source": utm_source,
				"utm_medium": utm_medium,
				"touched_on": touched_on,
			}
		]
	)


def record_touches(rows: list[dict]) -> None:
	"""Record many touches in one multi-row INSERT (per 10,000); rows take record_touch's arguments as
	keys. Rows without a campaign are skipped; a bad row refuses the whole call, so nothing is half
	written. The campaigns' figures are refreshed in the background after commit."""
	rows = [row for row in rows if row.get("campaign")]
	if not rows:
		return
	_check_rows(rows)
	now, user = now_datetime(), frappe.session.user
	# As CX Duplicate Key: UUID_SHORT() names (increasing on the server), no sequence round trip per row.
	next_name = PseudoColumn("uuid_short()")
	values = [
		(
			next_name,
			now,
			now,
			user,
			user,
			row["campaign"],
			row["reference_doctype"],
			row["reference_name"],
			(row.get("email") or None),
			row["touch_type"],
			_moment(row.get("touched_on"), now),
			(row.get("utm_source") or None),
			(row.get("utm_medium") or None),
		)
		for row in rows
	]
	frappe.db.bulk_insert(TOUCH, FIELDS, values, chunk_size=10_000)
	_refresh_after_commit({row["campaign"] for row in rows})


def _check_rows(rows: list[dict]) -> None:
	for row in rows:
		try:
			check_touch_type(row.get("touch_type") or "")
		except AttributionError:
			frappe.throw(
				_("Unknown touch type {0}: expected one of {1}.").format(
					frappe.bold(row.get("touch_type")), ", ".join(_(kind) for kind in TOUCH_TYPES)
				),
				InvalidTouchError,
			)
		if not row.get("reference_doctype") or not row.get("reference_name"):
			frappe.throw(_("A campaign touch needs the record it touched."), InvalidTouchError)
	campaigns = {row["campaign"] for row in rows}
	campaign = frappe.qb.DocType("CX Campaign")
	found = set(
		frappe.qb.from_(campaign).select(campaign.name).where(campaign.name.isin(campaigns)).run(pluck=True)
	)
	if missing := sorted(campaigns - found):
		frappe.throw(_("Campaign {0} does not exist.").format(frappe.bold(missing[0])), InvalidTouchError)


def _moment(value, default: datetime) -> datetime:
	return get_datetime(value) if value else default


def _refresh_after_commit(campaigns: Iterable[str]) -> None:
	"""Queue each campaign's recount once per transaction, however many touches it records."""
	from crm_app.campaigns import queue_campaign_refresh

	queued = getattr(frappe.local, "cx_touch_refresh_queued", None)
	new = set(campaigns) - (queued or set())
	if not new:
		return
	if queued is None:
		queued = frappe.local.cx_touch_refresh_queued = set()
		frappe.db.after_commit.add(_forget_queued)
		frappe.db.after_rollback.add(_forget_queued)
	queued |= new
	queue_campaign_refresh(*new)


def _forget_queued() -> None:
	frappe.local.cx_touch_refresh_queued = None


def forget_touches(doc, method=None) -> None:
	"""doc_events on_trash of leads, customers and contacts: their touches go with them."""
	touch = frappe.qb.DocType(TOUCH)
	of_record = (touch.reference_doctype == doc.doctype) & (touch.reference_name == doc.name)
	campaigns = frappe.qb.from_(touch).select(touch.campaign).distinct().where(of_record).run(pluck=True)
	if campaigns:
		frappe.qb.from_(touch).delete().where(of_record).run()
		_refresh_after_commit(campaigns)


# -- attribution ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WonDeal:
	name: str
	won_on: datetime  # the end of its closing day: touches that day count
	amount: float  # base amount, in the reporting currency
	invoiced: float


def won_deals(*criteria: Criterion) -> list[WonDeal]:
	"""Won deals with a lead or a customer, narrowed by `criteria` on CX Opportunity (the caller adds
	what the user may see of them)."""
	deal = frappe.qb.DocType(OPPORTUNITY)
	query = (
		frappe.qb.from_(deal)
		.select(deal.name, deal.closed_on, deal.modified, deal.base_amount, deal.invoiced_amount)
		.where(deal.status == WON)
		.where(deal.lead.isnotnull() | deal.customer.isnotnull())
	)
	for criterion in criteria:
		query = query.where(criterion)
	return [
		WonDeal(
			name,
			datetime.combine(getdate(closed_on), time.max) if closed_on else get_datetime(modified),
			flt(amount),
			flt(invoiced),
		)
		for name, closed_on, modified, amount, invoiced in query.run()
	]


def credited_touches(deals: list[WonDeal], model: str) -> dict[str, Touch]:
	"""The touch each deal is credited to under `model` (deals without a touch are left out)."""
	check_model(model)
	credited = {}
	for start in range(0, len(deals), DEAL_CHUNK):
		chunk = deals[start : start + DEAL_CHUNK]
		touches = touches_of_deals([deal.name for deal in chunk])
		for deal in chunk:
			if touch := credited_touch(touches.get(deal.name, ()), deal.won_on, model):
				credited[deal.name] = touch
	return credited


DEAL_CHUNK = 2_000
# The people of a deal: its lead, its customer, the customer's original lead, the lead's customer once
# converted, and the customer's contacts. Fixed SQL; only the deal names are parameters.
DEAL_PEOPLE = """
	select deal.name as deal, 'CX Lead' as ref_doctype, deal.lead as ref_name
	from `tabCX Opportunity` deal where deal.name in %(deals)s and deal.lead is not null
	union select deal.name, 'CX Customer', deal.customer
	from `tabCX Opportunity` deal where deal.name in %(deals)s and deal.customer is not null
	union select deal.name, 'CX Lead', customer.lead
	from `tabCX Opportunity` deal join `tabCX Customer` customer on customer.name = deal.customer
	where deal.name in %(deals)s and customer.lead is not null
	union select deal.name, 'CX Customer', lead.customer
	from `tabCX Opportunity` deal join `tabCX Lead` lead on lead.name = deal.lead
	where deal.name in %(deals)s and lead.customer is not null
	union select deal.name, 'Contact', link.parent
	from `tabCX Opportunity` deal join `tabDynamic Link` link on link.link_name = deal.customer
		and link.link_doctype = 'CX Customer' and link.parenttype = 'Contact'
	where deal.name in %(deals)s
"""


def touches_of_deals(deals: list[str]) -> dict[str, list[Touch]]:
	"""Every creditable touch of each deal's people, at any time (the choice drops those after the win),
	plus each of its leads' own campaign as a Captured touch at the lead's creation where no Captured
	touch of that campaign is stored on the lead (leads from before touches were recorded).

	Three indexed reads per chunk of deals (people, their touches, their leads), joined here: MariaDB
	planned the one-statement version as a scan of every lead with a campaign."""
	if not deals:
		return {}
	people = frappe.db.sql(DEAL_PEOPLE, {"deals": tuple(deals)})
	deals_of: dict[tuple[str, str], list[str]] = defaultdict(list)
	for deal, ref_doctype, ref_name in people:
		deals_of[(ref_doctype, ref_name)].append(deal)
	touches: dict[str, list[Touch]] = defaultdict(list)
	captured: set[tuple[str, str]] = set()  # (lead, campaign)
	touch = frappe.qb.DocType(TOUCH)
	for ref_doctype in sorted({ref_doctype for ref_doctype, _name in deals_of}):
		names = sorted({name for doctype, name in deals_of if doctype == ref_doctype})
		stored = (
			frappe.qb.from_(touch)
			.select(
				touch.reference_name,
				touch.campaign,
				touch.touched_on,
				touch.touch_type,
				touch.name,
				touch.utm_source,
				touch.utm_medium,
			)
			.where(touch.reference_doctype == ref_doctype)
			.where(touch.reference_name.isin(names))
			.where(touch.touch_type.isin(list(CREDITED_TYPES)))
			.run()
		)
		for ref_name, campaign, touched_on, touch_type, name, source, medium in stored:
			if ref_doctype == LEAD and touch_type == CAPTURED:
				captured.add((ref_name, campaign))
			found = Touch(campaign, get_datetime(touched_on), touch_type, int(name), source, medium)
			for deal in deals_of[(ref_doctype, ref_name)]:
				touches[deal].append(found)
	lead_names = sorted({name for doctype, name in deals_of if doctype == LEAD})
	if lead_names:
		# lead_utm_columns gives one of two fixed column lists (the capture part adds UTM fields to CX Lead).
		leads = frappe.db.sql(
			f"""select lead.name, lead.campaign, lead.creation, {lead_utm_columns("lead")}
			from `tabCX Lead` lead where lead.name in %(leads)s and ifnull(lead.campaign, '') != ''""",
			{"leads": tuple(lead_names)},
		)
		for name, campaign, created, source, medium in leads:
			if (name, campaign) in captured:
				continue
			found = Touch(campaign, get_datetime(created), CAPTURED, 0, source, medium)
			for deal in deals_of[(LEAD, name)]:
				touches[deal].append(found)
	return touches


def lead_utm_columns(alias: str) -> str:
	"""`alias.utm_source, alias.utm_medium` where CX Lead has them, else two NULLs (alias: a fixed name)."""
	meta = frappe.get_meta("CX Lead")
	if meta.has_field("utm_source") and meta.has_field("utm_medium"):
		return f"{alias}.utm_source, {alias}.utm_medium"
	return "null, null"


def credited_amounts(model: str, *criteria: Criterion) -> dict[str, dict[str, float]]:
	"""Per campaign: won deals (count), won amount and invoiced amount credited under `model`."""
	deals = won_deals(*criteria)
	credited = credited_touches(deals, model)
	totals: dict[str, dict[str, float]] = {}
	for deal in deals:
		if touch := credited.get(deal.name):
			row = totals.setdefault(touch.campaign, {"won": 0, "won_amount": 0.0, "invoiced": 0.0})
			row["won"] += 1
			row["won_amount"] += deal.amount
			row["invoiced"] += deal.invoiced
	return totals
