# Copyright (c) 2026, crm_app contributors. See license.txt

import frappe
from frappe.model.document import Document

MEMBER = "CX Segment Member"


class CXSegmentMember(Document):
	"""One stay of a record in a segment, written by crm_app.cx_marketing.segments only."""


def on_doctype_update():
	# active_members reads a segment's live rows in id order; a record's stays are found by record
	frappe.db.add_index(MEMBER, ["segment", "left_on", "name"], "segment_live_index")
	frappe.db.add_index(MEMBER, ["member_doctype", "member_name"], "member_index")
	add_live_member_key()


def add_live_member_key():
	"""One live stay per (segment, record): a virtual column holding member_name while left_on is empty
	(NULL after), unique with segment and member_doctype; NULLs do not collide, so past stays are many.
	Identifiers are fixed here, nothing comes from input."""
	# read the table itself: has_column answers from a cache the ALTER below does not clear
	if not frappe.db.sql("show columns from `tabCX Segment Member` like 'live_member'"):
		frappe.db.sql_ddl(
			"alter table `tabCX Segment Member` add column live_member varchar(140) "
			"as (if(left_on is null, member_name, null)) virtual"
		)
	if not frappe.db.has_index("tabCX Segment Member", "unique_live_member"):
		frappe.db.sql_ddl(
			"alter table `tabCX Segment Member` "
			"add unique index unique_live_member (segment, member_doctype, live_member)"
		)
