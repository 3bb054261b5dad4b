"""Activities on leads, customers and opportunities: calls, meetings (Event), tasks (ToDo) and emails
(Communication), and the two rollups kept from them: last contact and next follow-up."""

import frappe
from frappe import _
from frappe.query_builder.functions import Max, Min
from frappe.utils import add_to_date, get_datetime, getdate, now_datetime

from crm_app.cx_insights.figures import set_values
from crm_app.exceptions import InvalidDateRangeError, InvalidDateTimeError
from crm_app.permissions import refresh_assignees
from crm_app.utils import TRACKED

# Until when held meetings have been rolled up (see refresh_time_based_rollups).
ROLLUPS_REFRESHED_KEY = "crm_app_rollups_refreshed_until"


def refresh_rollups(doctype: str, name: str) -> None:
	"""Recompute last_contacted_on / next_follow_up (and a lead's first contact and score)."""
	if doctype not in TRACKED or not name or not frappe.db.exists(doctype, name):
		return
	contacts = contact_times(doctype, name)
	values = {
		"last_contacted_on": max(contacts) if contacts else None,
		"next_follow_up": next_follow_up(doctype, name),
	}
	if doctype == "CX Lead":
		values["first_contacted_on"] = min(contacts) if contacts else None
	set_values(doctype, name, values, update_modified=False)  # next_follow_up is tallied
	if doctype == "CX Lead":
		from crm_app.scoring import rescore_lead

		rescore_lead(name)


def contact_times(doctype: str, name: str) -> list:
	"""First and last moment of each kind of contact: calls, emails and meetings already held."""
	call = frappe.qb.DocType("CX Call Log")
	comm, link = frappe.qb.DocType("Communication"), frappe.qb.DocType("Communication Link")
	event, participant = frappe.qb.DocType("Event"), frappe.qb.DocType("Event Participants")
	queries = [
		frappe.qb.from_(call)
		.select(Min(call.call_start), Max(call.call_start))
		.where((call.reference_doctype == doctype) & (call.reference_name == name)),
		frappe.qb.from_(comm)
		.select(Min(comm.communication_date), Max(comm.communication_date))
		.where((comm.reference_doctype == doctype) & (comm.reference_name == name))
		.where(comm.communication_medium == "Email"),
		frappe.qb.from_(comm)
		.join(link)
		.on(link.parent == comm.name)
		.select(Min(comm.communication_date), Max(comm.communication_date))
		.where((link.link_doctype == doctype) & (link.link_name == name))
		.where(comm.communication_medium == "Email"),
		frappe.qb.from_(participant)
		.join(event)
		.on(event.name == participant.parent)
		.select(Min(event.starts_on), Max(event.starts_on))
		.where((participant.reference_doctype == doctype) & (participant.reference_docname == name))
		.where((event.status != "Cancelled") & (event.starts_on <= now_datetime())),
	]
	moments = []
	for query in queries:
		first, last = query.run()[0]
		moments.extend(get_datetime(m) for m in (first, last) if m)
	return moments


def next_follow_up(doctype: str, name: str):
	"""Earliest open task date, or the next upcoming meeting, whichever comes first."""
	todo = frappe.qb.DocType("ToDo")
	event, participant = frappe.qb.DocType("Event"), frappe.qb.DocType("Event Participants")
	task = (
		frappe.qb.from_(todo)
		.select(Min(todo.date))
		.where((todo.reference_type == doctype) & (todo.reference_name == name) & (todo.status == "Open"))
		.run()[0][0]
	)
	meeting = (
		frappe.qb.from_(participant)
		.join(event)
		.on(event.name == participant.parent)
		.select(Min(event.starts_on))
		.where((participant.reference_doctype == doctype) & (participant.reference_docname == name))
		.where((event.status == "Open") & (event.starts_on > now_datetime()))
		.run()[0][0]
	)
	dates = [getdate(d) for d in (task, meeting) if d]
	return min(dates) if dates else None


# -- doc_events: each activity refreshes the records it touches ---------------------------------------


def on_todo_change(doc, method=None) -> None:
	"""A ToDo is both an activity (follow-up dates) and an assignment (who may see the record)."""
	before = doc.get_doc_before_save()
	records = {(doc.reference_type, doc.reference_name)}
	if before:  # a ToDo moved to another record leaves the old one's assignees behind
		records.add((before.reference_type, before.reference_name))
	for doctype, name in records:
		if doctype in TRACKED:
			refresh_assignees(doctype, name)
			if not doc.flags.skip_cx_rollups:
				refresh_rollups(doctype, name)


def on_event_change(doc, method=None) -> None:
	for row in doc.get("event_participants") or []:
		refresh_rollups(row.reference_doctype, row.reference_docname)


def on_communication_change(doc, method=None) -> None:
	if doc.communication_medium != "Email":
		return
	touched = {(doc.reference_doctype, doc.reference_name)}
	touched.update((link.link_doctype, link.link_name) for link in doc.get("timeline_links") or [])
	for doctype, name in touched:
		refresh_rollups(doctype, name)


# -- time passing ----------------------------------------------------------------------------------


def refresh_time_based_rollups(since=None, commit: bool = True, batch_size: int = 500) -> int:
	"""Scheduled daily. A meeting that has been held becomes the record's last contact and stops being its
	next follow-up, though nothing was saved: refresh every record with a meeting that started since the
	last run (a week back on the first run). Returns how many records were refreshed."""
	now = now_datetime()
	since = get_datetime(since or frappe.db.get_global(ROLLUPS_REFRESHED_KEY) or add_to_date(now, days=-7))
	event, participant = frappe.qb.DocType("Event"), frappe.qb.DocType("Event Participants")
	records = (
		frappe.qb.from_(participant)
		.join(event)
		.on(event.name == participant.parent)
		.select(participant.reference_doctype, participant.reference_docname)
		.distinct()
		.where(participant.reference_doctype.isin(TRACKED))
		.where((event.starts_on > since) & (event.starts_on <= now) & (event.status != "Cancelled"))
		.run()
	)
	for done, (doctype, name) in enumerate(records, start=1):
		refresh_rollups(doctype, name)
		if commit and done % batch_size == 0:
			frappe.db.commit()
	frappe.db.set_global(ROLLUPS_REFRESHED_KEY, str(now))
	if commit:
		frappe.db.commit()
	return len(records)


# -- meetings --------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def schedule_meeting(
	reference_doctype: str,
	reference_name: str,
	subject: str,
	starts_on: str,
	ends_on: str | None = None,
	description: str | None = None,
) -> str:
	"""Create a Frappe Event with the record as participant: it shows in the calendar and the timeline.
	A meeting is activity on the record, so it takes the right to edit the record."""
	if reference_doctype not in TRACKED:
		frappe.throw(
			_("Meetings can be scheduled on leads, customers and opportunities."), frappe.ValidationError
		)
	frappe.get_doc(reference_doctype, reference_name).check_permission("write")
	if not (subject or "").strip():
		frappe.throw(_("Enter a subject for the meeting."), frappe.MandatoryError)
	starts = parse_moment(starts_on, _("Starts On"))
	ends = parse_moment(ends_on, _("Ends On")) if ends_on else None
	if ends and ends <= starts:
		frappe.throw(
			_("The meeting must end after it starts."), InvalidDateRangeError, title=_("Invalid Time")
		)
	event = frappe.get_doc(
		{
			"doctype": "Event",
			"subject": subject,
			"event_category": "Meeting",
			"event_type": "Private",
			"starts_on": starts,
			"ends_on": ends,
			"description": description,
			"event_participants": [
				{"reference_doctype": reference_doctype, "reference_docname": reference_name}
			],
		}
	)
	event.insert()
	return event.name


def parse_moment(value: str, label: str):
	if not (value or "").strip():
		frappe.throw(_("Enter {0}.").format(label), frappe.MandatoryError)
	try:
		return get_datetime(value)
	except (ValueError, TypeError, OverflowError):
		frappe.throw(
			_("{0}: {1} is not a date and time.").format(label, frappe.bold(frappe.utils.escape_html(value))),
			InvalidDateTimeError,
		)


# -- timeline ---------------------------------------------------------------------------------------


def call_logs_on_timeline(doctype: str, docname: str) -> list[dict]:
	"""Calls logged against the record, as timeline cards."""
	if doctype not in (*TRACKED, "CX Issue"):
		return []
	calls = frappe.get_all(
		"CX Call Log",
		filters={"reference_doctype": doctype, "reference_name": docname},
		fields=["name", "direction", "outcome", "duration", "call_start", "caller", "summary"],
		order_by="call_start desc",
		limit=50,
	)
	return [
		{
			"icon": "call",
			"creation": call.call_start,
			"content": call_card(call),
		}
		for call in calls
	]


def call_card(call) -> str:
	minutes = int((call.duration or 0) // 60)
	text = _("{0} call, {1}, {2} min").format(_(call.direction), _(call.outcome), minutes)
	escape = frappe.utils.escape_html
	link = frappe.utils.get_link_to_form("CX Call Log", call.name, escape(call.summary or text))
	who = escape(frappe.utils.get_fullname(call.caller))
	return f"{frappe.bold(who)} · {link} · {escape(text)}"
