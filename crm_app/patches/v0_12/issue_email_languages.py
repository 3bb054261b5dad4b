"""The customer notifications of issues in the customer's language (issue 12): the shipped Email Templates
a site still has as they were shipped, in English only, take the translatable text
(crm_app/templates/emails); a template a manager has edited is left as it is."""

import frappe

from crm_app.cx_support.notifications import TEMPLATES, shipped_email

# The text shipped before, word for word.
ENGLISH_ONLY = {
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


def execute():
	for name, (subject, body) in ENGLISH_ONLY.items():
		template = frappe.db.get_value("Email Template", name, ["subject", "response_html"], as_dict=True)
		if not template or (template.subject, template.response_html) != (subject, body):
			continue
		new_subject, new_body = shipped_email(TEMPLATES[name])
		frappe.db.set_value(
			"Email Template", name, {"subject": new_subject, "response_html": new_body}, update_modified=False
		)
