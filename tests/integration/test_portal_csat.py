"""The support portal, the guest request form and CSAT ratings (crm_app/cx_support/portal.py, csat.py).

A portal user (a website user who is a Contact of a CX Customer) sees their contact's and their customer's
issues on every read path and nothing of another customer's: not on the pages, not through a reply, not
through the desk API (`/api/resource`, `frappe.client`), which refuses website users altogether. A guest
flooding the request form is refused after five requests. A resolved issue asks for one rating through a
signed link that works once.
"""

import json
import time
from unittest import mock

import frappe
import frappe.api.v1
import frappe.client
from frappe.utils import set_request
from frappe.utils.password import get_encryption_key
from frappe.website.serve import get_response
from frappe.www.list import get_list_data

from crm_app.core.service import portal as portal_rules
from crm_app.cx_support import csat, portal
from crm_app.exceptions import (
	InvalidFilterError,
	IssueClosedError,
	PortalInputError,
	RatingInputError,
	RatingLinkError,
	RatingNotAwaitedError,
	SpamSubmissionError,
)

from .factories import CXTestCase, make_customer, make_user

ISSUE = "CX Issue"
AGENT = "portal.agent@example.com"
SUBMIT_REQUEST = "crm_app.cx_support.portal.submit_request"


def unique(prefix: str) -> str:
	return f"{prefix}-{frappe.generate_hash(length=8)}"


def make_contact(email: str, customer: str | None, user: str | None = None) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": email.split("@")[0],
				"email_ids": [{"email_id": email, "is_primary": 1}],
				"links": [{"link_doctype": "CX Customer", "link_name": customer}] if customer else [],
				"user": user,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def make_issue(**values) -> str:
	return frappe.get_doc({"doctype": ISSUE, "subject": "Printer on fire", **values}).insert().name


def add_email(issue: str, sent_or_received: str, content: str, sender: str, **values) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"sent_or_received": sent_or_received,
				"sender": sender,
				"recipients": "someone@example.com",
				"subject": "About the printer",
				"content": content,
				"reference_doctype": ISSUE,
				"reference_name": issue,
				**values,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def set_status(issue: str, status: str) -> None:
	doc = frappe.get_doc(ISSUE, issue)
	doc.status = status
	doc.save()


UNBOUND = object()


def whitelisted(cmd: str):
	"""The function an HTTP call of `cmd` runs, after the apps' override_whitelisted_methods."""
	for override in reversed(frappe.get_hooks("override_whitelisted_methods", {}).get(cmd, [])):
		return frappe.get_attr(override)
	return frappe.get_attr(cmd)


def restore_request(saved) -> None:
	"""Leave frappe.local.request as the test found it (unbound outside a web request)."""
	if saved is UNBOUND:
		if hasattr(frappe.local, "request"):
			del frappe.local.request
	else:
		frappe.local.request = saved


def render(path: str) -> tuple[int, str]:
	"""A portal page as the current user sees it: status code and HTML (the request is gone afterwards)."""
	saved = getattr(frappe.local, "request", UNBOUND)
	set_request(method="GET", path=path)
	frappe.local.form_dict = frappe._dict(frappe.local.request.args.to_dict())
	try:
		response = get_response()
	finally:
		restore_request(saved)
		frappe.local.form_dict = frappe._dict()
	return response.status_code, frappe.safe_decode(response.get_data())


class PortalTestCase(CXTestCase):
	def setUp(self):
		super().setUp()
		self.saved_request = getattr(frappe.local, "request", UNBOUND)
		make_user(AGENT, "Support Team")
		self.customer = make_customer(customer_name=unique("Portal Co")).name
		self.other_customer = make_customer(customer_name=unique("Other Co")).name
		# The portal user is a contact through Contact.user; a colleague only by email.
		self.email = f"{unique('portal')}@example.com"
		self.user = make_user(self.email)
		self.contact = make_contact(self.email, self.customer, user=self.user)
		self.colleague_email = f"{unique('colleague')}@example.com"
		self.colleague = make_user(self.colleague_email)
		self.colleague_contact = make_contact(self.colleague_email, self.customer)
		self.stranger_email = f"{unique('stranger')}@example.com"
		self.stranger = make_user(self.stranger_email)
		self.stranger_contact = make_contact(self.stranger_email, self.other_customer, user=self.stranger)
		self.own = make_issue(subject="Own printer", contact=self.contact, raised_by=self.email)
		self.colleagues = make_issue(
			subject="Colleague's scanner", contact=self.colleague_contact, raised_by=self.colleague_email
		)
		self.foreign = make_issue(
			subject="Foreign fax", contact=self.stranger_contact, raised_by=self.stranger_email
		)
		self.foreign_email = add_email(self.foreign, "Received", "FOREIGN-SECRET", self.stranger_email)

	def tearDown(self):
		restore_request(self.saved_request)
		frappe.local.form_dict = frappe._dict()
		super().tearDown()


class TestPortalReads(PortalTestCase):
	def test_the_user_lists_their_contact_and_customer_issues_only(self):
		frappe.set_user(self.user)
		rows, more = portal.list_issues(self.user)
		self.assertEqual({row.name for row in rows}, {self.own, self.colleagues})
		self.assertFalse(more)
		status, html = render("/support")
		self.assertEqual(status, 200)
		self.assertIn(self.own, html)
		self.assertIn("Colleague&#39;s scanner", html)
		self.assertNotIn(self.foreign, html)

	def test_a_user_is_a_contact_by_email_too(self):
		frappe.set_user(self.colleague)
		self.assertEqual(
			{row.name for row in portal.list_issues(self.colleague)[0]}, {self.own, self.colleagues}
		)

	def test_a_user_without_a_contact_sees_nothing(self):
		nobody = make_user(f"{unique('nobody')}@example.com")
		frappe.set_user(nobody)
		self.assertEqual(portal.list_issues(nobody), ([], False))
		status, html = render("/support")
		self.assertEqual(status, 200)
		self.assertNotIn(self.own, html)

	def test_a_guest_is_sent_to_the_login(self):
		frappe.set_user("Guest")
		status, _html = render("/support")
		self.assertIn(status, (301, 302))

	def test_the_issue_page_shows_its_emails_but_no_internal_notes(self):
		add_email(self.own, "Received", "CUSTOMER-WROTE", self.email)
		add_email(self.own, "Sent", "AGENT-ANSWERED", AGENT)
		add_email(self.own, "Sent", "AUTOMATED-NOTICE", AGENT, communication_type="Automated Message")
		add_email(self.own, "Sent", "PHONE-NOTE", AGENT, communication_medium="Phone")
		frappe.get_doc(ISSUE, self.own).add_comment("Comment", "INTERNAL-NOTE")
		frappe.set_user(self.user)
		status, html = render(f"/support/{self.own}")
		self.assertEqual(status, 200)
		self.assertIn("Own printer", html)
		self.assertIn("CUSTOMER-WROTE", html)
		self.assertIn("AGENT-ANSWERED", html)
		for hidden in ("INTERNAL-NOTE", "AUTOMATED-NOTICE", "PHONE-NOTE", "FOREIGN-SECRET"):
			self.assertNotIn(hidden, html)

	def test_another_customers_issue_is_refused_on_the_page_like_a_missing_one(self):
		frappe.set_user(self.user)
		foreign_status, foreign_html = render(f"/support/{self.foreign}")
		missing_status, _html = render("/support/CX-ISS-NO-SUCH-4711")
		self.assertEqual((foreign_status, missing_status), (403, 403))
		self.assertNotIn("Foreign fax", foreign_html)
		self.assertNotIn("FOREIGN-SECRET", foreign_html)
		with self.assertRaises(frappe.PermissionError):
			portal.issue_page(self.foreign, self.user)

	def test_the_desk_api_refuses_portal_users_even_their_own_issues(self):
		frappe.set_user(self.user)
		for name in (self.own, self.foreign):
			with self.assertRaises(frappe.PermissionError):
				frappe.api.v1.read_doc(ISSUE, name)  # GET /api/resource/CX Issue/<name>
			with self.assertRaises(frappe.PermissionError):
				frappe.client.get(ISSUE, name)
			with self.assertRaises(frappe.PermissionError):
				frappe.client.get_value(ISSUE, "subject", {"name": name})
		with self.assertRaises(frappe.PermissionError):
			frappe.client.get_list(ISSUE, filters={"name": self.foreign})
		with self.assertRaises(frappe.PermissionError):
			frappe.local.form_dict = frappe._dict()
			frappe.api.v1.document_list(ISSUE)  # GET /api/resource/CX Issue
		with self.assertRaises(frappe.PermissionError):
			get_list_data(ISSUE)  # the portal list of frappe/www/list.py
		from crm_app.search import global_search

		self.assertEqual([r for r in global_search("Foreign fax") if r.doctype == ISSUE], [])

	def test_counts_follow_permissions(self):
		count = whitelisted("frappe.client.get_count")
		self.assertEqual(count(ISSUE, json.dumps({"name": self.foreign})), 1)  # Administrator
		frappe.set_user(self.user)
		with self.assertRaises(frappe.PermissionError):
			count(ISSUE, json.dumps({"subject": ["like", "Foreign%"]}))
		self.assertEqual(count("Communication", {"content": ["like", "%FOREIGN-SECRET%"]}), 0)
		with self.assertRaises(InvalidFilterError):
			count(ISSUE, "{[")

	def test_other_issues_emails_stay_out_of_reach(self):
		frappe.set_user(self.user)
		with self.assertRaises(frappe.PermissionError):
			frappe.client.get("Communication", self.foreign_email)
		with self.assertRaises(frappe.PermissionError):
			frappe.api.v1.read_doc("Communication", self.foreign_email)
		listed = frappe.client.get_list(
			"Communication", filters={"reference_name": self.foreign}, fields=["name", "content"]
		)
		self.assertEqual(listed, [])
		frappe.local.form_dict = frappe._dict(fields='["name", "content"]')
		self.assertNotIn(self.foreign_email, str(frappe.api.v1.document_list("Communication")))

	def test_website_permission_reads_own_issues_only(self):
		own, foreign = frappe.get_doc(ISSUE, self.own), frappe.get_doc(ISSUE, self.foreign)
		self.assertTrue(frappe.has_website_permission(own, user=self.user))
		self.assertFalse(frappe.has_website_permission(foreign, user=self.user))
		self.assertFalse(frappe.has_website_permission(own, ptype="write", user=self.user))
		self.assertFalse(frappe.has_website_permission(own, user="Guest"))
		frappe.set_user(self.user)
		from frappe.www.printview import validate_print_permission

		validate_print_permission(own)
		with self.assertRaises(frappe.PermissionError):
			validate_print_permission(foreign)


class TestPortalWrites(PortalTestCase):
	def test_a_reply_lands_on_the_issue_and_reopens_it(self):
		for status in ("Resolved", "Replied"):
			set_status(self.own, status)
			frappe.set_user(self.user)
			result = portal.reply(self.own, "Still <b>broken</b>\nsecond line")
			frappe.set_user("Administrator")
			self.assertEqual(frappe.db.get_value(ISSUE, self.own, "status"), "Open")
			self.assertEqual(result["status"], "Open")
			comm = frappe.get_doc("Communication", result["communication"])
			self.assertEqual((comm.reference_doctype, comm.reference_name), (ISSUE, self.own))
			self.assertEqual((comm.sent_or_received, comm.sender), ("Received", self.email))
			self.assertIn("Still &lt;b&gt;broken&lt;/b&gt;<br>second line", comm.content)
		frappe.set_user(self.user)
		status, html = render(f"/support/{self.own}")
		self.assertEqual(status, 200)
		self.assertIn("second line", html)

	def test_a_reply_keeps_an_issue_on_hold_and_is_refused_on_a_closed_one(self):
		set_status(self.own, "On Hold")
		frappe.set_user(self.user)
		portal.reply(self.own, "More details")
		self.assertEqual(frappe.db.get_value(ISSUE, self.own, "status"), "On Hold")
		frappe.set_user("Administrator")
		set_status(self.own, "Closed")
		frappe.set_user(self.user)
		with self.assertRaises(IssueClosedError):
			portal.reply(self.own, "Hello?")

	def test_a_reply_to_another_customers_issue_is_refused_before_anything(self):
		set_status(self.foreign, "Resolved")
		before = frappe.db.count("Communication", {"reference_name": self.foreign})
		frappe.set_user(self.user)
		for name in (self.foreign, "CX-ISS-NO-SUCH-4711"):
			with self.assertRaises(frappe.PermissionError):
				portal.reply(name, "let me in")
		with self.assertRaises(frappe.PermissionError):
			portal.reply(self.foreign, "")  # refused for the issue, not for the empty message
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.count("Communication", {"reference_name": self.foreign}), before)
		self.assertEqual(frappe.db.get_value(ISSUE, self.foreign, "status"), "Resolved")

	def test_an_empty_or_oversized_reply_is_refused(self):
		frappe.set_user(self.user)
		for message in ("  ", "x" * (portal_rules.BODY_MAX_CHARS + 1)):
			with self.assertRaises(PortalInputError):
				portal.reply(self.own, message)

	def test_a_new_issue_takes_the_users_contact_and_customer(self):
		frappe.set_user(self.user)
		result = portal.create_issue("Toner low", "Cartridge <empty>")
		frappe.set_user("Administrator")
		issue = frappe.get_doc(ISSUE, result["issue"])
		self.assertEqual(
			(issue.contact, issue.customer, issue.raised_by, issue.channel),
			(self.contact, self.customer, self.email, "Web"),
		)
		self.assertIn("Cartridge &lt;empty&gt;", issue.description)
		self.assertEqual(result["route"], f"/support/{issue.name}")
		self.assertIn(issue.name, {row.name for row in portal.list_issues(self.user)[0]})

	def test_a_new_issue_is_in_the_language_it_is_written_in(self):
		# Not the site's default language, which Frappe would put in the field of a new issue.
		frappe.db.set_value("Contact", self.contact, "preferred_language", "uk")
		frappe.set_user(self.user)
		written = {
			portal.create_issue("Drukarka się zacina", "Przy każdym wydruku papier się zacina.")[
				"issue"
			]: "pl",
			portal.create_issue("Принтер", "Принтер не друкує, папір застрягає.")["issue"]: "uk",
			portal.create_issue("42", "123")["issue"]: "uk",  # no words: their contact's language
		}
		frappe.set_user("Administrator")
		self.assertEqual({name: frappe.db.get_value(ISSUE, name, "language") for name in written}, written)

	def test_a_user_of_no_customer_raises_issues_of_their_own_contact(self):
		# Frappe gives every user a Contact of their own, linked to no customer.
		loner = make_user(f"{unique('loner')}@example.com")
		frappe.set_user(loner)
		issue = portal.create_issue("Hello", "Anyone there?")["issue"]
		self.assertEqual([row.name for row in portal.list_issues(loner)[0]], [issue])
		frappe.set_user("Administrator")
		self.assertIsNone(frappe.db.get_value(ISSUE, issue, "customer"))
		self.assertNotIn(issue, {row.name for row in portal.list_issues(self.user)[0]})

	def test_a_user_who_is_no_contact_cannot_create_issues(self):
		nobody = make_user(f"{unique('nobody')}@example.com")
		for contact in portal.contacts_of(nobody):
			frappe.delete_doc("Contact", contact, force=True)
		frappe.set_user(nobody)
		with self.assertRaises(frappe.PermissionError):
			portal.create_issue("Hello", "Anyone there?")


class TestGuestRequests(CXTestCase):
	def setUp(self):
		super().setUp()
		self.saved_request = getattr(frappe.local, "request", UNBOUND)
		self.saved_ip = getattr(frappe.local, "request_ip", UNBOUND)
		self.ip = (
			f"198.51.100.{frappe.utils.cint(time.time() * 1000) % 250 + 1}-{frappe.generate_hash(length=4)}"
		)
		self.email = f"{unique('guest')}@example.com"

	def tearDown(self):
		frappe.cache.delete(frappe.cache.make_key(f"rl:{SUBMIT_REQUEST}:{self.ip}"))
		restore_request(self.saved_request)
		if self.saved_ip is UNBOUND:
			del frappe.local.request_ip
		else:
			frappe.local.request_ip = self.saved_ip
		frappe.local.form_dict = frappe._dict()
		super().tearDown()

	def as_guest_request(self):
		"""What the rate limiter sees of a POST from one IP address."""
		set_request(method="POST", path=f"/api/method/{SUBMIT_REQUEST}")
		frappe.local.request_ip = self.ip
		frappe.local.form_dict = frappe._dict(cmd=SUBMIT_REQUEST)
		frappe.set_user("Guest")

	def stamp(self, seconds_ago: float = 30) -> str:
		return portal_rules.form_stamp(get_encryption_key().encode(), time.time() - seconds_ago)

	def submitted(self) -> int:
		return frappe.db.count(ISSUE, {"raised_by": self.email})

	def test_a_guest_request_becomes_a_web_issue(self):
		self.as_guest_request()
		result = portal.submit_request("Broken login", self.email, "It says <b>no</b>", "", self.stamp())
		frappe.set_user("Administrator")
		issue = frappe.get_doc(ISSUE, result["issue"])
		self.assertEqual((issue.raised_by, issue.channel, issue.contact), (self.email, "Web", None))
		self.assertIn("It says &lt;b&gt;no&lt;/b&gt;", issue.description)
		self.assertEqual(issue.language, "en")

	def test_a_guest_request_is_in_the_language_it_is_written_in(self):
		self.as_guest_request()
		frappe.local.lang = "pl"  # the language the guest reads the form in
		self.addCleanup(setattr, frappe.local, "lang", "en")
		written = portal.submit_request("Рахунок", self.email, "Де мій рахунок за жовтень?", "", self.stamp())
		unreadable = portal.submit_request("#42", self.email, "42", "", self.stamp())
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value(ISSUE, written["issue"], "language"), "uk")
		self.assertEqual(frappe.db.get_value(ISSUE, unreadable["issue"], "language"), "pl")

	def test_a_flood_is_refused_after_five_with_nothing_written(self):
		self.as_guest_request()
		for n in range(5):
			portal.submit_request(f"Request {n}", self.email, "Please help", "", self.stamp())
		with self.assertRaises(frappe.RateLimitExceededError) as refused:
			portal.submit_request("Request 6", self.email, "Please help", "", self.stamp())
		self.assertEqual(refused.exception.http_status_code, 429)
		frappe.set_user("Administrator")
		self.assertEqual(self.submitted(), 5)

	def test_spam_is_refused_with_nothing_written(self):
		self.as_guest_request()
		links = " ".join(f"https://buy{n}.example" for n in range(portal_rules.MAX_LINKS + 1))
		for args in (
			("Hi", self.email, "Help", "http://bot.example", self.stamp()),  # the honeypot
			("Hi", self.email, "Help", "", self.stamp(seconds_ago=0)),  # too fast
			("Hi", self.email, "Help", "", "1700000000.forged"),  # forged stamp
			("Hi", self.email, links, "", self.stamp()),  # links
		):
			with self.assertRaises(SpamSubmissionError):
				portal.submit_request(*args)
		with self.assertRaises(PortalInputError):
			portal.submit_request("Hi", "not-an-email", "Help", "", self.stamp())
		frappe.set_user("Administrator")
		self.assertEqual(self.submitted(), 0)

	def test_the_request_page_carries_a_fresh_stamp(self):
		frappe.set_user("Guest")
		status, html = render("/support-request")
		self.assertEqual(status, 200)
		self.assertIn('name="form_stamp"', html)
		self.assertIn('name="homepage"', html)


class TestCSAT(PortalTestCase):
	def resolve(self, issue: str) -> list:
		"""Resolve the issue; the rating request jobs queued by that save."""
		with mock.patch("frappe.enqueue") as enqueue:
			set_status(issue, "Resolved")
		return [c.kwargs for c in enqueue.call_args_list if c.args and c.args[0] == csat.SEND_METHOD]

	def link(self, issue: str) -> tuple[str, str]:
		requested_on = frappe.db.get_value(ISSUE, issue, "csat_requested_on")
		return issue, csat.rules.sign(csat.signing_key(), issue, requested_on)

	def test_the_link_is_sent_once_on_resolution(self):
		jobs = self.resolve(self.own)
		self.assertEqual(len(jobs), 1)
		self.assertTrue(jobs[0]["enqueue_after_commit"])
		self.assertIsNotNone(frappe.db.get_value(ISSUE, self.own, "csat_requested_on"))
		with mock.patch("frappe.enqueue") as enqueue:
			doc = frappe.get_doc(ISSUE, self.own)
			doc.priority = "High"
			doc.save()  # still Resolved: no second request
		self.assertFalse([c for c in enqueue.call_args_list if c.args and c.args[0] == csat.SEND_METHOD])
		with mock.patch("frappe.sendmail") as sendmail:
			csat.send_rating_request(jobs[0]["issue"], jobs[0]["requested_on"])
			csat.send_rating_request(jobs[0]["issue"], "2001-01-01 00:00:00.000000")  # superseded
		self.assertEqual(sendmail.call_count, 1)
		sent = sendmail.call_args.kwargs
		_issue, token = self.link(self.own)
		self.assertEqual(sent["recipients"], [self.email])
		self.assertIn("Own printer", sent["subject"])
		self.assertIn(f"token={token}", sent["message"])
		self.assertEqual((sent["reference_doctype"], sent["reference_name"]), (ISSUE, self.own))

	def test_the_job_queues_the_email(self):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": unique("Support Mail"),
				"email_id": f"{unique('support')}@example.com",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "smtp.example.com",
			}
		).insert(ignore_permissions=True)
		job = self.resolve(self.own)[0]
		csat.send_rating_request(job["issue"], job["requested_on"])
		self.assertTrue(
			frappe.db.exists("Email Queue", {"reference_doctype": ISSUE, "reference_name": self.own})
		)

	def test_new_issues_and_reopened_resolutions_of_rated_issues_ask_nothing(self):
		with mock.patch("frappe.enqueue") as enqueue:
			imported = make_issue(status="Resolved", raised_by=self.email)
		self.assertFalse([c for c in enqueue.call_args_list if c.args and c.args[0] == csat.SEND_METHOD])
		self.assertIsNone(frappe.db.get_value(ISSUE, imported, "csat_requested_on"))
		self.resolve(self.own)
		frappe.set_user("Guest")
		csat.submit_rating(*self.link(self.own), 4)
		frappe.set_user("Administrator")
		set_status(self.own, "Open")
		self.assertEqual(self.resolve(self.own), [])

	def test_a_rating_is_accepted_once_and_rolled_up(self):
		self.resolve(self.own)
		issue, token = self.link(self.own)
		frappe.set_user("Guest")
		self.assertEqual(csat.submit_rating(issue, token, 4, "Quick and kind"), {"issue": issue, "rating": 4})
		with self.assertRaises(RatingNotAwaitedError):
			csat.submit_rating(issue, token, 1, "changed my mind")  # the same link again
		frappe.set_user("Administrator")
		stored = frappe.db.get_value(
			ISSUE, issue, ["csat_rating", "csat_comment", "csat_rated_on"], as_dict=True
		)
		self.assertEqual((stored.csat_rating, stored.csat_comment), (4, "Quick and kind"))
		self.assertIsNotNone(stored.csat_rated_on)
		self.assertEqual(frappe.db.get_value("CX Customer", self.customer, "satisfaction_score"), 4)
		self.resolve(self.colleagues)
		frappe.set_user("Guest")
		csat.submit_rating(*self.link(self.colleagues), 1)
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("CX Customer", self.customer, "satisfaction_score"), 2.5)
		self.assertEqual(frappe.db.get_value("CX Customer", self.other_customer, "satisfaction_score"), 0)

	def test_a_tampered_or_foreign_token_is_refused(self):
		self.resolve(self.own)
		self.resolve(self.foreign)
		issue, token = self.link(self.own)
		_foreign, foreign_token = self.link(self.foreign)
		frappe.set_user("Guest")
		tampered = ("0" if token[0] != "0" else "1") + token[1:]
		for name, bad in ((issue, tampered), (issue, foreign_token), (issue, ""), ("CX-ISS-NO-SUCH", token)):
			with self.assertRaises(RatingLinkError):
				csat.submit_rating(name, bad, 5)
		frappe.set_user("Administrator")
		self.assertFalse(frappe.db.get_value(ISSUE, issue, "csat_rating"))

	def test_a_later_resolution_retires_the_old_link(self):
		self.resolve(self.own)
		old = self.link(self.own)
		set_status(self.own, "Open")
		frappe.set_user("Guest")
		with self.assertRaises(RatingNotAwaitedError):
			csat.submit_rating(*old, 5)  # reopened: not awaiting
		frappe.set_user("Administrator")
		self.resolve(self.own)
		frappe.set_user("Guest")
		with self.assertRaises(RatingLinkError):
			csat.submit_rating(*old, 5)
		csat.submit_rating(*self.link(self.own), 5)

	def test_bad_ratings_and_long_comments_are_refused(self):
		self.resolve(self.own)
		issue, token = self.link(self.own)
		frappe.set_user("Guest")
		for rating, comment in ((0, ""), (6, ""), (-3, ""), (3, "x" * 2001)):
			with self.assertRaises(RatingInputError):
				csat.submit_rating(issue, token, rating, comment)
		csat.submit_rating(issue, token, 3, "x" * 2000)

	def test_the_rating_page(self):
		self.resolve(self.own)
		issue, token = self.link(self.own)
		frappe.set_user("Guest")
		status, html = render(f"/csat?issue={issue}&token={token}&rating=4")
		self.assertEqual(status, 200)
		self.assertIn("Own printer", html)
		self.assertIn('data-rating="5"', html)
		tampered = token[:-1] + ("1" if token.endswith("0") else "0")  # a token may end in 0 (1 in 16)
		status, html = render(f"/csat?issue={issue}&token={tampered}")
		self.assertNotIn("Own printer", html)
		csat.submit_rating(issue, token, 5)
		_status, html = render(f"/csat?issue={issue}&token={token}")
		self.assertIn("already been rated", html)

	def test_the_email_template_is_shipped_and_editable(self):
		self.assertTrue(frappe.db.exists("Email Template", csat.TEMPLATE))
		template = frappe.get_doc("Email Template", csat.TEMPLATE)
		template.subject = "Rate us: {{ doc.name }}"
		template.save()
		csat.install_email_template()  # a migrate never overwrites an edit
		self.resolve(self.own)
		subject, message = csat.render_request(frappe.get_doc(ISSUE, self.own))
		self.assertEqual(subject, f"Rate us: {self.own}")
		self.assertIn("/csat?issue=", message)
