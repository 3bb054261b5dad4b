"""Campaign email: personalised Email Templates queued per member through Frappe's Email Queue.

A send is one run per step (`queue_step`): members are read in batches of BATCH after a cursor (segment
member id, lead name or, for later drip steps, the previous step's recipient row id); per batch the
opted-out are skipped, each member's template is rendered, and one Email Queue row, its recipient row
and one `CX Campaign Email Recipient` row per member go in with multi-row INSERTs, committed with the
run's cursor (`crm_app.jobs.run_resumable`: a killed worker resumes after the last batch). The unique
index (campaign_email, step, member_doctype, member_name) makes a second queueing impossible, whatever
runs twice. Frappe's scheduler sends the queue later; Email Queue `send_after` carries the throttle and
the send window.

Opt-out: a member is skipped when the address is globally unsubscribed (Frappe's `Email Unsubscribe`,
global), unsubscribed from THIS list (an `Email Unsubscribe` referencing the segment, or the campaign
when there is no segment), or when a lead or contact with that address opted out (`CX Lead.email_opt_out`,
`Contact.unsubscribed`). Each mail's unsubscribe link is Frappe's own signed
`frappe.email.queue.unsubscribe` for that list only.
"""

import json
import re
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import frappe
from frappe import _
from frappe.email.doctype.email_account.email_account import EmailAccount
from frappe.email.email_body import get_footer
from frappe.email.queue import get_unsubscribe_message
from frappe.model.naming import make_autoname
from frappe.utils import (
	EMAIL_MATCH_PATTERN,
	cint,
	get_datetime,
	get_system_timezone,
	get_url,
	now_datetime,
	scrub_urls,
)
from frappe.utils.verified_command import get_signed_params
from jinja2.sandbox import SandboxedEnvironment

from crm_app import jobs
from crm_app.core.marketing.mail import MailLayout, MailSkeleton, SendClock, SendScheduleError, address
from crm_app.cx_marketing import optout, tracking
from crm_app.exceptions import CampaignEmailError, CampaignEmailStateError
from crm_app.languages import group, read_directory, speaking
from crm_app.utils import core_message

EMAIL = "CX Campaign Email"
RECIPIENT = "CX Campaign Email Recipient"
MEMBER_DOCTYPES = ("CX Lead", "CX Customer", "Contact")
BATCH = 500
# The mail text of one INSERT: well under MariaDB's max_allowed_packet (16 MiB by default), whatever the
# size of a template.
STATEMENT_BYTES = 4 * 2**20
UNSUBSCRIBE_METHOD = "/api/method/frappe.email.queue.unsubscribe"
FOOTER_STYLE = "margin-top:40px;font-size:12px;line-height:20px;color:#7c7c7c"
FOOTER_LINK_STYLE = "color:#7c7c7c;text-decoration:underline"
# A drip goes on for members whose previous step reached them; a bounce, a reply or a failure stops it.
DRIP_CONTINUES = ("Queued", "Sent", "Opened")
STARTABLE = ("Draft", "Scheduled", "Paused", "Failed")
OPT_OUT_REASONS = {
	"global": "Unsubscribed from all email",
	"list": "Unsubscribed from this list",
	"opt_out": "Opted out of email",
}
ERROR_LENGTH = 1000
# The columns each row has its own value for; those with one value for a whole batch (creation, owner,
# the campaign email...) are passed to insert_rows as constants.
LOG_FIELDS = (
	"member_doctype",
	"member_name",
	"email",
	"status",
	"reason",
	"error",
	"email_queue",
	"send_after",
)
QUEUE_FIELDS = ("name", "message", "message_id", "send_after")
QUEUE_RECIPIENT_FIELDS = ("name", "parent", "recipient")


# -- the desk's buttons ------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def start_send(campaign_email: str) -> dict:
	"""Send now, or schedule for `send_after`. Refused while sending or once sent: never twice."""
	doc = frappe.get_doc(EMAIL, campaign_email)
	doc.check_permission("write")
	status = frappe.db.get_value(EMAIL, doc.name, "status", for_update=True)  # two clicks: one wins
	if status == "Sending":
		frappe.throw(
			_("Campaign email {0} is already being sent; it was not started again.").format(doc.name),
			CampaignEmailStateError,
		)
	if status not in STARTABLE:
		frappe.throw(_("Campaign email {0} has been sent already.").format(doc.name), CampaignEmailStateError)
	plan = SendPlan(doc)  # refuses what cannot be sent before anything changes
	plan.compile_step(1)
	_account = plan.account
	due = not doc.send_after or get_datetime(doc.send_after) <= now_datetime()
	set_values(
		doc.name,
		status="Sending" if due else "Scheduled",
		last_error=None,
		started_on=now_datetime() if due else None,
		members=audience_size(doc),
	)
	if due:
		enqueue_step(doc.name, 1)  # a restart: members already reached are skipped; the tick does the rest
	return {"status": "Sending" if due else "Scheduled"}


@frappe.whitelist(methods=["POST"])
def pause_send(campaign_email: str) -> dict:
	"""Stop queueing, and take back the mails still waiting in the Email Queue; starting again sends
	them (and the rest) later, each member still once."""
	doc = frappe.get_doc(EMAIL, campaign_email)
	doc.check_permission("write")
	status = frappe.db.get_value(EMAIL, doc.name, "status", for_update=True)
	if status not in ("Sending", "Scheduled"):
		frappe.throw(
			_("Only a campaign email being sent or scheduled can be paused."), CampaignEmailStateError
		)
	set_values(doc.name, status="Paused")
	withdrawn = withdraw_unsent(doc.name)
	recount(doc.name)
	return {"status": "Paused", "withdrawn": withdrawn}


@frappe.whitelist(methods=["GET"])
def preview(campaign_email: str, member_doctype: str, member_name: str, step: int = 1) -> dict:
	"""The subject and body one member would get from a step: read permission on the campaign email
	and on the member."""
	doc = frappe.get_doc(EMAIL, campaign_email)
	doc.check_permission("read")
	if member_doctype not in MEMBER_DOCTYPES:
		frappe.throw(_("A member is a lead, a customer or a contact."), CampaignEmailError)
	member = frappe.get_doc(member_doctype, member_name)
	member.check_permission("read")
	plan = SendPlan(doc)
	compiled = plan.compile_step(cint(step) or 1)
	# the record as the send reads it (crm_app/cx_marketing/sends.py member_records)
	record = frappe.get_all(member_doctype, {"name": member.name}, ["*"])[0]
	target = {"member_doctype": member_doctype, "member_name": member.name, "record": record}
	target["email"] = member_email(member_doctype, record)
	try:
		with speaking(member_languages([target])(target)):  # in the member's language, as sent
			subject, body = plan.render(compiled, record, unsubscribe_url="#unsubscribe")
	except Exception as error:
		frappe.throw(_("The template fails for this member: {0}").format(error), CampaignEmailError)
	return {"subject": subject, "html": body, "email": member_email(member_doctype, record)}


# -- what a send reads ---------------------------------------------------------------------------------


def audience_size(doc) -> int:
	if doc.segment:
		# by the segment's key, which the member table is indexed on (not its name)
		return frappe.get_attr("crm_app.cx_marketing.segments.live_count")(doc.segment)
	return frappe.db.count("CX Lead", {"campaign": doc.campaign})


def member_email(member_doctype: str, record) -> str:
	if member_doctype == "Contact":
		return record.get("email_id") or ""
	if member_doctype == "CX Customer":
		return record.get("email_id") or record.get("email") or ""
	return record.get("email") or ""


def read_members(doc, step: int, cursor: str, delay_days: int) -> list[dict]:
	"""The next batch of a step's audience after `cursor`: dicts with cursor, member_doctype,
	member_name, email."""
	if step > 1:
		return previous_step_due(doc.name, step, cint(cursor or 0), delay_days)
	if doc.segment:
		active_members = frappe.get_attr("crm_app.cx_marketing.segments.active_members")
		rows = active_members(doc.segment, after=cint(cursor or 0), limit=BATCH)
		return [
			{
				"cursor": str(row["id"]),
				"member_doctype": row["member_doctype"],
				"member_name": row["member_name"],
				"email": row.get("email") or "",
			}
			for row in rows
		]
	lead = frappe.qb.DocType("CX Lead")
	query = frappe.qb.from_(lead).select(lead.name, lead.email).where(lead.campaign == doc.campaign)
	if cursor:
		query = query.where(lead.name > cursor)
	rows = query.orderby(lead.name).limit(BATCH).run(as_dict=True)
	return [
		{"cursor": row.name, "member_doctype": "CX Lead", "member_name": row.name, "email": row.email or ""}
		for row in rows
	]


def previous_step_due(campaign_email: str, step: int, after: int, delay_days: int) -> list[dict]:
	"""Members the previous step reached at least `delay_days` ago and this step has not."""
	prev, this = frappe.qb.DocType(RECIPIENT), frappe.qb.DocType(RECIPIENT).as_("this_step")
	due_before = now_datetime() - timedelta(days=delay_days)
	rows = (
		frappe.qb.from_(prev)
		.left_join(this)
		.on(
			(this.campaign_email == prev.campaign_email)
			& (this.step == step)
			& (this.member_doctype == prev.member_doctype)
			& (this.member_name == prev.member_name)
		)
		.select(prev.name, prev.member_doctype, prev.member_name, prev.email)
		.where(
			(prev.campaign_email == campaign_email)
			& (prev.step == step - 1)
			& prev.status.isin(DRIP_CONTINUES)
			& (prev.send_after <= due_before)
			& (prev.name > after)
			& this.name.isnull()
		)
		.orderby(prev.name)
		.limit(BATCH)
		.run(as_dict=True)
	)
	return [
		{
			"cursor": str(row.name),
			"member_doctype": row.member_doctype,
			"member_name": row.member_name,
			"email": row.email or "",
		}
		for row in rows
	]


def previous_step_pending(campaign_email: str, step: int) -> int:
	"""Members the previous step reached that this step has not reached yet (due or not)."""
	prev, this = frappe.qb.DocType(RECIPIENT), frappe.qb.DocType(RECIPIENT).as_("this_step")
	return (
		frappe.qb.from_(prev)
		.left_join(this)
		.on(
			(this.campaign_email == prev.campaign_email)
			& (this.step == step)
			& (this.member_doctype == prev.member_doctype)
			& (this.member_name == prev.member_name)
		)
		.select(frappe.query_builder.functions.Count("*"))
		.where(
			(prev.campaign_email == campaign_email)
			& (prev.step == step - 1)
			& prev.status.isin(DRIP_CONTINUES)
			& this.name.isnull()
		)
		.run()[0][0]
	)


def member_records(members: list[dict]) -> dict[tuple[str, str], frappe._dict]:
	"""Each member's record, all of its fields (the template's context), one query per member type."""
	by_type: dict[str, list[str]] = {}
	for member in members:
		by_type.setdefault(member["member_doctype"], []).append(member["member_name"])
	records = {}
	for doctype, names in by_type.items():
		if doctype not in MEMBER_DOCTYPES:
			continue
		for row in frappe.get_all(doctype, filters={"name": ("in", names)}, fields=["*"]):
			records[(doctype, row.name)] = row
	return records


def member_languages(members: list[dict]):
	"""member -> the language of its mail (crm_app/core/recipient_language.py), for members (dicts with
	member_doctype, member_name, email, record) read in one query: a lead's or customer's contact (the
	customer's primary contact, else a contact with the address), else the lead's or customer's own
	language; a contact's own, else its customer's or lead's; else the site's."""
	contacts, customers, leads = [], [], []
	for member in members:
		doctype, name, record = member["member_doctype"], member["member_name"], member.get("record") or {}
		if doctype == "Contact":
			contacts.append(name)
		elif doctype == "CX Customer":
			customers.append(name)
			contacts.append(record.get("primary_contact"))
		elif doctype == "CX Lead":
			leads.append(name)
	directory = read_directory(
		emails=[m["email"] for m in members if m.get("email")],
		contacts=contacts,
		customers=customers,
		leads=leads,
	)

	def language_of(member: dict) -> str:
		doctype, name, record = member["member_doctype"], member["member_name"], member.get("record") or {}
		if doctype == "Contact":
			return directory.address(member.get("email"), contact=name)
		return directory.address(
			member.get("email"), contact=record.get("primary_contact"), party=(doctype, name)
		)

	return language_of


def valid_email(email: str) -> bool:
	"""Frappe's answer (`validate_email_address`), from its address pattern alone for a plain address (no
	name, list or space): parsing it as a header first took 14 us a member."""
	if (
		"," not in email
		and "<" not in email
		and " " not in email
		and "undisclosed-recipient" not in email
		and EMAIL_MATCH_PATTERN.fullmatch(email)
	):
		return True
	return bool(frappe.utils.validate_email_address(email))


def opted_out(emails: Iterable[str], list_doctype: str, list_name: str) -> dict[str, str]:
	"""Address (lower case) -> why it gets no mail of this list (crm_app/cx_marketing/optout.py). Never
	wider than asked: an unsubscribe from another list does not count."""
	found = optout.blocked(emails, [(list_doctype, list_name)])
	reasons = dict(found.by_address)
	for _doctype, _name, email in found.by_reference:
		reasons.setdefault(email, optout.LIST)
	return reasons


def already_recorded(campaign_email: str, step: int, members: list[dict]) -> set[tuple[str, str]]:
	"""Members of the batch this step has a row for (a resumed or repeated run), read through the unique
	index (campaign_email, step, member_doctype, member_name)."""
	by_type: dict[str, list[str]] = {}
	for member in members:
		by_type.setdefault(member["member_doctype"], []).append(member["member_name"])
	done = set()
	for doctype, names in by_type.items():
		filters = {"campaign_email": campaign_email, "step": step, "member_doctype": doctype}
		for name in frappe.get_all(RECIPIENT, {**filters, "member_name": ("in", names)}, pluck="member_name"):
			done.add((doctype, name))
	return done


def addresses_reached(campaign_email: str, step: int, emails: list[str]) -> set[str]:
	"""Addresses this step already queued a mail to (two members, one person: one mail)."""
	if not emails:
		return set()
	rows = frappe.get_all(
		RECIPIENT,
		{"campaign_email": campaign_email, "step": step, "email": ("in", emails), "status": "Queued"},
		pluck="email",
	)
	return {email.lower() for email in rows}


# -- rendering and the message ------------------------------------------------------------------------


def compact(html: str) -> str:
	"""Layout HTML without the whitespace between its tags (stored once per member), links styled."""
	html = re.sub(r">\s+<", "><", re.sub(r"\s*\n\s*", " ", html.strip()))
	return html.replace("<a ", f'<a style="{FOOTER_LINK_STYLE}" ')


def flat_globals(template):
	"""The template with its globals in a plain dict: `render` copies them into each member's context, and
	Jinja keeps them as a ChainMap over the environment's, whose copy took 25 us (twice per member, half
	of rendering). Same names, same values: the environment does not change during a send."""
	template.globals = dict(template.globals)
	return template


class SendPlan:
	"""What every member of a send shares: sender, list, wrapper HTML, compiled templates."""

	def __init__(self, doc):
		self.doc = doc
		if not doc.steps:
			frappe.throw(_("A campaign email needs at least one step."), CampaignEmailError)
		self.list_doctype, self.list_name = (
			("CX Segment", doc.segment) if doc.segment else ("CX Campaign", doc.campaign)
		)
		self.campaign = frappe.db.get_value("CX Campaign", doc.campaign, ["*"], as_dict=True) or {}
		self._account = None
		self._wrappers = {}  # language -> MailLayout

	@property
	def account(self):
		if self._account is None:
			if self.doc.email_account:
				self._account = frappe.get_doc("Email Account", self.doc.email_account)
			else:
				self._account = EmailAccount.find_outgoing(match_by_email=self.doc.sender, _raise_error=False)
			if not self._account:
				frappe.throw(
					_("Set up an outgoing Email Account (or choose one) before sending."), CampaignEmailError
				)
		return self._account

	@property
	def sender(self) -> str:
		email = self.doc.sender or self.account.email_id or self.account.default_sender
		return address(self.doc.sender_name or "", email) if "<" not in email else email

	def compile_step(self, step: int):
		if step < 1 or step > len(self.doc.steps):
			frappe.throw(
				_("Campaign email {0} has no step {1}.").format(self.doc.name, step), CampaignEmailError
			)
		row = self.doc.steps[step - 1]
		template = frappe.get_doc("Email Template", row.email_template)
		body = (template.response_html if template.use_html else template.response) or ""
		subject = row.subject or template.subject or ""
		from frappe.utils.jinja import get_jenv
		from jinja2 import TemplateSyntaxError

		for source in (subject, body):
			if ".__" in source:
				frappe.throw(_("Template {0} is not allowed.").format(template.name), CampaignEmailError)
		try:
			# a step's own subject is written by marketing users, who may not write Email Templates:
			# rendered without Frappe's globals (frappe.db.sql...), in Jinja's sandbox
			subject_env = SandboxedEnvironment() if row.subject else get_jenv()
			return flat_globals(subject_env.from_string(subject)), flat_globals(get_jenv().from_string(body))
		except TemplateSyntaxError as error:
			frappe.throw(
				_("Template {0} has an error on line {1}: {2}").format(
					template.name, error.lineno, error.message
				),
				CampaignEmailError,
			)

	def context(self, record, unsubscribe_url: str) -> dict:
		return {
			**record,
			"doc": record,
			"member": record,
			"campaign": self.campaign,
			"campaign_email": {"name": self.doc.name, "title": self.doc.title},
			"unsubscribe_url": unsubscribe_url,
		}

	def render(self, compiled, record, unsubscribe_url: str) -> tuple[str, str]:
		subject, body = compiled
		context = self.context(record, unsubscribe_url)
		return " ".join(subject.render(context).split()), body.render(context)

	def wrapper(self) -> MailLayout:
		"""The HTML around each member's body, made once: a bare document, then Frappe's email footer
		(the account's footer, the sender address, the default footer from hooks) with the unsubscribe
		line. Not Frappe's notification layout: a marketing template carries its own design, and the
		layout's inlined styles, stored once per member, were most of every mail (benchmarks/
		marketing_send.py: 8.4 KiB a mail with them, 3.8 without). One per language: the members of a
		batch are rendered by language (StepRun.queue_batch), each in its own footer."""
		language = frappe.local.lang
		if language not in self._wrappers:
			footer = scrub_urls(get_footer(self.account))  # relative links in an account's footer
			unsubscribe = get_unsubscribe_message(_("Unsubscribe"), None).html.replace(
				"<!--cc_message-->", ""
			)
			footer = footer.replace("<!--unsubscribe link here-->", unsubscribe)  # as get_formatted_html
			self._wrappers[language] = MailLayout(f'<div style="{FOOTER_STYLE}">{compact(footer)}</div>')
		return self._wrappers[language]

	def unsubscribe_url(self, email: str) -> str:
		# signed as Frappe signs urlencode({"email": ..., "doctype": ..., "name": ...}), the list's part of
		# the query encoded once
		query = f"{urlencode({'email': email})}&{self.list_query}"
		return f"{self.unsubscribe_base}?{get_signed_params(query)}"

	@property
	def list_query(self) -> str:
		if not hasattr(self, "_list_query"):
			self._list_query = urlencode({"doctype": self.list_doctype, "name": self.list_name})
		return self._list_query

	@property
	def unsubscribe_base(self) -> str:
		if not hasattr(self, "_unsubscribe_base"):
			self._unsubscribe_base = get_url(UNSUBSCRIBE_METHOD)
		return self._unsubscribe_base

	def message(self, recipient: str, full_name: str, subject: str, body: str, unsubscribe_url: str) -> tuple:
		"""(message id, MIME text) of one member's mail."""
		import email.utils

		html, text = self.wrapper().parts(body, unsubscribe_url)
		message_id = email.utils.make_msgid(domain=frappe.local.site)[1:-1]
		html = tracking.track(self, html, message_id)  # opens and clicks (crm_app/cx_marketing/tracking.py)
		mime = self.skeleton.build(
			recipient=address(full_name, recipient),
			subject=subject,
			html_body=html,
			text_body=text,
			message_id=message_id,
			boundary=frappe.generate_hash(length=16),
			headers={"List-Unsubscribe": f"<{unsubscribe_url}>"},
		)
		return message_id, mime

	@property
	def skeleton(self) -> MailSkeleton:
		"""The headers every member's mail shares, formatted once."""
		if not hasattr(self, "_skeleton"):
			self._skeleton = MailSkeleton(
				sender=self.sender, headers={"X-Frappe-Site": self.site_url, "Precedence": "bulk"}
			)
		return self._skeleton

	@property
	def account_name(self) -> str | None:
		"""The Email Account as the Email Queue names it (an account from site_config has no record)."""
		if not hasattr(self, "_account_name"):
			name = getattr(self.account, "name", None)
			self._account_name = name if name and frappe.db.exists("Email Account", name) else None
		return self._account_name

	@property
	def site_url(self) -> str:
		if not hasattr(self, "_site_url"):
			self._site_url = get_url()
		return self._site_url


# -- the run -------------------------------------------------------------------------------------------


def run_key(campaign_email: str, step: int) -> str:
	return f"campaign_email:{campaign_email}:{step}"


def enqueue_step(campaign_email: str, step: int) -> None:
	key = run_key(campaign_email, step)
	frappe.enqueue(
		"crm_app.cx_marketing.sends.queue_step",
		queue="long",
		timeout=3600,
		job_id=jobs.job_id(key),
		deduplicate=True,
		enqueue_after_commit=True,
		campaign_email=campaign_email,
		step=step,
	)


def queue_step(campaign_email: str, step: int = 1) -> dict | None:
	"""Queue one step of a campaign email to its audience (the background job). None when another run
	of the same step holds its lock."""
	step = cint(step) or 1
	return jobs.run_resumable(
		run_key(campaign_email, step),
		"crm_app.cx_marketing.sends.queue_step",
		{"campaign_email": campaign_email, "step": step},
		lambda run: run_step(campaign_email, step, run),
	)


def run_step(campaign_email: str, step: int, run: jobs.Run) -> dict:
	"""A run that fails (not one that is killed: that one resumes) leaves the send Failed with its error;
	starting it again goes on after the members already reached."""
	try:
		return StepRun(campaign_email, step, run).work()
	except Exception as error:
		frappe.db.rollback()
		set_values(
			campaign_email, status="Failed", last_error=f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
		)
		frappe.db.commit()
		raise


class StepRun:
	def __init__(self, campaign_email: str, step: int, run: jobs.Run):
		self.doc = frappe.get_doc(EMAIL, campaign_email)
		self.step, self.run = step, run
		self.plan = SendPlan(self.doc)
		self.compiled = self.plan.compile_step(step)
		self.delay_days = cint(self.doc.steps[step - 1].delay_days) if step > 1 else 0
		self.zone = ZoneInfo(get_system_timezone())
		basis = json.loads(run.basis) if run.basis else {}
		self.sent_before = cint(basis.get("n"))  # queued by this run before an interruption
		start = get_datetime(basis["start"]) if basis.get("start") else self.clock_start()
		try:
			self.clock = SendClock(
				start=start.replace(tzinfo=self.zone),
				per_hour=cint(self.doc.throttle_per_hour),
				window_start=as_time(self.doc.window_start),
				window_end=as_time(self.doc.window_end),
				time_zone=self.doc.time_zone or get_system_timezone(),
			)
		except SendScheduleError as error:
			frappe.throw(core_message(error), CampaignEmailError)
		self.start = start
		self.totals = {"queued": 0, "skipped_opted_out": 0, "failed_to_render": 0}
		self.done = frappe.db.count(RECIPIENT, {"campaign_email": campaign_email, "step": step})

	def clock_start(self) -> datetime:
		"""Now or the send time; with a throttle, after the last mail this campaign email queued."""
		start = max(now_datetime(), get_datetime(self.doc.send_after or now_datetime()))
		if cint(self.doc.throttle_per_hour):
			last = frappe.db.get_value(RECIPIENT, {"campaign_email": self.doc.name}, "max(send_after)")
			if last:
				start = max(
					start, get_datetime(last) + timedelta(seconds=3600 / cint(self.doc.throttle_per_hour))
				)
		return start

	def work(self) -> dict:
		cursor = self.run.cursor
		while True:
			if frappe.db.get_value(EMAIL, self.doc.name, "status") not in ("Sending",):
				break  # paused: what is queued stays, the rest waits for the next start
			members = read_members(self.doc, self.step, cursor, self.delay_days)
			if not members:
				self.finish()
				break
			self.queue_batch(members)
			cursor = members[-1]["cursor"]
			self.run.save(cursor, json.dumps({"start": str(self.start), "n": self.sent_before}))
			frappe.db.commit()
			self.publish(len(members))
		return self.totals

	def queue_batch(self, members: list[dict]) -> None:
		records = member_records(members)
		done = already_recorded(self.doc.name, self.step, members)
		todo = [m for m in members if (m["member_doctype"], m["member_name"]) not in done]
		for member in todo:
			record = records.get((member["member_doctype"], member["member_name"]))
			member["record"] = record
			member["email"] = (
				member["email"] or (record and member_email(member["member_doctype"], record)) or ""
			).strip()
		emails = [m["email"] for m in todo if m["email"]]
		reasons = opted_out(emails, self.plan.list_doctype, self.plan.list_name)
		reached = addresses_reached(self.doc.name, self.step, emails)
		now = now_datetime()
		queue_rows, queue_recipients, log_rows = [], [], []
		counts = {"queued": 0, "skipped_opted_out": 0, "failed_to_render": 0}
		outcomes, to_render = [], []  # (member, its log row) in the batch's order; those to render
		for member in todo:
			email, record = member["email"], member["record"]
			row = {
				"status": "Skipped",
				"reason": None,
				"error": None,
				"email_queue": None,
				"send_after": None,
			}
			lower = email.lower()
			if record is None:
				row["reason"] = "Record not found"
			elif not email or not valid_email(email):
				row["reason"] = "No valid email address"
			elif lower in reasons:
				row["reason"] = OPT_OUT_REASONS[reasons[lower]]
				counts["skipped_opted_out"] += 1
			elif lower in reached:
				row["reason"] = "Address already reached by this step"
			else:
				to_render.append((member, row))
				reached.add(lower)
			outcomes.append((member, row))
		# Each member's mail in their language: the batch's languages in one query, each language's
		# members rendered together inside Frappe's language switch (and its footer made once).
		language_of = member_languages([member for member, _row in to_render])
		by_language = group(range(len(to_render)), lambda index: language_of(to_render[index][0]))
		for language, indexes in by_language.items():
			with speaking(language):
				for index in indexes:
					member, row = to_render[index]
					self.render_one(member, member["record"], row, now, queue_rows, queue_recipients, counts)
		for member, row in outcomes:
			log_rows.append(
				(
					member["member_doctype"],
					member["member_name"],
					member["email"][:140],
					row["status"],
					row["reason"],
					row["error"],
					row["email_queue"],
					row["send_after"],
				)
			)
		user = frappe.session.user
		with quote_only_escaping():
			insert_queue(
				self.doc.name,
				queue_rows,
				queue_recipients,
				now,
				sender=self.plan.sender,
				email_account=self.plan.account_name,
			)
			insert_rows(
				RECIPIENT,
				LOG_FIELDS,
				log_rows,
				first="nextval(`cx_campaign_email_recipient_id_seq`)",
				constants={
					"campaign_email": self.doc.name,
					"step": self.step,
					"creation": now,
					"modified": now,
					"owner": user,
					"modified_by": user,
				},
			)
		add_counts(self.doc.name, counts)
		for key, value in counts.items():
			self.totals[key] += value

	def render_one(self, member, record, row, now, queue_rows, queue_recipients, counts) -> None:
		email = member["email"]
		unsubscribe_url = self.plan.unsubscribe_url(email)
		try:
			subject, body = self.plan.render(self.compiled, record, unsubscribe_url)
		except Exception as error:
			row.update(
				status="Failed",
				reason="Template failed to render",
				error=f"{type(error).__name__}: {error}"[:ERROR_LENGTH],
			)
			counts["failed_to_render"] += 1
			return
		full_name = record.get("lead_name") or record.get("full_name") or record.get("customer_name") or ""
		message_id, mime = self.plan.message(email, full_name, subject, body, unsubscribe_url)
		send_after = self.clock.at(self.sent_before).astimezone(self.zone).replace(tzinfo=None)
		self.sent_before += 1
		# Frappe's own hash names (time first): consecutive rows land on the same index pages, where
		# random names wrote all over a table larger than the buffer pool. Six more random characters:
		# a multi-row INSERT cannot retry a collision as Document.db_insert does.
		name = make_autoname("hash", "Email Queue") + frappe.generate_hash(length=6)
		queue_rows.append((name, mime, message_id, send_after))
		queue_recipients.append(
			(make_autoname("hash", "Email Queue Recipient") + frappe.generate_hash(length=6), name, email)
		)
		row.update(status="Queued", email_queue=name, send_after=send_after)
		counts["queued"] += 1

	def finish(self) -> None:
		"""The step's audience is done: the next step waits for its delay, or the send is over."""
		if self.step == len(self.doc.steps):
			if self.step == 1 or not previous_step_pending(self.doc.name, self.step):
				set_values(self.doc.name, status="Sent", finished_on=now_datetime())
		recount(self.doc.name)
		frappe.db.commit()

	def publish(self, batch: int) -> None:
		self.done += batch
		total = cint(self.doc.members) if self.step == 1 else self.done
		frappe.publish_progress(
			min(100, self.done * 100 / total) if total else 100,
			title=_("Queueing campaign email"),
			doctype=EMAIL,
			docname=self.doc.name,
			description=_("Step {0}: {1} of {2} members").format(self.step, self.done, total),
		)


def insert_queue(
	campaign_email: str,
	queue_rows: list[tuple],
	recipients: list[tuple],
	now: datetime,
	sender: str,
	email_account: str | None,
) -> None:
	"""Email Queue rows as Frappe's QueueBuilder would write them, in multi-row INSERTs: `queue_rows` are
	(name, message, message_id, send_after), `recipients` (name, parent, recipient)."""
	if not queue_rows:
		return
	user = frappe.session.user
	written = {"creation": now, "modified": now, "owner": user, "modified_by": user, "docstatus": 0}
	queue = {
		"sender": sender,
		"email_account": email_account,
		"status": "Not Sent",
		"priority": 0,
		"reference_doctype": EMAIL,
		"reference_name": campaign_email,
		"add_unsubscribe_link": 0,
		"unsubscribe_method": UNSUBSCRIBE_METHOD,
		"attachments": "[]",
		"retry": 0,
		"show_as_cc": "",
		**written,
	}
	for chunk in by_size(queue_rows, lambda row: len(row[1])):  # row[1]: the message
		insert_rows("Email Queue", QUEUE_FIELDS, chunk, constants=queue)
	recipient = {"parenttype": "Email Queue", "parentfield": "recipients", "idx": 1, "status": "Not Sent"}
	insert_rows(
		"Email Queue Recipient", QUEUE_RECIPIENT_FIELDS, recipients, constants={**recipient, **written}
	)


@contextmanager
def quote_only_escaping():
	"""The session in MariaDB's NO_BACKSLASH_ESCAPES mode while a batch's rows go in: PyMySQL then escapes a
	value by doubling its quotes (one str.replace) instead of translating it character by character (75 us
	for a 4 KiB mail, a seventh of queueing one). Still parameterised: the driver escapes every value for
	the mode the server reports. The session's own mode is back afterwards, whatever happened."""
	mode = frappe.db.sql("select @@session.sql_mode")[0][0]
	frappe.db.sql("set session sql_mode = concat_ws(',', nullif(%s, ''), 'NO_BACKSLASH_ESCAPES')", (mode,))
	try:
		yield
	finally:
		frappe.db.sql("set session sql_mode = %s", (mode,))


def by_size(rows: list[tuple], size_of, limit: int | None = None) -> Iterable[list[tuple]]:
	"""`rows` in runs of at most `limit` (STATEMENT_BYTES) bytes, one row at least."""
	limit = limit or STATEMENT_BYTES
	chunk, total = [], 0
	for row in rows:
		size = size_of(row)
		if chunk and total + size > limit:
			yield chunk
			chunk, total = [], 0
		chunk.append(row)
		total += size
	if chunk:
		yield chunk


def insert_rows(
	doctype: str,
	fields: tuple[str, ...],
	rows: list[tuple],
	first: str | None = None,
	constants: dict | None = None,
) -> None:
	"""One parameterised multi-row INSERT. `frappe.db.bulk_insert` builds the statement through the query
	builder, which takes longer than the database for 500 rows of 9 KB messages. Table and column names
	come from the fixed tuples above, the dicts of this module and its doctype names, never from input;
	`first` is a fixed SQL expression for a leading `name` column (the log's autoincrement sequence).
	`constants` (column -> value) are the same for every row: bound once to session variables that each
	row names, not escaped again for every row (two thirds of the values of a mail's three rows)."""
	if not rows:
		return
	constants = constants or {}
	if constants:
		assignments = ", ".join(f"@cx_{field} = %s" for field in constants)
		frappe.db.sql(f"set {assignments}", list(constants.values()))
	columns = ", ".join(f"`{field}`" for field in (("name",) if first else ()) + fields + tuple(constants))
	placeholders = (
		"("
		+ ", ".join(
			([first] if first else []) + ["%s"] * len(fields) + [f"@cx_{field}" for field in constants]
		)
		+ ")"
	)
	values = [value for row in rows for value in row]
	frappe.db.sql(
		f"insert into `tab{doctype}` ({columns}) values {', '.join([placeholders] * len(rows))}",
		values,
	)


# -- bookkeeping -----------------------------------------------------------------------------------------


def as_time(value):
	if value in (None, ""):
		return None
	from frappe.utils import get_time

	return get_time(value)


def set_values(campaign_email: str, **values) -> None:
	frappe.db.set_value(EMAIL, campaign_email, values, update_modified=False)


def add_counts(campaign_email: str, counts: dict[str, int]) -> None:
	"""The batch's counts added in its own transaction (fieldnames from the fixed dict above)."""
	table = frappe.qb.DocType(EMAIL)
	query = frappe.qb.update(table).where(table.name == campaign_email)
	changed = False
	for fieldname, value in counts.items():
		if value:
			query = query.set(table[fieldname], table[fieldname] + value)
			changed = True
	if changed:
		query.run()


def recount(campaign_email: str) -> dict:
	"""The progress fields again from the recipient rows (after a pause, a bounce, the Email Queue)."""
	table = frappe.qb.DocType(RECIPIENT)
	rows = (
		frappe.qb.from_(table)
		.select(table.status, table.reason, frappe.query_builder.functions.Count("*").as_("count"))
		.where(table.campaign_email == campaign_email)
		.groupby(table.status, table.reason)
		.run(as_dict=True)
	)
	by_status: dict[str, int] = {}
	opted = 0
	for row in rows:
		by_status[row.status] = by_status.get(row.status, 0) + row.count
		if row.status == "Skipped" and row.reason in OPT_OUT_REASONS.values():
			opted += row.count
	opened = frappe.db.count(RECIPIENT, {"campaign_email": campaign_email, "opened_on": ("is", "set")})
	replied = frappe.db.count(RECIPIENT, {"campaign_email": campaign_email, "replied_on": ("is", "set")})
	clicked = frappe.db.count(RECIPIENT, {"campaign_email": campaign_email, "clicked_on": ("is", "set")})
	values = {
		"queued": sum(by_status.get(s, 0) for s in ("Queued", "Sent", "Bounced", "Replied", "Opened")),
		"skipped_opted_out": opted,
		"failed_to_render": frappe.db.count(
			RECIPIENT,
			{"campaign_email": campaign_email, "status": "Failed", "reason": "Template failed to render"},
		),
		"sent": sum(by_status.get(s, 0) for s in ("Sent", "Replied", "Opened")),
		"bounced": by_status.get("Bounced", 0),
		"replied": replied,
		"opened": opened,
		"clicked": clicked,
	}
	set_values(campaign_email, **values)
	return values


def withdraw_unsent(campaign_email: str) -> int:
	"""Delete the mails of a campaign email the Email Queue has not sent, and their recipient rows:
	a later start queues them again."""
	queue = frappe.qb.DocType("Email Queue")
	names = (
		frappe.qb.from_(queue)
		.select(queue.name)
		.where((queue.reference_doctype == EMAIL) & (queue.reference_name == campaign_email))
		.where(queue.status == "Not Sent")
		.for_update()
		.run(pluck=True)
	)
	for chunk in frappe.utils.create_batch(names, 1000):
		frappe.db.delete("Email Queue Recipient", {"parent": ("in", chunk)})
		frappe.db.delete("Email Queue", {"name": ("in", chunk)})
		frappe.db.delete(RECIPIENT, {"campaign_email": campaign_email, "email_queue": ("in", chunk)})
	return len(names)


# -- the scheduler tick ------------------------------------------------------------------------------------


def run_due_sends() -> None:
	"""Every few minutes: scheduled sends whose time came start; the Email Queue's outcome reaches the
	recipient rows; drip steps whose delay passed are queued; finished sends are marked Sent."""
	now = now_datetime()
	for name in frappe.get_all(EMAIL, {"status": "Scheduled", "send_after": ("<=", now)}, pluck="name"):
		set_values(name, status="Sending", started_on=now)
		frappe.db.commit()
		enqueue_step(name, 1)
	for name in frappe.get_all(EMAIL, {"status": "Sending"}, pluck="name"):
		sync_queue_status(name)
		advance_drip(name)
		frappe.db.commit()


def sync_queue_status(campaign_email: str, limit: int = 10_000) -> int:
	"""Queued rows whose Email Queue mail went out become Sent (an "Email Sent" touch each); those
	Frappe gave up on, Failed. Returns the rows changed."""
	recipient, queue = frappe.qb.DocType(RECIPIENT), frappe.qb.DocType("Email Queue")
	rows = (
		frappe.qb.from_(recipient)
		.join(queue)
		.on(queue.name == recipient.email_queue)
		.select(
			recipient.name, recipient.member_doctype, recipient.member_name, recipient.email, queue.status
		)
		.where((recipient.campaign_email == campaign_email) & (recipient.status == "Queued"))
		.where(queue.status.isin(("Sent", "Error")))
		.limit(limit)
		.run(as_dict=True)
	)
	sent = [row for row in rows if row.status == "Sent"]
	failed = [row.name for row in rows if row.status == "Error"]
	now = now_datetime()
	if sent:
		frappe.db.set_value(RECIPIENT, {"name": ("in", [row.name for row in sent])}, "status", "Sent")
		campaign = frappe.db.get_value(EMAIL, campaign_email, "campaign")
		record_touches = frappe.get_attr("crm_app.cx_marketing.results.record_touches")
		record_touches(
			[
				{
					"campaign": campaign,
					"reference_doctype": row.member_doctype,
					"reference_name": row.member_name,
					"touch_type": "Email Sent",
					"email": row.email,
					"touched_on": now,
				}
				for row in sent
			]
		)
	if failed:
		frappe.db.set_value(
			RECIPIENT,
			{"name": ("in", failed)},
			{"status": "Failed", "reason": "The mail server refused it"},
		)
	if rows:
		recount(campaign_email)
	return len(rows)


def advance_drip(campaign_email: str) -> None:
	"""Queue the next step for members whose previous step went out its delay ago; a send with
	nothing left to queue is Sent."""
	doc = frappe.get_doc(EMAIL, campaign_email)
	running = [
		step
		for step in range(1, len(doc.steps) + 1)
		if frappe.db.exists(jobs.CHECKPOINT, run_key(doc.name, step))
	]
	if running:
		return  # a run is on (or will be resumed): the tick waits for it
	pending = [step for step in range(2, len(doc.steps) + 1) if previous_step_pending(doc.name, step)]
	for step in pending:
		enqueue_step(doc.name, step)  # one job id per step: a job still queued is not queued again
	if pending:
		return
	if frappe.db.exists(RECIPIENT, {"campaign_email": doc.name, "step": 1}) or not audience_size(doc):
		set_values(doc.name, status="Sent", finished_on=now_datetime())


# -- replies and bounces --------------------------------------------------------------------------------


BOUNCE_SENDERS = ("mailer-daemon@", "postmaster@", "mail-daemon@")
BOUNCE_SUBJECTS = (
	"undelivered mail",
	"delivery status notification",
	"undeliverable",
	"mail delivery failed",
	"returned mail",
	"delivery failure",
)
REACHED = ("Queued", "Sent", "Opened")
PERMANENT_FAILURE = re.compile(r"\b5\.\d{1,3}\.\d{1,3}\b|\b55[0-4]\b")
# frappe.local attribute: the Message-IDs of the raw mail being filed (crm_app/cx_support/inbound.py).
INBOUND_MESSAGE_IDS = "cx_inbound_message_ids"


def on_communication(doc, method=None) -> None:
	"""`after_insert` of Communication: a received reply to a campaign email marks its member Replied
	(Frappe links the reply to the Email Queue's reference through In-Reply-To); a delivery failure
	report marks the rows of the mails it returns Bounced, named by their Message-ID."""
	if doc.communication_type != "Communication" or doc.sent_or_received != "Received":
		return
	if is_bounce(doc):
		mark_bounced(doc)
	elif doc.reference_doctype == EMAIL and doc.reference_name and doc.sender:
		mark_replied(doc.reference_name, doc.sender, referenced_message_ids(doc))


def is_bounce(doc) -> bool:
	"""A delivery failure report: from a mailer daemon, or with a report's subject and a permanent
	SMTP failure (5.x.x) in it. A customer's mail about an "undeliverable" parcel is neither."""
	sender = (doc.sender or "").lower()
	if sender.startswith(BOUNCE_SENDERS):
		return True
	subject = (doc.subject or "").lower()
	text = " ".join(filter(None, (doc.content, doc.get("text_content"))))
	return any(words in subject for words in BOUNCE_SUBJECTS) and bool(PERMANENT_FAILURE.search(text))


def referenced_message_ids(doc) -> list[str]:
	"""The Message-IDs a received mail refers to: the raw mail's In-Reply-To, References and returned
	message (kept aside by the Email Account while it files the mail, crm_app/cx_support/inbound.py), the
	Message-ID of the Communication it answers, and IDs written in its body (a report quoting the
	returned headers as text)."""
	from html import unescape

	from crm_app.core.marketing.bounces import MAX_IDS, message_ids_in_text

	found = list(getattr(frappe.local, INBOUND_MESSAGE_IDS, None) or ()) if doc.flags.in_receive else []
	if doc.in_reply_to:
		parent_id = frappe.db.get_value("Communication", doc.in_reply_to, "message_id")
		found.extend(message_ids_in_text(f"<{(parent_id or '').strip('<>')}>"))
	body = " ".join(filter(None, (doc.content, doc.get("text_content"))))
	found.extend(message_ids_in_text(unescape(body)))
	return list(dict.fromkeys(found))[:MAX_IDS]


def mark_replied(campaign_email: str, sender: str, message_ids: Iterable[str] = ()) -> None:
	"""The sender's reached rows become Replied (their drip stops); the row of the mail answered (by its
	Message-ID, else the latest step) takes replied_on, and the counters grow by what changed. Locked,
	so a second reply, even at the same moment, finds nothing left to count."""
	recipient, queue = frappe.qb.DocType(RECIPIENT), frappe.qb.DocType("Email Queue")
	rows = (
		frappe.qb.from_(recipient)
		.left_join(queue)
		.on(queue.name == recipient.email_queue)
		.select(
			recipient.name,
			recipient.step,
			recipient.status,
			recipient.member_doctype,
			recipient.member_name,
			recipient.email,
			queue.message_id,
		)
		.where((recipient.campaign_email == campaign_email) & (recipient.email == sender))
		.where(recipient.status.isin(REACHED))
		.orderby(recipient.step)
		.for_update()
		.run(as_dict=True)
	)
	if not rows:
		return
	answered = set(message_ids)
	replied_to = next((row for row in rows if row.message_id in answered), rows[-1])
	frappe.db.set_value(RECIPIENT, {"name": ("in", [row.name for row in rows])}, "status", "Replied")
	frappe.db.set_value(RECIPIENT, replied_to.name, "replied_on", now_datetime())
	# As recount counts them: Replied rows are sent, and the replied are the rows with replied_on.
	add_counts(campaign_email, {"replied": 1, "sent": sum(row.status == "Queued" for row in rows)})
	touch(campaign_email, replied_to, "Replied")


def mark_bounced(doc) -> None:
	"""The rows whose mail the report returns, found by the Message-ID the Email Queue gave it. A report
	naming no Message-ID we sent is ignored, whatever addresses it lists: anyone can write one."""
	message_ids = referenced_message_ids(doc)
	if not message_ids:
		return
	recipient, queue = frappe.qb.DocType(RECIPIENT), frappe.qb.DocType("Email Queue")
	rows = (
		frappe.qb.from_(queue)
		.join(recipient)
		.on(recipient.email_queue == queue.name)
		.select(
			recipient.name,
			recipient.campaign_email,
			recipient.status,
			recipient.member_doctype,
			recipient.member_name,
			recipient.email,
		)
		.where(queue.message_id.isin(message_ids))
		.where(recipient.status.isin(REACHED))
		.for_update()
		.run(as_dict=True)
	)
	for row in rows:
		frappe.db.set_value(RECIPIENT, row.name, "status", "Bounced")
		touch(row.campaign_email, row, "Bounced")
	for campaign_email in {row.campaign_email for row in rows}:
		of_send = [row for row in rows if row.campaign_email == campaign_email]
		# As recount counts them: Bounced rows are no longer sent (still queued).
		was_sent = sum(row.status != "Queued" for row in of_send)
		add_counts(campaign_email, {"bounced": len(of_send), "sent": -was_sent})


def touch(campaign_email: str, row, touch_type: str) -> None:
	campaign = frappe.db.get_value(EMAIL, campaign_email, "campaign")
	record_touch = frappe.get_attr("crm_app.cx_marketing.results.record_touch")
	record_touch(campaign, row.member_doctype, row.member_name, touch_type, email=row.email)
