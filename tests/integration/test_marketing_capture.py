"""Lead capture: the /contact-us web form as a guest (UTM campaign, scoring, assignment, duplicates), the rate
limit and spam check, email-to-lead, and what a guest can read (nothing)."""

import json
import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid
from unittest.mock import patch

import frappe
import frappe.api
from frappe.email.receive import InboundMail
from frappe.utils import set_request
from frappe.website.serve import get_response

from crm_app.core.marketing.capture import form_stamp
from crm_app.cx_marketing import capture
from crm_app.cx_support.inbound import ThreadedInboundMail
from crm_app.cx_support.portal import stamp_key
from crm_app.exceptions import LeadCaptureRateLimitedError, LeadCaptureRefusedError

from .factories import CXTestCase, count, make_campaign, make_lead, make_user

FORM = "contact-us"
RULE = "CX Leads by Source - Round Robin"  # source == "Website" and status == "New"
TOUCH = "crm_app.cx_marketing.results.record_touch"
SALES = "capture.rep@example.com"


def post(values: dict, *, age: float = 10, honeypot: str | None = "", form: str = FORM, **extra):
	"""Post the web form as a guest, as the page's script does (form stamp `age` seconds old)."""
	data = {**values, "cx_form_stamp": form_stamp(stamp_key(), time.time() - age), **extra}
	if honeypot is not None:
		data["homepage"] = honeypot
	frappe.set_user("Guest")
	try:
		return capture.accept_web_form(form, json.dumps(data))
	finally:
		frappe.set_user("Administrator")


def new_address() -> str:
	return f"203.0.113.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:6]}"


class CaptureCase(CXTestCase):
	def setUp(self):
		super().setUp()
		self.previous_ip = getattr(frappe.local, "request_ip", None)
		frappe.local.request_ip = new_address()  # each test its own rate-limit counters
		frappe.local.message_log = []

	def tearDown(self):
		super().tearDown()
		frappe.local.request_ip = self.previous_ip
		for name in frappe.get_all("Assignment Rule", filters={"document_type": "CX Lead"}, pluck="name"):
			frappe.get_doc("Assignment Rule", name).clear_cache()  # the rollback does not reach the cache

	def enable_rule(self, user: str = SALES) -> str:
		make_user(user, "Sales User")
		rule = frappe.get_doc("Assignment Rule", RULE)
		rule.set("users", [{"user": user}])
		rule.disabled = 0
		rule.save()
		return user

	def lead_by_email(self, email: str):
		names = frappe.get_all("CX Lead", filters={"email": email}, pluck="name")
		self.assertEqual(len(names), 1, names)
		return frappe.get_doc("CX Lead", names[0])


class TestWebFormLead(CaptureCase):
	def test_a_lead_with_utm_data_lands_on_its_campaign_scored_and_assigned(self):
		campaign = make_campaign("Spring Sale 2026")
		user = self.enable_rule()
		with patch(TOUCH) as record_touch:
			answer = post(
				{
					"first_name": "Olena",
					"last_name": "Petrenko",
					"email": "olena@svitanok.example",
					"organization_name": "Svitanok",
					"notes": "Please call me\nafter 10",
				},
				utm_source="Website",
				utm_medium="CPC",
				utm_campaign="spring-sale-2026",
				utm_content="banner <b>top</b>",
			)
		self.assertEqual(answer, {"doctype": "CX Lead", "received": True})
		lead = self.lead_by_email("olena@svitanok.example")
		self.assertEqual((lead.campaign, lead.source), (campaign, "Website"))
		self.assertEqual(
			(lead.utm_source, lead.utm_medium, lead.utm_campaign, lead.utm_content),
			("website", "cpc", "spring-sale-2026", "banner btop/b"),
		)
		self.assertEqual(lead.notes, "<p>Please call me<br>after 10</p>")
		self.assertGreaterEqual(lead.lead_score, 10)  # the default criteria give an email 10 points
		self.assertTrue(lead.scored_on)
		assigned = frappe.get_all(
			"ToDo",
			{"reference_type": "CX Lead", "reference_name": lead.name, "status": "Open"},
			pluck="allocated_to",
		)
		self.assertEqual(assigned, [user])
		self.assertEqual((lead.lead_owner, lead.assigned_user, lead.owner), (user, user, "Guest"))
		record_touch.assert_called_once_with(
			campaign,
			"CX Lead",
			lead.name,
			"Captured",
			email="olena@svitanok.example",
			utm_source="website",
			utm_medium="cpc",
		)

	def test_the_touch_is_recorded_on_the_campaign(self):
		if not frappe.db.exists("DocType", "CX Campaign Touch"):
			self.skipTest("the results part is not installed on this site")
		campaign = make_campaign("Webinar Capture")
		post({"first_name": "Ira", "email": "ira@touch.example"}, utm_campaign="webinar capture")
		lead = self.lead_by_email("ira@touch.example")
		touches = frappe.get_all(
			"CX Campaign Touch",
			{"reference_doctype": "CX Lead", "reference_name": lead.name},
			["campaign", "touch_type", "email"],
		)
		self.assertEqual([tuple(t.values()) for t in touches], [(campaign, "Captured", "ira@touch.example")])

	def test_the_campaign_slug_is_found_by_its_indexed_value_not_by_reading_the_campaigns(self):
		campaign = make_campaign("Winter Sale — 2026")
		self.assertEqual(frappe.db.get_value("CX Campaign", campaign, "utm_slug"), "winter-sale-2026")
		with patch.object(frappe, "get_all", wraps=frappe.get_all) as get_all:
			self.assertEqual(capture.match_campaign("WINTER_sale 2026"), campaign)
			self.assertIsNone(capture.match_campaign("winter-sale-2027"))
		for call in get_all.call_args_list:
			if call.args and call.args[0] == "CX Campaign":
				self.assertEqual(call.kwargs.get("limit"), 1, call)
				self.assertIn("utm_slug", call.kwargs.get("filters", {}), call)

	def test_without_a_matching_campaign_or_rule_the_lead_is_unowned_and_from_the_website(self):
		with patch(TOUCH) as record_touch:
			post({"first_name": "Max", "email": "max@nowhere.example"}, utm_campaign="no-such-campaign")
		lead = self.lead_by_email("max@nowhere.example")
		self.assertEqual(
			(lead.campaign, lead.source, lead.utm_campaign), (None, "Website", "no-such-campaign")
		)
		self.assertFalse(lead.lead_owner)
		record_touch.assert_not_called()

	def test_a_guest_with_an_open_leads_email_changes_nothing_of_it_and_leaves_a_comment(self):
		"""Whoever posts the form proves no claim to the address: the open lead keeps every field (no
		fill-in of its empty ones, no campaign, no touch) and its owner reads the submission."""
		campaign = make_campaign("Autumn Fair")
		existing = make_lead(
			first_name="Olena",
			last_name="P",
			email="olena@svitanok.example",
			notes="First request",
			lead_owner=make_user(SALES, "Sales User"),
		)
		kept = {
			k: v for k, v in frappe.get_doc("CX Lead", existing.name).as_dict().items() if k != "_comments"
		}
		before = count("CX Lead")
		with patch(TOUCH) as record_touch:
			answer = post(
				{
					"first_name": "Helena",
					"email": "OLENA@svitanok.example",
					"organization_name": "Svitanok",
					"mobile_no": "+380 44 123 4567",
					"notes": "Second request <b>now</b>",
				},
				utm_campaign="Autumn Fair",
				utm_source="fair",
			)
		self.assertEqual(answer, {"doctype": "CX Lead", "received": True})  # the same answer as a new lead
		self.assertEqual(count("CX Lead"), before)
		record_touch.assert_not_called()
		lead = frappe.get_doc("CX Lead", existing.name)
		self.assertEqual({k: v for k, v in lead.as_dict().items() if k != "_comments"}, kept)
		self.assertEqual(count("CX Campaign Touch", {"reference_name": existing.name}), 0)
		comments = frappe.get_all(
			"Comment",
			{"reference_doctype": "CX Lead", "reference_name": lead.name, "comment_type": "Comment"},
			["content", "comment_email"],
		)
		self.assertEqual(len(comments), 1, comments)
		content = comments[0].content
		for text in ("Second request &lt;b&gt;now", "Helena", "Svitanok", "+380 44 123 4567", campaign):
			self.assertIn(text, content)
		self.assertNotIn("<b>", content)
		self.assertEqual(comments[0].comment_email.lower(), "olena@svitanok.example")

	def test_a_lost_lead_with_the_email_does_not_take_the_new_request(self):
		lost = make_lead(first_name="Old", email="again@svitanok.example")
		frappe.db.set_value("CX Lead", lost.name, "status", "Lost")
		post({"first_name": "New", "email": "again@svitanok.example"})
		self.assertEqual(count("CX Lead", {"email": "again@svitanok.example"}), 2)

	def test_a_fuzzy_match_is_created_noted_for_review_and_never_told_to_the_guest(self):
		make_user("other.rep@example.com", "Sales User")
		existing = make_lead(
			first_name="Olena",
			last_name="Petrenko",
			mobile_no="+380441234567",
			lead_owner="other.rep@example.com",
		)
		frappe.local.message_log = []
		post(
			{
				"first_name": "Olena",
				"last_name": "Petrenko",
				"email": "olena@home.example",
				"mobile_no": "+380441234567",
			}
		)
		self.assertEqual(frappe.local.message_log, [])  # no "possible duplicate", no "already worked by"
		lead = self.lead_by_email("olena@home.example")
		notes = frappe.get_all(
			"Comment", {"reference_doctype": "CX Lead", "reference_name": lead.name}, pluck="content"
		)
		self.assertTrue(any(existing.name in (n or "") for n in notes), notes)
		keys = frappe.get_all("CX Duplicate Key", {"record_doctype": "CX Lead", "record_name": lead.name})
		self.assertTrue(keys)  # the bulk scan will find the pair

	def test_a_guest_sets_only_the_forms_own_fields(self):
		answer = post(
			{
				"first_name": "Eve",
				"email": "eve@intruder.example",
				"lead_owner": "Administrator",
				"status": "Qualified",
				"lead_score": 99,
				"city": "Kyiv",  # a lead field, but not on the form
				"customer": "X",
			},
		)
		self.assertTrue(answer["received"])
		lead = self.lead_by_email("eve@intruder.example")
		self.assertEqual((lead.status, lead.lead_owner, lead.city, lead.customer), ("New", None, None, None))
		self.assertLess(lead.lead_score, 99)

	def test_a_form_cannot_edit_a_lead(self):
		lead = make_lead(first_name="Kept", email="kept@svitanok.example")
		with self.assertRaises(LeadCaptureRefusedError):
			post({"name": lead.name, "first_name": "Changed", "email": "kept@svitanok.example"})
		self.assertEqual(frappe.db.get_value("CX Lead", lead.name, "first_name"), "Kept")

	def test_a_required_field_of_the_form_is_required(self):
		with self.assertRaises(frappe.MandatoryError):
			post({"first_name": "No Email"})


class TestGuestLimits(CaptureCase):
	def test_a_thousand_posts_a_minute_from_one_address_keep_the_first_few(self):
		before = count("CX Lead")
		accepted, refused = 0, 0
		frozen = time.time()
		with patch.object(capture.time, "time", return_value=frozen):
			for i in range(1000):
				try:
					post({"first_name": f"Flood {i}", "email": f"flood{i}@bots.example"})
					accepted += 1
				except LeadCaptureRateLimitedError:
					refused += 1
			self.assertEqual((accepted, refused), (5, 995))
			self.assertEqual(count("CX Lead"), before + 5)  # the refused left nothing behind
			frappe.local.request_ip = new_address()
			post(
				{"first_name": "Neighbour", "email": "neighbour@people.example"}
			)  # another address is served
		self.assertEqual(LeadCaptureRateLimitedError.http_status_code, 429)

	def test_the_honeypot_refuses_and_writes_nothing(self):
		before = count("CX Lead")
		with self.assertRaises(LeadCaptureRefusedError):
			post({"first_name": "Bot", "email": "bot@bots.example"}, honeypot="http://spam.example")
		self.assertEqual(count("CX Lead"), before)

	def test_too_fast_no_stamp_links_and_advertising_are_refused(self):
		refused = (
			({"first_name": "Quick", "email": "q@bots.example"}, {"age": 0.5}),
			({"first_name": "Stampless", "email": "s@bots.example"}, {"honeypot": None}),
			({"first_name": "www.pills.example", "email": "l@bots.example"}, {}),
			({"first_name": "Ann", "email": "a@bots.example", "notes": "Cheap SEO services for you"}, {}),
			(
				{
					"first_name": "Ann",
					"email": "b@bots.example",
					"notes": "http://a http://b http://c http://d",
				},
				{},
			),
		)
		before = count("CX Lead")
		for values, options in refused:
			with self.subTest(values=values), self.assertRaises(LeadCaptureRefusedError):
				post(values, **options)
		self.assertEqual(count("CX Lead"), before)

	def test_a_forged_stamp_is_refused(self):
		with self.assertRaises(LeadCaptureRefusedError):
			post({"first_name": "Forger", "email": "f@bots.example"}, cx_form_stamp="1.deadbeef")


class TestGuestReadsNothing(CaptureCase):
	def setUp(self):
		super().setUp()
		self.lead = make_lead(first_name="Secret", email="secret@svitanok.example")
		post({"first_name": "Mine", "email": "mine@guest.example"})
		self.guest_lead = self.lead_by_email("mine@guest.example").name  # owner Guest

	def as_guest(self, fn, *args, **kwargs):
		frappe.set_user("Guest")
		try:
			return fn(*args, **kwargs)
		finally:
			frappe.set_user("Administrator")

	def test_the_rest_api_and_client_refuse_a_guest(self):
		for name in (self.lead.name, self.guest_lead):
			with self.subTest(name=name), self.assertRaises(frappe.PermissionError):
				self.as_guest(frappe.client.get, "CX Lead", name)
		with self.assertRaises(frappe.PermissionError):
			self.as_guest(frappe.get_list, "CX Lead")

		def rest_list():
			set_request(method="GET", path="/api/resource/CX Lead")
			frappe.local.form_dict = frappe._dict()
			return frappe.api.handle(frappe.local.request)

		with self.assertRaises(frappe.PermissionError):
			self.as_guest(rest_list)

	def test_the_form_loads_no_record_and_says_the_same_whether_it_exists_or_not(self):
		for name in (self.lead.name, self.guest_lead, "CX-LEAD-NO-SUCH"):
			with self.subTest(name=name), self.assertRaises(frappe.PermissionError) as raised:
				self.as_guest(capture.get_form_data, "CX Lead", name, FORM)
			self.assertEqual(str(raised.exception), "Not permitted")
		form = self.as_guest(capture.get_form_data, "CX Lead", None, FORM)
		self.assertNotIn("doc", form)

	def test_the_forms_pages_show_no_record_to_a_guest(self):
		def page(path):
			set_request(method="GET", path=path)
			return get_response()

		for path in (f"/{FORM}/{self.guest_lead}", f"/{FORM}/{self.lead.name}/edit"):
			with self.subTest(path=path):
				response = self.as_guest(page, path)
				self.assertNotEqual(response.status_code, 200)
				self.assertNotIn("Secret", response.get_data(as_text=True))
		listing = self.as_guest(page, f"/{FORM}/list")
		self.assertIn(listing.status_code, (301, 302))
		self.assertTrue(listing.headers["Location"].endswith(f"/{FORM}/new"))

	def test_a_website_user_who_sent_the_form_cannot_load_the_lead_through_it(self):
		visitor = make_user("visitor@svitanok.example")  # no roles: a website user
		frappe.set_user(visitor)
		try:
			capture.accept_web_form(
				FORM,
				json.dumps(
					{
						"first_name": "Logged",
						"email": "visitor@svitanok.example",
						"homepage": "",
						"cx_form_stamp": form_stamp(stamp_key(), time.time() - 10),
					}
				),
			)
		finally:
			frappe.set_user("Administrator")
		lead = self.lead_by_email("visitor@svitanok.example")
		self.assertEqual(lead.owner, visitor)
		frappe.set_user(visitor)
		try:
			with self.assertRaises(frappe.PermissionError):
				capture.get_form_data("CX Lead", lead.name, FORM)
			# a single-entry form finds the visitor's own record without a name being asked for
			frappe.db.set_value("Web Form", FORM, "allow_multiple", 0)
			with self.assertRaises(frappe.PermissionError):
				capture.get_form_data("CX Lead", web_form_name=FORM)
			set_request(method="GET", path=f"/{FORM}/{lead.name}")
			response = get_response()
		finally:
			frappe.set_user("Administrator")
		self.assertIn(response.status_code, (301, 302, 403))  # the shipped form sends everyone to /new
		self.assertNotIn("lead_score", response.get_data(as_text=True))


class TestFormPage(CaptureCase):
	def page(self, path: str):
		frappe.set_user("Guest")
		try:
			set_request(method="GET", path=path)
			return get_response()
		finally:
			frappe.set_user("Administrator")

	def test_the_capture_script_is_read_once_and_again_when_the_file_changes(self):
		import builtins
		import os

		path = frappe.get_app_path("crm_app", "public", "js", "lead_capture_form.js")
		capture._form_script = None
		with patch.object(builtins, "open", wraps=builtins.open) as opened:
			first = capture.form_script()
			self.assertEqual(capture.form_script(), first)
			self.assertEqual([call.args[0] for call in opened.call_args_list], [path])
			stat = os.stat(path)
			os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
			try:
				self.assertEqual(capture.form_script(), first)
			finally:
				os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
			self.assertEqual(len(opened.call_args_list), 2)
		self.assertIn("cx_lead_capture", first)

	def test_the_shipped_form_is_published_for_guests_with_the_capture_script(self):
		form = frappe.get_doc("Web Form", FORM)
		self.assertEqual(
			(form.module, form.doc_type, form.published, form.login_required),
			("CX Marketing", "CX Lead", 1, 0),
		)
		response = self.page(f"/{FORM}/new?utm_source=google")
		html = response.get_data(as_text=True)
		self.assertEqual(response.status_code, 200)
		self.assertIn("window.cx_lead_capture", html)
		self.assertIn("utm_capture.js", html)

	def test_a_marketers_own_form_gets_the_script_and_the_checks(self):
		form = frappe.get_doc(
			{
				"doctype": "Web Form",
				"title": "Event signup",
				"route": "event-signup-test",
				"doc_type": "CX Lead",
				"module": "CX Marketing",
				"is_standard": 0,
				"published": 1,
				"web_form_fields": [
					{"fieldname": "first_name", "fieldtype": "Data", "label": "Name", "reqd": 1},
					{"fieldname": "email", "fieldtype": "Data", "label": "Email", "options": "Email"},
					{"fieldname": "city", "fieldtype": "Data", "label": "City"},
				],
			}
		).insert()
		frappe.cache.delete_value("published_web_forms")
		self.addCleanup(frappe.cache.delete_value, "published_web_forms")
		self.assertIn("window.cx_lead_capture", self.page("/event-signup-test/new").get_data(as_text=True))
		post({"first_name": "Ann", "email": "ann@event.example", "city": "Lviv"}, form=form.name)
		self.assertEqual(self.lead_by_email("ann@event.example").city, "Lviv")
		with self.assertRaises(LeadCaptureRefusedError):
			post({"first_name": "Bot", "email": "bot@event.example"}, form=form.name, honeypot="x")

	def test_a_login_form_does_not_show_its_sender_the_lead(self):
		form = frappe.get_doc(
			{
				"doctype": "Web Form",
				"title": "Members request",
				"route": "members-request-test",
				"doc_type": "CX Lead",
				"module": "CX Marketing",
				"is_standard": 0,
				"published": 1,
				"login_required": 1,
				"web_form_fields": [{"fieldname": "first_name", "fieldtype": "Data", "label": "Name"}],
			}
		).insert()
		frappe.cache.delete_value("published_web_forms")
		self.addCleanup(frappe.cache.delete_value, "published_web_forms")
		member = make_user("member@svitanok.example")
		lead = make_lead(first_name="Member", email="member@svitanok.example")
		frappe.db.set_value("CX Lead", lead.name, "owner", member)  # as if the member had sent it
		frappe.set_user(member)
		try:
			set_request(method="GET", path=f"/{form.route}/{lead.name}")
			response = get_response()
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(response.status_code, 403)
		self.assertNotIn("lead_score", response.get_data(as_text=True))


# -- email to lead -------------------------------------------------------------------------------------

ACCOUNT = "test_lead_inbox"
INBOX = "sales@crm-app.example"


def lead_inbox():
	if not frappe.db.exists("Email Account", ACCOUNT):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": ACCOUNT,
				"email_id": INBOX,
				"enable_incoming": 1,
				"use_imap": 0,
				"enable_outgoing": 0,
				"append_to": "CX Lead",
				"email_server": "pop.crm-app.example",
				"password": "x",
			}
		).insert(ignore_permissions=True)
	return frappe.get_doc("Email Account", ACCOUNT)


def receive(sender: str, subject: str, body: str, in_reply_to: str | None = None):
	message = EmailMessage()
	message["From"] = sender
	message["To"] = INBOX
	message["Subject"] = subject
	message["Message-ID"] = make_msgid(domain="customer.example")
	if in_reply_to:
		message["In-Reply-To"] = in_reply_to
	message.set_content(body)
	mail = InboundMail(message.as_string(), lead_inbox())
	mail.__class__ = ThreadedInboundMail  # what the app's Email Account does with every email it pulls
	return mail.process()


class TestEmailToLead(CaptureCase):
	def test_a_new_sender_becomes_a_lead_and_their_next_emails_thread_onto_it(self):
		first = receive("Olena Petrenko <olena@svitanok.example>", "Pricing for 20 seats", "Hello, prices?")
		self.assertEqual(first.reference_doctype, "CX Lead")
		lead = frappe.get_doc("CX Lead", first.reference_name)
		self.assertEqual(
			(lead.first_name, lead.last_name, lead.email, lead.source),
			("Olena", "Petrenko", "olena@svitanok.example", "Email"),
		)
		self.assertEqual((lead.email_account, lead.email_subject), (ACCOUNT, "Pricing for 20 seats"))
		self.assertGreaterEqual(lead.lead_score, 10)
		other_subject = receive("olena@svitanok.example", "Another question", "And support?")
		reply = receive(
			"Olena <olena@svitanok.example>", "Re: Pricing", "Thanks", in_reply_to=first.message_id
		)
		self.assertEqual({other_subject.reference_name, reply.reference_name}, {lead.name})
		self.assertEqual(count("CX Lead", {"email": "olena@svitanok.example"}), 1)

	def test_an_email_from_an_open_leads_address_threads_onto_it(self):
		existing = make_lead(first_name="Known", email="known@svitanok.example")
		comm = receive("Known Person <known@svitanok.example>", "Hello again", "Me again")
		self.assertEqual(comm.reference_name, existing.name)
		self.assertEqual(count("CX Lead", {"email": "known@svitanok.example"}), 1)

	def test_a_sender_whose_lead_is_lost_but_who_has_an_open_one_reaches_the_open_one(self):
		lost = make_lead(first_name="Lost", email="twice@svitanok.example")
		frappe.db.set_value("CX Lead", lost.name, "status", "Lost")
		open_lead = make_lead(first_name="Open", email="twice@svitanok.example")
		frappe.db.set_value(
			"CX Lead", open_lead.name, "modified", "2000-01-01"
		)  # Frappe's pick: the lost one
		comm = receive("twice@svitanok.example", "Anything new?", "Hi")
		self.assertEqual(comm.reference_name, open_lead.name)

	def test_a_sender_without_a_display_name_is_named_from_the_address(self):
		comm = receive("ivan.franko@lit.example", "Hi", "Hi")
		lead = frappe.get_doc("CX Lead", comm.reference_name)
		self.assertEqual((lead.first_name, lead.last_name), ("Ivan", "Franko"))

	def test_the_assignment_rule_gives_an_email_lead_its_owner(self):
		user = make_user("mail.rep@example.com", "Sales User")
		rule = frappe.get_doc("Assignment Rule", "CX New Leads - Round Robin")
		rule.set("users", [{"user": user}])
		rule.disabled = 0
		rule.save()
		lead = frappe.get_doc(
			"CX Lead", receive("New One <new.one@svitanok.example>", "Hi", "Hi").reference_name
		)
		self.assertEqual((lead.lead_owner, lead.assigned_user), (user, user))
