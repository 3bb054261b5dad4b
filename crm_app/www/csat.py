"""/csat?issue=...&token=...: rate a resolved issue from the emailed link (crm_app/cx_support/csat.py).

A link whose token does not match shows nothing about any issue."""

import frappe
from frappe import _
from frappe.utils import cint

from crm_app.core.service.csat import MAX_COMMENT_CHARS, RATING_MAX, RATING_MIN
from crm_app.cx_support import csat

no_cache = 1
sitemap = 0


def get_context(context):
	issue, token = frappe.form_dict.issue, frappe.form_dict.token
	context.update(
		csat.link_state(issue if isinstance(issue, str) else "", token if isinstance(token, str) else "")
	)
	context.token = token if context.state == "open" else ""
	chosen = cint(frappe.form_dict.rating)
	context.chosen = chosen if RATING_MIN <= chosen <= RATING_MAX else 0
	context.ratings = list(range(RATING_MIN, RATING_MAX + 1))
	context.comment_max = MAX_COMMENT_CHARS
	context.title = _("Rate Your Support")
	context.no_breadcrumbs = True
