"""The desk's number cards and charts from tallies (crm_app/core/insights/tally.py) instead of scans.

Keeping them: every save, `db_set` and delete of a tallied record queues its delta; the deltas of a
transaction are added up and written in one upsert just before it commits, in key order (so concurrent
transactions lock tally rows in the same order, and only for the commit). Bulk writes that bypass the
documents (bulk rescore, demo loads, base amount recomputation) and anything lost (a savepoint rolled
back, a crash) are caught up by `reconcile`, which compares each tally with one GROUP BY of its table
read in the same snapshot and applies the difference as increments: hourly, after each bulk job and
from `bench --site SITE crm-reconcile-tallies`.

Reading them: the app overrides Frappe's number card and chart methods. A widget whose filters and
grouping a tally can evaluate exactly is answered from the tally (a few hundred rows) when the user
reads every record of the doctype (no User Permission, no restriction, no owner-only right), or is a
restricted sales user under the app's own-or-assigned rule and nothing else: then from the rows that
name them as owner or single assignee, plus their records with several assignees. Everything else goes
to Frappe's own method, unchanged, which reads through the index-backed permission filters.
"""

import functools
import json

import frappe
from frappe import _
from frappe.desk.doctype.dashboard_chart import dashboard_chart as frappe_chart
from frappe.desk.doctype.number_card import number_card as frappe_card
from frappe.model import optional_fields
from frappe.model.db_query import get_date_range
from frappe.query_builder import Criterion
from frappe.query_builder.functions import Count, Sum
from frappe.utils import get_datetime, getdate, now, now_datetime
from frappe.utils.data import format_date
from frappe.utils.dateutils import get_from_date_from_timespan, get_period, get_period_beginning
from pypika.terms import Values

from crm_app.core.insights import tally as core
from crm_app.exceptions import InvalidDateTimeError, InvalidFilterError
from crm_app.permissions import RULES, match_conditions, own_or_assigned, query_conditions
from crm_app.utils import OWNER_FIELD

TABLE = "CX Tally"
NOT_ANSWERED = object()  # a chart the tally cannot answer (None is Frappe's "no data")
PENDING = "cx_tally_pending"
STATE = "_cx_tally_state"  # the values of a document this transaction has accounted for


# -- keeping tallies current -------------------------------------------------------------------------


def on_change(doc, method=None) -> None:
	"""doc_events `on_change` of every tallied doctype: Frappe runs it after an insert, a save, a submit,
	a `db_set`, and (with `flags.in_delete`) a delete."""
	fields = core.tallied_fields(doc.doctype)
	if not fields:
		return
	before = getattr(doc, STATE, None)
	if before is None and (saved := doc.get_doc_before_save()) is not None:
		before = snapshot(saved, fields)
	if doc.flags.in_delete:
		record_change(doc.doctype, before or snapshot(doc, fields), None)
		return
	after = snapshot(doc, fields)
	record_change(doc.doctype, before, after)
	setattr(doc, STATE, after)


def snapshot(doc, fields) -> dict:
	return {name: doc.get(name) for name in fields}


def set_values(doctype: str, name: str, values: dict, **kwargs) -> None:
	"""`frappe.db.set_value` for code that writes tallied fields without a document."""
	fields = core.tallied_fields(doctype)
	# Locked: two concurrent writers must not both record the same change.
	before = (
		frappe.db.get_value(doctype, name, sorted(fields), as_dict=True, for_update=True)
		if fields & values.keys()
		else None
	)
	frappe.db.set_value(doctype, name, values, **kwargs)
	if before:
		record_change(doctype, dict(before), {**before, **{k: v for k, v in values.items() if k in fields}})


def record_change(doctype: str, before: dict | None, after: dict | None) -> None:
	found = [delta for tally in core.tallies_of(doctype) for delta in core.deltas(tally, before, after)]
	if not found:
		return
	pending = getattr(frappe.local, PENDING, None)
	if not pending:
		pending = []
		setattr(frappe.local, PENDING, pending)
		frappe.db.before_commit.add(flush)
		frappe.db.before_rollback.add(discard)
	pending.extend(found)


def flush() -> None:
	"""Write this transaction's deltas (`before_commit`; tests call it to see them before rolling back)."""
	pending = getattr(frappe.local, PENDING, None) or []
	discard()
	apply(core.merge(pending))


def discard() -> None:
	setattr(frappe.local, PENDING, None)


def apply(deltas: list[core.Delta]) -> None:
	"""One upsert per 500 rows: a new combination is inserted, a known one incremented."""
	table = frappe.qb.DocType(TABLE)
	stamp, user = now(), frappe.session.user if frappe.session else "Administrator"
	for start in range(0, len(deltas), 500):
		query = frappe.qb.into(table).columns(
			"name", "tally", *[f"dim_{i + 1}" for i in range(core.MAX_DIMS)], "row_count", "sum_1", "sum_2",
			"creation", "modified", "owner", "modified_by",
		)  # fmt: skip
		for delta in deltas[start : start + 500]:
			dims = (*delta.dims, *[None] * (core.MAX_DIMS - len(delta.dims)))
			sums = (*delta.sums, *[0] * (core.MAX_SUMS - len(delta.sums)))
			query = query.insert(delta.name, delta.tally, *dims, delta.count, *sums, stamp, stamp, user, user)
		query = (
			query.on_duplicate_key_update(table.row_count, table.row_count + Values(table.row_count))
			.on_duplicate_key_update(table.sum_1, table.sum_1 + Values(table.sum_1))
			.on_duplicate_key_update(table.sum_2, table.sum_2 + Values(table.sum_2))
			.on_duplicate_key_update(table.modified, Values(table.modified))
		)
		query.run()


def reconcile(doctypes: list[str] | None = None, commit: bool = True) -> int:
	"""Bring every tally (of `doctypes`) in line with its table; returns the tally rows corrected.

	The tally and its table are read in one snapshot (a fresh REPEATABLE READ transaction, no locks
	taken), and the difference is applied as increments: a change committed meanwhile keeps its own
	delta. Seconds at a million records; readers and writers never wait for it.

	Inside a caller's transaction (`commit=False`) the table already shows that transaction's own
	writes, so its queued deltas are written first: counted once, not twice."""
	flush()
	corrected = 0
	for tally in core.TALLIES:
		if doctypes and tally.doctype not in doctypes:
			continue
		if commit:
			frappe.db.commit()  # a new transaction: both reads below share its snapshot
		fixes = core.corrections(tally, grouped_table(tally), kept_rows(tally))
		apply(fixes)
		corrected += len(fixes)
		if commit:
			frappe.db.commit()
			drop_empty_rows(tally)
	return corrected


def drop_empty_rows(tally: core.Tally) -> None:
	"""Combinations nobody has any more (a date passed, a source retired), in a short transaction of
	their own, by primary key in key order as deltas lock them. A delta arriving for one later simply
	inserts it again."""
	table = frappe.qb.DocType(TABLE)
	empty = (
		frappe.qb.from_(table)
		.select(table.name)
		.where((table.tally == tally.name) & (table.row_count == 0) & (table.sum_1 == 0) & (table.sum_2 == 0))
		.run(pluck=True)
	)
	empty.sort()
	for start in range(0, len(empty), 500):
		still_empty = (table.row_count == 0) & (table.sum_1 == 0) & (table.sum_2 == 0)
		frappe.qb.from_(table).delete().where(table.name.isin(empty[start : start + 500]) & still_empty).run()
		frappe.db.commit()


def reconcile_job() -> None:
	"""Scheduled hourly, and enqueued after bulk jobs: deduplicated, so two never run at once."""
	frappe.enqueue(
		"crm_app.cx_insights.figures.reconcile",
		queue="long",
		timeout=3600,
		job_id="crm_app:reconcile_tallies",
		deduplicate=True,
		enqueue_after_commit=True,
	)


def grouped_table(tally: core.Tally) -> list[tuple]:
	source = frappe.qb.DocType(tally.doctype)
	dims = [source[name] for name in tally.dims]
	rows = (
		frappe.qb.from_(source)
		.select(*dims, Count("*"))
		.select(*[Sum(source[name]) for name in tally.sums])
		.groupby(*dims)
		.run()
	)
	width = len(tally.dims)
	return [(row[:width], row[width], row[width + 1 :]) for row in rows]


def kept_rows(tally: core.Tally) -> list[tuple]:
	table = frappe.qb.DocType(TABLE)
	width = len(tally.dims)
	dims = [table[f"dim_{i + 1}"] for i in range(width)]
	sums = [table[f"sum_{i + 1}"] for i in range(len(tally.sums))]
	rows = frappe.qb.from_(table).select(*dims, table.row_count, *sums).where(table.tally == tally.name).run()
	return [(row[:width], row[width], row[width + 1 :]) for row in rows]


# -- answering widgets -------------------------------------------------------------------------------


EVERYONE = "everyone"


def reach(doctype: str) -> str | None:
	"""Whose records `frappe.get_list` would show the session user: EVERYONE (read by role, no User
	Permission, no restriction, no owner-only right), the user's own name when the app's restriction is
	the only condition (no User Permission beside it), or None for anything else, which the tally cannot
	reproduce."""
	user = frappe.session.user
	# Role permission only: a user who reads a doctype through shares alone reaches those records only,
	# which Frappe's list adds as a condition build_match_conditions does not return.
	if not frappe.has_permission(doctype, "read", ignore_share_permissions=True):
		return None
	conditions = match_conditions(doctype, user)
	if conditions is None:
		return EVERYONE
	# The tallies' owner and assignee dimensions reproduce own_or_assigned, and only that rule.
	if (
		RULES.get(doctype) is own_or_assigned
		and conditions.sql.strip() == (query_conditions(user, doctype) or "").strip()
	):
		return user
	return None


def conditions_of(doctype: str, checked: list[frappe._dict]) -> list[tuple] | None:
	"""Checked filters (`checked_conditions`) as (field, operator, value), with a Date field's values as
	dates, as Frappe compares them; None when one is on a child table or has a date the tally cannot
	read, which only Frappe's own method answers."""
	found = []
	for f in checked:
		if f.doctype != doctype:
			return None
		operator, value = f.operator.lower(), f.value
		if operator in ("timespan", "previous", "next"):
			operator, value = "between", get_date_range(operator, value)
		if f.fieldtype == "Date" and operator != "is":
			try:
				value = as_dates(value)
			except (ValueError, TypeError, OverflowError, frappe.ValidationError):
				return None
		found.append((f.fieldname, operator, value))
	return found


def as_dates(value):
	"""A date, or a list of them (also "a, b" as Frappe takes for `in`); empty stays empty."""
	if isinstance(value, str) and "," in value:
		value = [part.strip() for part in value.split(",")]
	if isinstance(value, list | tuple):
		return [as_dates(part) for part in value]
	return getdate(value) if value not in (None, "") else value


def checked_conditions(doctype: str, filters) -> list[frappe._dict]:
	"""Each filter as Frappe reads it, refused in words unless it is on a column of the doctype or of one
	of its child tables: anything else would reach the database as an unknown column."""
	filters = checked_filters(filters)
	raws = [{key: value} for key, value in filters.items()] if isinstance(filters, dict) else filters or []
	meta = frappe.get_meta(doctype)
	allowed = {doctype, *(df.options for df in meta.get_table_fields())}
	found = []
	for raw in raws:
		try:
			f = frappe.utils.get_filter(doctype, raw)
			if f.operator.lower() in ("timespan", "previous", "next"):
				get_date_range(f.operator.lower(), f.value)  # an unknown period fails here, not later
		except (TypeError, ValueError, AttributeError, KeyError, IndexError, StopIteration):
			f = None
		columns = (*frappe.get_meta(f.doctype).get_valid_columns(), *optional_fields) if f else ()
		if not f or f.doctype not in allowed or f.fieldname not in columns:
			frappe.throw(
				_("Not a condition on a {0} field: {1}").format(
					_(doctype), escaped(json.dumps(raw, default=str))
				),
				InvalidFilterError,
			)
		found.append(f)
	return found


def answer(plan: core.Plan, conditions: list[tuple]) -> list[tuple]:
	"""(group value or None, records, sum) rows of the plan: from the tally, and for a restricted user
	also the records with several assignees that the user's ToDos open to them."""
	rows = tally_rows(plan)
	if not plan.reached_by:
		return rows
	extra = several_assignee_rows(plan, conditions)
	if not extra:
		return rows
	merged: dict = {}
	for value, count, total in rows + extra:
		kept = merged.get(value, (0, 0))
		merged[value] = (kept[0] + (count or 0), kept[1] + (total or 0))
	return [(value, count, total) for value, (count, total) in merged.items() if count]


def tally_rows(plan: core.Plan) -> list[tuple]:
	table = frappe.qb.DocType(TABLE)
	column = {name: table[f"dim_{i + 1}"] for i, name in enumerate(plan.tally.dims)}
	measure = (
		Sum(table[f"sum_{plan.tally.sums.index(plan.measure) + 1}"])
		if plan.measure != core.COUNT
		else Sum(table.row_count)
	)
	query = frappe.qb.from_(table).where(table.tally == plan.tally.name)  # (tally, dim_1) index
	for condition in plan.conditions:
		query = query.where(criterion(column[condition.dim], condition))
	if plan.reached_by:
		query = query.where(Criterion.any(column[dim] == plan.reached_by for dim in plan.tally.access))
	if plan.group_by:
		group = column[plan.group_by]
		query = (
			query.select(group, Sum(table.row_count), measure).groupby(group).having(Sum(table.row_count) > 0)
		)
		return [(value or None, count, total) for value, count, total in query.run()]
	return [(None, *query.select(Sum(table.row_count), measure).run()[0])]


def several_assignee_rows(plan: core.Plan, conditions: list[tuple]) -> list[tuple]:
	"""A record with several assignees names none of them in the tally; the user reaches it through an
	open ToDo (crm_app.permissions.own_or_assigned). Few records, found from the user's own ToDos."""
	doctype, user = plan.tally.doctype, plan.reached_by
	todo, record = frappe.qb.DocType("ToDo"), frappe.qb.DocType(doctype)
	names = (  # from the few records with several assignees (indexed) to their ToDos
		frappe.qb.from_(record)
		.join(todo)
		.on((todo.reference_type == doctype) & (todo.reference_name == record.name))
		.select(record.name)
		.distinct()
		.where(record.several_assignees == 1)
		.where(record[OWNER_FIELD[doctype]].isnull() | (record[OWNER_FIELD[doctype]] != user))
		.where((todo.allocated_to == user) & (todo.status != "Cancelled"))
		.run(pluck=True)
	)
	if not names:
		return []
	filters = [
		*[list(condition) for condition in conditions if condition[0] != "docstatus"],
		["several_assignees", "=", 1],
		[OWNER_FIELD[doctype], "!=", user],
		["name", "in", names],
	]
	# Field names from the tally's own spec (core.TALLIES), never from the request.
	measure = "count(*) as total" if plan.measure == core.COUNT else f"sum(`{plan.measure}`) as total"
	fields = ["count(*) as records", measure]
	if plan.group_by:
		fields.append(f"`{plan.group_by}` as grouped")
	found = frappe.get_all(doctype, filters=filters, fields=fields, group_by=plan.group_by or None)
	return [
		(core.as_text(row.get("grouped")) or None, row.records, row.total) for row in found if row.records
	]


def criterion(column, condition: core.Condition):
	operator, value = condition.operator, condition.value
	if operator == "is":
		return column != "" if value == "set" else column == ""
	if operator == "in":
		return column.isin(value)
	if operator == "not in":
		return column.notin(value)
	if operator == "between":
		return column[value[0] : value[1]]
	return {
		"=": column == value,
		"!=": column != value,
		"<": column < value,
		"<=": column <= value,
		">": column > value,
		">=": column >= value,
	}[operator]


def figure(rows: list[tuple], plan: core.Plan):
	"""One number from answer rows: the measure, or the average per record."""
	if not rows:
		return 0
	count, total = rows[0][1] or 0, rows[0][2] or 0
	if plan.average:
		return total / count if count else 0
	return total


@frappe.whitelist()
@frappe.read_only()  # a replica answers when the site reads from one (crm_app/replica.py)
def number_card_result(doc: str | dict, filters: str | list | dict | None = None, to_date: str | None = None):
	"""Override of Frappe's `number_card.get_result`: the tally's figure when it can give it."""
	card = checked_card(doc)
	checked = checked_conditions(card.document_type, filters)
	to_date = checked_date(to_date)
	planned = card_plan(card, checked, to_date)
	if planned is None:
		as_list = [[f.doctype, f.fieldname, f.operator, f.value] for f in checked]  # Frappe appends to it
		return frappe_card.get_result(card, as_list, to_date)
	plan, conditions = planned
	return float(figure(answer(plan, conditions), plan) or 0)


# -- what the desk may send --------------------------------------------------------------------------

CARD_FUNCTIONS = ("Count", "Sum", "Average", "Minimum", "Maximum")


def checked_card(doc) -> frappe._dict:
	"""The card a client sent, refused in words (not a server error) when it cannot be one."""
	card = parsed(doc)
	if not isinstance(card, dict):
		frappe.throw(_("A number card must be sent as an object."), InvalidFilterError)
	card = frappe._dict(card)
	if not isinstance(card.document_type, str) or not frappe.db.exists("DocType", card.document_type):
		frappe.throw(_("The number card names no document type."), InvalidFilterError)
	if card.function not in CARD_FUNCTIONS:
		frappe.throw(_("Not a number card function: {0}").format(escaped(card.function)), InvalidFilterError)
	field = card.aggregate_function_based_on
	if card.function != "Count" and not (
		isinstance(field, str) and frappe.get_meta(card.document_type).get_field(field)
	):
		frappe.throw(_("Not a field to add up: {0}").format(escaped(field)), InvalidFilterError)
	if card.parent_document_type and not frappe.db.exists("DocType", str(card.parent_document_type)):
		frappe.throw(
			_("Not a document type: {0}").format(escaped(card.parent_document_type)), InvalidFilterError
		)
	return card


def checked_filters(filters):
	found = parsed(filters)
	if found is not None and not isinstance(found, list | dict):
		frappe.throw(_("Filters must be a list or a dictionary of conditions."), InvalidFilterError)
	return found


def checked_date(value):
	if value in (None, ""):
		return None
	try:
		return get_datetime(value)
	except (ValueError, TypeError, OverflowError, frappe.ValidationError):
		frappe.throw(_("Not a date: {0}").format(escaped(value)), InvalidDateTimeError)


def parsed(value):
	if not isinstance(value, str):
		return value
	try:
		return json.loads(value) if value.strip() else None
	except ValueError:
		frappe.throw(_("Not valid JSON: {0}").format(escaped(value)), InvalidFilterError)


def escaped(value) -> str:
	return frappe.bold(frappe.utils.escape_html(str(value)[:100]))


def card_plan(card, checked: list[frappe._dict], to_date) -> tuple[core.Plan, list[tuple]] | None:
	doctype = card.document_type
	function = {"Count": core.COUNT, "Sum": "sum", "Average": "avg"}.get(card.function)
	if not doctype or not function or to_date or card.parent_document_type or not core.tallies_of(doctype):
		return None
	who = reach(doctype)
	conditions = conditions_of(doctype, checked) if who else None
	if conditions is None:
		return None
	measure = core.COUNT if function == core.COUNT else card.aggregate_function_based_on
	plan = core.plan(
		doctype, conditions, measure=measure, average=function == "avg", reached_by=reached_by(who)
	)
	return (plan, conditions) if plan else None


def reached_by(who: str) -> str | None:
	return None if who == EVERYONE else who


@frappe.whitelist()
@frappe.read_only()  # a replica answers when the site reads from one (crm_app/replica.py)
def dashboard_chart_data(
	chart_name: str | None = None,
	chart: str | dict | None = None,
	no_cache: str | int | None = None,
	filters: str | list | dict | None = None,
	from_date: str | None = None,
	to_date: str | None = None,
	timespan: str | None = None,
	time_interval: str | None = None,
	heatmap_year: str | int | None = None,
	refresh: str | int | None = None,
):
	"""Override of Frappe's `dashboard_chart.get`: Group By and time-series charts of a saved chart from
	the tally when it can answer them, else Frappe's method with the same arguments."""
	arguments = {
		"chart_name": chart_name,
		"chart": chart,
		"no_cache": no_cache,
		"filters": filters,
		"from_date": from_date,
		"to_date": to_date,
		"timespan": timespan,
		"time_interval": time_interval,
		"heatmap_year": heatmap_year,
		"refresh": refresh,
	}
	arguments["filters"] = filters = checked_filters(filters)
	arguments["chart"] = chart = checked_chart(chart)
	for key in ("from_date", "to_date"):
		checked_date(arguments[key])
	if timespan and timespan not in chart_options("timespan"):
		frappe.throw(_("Not a time span: {0}").format(escaped(timespan)), InvalidFilterError)
	if time_interval and time_interval not in chart_options("time_interval"):
		frappe.throw(_("Not a time interval: {0}").format(escaped(time_interval)), InvalidFilterError)
	if heatmap_year and not str(heatmap_year).isdigit():
		frappe.throw(_("Not a year: {0}").format(escaped(heatmap_year)), InvalidFilterError)
	# The desk sends empty strings for what it leaves unset; Frappe's own method reads them as None.
	from_date, to_date = from_date or None, to_date or None
	timespan, time_interval = timespan or None, time_interval or None
	if not (chart_name or chart):
		frappe.throw(_("Name a chart."), InvalidFilterError)
	if chart:
		checked_conditions(json.loads(chart)["document_type"], filters)
	if chart_name and not chart:
		doc = frappe.get_doc("Dashboard Chart", chart_name)
		checked = checked_conditions(doc.document_type, filters or doc.filters_json)  # as Frappe reads them
		data = chart_from_tally(doc, checked, from_date, to_date, timespan, time_interval)
		if data is not NOT_ANSWERED:
			return translated_labels(doc, data)
		if doc.document_type in app_doctypes():
			# Frappe keeps one cached result per chart for every user and filter: a restricted user
			# would read a manager's figures. The app's charts are computed for the user asking.
			arguments["refresh"] = 1
			return translated_labels(doc, frappe_chart_data(arguments))
	return frappe_chart_data(arguments)


def translated_labels(doc, data):
	"""A Group By chart names its bars by the values of the grouped field: a Select's options and the
	names of the app's own masters (stages, sources, industries) are the app's words, shown in the user's
	language as the form shows them (a Select asks with its doctype as the context, as the desk does)."""
	if doc.chart_type != "Group By" or not isinstance(data, dict) or not data.get("labels"):
		return data
	field = frappe.get_meta(doc.document_type).get_field(doc.group_by_based_on)
	if not field or not (
		field.fieldtype == "Select" or (field.fieldtype == "Link" and field.options in app_doctypes())
	):
		return data
	context = doc.document_type if field.fieldtype == "Select" else None
	return {
		**data,
		"labels": [
			_(label, context=context) if isinstance(label, str) and label else label
			for label in data["labels"]
		],
	}


@functools.cache
def app_doctypes() -> frozenset[str]:
	from crm_app.install import app_doctypes as installed_doctypes

	return frozenset(installed_doctypes())


def frappe_chart_data(arguments: dict):
	"""Frappe's `dashboard_chart.get`. Its one write, the saved chart's `last_synced_on`, cannot run on a
	read-only replica: there Frappe is told to skip it (`flags.read_only`) and it is made on the primary."""
	if not on_replica():
		return frappe_chart.get(**arguments)
	was_read_only = frappe.flags.read_only
	frappe.flags.read_only = True
	try:
		data = frappe_chart.get(**arguments)
	finally:
		frappe.flags.read_only = was_read_only
	if arguments["chart_name"] and not arguments["no_cache"] and not was_read_only:
		mark_chart_synced(arguments["chart_name"])
	return data


def on_replica() -> bool:
	primary = getattr(frappe.local, "primary_db", None)
	return primary is not None and frappe.local.db is not primary


@frappe.write_only()
def mark_chart_synced(chart_name: str) -> None:
	frappe.db.set_value(
		"Dashboard Chart", chart_name, "last_synced_on", now_datetime(), update_modified=False
	)


def checked_chart(chart):
	"""An unsaved chart a client sent (Frappe's chart editor), refused in words when it cannot be one."""
	found = parsed(chart)
	if found is None:
		return None
	if not isinstance(found, dict):
		frappe.throw(_("A chart must be sent as an object."), InvalidFilterError)
	doctype = found.get("document_type")
	if not isinstance(doctype, str) or not frappe.db.exists("DocType", doctype):
		frappe.throw(_("The chart names no document type."), InvalidFilterError)
	if found.get("chart_type") not in chart_options("chart_type"):
		frappe.throw(_("Not a chart type: {0}").format(escaped(found.get("chart_type"))), InvalidFilterError)
	return json.dumps(found)


def chart_options(fieldname: str) -> list[str]:
	return (frappe.get_meta("Dashboard Chart").get_field(fieldname).options or "").split("\n")


def chart_from_tally(chart, checked: list[frappe._dict], from_date, to_date, timespan, time_interval):
	"""The chart's data (None: no data), or NOT_ANSWERED."""
	doctype = chart.document_type
	if chart.parent_document_type or chart.type == "Heatmap" or not core.tallies_of(doctype):
		return NOT_ANSWERED
	who = reach(doctype)
	conditions = conditions_of(doctype, checked) if who else None
	if conditions is None:
		return NOT_ANSWERED
	conditions.append(("docstatus", "<", 2))  # as Frappe's `get` adds
	if chart.chart_type == "Group By":
		return group_by_chart(chart, conditions, reached_by(who))
	if chart.chart_type in ("Count", "Sum", "Average"):
		return time_series_chart(
			chart, conditions, reached_by(who), from_date, to_date, timespan, time_interval
		)
	return NOT_ANSWERED


def group_by_chart(chart, conditions, user: str | None):
	measure = core.COUNT if chart.group_by_type == "Count" else chart.aggregate_function_based_on
	plan = core.plan(
		chart.document_type,
		conditions,
		measure=measure,
		group_by=chart.group_by_based_on,
		average=chart.group_by_type == "Average",
		reached_by=user,
		ignore_ifnull=True,  # as Frappe's Group By query
	)
	if plan is None:
		return NOT_ANSWERED
	rows = [
		(value, total / count if plan.average else total) for value, count, total in answer(plan, conditions)
	]
	rows.sort(key=lambda row: row[1] or 0, reverse=True)
	if not rows:
		return None
	return {
		"labels": [value for value, _total in rows],
		"datasets": [{"name": chart.name, "values": [v for _l, v in rows]}],
	}


def time_series_chart(chart, conditions, user: str | None, from_date, to_date, timespan, time_interval):
	"""Frappe's `get_chart_config`, with its one query answered by the tally."""
	timespan = timespan or chart.timespan
	timegrain = time_interval or chart.time_interval
	if timespan == "Select Date Range":
		from_date = get_datetime(from_date) if from_date else get_datetime(chart.from_date)
		to_date = get_datetime(to_date) if to_date else get_datetime(chart.to_date)
	if not from_date:
		from_date = get_period_beginning(get_from_date_from_timespan(to_date, timespan), timegrain)
	to_date = to_date or now_datetime()
	from_date = get_datetime(from_date).strftime("%Y-%m-%d")
	conditions += [(chart.based_on, ">=", from_date), (chart.based_on, "<=", to_date)]
	measure = core.COUNT if chart.chart_type == "Count" else chart.value_based_on
	plan = core.plan(
		chart.document_type, conditions, measure=measure, group_by=chart.based_on, reached_by=user
	)
	if plan is None:
		return NOT_ANSWERED
	data = sorted((value, total, count) for value, count, total in answer(plan, conditions) if value)
	result = frappe_chart.get_result(data, timegrain, from_date, to_date, chart.chart_type)
	return {
		"labels": [
			format_date(get_period(r[0], timegrain), parse_day_first=True)
			if timegrain in ("Daily", "Weekly")
			else get_period(r[0], timegrain)
			for r in result
		],
		"datasets": [{"name": chart.name, "values": [r[1] for r in result]}],
	}
