"""Opens and clicks of campaign email (crm_app/cx_marketing/tracking.py): a queued mail's links and pixel,
the guest endpoints called as a browser would (GET, as Guest, through Frappe's handler and rate limiter),
each open and click counted once, and every changed or unknown link refused with nothing recorded.

Mails are queued through the send's own batch (`StepRun.queue_batch`) without its resumable job, so
nothing is committed and each test rolls back."""

import email
import uuid
from html import unescape
from types import SimpleNamespace
from unittest.mock import patch
from urllib.parse import parse_qs, urlencode, urlparse

import frappe
import frappe.handler
from frappe.utils import set_request

from crm_app.core.marketing.tracking import PIXEL_GIF
from crm_app.cx_marketing import sends, tracking
from crm_app.exceptions import CampaignTrackingLinkError

from .factories import CXTestCase, make_campaign, make_lead

SHOP = "https://shop.example/spring?utm_source=mail&utm_medium=email"
BLOG = "https://blog.example/post"
BODY = (
	'<p>Dear {{ first_name }},</p><p><a href="https://shop.example/spring?utm_source=mail&amp;'
	'utm_medium=email">Shop</a> <a href="https://blog.example/post">Blog</a> '
	'<a href="mailto:news@example.com">Write</a> <a href="{{ unsubscribe_url }}">Leave</a></p>'
)


def html_and_text(message: str) -> tuple[str, str]:
	parsed = email.message_from_string(message)
	parts = {
		p.get_content_type(): p.get_payload(decode=True).decode()
		for p in parsed.walk()
		if p.get_content_maintype() == "text"
	}
	return parts["text/html"], parts["text/plain"]


def tracking_urls(html: str) -> tuple[dict, list[dict]]:
	"""(the pixel's query, each click link's query) of a mail's HTML."""

	def query(url: str) -> dict:
		return {key: values[0] for key, values in parse_qs(urlparse(unescape(url)).query).items()}

	pixels = [
		query(part.split('"')[0]) for part in html.split('src="')[1:] if tracking.OPEN_METHOD in part[:200]
	]
	clicks = [
		query(part.split('"')[0]) for part in html.split('href="')[1:] if tracking.CLICK_METHOD in part[:200]
	]
	assert len(pixels) == 1, pixels
	return pixels[0], clicks


class TrackingCase(CXTestCase):
	def setUp(self):
		super().setUp()
		self.tag = frappe.generate_hash(length=6)
		self.campaign = make_campaign(f"Track {self.tag}")
		frappe.local.conf.mail_server = "localhost"  # a default outgoing account from site_config
		self.addCleanup(self.forget_mail_server)
		previous = (getattr(frappe.local, "request", None), getattr(frappe.local, "request_ip", None))
		self.addCleanup(self.restore_request, *previous)
		frappe.local.request_ip = f"198.51.100.{uuid.uuid4().int % 250}-{self.tag}"  # own rate limits

	@staticmethod
	def forget_mail_server():
		# (the account Frappe found through it is forgotten by CXTestCase.tearDown)
		frappe.local.conf.pop("mail_server", None)
		frappe.local.flags.commit = False

	@staticmethod
	def restore_request(request, request_ip):
		frappe.local.request, frappe.local.request_ip = request, request_ip
		frappe.local.response = frappe._dict()
		frappe.local.form_dict = frappe._dict()

	def queue(self, names=("Ada", "Grace"), body=BODY, **values) -> str:
		"""A campaign email to leads of the campaign, queued: its name."""
		for name in names:
			make_lead(first_name=name, email=self.address(name), campaign=self.campaign)
		template = f"CX Track {self.tag} {frappe.generate_hash(length=4)}"
		frappe.get_doc(
			{
				"doctype": "Email Template",
				"name": template,
				"subject": "Hi",
				"use_html": 1,
				"response_html": body,
			}
		).insert()
		doc = frappe.get_doc(
			{
				"doctype": sends.EMAIL,
				"title": "Spring",
				"campaign": self.campaign,
				"sender": "news@example.com",
				"steps": [{"email_template": template}],
				**values,
			}
		).insert()
		frappe.db.set_value(sends.EMAIL, doc.name, "status", "Sending")
		run = sends.StepRun(doc.name, 1, SimpleNamespace(basis=None, cursor=None))
		run.queue_batch(sends.read_members(run.doc, 1, "", 0))
		return doc.name

	def address(self, name: str) -> str:
		return f"{name.lower()}.{self.tag}@example.com"

	def mail(self, campaign_email: str, name: str) -> tuple[frappe._dict, str, str]:
		row = frappe.get_all(
			sends.RECIPIENT, {"campaign_email": campaign_email, "email": self.address(name)}, ["*"]
		)[0]
		html, text = html_and_text(frappe.db.get_value("Email Queue", row.email_queue, "message"))
		return row, html, text

	def get(self, method: str, params: dict) -> frappe._dict:
		"""A GET of the endpoint as Guest, through Frappe's handler: the response."""
		frappe.set_user("Guest")
		try:
			set_request(method="GET", path=f"/api/method/{method}?{urlencode(params)}")
			frappe.local.form_dict = frappe._dict(params, cmd=method)  # as Frappe's router sets it
			frappe.local.response = frappe._dict()
			frappe.handler.execute_cmd(method)
			return frappe.local.response
		finally:
			frappe.set_user("Administrator")

	def touches(self, touch_type: str) -> int:
		return frappe.db.count("CX Campaign Touch", {"campaign": self.campaign, "touch_type": touch_type})

	def counts(self, campaign_email: str) -> tuple[int, int]:
		return tuple(frappe.db.get_value(sends.EMAIL, campaign_email, ["opened", "clicked"]))


class TestQueuedMail(TrackingCase):
	def test_template_links_go_through_the_click_endpoint_and_each_mail_has_a_pixel(self):
		name = self.queue()
		self.assertEqual(
			frappe.parse_json(frappe.db.get_value(sends.EMAIL, name, "tracked_links")), [SHOP, BLOG]
		)
		ids = set()
		for member in ("Ada", "Grace"):
			row, html, text = self.mail(name, member)
			pixel, clicks = tracking_urls(html)
			message_id = frappe.db.get_value("Email Queue", row.email_queue, "message_id")
			self.assertEqual((pixel["c"], pixel["m"]), (name, message_id))
			self.assertEqual([click["l"] for click in clicks], ["0", "1"])
			self.assertTrue(all(click["m"] == message_id for click in clicks))
			ids.add(message_id)
			# untouched: mailto and the member's own unsubscribe link; the text part keeps the real URLs
			self.assertIn('href="mailto:news@example.com"', html)
			self.assertIn("frappe.email.queue.unsubscribe", html)
			self.assertNotIn(tracking.CLICK_METHOD, text)
			self.assertIn(BLOG, text)
		self.assertEqual(len(ids), 2)

	def test_a_campaign_email_that_does_not_track_has_no_pixel_and_its_own_links(self):
		name = self.queue(track_opens_and_clicks=0)
		_row, html, _text = self.mail(name, "Ada")
		self.assertNotIn(tracking.OPEN_METHOD, html)
		self.assertNotIn(tracking.CLICK_METHOD, html)
		self.assertIn('href="https://blog.example/post"', html)


class TestEndpoints(TrackingCase):
	def setUp(self):
		super().setUp()
		self.name = self.queue()
		self.row, html, _text = self.mail(self.name, "Ada")
		frappe.db.set_value(sends.RECIPIENT, self.row.name, "status", "Sent")  # the Email Queue sent it
		self.pixel, self.clicks = tracking_urls(html)

	def test_an_open_is_counted_once(self):
		for _ in range(3):
			response = self.get(tracking.OPEN_METHOD, self.pixel)
			self.assertEqual((response.type, response.content_type), ("download", "image/gif"))
			self.assertEqual(response.filecontent, PIXEL_GIF)
		row = frappe.db.get_value(
			sends.RECIPIENT, self.row.name, ["status", "opened_on", "clicked_on"], as_dict=True
		)
		self.assertEqual(row.status, "Opened")
		self.assertIsNotNone(row.opened_on)
		self.assertIsNone(row.clicked_on)
		self.assertEqual(self.counts(self.name), (1, 0))
		self.assertEqual((self.touches("Email Opened"), self.touches("Link Clicked")), (1, 0))
		self.assertTrue(frappe.local.flags.commit)  # a GET commits only when asked to

	def test_a_click_goes_to_the_templates_url_and_is_counted_once(self):
		for click, url in ((self.clicks[0], SHOP), (self.clicks[1], BLOG), (self.clicks[0], SHOP)):
			response = self.get(tracking.CLICK_METHOD, click)
			self.assertEqual((response.type, response.location), ("redirect", url))
		row = frappe.db.get_value(sends.RECIPIENT, self.row.name, ["opened_on", "clicked_on"], as_dict=True)
		self.assertIsNotNone(row.clicked_on)
		self.assertIsNotNone(row.opened_on)  # a click is an open too
		self.assertEqual(self.counts(self.name), (1, 1))
		self.assertEqual((self.touches("Email Opened"), self.touches("Link Clicked")), (1, 1))
		self.get(tracking.OPEN_METHOD, self.pixel)  # the image loads after the click: no second open
		self.assertEqual(self.counts(self.name), (1, 1))

	def test_other_members_are_counted_on_their_own_rows(self):
		other, html, _text = self.mail(self.name, "Grace")
		_pixel, clicks = tracking_urls(html)
		self.get(tracking.OPEN_METHOD, self.pixel)
		self.get(tracking.CLICK_METHOD, clicks[1])
		self.assertEqual(self.counts(self.name), (2, 1))
		self.assertIsNone(frappe.db.get_value(sends.RECIPIENT, self.row.name, "clicked_on"))
		self.assertIsNotNone(frappe.db.get_value(sends.RECIPIENT, other.name, "clicked_on"))

	def test_a_changed_link_is_refused_and_records_nothing(self):
		shop, blog = self.clicks
		signature = shop["s"]
		flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
		forged = {
			"changed signature": {**shop, "s": flipped},
			"no signature": {key: value for key, value in shop.items() if key != "s"} | {"s": ""},
			"another link index": {**shop, "l": blog["l"]},
			"a link index past the list": {**shop, "l": "7"},
			"a link index that is no number": {**shop, "l": "x"},
			"another message": {**shop, "m": f"other.{self.tag}@example.com"},
			"another campaign email": {**shop, "c": "CXCE-99999"},
			"an open signature on a click": {**shop, "s": self.pixel["s"]},
			"a URL instead of an index": {**shop, "l": "https://evil.example/"},
		}
		for what, params in forged.items():
			with self.subTest(what), self.assertRaises(CampaignTrackingLinkError) as raised:
				self.get(tracking.CLICK_METHOD, params)
			self.assertIn("tracking link", str(raised.exception))
			self.assertNotIn("evil.example", str(frappe.local.response.get("location")))
		for what, params in {
			"changed signature": {**self.pixel, "s": flipped},
			"another message": {**self.pixel, "m": "x@example.com"},
			"a click signature on the pixel": {**self.pixel, "s": shop["s"]},
		}.items():
			with self.subTest(what), self.assertRaises(CampaignTrackingLinkError):
				self.get(tracking.OPEN_METHOD, params)
		self.assertEqual(CampaignTrackingLinkError.http_status_code, 404)
		self.assertEqual(self.counts(self.name), (0, 0))
		self.assertEqual((self.touches("Email Opened"), self.touches("Link Clicked")), (0, 0))
		self.assertIsNone(frappe.db.get_value(sends.RECIPIENT, self.row.name, "opened_on"))

	def test_an_unknown_recipient_is_refused(self):
		unknown = {"c": self.name, "m": f"never.sent.{self.tag}@example.com", "l": "0", "s": "0" * 32}
		with self.assertRaises(CampaignTrackingLinkError):
			self.get(tracking.CLICK_METHOD, unknown)
		with self.assertRaises(CampaignTrackingLinkError):
			self.get(tracking.OPEN_METHOD, {key: unknown[key] for key in ("c", "m", "s")})
		self.assertEqual(self.counts(self.name), (0, 0))

	def test_a_mail_whose_queue_row_was_cleared_still_leads_to_its_link_but_is_not_counted(self):
		frappe.db.delete("Email Queue", {"name": self.row.email_queue})  # Log Settings after 30 days
		response = self.get(tracking.CLICK_METHOD, self.clicks[1])
		self.assertEqual((response.type, response.location), ("redirect", BLOG))
		self.assertEqual(self.get(tracking.OPEN_METHOD, self.pixel).filecontent, PIXEL_GIF)
		self.assertEqual(self.counts(self.name), (0, 0))
		self.assertEqual(self.touches("Link Clicked"), 0)

	def test_switching_tracking_off_stops_counting_but_not_the_links(self):
		frappe.db.set_value(sends.EMAIL, self.name, "track_opens_and_clicks", 0)
		self.assertEqual(self.get(tracking.CLICK_METHOD, self.clicks[0]).location, SHOP)
		self.assertEqual(self.counts(self.name), (0, 0))

	def test_one_address_repeating_one_mail_is_rate_limited(self):
		with patch.object(tracking, "PER_MESSAGE_PER_HOUR", 2):
			self.get(tracking.OPEN_METHOD, self.pixel)
			self.get(tracking.CLICK_METHOD, self.clicks[0])  # each endpoint counts on its own
			self.get(tracking.OPEN_METHOD, self.pixel)
			with self.assertRaises(frappe.RateLimitExceededError):
				self.get(tracking.OPEN_METHOD, self.pixel)
		self.assertEqual(self.counts(self.name), (1, 1))

	def test_a_link_index_once_given_keeps_its_url_when_the_template_changes(self):
		template = frappe.db.get_value("CX Campaign Email Step", {"parent": self.name}, "email_template")
		frappe.db.set_value(
			"Email Template", template, "response_html", '<a href="https://new.example/">New</a>' + BODY
		)
		doc = frappe.get_doc(sends.EMAIL, self.name)
		links = tracking.link_tracker(doc, frappe.utils.get_url()).links
		self.assertEqual(links['href="https://new.example/"'], 2)
		self.assertEqual(self.get(tracking.CLICK_METHOD, self.clicks[1]).location, BLOG)
