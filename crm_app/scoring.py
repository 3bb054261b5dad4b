"""Shell around the scoring core: reads the settings and a lead's activity, writes scores back."""

from datetime import date

import frappe
from frappe import _
from frappe.query_builder.functions import Count
from frappe.utils import getdate, now_datetime

from crm_app import jobs
from crm_app.core import scoring
from crm_app.cx_insights.figures import reconcile
from crm_app.exceptions import ScoringCriterionError
from crm_app.utils import core_message

SETTINGS = "CX Scoring Settings"
NOT_SCORABLE = frozenset(
	{"Section Break", "Column Break", "Tab Break", "HTML", "Table", "Table MultiSelect", "Button", "Fold"}
)
# The job's checkpoint and MariaDB named lock (crm_app.jobs): the nightly and the on-demand rescore
# never run at once, on any worker or host, and a killed run is resumed.
RESCORE_KEY = "rescore_leads"
RESCORE_JOB = jobs.job_id(RESCORE_KEY)

_compiled: dict[str, tuple] = {}  # site -> (settings modified, criteria, hot, warm)


def lead_fields() -> dict[str, tuple[str, str]]:
	"""Scorable fields of CX Lead (custom fields included): fieldname -> (fieldtype, label)."""
	meta = frappe.get_meta("CX Lead")
	fields = {
		df.fieldname: (df.fieldtype, df.label or df.fieldname)
		for df in meta.fields
		if df.fieldtype not in NOT_SCORABLE and df.fieldname not in ("lead_score", "score_band")
	}
	fields["owner"] = ("Link", "Created By")
	return fields


SCORE_FIELDS = ("lead_score", "score_band", "scored_on")


def compile_rows(rows: list[dict]) -> list[scoring.Criterion]:
	"""Compile criterion rows, turning a rule error into a clear, translated message."""
	try:
		return scoring.compile_criteria(rows, lead_fields())
	except scoring.ScoringRuleError as exc:
		frappe.throw(core_message(exc), ScoringCriterionError)


def active_criteria() -> tuple[list[scoring.Criterion], int, int]:
	"""Compiled criteria and band thresholds, recompiled only when the settings change."""
	settings = frappe.get_cached_doc(SETTINGS)
	cached = _compiled.get(frappe.local.site)
	if cached and cached[0] == settings.modified:
		return cached[1:]
	rows = [row.as_dict() for row in settings.criteria]
	entry = (settings.modified, compile_rows(rows), settings.hot_threshold or 0, settings.warm_threshold or 0)
	_compiled[frappe.local.site] = entry
	return entry[1:]


def days_since(moment, today: date | None = None) -> int | None:
	return ((today or getdate()) - getdate(moment)).days if moment else None


def score_lead(doc) -> scoring.ScoreResult:
	"""The lead's score with its breakdown, labelled in the language of whoever reads it."""
	criteria, _hot, _warm = active_criteria()
	if not criteria:
		return scoring.ScoreResult(0, ())
	unsaved = doc.is_new() or not doc.name
	counts = {} if unsaved else activity_counts(doc.name, scoring.activity_windows(criteria))
	contact = doc.last_contacted_on or doc.creation or now_datetime()
	return scoring.score(criteria, doc.as_dict(), counts, days_since(contact), translate=_)


def apply_score(doc) -> None:
	"""Set the score, its band and when it was computed (a bulk rescore never overwrites a newer one)."""
	criteria, hot, warm = active_criteria()
	result = score_lead(doc) if criteria else scoring.ScoreResult(0, ())
	doc.lead_score = result.total
	doc.score_band = scoring.band(result.total, hot, warm) if criteria else None
	doc.scored_on = now_datetime()


def breakdown(doc) -> list[dict]:
	return [{"points": points, "label": label} for points, label in score_lead(doc).lines]


def rescore_lead(name: str) -> None:
	"""Recompute one saved lead's score after its activity changed, without touching `modified`."""
	doc = frappe.get_doc("CX Lead", name)
	apply_score(doc)
	# `scored_on` moves even when the score does not: a bulk rescore that read this lead earlier, with
	# fewer activities counted, must not write over it.
	doc.db_set({field: doc.get(field) for field in SCORE_FIELDS}, update_modified=False)


# -- activity counts -----------------------------------------------------------------------------


def activity_counts(lead: str | None, windows: set[tuple[str, int]]) -> dict:
	"""{(activity, days): count} for one lead, or {(activity, days): {lead: count}} for all (lead=None)."""
	if lead:
		return lead_activity_counts(lead, windows)
	return {(activity, days): dict(ACTIVITY_QUERIES[activity](days).run()) for activity, days in windows}


def lead_activity_counts(lead: str, windows: set[tuple[str, int]]) -> dict:
	"""Every window's count for one lead in a single round trip (one scalar subquery per window)."""
	if not windows:
		return {}
	ordered = sorted(windows)
	counts = [ACTIVITY_QUERIES[activity](days, lead) for activity, days in ordered]
	row = frappe.qb.select(*counts).run()[0]
	return dict(zip(ordered, row, strict=True))


def _since(days: int):
	return frappe.utils.add_days(now_datetime(), -days) if days else None


def _email_query(days: int, lead: str | None = None):
	comm = frappe.qb.DocType("Communication")
	query = frappe.qb.from_(comm).where(
		(comm.reference_doctype == "CX Lead") & (comm.communication_medium == "Email")
	)
	if lead:
		query = query.select(Count("*")).where(comm.reference_name == lead)
	if days:
		query = query.where(comm.communication_date >= _since(days))
	return query if lead else query.select(comm.reference_name, Count("*")).groupby(comm.reference_name)


def _call_query(days: int, lead: str | None = None):
	call = frappe.qb.DocType("CX Call Log")
	query = frappe.qb.from_(call).where(call.reference_doctype == "CX Lead")
	if lead:
		query = query.select(Count("*")).where(call.reference_name == lead)
	if days:
		query = query.where(call.call_start >= _since(days))
	return query if lead else query.select(call.reference_name, Count("*")).groupby(call.reference_name)


def _meeting_query(days: int, lead: str | None = None):
	event, participant = frappe.qb.DocType("Event"), frappe.qb.DocType("Event Participants")
	query = (
		frappe.qb.from_(participant)
		.join(event)
		.on(event.name == participant.parent)
		.where((participant.reference_doctype == "CX Lead") & (event.status != "Cancelled"))
		.where(event.starts_on <= now_datetime())
	)
	if lead:
		query = query.select(Count("*")).where(participant.reference_docname == lead)
	if days:
		query = query.where(event.starts_on >= _since(days))
	return (
		query
		if lead
		else query.select(participant.reference_docname, Count("*")).groupby(participant.reference_docname)
	)


ACTIVITY_QUERIES = {"Email": _email_query, "Call": _call_query, "Meeting": _meeting_query}


# -- bulk rescoring ------------------------------------------------------------------------------


def enqueue_rescore() -> None:
	frappe.enqueue(
		"crm_app.scoring.rescore_all_leads",
		queue="long",
		timeout=3600,
		job_id=RESCORE_JOB,
		deduplicate=True,
		enqueue_after_commit=True,
	)


def nightly_rescore() -> None:
	"""Scheduled daily: the same queue slot as a rescore a manager asked for, so the two never overlap."""
	enqueue_rescore()


def rules_version():
	"""When the rules last changed, read from the database (not a cache another process may not see)."""
	singles = frappe.qb.DocType("Singles")
	found = (
		frappe.qb.from_(singles)
		.select(singles.value)
		.where((singles.doctype == SETTINGS) & (singles.field == "modified"))
		.run()
	)
	return found[0][0] if found else None


def rescore_all_leads(batch_size: int = 20000, commit: bool = True) -> int | None:
	"""Rescore every lead in keyset batches, writing only changed scores (one UPDATE ... JOIN per batch).

	Holds a MariaDB named lock for the whole run: a second run (nightly beside on-demand, or a second
	worker) returns None at once. Rules changed while it runs restart it from the first lead, so the last
	saved rules are the ones applied. A run killed midway is resumed after its last committed batch
	(crm_app.jobs), if the rules and the day are still those it ran under. Returns the number of leads
	whose score or band was written.
	"""
	prepare_score_table()
	return jobs.run_resumable(
		RESCORE_KEY,
		"crm_app.scoring.rescore_all_leads",
		{},  # the batch size is tuning, not identity: a resumed run takes the default
		lambda run: rescore_run(run, batch_size, commit),
		commit=commit,
	)


def rescore_run(run: "jobs.Run", batch_size: int, commit: bool) -> int:
	changed = 0
	start_after = run.cursor if run.basis == rescore_basis() else ""
	while True:
		done, written, finished = rescore_pass(batch_size, commit, start_after, run)
		changed += written
		start_after = ""
		if finished:
			break
	frappe.db.set_single_value(
		SETTINGS, {"last_rescored_on": now_datetime(), "last_rescore_count": done}, update_modified=False
	)
	if commit:
		frappe.db.commit()
	reconcile(["CX Lead"], commit=commit)  # the bands were written in SQL, past the documents
	return changed


def rescore_basis() -> str:
	"""What a pass's scores depend on besides the leads: the rules, and the day (recency criteria)."""
	return f"{getdate()}|{rules_version()}"


def rescore_pass(
	batch_size: int, commit: bool, start_after: str = "", run: "jobs.Run | None" = None
) -> tuple[int, int, bool]:
	"""One pass over every lead (after `start_after`) with the rules as they are now; (leads read, scores
	written, finished). Not finished when the rules changed during the pass."""
	version = rules_version()
	basis = rescore_basis()
	frappe.clear_document_cache(SETTINGS, SETTINGS)
	criteria, hot, warm = active_criteria()
	counts = activity_counts(None, scoring.activity_windows(criteria))
	rules = [row.as_dict() for row in frappe.get_cached_doc(SETTINGS).criteria]
	fields = sorted(scoring.fields_used(rules) - {"name", *SCORE_FIELDS, "last_contacted_on", "creation"})
	total_leads = frappe.db.count("CX Lead") or 1
	lead = frappe.qb.DocType("CX Lead")
	columns = ["name", "lead_score", "score_band", "last_contacted_on", "creation", "scored_on", *fields]
	today, last_name, written = getdate(), start_after, 0
	done = frappe.db.count("CX Lead", {"name": ("<=", start_after)}) if start_after else 0
	while True:
		rows = (
			frappe.qb.from_(lead)
			.select(*[lead[c] for c in columns])
			.where(lead.name > last_name)
			.orderby(lead.name)
			.limit(batch_size)
			.run()
		)
		if not rows:
			return done, written, rules_version() == version
		scored_on = {row[0]: row[5] for row in rows}
		updates = (
			scoring.rescore_rows(columns, rows, criteria, counts, hot, warm, today)
			if criteria
			else _clear(rows)
		)
		written += write_scores(updates, scored_on)
		done += len(rows)
		last_name = rows[-1][0]
		if run:  # the cursor commits with its batch
			run.save(last_name, basis)
		if commit:  # each batch lands on its own; a million leads never sit in one transaction
			frappe.db.commit()
		if rules_version() != version:
			return done, written, False
		frappe.publish_progress(
			min(done * 100 / total_leads, 100),
			title=_("Rescoring leads"),
			doctype=SETTINGS,
			docname=SETTINGS,
			description=_("{0} of {1} leads rescored").format(done, total_leads),
		)


def lock_name() -> str:
	return jobs.lock_name(RESCORE_KEY)


def _clear(rows) -> dict[tuple[int, str | None], list[str]]:
	return {(0, None): [row[0] for row in rows if row[1] or row[2]]}


# Rows written per UPDATE ... JOIN; the scratch table holds this many rows at most.
WRITE_CHUNK = 20_000
# A MEMORY row of the scratch table takes about 610 bytes (fixed-width varchar(140) in utf8mb4): room
# for twice that, so a chunk can never fill the table ("The table is full").
SCRATCH_BYTES = WRITE_CHUNK * 1_250


def prepare_score_table() -> None:
	"""Create the session's scratch table for write_scores. Frappe refuses DDL once a transaction has
	written (it could commit implicitly), so this runs before the first write of the job.

	MEMORY, sized for a chunk: an InnoDB temporary table shares the buffer pool with the lead table the
	job is rewriting, which made a million-lead rescore 60 % slower (160 s against 98 s)."""
	if getattr(frappe.local, "cx_score_table_ready", False):
		return
	frappe.db.sql("set session max_heap_table_size = greatest(@@max_heap_table_size, %s)", SCRATCH_BYTES)
	frappe.db.sql(
		"""create temporary table if not exists `cx_lead_score_update` (
			name varchar(140) primary key, lead_score int, score_band varchar(8), scored_on datetime(6)
		) engine=memory"""
	)
	frappe.local.cx_score_table_ready = True


def write_scores(updates: dict[tuple[int, str | None], list[str]], scored_on: dict[str, object]) -> int:
	"""Write new scores through a session temporary table and one UPDATE ... JOIN per chunk: about
	twice as fast as one `UPDATE ... WHERE name IN (...)` per score value. A lead scored again since its
	batch was read (saved, or an activity logged) keeps that newer score."""
	rows = [
		(name, value, band_name, scored_on.get(name))
		for (value, band_name), names in updates.items()
		for name in names
	]
	written = 0
	for start in range(0, len(rows), WRITE_CHUNK):
		written += write_chunk(rows[start : start + WRITE_CHUNK])
	return written


def write_chunk(rows: list[tuple]) -> int:
	frappe.db.sql("delete from `cx_lead_score_update`")
	for start in range(0, len(rows), 5000):
		part = rows[start : start + 5000]
		placeholders = ", ".join(["(%s, %s, %s, %s)"] * len(part))  # values stay parameters
		frappe.db.sql(
			"insert into `cx_lead_score_update` values " + placeholders,
			[value for row in part for value in row],
		)
	frappe.db.sql(
		"""update `tabCX Lead` lead join `cx_lead_score_update` new on new.name = lead.name
		set lead.lead_score = new.lead_score, lead.score_band = new.score_band, lead.scored_on = %s
		where lead.scored_on <=> new.scored_on""",
		now_datetime(),
	)
	return frappe.db._cursor.rowcount if frappe.db._cursor else len(rows)
