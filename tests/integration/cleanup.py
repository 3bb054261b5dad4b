"""Committing tests (test_y_*) delete what they committed, so the suites after them see the site as it was.

A resumable job commits each batch, and Frappe commits when it sends a notification email at once (as it
does in tests): whatever a test made before that is on the site for good, unless removed. `Leftovers`
notes the names of each watched doctype when a test class starts; `remove()` deletes the rows that
appeared since (their child rows with them, users through Frappe so their roles, settings and passwords
go too) and brings the desk's tallies back in line with what is left.
"""

import frappe

# Records first, what they link to after (a deal before its lead, a lead before its campaign).
WATCHED = (
	"CX Trigger Log",
	"CX Trigger",
	"CX Campaign Email Recipient",
	"CX Campaign Email",
	"CX Campaign Touch",
	"CX Segment Member",
	"CX Segment",
	"CX Opportunity",
	"CX Lead",
	"CX Customer",
	"Contact",
	"CX Campaign",
	"CX Duplicate Key",
	"CX Search Key",
	"CX Duplicate Member",
	"CX Duplicate Group",
	"Email Queue",
	"Communication",
	"Comment",
	"ToDo",
	"Notification Log",
	"Email Unsubscribe",
	"Email Template",
	"Email Account",
	"Coupon Code",
	"Pricing Rule",
	"Version",
	"Deleted Document",
	"Activity Log",
)
USERS = "User"


class Leftovers:
	def __init__(self, doctypes: tuple[str, ...] = (*WATCHED, USERS)):
		self.before = {doctype: set(_names(doctype)) for doctype in doctypes if _exists(doctype)}

	def remove(self) -> None:
		frappe.db.rollback()
		frappe.set_user("Administrator")
		for doctype, before in self.before.items():
			new = [name for name in _names(doctype) if name not in before]
			if not new:
				continue
			if doctype == USERS:
				for name in new:
					frappe.delete_doc(
						USERS, name, force=True, ignore_permissions=True, delete_permanently=True
					)
				continue
			children = [df.options for df in frappe.get_meta(doctype).get_table_fields()]
			for start in range(0, len(new), 500):
				chunk = new[start : start + 500]
				for child in children:
					frappe.db.delete(child, {"parent": ("in", chunk), "parenttype": doctype})
				frappe.db.delete(doctype, {"name": ("in", chunk)})
		frappe.db.commit()
		from crm_app.cx_insights.figures import reconcile

		reconcile()  # the tallies counted the deleted leads and deals


def _exists(doctype: str) -> bool:
	return bool(frappe.db.exists("DocType", doctype)) and frappe.db.table_exists(doctype)


def _names(doctype: str) -> list[str]:
	return frappe.db.sql_list(f"select name from `tab{doctype}`")  # doctype: one of the fixed list above


class RemovesLeftovers:
	"""Mixin for a committing test class (before CXTestCase in its bases): what its tests committed goes
	when the class is done."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls._leftovers = Leftovers()

	@classmethod
	def tearDownClass(cls):
		cls._leftovers.remove()
		super().tearDownClass()
