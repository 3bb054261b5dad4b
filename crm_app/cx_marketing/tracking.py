"""Opens and clicks of campaign email: the links of each mail rewritten at queueing time, and the two guest
endpoints they lead to.

Why not Frappe's own tracker: Frappe counts an open only for a mail with a Communication (the pixel
`frappe.core.doctype.communication.email.mark_email_as_seen?name=<communication>` marks that Communication
read), and a campaign mail has none (100,000 Communications per send would double what a send writes);
its other hook, `email_read_tracker_url`, is not a field of Email Queue and is lost for queued mail; and
Frappe has no click tracking at all. So this module adds both, signed like Frappe's unsubscribe link
(a keyed hash, its key derived from the site's secret, `frappe.utils.verified_command.get_secret`), and
records them as `CX Campaign Touch` rows and counts.

A mail is named by its Message-Id (made in `SendPlan.message`, stored on its Email Queue row, which the
recipient row links): each open and click finds its recipient row through the Email Queue. Frappe's Log
Settings clear the Email Queue after 30 days by default: after that a mail's links still lead where they
did, but its opens and clicks are no longer counted. A click URL names its link by index into
`CX Campaign Email.tracked_links` (append-only: an index always names the same URL), never by URL.

How much it can be trusted (also in the form's description of "Track opens and clicks"): opens are
undercounted where mail apps block images and overcounted where privacy proxies (Apple Mail Privacy
Protection, some corporate scanners) fetch every image on delivery; clicks are reliable, though link
scanners of some mail servers click too. A click also counts as an open (the mail was read).
"""

import json
from urllib.parse import urlparse

import frappe
from frappe import _
from frappe.rate_limiter import rate_limit
from frappe.utils import cint, now_datetime
from frappe.utils.verified_command import get_secret

from crm_app.core.marketing import tracking as core
from crm_app.exceptions import CampaignTrackingLinkError
from crm_app.utils import core_message

EMAIL = "CX Campaign Email"
RECIPIENT = "CX Campaign Email Recipient"
OPEN_METHOD = "crm_app.cx_marketing.tracking.open_pixel"
CLICK_METHOD = "crm_app.cx_marketing.tracking.click"
UNSUBSCRIBE_METHOD = "frappe.email.queue.unsubscribe"
# Guest endpoints: the same mail from one address (forwarded, reopened, a scanner) at most this often an
# hour; and all tracking from one address (a mail provider's image proxy fetches for many people) per
# ten minutes. Past either, the request fails with 429 and nothing is counted.
PER_MESSAGE_PER_HOUR = 100
PER_ADDRESS_PER_10_MINUTES = 6000


def per_message_limit() -> int:
	return PER_MESSAGE_PER_HOUR


def per_address_limit() -> int:
	return PER_ADDRESS_PER_10_MINUTES


# -- queueing: the hook in SendPlan.message ----------------------------------------------------------------


def track(plan, html: str, message_id: str) -> str:
	"""One member's mail with its template links going through the click endpoint and an open pixel;
	unchanged when the campaign email does not track. The link map is made once per SendPlan."""
	tracker = plan.__dict__.get("_link_tracker")
	if tracker is None:
		tracker = plan._link_tracker = link_tracker(plan.doc, plan.site_url)
	return tracker.apply(html, message_id) if tracker else html


def link_tracker(doc, site_url: str) -> core.LinkTracker | bool:
	"""The campaign email's tracker (False when it does not track): the links written in its steps'
	templates, registered in `tracked_links`."""
	if not cint(doc.get("track_opens_and_clicks")):
		return False
	attributes = core.static_links(
		template_sources(doc), skip=(UNSUBSCRIBE_METHOD, OPEN_METHOD, CLICK_METHOD)
	)
	by_raw = register_links(doc.name, list(attributes.values()))
	return core.LinkTracker(
		campaign_email=doc.name,
		links={attribute: by_raw[raw] for attribute, raw in attributes.items()},
		open_url=f"{site_url}/api/method/{OPEN_METHOD}",
		click_url=f"{site_url}/api/method/{CLICK_METHOD}",
		key=core.signer(get_secret()),
	)


def template_sources(doc) -> list[str]:
	"""The HTML of every step's Email Template (a send's later steps share the link list)."""
	sources = []
	for row in doc.steps:
		template = frappe.db.get_value(
			"Email Template", row.email_template, ["use_html", "response", "response_html"], as_dict=True
		)
		if template:
			sources.append((template.response_html if template.use_html else template.response) or "")
	return sources


def register_links(campaign_email: str, raw_hrefs: list[str]) -> dict[str, int]:
	"""Each raw href's link index; new links appended to the campaign email's `tracked_links` under a
	row lock (two steps queueing at once append in turn, and no index is ever reused)."""
	stored = stored_links(campaign_email)
	links, by_raw = core.merge_links(stored, raw_hrefs)
	if len(links) == len(stored):
		return by_raw  # every link known: no lock, no write
	stored = stored_links(campaign_email, for_update=True)
	links, by_raw = core.merge_links(stored, raw_hrefs)
	if len(links) != len(stored):
		frappe.db.set_value(
			EMAIL, campaign_email, "tracked_links", json.dumps(links, indent=1), update_modified=False
		)
	return by_raw


def stored_links(campaign_email: str, for_update: bool = False) -> list[str]:
	value = frappe.db.get_value(EMAIL, campaign_email, "tracked_links", for_update=for_update)
	try:
		links = json.loads(value or "[]")
	except ValueError:
		return []
	return links if isinstance(links, list) else []


# -- the guest endpoints ----------------------------------------------------------------------------------


@frappe.whitelist(allow_guest=True, methods=["GET"])
@rate_limit(limit=per_address_limit, seconds=600, methods=["GET"])
@rate_limit(key="m", limit=per_message_limit, seconds=3600, methods=["GET"])
def open_pixel(c: str, m: str, s: str) -> None:
	"""The open pixel of one campaign mail (c: campaign email, m: Message-Id, s: signature): a 1x1 GIF;
	the first open of the mail is counted."""
	refuse_unless_signed(c, m, s)
	email = campaign_email_of(c)
	if cint(email.track_opens_and_clicks):
		recipient = find_recipient(c, m)
		if recipient and mark_opened(email, recipient, now_datetime()):
			frappe.local.flags.commit = True  # a GET request commits only when asked to
	frappe.local.response.update(
		{
			"type": "download",
			"filename": "pixel.gif",
			"filecontent": core.PIXEL_GIF,
			"content_type": "image/gif",
			"display_content_as": "inline",
		}
	)


@frappe.whitelist(allow_guest=True, methods=["GET"])
@rate_limit(limit=per_address_limit, seconds=600, methods=["GET"])
@rate_limit(key="m", limit=per_message_limit, seconds=3600, methods=["GET"])
def click(c: str, m: str, l: str, s: str) -> None:  # noqa: E741 (short: the URL is in every mail)
	"""A tracked link of one campaign mail (l: the link's index in the campaign email's links): redirects
	to the URL the template had; the first click of the mail is counted (and an open, if none was)."""
	try:
		index = int(l)
	except (TypeError, ValueError):
		refuse(_("This tracking link names no link."))
	refuse_unless_signed(c, m, s, index)
	email = campaign_email_of(c)
	links = email_links(email)
	try:
		url = links[core.link_index(index, links)]
	except core.TrackingError as error:
		refuse(core_message(error))
	if urlparse(url).scheme not in ("http", "https"):
		refuse(_("This tracking link names no web address."))
	if cint(email.track_opens_and_clicks):
		recipient = find_recipient(c, m)
		if recipient and mark_clicked(email, recipient, now_datetime()):
			frappe.local.flags.commit = True
	frappe.local.response["type"] = "redirect"
	frappe.local.response["location"] = url


def refuse_unless_signed(campaign_email: str, message_id: str, signature: str, link: int | None = None):
	try:
		core.verify(core.signer(get_secret()), signature, str(campaign_email), str(message_id), link)
	except core.TrackingError as error:
		refuse(core_message(error))


def refuse(message: str):
	"""Nothing is recorded; a browser shows Frappe's "Not Found" page, an API client the message."""
	frappe.throw(message, CampaignTrackingLinkError)


def campaign_email_of(name: str):
	email = frappe.db.get_value(
		EMAIL, name, ["name", "campaign", "track_opens_and_clicks", "tracked_links"], as_dict=True
	)
	if not email:
		refuse(_("This tracking link names no campaign email."))
	return email


def email_links(email) -> list[str]:
	try:
		links = json.loads(email.tracked_links or "[]")
	except ValueError:
		return []
	return links if isinstance(links, list) else []


def find_recipient(campaign_email: str, message_id: str):
	"""The recipient row of the mail with this Message-Id (through its Email Queue row), or None when the
	mail is unknown or its Email Queue row has been cleared."""
	queue, recipient = frappe.qb.DocType("Email Queue"), frappe.qb.DocType(RECIPIENT)
	rows = (
		frappe.qb.from_(queue)
		.join(recipient)
		.on(recipient.email_queue == queue.name)
		.select(recipient.name, recipient.member_doctype, recipient.member_name, recipient.email)
		.where(
			(queue.message_id == message_id)
			& (queue.reference_doctype == EMAIL)
			& (queue.reference_name == campaign_email)
			& (recipient.campaign_email == campaign_email)
		)
		.limit(1)
		.run(as_dict=True)
	)
	return rows[0] if rows else None


# -- recording, once per recipient row --------------------------------------------------------------------


def mark_opened(email, recipient, now) -> bool:
	"""The first open of a recipient row: its time, status Opened (from Sent), the count, a touch."""
	frappe.db.sql(
		"""update `tabCX Campaign Email Recipient`
		set opened_on = %(now)s, status = if(status = 'Sent', 'Opened', status)
		where name = %(name)s and opened_on is null""",
		{"now": now, "name": recipient.name},
	)
	if not frappe.db._cursor.rowcount:
		return False  # opened before: counted then
	add_count(email.name, "opened")
	touch(email, recipient, "Email Opened", now)
	return True


def mark_clicked(email, recipient, now) -> bool:
	"""The first click of a recipient row (which also counts as its open)."""
	opened = mark_opened(email, recipient, now)
	frappe.db.sql(
		"""update `tabCX Campaign Email Recipient` set clicked_on = %(now)s
		where name = %(name)s and clicked_on is null""",
		{"now": now, "name": recipient.name},
	)
	if not frappe.db._cursor.rowcount:
		return opened
	add_count(email.name, "clicked")
	touch(email, recipient, "Link Clicked", now)
	return True


def add_count(campaign_email: str, fieldname: str) -> None:
	"""One more open or click, in place, as the send adds its counts."""
	from crm_app.cx_marketing.sends import add_counts  # sends imports this module

	add_counts(campaign_email, {fieldname: 1})


def touch(email, recipient, touch_type: str, now) -> None:
	record_touch = frappe.get_attr("crm_app.cx_marketing.results.record_touch")
	record_touch(
		email.campaign,
		recipient.member_doctype,
		recipient.member_name,
		touch_type,
		email=recipient.email,
		touched_on=now,
	)
