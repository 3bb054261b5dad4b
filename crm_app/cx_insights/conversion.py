"""Predictive lead conversion (issue 13, item 6): the shell around crm_app.core.insights.conversion.

A weekly job trains the model on the site's decided leads (converted: status Converted or a customer
set; lost: status Lost or Unqualified) and keeps it, with its holdout AUC beside the rule-based
score's, in CX Insights Settings (plain JSON, never pickle). A nightly job scores every open lead in
batches and writes `conversion_probability` (0-100), `conversion_factors` (JSON, top 5) and
`conversion_scored_on` in bulk, without touching `modified`. Without a trained model (not enough
history) the nightly job clears old predictions, so no stale figure is shown.

Activity counted for a decided lead stops at its decision (conversion date, or its last change for a
lost lead): calls made after a lead converted would otherwise teach the model that calls follow
conversion, and every open lead would look colder than it is.
"""

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce, Count
from frappe.utils import cint, flt, now_datetime

from crm_app import jobs

SETTINGS = "CX Insights Settings"
CONVERTED, LOST_STATUSES = "Converted", ("Lost", "Unqualified")
RETRAIN_KEY, RESCORE_KEY = "insights_conversion_retrain", "insights_conversion_rescore"
BATCH = 5000
WRITE_CHUNK = 500  # leads per UPDATE ... CASE: three fields, so about 3,000 parameters a statement
LEAD_FIELDS = (
	"email",
	"phone",
	"mobile_no",
	"creation",
	"first_contacted_on",
	"lead_score",
	"status",
	"customer",
)


def core():
	# numpy and the model load only in the jobs that use them, not in every web request importing this
	from crm_app.core.insights import conversion

	return conversion


# -- reading leads ------------------------------------------------------------------------------


def _lead_query(decided: bool, after: str, limit: int):
	lead = frappe.qb.DocType("CX Lead")
	columns = ["name", *core().CATEGORICAL_FEATURES, *LEAD_FIELDS]
	has_customer = Coalesce(lead.customer, "") != ""
	closed = (lead.status == CONVERTED) | lead.status.isin(LOST_STATUSES) | has_customer
	return (
		frappe.qb.from_(lead)
		.select(*[lead[column] for column in columns])
		.where(closed if decided else ~closed)
		.where(lead.name > after)
		.orderby(lead.name)
		.limit(limit)
	)


def read_leads(decided: bool, after: str = "", limit: int = BATCH) -> list[dict]:
	"""A batch of decided (or open) leads after `after`, by name, with their activity counts."""
	rows = _lead_query(decided, after, limit).run(as_dict=True)
	if rows:
		counts = activity_counts([row.name for row in rows], until_decision=decided)
		for row in rows:
			row.update(counts.get(row.name, {}))
	return rows


def activity_counts(names: list[str], until_decision: bool = False) -> dict[str, dict[str, int]]:
	"""{lead: {"emails": n, "calls": n, "meetings": n}} for these leads (one query per activity)."""
	lead = frappe.qb.DocType("CX Lead")
	comm = frappe.qb.DocType("Communication")
	call = frappe.qb.DocType("CX Call Log")
	event, participant = frappe.qb.DocType("Event"), frappe.qb.DocType("Event Participants")
	decision = Coalesce(lead.converted_on, lead.modified)
	queries = {
		"emails": (
			frappe.qb.from_(comm)
			.join(lead)
			.on(lead.name == comm.reference_name)
			.select(comm.reference_name, Count("*"))
			.where((comm.reference_doctype == "CX Lead") & (comm.communication_medium == "Email"))
			.where(comm.reference_name.isin(names))
			.groupby(comm.reference_name),
			comm.communication_date,
		),
		"calls": (
			frappe.qb.from_(call)
			.join(lead)
			.on(lead.name == call.reference_name)
			.select(call.reference_name, Count("*"))
			.where((call.reference_doctype == "CX Lead") & call.reference_name.isin(names))
			.groupby(call.reference_name),
			call.call_start,
		),
		"meetings": (
			frappe.qb.from_(participant)
			.join(event)
			.on(event.name == participant.parent)
			.join(lead)
			.on(lead.name == participant.reference_docname)
			.select(participant.reference_docname, Count("*"))
			.where((participant.reference_doctype == "CX Lead") & (event.status != "Cancelled"))
			.where(participant.reference_docname.isin(names) & (event.starts_on <= now_datetime()))
			.groupby(participant.reference_docname),
			event.starts_on,
		),
	}
	counts: dict[str, dict[str, int]] = {}
	for activity, (query, moment) in queries.items():
		if until_decision:
			query = query.where(moment <= decision)
		for name, count in query.run():
			counts.setdefault(name, {})[activity] = count
	return counts


def is_converted(row) -> bool:
	return row.status == CONVERTED or bool(row.customer)


# -- training -----------------------------------------------------------------------------------


def enqueue_retrain() -> None:
	"""Weekly (and on demand): one retrain at a time; the rescore follows it."""
	frappe.enqueue(
		"crm_app.cx_insights.conversion.retrain",
		queue="long",
		timeout=3600,
		job_id=jobs.job_id(RETRAIN_KEY),
		deduplicate=True,
		enqueue_after_commit=True,
	)


def retrain(commit: bool = True, rescore: bool = True):
	"""Train on every decided lead and save the model and its accuracy in the settings.

	Returns the core's TrainingResult, or None when another retrain holds the lock."""
	if not jobs.acquire_lock(RETRAIN_KEY):
		return None
	try:
		result = _train()
		save_result(result)
		if commit:
			frappe.db.commit()
	finally:
		jobs.release_lock(RETRAIN_KEY)
	if rescore:
		enqueue_rescore()
	return result


def _train():
	conversion = core()
	settings = frappe.get_doc(SETTINGS)  # not the cache: the thresholds may have just changed
	table = {name: [] for name in conversion.CATEGORICAL_FEATURES + conversion.NUMERIC_FEATURES}
	outcomes, rule_scores, after = [], [], ""
	total = frappe.db.count("CX Lead") or 1
	while rows := read_leads(decided=True, after=after):
		for name, values in conversion.prepare(rows).items():
			table[name].extend(values)
		outcomes.extend(is_converted(row) for row in rows)
		rule_scores.extend(cint(row.lead_score) for row in rows)
		after = rows[-1].name
		_progress(len(outcomes), total, _("Reading decided leads"))
	return conversion.train(
		table,
		outcomes,
		rule_scores,
		min_decided=max(cint(settings.conversion_min_decided), 1),
		min_per_class=max(cint(settings.conversion_min_per_class), 1),
	)


def save_result(result) -> None:
	trained = result.status == core().TRAINED
	frappe.db.set_single_value(
		SETTINGS,
		{
			"conversion_model_status": result.status,
			"conversion_model_auc": flt(result.auc, 4) if trained else 0,
			"conversion_baseline_auc": flt(result.baseline_auc, 4) if trained else 0,
			"conversion_model_leads": result.decided,
			"conversion_trained_on": now_datetime(),
			"conversion_model_note": describe(result),
			# A model from an earlier, larger history is dropped too: it cannot be checked any more.
			"conversion_model_json": result.model.to_json() if trained else None,
		},
		update_modified=False,
	)


def describe(result) -> str:
	"""The training's outcome in the reader's language."""
	lost = result.decided - result.converted
	if result.status == core().TRAINED:
		note = _(
			"Trained on {0} decided leads ({1} converted, {2} lost). AUC {3} ± {4} on {5} held-out leads; "
			"the rule-based score's AUC on the same leads is {6}."
		).format(
			result.decided,
			result.converted,
			lost,
			f"{result.auc:.3f}",
			f"{result.auc_error:.3f}",
			result.holdout,
			f"{result.baseline_auc:.3f}",
		)
		if result.auc <= result.baseline_auc:
			note += " " + _("The model does not beat the rule-based score on this history.")
		return note
	settings = frappe.get_doc(SETTINGS)
	if result.reason == "no_history":
		return _("Not enough history: no lead has been converted or lost yet.")
	if result.reason == "all_converted":
		return _(
			"Not enough history: all {0} decided leads converted; the model needs lost leads too, to learn "
			"what separates them."
		).format(result.decided)
	if result.reason == "all_lost":
		return _(
			"Not enough history: all {0} decided leads were lost; the model needs converted leads too, to "
			"learn what separates them."
		).format(result.decided)
	return _(
		"Not enough history: {0} decided leads ({1} converted, {2} lost). The model needs at least {3} "
		"decided leads and {4} of each outcome to measure its accuracy on leads it did not see."
	).format(
		result.decided,
		result.converted,
		lost,
		cint(settings.conversion_min_decided),
		cint(settings.conversion_min_per_class),
	)


# -- scoring open leads -------------------------------------------------------------------------


def enqueue_rescore() -> None:
	"""Nightly (and after each retrain)."""
	frappe.enqueue(
		"crm_app.cx_insights.conversion.rescore_open_leads",
		queue="long",
		timeout=3600,
		job_id=jobs.job_id(RESCORE_KEY),
		deduplicate=True,
		enqueue_after_commit=True,
	)


def load_model():
	"""The saved model, or None when there is none (not trained, not enough history, unreadable)."""
	conversion = core()
	text = frappe.db.get_single_value(SETTINGS, "conversion_model_json")
	if not text:
		return None
	try:
		return conversion.ConversionModel.from_json(text)
	except conversion.ConversionModelError:
		frappe.db.set_single_value(
			SETTINGS,
			{
				"conversion_model_status": "Not Trained",
				"conversion_model_note": _("The saved model could not be read; it will be trained again."),
			},
			update_modified=False,
		)
		enqueue_retrain()
		return None


def rescore_open_leads(batch_size: int = BATCH, commit: bool = True) -> int | None:
	"""Score every open lead in batches (a commit per batch); the number scored, None when another
	rescore holds the lock. Without a model, clears the predictions of every lead instead."""
	if not jobs.acquire_lock(RESCORE_KEY):
		return None
	try:
		model = load_model()
		if model is None:
			clear_predictions()
			scored = 0
		else:
			scored = _rescore(model, batch_size, commit)
		if commit:
			frappe.db.commit()
		return scored
	finally:
		jobs.release_lock(RESCORE_KEY)


def _rescore(model, batch_size: int, commit: bool) -> int:
	conversion = core()
	labels, translate = factor_labels(), value_translator()
	total, done, after = open_lead_count() or 1, 0, ""
	while rows := read_leads(decided=False, after=after, limit=batch_size):
		probabilities, factors = model.score(conversion.prepare(rows), labels=labels, translate=translate)
		scored_on = now_datetime()
		updates = {
			row.name: {
				"conversion_probability": round(float(probability) * 100, 2),
				"conversion_factors": conversion.factors_json(lead_factors),
				"conversion_scored_on": scored_on,
			}
			for row, probability, lead_factors in zip(rows, probabilities, factors, strict=True)
		}
		frappe.db.bulk_update("CX Lead", updates, chunk_size=WRITE_CHUNK, update_modified=False)
		if commit:  # each batch lands on its own; a million leads never sit in one transaction
			frappe.db.commit()
		done += len(rows)
		after = rows[-1].name
		_progress(done, total, _("Predicting conversion of open leads"))
	return done


def open_lead_count() -> int:
	lead = frappe.qb.DocType("CX Lead")
	has_customer = Coalesce(lead.customer, "") != ""
	closed = (lead.status == CONVERTED) | lead.status.isin(LOST_STATUSES) | has_customer
	return frappe.qb.from_(lead).select(Count("*")).where(~closed).run()[0][0]


def clear_predictions() -> None:
	"""No model: no prediction. The probability column is not null, so an empty `conversion_scored_on`
	is what says a lead has none."""
	lead = frappe.qb.DocType("CX Lead")
	(
		frappe.qb.update(lead)
		.set(lead.conversion_probability, 0)
		.set(lead.conversion_factors, None)
		.set(lead.conversion_scored_on, None)
		.where(lead.conversion_scored_on.isnotnull())
	).run()


def factor_labels() -> dict[str, str]:
	meta = frappe.get_meta("CX Lead")
	labels = {name: _(meta.get_label(name)) for name in core().CATEGORICAL_FEATURES}
	labels.update(
		{
			"emails": _("Emails"),
			"calls": _("Calls"),
			"meetings": _("Meetings"),
			"days_to_first_contact": _("Days to first contact"),
			"has_email": _("Has email"),
			"has_phone": _("Has phone"),
			"never_contacted": _("Never contacted"),
		}
	)
	return labels


def value_translator():
	conversion = core()
	words = {
		"Yes": _("Yes"),
		"No": _("No"),
		conversion.NOT_SET: _("(not set)"),
		conversion.OTHER: _("(other)"),
	}
	return lambda text: words.get(text, text)


def _progress(done: int, total: int, title: str) -> None:
	frappe.publish_progress(
		min(done * 100 / total, 100),
		title=title,
		doctype=SETTINGS,
		docname=SETTINGS,
		description=_("{0} leads").format(done),
	)


# -- on demand ----------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def retrain_now() -> str:
	"""Queue a retrain (then a rescore); for those who may change the insights settings."""
	frappe.has_permission(SETTINGS, "write", throw=True)
	enqueue_retrain()
	return _("The conversion model will be trained again in the background.")


@frappe.whitelist(methods=["POST"])
def rescore_now() -> str:
	frappe.has_permission(SETTINGS, "write", throw=True)
	enqueue_rescore()
	return _("Open leads will be scored again in the background.")


SUMMARY_FIELDS = (
	"conversion_model_status",
	"conversion_model_auc",
	"conversion_baseline_auc",
	"conversion_model_leads",
	"conversion_trained_on",
	"conversion_model_note",
)


@frappe.whitelist()
def model_summary() -> dict:
	"""What the lead form shows beside a prediction: how well the model did on leads it did not see."""
	frappe.has_permission("CX Lead", "read", throw=True)
	values = frappe.db.get_value(SETTINGS, SETTINGS, list(SUMMARY_FIELDS), as_dict=True) or {}
	return {
		"status": values.get("conversion_model_status") or "Not Trained",
		"auc": flt(values.get("conversion_model_auc"), 3),
		"baseline_auc": flt(values.get("conversion_baseline_auc"), 3),
		"leads": cint(values.get("conversion_model_leads")),
		"trained_on": values.get("conversion_trained_on"),
		"note": values.get("conversion_model_note") or "",
	}
