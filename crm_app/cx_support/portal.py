"""The customer portal of CX Issue (/support, /support/<name>) and the guest request form (/support-request).

Who sees what: a logged-in user who is a Contact (`Contact.user` is them, or their email is among the
contact's emails) sees the issues of those contacts and of the CX Customers the contacts link to, and
nothing else. Website users have no DocType permission on CX Issue or Communication, so the desk API
(`frappe.client`, `/api/resource`, reports, search) keeps refusing them; the portal pages read through this
module only, and `has_website_permission` (Frappe's print view) asks the same question. The three writes
below run on the portal's own authority after that check: a reply, a new issue, a guest request.
"""

import json
import time
from urllib.parse import quote

import frappe
from frappe import _
from frappe.client import get_count as frappe_get_count
from frappe.query_builder import Criterion
from frappe.query_builder.functions import Max
from frappe.rate_limiter import rate_limit
from frappe.utils import get_fullname, validate_email_address
from frappe.utils.html_utils import clean_email_html
from frappe.utils.password import get_encryption_key

from crm_app.core.service import portal as rules
from crm_app.cx_support.mail import language_of
from crm_app.exceptions import InvalidFilterError, IssueClosedError, PortalInputError, SpamSubmissionError
from crm_app.languages import CONTACT_LANGUAGE
from crm_app.utils import app_modules

ISSUE = "CX Issue"
PAGE_SIZE = 20
MAX_MESSAGES = 500
# A customer's answer puts an issue the desk considered answered or done back in the queue.
REOPENED_BY_REPLY = ("Replied", "Resolved")
# Indexes the portal's reads need on a big site (added on install and migrate).
INDEXES = (
	("CX Issue", ("contact", "modified"), "cx_issue_contact_index"),
	("Contact", ("user",), "cx_contact_user_index"),
	("Contact Email", ("email_id",), "cx_contact_email_index"),
)
FIELD_LABELS = {"subject": "Subject", "description": "Description", "message": "Message"}


# -- who is who --------------------------------------------------------------------------------------


def user_email(user: str) -> str | None:
	if not user or user == "Guest":
		return None
	return frappe.db.get_value("User", {"name": user, "enabled": 1}, "email")


def contacts_of(user: str) -> list[str]:
	"""The contacts `user` is: Contact.user first, then contacts listing the user's email."""
	email = user_email(user)
	if not email:
		return []
	by_user = frappe.get_all("Contact", {"user": user}, pluck="name", order_by="creation asc")
	by_email = frappe.get_all(
		"Contact Email", {"parenttype": "Contact", "email_id": email}, pluck="parent", order_by="creation asc"
	)
	return list(dict.fromkeys([*by_user, *by_email]))


def issue_contact(user: str) -> str | None:
	"""The contact a new portal issue is raised by: one linked to a customer (Contact.user first), else any.
	Frappe gives every user a Contact of their own, which links to nothing."""
	contacts = contacts_of(user)
	linked = set(
		frappe.get_all(
			"Dynamic Link",
			{"parenttype": "Contact", "parent": ("in", contacts or [""]), "link_doctype": "CX Customer"},
			pluck="parent",
		)
	)
	return next((contact for contact in contacts if contact in linked), contacts[0] if contacts else None)


def customers_of(contacts: list[str]) -> list[str]:
	if not contacts:
		return []
	return frappe.get_all(
		"Dynamic Link",
		{"parenttype": "Contact", "parent": ("in", contacts), "link_doctype": "CX Customer"},
		pluck="link_name",
		distinct=True,
		order_by=None,
	)


def issue_scope(user: str) -> Criterion | None:
	"""The issues `user` reaches as a query-builder criterion, or None when they reach none."""
	contacts = contacts_of(user)
	if not contacts:
		return None
	issue = frappe.qb.DocType(ISSUE)
	criterion = issue.contact.isin(contacts)
	customers = customers_of(contacts)
	if customers:
		criterion |= issue.customer.isin(customers)
	return criterion


def owns_issue(name: str, user: str) -> bool:
	scope = issue_scope(user)
	if scope is None or not isinstance(name, str) or not name:
		return False
	issue = frappe.qb.DocType(ISSUE)
	return bool(
		frappe.qb.from_(issue).select(issue.name).where(issue.name == name).where(scope).limit(1).run()
	)


def check_owns_issue(name: str, user: str | None = None) -> str:
	"""`name` if `user` reaches it; else PermissionError, in the same words whether it exists or not."""
	if not owns_issue(name, user or frappe.session.user):
		frappe.throw(
			_("This issue does not exist or is not one of yours."),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)
	return name


def has_website_permission(doc, ptype: str = "read", user: str | None = None, verbose: bool = False) -> bool:
	"""`has_website_permission` hook of CX Issue: a portal user reads (never writes) their own issues."""
	return bool(doc) and ptype == "read" and owns_issue(doc.name, user or frappe.session.user)


# -- pages -------------------------------------------------------------------------------------------


def require_login(route: str) -> None:
	if frappe.session.user == "Guest":
		frappe.local.flags.redirect_location = f"/login?redirect-to={quote(route)}"
		raise frappe.Redirect


def list_issues(user: str, start: int = 0, limit: int = PAGE_SIZE) -> tuple[list[dict], bool]:
	"""A page of the user's issues, last changed first, and whether there are more."""
	scope = issue_scope(user)
	if scope is None:
		return [], False
	issue = frappe.qb.DocType(ISSUE)
	rows = (
		frappe.qb.from_(issue)
		.select(issue.name, issue.subject, issue.status, issue.priority, issue.opened_on, issue.modified)
		.where(scope)
		.orderby(issue.modified, order=frappe.qb.desc)
		.limit(limit + 1)
		.offset(max(start, 0))
		.run(as_dict=True)
	)
	more = len(rows) > limit
	rows = rows[:limit]
	latest = last_messages([row.name for row in rows])
	for row in rows:
		row.last_update = max(row.modified, latest.get(row.name) or row.modified)
		row.route = f"/support/{quote(row.name)}"
	return rows, more


def last_messages(names: list[str]) -> dict:
	"""When each issue last had a message in its public conversation (one grouped read)."""
	if not names:
		return {}
	comm = frappe.qb.DocType("Communication")
	rows = (
		frappe.qb.from_(comm)
		.select(comm.reference_name, Max(comm.communication_date))
		.where(public_messages(comm) & comm.reference_name.isin(names))
		.groupby(comm.reference_name)
		.run()
	)
	return dict(rows)


def public_messages(comm) -> Criterion:
	"""The emails of an issue: sent and received, never comments, notes or automatic messages."""
	return (
		(comm.reference_doctype == ISSUE)
		& (comm.communication_type == "Communication")
		& (comm.communication_medium == "Email")
		& comm.sent_or_received.isin(("Sent", "Received"))
	)


def issue_page(name: str, user: str) -> dict:
	"""Everything /support/<name> shows; PermissionError when the issue is not the user's."""
	check_owns_issue(name, user)
	issue = frappe.db.get_value(
		ISSUE,
		name,
		["name", "subject", "status", "priority", "opened_on", "resolved_on", "modified", "description"],
		as_dict=True,
	)
	issue.description = clean_email_html(issue.description or "")
	issue.can_reply = issue.status != "Closed"
	return {"issue": issue, "messages": conversation(name, user_email(user))}


def conversation(name: str, own_email: str | None = None) -> list[dict]:
	comm = frappe.qb.DocType("Communication")
	rows = (
		frappe.qb.from_(comm)
		.select(
			comm.name,
			comm.sender,
			comm.sender_full_name,
			comm.sent_or_received,
			comm.communication_date,
			comm.content,
		)
		.where(public_messages(comm) & (comm.reference_name == name))
		.orderby(comm.communication_date)
		.orderby(comm.creation)
		.limit(MAX_MESSAGES)
		.run(as_dict=True)
	)
	for row in rows:
		row.content = clean_email_html(row.content or "")
		row.mine = bool(own_email) and (row.sender or "").strip().lower() == own_email.lower()
		if row.mine:
			row.author = _("You")
		elif row.sent_or_received == "Sent":
			row.author = row.sender_full_name or _("Support")
		else:
			row.author = row.sender_full_name or row.sender or ""
	return rows


def new_form_stamp() -> str:
	"""The signed time a guest form is served at (the spam check's minimum fill time)."""
	return rules.form_stamp(stamp_key(), time.time())


def stamp_key() -> bytes:
	return get_encryption_key().encode()


# -- writes ------------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
@rate_limit(limit=60, seconds=60 * 60)
def reply(issue: str, message: str) -> dict:
	"""Add the portal user's message to their issue as a received email; reopen it if it was answered or
	resolved. Refused (PermissionError) for an issue that is not theirs, before anything else."""
	user = frappe.session.user
	check_owns_issue(issue, user)
	text = clean(message, "message", rules.BODY_MAX_CHARS)
	doc = frappe.get_doc(ISSUE, issue, for_update=True)
	if doc.status == "Closed":
		frappe.throw(
			_("This issue is closed. Please open a new issue and mention {0}.").format(doc.name),
			IssueClosedError,
		)
	if doc.status in REOPENED_BY_REPLY:
		# Saved before the email goes in: the status history and the SLA see the reopening, and Frappe
		# (which sets a Replied parent to Open with db_set) finds nothing left to do.
		doc.status = "Open"
		doc.save(ignore_permissions=True)
	comm = frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "Email",
			"sent_or_received": "Received",
			"sender": user_email(user),
			"sender_full_name": get_fullname(user),
			"subject": _("Re: {0}").format(doc.subject),
			"content": rules.text_to_html(text),
			"reference_doctype": ISSUE,
			"reference_name": doc.name,
		}
	)
	comm.flags.cx_portal_reply = True  # its sender was checked above (crm_app/cx_support/mail.py may skip it)
	comm.insert(ignore_permissions=True)
	return {"issue": doc.name, "status": doc.status, "communication": comm.name}


@frappe.whitelist(methods=["POST"])
@rate_limit(limit=20, seconds=60 * 60)
def create_issue(subject: str, description: str) -> dict:
	"""A new issue of the portal user's contact (and of its customer, when the contact has exactly one)."""
	user = frappe.session.user
	contact = issue_contact(user)
	if not contact:
		frappe.throw(
			_("Your account is not linked to a customer contact. Please ask your account manager."),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)
	doc = frappe.get_doc(
		{
			"doctype": ISSUE,
			"subject": clean(subject, "subject", rules.SUBJECT_MAX_CHARS),
			"description": rules.text_to_html(clean(description, "description", rules.BODY_MAX_CHARS)),
			"contact": contact,
			"raised_by": user_email(user),
			"channel": "Web",
			"language": written_in(subject, description, contact),
		}
	).insert(ignore_permissions=True)
	return {"issue": doc.name, "route": f"/support/{quote(doc.name)}"}


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limit(limit=5, seconds=60 * 60)
def submit_request(
	subject: str, email: str, description: str, homepage: str = "", form_stamp: str = ""
) -> dict:
	"""A support request from the public form (/support-request): a new Web issue raised by `email`.

	Five per hour per IP address (429 beyond); `homepage` is the honeypot and `form_stamp` the signed
	time the form was served (crm_app/core/service/portal.py). The email is not verified, so the issue
	is linked to no contact or customer: an agent links it, and until then no portal user sees it."""
	subject = clean(subject, "subject", rules.SUBJECT_MAX_CHARS)
	description = clean(description, "description", rules.BODY_MAX_CHARS)
	address = validate_email_address((email or "").strip()) if isinstance(email, str) else ""
	if not address or "," in address:
		frappe.throw(_("Please enter one valid email address."), PortalInputError)
	try:
		rules.check_not_spam(
			homepage, rules.stamp_age(stamp_key(), form_stamp, time.time()), subject, description
		)
	except rules.LooksLikeSpam as error:
		frappe.throw(spam_message(error.reason), SpamSubmissionError, title=_("Request Not Sent"))
	doc = frappe.get_doc(
		{
			"doctype": ISSUE,
			"subject": subject,
			"raised_by": address,
			"description": rules.text_to_html(description),
			"channel": "Web",
			"language": written_in(subject, description),
		}
	).insert(ignore_permissions=True)
	return {"issue": doc.name}


def written_in(subject: str, description: str, contact: str | None = None) -> str:
	"""The language of a new portal issue (routing and replies follow it): what the customer wrote in,
	near-ties going to their contact's language, else to the language they read the portal in. Always
	set: Frappe would otherwise fill the field with the site's default language."""
	preferred = frappe.db.get_value("Contact", contact, CONTACT_LANGUAGE) if contact else None
	hint = preferred or frappe.local.lang
	return language_of(subject, description, hint=hint) or hint


def clean(value: str, field: str, limit: int) -> str:
	try:
		return rules.clean_text(value if isinstance(value, str) else "", field, limit)
	except rules.EmptyText:
		frappe.throw(_("{0} is required.").format(_(FIELD_LABELS[field])), PortalInputError)
	except rules.TextTooLong as error:
		frappe.throw(
			_("{0} is too long: at most {1} characters.").format(_(FIELD_LABELS[field]), error.limit),
			PortalInputError,
		)


def spam_message(reason: str) -> str:
	if reason == rules.TOO_MANY_LINKS:
		return _("Your request contains too many links. Please remove some and send it again.")
	if reason == rules.TOO_FAST:
		return _("That was very fast. Please check your request and send it again in a few seconds.")
	return _("Your request could not be sent. Please reload the page and try again.")


# -- counts ------------------------------------------------------------------------------------------


@frappe.whitelist()
def get_count(
	doctype: str, filters: str | dict | list | None = None, debug: bool = False, cache: bool = False
) -> int:
	"""`frappe.client.get_count` (hooks.py, override_whitelisted_methods). Frappe's counts rows of any
	doctype for any logged-in user, with any filters: a website user could learn another customer's
	issues and emails one `like` filter at a time. Counts of the app's doctypes and of Communication
	go through `frappe.get_list`, under the user's permissions (a website user: PermissionError); the
	rest stays Frappe's. An unknown doctype or a filter on a field that does not exist is a 4xx."""
	if not isinstance(doctype, str) or not frappe.db.exists("DocType", doctype):
		frappe.throw(
			_("DocType {0} not found").format(frappe.bold(str(doctype)[:140])), frappe.DoesNotExistError
		)
	try:
		if not reads_limited(doctype):
			return frappe_get_count(doctype, filters, debug, cache)
		rows = frappe.get_list(
			doctype,
			filters=parse_filters(filters),
			fields=[f"count(distinct `tab{doctype}`.`name`) as total"],
			order_by="",
		)
	except (frappe.db.OperationalError, frappe.db.ProgrammingError) as error:
		if not frappe.db.is_missing_table_or_column(error):
			raise
		frappe.throw(_("The filters name a field or table that does not exist."), InvalidFilterError)
	return rows[0].total if rows else 0


def parse_filters(filters: str | dict | list | None) -> dict | list | None:
	if isinstance(filters, str):
		try:
			filters = json.loads(filters) if filters.strip() else None
		except ValueError:
			frappe.throw(_("The filters are not valid JSON."), InvalidFilterError)
	if filters is not None and not isinstance(filters, dict | list):
		frappe.throw(_("The filters must be a list or an object."), InvalidFilterError)
	return filters


def reads_limited(doctype: str) -> bool:
	return doctype == "Communication" or frappe.get_meta(doctype).module in app_modules()


# -- install -----------------------------------------------------------------------------------------


def add_indexes() -> None:
	for doctype, fields, index in INDEXES:
		frappe.db.add_index(doctype, list(fields), index)


def drop_indexes() -> None:
	for doctype, _fields, index in INDEXES:
		if frappe.db.table_exists(doctype):
			frappe.db.sql_ddl(f"alter table `tab{doctype}` drop index if exists `{index}`")
