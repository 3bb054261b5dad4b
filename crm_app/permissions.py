"""Record-level access for sales users.

When CX Settings restricts sales users, a user with Sales User but none of the manager roles sees only
the leads and opportunities they own or are assigned to. One query-builder criterion serves both the
list/report/search/API filter (`permission_query_conditions`) and the single-document check
(`has_permission`), so the two can never disagree.
"""

from functools import cache

import frappe
from frappe.query_builder import Parameter
from pypika.terms import Term

from crm_app.utils import OWNER_FIELD

UNRESTRICTED_ROLES = {"System Manager", "Sales Manager", "CRM Administrator"}


def is_restricted(user: str) -> bool:
	if user == "Administrator":
		return False
	if not frappe.db.get_single_value("CX Settings", "restrict_sales_users", cache=True):
		return False
	roles = set(frappe.get_roles(user))
	return "Sales User" in roles and not roles & UNRESTRICTED_ROLES


def own_or_assigned(doctype: str, user: str | Term):
	"""Criterion: the record's owner field is `user`, or an open or closed ToDo assigns it to `user`."""
	table = frappe.qb.DocType(doctype)
	todo = frappe.qb.DocType("ToDo")
	assigned = (
		frappe.qb.from_(todo)
		.select(todo.reference_name)
		.where((todo.allocated_to == user) & (todo.reference_type == doctype) & (todo.status != "Cancelled"))
	)
	return (table[OWNER_FIELD[doctype]] == user) | table.name.isin(assigned)


@cache
def _criterion_sql(doctype: str) -> str:
	"""`own_or_assigned` rendered once per doctype with the user as a named parameter. Every list, report,
	link search and API read calls the query-conditions hook, and rendering the query-builder tree each time
	cost more than the rest of the hook."""
	return own_or_assigned(doctype, Parameter("%(user)s")).get_sql(
		quote_char="`", secondary_quote_char="'", with_namespace=True
	)


def _query_conditions(doctype: str, user: str | None) -> str:
	user = user or frappe.session.user
	if not is_restricted(user):
		return ""
	return frappe.db.mogrify(_criterion_sql(doctype), {"user": user})


def _has_permission(doc, ptype: str, user: str | None) -> bool | None:
	user = user or frappe.session.user
	if ptype == "create" or doc.is_new() or not is_restricted(user):
		return None  # fall back to role permissions
	table = frappe.qb.DocType(doc.doctype)
	return bool(
		frappe.qb.from_(table)
		.select(table.name)
		.where(table.name == doc.name)
		.where(own_or_assigned(doc.doctype, user))
		.limit(1)
		.run()
	)


def lead_query_conditions(user: str | None = None) -> str:
	return _query_conditions("CX Lead", user)


def opportunity_query_conditions(user: str | None = None) -> str:
	return _query_conditions("CX Opportunity", user)


def has_lead_permission(doc, ptype: str, user: str | None = None) -> bool | None:
	return _has_permission(doc, ptype, user)


def has_opportunity_permission(doc, ptype: str, user: str | None = None) -> bool | None:
	return _has_permission(doc, ptype, user)
