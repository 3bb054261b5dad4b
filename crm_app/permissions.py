"""The one permission model of the app (README.md, "Permissions").

Roles decide what a user may do with a doctype, as everywhere in Frappe; User Permissions and shares
narrow it as usual. On top of that, with *Restrict Sales Users* in CX Settings, a restricted sales user
(Sales User without a manager role) reaches only:

- leads, opportunities and customers they own (lead owner, opportunity owner, account manager) or that
  someone who may work them assigned to them (an open or closed ToDo; `validate_assignment` refuses the
  rest);
- call logs of those records (activities follow the record they belong to);
- issues of those customers, unless they are in the Support Team too;
- their own sales targets;
- the child rows (opportunity lines, competitors, stage history) of the records they reach.

Each rule is one query-builder criterion, used for the list/report/search/API filter
(`permission_query_conditions`), for the single-document check (`has_permission`) and, through
`match_conditions`, by the script reports, so the three can never disagree.
"""

from collections.abc import Callable
from functools import cache

import frappe
from frappe import _
from frappe.query_builder import Criterion, Parameter
from frappe.query_builder.functions import Count, Min
from frappe.utils import cint
from pypika.terms import Term

from crm_app.utils import OWNER_FIELD

MANAGER_ROLES = frozenset({"System Manager", "Sales Manager", "CRM Administrator"})
# Doctypes whose records a restricted user reaches only by the rule below; the others go by role alone.
SUPPORT_DOCTYPES = frozenset({"CX Issue"})
ASSIGNABLE = ("CX Lead", "CX Opportunity", "CX Customer")


def is_restricted(user: str, doctype: str | None = None) -> bool:
	if user == "Administrator":
		return False
	doctype = CHILD_TABLES.get(doctype, doctype)
	roles = set(frappe.get_roles(user))  # cached for the request: asked before the setting's read
	if doctype in SUPPORT_DOCTYPES and "Support Team" in roles:
		return False
	if "Sales User" not in roles or roles & MANAGER_ROLES:
		return False
	return restriction_on()


def restriction_on() -> bool:
	"""Restrict Sales Users (CX Settings), read straight from `tabSingles`: every list, form, link search
	and report asks, and Frappe's `get_single_value` loads the settings' whole meta from Redis to cast
	one Check (2 ms of a 15 ms list request in the load test's profile). A web request reads it once
	(it asked twice or more: 2 % of the load test's server time); `frappe.local` ends with the request.
	Jobs, tests and the console read it each time, as they may change it."""
	request = getattr(frappe.local, "request", None)
	read = getattr(frappe.local, "cx_restriction_on", None)
	if request is not None and read and read[0] is request:
		return read[1]
	value = frappe.db.sql(
		"select `value` from `tabSingles` where `doctype` = %s and `field` = %s",
		("CX Settings", "restrict_sales_users"),
	)
	restricted = bool(value and cint(value[0][0]))
	if request is not None:
		frappe.local.cx_restriction_on = (request, restricted)
	return restricted


# -- the rules ---------------------------------------------------------------------------------------


def own_or_assigned(doctype: str, user: str | Term) -> Criterion:
	"""The record's owner field is `user`, or a ToDo (not cancelled) assigns it to `user`.

	Assignments are read from the record itself (`assigned_user`, kept by `refresh_assignees`) and from
	the ToDos only for records with several assignees. Every column the test needs is in the record's
	(status, modified, owner, assigned_user, several_assignees) index, so a restricted list or count reads
	that index alone instead of probing the ToDos for each of a million rows."""
	table = frappe.qb.DocType(doctype)
	todo = frappe.qb.DocType("ToDo")
	assigned = (
		frappe.qb.from_(todo)
		.select(todo.reference_name)
		.where((todo.allocated_to == user) & (todo.reference_type == doctype) & (todo.status != "Cancelled"))
	)
	return (
		(table[OWNER_FIELD[doctype]] == user)
		| (table.assigned_user == user)
		| ((table.several_assignees == 1) & table.name.isin(assigned))
	)


def refresh_assignees(doctype: str, name: str) -> None:
	"""Keep `assigned_user` / `several_assignees` of one record in step with its ToDos."""
	if doctype not in ASSIGNABLE or not name:
		return
	todo = frappe.qb.DocType("ToDo")
	users = (
		frappe.qb.from_(todo)
		.select(todo.allocated_to)
		.distinct()
		.where((todo.reference_type == doctype) & (todo.reference_name == name))
		.where((todo.status != "Cancelled") & todo.allocated_to.isnotnull())
		.run(pluck=True)
	)
	values = {
		"assigned_user": users[0] if len(users) == 1 else None,
		"several_assignees": int(len(users) > 1),
	}
	if frappe.db.exists(doctype, name):
		from crm_app.cx_insights.figures import set_values  # figures reads this module's rules

		set_values(doctype, name, values, update_modified=False)  # the desk's tallies count assignees


def refresh_all_assignees(doctype: str) -> None:
	"""`refresh_assignees` for every record of `doctype` at once (migration, bulk loads): one grouped
	read of the ToDos, then chunked updates of the records whose values differ."""
	table, todo = frappe.qb.DocType(doctype), frappe.qb.DocType("ToDo")
	grouped = (
		frappe.qb.from_(todo)
		.select(todo.reference_name, Min(todo.allocated_to), Count(todo.allocated_to).distinct())
		.where(
			(todo.reference_type == doctype) & (todo.status != "Cancelled") & todo.allocated_to.isnotnull()
		)
		.groupby(todo.reference_name)
		.run()
	)
	wanted = {name: (one if users == 1 else None, int(users > 1)) for name, one, users in grouped}
	current = (
		frappe.qb.from_(table)
		.select(table.name, table.assigned_user, table.several_assignees)
		.where(table.assigned_user.isnotnull() | (table.several_assignees == 1))
		.run()
	)
	stale = {name: (None, 0) for name, _user, _several in current if name not in wanted}
	unchanged = {(name, user, several) for name, user, several in current}
	changes = {
		name: {"assigned_user": user, "several_assignees": several}
		for name, (user, several) in {**stale, **wanted}.items()
		if (name, user, several) not in unchanged
	}
	frappe.db.bulk_update(doctype, changes, chunk_size=500, update_modified=False)
	from crm_app.cx_insights.figures import reconcile

	reconcile([doctype], commit=False)


def visible_names(doctype: str, user: str | Term):
	"""Sub-query: names of `doctype` records the restricted `user` reaches."""
	table = frappe.qb.DocType(doctype)
	return frappe.qb.from_(table).select(table.name).where(RULES[doctype](doctype, user))


def follows_reference(doctype: str, user: str | Term) -> Criterion:
	"""An activity record is reachable when the record it was logged on is."""
	table = frappe.qb.DocType(doctype)
	return Criterion.any(
		(table.reference_doctype == reference) & table.reference_name.isin(visible_names(reference, user))
		for reference in (*ASSIGNABLE, "CX Issue")
	)


def follows_customer(doctype: str, user: str | Term) -> Criterion:
	table = frappe.qb.DocType(doctype)
	return table.customer.isin(visible_names("CX Customer", user))


def own_target(doctype: str, user: str | Term) -> Criterion:
	return frappe.qb.DocType(doctype).sales_person == user


# Child tables of ruled doctypes: Frappe lets any user who may read the parent doctype list their rows
# (`frappe.client.get_list("CX Opportunity Item", parent="CX Opportunity")`) under their own conditions.
CHILD_TABLES = {
	"CX Opportunity Item": "CX Opportunity",
	"CX Opportunity Competitor": "CX Opportunity",
	"CX Opportunity Stage Log": "CX Opportunity",
	"CX Issue Status Log": "CX Issue",
}


def follows_parent(doctype: str, user: str | Term) -> Criterion:
	table, parent = frappe.qb.DocType(doctype), CHILD_TABLES[doctype]
	return (table.parenttype == parent) & table.parent.isin(visible_names(parent, user))


RULES: dict[str, Callable[[str, str | Term], Criterion]] = {
	"CX Lead": own_or_assigned,
	"CX Opportunity": own_or_assigned,
	"CX Customer": own_or_assigned,
	"CX Call Log": follows_reference,
	"CX Issue": follows_customer,
	"CX Sales Target": own_target,
	**{child: follows_parent for child in CHILD_TABLES},
}


# -- the hooks ---------------------------------------------------------------------------------------


@cache
def _criterion_sql(doctype: str) -> str:
	"""The rule rendered once per doctype with the user as a named parameter: every list, report, link
	search and API read calls the query-conditions hook, and rendering the tree each time cost more than
	the rest of the hook."""
	return RULES[doctype](doctype, Parameter("%(user)s")).get_sql(
		quote_char="`", secondary_quote_char="'", with_namespace=True
	)


def query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""`permission_query_conditions` hook for every doctype in RULES (Frappe passes the doctype).

	In parentheses: Frappe joins the conditions of every hook (and of a Permission Query server script)
	with a bare " and ", which would bind to the last of the rule's ORs only."""
	user = user or frappe.session.user
	if not doctype or not is_restricted(user, doctype):
		return ""
	return "(" + frappe.db.mogrify(_criterion_sql(doctype), {"user": user}) + ")"


def has_permission(doc, ptype: str | None = None, user: str | None = None, debug: bool = False) -> bool:
	"""`has_permission` hook for every doctype in RULES. Always an explicit answer: Frappe 15 reads
	None as "no opinion" but 16 as a refusal. True leaves the decision to roles and User Permissions."""
	user = user or frappe.session.user
	if ptype == "create" or doc.is_new() or not is_restricted(user, doc.doctype):
		return True
	table = frappe.qb.DocType(doc.doctype)
	return bool(
		frappe.qb.from_(table)
		.select(table.name)
		.where(table.name == doc.name)
		.where(RULES[doc.doctype](doc.doctype, user))
		.limit(1)
		.run()
	)


# -- script reports ----------------------------------------------------------------------------------


class RawCriterion(Criterion):
	"""SQL that Frappe itself built (with its values escaped), inside a query-builder query."""

	def __init__(self, sql: str):
		super().__init__()
		self.sql = sql

	def get_sql(self, **kwargs) -> str:
		# The query builder always sends its queries with a parameter dict: a literal % must be doubled.
		return f"({self.sql})".replace("%", "%%")


def match_conditions(doctype: str, user: str | None = None) -> Criterion | None:
	"""Exactly what `frappe.get_list` adds for the user (User Permissions, shares and the rules above),
	or None when it adds nothing. Refuses (PermissionError) a user who may not read the doctype."""
	from frappe.model.db_query import DatabaseQuery

	conditions = DatabaseQuery(doctype, user=user or frappe.session.user).build_match_conditions()
	return RawCriterion(conditions) if conditions else None


# -- assignments -------------------------------------------------------------------------------------


def validate_assignment(todo, method=None) -> None:
	"""ToDo `validate`: a ToDo is an assignment, and an assignment opens a record to a restricted user,
	so only someone who may write the record hands it out. Frappe lets every user create ToDos and
	checks nothing about the record they point at.

	Assignment Rules run as the user who saved the record, who may write it; only a guest's save (a web
	form) has a rule assign what the guest may not write: such a ToDo passes if an enabled rule for that
	doctype gave it to one of its users. A guest cannot create ToDos through the API."""
	if todo.reference_type not in RULES or not todo.reference_name:
		return
	if not (todo.is_new() or assignment_changed(todo)):
		return
	if frappe.session.user == "Guest" and from_assignment_rule(todo):
		return
	if not frappe.has_permission(todo.reference_type, "write", todo.reference_name):
		frappe.throw(
			_("You cannot assign {0} {1}: you may not edit it.").format(
				_(todo.reference_type), frappe.bold(todo.reference_name)
			),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)


def assignment_changed(todo) -> bool:
	before = todo.get_doc_before_save()
	if not before:
		return True
	reopened = before.status == "Cancelled" and todo.status != "Cancelled"
	return reopened or any(
		todo.has_value_changed(field) for field in ("reference_type", "reference_name", "allocated_to")
	)


def from_assignment_rule(todo) -> bool:
	if not todo.assignment_rule:
		return False
	rule = frappe.get_cached_doc("Assignment Rule", todo.assignment_rule)
	return (
		not rule.disabled
		and rule.document_type == todo.reference_type
		and todo.allocated_to in {row.user for row in rule.users}
	)
