"""/support/<name> (website_route_rules in hooks.py): one of the portal user's issues, its emails, a reply box.

Another customer's issue, or one that does not exist, is refused in the same words (403)."""

import frappe
from frappe import _
from frappe.utils import format_datetime

from crm_app.core.service.portal import BODY_MAX_CHARS
from crm_app.cx_support import portal

no_cache = 1


def get_context(context):
	name = frappe.form_dict.name or ""
	portal.require_login(f"/support/{name}")
	context.update(portal.issue_page(name, frappe.session.user))
	for message in context.messages:
		message.when = format_datetime(message.communication_date)
	context.opened = format_datetime(context.issue.opened_on) if context.issue.opened_on else ""
	context.body_max = BODY_MAX_CHARS
	context.title = context.issue.subject
	context.show_sidebar = True
	context.parents = [{"route": "support", "title": _("Support")}]
