"""Warn when a new lead or opportunity concerns someone another user already works.

Every lookup is an equality on an indexed column (email, phone, organisation, customer), capped, so
the warning costs a few index probes even at a million leads.
"""

import json

import frappe
from frappe import _, _lt
from frappe.utils import get_fullname, get_link_to_form

from crm_app.utils import OWNER_FIELD, TITLE_FIELD

MATCH_LIMIT = 5
# What the warning calls each record, readable or not (labels stay plain words).
RECORD_LABEL = {"CX Lead": _lt("Lead"), "CX Customer": _lt("Customer"), "CX Opportunity": _lt("Opportunity")}
UNREADABLE = {
	"CX Lead": _lt("A lead worked by {0}"),
	"CX Customer": _lt("A customer managed by {0}"),
	"CX Opportunity": _lt("An opportunity worked by {0}"),
}


def warn_about_other_owners(doc, email=None, phones=(), organization=None) -> list[dict]:
	matches = other_owners(doc, email=email, phones=phones, organization=organization)
	if matches:
		show_warning(matches)
	return matches


def other_owners(doc, email=None, phones=(), organization=None) -> list[dict]:
	"""Records with the same email, phone or organisation that users other than this record's own
	owner work on: as owner, account manager or assignee."""
	mine = {frappe.session.user, doc.get(OWNER_FIELD.get(doc.doctype, "owner"))}
	candidates: dict[tuple[str, str], dict] = {}

	def collect(doctype: str, matches: dict[str, list]):
		"""One query per doctype: an OR of equalities, which MariaDB answers by an index-merge union."""
		wanted = {field: ("in", values) for field, values in matches.items() if any(values)}
		if not wanted:
			return
		owner_field = OWNER_FIELD[doctype]
		filters = {"name": ("!=", doc.name or "")}
		if doctype == "CX Opportunity":
			filters["status"] = "Open"
		rows = frappe.get_all(
			doctype,
			filters=filters,
			or_filters=wanted,
			fields=["name", owner_field, "_assign", TITLE_FIELD[doctype]],
			limit=MATCH_LIMIT,
			ignore_permissions=True,  # the point is to reveal that someone else owns it
		)
		for row in rows:
			people = {row.get(owner_field)} | set(json.loads(row.get("_assign") or "[]"))
			others = sorted(p for p in people if p and p not in mine)
			if others:
				candidates[(doctype, row.name)] = {
					"doctype": doctype,
					"name": row.name,
					"title": row.get(TITLE_FIELD[doctype]),
					"users": others,
				}

	if doc.doctype == "CX Lead":
		phones = [phone for phone in phones if phone]
		collect(
			"CX Lead",
			{"email": [email], "mobile_no": phones, "phone": phones, "organization_name": [organization]},
		)
		collect("CX Customer", {"email_id": [email], "customer_name": [organization]})
	elif doc.get("customer"):
		collect("CX Opportunity", {"customer": [doc.customer]})
		collect("CX Customer", {"name": [doc.customer]})
	elif doc.get("lead"):
		collect("CX Opportunity", {"lead": [doc.lead]})
		collect("CX Lead", {"name": [doc.lead]})
	return list(candidates.values())[: MATCH_LIMIT * 2]


def show_warning(matches: list[dict]) -> None:
	"""Name the people who work the matches; name a record itself only if the user may read it, so the
	warning cannot be used to probe the base for records one may not see."""
	items = "".join(f"<li>{describe(match)}</li>" for match in matches)
	frappe.msgprint(
		_("Other users already work with this contact or organisation:") + f"<ul>{items}</ul>",
		title=_("Already Being Worked"),
		indicator="orange",
	)


def describe(match: dict) -> str:
	people = ", ".join(frappe.utils.escape_html(get_fullname(user)) for user in match["users"])
	if frappe.has_permission(match["doctype"], "read", match["name"]):
		title = frappe.utils.escape_html(match["title"] or match["name"])
		link = get_link_to_form(match["doctype"], match["name"], title)
		return f"{RECORD_LABEL[match['doctype']]}: {link} ({people})"
	return str(UNREADABLE[match["doctype"]]).format(people)
