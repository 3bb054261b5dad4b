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
CUSTOMER, CONTACT = "CX Customer", "Contact"
Person = tuple[str, str]  # (reference doctype, reference name) of a touch
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
	_refresh_after_commit(
		{row["campaign"] for row in rows}, {(row["reference_doctype"], row["reference_name"]) for row in rows}
	)


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


def _refresh_after_commit(campaigns: Iterable[str], people: Iterable[Person]) -> None:
	"""Queue each campaign's recount once per transaction, however many touches it records; and the
	attribution of the campaigns these people's won deals may now credit otherwise (none for people
	without a won deal: most touches, an email to a list, move no attribution)."""
	from crm_app.campaigns import queue_attribution_refresh, queue_campaign_refresh

	queued = getattr(frappe.local, "cx_touch_refresh_queued", None)
	if queued is None:
		queued = frappe.local.cx_touch_refresh_queued = {"rollups": set(), "people": set()}
		frappe.db.after_commit.add(_forget_queued)
		frappe.db.after_rollback.add(_forget_queued)
	campaigns = set(campaigns)
	new_campaigns = campaigns - queued["rollups"]
	new_people = set(people) - queued["people"]
	queued["rollups"] |= new_campaigns
	queued["people"] |= new_people
	if new_campaigns:
		queue_campaign_refresh(*new_campaigns)
	if new_people:
		queue_attribution_refresh(*attribution_scope(new_people, also=campaigns))


def _forget_queued() -> None:
	frappe.local.cx_touch_refresh_queued = None


def forget_touches(doc, method=None) -> None:
	"""doc_events on_trash of leads, customers and contacts: their touches go with them."""
	touch = frappe.qb.DocType(TOUCH)
	of_record = (touch.reference_doctype == doc.doctype) & (touch.reference_name == doc.name)
	campaigns = frappe.qb.from_(touch).select(touch.campaign).distinct().where(of_record).run(pluck=True)
	if campaigns:
		frappe.qb.from_(touch).delete().where(of_record).run()
		_refresh_after_commit(campaigns, {(doc.doctype, doc.name)})


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


# -- what a change moves: the campaigns whose attribution to recount ---------------------------------------


def deal_people(lead: str | None, customer: str | None) -> set[Person]:
	"""The people a deal with this lead and customer is credited through (as DEAL_PEOPLE reads them)."""
	return _with_links({(LEAD, lead)} if lead else set(), {(CUSTOMER, customer)} if customer else set())


def _with_links(*groups: set[Person]) -> set[Person]:
	"""People and those a deal of theirs is also credited through: a lead's customer once converted, a
	customer's original lead and its contacts. Indexed reads only (lead name and customer, customer name,
	the contact links)."""
	people = set().union(*groups)
	leads = {name for doctype, name in people if doctype == LEAD}
	customers = {name for doctype, name in people if doctype == CUSTOMER}
	if leads:
		customers |= set(_pluck(LEAD, "customer", {"name": ("in", sorted(leads)), "customer": ("is", "set")}))
	if customers:
		names = sorted(customers)
		leads |= set(_pluck(CUSTOMER, "lead", {"name": ("in", names), "lead": ("is", "set")}))
		leads |= set(_pluck(LEAD, "name", {"customer": ("in", names)}))
		link = frappe.qb.DocType("Dynamic Link")
		contacts = (
			frappe.qb.from_(link)
			.select(link.parent)
			.where(
				(link.link_doctype == CUSTOMER) & link.link_name.isin(names) & (link.parenttype == CONTACT)
			)
			.run(pluck=True)
		)
		people |= {(CONTACT, name) for name in contacts}
	return people | {(LEAD, name) for name in leads} | {(CUSTOMER, name) for name in customers}


def _pluck(doctype: str, field: str, filters: dict) -> list[str]:
	return frappe.get_all(doctype, filters=filters, pluck=field, order_by=None)


def won_deals_of_people(people: Iterable[Person]) -> list[str]:
	"""Won deals credited through any of these people (DEAL_PEOPLE read backwards), by chunks."""
	found: set[str] = set()
	people = sorted(set(people))
	deal = frappe.qb.DocType(OPPORTUNITY)
	for start in range(0, len(people), DEAL_CHUNK):
		linked = _with_links(set(people[start : start + DEAL_CHUNK]))
		for field, doctype in (("lead", LEAD), ("customer", CUSTOMER)):
			names = sorted(name for ref_doctype, name in linked if ref_doctype == doctype)
			if names:
				found |= set(
					frappe.qb.from_(deal)
					.select(deal.name)
					.where((deal.status == WON) & deal[field].isin(names))
					.run(pluck=True)
				)
	return sorted(found)


def campaigns_touching(people: Iterable[Person]) -> set[str]:
	"""Campaigns with a creditable touch on any of these people, and their leads' own campaigns."""
	people = set(people)
	found: set[str] = set()
	touch = frappe.qb.DocType(TOUCH)
	for ref_doctype in sorted({doctype for doctype, _name in people}):
		names = sorted(name for doctype, name in people if doctype == ref_doctype)
		for start in range(0, len(names), DEAL_CHUNK):
			chunk = names[start : start + DEAL_CHUNK]
			found |= set(
				frappe.qb.from_(touch)
				.select(touch.campaign)
				.distinct()
				.where((touch.reference_doctype == ref_doctype) & touch.reference_name.isin(chunk))
				.where(touch.touch_type.isin(list(CREDITED_TYPES)))
				.run(pluck=True)
			)
			if ref_doctype == LEAD:
				found |= set(_pluck(LEAD, "campaign", {"name": ("in", chunk), "campaign": ("is", "set")}))
	return found


def attribution_scope(people: Iterable[Person], also: Iterable[str | None] = ()) -> set[str]:
	"""Campaigns whose first and last touch amounts may move when these people's touches, campaign or
	links change: every campaign touching the people of their won deals, and `also` (campaigns that have
	just stopped touching them, e.g. a lead's previous campaign). Empty when they have no won deal."""
	people = set(people)
	deals = won_deals_of_people(people)
	if not deals:
		return set()
	return campaigns_touching(people_of_deals(deals) | people) | {name for name in also if name}


def people_of_deals(deals: list[str]) -> set[Person]:
	people: set[Person] = set()
	for start in range(0, len(deals), DEAL_CHUNK):
		rows = frappe.db.sql(DEAL_PEOPLE, {"deals": tuple(deals[start : start + DEAL_CHUNK])})
		people |= {(doctype, name) for _deal, doctype, name in rows}
	return people


def won_deals_of_campaigns(campaigns: list[str]) -> list[str]:
	"""Won deals a campaign may be credited with: those of the people it touched or brought in as leads."""
	touch = frappe.qb.DocType(TOUCH)
	touched = (
		frappe.qb.from_(touch)
		.select(touch.reference_doctype, touch.reference_name)
		.distinct()
		.where(touch.campaign.isin(campaigns))
		.where(touch.touch_type.isin(list(CREDITED_TYPES)))
		.run()
	)
	people = {(doctype, name) for doctype, name in touched}
	people |= {(LEAD, name) for name in _pluck(LEAD, "name", {"campaign": ("in", campaigns)})}
	return won_deals_of_people(people)
