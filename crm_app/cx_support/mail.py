"""Email in and out of CX Issue, on Frappe's own Email Account and Communication.

In: an Email Account with "Append To" = CX Issue makes a new issue for a new thread and proposes an
existing one for a reply (In-Reply-To, the `(#name)` subject reference, subject and sender). The proposal
is checked here (crm_app/core/service/mail.py): only someone who belongs to the issue may add to it, a
finished issue is reopened or followed up, a customer's answer puts the issue back to Open.
Out: a reply from the issue form goes through Frappe's email with the issue reference in its subject;
the first one stamps the first response, which the SLA clock reads.
"""

import frappe
from frappe import _
from frappe.utils import cint, get_datetime, now_datetime

from crm_app.core.service import articles
from crm_app.core.service import mail as rules
from crm_app.exceptions import IssueEmailError
from crm_app.server_fields import insert_as_server, save_as_server

ISSUE = "CX Issue"
LANGUAGES = {"en": "en", "ru": "ru", "uk": "uk", "pl": "pl"}


def is_issue_email(comm) -> bool:
	return comm.reference_doctype == ISSUE and comm.communication_type == "Communication"


# Communication doc_events ---------------------------------------------------------------------------


def validate(comm, method=None) -> None:
	"""Keep an oversized body short on the issue (the whole message is attached to it)."""
	if is_issue_email(comm) and comm.sent_or_received == "Received":
		keep_body_short(comm)
		if not comm.is_new():
			fill_description(comm)


def keep_body_short(comm) -> None:
	limit = (cint(frappe.db.get_single_value("CX Settings", "max_email_body_kb")) or 512) * 1024
	note = _("\n\n[The message was cut here; the whole of it is attached.]")
	for field in ("content", "text_content"):
		value, cut = rules.cut_body(comm.get(field) or "", limit, note)
		if cut:
			if comm.is_new() and not comm.flags.cx_full_body:
				comm.flags.cx_full_body = comm.get(field)
			comm.set(field, value)


def fill_description(comm) -> None:
	"""A new issue's description is its first email (Frappe sets an email's HTML body after insert)."""
	if comm.content and not frappe.db.get_value(ISSUE, comm.reference_name, "description"):
		frappe.db.set_value(ISSUE, comm.reference_name, "description", comm.content, update_modified=False)


def before_insert(comm, method=None) -> None:
	if not is_issue_email(comm) or comm.flags.cx_portal_reply:
		return  # a portal reply was checked against the issue by the portal before it was filed
	if comm.sent_or_received == "Sent":
		comm.subject = rules.with_reference(comm.subject, comm.reference_name)
		return
	if not rules.normalised_email(comm.sender):
		frappe.throw(_("An email without a sender cannot be added to an issue."), IssueEmailError)
	keep_body_short(comm)
	issue = frappe.get_doc(ISSUE, comm.reference_name)
	if is_new_thread(issue, comm):
		start_issue_from_email(issue, comm)
		return
	decision = rules.decide(proposal_for(issue, comm))
	if decision in (rules.NEW_ISSUE, rules.FOLLOW_UP):
		new_issue = issue_from_email(comm, follow_up_of=issue.name if decision == rules.FOLLOW_UP else None)
		comm.reference_name = new_issue.name
	else:
		comm.flags.cx_reopen = decision == rules.REOPEN or issue.status == "Replied"


def after_insert(comm, method=None) -> None:
	if not is_issue_email(comm):
		return
	if comm.flags.cx_full_body:
		attach_whole_message(comm)
	issue = frappe.get_doc(ISSUE, comm.reference_name)
	if comm.sent_or_received == "Received":
		if comm.flags.cx_reopen and issue.status != "Open":
			issue.status = "Open"
			save_as_server(issue, ignore_permissions=True)
	elif is_agent_reply(comm) and not issue.first_responded_on:
		issue.first_responded_on = get_datetime(comm.communication_date or comm.creation or now_datetime())
		if issue.status == "Open":
			issue.status = "Replied"
		save_as_server(issue, ignore_permissions=True)


# Pieces ---------------------------------------------------------------------------------------------


def is_new_thread(issue, comm) -> bool:
	"""The issue was made for this very email by the Email Account (it has no email yet)."""
	if rules.normalised_email(issue.raised_by) != rules.normalised_email(comm.sender):
		return False
	return not frappe.db.exists(
		"Communication",
		{"reference_doctype": ISSUE, "reference_name": issue.name, "communication_type": "Communication"},
	)


def start_issue_from_email(issue, comm) -> None:
	"""Fill what the Email Account leaves empty on a new issue: channel, description, contact, language."""
	issue.channel = issue.channel or "Email"
	issue.raised_by_name = issue.raised_by_name or comm.sender_full_name
	issue.description = issue.description or comm.content or comm.text_content
	issue.contact = issue.contact or contact_of(comm.sender)
	# what the email is written in, over a default the new document took from the site's settings
	issue.language = language_of(comm.subject, comm.content or comm.text_content) or issue.language
	save_as_server(issue, ignore_permissions=True)


def issue_from_email(comm, follow_up_of: str | None = None):
	issue = frappe.get_doc(
		{
			"doctype": ISSUE,
			"subject": (comm.subject or _("(no subject)"))[:140],
			"raised_by": rules.normalised_email(comm.sender),
			"raised_by_name": comm.sender_full_name,
			"channel": "Email",
			"description": comm.content or comm.text_content,
			"contact": contact_of(comm.sender),
			"language": language_of(comm.subject, comm.content or comm.text_content),
			"follow_up_of": follow_up_of,
		}
	)
	return insert_as_server(issue, ignore_permissions=True)


def proposal_for(issue, comm) -> rules.Proposal:
	return rules.Proposal(
		sender=comm.sender,
		sender_is_staff=is_staff(comm.sender),
		issue_status=issue.status,
		finished_on=get_datetime(issue.closed_on or issue.resolved_on)
		if issue.status in rules.FINISHED_STATUSES
		else None,
		issue_senders=frozenset(senders_of(issue)),
		now=now_datetime(),
		new_issue_after_days=cint(frappe.db.get_single_value("CX Settings", "new_issue_after_days") or 7),
	)


def senders_of(issue) -> set[str]:
	"""The issue's raiser and the emails of its contact and of its customer's contacts."""
	senders = {rules.normalised_email(issue.raised_by)}
	contacts = {issue.contact} if issue.contact else set()
	if issue.customer:
		contacts.update(
			frappe.get_all(
				"Dynamic Link",
				filters={"parenttype": "Contact", "link_doctype": "CX Customer", "link_name": issue.customer},
				pluck="parent",
			)
		)
	if contacts:
		senders.update(
			rules.normalised_email(email)
			for email in frappe.get_all(
				"Contact Email", filters={"parent": ("in", sorted(contacts))}, pluck="email_id"
			)
		)
	senders.discard("")
	return senders


def is_staff(email: str) -> bool:
	return frappe.db.get_value("User", {"email": email, "enabled": 1}, "user_type") == "System User"


def is_agent_reply(comm) -> bool:
	"""An email sent to the customer by a person (not an automatic notification)."""
	return comm.sent_or_received == "Sent" and comm.sender and is_staff(rules.normalised_email(comm.sender))


def contact_of(email: str | None) -> str | None:
	if not email:
		return None
	return frappe.db.get_value("Contact Email", {"email_id": rules.normalised_email(email)}, "parent")


def language_of(*texts: str | None, hint: str | None = None) -> str | None:
	"""The language `texts` are written in (en, ru, uk, pl), `hint` deciding near-ties; None for no text."""
	text = articles.strip_html(" ".join(text or "" for text in texts))
	if not text.strip():
		return None
	code = LANGUAGES.get(articles.detect_language(text, hint if hint in LANGUAGES else None))
	return code if code and frappe.db.exists("Language", code) else None


def attach_whole_message(comm) -> None:
	frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"{comm.name}-message.html",
			"content": comm.flags.cx_full_body,
			"is_private": 1,
			"attached_to_doctype": "Communication",
			"attached_to_name": comm.name,
		}
	).insert(ignore_permissions=True)
