"""Customer value: RFM segments, expected purchases and value, probability of being active (issue 13, 1-2).

Every night (and when a manager asks: `refresh`) one long job, never two at once (job id and a named
lock):

1. reads the purchase rows of the last `value_history_days` in keyset batches: ERPNext's submitted
   Sales Invoices, returns included (crm_app/integrations/erpnext/insights.py) when ERPNext is connected,
   else the won CX Opportunities (customer, closed_on, base_amount);
2. runs the core: RFM scores and segments (crm_app/core/insights/rfm.py), then BG/NBD + Gamma-Gamma
   (crm_app/core/insights/clv.py) over `value_horizon_days`;
3. writes the CX Customer "Insights" fields set-based: the figures go into a session MEMORY table and
   one UPDATE ... JOIN per chunk writes them (no document saves, `modified` untouched). A customer whose
   segment changed, or who gets one for the first time, gets a CX RFM Snapshot row first (so the rows of
   a customer are their movement between segments) and `rfm_segment_since` today. Customers scored
   before but without a purchase in the history now are cleared;
4. notes the run in CX Insights Settings (last run, customers scored, the fit's figures or why there is
   not enough history, rows skipped by the rules).

CX Segment rules and CX Triggers read the fields like any other CX Customer field
(crm_app/cx_marketing/segments.py FIELDS_BY_TARGET).
"""

from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, cint, getdate, now_datetime

from crm_app import jobs
from crm_app.integrations.erpnext.common import integration_enabled

SETTINGS = "CX Insights Settings"
CUSTOMER = "CX Customer"
SNAPSHOT = "CX RFM Snapshot"
JOB_KEY = "insights:customer-value"
METHOD = "crm_app.cx_insights.value.refresh_customer_value"
DEFAULT_HISTORY_DAYS, DEFAULT_HORIZON_DAYS = 1095, 365
READ_BATCH = 50_000
WRITE_CHUNK = 20_000
# A MEMORY row of the scratch table takes about 800 bytes (fixed-width varchars in utf8mb4): room for
# twice a chunk, so a chunk never fills it ("The table is full").
SCRATCH_BYTES = WRITE_CHUNK * 1_600
SCRATCH = "cx_customer_value_update"  # a fixed identifier, never a value
SCRATCH_COLUMNS = (
	"name",
	"recency_days",
	"frequency",
	"monetary",
	"rfm_score",
	"segment",
	"recency_score",
	"frequency_score",
	"monetary_score",
	"predicted_purchases",
	"predicted_value",
	"probability_alive",
	"model_status",
)


# -- entry points ------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def refresh() -> dict:
	"""Queue a refresh of every customer's value figures now (those who may change the insights settings,
	as for the forecast and the conversion model)."""
	frappe.has_permission(SETTINGS, "write", throw=True)
	enqueue_refresh()
	return {"queued": True, "job_id": jobs.job_id(JOB_KEY)}


def nightly_refresh() -> None:
	"""Scheduled `daily_long`: the same queue slot as a manager's refresh, so the two never overlap."""
	enqueue_refresh()


def enqueue_refresh() -> None:
	frappe.enqueue(
		METHOD,
		queue="long",
		timeout=3600,
		job_id=jobs.job_id(JOB_KEY),
		deduplicate=True,
		enqueue_after_commit=True,
	)


def refresh_customer_value(commit: bool = True, today: date | None = None) -> dict | None:
	"""Score every customer and write the figures back; None when another run holds the lock."""
	prepare_scratch_table()  # DDL before the job's first write
	if not jobs.acquire_lock(JOB_KEY):
		return None
	try:
		return _refresh(getdate(today), commit)
	finally:
		jobs.release_lock(JOB_KEY)


# -- the run -----------------------------------------------------------------------------------------


def _refresh(today: date, commit: bool) -> dict:
	from crm_app.core.insights import clv, rfm  # numpy and scipy: loaded by the job only

	history_days, horizon_days = value_settings()
	started = now_datetime()
	progress(5, _("Reading purchases"))
	tx = rfm.transactions_from_rows(purchase_rows(add_days(today, -history_days)))
	progress(30, _("Scoring {0} customers").format(len(tx.customers)))
	summary = rfm.summarize(tx, today)
	scores = rfm.score(summary)
	value = clv.value_model(summary, horizon_days)
	progress(50, _("Writing the figures of {0} customers").format(len(summary)))
	written, moved = write_figures(summary, scores, value, today, started, commit)
	cleared = clear_unscored(started)
	note = run_note(summary, scores, value)
	frappe.db.set_single_value(
		SETTINGS,
		{"value_last_run": started, "value_customers_scored": len(summary), "value_model_note": note},
		update_modified=False,
	)
	if commit:
		frappe.db.commit()
	progress(100, _("{0} customers scored").format(len(summary)))
	return {
		"customers": len(summary),
		"written": written,
		"segment_changes": moved,
		"cleared": cleared,
		"model_status": value.status,
		"note": note,
	}


def value_settings() -> tuple[int, int]:
	settings = frappe.get_cached_doc(SETTINGS)
	# 0 or empty means "not set": a history or a horizon of no days has nothing to say
	history = cint(settings.get("value_history_days")) or DEFAULT_HISTORY_DAYS
	horizon = cint(settings.get("value_horizon_days")) or DEFAULT_HORIZON_DAYS
	return history, horizon


def purchase_rows(since: date):
	"""(CX Customer, date, amount in the reporting currency) rows from `since` on."""
	if integration_enabled():
		from crm_app.integrations.erpnext.insights import purchase_rows as erpnext_rows

		yield from erpnext_rows(since)
		return
	deal = frappe.qb.DocType("CX Opportunity")
	last = ""
	while True:
		rows = (
			frappe.qb.from_(deal)
			.select(deal.name, deal.customer, deal.closed_on, deal.base_amount)
			.where(
				(deal.status == "Won")
				& deal.customer.isnotnull()
				& (deal.customer != "")
				& deal.closed_on.isnotnull()
				& (deal.closed_on >= since)
				& (deal.name > last)
			)
			.orderby(deal.name)
			.limit(READ_BATCH)
			.run()
		)
		if not rows:
			return
		for _name, customer, closed_on, amount in rows:
			yield customer, closed_on, amount
		last = rows[-1][0]


def run_note(summary, scores, value) -> str:
	parts = [_("Model: {0}. {1}").format(_(value.status), value.note)]
	if scores.note:
		parts.append(scores.note)
	skipped = summary.skipped
	if skipped.total:
		parts.append(
			_("Skipped: {0} row(s) dated after today, {1} with a zero amount, {2} with no amount.").format(
				skipped.future, skipped.zero, skipped.invalid
			)
		)
	if summary.refunded_customers:
		parts.append(
			_("{0} customer(s) were refunded more than they bought: purchase value 0.").format(
				summary.refunded_customers
			)
		)
	if summary.credit_only_customers:
		parts.append(
			_("{0} customer(s) have credit notes but no purchase in the history: not scored.").format(
				summary.credit_only_customers
			)
		)
	return "\n".join(parts)


def progress(percent: float, description: str) -> None:
	frappe.publish_progress(
		percent, title=_("Customer value"), doctype=SETTINGS, docname=SETTINGS, description=description
	)


# -- writing -----------------------------------------------------------------------------------------


def prepare_scratch_table() -> None:
	"""The session's scratch table for `write_figures`. Frappe refuses DDL once a transaction has written
	(it could commit implicitly), so this runs before the job's first write. MEMORY, like the lead
	rescore's (crm_app/scoring.py): it stays out of the buffer pool the customer table is rewritten in."""
	if getattr(frappe.local, "cx_value_table_ready", False):
		return
	frappe.db.sql("set session max_heap_table_size = greatest(@@max_heap_table_size, %s)", SCRATCH_BYTES)
	frappe.db.sql(
		f"""create temporary table if not exists `{SCRATCH}` (
			name varchar(140) primary key, recency_days int, frequency int, monetary decimal(21, 9),
			rfm_score varchar(3), segment varchar(24), recency_score tinyint, frequency_score tinyint,
			monetary_score tinyint, predicted_purchases double, predicted_value decimal(21, 9),
			probability_alive decimal(21, 9), model_status varchar(24), segment_since date
		) engine=memory"""
	)
	frappe.local.cx_value_table_ready = True


def figure_rows(summary, scores, value) -> list[tuple]:
	"""One tuple per customer of `summary`, in SCRATCH_COLUMNS order."""
	n = len(summary)
	names = summary.customers.tolist()
	recency = summary.recency_days.tolist()
	frequency = summary.purchases.tolist()
	monetary = [round(amount, 9) for amount in summary.monetary.tolist()]
	if scores.scored:
		score_text = scores.score_text()
		segment = scores.segment.tolist()
		r, f, m = scores.recency.tolist(), scores.frequency.tolist(), scores.monetary.tolist()
	else:
		score_text = segment = r = f = m = [None] * n
	if value.status == "Scored":
		purchases = [round(x, 6) for x in value.predicted_purchases.tolist()]
		worth = [round(x, 9) for x in value.predicted_value.tolist()]
		alive = [round(100 * x, 6) for x in value.probability_alive.tolist()]
	else:
		purchases = worth = alive = [None] * n
	return list(
		zip(
			names,
			recency,
			frequency,
			monetary,
			score_text,
			segment,
			r,
			f,
			m,
			purchases,
			worth,
			alive,
			[value.status] * n,
			strict=True,
		)
	)


def write_figures(summary, scores, value, today: date, started, commit: bool) -> tuple[int, int]:
	"""Write every customer's figures; (customers written, segment changes recorded)."""
	rows = figure_rows(summary, scores, value)
	written = moved = 0
	for start in range(0, len(rows), WRITE_CHUNK):
		chunk_written, chunk_moved = write_chunk(rows[start : start + WRITE_CHUNK], today, started)
		written += chunk_written
		moved += chunk_moved
		if commit:  # each chunk lands on its own; a million customers never sit in one transaction
			frappe.db.commit()
		progress(50 + 45 * min(start + WRITE_CHUNK, len(rows)) / max(len(rows), 1), _("Writing the figures"))
	return written, moved


def write_chunk(rows: list[tuple], today: date, started) -> tuple[int, int]:
	frappe.db.sql(f"delete from `{SCRATCH}`")
	columns = ", ".join(f"`{column}`" for column in SCRATCH_COLUMNS)  # fixed identifiers
	for start in range(0, len(rows), 2_000):
		part = rows[start : start + 2_000]
		placeholders = ", ".join(["(" + ", ".join(["%s"] * len(SCRATCH_COLUMNS)) + ")"] * len(part))
		frappe.db.sql(
			f"insert into `{SCRATCH}` ({columns}) values {placeholders}",  # values stay parameters
			[value for row in part for value in row],
		)
	# The segment a customer had, before it is overwritten: a change (or a first segment) since today,
	# and a snapshot row. Done in the scratch table first: a multi-table UPDATE does not promise the
	# order of its assignments, so `rfm_segment_since` cannot read `rfm_segment` in the same statement.
	frappe.db.sql(
		f"""update `{SCRATCH}` new join `tabCX Customer` customer on customer.name = new.name
		set new.segment_since = if(ifnull(customer.rfm_segment, '') = ifnull(new.segment, ''),
			customer.rfm_segment_since, %(today)s)""",
		{"today": today},
	)
	sequence = frappe.scrub(SNAPSHOT) + "_id_seq"  # Frappe's sequence of an autoincrement doctype
	frappe.db.sql(
		f"""insert into `tabCX RFM Snapshot` (name, creation, modified, owner, modified_by, docstatus, idx,
			customer, scored_on, segment, previous_segment, rfm_score, recency_score, frequency_score,
			monetary_score)
		select nextval(`{sequence}`), %(now)s, %(now)s, 'Administrator', 'Administrator', 0, 0,
			new.name, %(today)s, new.segment, nullif(customer.rfm_segment, ''), new.rfm_score,
			new.recency_score, new.frequency_score, new.monetary_score
		from `{SCRATCH}` new join `tabCX Customer` customer on customer.name = new.name
		where new.segment is not null and ifnull(customer.rfm_segment, '') != new.segment
		order by new.name""",
		{"now": started, "today": today},
	)
	moved = frappe.db._cursor.rowcount if frappe.db._cursor else 0
	frappe.db.sql(
		f"""update `tabCX Customer` customer join `{SCRATCH}` new on new.name = customer.name
		set customer.rfm_recency_days = new.recency_days, customer.rfm_frequency = new.frequency,
			customer.rfm_monetary = new.monetary, customer.rfm_score = new.rfm_score,
			customer.rfm_segment = new.segment, customer.rfm_segment_since = new.segment_since,
			customer.rfm_scored_on = %(now)s,
			customer.predicted_purchases = ifnull(new.predicted_purchases, 0),
			customer.predicted_value = ifnull(new.predicted_value, 0),
			customer.probability_alive = ifnull(new.probability_alive, 0),
			customer.value_model_status = new.model_status""",
		{"now": started},
	)
	written = frappe.db._cursor.rowcount if frappe.db._cursor else len(rows)
	return written, moved


def clear_unscored(started) -> int:
	"""Customers scored by an earlier run but without a purchase in the history now: figures cleared."""
	customer = frappe.qb.DocType(CUSTOMER)
	cleared = (
		frappe.qb.update(customer)
		# Frappe's number columns are NOT NULL: 0 there, with no segment or model status beside them
		.set(customer.rfm_recency_days, 0)
		.set(customer.rfm_frequency, 0)
		.set(customer.rfm_monetary, 0)
		.set(customer.rfm_score, None)
		.set(customer.rfm_segment, None)
		.set(customer.rfm_segment_since, None)
		.set(customer.rfm_scored_on, None)
		.set(customer.predicted_purchases, 0)
		.set(customer.predicted_value, 0)
		.set(customer.probability_alive, 0)
		.set(customer.value_model_status, None)
		.where(customer.rfm_scored_on.isnotnull() & (customer.rfm_scored_on < started))
	)
	cleared.run()
	return frappe.db._cursor.rowcount if frappe.db._cursor else 0


# -- a deleted customer ------------------------------------------------------------------------------


def forget_snapshots(doc, method=None) -> None:
	"""CX Customer `on_trash`: a customer's segment history goes with them (and never blocks a delete)."""
	snapshot = frappe.qb.DocType(SNAPSHOT)
	frappe.qb.from_(snapshot).delete().where(snapshot.customer == doc.name).run()


# Three segment names are also statuses of a lead, a deal or a service level ("Lost", "New", "At Risk"),
# which read differently in Russian, Ukrainian and Polish: here they carry the customer's context, the one
# the desk's Select control asks for first on the customer form.
CONTEXT_LABELS = {
	"New": lambda: _("New", context="CX Customer"),
	"At Risk": lambda: _("At Risk", context="CX Customer"),
	"Lost": lambda: _("Lost", context="CX Customer"),
}


def segment_label(segment: str) -> str:
	"""A value segment's name in the user's language."""
	label = CONTEXT_LABELS.get(segment)
	return label() if label else _(segment)
