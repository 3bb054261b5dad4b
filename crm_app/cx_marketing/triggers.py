"""Triggers that act: "when <condition on a record> then <notify, task, email, segment, coupon, price>".

A run evaluates one trigger set-based, in two phases, under the job's named lock and checkpoint
(`crm_app.jobs.run_resumable`: never two runs of a trigger at once, a killed run resumed):

1. fire: one INSERT ... SELECT per range of record names puts a `Pending` `CX Trigger Log` row for each
   record that matches the condition and has no row yet for this trigger and condition (the unique index
   on trigger, record and condition hash refuses a second one whatever happens);
2. act: the pending rows, and the failed ones tried fewer than `core.MAX_ATTEMPTS` times, are read in
   batches and each action runs for the rows it has not run for (`actions_done`: an action that succeeded
   never runs twice for a record), then each row becomes `Done`, or `Failed` with the errors of its failed
   actions, and counts one more attempt. An action that fails for one record does not stop the others,
   nor the other actions of that record. "Retry failed" puts every failed row back to pending.

A condition is the record type's filters and, for customers with ERPNext, a cart left for some hours (a
draft Shopping Cart Quotation of their ERPNext twin not changed since): crm_app/integrations/erpnext/.

The actions run on the trigger's authority (whoever may edit a trigger makes it act on every record of its
type), but a notification or task names a record only to a user who may read it.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import replace

import frappe
from frappe import _
from frappe.query_builder import Criterion
from frappe.query_builder.functions import Coalesce, Count
from frappe.query_builder.terms import ValueWrapper
from frappe.utils import add_days, cint, escape_html, now_datetime, nowdate
from jinja2.sandbox import SandboxedEnvironment
from pypika.terms import ExistsCriterion, PseudoColumn

from crm_app import jobs
from crm_app.core.marketing import triggers as core
from crm_app.core.marketing.triggers import Fired
from crm_app.cx_marketing import optout
from crm_app.exceptions import TriggerActionError, TriggerNeedsERPNextError
from crm_app.languages import group, read_directory, speaking
from crm_app.utils import core_message, erpnext_installed

TRIGGER, LOG = "CX Trigger", "CX Trigger Log"
RUN_METHOD = "crm_app.cx_marketing.triggers.run_trigger"
SCAN_RANGE = 50_000  # record names per INSERT ... SELECT
ACT_BATCH = 2_000  # pending log rows read and acted on per batch (one commit each)
# Log columns filled by the INSERT ... SELECT, in the order selected (a fixed list: no value in the SQL).
LOG_COLUMNS = (
	"reference_name",
	"cx_trigger",
	"reference_doctype",
	"condition_hash",
	"status",
	"fired_on",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"docstatus",
	"idx",
	"name",
)
# The log is named `autoincrement`: Frappe keeps the counter in this MariaDB sequence.
LOG_SEQUENCE = PseudoColumn("nextval(`cx_trigger_log_id_seq`)")


# -- validation (the controller calls these) --------------------------------------------------------


def validate_condition(record_type: str, filters_json, cart_left_hours=0) -> str:
	"""The condition's hash; InvalidSegmentRuleError for a field the record type lacks or a value of the
	wrong type (crm_app.cx_marketing.rules), TriggerActionError for a cart condition that cannot apply."""
	rules = condition_rules(record_type, filters_json)
	hours = cart_hours(record_type, cart_left_hours)
	return core.condition_hash(core.firing_rules(rules, record_type, hours))


def cart_hours(record_type: str, cart_left_hours) -> int:
	"""The cart-left hours of a condition (0: none), checked."""
	try:
		return core.check_cart_condition(record_type, cart_left_hours, erpnext_installed())
	except core.ConditionSetupError as error:
		messages = {
			"cart_hours": _("Cart left for hours: a whole number from 0 to {0}.").format(core.MAX_CART_HOURS),
			"needs_erpnext": _("A left cart is an ERPNext Quotation: ERPNext is not installed on this site."),
			"customers_only": _("Only customers have carts: choose Customer records for a left cart."),
		}
		error_class = TriggerNeedsERPNextError if error.code == "needs_erpnext" else TriggerActionError
		frappe.throw(messages[error.code], error_class)


def condition_rules(record_type: str, filters_json) -> list:
	from crm_app.cx_marketing import rules

	check_record_type(record_type)
	return rules.validate_rules(record_type, filters_json)


def check_record_type(record_type: str) -> None:
	if record_type not in core.RECORD_TYPES:
		frappe.throw(
			_("A trigger acts on customers, leads, opportunities or issues, not {0}.").format(
				escape_html(str(record_type))
			),
			TriggerActionError,
		)


def validate_actions(record_type: str, actions: Iterable, before: Iterable = ()) -> None:
	"""Each action can run; `before`: the actions as last saved, for the same records (whose ERPNext
	discounts were allowed: an unchanged one is not asked for again)."""
	actions = list(actions)
	if not actions:
		frappe.throw(_("Add at least one action."), TriggerActionError)
	allowed = {gift(row) for row in before}
	for row in actions:
		try:
			core.check_action(action_setup(row), record_type, erpnext_installed())
		except core.ActionSetupError as error:
			throw_action_error(row, record_type, error.code)
		if row.action_type in core.ERPNEXT_ACTIONS and gift(row) not in allowed:
			check_may_give(row)
		if row.action_type == core.TASK and row.task_description:
			check_template(row)
		if row.action_type == core.SEGMENT:
			check_segment(row, record_type)
		if row.action_type == core.COUPON:
			from crm_app.integrations.erpnext.triggers import check_pricing_rule

			check_pricing_rule(row.pricing_rule)
		if row.action_type == core.PRICING:
			from crm_app.integrations.erpnext.triggers import check_template_rule

			check_template_rule(row.pricing_rule)


def gift(row) -> tuple:
	"""What an ERPNext action gives: which discount, for how long."""
	return (row.action_type, row.get("pricing_rule"), cint(row.get("coupon_valid_days")))


def check_may_give(row) -> None:
	"""A trigger gives coupons or prices on its author's word: only one who may make them sets it up."""
	doctype = "Coupon Code" if row.action_type == core.COUPON else "Pricing Rule"
	if not frappe.has_permission(doctype, "create"):
		frappe.throw(
			_("Row {0}: you may not create a {1}, so a trigger of yours may not either.").format(
				row.idx, _(doctype)
			),
			frappe.PermissionError,
		)


def action_setup(row) -> core.ActionSetup:
	return core.ActionSetup(
		action_type=row.action_type,
		notify_user=row.get("notify_user"),
		notify_role=row.get("notify_role"),
		notify_record_owner=bool(cint(row.get("notify_record_owner"))),
		assign_to=row.get("assign_to"),
		task_user=row.get("task_user"),
		email_template=row.get("email_template"),
		segment=row.get("segment"),
		pricing_rule=row.get("pricing_rule"),
	)


def throw_action_error(row, record_type: str, code: str) -> None:
	label = _(record_type)
	action = _(row.action_type or "")
	messages = {
		"unknown_action": _("Row {0}: choose an action."),
		"no_recipient": _("Row {0}: a notification needs a user, a role or the record's owner."),
		"no_assignee": _("Row {0}: a task needs an assignee: the record's owner, or a user you choose."),
		"no_template": _("Row {0}: choose the Email Template to send."),
		"no_email_field": _("Row {0}: {1} has no email address to send a template to."),
		"no_segment": _("Row {0}: choose the segment to add the records to."),
		"no_member": _("Row {0}: {1} cannot join a segment."),
		"needs_erpnext": _("Row {0}: {2} needs ERPNext, which is not installed on this site."),
		"no_pricing_rule": _("Row {0}: choose the ERPNext Pricing Rule for {2}."),
		"no_customer": _("Row {0}: {1} has no customer to give a price to."),
	}
	error = TriggerNeedsERPNextError if code == "needs_erpnext" else TriggerActionError
	frappe.throw(messages[code].format(row.idx, label, action), error)


def check_segment(row, record_type: str) -> None:
	"""The segment holds records of the kind this trigger adds: the record, or a deal's or ticket's customer."""
	member_type = "CX Customer" if record_type in core.CUSTOMER_FIELD else record_type
	segment_of = frappe.db.get_value("CX Segment", row.segment, "segment_of")
	if segment_of != member_type:
		frappe.throw(
			_("Row {0}: segment {1} holds {2}, but this trigger adds {3}.").format(
				row.idx, escape_html(row.segment), _(segment_of or ""), _(member_type)
			),
			TriggerActionError,
		)


def check_template(row) -> None:
	from jinja2 import TemplateSyntaxError

	try:
		frappe.get_jenv().from_string(row.task_description)
	except TemplateSyntaxError as error:
		frappe.throw(
			_("Row {0}: the task description is not a valid template: {1}").format(
				row.idx, escape_html(str(error))
			),
			TriggerActionError,
		)


# -- whitelisted -------------------------------------------------------------------------------------


@frappe.whitelist()
def count_matching_now(trigger_on: str, filters_json: str | None = None, cart_left_hours: int = 0) -> int:
	"""How many records meet the condition now, of those the user may read (the form's live count)."""
	frappe.has_permission(TRIGGER, "read", throw=True)
	from crm_app.cx_marketing import rules

	check_record_type(trigger_on)
	hours = cart_hours(trigger_on, cart_left_hours)
	checked = rules.validate_rules(trigger_on, filters_json)
	if hours:
		from crm_app.integrations.erpnext.triggers import left_cart_customers

		carts = left_cart_customers(hours)
		if not carts:
			return 0
		checked.append([trigger_on, "erpnext_customer", "in", carts])
	return rules.count_matching(trigger_on, checked)


@frappe.whitelist(methods=["POST"])
def run_now(trigger: str) -> dict:
	"""The form's Run Now button: evaluate the trigger in the background."""
	frappe.has_permission(TRIGGER, "write", trigger, throw=True)
	return enqueue_run(frappe.get_doc(TRIGGER, trigger), by_user=True)


@frappe.whitelist(methods=["POST"])
def retry_failed(trigger: str) -> dict:
	"""The form's Retry Failed button: every failed row of the trigger is pending again (however often it
	was tried; its actions that succeeded stay done) and a run is queued."""
	frappe.has_permission(TRIGGER, "write", trigger, throw=True)
	doc = frappe.get_doc(TRIGGER, trigger)
	if not doc.enabled:
		frappe.throw(_("Enable the trigger before running it."), TriggerActionError)
	log = frappe.qb.DocType(LOG)
	frappe.qb.update(log).set(log.status, "Pending").where(
		(log.cx_trigger == doc.name) & (log.status == "Failed")
	).run()
	retrying = int(frappe.db.sql("select row_count()")[0][0] or 0)
	enqueue_run(doc)
	frappe.msgprint(
		_("Failed records tried again in the background: {0}").format(retrying),
		alert=True,
		indicator="blue",
	)
	return {"queued": True, "retrying": retrying}


# -- scheduling --------------------------------------------------------------------------------------


def evaluate_enabled_triggers() -> list[str]:
	"""Scheduled: queue a run of each enabled trigger (a trigger already queued or running is skipped)."""
	names = frappe.get_all(TRIGGER, {"enabled": 1}, pluck="name", order_by="name")
	for name in names:
		enqueue_run(frappe.get_doc(TRIGGER, name))
	return names


def enqueue_run(doc, by_user: bool = False) -> dict:
	if not doc.enabled:
		frappe.throw(_("Enable the trigger before running it."), TriggerActionError)
	frappe.enqueue(
		RUN_METHOD,
		queue="long",
		timeout=3600,
		job_id=jobs.job_id(run_key(doc.name)),
		deduplicate=True,
		enqueue_after_commit=True,
		trigger=doc.name,
	)
	if by_user:
		frappe.msgprint(_("The trigger runs in the background."), alert=True, indicator="blue")
	return {"queued": True}


def run_key(trigger: str) -> str:
	"""The job's checkpoint and lock key; hashed, as a MariaDB lock name holds 64 characters at most."""
	return "trigger-" + hashlib.sha1(trigger.encode()).hexdigest()[:20]


# -- a run -------------------------------------------------------------------------------------------


def run_trigger(trigger: str, commit: bool = True) -> dict | None:
	"""Evaluate one trigger: fire for the new matches, then act for every pending firing. Returns the
	counts ({"fired", "done", "failed"}), or None when another run holds the trigger's lock."""
	return jobs.run_resumable(
		run_key(trigger), RUN_METHOD, {"trigger": trigger}, lambda run: _run(run, trigger, commit), commit
	)


def _run(run: "jobs.Run", trigger: str, commit: bool) -> dict:
	counts = {"fired": 0, "done": 0, "failed": 0}
	if not frappe.db.get_value(TRIGGER, trigger, "enabled"):
		return counts  # deleted or switched off since it was queued
	doc = frappe.get_doc(TRIGGER, trigger)
	set_run_status(doc.name, _("Running"), commit=commit)
	try:
		rules = condition_rules(doc.trigger_on, doc.filters_json)
		hours = cart_hours(doc.trigger_on, doc.cart_left_hours)
	except frappe.ValidationError as error:
		# A field the condition names was removed since the trigger was saved: said on the trigger, not
		# retried by the resume tick.
		frappe.clear_last_message()
		set_run_status(doc.name, _("Failed: {0}").format(error_text(error)), counts, commit=commit)
		return counts
	condition = core.condition_hash(core.firing_rules(rules, doc.trigger_on, hours))
	counts["fired"] = fire(run, doc, rules, hours, condition, commit)
	counts["done"], counts["failed"] = act(doc, commit)
	set_run_status(doc.name, _("Done"), counts, commit=commit)
	publish(doc.name, 100, _("Done"))
	return counts


def set_run_status(trigger: str, status: str, counts: dict | None = None, commit: bool = True) -> None:
	values = {"last_run_status": status[:140], "last_run_on": now_datetime()}
	if counts is not None:
		values.update(last_run_fired=counts["fired"], last_run_failed=counts["failed"])
	frappe.db.set_value(TRIGGER, trigger, values, update_modified=False)
	if commit:
		frappe.db.commit()


def fire(run: "jobs.Run", doc, rules: list, cart_left_hours: int, condition: str, commit: bool) -> int:
	"""Phase 1: a pending log row for each matching record without one; the number of rows written."""
	scanned = f"{condition}|scanned"
	if run.basis == scanned:
		return 0  # a resumed run whose scan was finished
	table = frappe.qb.DocType(doc.trigger_on)
	after = run.cursor if run.basis == condition else ""
	total = frappe.db.estimate_count(doc.trigger_on) or frappe.db.count(doc.trigger_on) or 1
	fired, seen = 0, 0
	while True:
		bound = range_end(table, after)
		fired += insert_firings(doc, rules, cart_left_hours, condition, after, bound)
		if bound is None:
			break
		after, seen = bound, seen + SCAN_RANGE
		run.save(after, condition)
		if commit:
			frappe.db.commit()
		publish(doc.name, min(seen / total, 1) * 50, _("Finding matching records"))
	run.save("", scanned)
	if commit:
		frappe.db.commit()
	return fired


def range_end(table, after: str) -> str | None:
	"""The last name of the next SCAN_RANGE names after `after`; None when fewer are left."""
	row = (
		frappe.qb.from_(table)
		.select(table.name)
		.where(table.name > after)
		.orderby(table.name)
		.limit(1)
		.offset(SCAN_RANGE - 1)
		.run()
	)
	return row[0][0] if row else None


def insert_firings(
	doc, rules: list, cart_left_hours: int, condition: str, after: str, bound: str | None
) -> int:
	from crm_app.cx_marketing import rules as rule_sets

	table = frappe.qb.DocType(doc.trigger_on)
	log = frappe.qb.DocType(LOG).as_("fired")
	already = (
		frappe.qb.from_(log)
		.select(log.name)
		.where(
			(log.cx_trigger == doc.name)
			& (log.reference_doctype == doc.trigger_on)
			& (log.reference_name == table.name)
			& (log.condition_hash == condition)
		)
	)
	now, user = now_datetime(), frappe.session.user
	constants = (doc.name, doc.trigger_on, condition, "Pending", now, now, now, user, user, 0, 0)
	query = rule_sets.matching_query(doc.trigger_on, rules).select(
		*map(ValueWrapper, constants), LOG_SEQUENCE
	)
	window = [table.name > after, ExistsCriterion(already).negate()]
	if bound is not None:
		window.append(table.name <= bound)
	if cart_left_hours:
		from crm_app.integrations.erpnext.triggers import left_cart_criterion

		window.append(left_cart_criterion(table, cart_left_hours))
	select_sql, params = query.where(Criterion.all(window)).walk()
	# The column list is the fixed LOG_COLUMNS; every value is a parameter of the SELECT.
	frappe.db.sql(f"insert into `tabCX Trigger Log` ({', '.join(LOG_COLUMNS)}) {select_sql}", params)
	return int(frappe.db.sql("select row_count()")[0][0] or 0)


def to_act_on(log):
	"""The log rows a run acts on (core.retryable): pending, or failed and not yet tried MAX_ATTEMPTS times."""
	return (log.status == "Pending") | ((log.status == "Failed") & (log.attempts < core.MAX_ATTEMPTS))


def act(doc, commit: bool) -> tuple[int, int]:
	"""Phase 2: run the actions for the trigger's pending (or retried) log rows in batches; (done, failed)."""
	log, record = frappe.qb.DocType(LOG), frappe.qb.DocType(doc.trigger_on)
	# The record's title and owner come with each row (notifications name them): columns of the record
	# type's meta and core.OWNER_FIELD, never input.
	title_column = record[frappe.get_meta(doc.trigger_on).get_title_field()]
	owner_column = record[core.OWNER_FIELD[doc.trigger_on]]
	mine = (log.cx_trigger == doc.name) & to_act_on(log)
	pending = frappe.qb.from_(log).select(Count("*")).where(mine).run()[0][0] or 1
	actions = {row.name: row for row in doc.actions}
	done = failed = handled = 0
	after = 0
	notified = set()  # users told of something in this run: their bell is refreshed once, at the end
	while True:
		rows = (
			frappe.qb.from_(log)
			.left_join(record)
			.on(record.name == log.reference_name)
			.select(log.name, log.reference_name, log.actions_done, title_column, owner_column, log.result)
			.where(mine & (log.name > after))
			.orderby(log.name)
			.limit(ACT_BATCH)
			.run()
		)
		if not rows:
			break
		fired = [Fired(int(row[0]), row[1], core.parse_done(row[2])) for row in rows]
		outcome = Outcome(
			fired,
			{row[1]: (row[3] or row[1], row[4]) for row in rows},
			{int(row[0]): row[5] for row in rows},
		)
		for step in core.plan_actions(list(actions), fired):
			run_step(doc, actions[step.action_key], step, outcome)
		batch_done, batch_failed = outcome.write()
		notified |= outcome.notified
		done, failed = done + batch_done, failed + batch_failed
		after, handled = fired[-1].log_id, handled + len(fired)
		if commit:
			frappe.db.commit()
		publish(doc.name, 50 + min(handled / pending, 1) * 50, _("Acting on {0} records").format(handled))
	for user in sorted(notified):
		# What Notification Log's after_insert publishes for each row, once per user and run.
		frappe.publish_realtime("notification", after_commit=True, user=user)
	return done, failed


class Outcome:
	"""What the actions did for each log row of a batch: actions done, notes, errors."""

	def __init__(
		self,
		fired: list[Fired],
		records: dict[str, tuple[str, str | None]],
		previous_notes: dict[int, str | None] | None = None,
	):
		self.records = records  # name -> (title, owner) of each record of the batch
		self.done = {row.log_id: set(row.done) for row in fired}
		self.previous_notes = previous_notes or {}  # what earlier attempts noted: kept on a retry
		self.notes = defaultdict(list)
		self.errors = defaultdict(list)
		self.notified = set()  # users a notification was written for

	def succeeded(self, key: str, log_id: int, note: str | None = None) -> None:
		self.done[log_id].add(key)
		if note:
			self.notes[log_id].append(note)

	def failed(self, log_id: int, action, error: str) -> None:
		self.errors[log_id].append(f"{action.idx}. {_(action.action_type)}: {error}")

	def write(self) -> tuple[int, int]:
		"""The batch's rows, grouped by identical outcome: one UPDATE per group. Each row counts one more
		attempt."""
		groups = defaultdict(list)
		for log_id, keys in self.done.items():
			errors = "\n".join(self.errors.get(log_id, []))
			status = "Failed" if errors else "Done"
			notes = core.merge_notes(self.previous_notes.get(log_id), self.notes.get(log_id, []))
			groups[(status, core.format_done(keys), notes, errors)].append(log_id)
		log, now = frappe.qb.DocType(LOG), now_datetime()
		counts = {"Done": 0, "Failed": 0}
		for (status, keys, notes, errors), ids in groups.items():
			(
				frappe.qb.update(log)
				.set(log.status, status)
				.set(log.actions_done, keys)
				.set(log.result, notes or None)
				.set(log.error, errors or None)
				.set(log.attempts, log.attempts + 1)
				.set(log.modified, now)
				.where(log.name.isin(ids))
				.run()
			)
			counts[status] += len(ids)
		return counts["Done"], counts["Failed"]


def run_step(doc, action, step: core.Step, outcome: Outcome) -> None:
	"""One action for a batch of rows; an action failing as a whole fails it for each row."""
	handler = HANDLERS[action.action_type]
	frappe.db.savepoint("cx_trigger_step")
	try:
		handler(doc, action, step, outcome)
	except Exception as error:
		frappe.db.rollback(save_point="cx_trigger_step")
		for row in step.rows:
			outcome.failed(row.log_id, action, error_text(error))


def per_record(doc, action, step: core.Step, outcome: Outcome, work: Callable[[str], str | None]) -> None:
	"""Run `work(record name)` for each row, each in its own savepoint: one failure stays with its row."""
	for row in step.rows:
		frappe.db.savepoint("cx_trigger_record")
		try:
			note = work(row.reference_name)
		except Exception as error:
			frappe.db.rollback(save_point="cx_trigger_record")
			frappe.clear_last_message()
			outcome.failed(row.log_id, action, error_text(error))
		else:
			outcome.succeeded(step.action_key, row.log_id, note)


def error_text(error: Exception) -> str:
	"""What the log keeps of a failure: a Frappe error's message, a core error's in the job's language."""
	return (core_message(error, escape=False) or type(error).__name__)[:1000]


def publish(trigger: str, percent: float, description: str) -> None:
	frappe.publish_progress(
		percent,
		title=_("Trigger {0}").format(trigger),
		doctype=TRIGGER,
		docname=trigger,
		description=description,
	)


# -- the actions -------------------------------------------------------------------------------------


def notify(doc, action, step: core.Step, outcome: Outcome) -> None:
	"""Bell notifications (Notification Log), written in bulk: each recipient is told only of the records
	they may read (one permission query per recipient and batch, frappe.get_list's rules)."""
	record_type = doc.trigger_on
	names = [row.reference_name for row in step.rows]
	wanted = defaultdict(set)  # user -> the records they are to be told of
	for user in fixed_recipients(action):
		wanted[user].update(names)
	if cint(action.notify_record_owner):
		for name in names:
			record_owner = outcome.records.get(name, (name, None))[1]
			if record_owner:
				wanted[record_owner].add(name)
	now, rows = now_datetime(), []
	for user in set(wanted) - notifiable(wanted):
		del wanted[user]
	# Each recipient's language (one query for the batch's users); worded once per language.
	directory = read_directory(users=wanted)
	for language, users in group(sorted(wanted), directory.user).items():
		with speaking(language):
			subject, label = _("Trigger {0}: {1} {2}"), _(record_type)
		for user in users:
			for name in readable(record_type, sorted(wanted[user]), user):
				text = subject.format(
					escape_html(doc.trigger_name), label, escape_html(outcome.records.get(name, (name,))[0])
				)
				rows.append(
					(
						frappe.generate_hash(length=10),
						now,
						now,
						"Administrator",
						"Administrator",
						text,
						user,
						"Alert",
						record_type,
						name,
						doc.owner,
						0,
					)
				)
	fields = ["name", "creation", "modified", "owner", "modified_by", "subject", "for_user", "type",
			  "document_type", "document_name", "from_user", "read"]  # fmt: skip
	insert_rows("Notification Log", fields, rows)
	told = sorted({row[6] for row in rows})
	if told:
		# What Notification Log's after_insert does for each row (the bell shows unseen), one UPDATE per
		# batch; its realtime refresh is published once per user at the end of the run (act). An Alert is
		# never emailed by Frappe (is_email_notifications_enabled_for_type), so nothing else is skipped.
		settings = frappe.qb.DocType("Notification Settings")
		frappe.qb.update(settings).set(settings.seen, 0).where(settings.name.isin(told)).run()
		outcome.notified.update(told)
	for row in step.rows:
		outcome.succeeded(step.action_key, row.log_id)


def insert_rows(doctype: str, fields: list[str], rows: list[tuple]) -> None:
	"""One multi-row INSERT with every value a parameter (Frappe's bulk_insert renders each value through
	the query builder: 10 s of a 30,000-notification run). `doctype` and `fields` are fixed by the caller."""
	if not rows:
		return
	columns = ", ".join(f"`{field}`" for field in fields)
	row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
	frappe.db.sql(
		f"insert into `tab{doctype}` ({columns}) values {', '.join([row_sql] * len(rows))}",
		[value for row in rows for value in row],
	)


def notifiable(users) -> set[str]:
	"""Those of `users` Frappe would notify (make_notification_logs): enabled, with notifications on."""
	if not users:
		return set()
	user, settings = frappe.qb.DocType("User"), frappe.qb.DocType("Notification Settings")
	rows = (
		frappe.qb.from_(user)
		.left_join(settings)
		.on(settings.name == user.name)
		.select(user.name)
		.where(user.name.isin(list(users)) & (user.enabled == 1) & (Coalesce(settings.enabled, 1) == 1))
		.run()
	)
	return {row[0] for row in rows}


def fixed_recipients(action) -> set[str]:
	from frappe.utils.user import get_users_with_role

	users = set()
	if action.notify_user and frappe.db.get_value("User", action.notify_user, "enabled"):
		users.add(action.notify_user)
	if action.notify_role:
		users.update(get_users_with_role(action.notify_role))
	return users


def readable(record_type: str, names: list[str], user: str) -> list[str]:
	"""Those of `names` that `user` may read (roles, User Permissions, shares, the app's restrictions)."""
	if not names:
		return []
	try:
		return frappe.get_list(
			record_type,
			filters={"name": ("in", names)},
			pluck="name",
			user=user,
			order_by="",  # sorting would double the time
			limit_page_length=0,
		)
	except frappe.PermissionError:
		return []


def create_task(doc, action, step: core.Step, outcome: Outcome) -> None:
	"""A ToDo on each record for its owner or the chosen user, who must be able to read the record (a
	task would otherwise show them what they may not see). The default description is in the assignee's
	language (the batch's assignees' languages in one query)."""
	record_type = doc.trigger_on
	assignees = {
		action.task_user,
		*(outcome.records.get(row.reference_name, (None, None))[1] for row in step.rows),
	}
	directory = read_directory(users=[user for user in assignees if user])

	def work(name: str) -> str | None:
		record = frappe.get_doc(record_type, name)
		assignee = (
			record.get(core.OWNER_FIELD[record_type])
			if action.assign_to == core.RECORD_OWNER
			else action.task_user
		)
		if not assignee:
			raise TriggerActionError(_("The record has no owner to assign the task to."))
		if not frappe.has_permission(record_type, "read", doc=record, user=assignee):
			raise TriggerActionError(_("{0} may not read this record.").format(assignee))
		description = action.task_description
		if not description:
			with speaking(directory.user(assignee)):
				description = _("{0}: follow up").format(doc.trigger_name)
		todo = frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": assignee,
				"reference_type": record_type,
				"reference_name": name,
				# written by marketing users: rendered without Frappe's globals, in Jinja's sandbox
				"description": SandboxedEnvironment().from_string(description).render(doc=record),
				"date": add_days(nowdate(), action.task_due_days) if action.task_due_days else None,
				"assigned_by": doc.owner,
			}
		)
		todo.insert(ignore_permissions=True)  # the trigger's authority: the assignee may read the record
		return None

	per_record(doc, action, step, outcome, work)


def send_template(doc, action, step: core.Step, outcome: Outcome) -> None:
	"""The Email Template rendered with each record, queued through Frappe's Email Queue, in the language
	of the person it goes to (the records' languages in one query; each mail rendered and queued inside
	Frappe's language switch); opted-out addresses are skipped and said so in the log (a skip is not a
	failure)."""
	record_type = doc.trigger_on
	field = core.EMAIL_FIELD[record_type]
	names = [row.reference_name for row in step.rows]
	records = {
		row.name: row
		for row in frappe.get_all(
			record_type,
			{"name": ("in", names)},
			["name", field, *LANGUAGE_FIELDS.get(record_type, ())],
			limit_page_length=0,
		)
	}
	emails = {name: row.get(field) for name, row in records.items()}
	skipped = opted_out(record_type, emails)
	template = frappe.get_doc("Email Template", action.email_template)
	language_of = record_languages(record_type, records, field)

	def work(name: str) -> str | None:
		email = (emails.get(name) or "").strip()
		if not email:
			return _("Email not sent: no email address")
		if name in skipped:
			return _("Email not sent: {0} opted out").format(email)
		record = frappe.get_doc(record_type, name)
		# the mail in its reader's language; the log's notes and errors stay in the run's
		with speaking(language_of(name)):
			content = template.get_formatted_email(record.as_dict())
			frappe.sendmail(
				recipients=[email],
				subject=content["subject"],
				message=content["message"],
				reference_doctype=record_type,
				reference_name=name,
			)
		return None

	# one language after another (each mail is the record's own: rendered for it, whatever the order)
	by_language = group(step.rows, lambda row: language_of(row.reference_name))
	rows = tuple(row for rows in by_language.values() for row in rows)
	per_record(doc, action, replace(step, rows=rows), outcome, work)


# What says who reads an email to a record, besides its address (crm_app/core/recipient_language.py).
LANGUAGE_FIELDS = {"CX Customer": ("primary_contact",), "CX Issue": ("contact", "customer", "language")}


def record_languages(record_type: str, records: dict, field: str) -> Callable[[str], str]:
	"""record name -> the language of an email to its address: a desk user's own; else the contact's
	(the issue's contact, the customer's primary contact, whoever has the address), else the customer's or
	lead's, else the issue's, else the site's."""
	issue = record_type == "CX Issue"
	if issue:
		customers = [row.get("customer") for row in records.values()]
	else:
		customers = list(records) if record_type == "CX Customer" else []
	directory = read_directory(
		emails=[row.get(field) for row in records.values()],
		contacts=[row.get("contact") or row.get("primary_contact") for row in records.values()],
		customers=customers,
		leads=list(records) if record_type == "CX Lead" else [],
	)

	def language_of(name: str) -> str:
		row = records.get(name) or frappe._dict()
		party = ("CX Customer", row.get("customer")) if issue else (record_type, name)
		return directory.address(
			row.get(field),
			contact=row.get("contact") or row.get("primary_contact"),
			party=party if party[1] else None,
			conversation=row.get("language") if issue else None,
		)

	return language_of


def opted_out(record_type: str, emails: dict[str, str]) -> set[str]:
	"""The records whose address may not be mailed (crm_app/cx_marketing/optout.py): the person's opt-out,
	Frappe's global Email Unsubscribe, or one for this very record."""
	found = optout.blocked(emails.values(), [(record_type, name) for name in emails])
	return {name for name, email in emails.items() if found.reason(email, record_type, name)}


def add_to_segment(doc, action, step: core.Step, outcome: Outcome) -> None:
	"""Leads and customers join the segment; a deal or ticket adds its customer."""
	add_member = frappe.get_attr("crm_app.cx_marketing.segments.add_member")
	record_type = doc.trigger_on
	customer_field = core.CUSTOMER_FIELD.get(record_type)

	def work(name: str) -> str | None:
		member_type, member = record_type, name
		if customer_field:
			member_type, member = "CX Customer", frappe.db.get_value(record_type, name, customer_field)
			if not member:
				return _("Not added to the segment: no customer")
		add_member(action.segment, member_type, member, source="Trigger")
		return None

	per_record(doc, action, step, outcome, work)


def record_customer(record_type: str, name: str) -> str:
	"""The CX Customer a fired record belongs to (a customer is its own)."""
	customer_field = core.CUSTOMER_FIELD.get(record_type)
	customer = frappe.db.get_value(record_type, name, customer_field) if customer_field else name
	if not customer:
		raise TriggerActionError(_("The record has no customer."))
	return customer


def create_coupon(doc, action, step: core.Step, outcome: Outcome) -> None:
	from crm_app.integrations.erpnext.triggers import create_coupon_code

	record_type = doc.trigger_on

	def work(name: str) -> str | None:
		customer = record_customer(record_type, name)
		coupon = create_coupon_code(customer, action.pricing_rule, cint(action.coupon_valid_days))
		return _("Coupon Code {0}").format(coupon)

	per_record(doc, action, step, outcome, work)


def apply_pricing_rule(doc, action, step: core.Step, outcome: Outcome) -> None:
	"""The record's customer gets their own copy of the template Pricing Rule, named after the trigger,
	record and template (core.pricing_rule_name): a rerun, a retry or a new condition finds it made."""
	from crm_app.integrations.erpnext.triggers import apply_pricing_rule as give_price

	record_type = doc.trigger_on

	def work(name: str) -> str | None:
		customer = record_customer(record_type, name)
		rule_name = core.pricing_rule_name(doc.name, record_type, name, action.pricing_rule)
		rule, made = give_price(customer, action.pricing_rule, rule_name, cint(action.coupon_valid_days))
		return (_("Pricing Rule {0}") if made else _("Pricing Rule {0} (given before)")).format(rule)

	per_record(doc, action, step, outcome, work)


HANDLERS = {
	core.NOTIFY: notify,
	core.TASK: create_task,
	core.EMAIL: send_template,
	core.SEGMENT: add_to_segment,
	core.COUPON: create_coupon,
	core.PRICING: apply_pricing_rule,
}
