# Copyright (c) 2026, crm_app developers
# For license information, please see license.txt

"""CX Incomplete Records: per owner (lead owner, account manager, a contact's creator), how many of their
records score below the threshold, their average completeness, and what the incomplete ones miss most.

Scores are the stored `completeness` of each record (crm_app/cx_data_quality/completeness.py); what is
missing is counted in SQL by the same rules. Only records the user may read are counted: the query adds
exactly what `frappe.get_list` adds (crm_app/permissions.py, `match_conditions`). An optional period
narrows by creation date.
"""

import json
from urllib.parse import urlencode

import frappe
from frappe import _
from frappe.query_builder import Case, Criterion
from frappe.query_builder.functions import Avg, Count, IfNull, Sum, Trim
from frappe.utils import cint, flt, fmt_money

from crm_app.core.quality.completeness import Rule
from crm_app.cx_data_quality.completeness import DOCTYPES, FIELD, OWNER_FIELD, active_rules, rule_label
from crm_app.cx_sales.report.common import column, group_key, in_period, parse_filters, summary
from crm_app.exceptions import InvalidFilterError
from crm_app.permissions import match_conditions
from crm_app.prepared_reports import report_progress

REPORT = "CX Incomplete Records"
NUMERIC = frozenset({"Int", "Float", "Currency", "Percent", "Rating", "Duration"})
NOT_TEXT = frozenset({"Date", "Datetime", "Time"})
SHOWN_MISSING = 3  # rules named per owner, most often missing first
CHART_OWNERS = 15


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	doctype = filters.get("record_type") or "CX Lead"
	if doctype not in DOCTYPES:
		frappe.throw(_("Choose leads, customers or contacts."), InvalidFilterError)
	rules, default_threshold = active_rules()
	threshold = cint(filters.get("threshold")) or default_threshold
	if not 1 <= threshold <= 100:
		frappe.throw(_("Incomplete Below must be between 1 and 100 (%)."), InvalidFilterError)
	report_progress(REPORT, 0, 1)
	rows = owner_rows(doctype, rules.get(doctype, []), threshold, filters)
	report_progress(REPORT, 1, 1)
	return columns(doctype), rows, message(threshold), chart(rows), report_summary(rows, threshold)


def owner_rows(doctype: str, rules: list[Rule], threshold: int, filters) -> list[dict]:
	"""Two grouped queries: the figures of every record (which the completeness index answers alone),
	then what the incomplete ones miss (only they are read)."""
	table = frappe.qb.DocType(doctype)  # never aliased: the permission conditions name the table
	owner = group_key(table[OWNER_FIELD[doctype]])
	incomplete = table[FIELD] < threshold
	totals = (
		records_query(doctype, filters)
		.select(
			owner.as_("owner"),
			Count("*").as_("records"),
			Sum(Case().when(incomplete, 1).else_(0)).as_("incomplete"),
			Avg(table[FIELD]).as_("average"),
		)
		.groupby(owner)
		.run(as_dict=True)
	)
	misses = {}
	if rules:
		query = (
			records_query(doctype, filters)
			.select(
				owner.as_("owner"),
				*(
					Sum(Case().when(missing(table, doctype, rule), 1).else_(0)).as_(f"missing_{i}")
					for i, rule in enumerate(rules)
				),
			)
			.where(incomplete)
			.groupby(owner)
		)
		misses = {row.owner: row for row in query.run(as_dict=True)}
	labels = [rule_label(doctype, rule) for rule in rules]
	rows = []
	for found in totals:
		missed = misses.get(found.owner) or {}
		counts = sorted(
			((int(missed.get(f"missing_{i}") or 0), label) for i, label in enumerate(labels)),
			key=lambda item: -item[0],
		)
		rows.append(
			{
				"owner": found.owner or None,
				"records": int(found.records),
				"incomplete": int(found.incomplete or 0),
				"incomplete_share": flt(100 * (found.incomplete or 0) / found.records, 1),
				"average": flt(found.average, 1),
				"most_missing": ", ".join(
					f"{label} ({count})" for count, label in counts[:SHOWN_MISSING] if count
				),
				"incomplete_route": list_route(doctype, found.owner, threshold),
			}
		)
	return sorted(rows, key=lambda row: (-row["incomplete"], row["owner"] or ""))


def records_query(doctype: str, filters):
	"""The records counted: created in the period, if one is given, and readable by the user."""
	table = frappe.qb.DocType(doctype)
	query = frappe.qb.from_(table).where(
		in_period(table.creation, parse_filters(filters, default=None), is_datetime=True)
	)
	if (visible := match_conditions(doctype)) is not None:
		query = query.where(visible)
	return query


def missing(table, doctype: str, rule: Rule) -> Criterion:
	"""The rule is not met: every one of its fields is blank, as the core reads blank (None, blank text,
	a zero number)."""
	meta = frappe.get_meta(doctype)
	blanks = []
	for fieldname in rule.fields:
		column_ = table[fieldname]
		fieldtype = meta.get_field(fieldname).fieldtype
		if fieldtype in NUMERIC:
			blanks.append(IfNull(column_, 0) == 0)
		elif fieldtype in NOT_TEXT:
			blanks.append(column_.isnull())
		else:
			blanks.append(IfNull(Trim(column_), "") == "")
	return Criterion.all(blanks)


def list_route(doctype: str, owner: str | None, threshold: int) -> str:
	"""The desk list of this owner's incomplete records (the report's drill-down)."""
	owner_filter = owner if owner else json.dumps(["is", "not set"])
	query = urlencode({OWNER_FIELD[doctype]: owner_filter, FIELD: json.dumps(["<", threshold])})
	return f"/app/{frappe.scrub(doctype).replace('_', '-')}?{query}"


def columns(doctype: str) -> list[dict]:
	owner_label = {"CX Lead": "Lead Owner", "CX Customer": "Account Manager", "Contact": "Created By"}
	return [
		column(owner_label[doctype], "owner", "Link", 200, options="User"),
		column("Records", "records", "Int", 100),
		column("Incomplete", "incomplete", "Int", 110),
		column("Incomplete %", "incomplete_share", "Percent", 110, precision=1),
		column("Average Completeness", "average", "Percent", 170, precision=1),
		column("Most Often Missing", "most_missing", "Data", 380),
	]


def message(threshold: int) -> str:
	return _(
		"Records scoring under {0}% are incomplete. Scores follow the rules in {1}; click a count "
		"of incomplete records to list them."
	).format(threshold, _("CX Data Quality Settings"))


def chart(rows: list[dict]) -> dict:
	top = sorted(rows, key=lambda row: -row["incomplete"])[:CHART_OWNERS]
	return {
		"data": {
			"labels": [row["owner"] or _("Not Set") for row in top],
			"datasets": [{"name": _("Incomplete"), "values": [row["incomplete"] for row in top]}],
		},
		"type": "bar",
		"fieldtype": "Int",
	}


def report_summary(rows: list[dict], threshold: int) -> list[dict]:
	records = sum(row["records"] for row in rows)
	incomplete = sum(row["incomplete"] for row in rows)
	average = sum(row["average"] * row["records"] for row in rows) / records if records else 0
	# Formatted here: the desk formats a Percent summary with the site's float precision (87.300%).
	return [
		summary("Records", records),
		summary("Incomplete", incomplete, indicator="Orange" if incomplete else "Green"),
		summary("Average Completeness", percent(average, 1), "Data", "Blue"),
		summary("Incomplete Below", percent(threshold, 0), "Data", "Grey"),
	]


def percent(value: float, precision: int) -> str:
	return f"{fmt_money(flt(value, precision), precision=precision)}%"  # in the site's number format
