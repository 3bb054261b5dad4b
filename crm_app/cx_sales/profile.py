"""The 360 panel of a customer or lead: figures, contacts, addresses, open deals and issues, and one
timeline of every channel, in one request (`get_profile`); the same method with `before` pages on.

Who sees what (README.md, "Permissions"): the record itself needs read access. Emails and notes filed on
the record follow it, as on its own form's timeline; an email only linked to it shows when the user may
read the document it was filed on. Everything else is read under the user's own list permissions
(`match_conditions`: roles, User Permissions, shares, the app's rules): calls, meetings, tasks, issues,
deals, the leads and deals that carry a campaign, contacts, addresses and ERPNext documents. A doctype
the user may not read at all is left out.

The merge and the paging are `crm_app.core.profile`; each source here reads the names of `count` rows
after a bound, newest first, through an index, then their fields by primary key (`query_source`). Other
apps and modules add sources through the `cx_profile_sources` hook (the ERPNext documents do; web form
submissions would).
"""

from collections.abc import Callable

import frappe
from frappe import _
from frappe.query_builder import Criterion, Order
from frappe.utils import cint, strip_html

from crm_app.core.errors import _lt
from crm_app.core.profile import (
	Bound,
	Entry,
	InvalidCursor,
	Scan,
	Source,
	as_moment,
	decode_cursor,
	encode_cursor,
	timeline_page,
)
from crm_app.exceptions import CXValidationError
from crm_app.money import reporting_currency
from crm_app.permissions import match_conditions

PROFILED = ("CX Customer", "CX Lead")
PAGE, MAX_PAGE = 30, 100
LISTED = 5  # contacts, addresses, open deals and open issues shown at most (one more says "more")
TEXT = 240  # characters of a note, task or description
OPEN_ISSUE = ("Open", "Replied", "On Hold")

# Figures kept on the record, shown in the panel's header (when the user may read the field).
FIGURES = {
	"CX Customer": (
		"lifetime_value",
		"outstanding_amount",
		"overdue_amount",
		"last_purchase_on",
		"loyalty_points",
		"satisfaction_score",
		"last_contacted_on",
		"next_follow_up",
	),
	"CX Lead": (
		"lead_score",
		"score_band",
		"status",
		"source",
		"campaign",
		"last_contacted_on",
		"next_follow_up",
	),
}
OWNER = {"CX Customer": "account_manager", "CX Lead": "lead_owner"}

# What the panel calls each kind of entry, and its desk icon.
# Labels marked for the template: kind_labels() words them for the user.
KINDS = {
	"email": (_lt("Email"), "mail"),
	"call": (_lt("Call"), "call"),
	"meeting": (_lt("Meeting"), "calendar"),
	"note": (_lt("Note"), "comment"),
	"task": (_lt("Task"), "assign"),
	"issue": (_lt("Issue"), "support"),
	"campaign": (_lt("Campaign"), "milestone"),
}


class ProfileDoctypeError(CXValidationError):
	pass


class InvalidCursorError(CXValidationError):
	pass


@frappe.whitelist()
def get_profile(doctype: str, name: str, before: str | None = None, limit: int = PAGE) -> dict:
	"""Everything the panel shows, for a CX Customer or CX Lead the user may read. With `before` (the
	`next` of the previous page) only the next page of the timeline."""
	if doctype not in PROFILED:
		frappe.throw(
			_("The 360 view is available for customers and leads only."),
			ProfileDoctypeError,
			title=_("Not Available"),
		)
	doc = frappe.get_doc(doctype, name)
	doc.check_permission("read")
	doc.apply_fieldlevel_read_permissions()
	timeline = get_timeline(doc, before, min(max(cint(limit), 1), MAX_PAGE))
	if before:
		return {"timeline": timeline}
	customer = doctype == "CX Customer"
	return {
		"doctype": doctype,
		"name": doc.name,
		"title": doc.get_title(),
		"owner": doc.get(OWNER[doctype]),
		"figures": figures(doc),
		"contacts": linked_list(
			"Contact", doc, CONTACT_FIELDS, "`tabContact`.is_primary_contact desc, `tabContact`.modified desc"
		),
		"addresses": linked_list(
			"Address", doc, ADDRESS_FIELDS, "`tabAddress`.is_primary_address desc, `tabAddress`.modified desc"
		),
		"opportunities": readable_list(
			"CX Opportunity",
			{"customer" if customer else "lead": doc.name, "status": "Open"},
			OPPORTUNITY_FIELDS,
			"expected_close_date asc, modified desc",
		),
		"issues": readable_list(
			"CX Issue",
			{"customer": doc.name, "status": ("in", OPEN_ISSUE)},
			ISSUE_FIELDS,
			"opened_on desc",
		)
		if customer
		else None,
		"timeline": timeline,
	}


# -- header, contacts, deals ---------------------------------------------------------------------------

CONTACT_FIELDS = [
	"name",
	"first_name",
	"last_name",
	"designation",
	"email_id",
	"mobile_no",
	"phone",
	"is_primary_contact",
]
ADDRESS_FIELDS = [
	"name",
	"address_title",
	"address_type",
	"address_line1",
	"address_line2",
	"city",
	"pincode",
	"country",
	"is_primary_address",
]
OPPORTUNITY_FIELDS = [
	"name",
	"title",
	"sales_stage",
	"amount",
	"currency",
	"probability",
	"expected_close_date",
	"opportunity_owner",
]
ISSUE_FIELDS = ["name", "subject", "status", "priority", "opened_on", "agent"]


def figures(doc) -> list[dict]:
	meta, currency = doc.meta, doc.get("base_currency") or reporting_currency()
	readable = set(meta.get_permlevel_access("read"))
	shown = []
	for fieldname in FIGURES[doc.doctype]:
		df = meta.get_field(fieldname)
		if not df or df.permlevel not in readable:
			continue
		shown.append(
			{
				"fieldname": fieldname,
				"label": _(df.label),
				"fieldtype": df.fieldtype,
				"options": currency if df.fieldtype == "Currency" else df.options,
				"value": doc.get(fieldname),
			}
		)
	return shown


def readable_list(
	doctype: str, filters, fields: list[str], order_by: str, unlimited_for_admin: bool = False
) -> dict | None:
	"""Up to LISTED rows under the user's permissions; None when they may not read the doctype."""
	if not frappe.has_permission(doctype, "read"):
		return None
	# Frappe's list rule for contacts and addresses limits no one who reads every doctype, as
	# Administrator does, but works that out from every DocPerm row of their roles on each call (a
	# quarter of a second for Administrator on an ERPNext site).
	read = (
		frappe.get_all if unlimited_for_admin and frappe.session.user == "Administrator" else frappe.get_list
	)
	rows = read(doctype, filters=filters, fields=fields, order_by=order_by, limit_page_length=LISTED + 1)
	return {"rows": rows[:LISTED], "more": len(rows) > LISTED}


def linked_list(doctype: str, doc, fields: list[str], order_by: str) -> dict | None:
	"""Contacts or addresses linked to the record (Dynamic Link), as Frappe's own form lists them."""
	filters = [
		["Dynamic Link", "link_doctype", "=", doc.doctype],
		["Dynamic Link", "link_name", "=", doc.name],
		["Dynamic Link", "parenttype", "=", doctype],
	]
	return readable_list(doctype, filters, fields, order_by, unlimited_for_admin=True)


# -- the timeline --------------------------------------------------------------------------------------


def get_timeline(doc, before: str | None, limit: int) -> dict:
	sources = timeline_sources(doc)
	cursor = None
	if before:
		try:
			cursor = decode_cursor(before, [source.key for source in sources])
		except InvalidCursor:
			frappe.throw(
				_("This page of the timeline is out of date. Reload the form."),
				InvalidCursorError,
				title=_("Timeline"),
			)
	entries, cursor = timeline_page(sources, cursor, limit)
	return {
		"entries": [entry.data for entry in entries],
		"next": encode_cursor(cursor) if cursor else None,
		"kinds": kind_labels(),
	}


def kind_labels() -> dict:
	kinds = dict(KINDS)
	for method in frappe.get_hooks("cx_profile_kinds"):
		kinds.update(frappe.get_attr(method)())
	return {kind: {"label": _(label), "icon": icon} for kind, (label, icon) in kinds.items()}


def timeline_sources(doc) -> list[Source]:
	sources = [
		*communication_sources(doc),
		call_source(doc),
		meeting_source(doc),
		note_source(doc),
		task_source(doc),
		*campaign_sources(doc),
	]
	if doc.doctype == "CX Customer":
		sources.append(issue_source(doc))
	# Other channels (ERPNext's documents; web form submissions once they are captured): each hook
	# returns the sources it adds for this record, [] when it has none.
	for method in frappe.get_hooks("cx_profile_sources"):
		sources.extend(frappe.get_attr(method)(doc))
	return [source for source in sources if source is not None]


def query_source(
	key: str,
	query,
	moment,
	name,
	fields: list,
	entry: Callable[[dict], dict],
	date_only: bool = False,
	keep: Callable[[list[dict]], list[dict]] | None = None,
	table=None,
) -> Source:
	"""A source read in two steps: `query` (the rows of the record the user may read; FROM, JOIN and
	WHERE only) gives the page's names in (`moment`, `name`) order, then one look-up by primary key reads
	`fields` of `name`'s table. The first step reads nothing but the index when the index holds the
	filter columns, the moment and the name: MariaDB then scans only the page's range however deep the
	page is (with the display columns in the same query it walks the record's rows from the newest down
	to the cursor instead). `entry` turns a row into what the panel shows, `keep` drops rows after
	reading them. `table` holds the fields when `name` is a link to it (a child row's parent)."""
	query = query.select(moment.as_("_moment"), name.as_("_name"))
	table = table or name.table

	def fetch(bound: Bound | None, count: int) -> Scan:
		# A bound keeps rows without a moment out; `IS NOT NULL` beside it would turn MariaDB's range
		# scan of the page into a walk from the newest row down.
		paged = query.where(moment.isnotnull() if bound is None else after(bound, moment, name))
		paged = paged.orderby(moment, order=Order.desc).orderby(name, order=Order.desc).limit(count)
		rows = paged.run(as_dict=True)
		if rows:
			names = [row._name for row in rows]
			found = frappe.qb.from_(table).select(table.name, *fields).where(table.name.isin(names))
			details = {row.name: row for row in found.run(as_dict=True)}
			rows = [frappe._dict(details.get(row._name, {}), **row) for row in rows]
		entries = [
			Entry(as_moment(row._moment), key, row._name, with_moment(entry(row), row._moment, date_only))
			for row in (keep(rows) if keep else rows)
		]
		last = (as_moment(rows[-1]._moment), rows[-1]._name) if rows else None
		return Scan(entries, len(rows), last)

	return Source(key, fetch, date_only)


def after(bound: Bound, moment, name) -> Criterion:
	"""The rows after a bound. `moment <= value` comes first so that the index range can use it."""
	if bound.name_below is not None:
		return (moment <= bound.value) & ((moment < bound.value) | (name < bound.name_below))
	return moment <= bound.value if bound.inclusive else moment < bound.value


def with_moment(data: dict, moment, date_only: bool) -> dict:
	return {**data, "moment": str(moment), "date_only": date_only}


def restricted(query, doctype: str):
	"""`query` under exactly what frappe.get_list adds for the user; None when they may not read it."""
	try:
		condition = match_conditions(doctype)
	except frappe.PermissionError:
		return None
	return query.where(condition) if condition is not None else query


def static_source(key: str, entries: list[Entry]) -> Source:
	"""A few entries known without a query (the lead's own campaign), paged like the others."""
	entries = sorted(entries, key=lambda e: (e.moment, e.name), reverse=True)

	def fetch(bound: Bound | None, count: int) -> Scan:
		rows = [e for e in entries if bound is None or static_after(bound, e)][:count]
		return Scan(rows, len(rows), (rows[-1].moment, rows[-1].name) if rows else None)

	return Source(key, fetch)


def static_after(bound: Bound, entry: Entry) -> bool:
	if bound.name_below is not None:
		return entry.moment < bound.value or (entry.moment == bound.value and entry.name < bound.name_below)
	return entry.moment <= bound.value if bound.inclusive else entry.moment < bound.value


def text(value, length: int = TEXT) -> str:
	value = " ".join(strip_html(value or "").split())
	return value if len(value) <= length else value[: length - 1] + "…"


# -- the sources ---------------------------------------------------------------------------------------


def communication_sources(doc) -> list[Source]:
	"""Emails (and other Communications) filed on the record, then those only linked to it."""
	comm, link = frappe.qb.DocType("Communication"), frappe.qb.DocType("Communication Link")
	fields = [
		comm.subject,
		comm.sender,
		comm.sender_full_name,
		comm.sent_or_received,
		comm.communication_medium,
		comm.reference_doctype,
		comm.reference_name,
	]
	filed = (
		frappe.qb.from_(comm)
		.where((comm.reference_doctype == doc.doctype) & (comm.reference_name == doc.name))
		.where(comm.communication_type == "Communication")
	)
	linked = (
		frappe.qb.from_(link)
		.join(comm)
		.on(comm.name == link.parent)
		.where((link.link_doctype == doc.doctype) & (link.link_name == doc.name))
		.where(comm.communication_type == "Communication")
		# Filed on the record: the first source has it. Filed on an Event (Frappe's copy of a meeting for
		# the timeline): the meeting shows it.
		.where(comm.reference_doctype.isnull() | (comm.reference_doctype != "Event"))
		.where(
			comm.reference_doctype.isnull()
			| (comm.reference_doctype != doc.doctype)
			| (comm.reference_name != doc.name)
		)
	)
	return [
		query_source("email", filed, comm.communication_date, comm.name, fields, email_entry),
		query_source(
			"email_link",
			linked,
			link.communication_date,
			link.parent,  # the order of the link's index
			fields,
			email_entry,
			keep=readable_references,
			table=comm,
		),
	]


def readable_references(rows: list[dict]) -> list[dict]:
	"""Emails linked to the record but filed on another document show when the user may read that
	document (Frappe's own rule for a Communication): one list query per doctype, under the user's
	permissions. Emails filed nowhere follow their links."""
	names: dict[str, set[str]] = {}
	for row in rows:
		if row.reference_doctype and row.reference_name:
			names.setdefault(row.reference_doctype, set()).add(row.reference_name)
	readable = set()
	for doctype, wanted in names.items():
		try:
			found = frappe.get_list(
				doctype, filters={"name": ("in", list(wanted))}, pluck="name", limit_page_length=0
			)
		except (frappe.PermissionError, frappe.DoesNotExistError):
			continue  # a doctype the user may not read, or one that is gone
		readable.update((doctype, name) for name in found)
	return [
		row
		for row in rows
		if not (row.reference_doctype and row.reference_name)
		or (row.reference_doctype, row.reference_name) in readable
	]


def email_entry(row) -> dict:
	medium = row.communication_medium or "Email"
	return {
		"kind": "email",
		"doctype": "Communication",
		"name": row._name,
		"title": text(row.subject, 140) or _("(No Subject)"),
		"detail": _(row.sent_or_received or "") if medium == "Email" else _(medium),
		"who": row.sender_full_name or row.sender,
	}


def call_source(doc) -> Source | None:
	call = frappe.qb.DocType("CX Call Log")
	query = restricted(
		frappe.qb.from_(call).where(
			(call.reference_doctype == doc.doctype) & (call.reference_name == doc.name)
		),
		"CX Call Log",
	)
	if query is None:
		return None
	fields = [call.direction, call.outcome, call.duration, call.caller, call.summary]
	return query_source("call", query, call.call_start, call.name, fields, call_entry)


def call_entry(row) -> dict:
	return {
		"kind": "call",
		"doctype": "CX Call Log",
		"name": row._name,
		"title": text(row.summary, 140) or _("{0} call").format(_(row.direction)),
		"detail": _("{0}, {1} min").format(_(row.outcome), cint(row.duration) // 60),
		"user": row.caller,
	}


def meeting_source(doc) -> Source | None:
	event, participant = frappe.qb.DocType("Event"), frappe.qb.DocType("Event Participants")
	query = restricted(
		frappe.qb.from_(participant)
		.join(event)
		.on(event.name == participant.parent)
		.distinct()
		.where((participant.reference_doctype == doc.doctype) & (participant.reference_docname == doc.name))
		.where(participant.parenttype == "Event"),
		"Event",
	)
	if query is None:
		return None
	fields = [event.subject, event.status, event.owner]
	return query_source("meeting", query, event.starts_on, event.name, fields, meeting_entry)


def meeting_entry(row) -> dict:
	return {
		"kind": "meeting",
		"doctype": "Event",
		"name": row._name,
		"title": text(row.subject, 140),
		"status": row.status,
		"user": row.owner,
	}


def note_source(doc) -> Source:
	"""Comments on the record: its form shows them to everyone who may read it, and so does the panel."""
	comment = frappe.qb.DocType("Comment")
	query = (
		frappe.qb.from_(comment)
		.where((comment.reference_doctype == doc.doctype) & (comment.reference_name == doc.name))
		.where(comment.comment_type == "Comment")
	)
	fields = [comment.content, comment.comment_email, comment.comment_by]
	return query_source("note", query, comment.creation, comment.name, fields, note_entry)


def note_entry(row) -> dict:
	return {
		"kind": "note",
		"doctype": None,  # a comment has no form of its own
		"name": row._name,
		"title": text(row.content),
		"who": row.comment_by,
		"user": row.comment_email,
	}


def task_source(doc) -> Source | None:
	todo = frappe.qb.DocType("ToDo")
	query = restricted(
		frappe.qb.from_(todo)
		.where((todo.reference_type == doc.doctype) & (todo.reference_name == doc.name))
		.where(todo.status != "Cancelled"),
		"ToDo",
	)
	if query is None:
		return None
	fields = [todo.description, todo.status, todo.allocated_to, todo.date]
	return query_source("task", query, todo.creation, todo.name, fields, task_entry)


def task_entry(row) -> dict:
	return {
		"kind": "task",
		"doctype": "ToDo",
		"name": row._name,
		"title": text(row.description, 140),
		"status": row.status,
		"detail": _("Due {0}").format(frappe.format(row.date, "Date")) if row.date else "",
		"user": row.allocated_to,
	}


def issue_source(doc) -> Source | None:
	issue = frappe.qb.DocType("CX Issue")
	query = restricted(frappe.qb.from_(issue).where(issue.customer == doc.name), "CX Issue")
	if query is None:
		return None
	fields = [issue.subject, issue.status, issue.priority, issue.agent]
	return query_source("issue", query, issue.opened_on, issue.name, fields, issue_entry)


def issue_entry(row) -> dict:
	return {
		"kind": "issue",
		"doctype": "CX Issue",
		"name": row._name,
		"title": text(row.subject, 140),
		"status": row.status,
		"detail": _(row.priority or ""),
		"user": row.agent,
	}


def campaign_sources(doc) -> list[Source | None]:
	"""A campaign touches the record through the lead it brought and the deals it is credited with."""
	sources = [campaign_deal_source(doc)]
	if doc.doctype == "CX Lead":
		own = []
		if doc.get("campaign"):
			row = frappe._dict(campaign=doc.campaign, _name=doc.name)
			data = with_moment(campaign_entry(row, None), doc.creation, False)  # the lead itself
			own.append(Entry(as_moment(doc.creation), "campaign_lead", doc.name, data))
		sources.append(static_source("campaign_lead", own))
		return sources
	lead = frappe.qb.DocType("CX Lead")
	query = restricted(
		frappe.qb.from_(lead).where(
			(lead.customer == doc.name) & lead.campaign.isnotnull() & (lead.campaign != "")
		),
		"CX Lead",
	)
	if query is not None:
		sources.append(
			query_source(
				"campaign_lead",
				query,
				lead.creation,
				lead.name,
				[lead.campaign],
				lambda row: campaign_entry(row, "CX Lead"),
			)
		)
	return sources


def campaign_deal_source(doc) -> Source | None:
	deal = frappe.qb.DocType("CX Opportunity")
	field = deal.customer if doc.doctype == "CX Customer" else deal.lead
	query = restricted(
		frappe.qb.from_(deal).where((field == doc.name) & deal.campaign.isnotnull() & (deal.campaign != "")),
		"CX Opportunity",
	)
	if query is None:
		return None
	return query_source(
		"campaign_deal",
		query,
		deal.creation,
		deal.name,
		[deal.campaign],
		lambda row: campaign_entry(row, "CX Opportunity"),
	)


def campaign_entry(row, through: str | None) -> dict:
	return {
		"kind": "campaign",
		"doctype": "CX Campaign",
		"name": row.campaign,
		"title": row.campaign,
		"via_doctype": through,
		"via_name": row._name if through else None,
	}
