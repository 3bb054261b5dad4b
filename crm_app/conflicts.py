"""Two people on one record at once: the second one is told what happened, in words about the record.

Frappe refuses a save made from a copy older than the record ("Document has been modified after you
have opened it"); the app says who changed the record, when, and what it now says, so that the user
knows what to look at before making their change again. The error stays a TimestampMismatchError, so
API clients that handle Frappe's keep working."""

import html

import frappe
from frappe import _
from frappe.utils import format_datetime, get_fullname

from crm_app.exceptions import ChangedMeanwhileError

# What a colleague's change is summed up by, per doctype.
STATE_FIELDS = {
	"CX Opportunity": ("sales_stage", "status"),
	"CX Lead": ("status",),
	"CX Customer": ("customer_name",),
	"CX Issue": ("status",),
}


class ChangedMeanwhile:
	"""Controller mixin: Frappe's check that the copy being saved is the latest, explained."""

	def check_if_latest(self):
		try:
			super().check_if_latest()
		except frappe.TimestampMismatchError:
			frappe.clear_last_message()
			explain_change(self)


def explain_change(doc) -> None:
	current = doc.get_doc_before_save()  # the record as it is now, read under lock by Frappe

	def escape(text: str) -> str:
		"""Typed by users, shown as HTML: escaped once (Frappe may have stored it escaped already)."""
		return frappe.utils.escape_html(html.unescape(text))

	state = ", ".join(
		f"{_(current.meta.get_label(field))}: {escape(_(str(current.get(field) or '')))}"
		for field in STATE_FIELDS.get(doc.doctype, ())
	)
	frappe.throw(
		_(
			"{0} {1} was changed by {2} at {3}, after you opened it. It now reads: {4}. Reload it to see the change, then make yours again."
		).format(
			_(doc.doctype),
			frappe.bold(doc.name),
			frappe.bold(escape(get_fullname(current.modified_by))),
			format_datetime(current.modified),
			state or _("see the record"),
		),
		ChangedMeanwhileError,
		title=_("Changed Meanwhile"),
	)
