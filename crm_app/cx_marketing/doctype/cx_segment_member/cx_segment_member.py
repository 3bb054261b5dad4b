# Copyright (c) 2026, crm_app contributors. See license.txt

import frappe
from frappe.model.document import Document

MEMBER = "CX Segment Member"
TABLE = "tabCX Segment Member"
ID_SEQUENCE = "cx_segment_member_id_seq"
# Indexes the table had before the compact segment key (v0.8): dropped, each replaced below.
RETIRED_INDEXES = (
	"modified",
	"member_index",
	"segment_live_index",
	"unique_live_member",
	"segment_key_index",
)


class CXSegmentMember(Document):
	"""One stay of a record in a segment, written by crm_app.cx_marketing.segments only."""


def on_doctype_update():
	setup_indexes()


def setup_indexes():
	"""Two secondary indexes, both on the segment's integer key (`CX Segment.segment_key`), not its name:
	every member row is in each, so their width is what a million-member resolution pays for.

	- `live_stay_key` (member_doctype, member_name, segment_key, is_live), unique: one live stay per
	  (segment, record), as `is_live` is 1 while left_on is empty and NULL after (NULLs do not collide, so
	  past stays are many). Its prefix finds a record's stays (on_trash, merges).
	- `segment_members` (segment_key, left_on, name, member_name): a segment's live rows in id order
	  (batched readers, counts) and who they are (a resolution finds the leavers in the index alone); a
	  new segment's key is the largest, so its first resolution appends to it.

	Frappe's `modified` index goes: member rows are sorted by id, never by modified. Idempotent;
	identifiers are fixed here, nothing comes from input."""
	# read the table itself: has_column answers from a cache the ALTERs below do not clear
	if not frappe.db.sql(f"show columns from `{TABLE}` like 'is_live'"):
		frappe.db.sql_ddl(
			f"alter table `{TABLE}` add column is_live tinyint as (if(left_on is null, 1, null)) virtual"
		)
	for index in RETIRED_INDEXES:
		if frappe.db.has_index(TABLE, index):
			frappe.db.sql_ddl(f"alter table `{TABLE}` drop index `{index}`")
	if frappe.db.sql(f"show columns from `{TABLE}` like 'live_member'"):
		frappe.db.sql_ddl(f"alter table `{TABLE}` drop column live_member")
	cache_member_ids()
	if not frappe.db.has_index(TABLE, "segment_members"):
		frappe.db.sql_ddl(
			f"alter table `{TABLE}` add index segment_members (segment_key, left_on, name, member_name)"
		)
	# rows from before the keys all have key 0 and could collide: the v0.8 patch keys them, then comes back
	if not frappe.db.has_index(TABLE, "live_stay_key") and not has_keyless_rows():
		frappe.db.sql_ddl(
			f"alter table `{TABLE}` "
			"add unique index live_stay_key (member_doctype, member_name, segment_key, is_live)"
		)


def has_keyless_rows() -> bool:
	m = frappe.qb.DocType(MEMBER)
	return bool(frappe.qb.from_(m).select(m.name).where(m.segment_key == 0).limit(1).run())


def cache_member_ids() -> None:
	"""The member ids' sequence hands out ids from a cache of 1000: with Frappe's `nocache` every id of
	an INSERT ... SELECT writes the sequence table (~1 s per million members). Ids stay increasing (the
	cache is the server's, not a connection's); a restart or a restored backup only skips some."""
	definition = frappe.db.sql(f"show create sequence `{ID_SEQUENCE}`")[0][1]
	if "nocache" in definition.lower():
		frappe.db.sql_ddl(f"alter sequence `{ID_SEQUENCE}` cache 1000")
