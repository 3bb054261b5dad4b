"""Daily reminders: follow-ups due and overdue, deals past their close date, leads and deals gone quiet.

Each reminder becomes a Notification Log (the bell) and a line in one digest email per user. A CX
Reminder Log row per reminder sent makes the job idempotent: it can run twice, or be retried after a
failure, without sending anything twice.
"""

from datetime import date

import frappe
from frappe import _, _lt
from frappe.query_builder.functions import Coalesce, Date
from frappe.utils import add_days, escape_html, get_link_to_form, getdate

from crm_app import jobs
from crm_app.core import reminders as core
from crm_app.languages import read_directory, speaking
from crm_app.server_fields import insert_as_server
from crm_app.utils import ACTIVE_LEAD_STATUSES, OWNER_FIELD, TITLE_FIELD, get_settings

# Lazy: worded in each recipient's language (notify).
SUBJECTS = {
	core.FOLLOW_UP_DUE: _lt("Follow-up due today: {0}"),
	core.FOLLOW_UP_OVERDUE: _lt("Follow-up overdue since {1}: {0}"),
	core.PAST_CLOSE_DATE: _lt("Expected to close on {1}, still open: {0}"),
	core.STALE_LEAD: _lt("No contact since {1}: {0}"),
	core.STALE_OPPORTUNITY: _lt("No activity since {1}: {0}"),
}


def send_reminders(today: date | str | None = None, commit: bool = True) -> int | None:
	"""Scheduled daily (long queue). Returns how many reminders were sent; None when another run holds
	the lock. A run killed midway is resumed (crm_app.jobs) with its own day: one interrupted at 23:59
	finishes that day's reminders after midnight, before the next day's run."""
	return jobs.run_resumable(
		REMINDERS_KEY,
		"crm_app.reminders.send_reminders",
		{"today": str(getdate(today))},
		lambda run: _send(getdate(run.kwargs["today"]), run, commit),
		commit=commit,
	)


REMINDERS_KEY = "reminders"


def _send(today: date, run: "jobs.Run", commit: bool) -> int:
	from crm_app.activities import refresh_time_based_rollups

	refresh_time_based_rollups(commit=commit)  # a meeting held yesterday is no overdue follow-up
	settings = get_settings()
	found = [
		*follow_up_reminders(today, settings.max_follow_up_reminders or 0),
		*past_close_reminders(today),
	]
	per_user = settings.max_stale_reminders or 0
	found += stale_reminders("CX Lead", today, settings.stale_lead_days or 0, per_user)
	found += stale_reminders("CX Opportunity", today, settings.stale_opportunity_days or 0, per_user)
	fresh = core.unsent(found, sent_keys([r.key for r in found]))
	sent = 0
	todo = sorted(
		(user, items) for user, items in core.by_user(fresh).items() if not run.cursor or user > run.cursor
	)
	# The run's users, their languages, addresses and whether they are enabled: one query for all.
	frappe.local.cx_reminder_recipients = recipients([user for user, _items in todo])
	try:
		# Users in name order, the last one done is the cursor: a resumed run skips them, so the stale
		# reminders capped per user and day are not topped up with the next ones.
		for user, items in todo:
			notify(user, items, email=bool(settings.send_reminder_emails))
			run.save(user)
			sent += len(items)
			# Each user's Notification Logs, log rows, digest (Email Queue) and cursor land together: a kill
			# before this commit leaves nothing of that user's reminders sent.
			if commit:
				frappe.db.commit()
	finally:
		frappe.local.cx_reminder_recipients = None
	return sent


def recipients(users: list[str]):
	"""The users' directory entries (crm_app/core/recipient_language.py): language, email, whether they
	are enabled desk users."""
	return read_directory(users=users)


def follow_up_reminders(today: date, per_user: int = 0) -> list[core.Reminder]:
	rows = []
	for doctype, owner in OWNER_FIELD.items():
		table = frappe.qb.DocType(doctype)
		query = (
			frappe.qb.from_(table)
			.select(table.name, table[TITLE_FIELD[doctype]], table[owner], table.next_follow_up)
			.where(table.next_follow_up <= today)
		)
		if doctype == "CX Opportunity":
			query = query.where(table.status == "Open")
		if doctype == "CX Lead":
			query = query.where(table.status.isin(ACTIVE_LEAD_STATUSES))
		rows += [(doctype, *row) for row in query.run()]
	return core.follow_ups(rows, today, per_user)


def past_close_reminders(today: date) -> list[core.Reminder]:
	opp = frappe.qb.DocType("CX Opportunity")
	rows = (
		frappe.qb.from_(opp)
		.select(opp.name, opp.title, opp.opportunity_owner, opp.expected_close_date)
		.where((opp.status == "Open") & (opp.expected_close_date < today))
		.run()
	)
	return core.past_close_date(rows, today)


def stale_reminders(doctype: str, today: date, days: int, per_user: int) -> list[core.Reminder]:
	"""Per owner, the oldest silent records not yet reminded about (the log join skips sent ones)."""
	if days <= 0:
		return []
	kind = core.STALE_LEAD if doctype == "CX Lead" else core.STALE_OPPORTUNITY
	table, log = frappe.qb.DocType(doctype), frappe.qb.DocType("CX Reminder Log")
	owner = table[OWNER_FIELD[doctype]]
	last_touch = Date(Coalesce(table.last_contacted_on, table.creation))
	active = table.status.isin(ACTIVE_LEAD_STATUSES) if doctype == "CX Lead" else table.status == "Open"
	cutoff = add_days(today, -days)
	owners = frappe.qb.from_(table).select(owner).distinct().where(active & owner.isnotnull()).run(pluck=True)
	rows = []
	for user in owners:
		query = (
			frappe.qb.from_(table)
			.left_join(log)
			.on(
				(log.reference_doctype == doctype)
				& (log.reference_name == table.name)
				& (log.kind == kind)
				& (log.due_on == last_touch)
			)
			.select(table.name, table[TITLE_FIELD[doctype]], owner, last_touch)
			.where(active & (owner == user) & log.name.isnull())
			.where(Coalesce(table.last_contacted_on, table.creation) < cutoff)
			.orderby(last_touch)
			.limit(per_user or 1000)
		)
		rows += query.run()
	return core.stale(kind, doctype, rows, today, days, per_user)


def sent_keys(keys: list[str]) -> set[str]:
	if not keys:
		return set()
	log = frappe.qb.DocType("CX Reminder Log")
	found = set()
	for start in range(0, len(keys), 1000):
		chunk = keys[start : start + 1000]
		found.update(
			frappe.qb.from_(log).select(log.reminder_key).where(log.reminder_key.isin(chunk)).run(pluck=True)
		)
	return found


def notify(user: str, items: list[core.Reminder], email: bool) -> None:
	"""The bell and the digest in the recipient's language, not the language the job runs in: written
	inside Frappe's language switch (so is the email Frappe may send of a Notification Log)."""
	directory = getattr(frappe.local, "cx_reminder_recipients", None)
	if directory is None or user not in directory.users:
		directory = recipients([user])  # called on its own (a test, a retry)
	found = directory.users.get(user)
	if not found or not found.enabled:
		return
	with speaking(directory.user(user)):
		for reminder in items:
			subject = str(SUBJECTS[reminder.kind]).format(
				escape_html(reminder.title or reminder.name), frappe.format(reminder.due_on, "Date")
			)
			frappe.get_doc(
				{
					"doctype": "Notification Log",
					"for_user": user,
					"type": "Alert",
					"document_type": reminder.doctype,
					"document_name": reminder.name,
					"subject": subject,
					"from_user": "Administrator",
				}
			).insert(ignore_permissions=True)
			reminder_log = frappe.get_doc(
				{
					"doctype": "CX Reminder Log",
					"reminder_key": reminder.key,
					"kind": reminder.kind,
					"reference_doctype": reminder.doctype,
					"reference_name": reminder.name,
					"user": user,
					"due_on": reminder.due_on,
				}
			)
			insert_as_server(reminder_log, ignore_permissions=True)  # written by this job only
		if email and outgoing_email_configured():
			send_digest(user, items, found.email or user)


def outgoing_email_configured() -> bool:
	"""Without an outgoing account Frappe refuses to queue mail; the bell notifications still go out."""
	return bool(frappe.conf.mail_server or frappe.db.exists("Email Account", {"enable_outgoing": 1}))


def send_digest(user: str, items: list[core.Reminder], address: str) -> None:
	"""One user's digest, in the language of the block it is called in (notify: the user's)."""
	lines = "".join(
		f"<li>{_(r.kind)}: {get_link_to_form(r.doctype, r.name, escape_html(r.title or r.name))}</li>"
		for r in items
	)
	frappe.sendmail(
		recipients=[address],
		subject=_("{0} CRM reminders for today").format(len(items)),
		message=f"<ul>{lines}</ul>",
		now=False,
	)
