"""/support: the portal user's issues, newest change first, and a form for a new one."""

import frappe
from frappe import _
from frappe.utils import cint, pretty_date

from crm_app.core.service.portal import BODY_MAX_CHARS, SUBJECT_MAX_CHARS
from crm_app.cx_support import portal

no_cache = 1


def get_context(context):
	portal.require_login("/support")
	start = max(cint(frappe.form_dict.start), 0)
	context.issues, context.has_more = portal.list_issues(frappe.session.user, start)
	for issue in context.issues:
		issue.last_update_label = pretty_date(issue.last_update)
	context.linked = bool(portal.contacts_of(frappe.session.user))
	context.start, context.page_size = start, portal.PAGE_SIZE
	context.subject_max, context.body_max = SUBJECT_MAX_CHARS, BODY_MAX_CHARS
	context.title = _("Support")
	context.show_sidebar = True
	context.no_breadcrumbs = False
	context.parents = [{"route": "me", "title": _("My Account")}]
