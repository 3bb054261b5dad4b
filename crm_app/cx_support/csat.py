"""Customer satisfaction (CSAT): a rating link when an issue is resolved, the rating itself, the roll-up.

When a saved issue changes to Resolved and has no rating yet, the server stamps `csat_requested_on` and,
once the save commits, a job emails the raiser the Email Template "CX Rate Your Support" (editable; made
on install and migrate when missing) with a signed link to /csat. The link's token binds the issue and
that request time (crm_app/core/service/csat.py), so it cannot be forged for another issue, and a later
request retires it; once the rating is stored the link is refused. The rating fields are read-only and
written here with `frappe.db.set_value`; the customer's `satisfaction_score` is the average of its rated
issues, recomputed by one aggregate query whenever one of them changes.
"""

from urllib.parse import urlencode

import frappe
from frappe import _
from frappe.query_builder.functions import Avg
from frappe.rate_limiter import rate_limit
from frappe.utils import flt, get_datetime, get_url, now_datetime, validate_email_address
from frappe.utils.html_utils import sanitize_html
from frappe.utils.password import get_encryption_key

from crm_app.core.service import csat as rules
from crm_app.cx_support.notifications import shipped_email
from crm_app.exceptions import RatingInputError, RatingLinkError, RatingNotAwaitedError
from crm_app.languages import read_directory, site_language, speaking
from crm_app.utils import core_message

ISSUE = "CX Issue"
TEMPLATE = "CX Rate Your Support"
SEND_METHOD = "crm_app.cx_support.csat.send_rating_request"
ISSUE_FIELDS = ("name", "subject", "status", "customer", "csat_requested_on", "csat_rating")

# The shipped text (crm_app/templates/emails, where the translations' extractor reads its sentences).
TEMPLATE_SUBJECT, TEMPLATE_BODY = shipped_email("cx_rate_your_support")


def signing_key() -> bytes:
	return rules.derive_key(get_encryption_key())


def rating_url(issue: str, requested_on, rating: int | None = None) -> str:
	params = {"issue": issue, "token": rules.sign(signing_key(), issue, get_datetime(requested_on))}
	if rating:
		params["rating"] = rating
	return get_url(f"/csat?{urlencode(params)}")


# -- asking ------------------------------------------------------------------------------------------


def on_issue_update(doc, method=None) -> None:
	"""CX Issue `on_update`: ask for a rating when a saved issue becomes Resolved (once per resolution, and
	not again once rated); keep the customer's score right when a rated issue changes customer."""
	before = doc.get_doc_before_save()
	if before and doc.csat_rating and before.customer != doc.customer:
		for customer in {before.customer, doc.customer} - {None, ""}:
			roll_up_customer(customer)
	# New records (imports of old tickets, demo data) and bulk runs never email customers.
	if not before or before.status == "Resolved" or doc.status != "Resolved":
		return
	if doc.csat_rating or frappe.flags.in_import or frappe.flags.in_migrate or frappe.flags.in_install:
		return
	if not recipient_of(doc):
		return
	requested_on = now_datetime()
	frappe.db.set_value(ISSUE, doc.name, "csat_requested_on", requested_on, update_modified=False)
	doc.csat_requested_on = requested_on
	frappe.enqueue(
		SEND_METHOD,
		queue="short",
		enqueue_after_commit=True,
		issue=doc.name,
		requested_on=rules.canonical_time(requested_on),
	)


def on_issue_delete(doc, method=None) -> None:
	"""CX Issue `after_delete`: a rated issue leaves its customer's score."""
	if doc.csat_rating and doc.customer:
		roll_up_customer(doc.customer)


def recipient_of(issue) -> str | None:
	"""Who is asked: the raiser, else the primary email of the issue's contact."""
	for address in (
		issue.get("raised_by"),
		issue.get("contact") and frappe.db.get_value("Contact", issue.get("contact"), "email_id"),
	):
		valid = validate_email_address((address or "").strip())
		if valid and "," not in valid:
			return valid
	return None


def send_rating_request(issue: str, requested_on: str) -> None:
	"""The job: email the rating link of this request, unless a later request or a rating superseded it."""
	doc = frappe.get_doc(ISSUE, issue) if frappe.db.exists(ISSUE, issue) else None
	if not doc or not doc.csat_requested_on:
		return
	if rules.canonical_time(get_datetime(doc.csat_requested_on)) != requested_on:
		return
	if rules.waiting_problem(get_datetime(doc.csat_requested_on), doc.csat_rating, doc.status):
		return
	recipient = recipient_of(doc)
	if not recipient:
		return
	language = recipient_language(doc, recipient)
	subject, message = render_request(doc, language)
	with speaking(language):  # Frappe's footer and unsubscribe line in that language too
		frappe.sendmail(
			recipients=[recipient],
			subject=subject,
			message=message,
			reference_doctype=ISSUE,
			reference_name=doc.name,
		)


def recipient_language(doc, recipient: str) -> str:
	"""The raiser's language (crm_app/core/recipient_language.py): their contact's, else the customer's,
	else the issue's, else the site's."""
	contact, customer = doc.get("contact"), doc.get("customer")
	directory = read_directory(
		emails=[recipient], contacts=[contact] if contact else [], customers=[customer] if customer else []
	)
	return directory.address(
		recipient,
		contact=contact,
		party=("CX Customer", customer) if customer else None,
		conversation=doc.get("language"),
	)


def render_request(doc, language: str | None = None) -> tuple[str, str]:
	"""Subject and body of the rating email, in `language` (by default the raiser's)."""
	install_email_template()
	template = frappe.get_doc("Email Template", TEMPLATE)
	context = {
		"doc": doc,
		"issue": doc,
		"rating_url": rating_url(doc.name, doc.csat_requested_on),
		"rating_links": [
			(rating, rating_url(doc.name, doc.csat_requested_on, rating))
			for rating in range(rules.RATING_MIN, rules.RATING_MAX + 1)
		],
	}
	if language is None:
		recipient = recipient_of(doc)
		language = recipient_language(doc, recipient) if recipient else site_language()
	with speaking(language):
		return template.get_formatted_subject(context), template.get_formatted_response(context)


def install_email_template() -> None:
	"""Ship the rating email as an Email Template a manager may edit; never overwrite their edits."""
	if frappe.db.exists("Email Template", TEMPLATE):
		return
	frappe.get_doc(
		{
			"doctype": "Email Template",
			"name": TEMPLATE,
			"subject": TEMPLATE_SUBJECT,
			"use_html": 1,
			"response_html": TEMPLATE_BODY,
		}
	).insert(ignore_permissions=True)


# -- rating ------------------------------------------------------------------------------------------


def read_issue(issue: str, for_update: bool = False):
	if not isinstance(issue, str) or not issue:
		return None
	return frappe.db.get_value(ISSUE, issue, ISSUE_FIELDS, as_dict=True, for_update=for_update)


def link_matches(row, issue: str, token: str) -> bool:
	requested_on = get_datetime(row.csat_requested_on) if row and row.csat_requested_on else None
	return bool(row) and rules.token_matches(signing_key(), issue, requested_on, token)


def check_link(row, issue: str, token: str) -> None:
	"""RatingLinkError, in the same words for an unknown issue, a tampered token and a superseded one."""
	if not link_matches(row, issue, token):
		frappe.throw(
			_("This rating link is not valid. Please use the latest link we emailed you."),
			RatingLinkError,
			title=_("Invalid Link"),
		)


def link_state(issue: str, token: str) -> dict:
	"""What /csat shows for a link: `invalid` (no details at all), `rated`, `closed` or `open` (the form)."""
	row = read_issue(issue)
	if not link_matches(row, issue, token):
		return {"state": "invalid"}
	problem = rules.waiting_problem(get_datetime(row.csat_requested_on), row.csat_rating, row.status)
	state = {rules.ALREADY_RATED: "rated", rules.REOPENED: "closed"}.get(problem, "open")
	return {"state": state, "issue": row.name, "subject": row.subject, "rating": row.csat_rating}


@frappe.whitelist(allow_guest=True, methods=["POST"])
@rate_limit(limit=20, seconds=60 * 60)
def submit_rating(issue: str, token: str, rating: int, comment: str = "") -> dict:
	"""Store the rating of a rating link (1-5, a comment of at most 2,000 characters), once."""
	check_link(read_issue(issue), issue, token)
	try:
		rating, comment = rules.clean_rating(rating, comment if isinstance(comment, str) else "")
	except (rules.RatingOutOfRange, rules.CommentTooLong) as error:
		frappe.throw(core_message(error), RatingInputError)
	# Locked from here to the write: two submissions of one link cannot both pass the check.
	row = read_issue(issue, for_update=True)
	check_link(row, issue, token)
	try:
		rules.check_awaiting(get_datetime(row.csat_requested_on), row.csat_rating, row.status)
	except rules.RatingNotAwaited as error:
		frappe.throw(not_awaited_message(error.reason), RatingNotAwaitedError)
	frappe.db.set_value(
		ISSUE,
		row.name,
		{
			"csat_rating": rating,
			"csat_comment": sanitize_html(comment) if "<" in comment or ">" in comment else comment,
			"csat_rated_on": now_datetime(),
		},
		update_modified=False,
	)
	if row.customer:
		roll_up_customer(row.customer)
	return {"issue": row.name, "rating": rating}


def not_awaited_message(reason: str) -> str:
	if reason == rules.ALREADY_RATED:
		return _("This issue has already been rated. Thank you!")
	if reason == rules.REOPENED:
		return _("This issue was reopened; you can rate it once it is resolved again.")
	return _("This issue is not waiting for a rating.")


def roll_up_customer(customer: str) -> None:
	"""CX Customer.satisfaction_score: the average rating of the customer's rated issues (0 when none)."""
	issue = frappe.qb.DocType(ISSUE)
	average = (
		frappe.qb.from_(issue)
		.select(Avg(issue.csat_rating))
		.where((issue.customer == customer) & issue.csat_rating.between(rules.RATING_MIN, rules.RATING_MAX))
		.run()[0][0]
	)
	if frappe.db.exists("CX Customer", customer):
		frappe.db.set_value(
			"CX Customer", customer, "satisfaction_score", flt(average, 2), update_modified=False
		)
