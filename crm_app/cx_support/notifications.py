"""Customer notifications of CX Issue: Frappe Notifications decide when (on the change of status, so
once per change) and to whom, shipped Email Templates say what; both are ordinary records a manager edits.

A Notification's subject and message call `cx_issue_email_subject` / `cx_issue_email` (Jinja methods,
hooks.py), which render the Email Template of the same name for the issue. The shipped templates' text
is in crm_app/templates/emails, each sentence in `_()`: there Frappe's extractor finds it for the
translations (it does not look inside Python strings).

Language: each recipient reads the mail in their own language (crm_app/core/recipient_language.py: a
customer's contact, else the customer, else the issue's language, else the site's; a desk user's own).
Frappe would send a Notification as one message, rendered once in the language of whoever saved the
issue, to all its recipients. So the app sends its own notifications itself (`send_in_recipient_languages`,
on the events Frappe would use, just before Frappe looks at them): the record's condition and change are
checked as Frappe checks them, Frappe's own list of recipients (to, cc, bcc) is grouped by language (one
query for all of them), and the subject and message are rendered once per language, each group getting
its own Communication and mail, queued inside Frappe's language switch (crm_app/languages.py), so Frappe's
footer and unsubscribe line are in that language too; the notification is then marked as run for this
save, which is how Frappe itself avoids running one twice. Templates that picked the raiser's language
inside one Frappe send were the other way: a cc'd agent would read the customer's language, and the
footer would stay in the saver's. The records stay what a manager edits (enabled, condition, recipients,
sender, subject, message); one set up beyond what this path sends (another channel, a value set after the
alert, a system notification as well) is left to Frappe.
"""

import json
from pathlib import Path

import frappe
from frappe import _

from crm_app.core.service.mail import normalised_email
from crm_app.languages import group, read_directory, speaking

ISSUE = "CX Issue"
EMAIL_SOURCES = Path(__file__).resolve().parent.parent / "templates" / "emails"


def shipped_email(slug: str) -> tuple[str, str]:
	"""(subject, body) of a shipped email template (crm_app/templates/emails/<slug>[.subject].html)."""
	subject = (EMAIL_SOURCES / f"{slug}.subject.html").read_text(encoding="utf-8").strip()
	body = (EMAIL_SOURCES / f"{slug}.html").read_text(encoding="utf-8").strip()
	return subject, body


# name: slug of its text in crm_app/templates/emails
TEMPLATES = {
	"CX Issue Received": "cx_issue_received",
	"CX Issue On Hold": "cx_issue_on_hold",
	"CX Issue Resolved": "cx_issue_resolved",
}

# name: (event, condition)
NOTIFICATIONS = {
	"CX Issue Received": ("New", 'doc.raised_by and doc.channel in ("Email", "Web")'),
	"CX Issue On Hold": ("Value Change", 'doc.raised_by and doc.status == "On Hold"'),
	"CX Issue Resolved": ("Value Change", 'doc.raised_by and doc.status == "Resolved"'),
}


def create_issue_notifications() -> None:
	"""Create the shipped templates and notifications that are missing (an edited one is kept)."""
	for name, slug in TEMPLATES.items():
		if not frappe.db.exists("Email Template", name):
			subject, response = shipped_email(slug)
			frappe.get_doc(
				{
					"doctype": "Email Template",
					"name": name,
					"subject": subject,
					"use_html": 1,
					"response_html": response,
				}
			).insert(ignore_permissions=True)
	for name, (event, condition) in NOTIFICATIONS.items():
		if frappe.db.exists("Notification", name):
			continue
		frappe.get_doc(
			{
				"doctype": "Notification",
				"name": name,
				"subject": "{{ cx_issue_email_subject(" + repr(name) + ", doc) }}",
				"document_type": "CX Issue",
				"event": event,
				"value_changed": "status" if event == "Value Change" else None,
				"condition": condition,
				"channel": "Email",
				"enabled": 1,
				"message_type": "HTML",
				"message": "{{ cx_issue_email(" + repr(name) + ", doc) }}",
				"recipients": [{"receiver_by_document_field": "raised_by"}],
			}
		).insert(ignore_permissions=True)


def _template(name: str):
	template = frappe.db.get_value(
		"Email Template", name, ["subject", "response_html", "response", "use_html"], as_dict=True
	)
	if not template:
		frappe.throw(_("Email Template {0} is missing.").format(name), frappe.DoesNotExistError)
	return template


def cx_issue_email_subject(template: str, doc) -> str:
	return frappe.render_template(_template(template).subject or "", {"doc": doc})


def cx_issue_email(template: str, doc) -> str:
	values = _template(template)
	body = values.response_html if values.use_html else values.response
	return frappe.render_template(body or "", {"doc": doc})


# -- sending in each recipient's language --------------------------------------------------------------

# The document events Frappe runs notifications on (Document.run_notifications), for the two the app uses.
EVENTS = {"after_insert": "New", "on_change": "Value Change"}


def send_in_recipient_languages(doc, method=None) -> None:
	"""CX Issue `after_insert` / `on_change` (hooks.py): the app's enabled notifications of this event,
	sent per recipient language before Frappe's `run_notifications` would send them in one."""
	event = EVENTS.get(method)
	if not event or muted() or (event == "Value Change" and (doc.flags.in_insert or doc.flags.in_delete)):
		return
	if doc.flags.notifications_executed is None:
		doc.flags.notifications_executed = []
	for name in own_notifications(doc.doctype, event):
		if name in doc.flags.notifications_executed:
			continue
		notification = frappe.get_cached_doc("Notification", name)
		if not sent_here(notification):
			continue  # Frappe sends it, as it was set up
		doc.flags.notifications_executed.append(name)  # Frappe skips it now
		if applies(notification, doc, event):
			send(notification, doc)


def muted() -> bool:
	"""When Frappe runs no notifications at all (Document.run_notifications)."""
	flags = frappe.flags
	return bool((flags.in_import and flags.mute_emails) or flags.in_patch or flags.in_install)


def own_notifications(doctype: str, event: str) -> list[str]:
	"""The app's enabled notifications of `doctype` for `event`, from the list Frappe caches for its own
	run (same key and contents, cleared by Frappe when a Notification changes): no query per save."""

	def _get_notifications():
		return frappe.get_all(
			"Notification",
			fields=["name", "event", "method"],
			filters={"enabled": 1, "document_type": doctype},
		)

	found = frappe.cache.hget("notifications", doctype, _get_notifications) or []
	return [row["name"] for row in found if row["name"] in NOTIFICATIONS and row["event"] == event]


def sent_here(notification) -> bool:
	return (
		notification.channel == "Email"
		and not notification.set_property_after_alert
		and not notification.send_system_notification
		and not notification.is_standard
	)


def applies(notification, doc, event: str) -> bool:
	"""Frappe's own test (notification.evaluate_alert): the condition, and for a value change a change."""
	from frappe.email.doctype.notification.notification import get_context
	from frappe.model import no_value_fields
	from frappe.utils import cast, get_link_to_form

	try:
		if notification.condition and not frappe.safe_eval(notification.condition, None, get_context(doc)):
			return False
	except Exception:
		notification.log_error(_("Error in Notification"))
		frappe.throw(
			_("Error while evaluating Notification {0}. Please fix your template.").format(
				get_link_to_form("Notification", notification.name)
			),
			title=_("Error in Notification"),
		)
	if event != "Value Change" or doc.is_new():
		return True
	field = doc.meta.get_field(notification.value_changed or "")
	if not field or field.fieldtype in no_value_fields:
		return False
	before = doc.get_doc_before_save()
	previous = before.get(field.fieldname) if before else None
	return cast(field.fieldtype, doc.get(field.fieldname)) != cast(field.fieldtype, previous)


def send(notification, doc) -> None:
	"""Frappe's `Notification.send_an_email`, once per language of its recipients."""
	from email.utils import formataddr

	from frappe.core.doctype.communication.email import _make as make_communication

	try:
		context = {"doc": doc, "alert": notification, "comments": None}
		if doc.get("_comments"):
			context["comments"] = json.loads(doc.get("_comments"))
		recipients, cc, bcc = notification.get_list_of_recipients(doc, context)
		if not (recipients or cc or bcc):
			return
		language_of = recipient_languages(doc, [*recipients, *cc, *bcc])
		groups = {
			role: group(addresses, language_of)
			for role, addresses in (("to", recipients), ("cc", cc), ("bcc", bcc))
		}
		languages = list(dict.fromkeys(lang for by_language in groups.values() for lang in by_language))
		sender = (
			formataddr((notification.sender, notification.sender_email))
			if notification.sender and notification.sender_email
			else None
		)
		for language in languages:
			to, copy, blind = (groups[role].get(language, []) for role in ("to", "cc", "bcc"))
			with speaking(language):
				subject = notification.subject
				if "{" in subject:
					subject = frappe.render_template(notification.subject, context)
				message = frappe.render_template(notification.message, context)
				attachments = notification.get_attachment(doc)
				communication = make_communication(
					doctype=doc.doctype,
					name=doc.name,
					content=message,
					subject=subject,
					sender=sender,
					recipients=to,
					communication_medium="Email",
					send_email=False,
					attachments=attachments,
					cc=copy,
					bcc=blind,
					communication_type="Automated Message",
				).get("name")
				frappe.sendmail(
					recipients=to,
					subject=subject,
					sender=sender,
					cc=copy,
					bcc=blind,
					message=message,
					reference_doctype=doc.doctype,
					reference_name=doc.name,
					attachments=attachments,
					expose_recipients="header",
					print_letterhead=any(
						a.get("print_letterhead")
						for a in attachments or []
						if a.get("print_format_attachment") == 1
					),
					communication=communication,
				)
	except Exception:
		# as Frappe's send_notification_by_channel: a mail that cannot go out never stops the save
		notification.log_error(_("Failed to send Notification"))


def recipient_languages(doc, addresses: list[str]):
	"""address -> language for a notification of `doc` (an issue): the raiser is the issue's contact,
	every other address is whoever has it (a desk user, a contact), all about the issue's customer."""
	contact, customer = doc.get("contact"), doc.get("customer")
	directory = read_directory(
		emails=addresses, contacts=[contact] if contact else [], customers=[customer] if customer else []
	)
	raiser = normalised_email(doc.get("raised_by"))
	party = ("CX Customer", customer) if customer else None

	def language_of(address: str) -> str:
		own = contact if raiser and normalised_email(address) == raiser else None
		return directory.address(address, contact=own, party=party, conversation=doc.get("language"))

	return language_of
