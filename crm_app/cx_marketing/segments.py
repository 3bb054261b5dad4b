"""Segments: a saved rule set over leads, customers or contacts, resolved to members in bulk.

A `CX Segment` keeps Frappe filters (`filters_json`, built in the desk with `frappe.ui.FilterGroup`) over
the fields of `FIELDS_BY_TARGET`; `crm_app.cx_marketing.rules` turns them into SQL. Resolving is set-based:
one INSERT ... SELECT adds the records that match and are not live members, one UPDATE ... JOIN sets
`left_on` on live Rule members that no longer match. A record's stays are its `CX Segment Member` rows
(joined_on to left_on), so a member who leaves and matches again later gets a new row: that is the
segment's membership over time. Manual and Trigger members are never removed by the rules.

Member rows are found by the segment's integer key (`CX Segment.segment_key`), not its name: the two
indexes of the member table (cx_segment_member.py) hold every row, and a 4-byte key instead of a name of
up to 140 characters is what makes a million-member resolution fit in a small buffer pool. The `segment`
column keeps the name for the desk.

Public API for the other marketing parts: `active_members` (batched reader) and `add_member`.
"""

import html

import frappe
from frappe import _
from frappe.query_builder import Criterion
from frappe.query_builder.functions import Count, Date, Max
from frappe.utils import add_days, getdate, now_datetime
from frappe.utils.background_jobs import is_job_enqueued
from pypika.terms import Field, PseudoColumn, ValueWrapper

from crm_app import jobs
from crm_app.cx_marketing import rules
from crm_app.exceptions import InvalidSegmentRuleError

SEGMENT = "CX Segment"
MEMBER = "CX Segment Member"
RESOLVE_METHOD = "crm_app.cx_marketing.segments.resolve"
SOURCES = ("Rule", "Manual", "Trigger")
# The member table is autoincrement: ids come from Frappe's sequence of the doctype (a fixed identifier).
NEXT_ID = PseudoColumn("nextval(`cx_segment_member_id_seq`)")
KEY_SEQUENCE = "_key_seq"  # CX Segment's key sequence: cx_segment_key_seq
MEMBER_COLUMNS_WRITTEN = (
	"name",
	"segment",
	"segment_key",
	"member_doctype",
	"member_name",
	"email",
	"full_name",
	"joined_on",
	"source",
	"creation",
	"modified",
	"owner",
	"modified_by",
)

# The fields a segment rule may use, per record type: demographics, behaviour, purchases (the last filled
# where ERPNext is present). One place; the form's filter editor offers these only.
FIELDS_BY_TARGET: dict[str, dict[str, tuple[str, ...]]] = {
	"CX Lead": {
		"demographics": (
			"age_band",
			"gender",
			"territory",
			"country",
			"city",
			"income_band",
			"interests",
			"industry",
			"source",
		),
		"behaviour": (
			"lead_score",
			"score_band",
			"status",
			"last_contacted_on",
			"next_follow_up",
			"first_contacted_on",
		),
	},
	"CX Customer": {
		"demographics": ("territory", "customer_group", "industry", "customer_type"),
		"behaviour": (
			"last_contacted_on",
			"satisfaction_score",
			"loyalty_points",
			# customer value (crm_app/cx_insights/value.py)
			"rfm_segment",
			"rfm_segment_since",
			"rfm_score",
			"rfm_recency_days",
			"rfm_frequency",
			"probability_alive",
		),
		"purchases": (
			"lifetime_value",
			"last_purchase_on",
			"outstanding_amount",
			# customer value (crm_app/cx_insights/value.py)
			"rfm_monetary",
			"predicted_purchases",
			"predicted_value",
			"value_model_status",
		),
	},
	"Contact": {
		"demographics": ("gender", "company_name", "designation"),
	},
}

# Where a member's email and name come from: (email column, name column), fixed identifiers.
MEMBER_COLUMNS: dict[str, tuple[str, str]] = {
	"CX Lead": ("email", "lead_name"),
	"CX Customer": ("email_id", "customer_name"),
	"Contact": ("email_id", "full_name"),
}


def allowed_fields(target: str) -> set[str]:
	if target not in FIELDS_BY_TARGET:
		frappe.throw(
			_("A segment can be made of {0}, not {1}").format(", ".join(FIELDS_BY_TARGET), target),
			InvalidSegmentRuleError,
		)
	return {field for group in FIELDS_BY_TARGET[target].values() for field in group}


def segment_rules(segment_of: str, filters_json) -> list:
	"""The segment's rules, checked against the whitelist (InvalidSegmentRuleError otherwise)."""
	return rules.validate_rules(segment_of, filters_json, allowed_fields(segment_of))


def match_mode(match: str | None) -> str:
	return "any" if (match or "").casefold() == "any" else "all"


def resolve_key(segment: str) -> str:
	return f"segment-resolve:{segment}"


def create_key_sequence() -> None:
	frappe.db.create_sequence(SEGMENT, slug=KEY_SEQUENCE, check_not_exists=True)


def next_segment_key() -> int:
	"""A new segment's key: from a sequence, so a deleted segment's key is never given again. The sequence
	is made by the doctype sync and the v0.8 patch, never here: CREATE SEQUENCE commits the transaction
	of the save that asks."""
	return int(frappe.db.get_next_sequence_val(SEGMENT, slug=KEY_SEQUENCE))


def segment_key(segment: str) -> int:
	"""The segment's key; 0 (no rows have it) for a segment that does not exist."""
	return int(frappe.db.get_value(SEGMENT, segment, "segment_key") or 0)


# Desk methods
# ------------


@frappe.whitelist(methods=["GET"])
def preview_count(segment_of: str, filters_json: str, match: str = "All", segment: str | None = None) -> dict:
	"""The live count of the records matching (unsaved) rules, as the user may see them: {"count": n},
	or {"error": message} for rules that cannot be applied (shown under the editor, not as a popup)."""
	if segment:
		frappe.has_permission(SEGMENT, "read", doc=segment, throw=True)
	else:
		frappe.has_permission(SEGMENT, "create", throw=True)
	try:
		checked = segment_rules(segment_of, filters_json)
	except InvalidSegmentRuleError as e:
		frappe.clear_last_message()
		# the thrown message escapes the values for a dialog; the editor escapes the text it shows
		return {"count": None, "error": html.unescape(str(e))}
	return {"count": rules.count_matching(segment_of, checked, match=match_mode(match)), "error": None}


@frappe.whitelist(methods=["GET"])
def rule_fields(segment_of: str) -> dict[str, list[str]]:
	"""The fields the filter editor offers for a record type, by group."""
	frappe.has_permission(SEGMENT, "read", throw=True)
	allowed_fields(segment_of)
	return {group: list(fields) for group, fields in FIELDS_BY_TARGET[segment_of].items()}


@frappe.whitelist(methods=["POST"])
def resolve_now(segment: str) -> dict:
	"""Queue the segment's resolution (long queue, one job per segment). A second click while one is
	queued or running queues nothing and says so."""
	doc = frappe.get_doc(SEGMENT, segment)
	doc.check_permission("write")
	return enqueue_resolve(doc.name)


def enqueue_resolve(segment: str) -> dict:
	job_id = jobs.job_id(resolve_key(segment))
	if is_job_enqueued(job_id):
		return {"queued": False, "message": _("Segment {0} is already being resolved.").format(segment)}
	frappe.db.set_value(SEGMENT, segment, "resolution_status", "Queued", update_modified=False)
	frappe.enqueue(
		RESOLVE_METHOD,
		queue="long",
		timeout=3600,
		job_id=job_id,
		deduplicate=True,
		enqueue_after_commit=True,
		segment=segment,
	)
	return {"queued": True, "message": _("Segment {0} will be resolved in the background.").format(segment)}


@frappe.whitelist(methods=["GET"])
def membership_history(segment: str, days: int = 30) -> dict:
	"""Joins and leaves per day over the last `days` days, and the live count, for the form's chart."""
	frappe.has_permission(SEGMENT, "read", doc=segment, throw=True)
	days = min(max(int(days), 1), 366)
	since = getdate(add_days(now_datetime(), -days + 1))
	m = frappe.qb.DocType(MEMBER)
	key = segment_key(segment)
	joined = _per_day(m, m.joined_on, key, since)
	left = _per_day(m, m.left_on, key, since)
	labels = [str(add_days(since, i)) for i in range(days)]
	return {
		"labels": labels,
		"joined": [joined.get(day, 0) for day in labels],
		"left": [left.get(day, 0) for day in labels],
		"members": live_count(segment),
	}


def _per_day(m, column, key: int, since) -> dict[str, int]:
	day = Date(column)
	rows = (
		frappe.qb.from_(m)
		.select(day.as_("day"), Count("*").as_("n"))
		.where((m.segment_key == key) & (column >= since))
		.groupby(day)
		.run()
	)
	return {str(row[0]): row[1] for row in rows}


# Resolution
# ----------


def resolve(segment: str, commit: bool = True) -> dict | None:
	"""Resolve the segment's rules to members now: {joined, left, members}. None when another run of the
	same segment holds its lock. Under a named lock; the statements share one transaction, and a failure
	undoes them all and marks the segment Failed."""
	key = resolve_key(segment)
	if not jobs.acquire_lock(key, jobs.LOCK_WAIT):
		return None
	try:
		return _resolve(segment, commit)
	finally:
		jobs.release_lock(key)


def _resolve(segment: str, commit: bool) -> dict:
	doc = frappe.get_doc(SEGMENT, segment)
	target, key = doc.segment_of, doc.segment_key
	savepoint = None
	try:
		criterion = rules.matching_criterion(
			target, segment_rules(target, doc.filters_json), match_mode(doc.match)
		)
		_set_status(segment, "Resolving", commit)
		_progress(segment, 10, _("Resolving"))
		savepoint = "cx_segment_resolve"
		frappe.db.savepoint(savepoint)
		now = now_datetime()
		# counted before the statements: counting after would check each of this transaction's own
		# index entries against its row (seconds for a million), and the statements' row counts are exact
		before = _live_count(key)
		left = mark_leavers(key, target, criterion, now)
		_progress(segment, 50, _("{0} left").format(left))
		joined = insert_joiners(segment, key, target, criterion, now, first=not before)
		# as exact as a count in this transaction's snapshot was: a member added by hand meanwhile, and
		# committed, is in neither
		members = before - left + joined
		frappe.db.set_value(
			SEGMENT,
			segment,
			{
				"member_count": members,
				"last_joined": joined,
				"last_left": left,
				"last_resolved_on": now,
				"resolution_status": "Resolved",
			},
			update_modified=False,
		)
		if commit:
			frappe.db.commit()
	except Exception:
		if savepoint:
			frappe.db.rollback(save_point=savepoint)
		_set_status(segment, "Failed", commit)
		raise
	_progress(segment, 100, _("{0} joined, {1} left, {2} members").format(joined, left, members))
	frappe.publish_realtime("cx_segment_resolved", {"segment": segment}, doctype=SEGMENT, docname=segment)
	return {"joined": joined, "left": left, "members": members}


def _set_status(segment: str, status: str, commit: bool) -> None:
	frappe.db.set_value(SEGMENT, segment, "resolution_status", status, update_modified=False)
	if commit:  # seen by the form at once
		frappe.db.commit()


def _progress(segment: str, percent: int, description: str) -> None:
	frappe.publish_progress(
		percent, title=_("Resolving segment"), doctype=SEGMENT, docname=segment, description=description
	)


def mark_leavers(key: int, target: str, criterion: Criterion | None, now) -> int:
	"""Set left_on on the live Rule members (of the segment with this key) that no longer match.

	The live rows that do not match are picked from the segment's index alone (segment_members covers
	member_name: no member row is read for the members who stay), joined to their records by primary key;
	only those rows are then read and updated, by id."""
	if criterion is None:
		return 0
	m = frappe.qb.DocType(MEMBER)
	live = frappe.qb.DocType(MEMBER).as_("live")
	t = frappe.qb.DocType(target)
	not_matching = (
		frappe.qb.from_(live)
		.left_join(t)
		.on((t.name == live.member_name) & criterion)
		.select(live.name)
		.where((live.segment_key == key) & live.left_on.isnull() & t.name.isnull())
	)
	leaving = not_matching.as_("leaving")
	# Multi-table UPDATE: SET names `left_on` without its table, a column only the member table has;
	# the derived table is materialised first (it reads the table being updated).
	(
		frappe.qb.update(m)
		.join(leaving)
		.on(Field("name", table=leaving) == m.name)
		.set(m.left_on, now)
		.where(m.left_on.isnull() & (m.source == "Rule") & (m.member_doctype == target))
		.run()
	)
	return frappe.db._cursor.rowcount


def insert_joiners(
	segment: str, key: int, target: str, criterion: Criterion | None, now, first: bool = False
) -> int:
	"""INSERT ... SELECT the matching records that are not live members (from any source); `first`: the
	segment had no live members (no probe needed)."""
	m = frappe.qb.DocType(MEMBER)
	live = frappe.qb.DocType(MEMBER).as_("live")
	t = frappe.qb.DocType(target)
	email, full_name = MEMBER_COLUMNS[target]
	user = frappe.session.user
	query = (
		frappe.qb.into(m)
		.columns(*MEMBER_COLUMNS_WRITTEN)
		.from_(t)
		.select(
			NEXT_ID,
			ValueWrapper(segment),
			ValueWrapper(key),
			ValueWrapper(target),
			t.name,
			t[email],
			t[full_name],
			ValueWrapper(now),
			ValueWrapper("Rule"),
			ValueWrapper(now),
			ValueWrapper(now),
			ValueWrapper(user),
			ValueWrapper(user),
		)
		# a member added by hand in the same instant is kept once (unique live membership)
		.ignore()
	)
	if not first:
		query = (
			query.left_join(live)
			.on(
				# the unique live-stay key (cx_segment_member.py): one covering eq_ref probe per record
				(live.member_doctype == target)
				& (live.member_name == t.name)
				& (live.segment_key == key)
				& (live.is_live == 1)
			)
			.where(live.name.isnull())
		)
	# else (a first resolution) no probe: an INSERT ... SELECT reading its own table would copy the whole
	# SELECT into a temporary table first
	if criterion is not None:
		query = query.where(criterion)
	query.run()
	return frappe.db._cursor.rowcount


def end_rule_stays(segment: str) -> int:
	"""The segment changed record type: its Rule members (of the old type) leave now."""
	m = frappe.qb.DocType(MEMBER)
	(
		frappe.qb.update(m)
		.set(m.left_on, now_datetime())
		.where((m.segment_key == segment_key(segment)) & m.left_on.isnull() & (m.source == "Rule"))
		.run()
	)
	return frappe.db._cursor.rowcount


def live_count(segment: str) -> int:
	"""The segment's live members, counted (an index range of 4-byte keys: ~0.2 s per million)."""
	return _live_count(segment_key(segment))


def _live_count(key: int) -> int:
	m = frappe.qb.DocType(MEMBER)
	rows = frappe.qb.from_(m).select(Count("*")).where((m.segment_key == key) & m.left_on.isnull()).run()
	return int(rows[0][0])


# API for the other marketing parts
# ---------------------------------


def active_members(segment: str, after: int = 0, limit: int = 1000) -> list[dict]:
	"""The live members with id > `after`, ordered by id, at most `limit`: keys id, member_doctype,
	member_name, email, full_name. Email and name are read from the record now (the member row keeps
	those of when it joined, used only when the record is gone)."""
	m = frappe.qb.DocType(MEMBER)
	rows = (
		frappe.qb.from_(m)
		.select(m.name.as_("id"), m.member_doctype, m.member_name, m.email, m.full_name)
		.where((m.segment_key == segment_key(segment)) & m.left_on.isnull() & (m.name > int(after or 0)))
		.orderby(m.name)
		.limit(int(limit))
		.run(as_dict=True)
	)
	_fresh_contact_details(rows)
	return rows


def _fresh_contact_details(rows: list[dict]) -> None:
	by_doctype: dict[str, list[dict]] = {}
	for row in rows:
		if row.member_doctype in MEMBER_COLUMNS:
			by_doctype.setdefault(row.member_doctype, []).append(row)
	for doctype, members in by_doctype.items():
		email, full_name = MEMBER_COLUMNS[doctype]
		t = frappe.qb.DocType(doctype)
		current = {
			r.name: r
			for r in frappe.qb.from_(t)
			.select(t.name, t[email].as_("email"), t[full_name].as_("full_name"))
			.where(t.name.isin([row.member_name for row in members]))
			.run(as_dict=True)
		}
		for row in members:
			if record := current.get(row.member_name):
				row.email, row.full_name = record.email, record.full_name


def add_member(segment: str, member_doctype: str, member_name: str, source: str = "Manual") -> bool:
	"""Make the record a live member of the segment (idempotent): True when added, False when it already
	was one. The rules never remove Manual or Trigger members."""
	if member_doctype not in MEMBER_COLUMNS:
		frappe.throw(
			_("A segment member must be a {0}, not {1}").format(", ".join(MEMBER_COLUMNS), member_doctype),
			InvalidSegmentRuleError,
		)
	if source not in SOURCES:
		frappe.throw(_("Unknown member source {0}").format(source), InvalidSegmentRuleError)
	key = segment_key(segment)
	if not key:
		frappe.throw(_("Segment {0} does not exist").format(segment), frappe.DoesNotExistError)
	email, full_name = MEMBER_COLUMNS[member_doctype]
	record = frappe.db.get_value(member_doctype, member_name, [email, full_name], as_dict=True)
	if not record:
		frappe.throw(
			_("{0} {1} does not exist").format(_(member_doctype), member_name), frappe.DoesNotExistError
		)
	if _is_live_member(key, member_doctype, member_name):
		return False
	now = now_datetime()
	m = frappe.qb.DocType(MEMBER)
	user = frappe.session.user
	(
		frappe.qb.into(m)
		.columns(*MEMBER_COLUMNS_WRITTEN)
		.insert(
			NEXT_ID,
			segment,
			key,
			member_doctype,
			member_name,
			record[email],
			record[full_name],
			now,
			source,
			now,
			now,
			user,
			user,
		)
		.ignore()  # the unique live-membership key: a concurrent add keeps one row
		.run()
	)
	added = frappe.db._cursor.rowcount == 1
	if added:  # one more, without counting a million rows per added member
		seg = frappe.qb.DocType(SEGMENT)
		frappe.qb.update(seg).set(seg.member_count, seg.member_count + 1).where(seg.name == segment).run()
	return added


def is_live_member(segment: str, member_doctype: str, member_name: str) -> bool:
	return _is_live_member(segment_key(segment), member_doctype, member_name)


def _is_live_member(key: int, member_doctype: str, member_name: str) -> bool:
	m = frappe.qb.DocType(MEMBER)
	return bool(
		frappe.qb.from_(m)
		.select(m.name)
		.where(
			# the unique live-stay key, in its column order
			(m.member_doctype == member_doctype)
			& (m.member_name == member_name)
			& (m.segment_key == key)
			& (m.is_live == 1)
		)
		.limit(1)
		.run()
	)


# Scheduler
# ---------


def refresh_auto_segments() -> None:
	"""Daily: queue the resolution of every segment marked Refresh Daily (one job each)."""
	for segment in frappe.get_all(SEGMENT, filters={"auto_refresh": 1}, pluck="name"):
		enqueue_resolve(segment)


DELETE_NOW = 10_000  # a deleted segment's stays up to this many go at once, more in a background job
DELETE_BATCH = 50_000


def forget_segment(segment: str, key: int | None = None) -> None:
	"""A deleted segment's stays go with it: at once when few, else in a long job (batches of DELETE_BATCH,
	each committed). A new segment of the same name, made meanwhile, has a key of its own."""
	key = key or segment_key(segment)
	if not key:  # no key, no stays (0 is no segment's)
		return
	m = frappe.qb.DocType(MEMBER)
	up_to = frappe.qb.from_(m).select(Max(m.name)).where(m.segment_key == key).run()[0][0]
	if not up_to:
		return
	if not _has_more_than(key, DELETE_NOW):
		frappe.qb.from_(m).delete().where(m.segment_key == key).run()
		return
	frappe.enqueue(
		"crm_app.cx_marketing.segments.delete_stays",
		queue="long",
		timeout=3600,
		job_id=jobs.job_id(f"segment-delete:{segment}:{up_to}"),
		deduplicate=True,
		enqueue_after_commit=True,
		segment=segment,
		up_to=up_to,
		segment_key=key,
	)


def _has_more_than(key: int, limit: int) -> bool:
	m = frappe.qb.DocType(MEMBER)
	return bool(frappe.qb.from_(m).select(m.name).where(m.segment_key == key).offset(limit).limit(1).run())


def delete_stays(
	segment: str,
	up_to: int,
	batch: int = DELETE_BATCH,
	commit: bool = True,
	segment_key: int | None = None,
) -> int:
	"""Delete a deleted segment's stays with ids up to `up_to`, a batch per transaction. By key; by name
	for a job queued before segments had keys."""
	m = frappe.qb.DocType(MEMBER)
	of_segment = (m.segment_key == segment_key) if segment_key else (m.segment == segment)
	deleted = 0
	while True:
		frappe.qb.from_(m).delete().where(of_segment & (m.name <= up_to)).limit(batch).run()
		count = frappe.db._cursor.rowcount
		if commit:
			frappe.db.commit()
		deleted += count
		if count < batch:
			return deleted


def forget_member(doc, method=None) -> None:
	"""on_trash of a lead, customer or contact: its stays in every segment go with it."""
	m = frappe.qb.DocType(MEMBER)
	frappe.qb.from_(m).delete().where((m.member_doctype == doc.doctype) & (m.member_name == doc.name)).run()
