"""/support-request: the public support form (crm_app.cx_support.portal.submit_request).

Each page view carries a freshly signed stamp of when it was served (the spam check's minimum fill time),
so it is never cached."""

import frappe
from frappe import _

from crm_app.core.service.portal import BODY_MAX_CHARS, SUBJECT_MAX_CHARS
from crm_app.cx_support import portal

no_cache = 1


def get_context(context):
	context.form_stamp = portal.new_form_stamp()
	context.email = portal.user_email(frappe.session.user) or ""
	context.linked = bool(portal.contacts_of(frappe.session.user))
	context.subject_max, context.body_max = SUBJECT_MAX_CHARS, BODY_MAX_CHARS
	context.title = _("Support Request")
