"""Segments get an integer key and the member table indexes on it (v0.8).

Each existing segment gets a key from the new sequence; its member rows get that key in batches of ids
(each committed); the member table's old indexes on the segment's name go and the two on its key come
(`cx_segment_member.setup_indexes`, also run by the doctype sync; idempotent). Stays of segments already
deleted (their delete job still running) are deleted here.
"""

import frappe
from frappe.query_builder.functions import Max

from crm_app.cx_marketing import segments
from crm_app.cx_marketing.doctype.cx_segment_member.cx_segment_member import setup_indexes

BATCH = 50_000


def execute():
	frappe.reload_doc("cx_marketing", "doctype", "cx_segment")
	frappe.reload_doc("cx_marketing", "doctype", "cx_segment_member")
	segments.create_key_sequence()
	s = frappe.qb.DocType(segments.SEGMENT)
	keyless = (
		frappe.qb.from_(s)
		.select(s.name)
		.where(s.segment_key.isnull() | (s.segment_key == 0))
		.orderby(s.creation)
		.run(pluck=True)
	)
	for name in keyless:
		key = segments.next_segment_key()
		frappe.qb.update(s).set(s.segment_key, key).where(s.name == name).run()
	fill_member_keys()
	forget_deleted_segments()
	setup_indexes()


def fill_member_keys() -> None:
	m = frappe.qb.DocType(segments.MEMBER)
	last = frappe.qb.from_(m).select(Max(m.name)).run()[0][0] or 0
	for start in range(0, int(last), BATCH):
		# both tables have segment_key, which frappe.qb's multi-table SET would leave unqualified
		frappe.db.sql(
			"update `tabCX Segment Member` m join `tabCX Segment` s on s.name = m.segment "
			"set m.segment_key = s.segment_key "
			"where m.segment_key = 0 and m.name > %(start)s and m.name <= %(end)s",
			{"start": start, "end": start + BATCH},
		)
		frappe.db.commit()


def forget_deleted_segments() -> None:
	"""Stays of segments deleted before (their delete job still running) have no key to take: they go
	now, as that job would have done."""
	m = frappe.qb.DocType(segments.MEMBER)
	frappe.qb.from_(m).delete().where(m.segment_key == 0).run()
	frappe.db.commit()
