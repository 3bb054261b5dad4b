"""Lead capture: leads from the website's web forms and from email, with the campaign that brought them.

Web form: every Web Form on CX Lead (the shipped /contact-us and any a marketer makes) is posted through
`accept_web_form` (hooks.py overrides Frappe's `accept`): a per-address rate limit, the spam check
(crm_app/core/marketing/capture.py), only the form's own fields (never owner, status or what the lead
became), then `capture_lead`. The page gets the UTM values of the visitor's first landing, a hidden
honeypot and a signed form stamp from public/js/lead_capture_form.js (added by `add_form_script`).

Email: an Email Account with Append To = CX Lead. Frappe makes a lead of an email from a new sender
(email = sender, first name = display name, `email_account` and `email_subject` set); `before_lead_insert`
splits the name and sets the source "Email". A sender who has an open lead gets no second one: the email
threads onto that lead (Frappe's own fallback for a record that exists).

Every captured lead: a submission whose email is that of an open lead is put on that lead as a comment
for whoever works it, and nothing else: no field of the lead is written and no campaign touch credited
(`note_on_open_lead` says why); otherwise the lead is inserted, scored on save, handed out by the
Assignment Rules (its owner is the user a rule gives it to, else nobody), and the possible duplicates
the data-quality check finds are noted on it for review, never told to the guest.
"""

import json
import os
import time
from html import unescape

import frappe
from frappe import _
from frappe.utils import cint, escape_html, get_link_to_form, strip_html, validate_email_address
from frappe.website.doctype.web_form.web_form import get_form_data as frappe_get_form_data

from crm_app.core.marketing import capture as rules
from crm_app.core.service.portal import text_to_html
from crm_app.cx_data_quality import duplicates
from crm_app.cx_support.portal import stamp_key
from crm_app.exceptions import LeadCaptureRateLimitedError, LeadCaptureRefusedError

LEAD = "CX Lead"
WEB_FORM, EMAIL = "Web Form", "Email"
WEB_SOURCE, EMAIL_SOURCE = "Website", "Email"
CLOSED_STATUSES = ("Converted", "Lost")
HONEYPOT_FIELD, STAMP_FIELD = "homepage", "cx_form_stamp"
# Fields a form never sets, whichever fields a marketer puts on it: who works the lead, where it is in
# the funnel, what it became, whether it may be emailed. Read-only fields are the server's anyway.
GUARDED_FIELDS = frozenset(
	{
		"naming_series",
		"lead_owner",
		"assigned_user",
		"several_assignees",
		"status",
		"campaign",
		"customer",
		"opportunity",
		"converted_on",
		"converted_by",
		"email_opt_out",
		"territory",
	}
)
UNSETTABLE_TYPES = frozenset(
	{"Attach", "Attach Image", "Table", "Table MultiSelect", "Signature", "Password"}
)
SERVER_FIELDS = (*rules.UTM_KEYS, "email_account", "email_subject")
# Leads per client address: (count, seconds). Site config `lead_capture_limits` overrides, e.g. [[5, 60]].
DEFAULT_LIMITS = ((5, 60), (30, 60 * 60))
RECORD_TOUCH = "crm_app.cx_marketing.results.record_touch"


# -- the web form --------------------------------------------------------------------------------------


@frappe.whitelist(allow_guest=True, methods=["POST"])
def accept_web_form(web_form: str, data: str | dict) -> dict:
	"""Frappe's web form `accept` (hooks.py, override_whitelisted_methods). Forms on other doctypes go to
	Frappe's own; a form on CX Lead captures a lead and answers the same whatever happened (a new lead,
	an existing one completed), so a visitor learns nothing about the records there."""
	form = frappe.get_cached_doc("Web Form", web_form) if isinstance(web_form, str) else None
	if not form or form.doc_type != LEAD:
		from frappe.website.doctype.web_form.web_form import accept

		return accept(web_form, data if isinstance(data, str) else json.dumps(data))
	values = _parse(data)
	_check_form_open(form, values)
	check_rate_limit(getattr(frappe.local, "request_ip", None))
	fields = form_values(form, values)
	check_not_spam(values, fields)
	_quietly(capture_lead, fields, channel=WEB_FORM, utm=rules.utm_values(values))
	return {"doctype": LEAD, "received": True}


def _parse(data: str | dict) -> dict:
	if isinstance(data, str):
		try:
			data = json.loads(data)
		except ValueError:
			data = None
	if not isinstance(data, dict):
		frappe.throw(_("The form could not be read. Please reload the page."), LeadCaptureRefusedError)
	return data


def _check_form_open(form, values: dict) -> None:
	if not form.published or (form.login_required and frappe.session.user == "Guest"):
		frappe.throw(_("This form is not open."), frappe.PermissionError)
	if values.get("name"):
		# A captured lead is never edited through a form: its owner is nobody the visitor knows.
		frappe.throw(_("This form only sends new requests."), LeadCaptureRefusedError)


def form_values(form, values: dict) -> dict:
	"""The submitted values of the form's own fields that a visitor may set on a lead."""
	meta = frappe.get_meta(LEAD)
	allowed = {}
	for row in form.web_form_fields:
		df = meta.get_field(row.fieldname) if row.fieldname else None
		if not df or df.read_only or df.fieldname in GUARDED_FIELDS or df.fieldtype in UNSETTABLE_TYPES:
			continue
		value = values.get(df.fieldname)
		if isinstance(value, str):
			value = value.strip()
		if value in (None, "") and row.reqd:
			frappe.throw(_("{0} is required.").format(_(row.label or df.label)), frappe.MandatoryError)
		if value not in (None, ""):
			if not isinstance(value, str | int | float):
				frappe.throw(_("{0} is not valid.").format(_(row.label or df.label)), LeadCaptureRefusedError)
			if df.fieldtype == "Text Editor" and row.fieldtype != "Text Editor" and isinstance(value, str):
				value = text_to_html(value)  # typed as plain text: shown as typed, lines kept
			allowed[df.fieldname] = value
	return allowed


def check_rate_limit(address: str | None) -> None:
	"""Count this submission against the address's windows; refuse beyond any window's limit. Refused
	submissions count too, so a flood stays refused until it stops."""
	address = address or "unknown"
	now = int(time.time())
	pipe = frappe.cache.pipeline()
	windows = limits()
	for _limit, seconds in windows:
		key = frappe.cache.make_key(f"crm_app:lead-capture:{seconds}:{now // seconds}:{address}")
		pipe.incr(key)
		pipe.expire(key, seconds)
	counts = pipe.execute()[::2]
	if any(count > limit for count, (limit, _seconds) in zip(counts, windows, strict=True)):
		frappe.throw(
			_("Too many requests from your address. Please try again in a few minutes."),
			LeadCaptureRateLimitedError,
			title=_("Request Not Sent"),
		)


def limits() -> tuple[tuple[int, int], ...]:
	configured = frappe.conf.get("lead_capture_limits")
	if isinstance(configured, list) and all(isinstance(pair, list) and len(pair) == 2 for pair in configured):
		return tuple((cint(limit), max(cint(seconds), 1)) for limit, seconds in configured)
	return DEFAULT_LIMITS


def check_not_spam(values: dict, fields: dict) -> None:
	age = rules.stamp_age(stamp_key(), values.get(STAMP_FIELD), time.time())
	honeypot = values.get(HONEYPOT_FIELD)
	names = [fields.get(name) for name in ("first_name", "last_name", "organization_name", "job_title")]
	texts = [value for value in fields.values() if isinstance(value, str)]
	reason = rules.spam_reason(honeypot if isinstance(honeypot, str) else "x", age, names, texts)
	if reason:
		frappe.throw(spam_message(reason), LeadCaptureRefusedError, title=_("Request Not Sent"))


def spam_message(reason: str) -> str:
	if reason == rules.TOO_MANY_LINKS:
		return _("Your message contains too many links. Please remove some and send it again.")
	if reason == rules.TOO_FAST:
		return _("That was very fast. Please check your details and send them again in a few seconds.")
	if reason == rules.LINK_IN_NAME:
		return _("Please enter names without links.")
	return _("Your request could not be sent. Please reload the page and try again.")


def _quietly(fn, *args, **kwargs):
	"""Run `fn` without the desk's warnings (possible duplicates, other users working the contact): they
	would tell a visitor about records there. An error still shows its own message."""
	muted = frappe.flags.mute_messages
	frappe.flags.mute_messages = True
	try:
		return fn(*args, **kwargs)
	except frappe.ValidationError as error:
		frappe.flags.mute_messages = muted
		frappe.throw(str(error) or _("Your request could not be sent."), type(error))
	finally:
		frappe.flags.mute_messages = muted


def add_form_script(context) -> None:
	"""`update_website_context`: a CX Lead web form page gets the capture script (UTM values, honeypot,
	form stamp), whether the form is the shipped one or one a marketer made."""
	form = context.get("web_form_doc")
	if not form or form.get("doc_type") != LEAD:
		return
	if frappe.form_dict.name and not frappe.has_permission(LEAD, "read"):
		# Frappe shows a record to the website user who sent it (its owner), the whole record in the
		# page: a lead's score, owner and notes are the desk's.
		raise frappe.PermissionError(_("Not permitted"))
	if context.get("is_list"):
		return
	settings = {"stamp": rules.form_stamp(stamp_key(), time.time()), "honeypot": HONEYPOT_FIELD}
	context.script = "\n".join(
		filter(
			None, (context.get("script"), f"window.cx_lead_capture = {json.dumps(settings)};", form_script())
		)
	)


_form_script: tuple[float, str] | None = None  # (file mtime, source) of this worker's last read


def form_script() -> str:
	"""public/js/lead_capture_form.js, read once per worker and again only when the file changes."""
	global _form_script
	path = frappe.get_app_path("crm_app", "public", "js", "lead_capture_form.js")
	mtime = os.stat(path).st_mtime
	if _form_script is None or _form_script[0] != mtime:
		with open(path) as script:
			_form_script = (mtime, script.read())
	return _form_script[1]


@frappe.whitelist(allow_guest=True)
def get_form_data(doctype: str, docname: str | None = None, web_form_name: str | None = None):
	"""Frappe's `get_form_data` (hooks.py): a visitor never loads a record through a form. Frappe answers
	"not permitted" for a record that exists and "not found" for one that does not, which lets anyone
	probe names; a guest asking for any record is refused in the same words either way. A lead is loaded
	through a form only by those who may read leads in the desk (Frappe lets a website user load the
	whole lead they sent)."""
	if docname and (frappe.session.user == "Guest" or not _may_load_through_form(doctype, web_form_name)):
		frappe.throw(_("Not permitted"), frappe.PermissionError)
	out = frappe_get_form_data(doctype, docname, web_form_name)
	# Frappe finds the record itself for a single-entry form (edit-profile...) asked without a docname:
	# judge the record it returns, not only the name asked for.
	loaded = out.get("doc") if isinstance(out, dict) else None
	if loaded and loaded.get("doctype") == LEAD and not frappe.has_permission(LEAD, "read"):
		frappe.throw(_("Not permitted"), frappe.PermissionError)
	return out


def _may_load_through_form(doctype: str, web_form_name: str | None) -> bool:
	form_doctype = frappe.db.get_value("Web Form", web_form_name, "doc_type") if web_form_name else None
	return LEAD not in (doctype, form_doctype) or bool(frappe.has_permission(LEAD, "read"))


# -- capture -------------------------------------------------------------------------------------------


def capture_lead(values: dict, *, channel: str, utm: dict | None = None) -> str:
	"""Capture a lead: a new one with the touch of its UTM campaign, or, when an open lead has the email,
	a comment on that lead (note_on_open_lead). Returns the lead's name."""
	utm = {key: (utm or {}).get(key) for key in rules.UTM_KEYS}
	campaign = match_campaign(utm["utm_campaign"])
	email = _email(values.get("email"))
	existing = open_lead_with_email(email) if email else None
	if existing:
		note_on_open_lead(existing, values, campaign, channel)
		return existing
	source = values.get("source") or match_source(utm["utm_source"]) or default_source(channel)
	doc = frappe.new_doc(LEAD)
	doc.update({**values, "source": source, "campaign": campaign})
	mark_captured(doc, channel, utm)
	doc.insert(ignore_permissions=True)
	name = doc.name
	if campaign:
		frappe.get_attr(RECORD_TOUCH)(
			campaign,
			LEAD,
			name,
			"Captured",
			email=email or None,
			utm_source=utm["utm_source"],
			utm_medium=utm["utm_medium"],
		)
	return name


def note_on_open_lead(name: str, values: dict, campaign: str | None, channel: str) -> None:
	"""A submission with the email of an open lead: a comment on that lead with what was sent, for
	whoever works it (their timeline and the 360 panel show it), and nothing else.

	Not a second lead: the sales team would work one person twice (a rule may hand the copy to someone
	else) and merge it later. Not the old fill-in either: whoever posts the form proves no claim to the
	address, so a stranger could write into the lead (names, phone, campaign) or credit a campaign touch
	to it, moving the attribution of its won deals. The lead's owner reads the comment and decides."""
	meta = frappe.get_meta(LEAD)
	items = "".join(
		f"<li>{escape_html(_(meta.get_label(field)))}: {escape_html(_as_text(value))}</li>"
		for field, value in values.items()
	)
	text = _("Sent again through {0} with this lead's email (not verified); nothing on the lead was changed:")
	if campaign:
		items += "<li>{}</li>".format(
			escape_html(_("Campaign of the link: {0} (no touch credited)").format(campaign))
		)
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Comment",
			"reference_doctype": LEAD,
			"reference_name": name,
			"comment_email": _email(values.get("email")) or None,
			"comment_by": " ".join(
				filter(None, (_as_text(values.get("first_name")), _as_text(values.get("last_name"))))
			),
			"content": f"{escape_html(text.format(_(channel)))}<ul>{items}</ul>",
		}
	).insert(ignore_permissions=True)


def _as_text(value) -> str:
	"""A submitted value as plain text (a typed message arrives as escaped HTML: text_to_html)."""
	return unescape(strip_html(value)) if isinstance(value, str) else ("" if value is None else str(value))


def mark_captured(doc, channel: str, server_values: dict) -> None:
	doc.flags.cx_captured = channel
	doc.flags.cx_server_values = {key: value for key, value in server_values.items() if value}
	# The desk's live warning names matches to the user saving; a captured lead's are noted on it instead.
	doc.flags.cx_skip_duplicate_check = True


def open_lead_with_email(email: str) -> str | None:
	"""The oldest open lead with this address (the collation ignores case)."""
	found = frappe.get_all(
		LEAD,
		filters={"email": email, "status": ("not in", CLOSED_STATUSES)},
		pluck="name",
		order_by="creation asc",
		limit=1,
	)
	return found[0] if found else None


def match_campaign(utm_campaign: str | None) -> str | None:
	"""The CX Campaign that utm_campaign names: its name or campaign name (the collation ignores case),
	or its slug ("spring-sale-2026" for "Spring Sale 2026", the indexed CX Campaign.utm_slug; the newest
	campaign where two names make one slug)."""
	if not utm_campaign:
		return None
	exact = frappe.db.get_value("CX Campaign", {"name": utm_campaign}) or frappe.db.get_value(
		"CX Campaign", {"campaign_name": utm_campaign}
	)
	if exact:
		return exact
	wanted = rules.slug(utm_campaign)
	if not wanted:
		return None
	found = frappe.get_all(
		"CX Campaign", filters={"utm_slug": wanted}, pluck="name", order_by="creation desc", limit=1
	)
	return found[0] if found else None


def match_source(utm_source: str | None) -> str | None:
	if not utm_source:
		return None
	return frappe.db.get_value("CX Lead Source", {"name": utm_source}) or rules.match_name(
		utm_source, frappe.get_all("CX Lead Source", pluck="name", limit=1_000)
	)


def default_source(channel: str) -> str | None:
	source = EMAIL_SOURCE if channel == EMAIL else WEB_SOURCE
	if not frappe.db.exists("CX Lead Source", source):
		# A site may have deleted the seeded source; "Email" is made the first time a lead comes by email.
		if channel != EMAIL:
			return None
		frappe.get_doc({"doctype": "CX Lead Source", "source_name": source}).insert(ignore_permissions=True)
	return source


def _email(value) -> str:
	if not isinstance(value, str) or not value.strip():
		return ""
	return validate_email_address(value.strip()) or ""


# -- CX Lead and ToDo doc_events -----------------------------------------------------------------------


def before_lead_insert(doc, method=None) -> None:
	"""A lead Frappe makes from an email (it sets the receiving account and skips mandatory checks): the
	sender's display name becomes first and last name, the source "Email". A sender with an open lead
	gets none: DuplicateEntryError makes Frappe thread the email onto the lead with that address."""
	if not (doc.flags.ignore_mandatory and doc.email_account and not doc.flags.cx_captured):
		return
	email = _email(doc.email)
	if email and open_lead_with_email(email):
		raise frappe.DuplicateEntryError(LEAD, email)
	doc.first_name, doc.last_name = rules.split_display_name(doc.first_name, email)
	if not (doc.first_name or doc.last_name or doc.organization_name):
		doc.organization_name = email  # nothing else names the lead
	doc.source = doc.source or default_source(EMAIL)
	server_values = {"email_account": doc.email_account, "email_subject": (doc.email_subject or "")[:140]}
	mark_captured(doc, EMAIL, server_values)


def validate_lead(doc, method=None) -> None:
	"""After the server's read-only fields were restored: put back what capture set (UTM values, the
	receiving account), and leave the owner to the assignment rules."""
	if not doc.flags.cx_captured:
		return
	doc.update(doc.flags.cx_server_values or {})
	if doc.is_new():
		doc.lead_owner = None


def after_lead_insert(doc, method=None) -> None:
	if doc.flags.cx_captured:
		note_possible_duplicates(doc)


def note_possible_duplicates(doc) -> list[str]:
	"""The data-quality check's matches, as a comment on the lead for whoever reviews it (the nightly or
	manual scan files them as a duplicate group too)."""
	found = duplicates.possible_duplicates(doc)
	if not found:
		return []
	items = "".join(
		f"<li>{get_link_to_form(LEAD, other.ref)}: {escape_html(duplicates.describe_reasons(match.reasons))}"
		f" ({round(match.score * 100)}%)</li>"
		for other, match in found
	)
	doc.add_comment("Info", _("Possible duplicate of:") + f"<ul>{items}</ul>")
	return [other.ref for other, _match in found]


def thread_onto_open_lead(comm, method=None) -> None:
	"""Communication `before_insert`: Frappe threads an email from a known sender onto the first lead with
	that address, which may be a lost or converted one; the sender's open lead takes it."""
	if comm.reference_doctype != LEAD or comm.sent_or_received != "Received" or not comm.reference_name:
		return
	if frappe.db.get_value(LEAD, comm.reference_name, "status") not in CLOSED_STATUSES:
		return
	open_lead = open_lead_with_email(_email(comm.sender))
	if open_lead:
		comm.reference_name = open_lead


def on_assignment(todo, method=None) -> None:
	"""ToDo `on_update`: a lead nobody owns (a captured one) is owned by the user a rule assigns it to."""
	if todo.reference_type != LEAD or not todo.assignment_rule or todo.status != "Open":
		return
	if todo.get_doc_before_save():  # a new assignment only
		return
	if frappe.db.get_value(LEAD, todo.reference_name, "lead_owner"):
		return
	frappe.get_doc(LEAD, todo.reference_name).db_set("lead_owner", todo.allocated_to, update_modified=False)
