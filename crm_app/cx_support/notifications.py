"""Customer notifications of CX Issue: Frappe Notifications decide when (on the change of status, so
once per change), shipped Email Templates say what; both are ordinary records a manager edits.

A Notification's subject and message call `cx_issue_email_subject` / `cx_issue_email` (Jinja methods,
hooks.py), which render the Email Template of the same name for the issue.
"""

import frappe
from frappe import _

TEMPLATES = {
	"CX Issue Received": (
		"We have your request: {{ doc.subject }} (#{{ doc.name }})",
		"<p>Hello{% if doc.raised_by_name %} {{ doc.raised_by_name }}{% endif %},</p>"
		"<p>Thank you for writing to us. Your request <b>{{ doc.subject }}</b> has the reference "
		"<b>{{ doc.name }}</b>; an agent will answer you{% if doc.response_by %} by "
		"{{ frappe.utils.format_datetime(doc.response_by) }}{% endif %}.</p>"
		"<p>Reply to this email to add anything; please keep the reference in the subject.</p>",
	),
	"CX Issue On Hold": (
		"We are waiting for you: {{ doc.subject }} (#{{ doc.name }})",
		"<p>Hello{% if doc.raised_by_name %} {{ doc.raised_by_name }}{% endif %},</p>"
		"<p>Your request <b>{{ doc.subject }}</b> ({{ doc.name }}) is on hold until we hear from you. "
		"Reply to this email and we will carry on.</p>",
	),
	"CX Issue Resolved": (
		"Resolved: {{ doc.subject }} (#{{ doc.name }})",
		"<p>Hello{% if doc.raised_by_name %} {{ doc.raised_by_name }}{% endif %},</p>"
		"<p>We have resolved your request <b>{{ doc.subject }}</b> ({{ doc.name }}). If something is still "
		"wrong, reply to this email within a few days and the request opens again.</p>",
	),
}

# name: (event, condition)
NOTIFICATIONS = {
	"CX Issue Received": ("New", 'doc.raised_by and doc.channel in ("Email", "Web")'),
	"CX Issue On Hold": ("Value Change", 'doc.raised_by and doc.status == "On Hold"'),
	"CX Issue Resolved": ("Value Change", 'doc.raised_by and doc.status == "Resolved"'),
}


def create_issue_notifications() -> None:
	"""Create the shipped templates and notifications that are missing (an edited one is kept)."""
	for name, (subject, response) in TEMPLATES.items():
		if not frappe.db.exists("Email Template", name):
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
