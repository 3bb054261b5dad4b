"""Campaign email (crm_app/cx_marketing/sends.py): each member once with their own name, the opted-out
skipped per list and no wider, a template failing for one member, started twice, a crash halfway,
drip steps, replies and bounces, permissions. Queueing is the product: these tests read the Email Queue
rows (nothing is sent)."""
# Named test_y_*: sends commit (resumable jobs commit each batch), so these run after the suites that
# count records, with the other committing tests (test_y_erpnext_books, test_y_resumable_jobs).

import email
import itertools
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch
from urllib.parse import parse_qs, urlparse

import frappe
from frappe.utils import add_to_date, now_datetime

from crm_app import jobs
from crm_app.cx_marketing import sends
from crm_app.exceptions import CampaignEmailError, CampaignEmailStateError

from .cleanup import RemovesLeftovers
from .conftest import BENCH, SITE
from .factories import CXTestCase, make_campaign, make_lead, make_user

CRASH = Path(__file__).with_name("crash_send.py")
ENQUEUE_ONLY = {"queue", "timeout", "job_id", "deduplicate", "enqueue_after_commit", "now", "job_name"}


def run_now(method, **kwargs):
	"""frappe.enqueue of a send, run at once in this process (as the worker would); other parts' jobs
	(campaign figures) are left alone."""
	if not isinstance(method, str) or not method.startswith("crm_app.cx_marketing.sends."):
		return None
	return frappe.get_attr(method)(**{k: v for k, v in kwargs.items() if k not in ENQUEUE_ONLY})


def make_template(body: str, subject: str = "Hello {{ first_name }}") -> str:
	name = f"CX Test {frappe.generate_hash(length=6)}"
	frappe.get_doc(
		{"doctype": "Email Template", "name": name, "subject": subject, "use_html": 1, "response_html": body}
	).insert()
	return name


def make_campaign_email(campaign: str, templates: list[tuple[str, int]], **values):
	return frappe.get_doc(
		{
			"doctype": "CX Campaign Email",
			"title": "Spring news",
			"campaign": campaign,
			"sender": "news@example.com",
			"steps": [{"email_template": t, "delay_days": d} for t, d in templates],
			**values,
		}
	).insert()


def mails(campaign_email: str) -> dict[str, email.message.Message]:
	"""Recipient address -> the parsed message queued for it."""
	rows = frappe.get_all(
		"Email Queue",
		{"reference_doctype": sends.EMAIL, "reference_name": campaign_email},
		["name", "message"],
	)
	result = {}
	for row in rows:
		to = frappe.get_all("Email Queue Recipient", {"parent": row.name}, pluck="recipient")
		assert len(to) == 1, to
		assert to[0] not in result, f"{to[0]} queued twice"
		result[to[0]] = email.message_from_string(row.message)
	return result


def html_of(message) -> str:
	for part in message.walk():
		if part.get_content_type() == "text/html":
			return part.get_payload(decode=True).decode()
	return ""


def log(campaign_email: str, step: int = 1) -> dict[str, frappe._dict]:
	rows = frappe.get_all(
		sends.RECIPIENT, {"campaign_email": campaign_email, "step": step}, ["*"], order_by="name"
	)
	return {row.email: row for row in rows}


def message_id(row) -> str:
	"""The Message-ID the Email Queue gave a recipient row's mail."""
	return frappe.db.get_value("Email Queue", row.email_queue, "message_id")


def remove_fixtures(tag: str) -> None:
	like = f"%{tag}%"
	campaigns = frappe.get_all("CX Campaign", {"name": ("like", like)}, pluck="name")
	emails = frappe.get_all(sends.EMAIL, {"campaign": ("in", campaigns or [""])}, pluck="name")
	templates = frappe.get_all(
		"CX Campaign Email Step", {"parent": ("in", emails or [""])}, pluck="email_template"
	)
	queue = frappe.get_all("Email Queue", {"reference_name": ("in", emails or [""])}, pluck="name")
	frappe.db.delete("Email Queue Recipient", {"parent": ("in", queue or [""])})
	frappe.db.delete("Email Queue", {"name": ("in", queue or [""])})
	frappe.db.delete(sends.RECIPIENT, {"campaign_email": ("in", emails or [""])})
	frappe.db.delete("CX Campaign Email Step", {"parent": ("in", emails or [""])})
	frappe.db.delete(sends.EMAIL, {"name": ("in", emails or [""])})
	frappe.db.delete("Email Template", {"name": ("in", templates or [""])})
	for name in emails:
		frappe.db.delete(jobs.CHECKPOINT, {"name": ("like", f"campaign_email:{name}:%")})
	segments = frappe.get_all("CX Segment", {"name": ("like", like)}, pluck="name")
	frappe.db.delete("CX Segment Member", {"segment": ("in", segments or [""])})
	frappe.db.delete("CX Segment", {"name": ("in", segments or [""])})
	frappe.db.delete("Email Unsubscribe", {"email": ("like", like)})
	frappe.db.delete("Communication", {"sender": ("like", like)})
	frappe.db.delete("Communication", {"reference_name": ("in", emails or [""])})
	frappe.db.delete("Communication", {"content": ("like", like)})
	contacts = frappe.get_all("Contact Email", {"email_id": ("like", like)}, pluck="parent")
	frappe.db.delete("Contact Email", {"parent": ("in", contacts or [""])})
	frappe.db.delete("Contact", {"name": ("in", contacts or [""])})
	frappe.db.delete("CX Campaign Touch", {"campaign": ("in", campaigns or [""])})
	frappe.db.delete("CX Lead", {"email": ("like", like)})
	frappe.db.delete("CX Campaign", {"name": ("in", campaigns or [""])})
	frappe.db.commit()


class SendCase(RemovesLeftovers, CXTestCase):
	def setUp(self):
		super().setUp()
		self.tag = frappe.generate_hash(length=6)
		self.campaign = make_campaign(f"Send {self.tag}")
		frappe.local.conf.mail_server = "localhost"  # a default outgoing account from site_config
		enqueue = patch("frappe.enqueue", side_effect=run_now)
		self.enqueue = enqueue.start()
		self.addCleanup(enqueue.stop)
		self.addCleanup(lambda: frappe.local.conf.pop("mail_server", None))

	def tearDown(self):
		"""A send commits (its checkpoint and each batch): what these tests made is removed by its tag."""
		frappe.db.rollback()
		remove_fixtures(self.tag)
		super().tearDown()

	def lead(self, first_name: str, **values):
		return make_lead(
			first_name=first_name,
			email=f"{first_name.lower()}.{self.tag}@example.com",
			campaign=self.campaign,
			**values,
		)

	def address(self, first_name: str) -> str:
		return f"{first_name.lower()}.{self.tag}@example.com"


class TestQueueing(SendCase):
	def test_each_member_gets_one_mail_with_their_own_name(self):
		names = ["Ada", "Grace", "Alan"]
		for name in names:
			self.lead(name)
		template = make_template("<p>Dear {{ first_name }} of {{ campaign.campaign_name }},</p><p>News.</p>")
		doc = make_campaign_email(self.campaign, [(template, 0)])
		self.assertEqual(sends.start_send(doc.name)["status"], "Sending")

		queued = mails(doc.name)
		self.assertEqual(sorted(queued), sorted(self.address(n) for n in names))
		for name in names:
			message = queued[self.address(name)]
			self.assertEqual(message["Subject"], f"Hello {name}")
			self.assertIn(f"Dear {name} of {self.campaign}", html_of(message))
			self.assertIn(self.address(name), message["To"])
			text = next(p for p in message.walk() if p.get_content_type() == "text/plain")
			self.assertIn(f"Dear {name}", text.get_payload(decode=True).decode())
		rows = log(doc.name)
		self.assertEqual({row.status for row in rows.values()}, {"Queued"})
		for address, row in rows.items():
			queue = frappe.db.get_value(
				"Email Queue", row.email_queue, ["status", "message_id"], as_dict=True
			)
			self.assertEqual(queue.status, "Not Sent")
			self.assertEqual(f"<{queue.message_id}>", queued[address]["Message-Id"])
		doc.reload()
		self.assertEqual((doc.status, doc.members, doc.queued, doc.skipped_opted_out), ("Sent", 3, 3, 0))

	def test_the_opted_out_are_skipped_and_counted_but_not_wider_than_asked(self):
		self.lead("Keen")
		self.lead("Optout", email_opt_out=1)
		for name in ("Global", "Thislist", "Otherlist", "Contactout"):
			self.lead(name)
		frappe.get_doc(
			{"doctype": "Email Unsubscribe", "email": self.address("Global"), "global_unsubscribe": 1}
		).insert()
		other = make_campaign(f"Other {self.tag}")
		for address, reference in (
			(self.address("Thislist"), self.campaign),
			(self.address("Otherlist"), other),
		):
			frappe.get_doc(
				{
					"doctype": "Email Unsubscribe",
					"email": address,
					"reference_doctype": "CX Campaign",
					"reference_name": reference,
				}
			).insert()
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Contactout",
				"email_ids": [{"email_id": self.address("Contactout"), "is_primary": 1}],
				"unsubscribed": 1,
			}
		).insert()
		doc = make_campaign_email(self.campaign, [(make_template("<p>Hi {{ first_name }}</p>"), 0)])
		sends.start_send(doc.name)

		self.assertEqual(sorted(mails(doc.name)), sorted([self.address("Keen"), self.address("Otherlist")]))
		rows = log(doc.name)
		self.assertEqual(rows[self.address("Optout")].reason, "Opted out of email")
		self.assertEqual(rows[self.address("Contactout")].reason, "Opted out of email")
		self.assertEqual(rows[self.address("Global")].reason, "Unsubscribed from all email")
		self.assertEqual(rows[self.address("Thislist")].reason, "Unsubscribed from this list")
		self.assertEqual(rows[self.address("Otherlist")].status, "Queued")
		doc.reload()
		self.assertEqual((doc.queued, doc.skipped_opted_out), (2, 4))

	def test_the_link_unsubscribes_from_this_segment_only(self):
		from crm_app.cx_marketing.segments import add_member

		lead = self.lead("Member")
		segments = []
		for label in ("A", "B"):
			segment = frappe.get_doc(
				{"doctype": "CX Segment", "segment_name": f"Seg {label} {self.tag}", "segment_of": "CX Lead"}
			).insert()
			add_member(segment.name, "CX Lead", lead.name)
			segments.append(segment.name)
		template = make_template('<p>Hi {{ first_name }}</p><a href="{{ unsubscribe_url }}">Leave</a>')
		first = make_campaign_email(self.campaign, [(template, 0)], segment=segments[0])
		sends.start_send(first.name)
		message = mails(first.name)[self.address("Member")]
		url = message["List-Unsubscribe"].strip("<>")
		self.assertIn(frappe.utils.escape_html(url), html_of(message))
		params = {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}
		self.assertEqual(urlparse(url).path, sends.UNSUBSCRIBE_METHOD)
		self.assertEqual((params["doctype"], params["name"]), ("CX Segment", segments[0]))
		self.assertIn("_signature", params)

		# The link, followed: Frappe's own endpoint records the unsubscribe from that segment only
		from frappe.email.queue import unsubscribe

		unsubscribe(params["doctype"], params["name"], params["email"])
		again = make_campaign_email(self.campaign, [(template, 0)], segment=segments[0])
		sends.start_send(again.name)
		self.assertEqual(mails(again.name), {})
		self.assertEqual(log(again.name)[self.address("Member")].reason, "Unsubscribed from this list")
		other = make_campaign_email(self.campaign, [(template, 0)], segment=segments[1])
		sends.start_send(other.name)
		self.assertEqual(list(mails(other.name)), [self.address("Member")])

	def test_a_template_failing_for_one_member_is_listed_and_the_others_go(self):
		for name in ("Ada", "Bad", "Grace"):
			self.lead(name)
		template = make_template("<p>{{ first_name }}: {{ 100 // (0 if first_name == 'Bad' else 1) }}</p>")
		doc = make_campaign_email(self.campaign, [(template, 0)])
		sends.start_send(doc.name)
		self.assertEqual(sorted(mails(doc.name)), sorted([self.address("Ada"), self.address("Grace")]))
		failed = log(doc.name)[self.address("Bad")]
		self.assertEqual((failed.status, failed.reason), ("Failed", "Template failed to render"))
		self.assertIn("ZeroDivisionError", failed.error)
		doc.reload()
		self.assertEqual((doc.queued, doc.failed_to_render), (2, 1))

	def test_a_template_that_does_not_compile_is_refused_before_anything_is_queued(self):
		self.lead("Ada")
		template = make_template("<p>{{ first_name }}</p>")
		frappe.db.set_value("Email Template", template, "response_html", "<p>{% if first_name %}</p>")
		doc = make_campaign_email(self.campaign, [(template, 0)])
		self.assertRaises(CampaignEmailError, sends.start_send, doc.name)
		self.assertEqual(frappe.db.get_value(sends.EMAIL, doc.name, "status"), "Draft")
		self.assertEqual(mails(doc.name), {})

	def test_started_twice_queues_each_member_once_and_refuses_the_second_start(self):
		for name in ("Ada", "Grace"):
			self.lead(name)
		doc = make_campaign_email(self.campaign, [(make_template("<p>Hi {{ first_name }}</p>"), 0)])
		self.enqueue.side_effect = None  # the worker has not picked the job up yet
		sends.start_send(doc.name)
		with self.assertRaises(CampaignEmailStateError) as refused:
			sends.start_send(doc.name)
		self.assertIn("already being sent", str(refused.exception))
		calls = [
			c for c in self.enqueue.call_args_list if c.args[0] == "crm_app.cx_marketing.sends.queue_step"
		]
		self.assertEqual(len(calls), 1)
		self.assertEqual(calls[0].kwargs["job_id"], jobs.job_id(sends.run_key(doc.name, 1)))
		self.assertTrue(calls[0].kwargs["deduplicate"])
		# the job runs twice all the same (a second worker, a retry): nothing goes twice
		sends.queue_step(doc.name, 1)
		frappe.db.set_value(sends.EMAIL, doc.name, "status", "Sending")
		sends.queue_step(doc.name, 1)
		self.assertEqual(len(mails(doc.name)), 2)
		self.assertEqual(frappe.db.count(sends.RECIPIENT, {"campaign_email": doc.name}), 2)

	def test_a_send_in_the_future_is_scheduled_and_started_by_the_tick(self):
		self.lead("Ada")
		doc = make_campaign_email(
			self.campaign,
			[(make_template("<p>Hi</p>"), 0)],
			send_after=add_to_date(now_datetime(), hours=2),
		)
		self.assertEqual(sends.start_send(doc.name)["status"], "Scheduled")
		sends.run_due_sends()
		self.assertEqual(mails(doc.name), {})
		frappe.db.set_value(sends.EMAIL, doc.name, "send_after", add_to_date(now_datetime(), minutes=-1))
		sends.run_due_sends()
		self.assertEqual(list(mails(doc.name)), [self.address("Ada")])

	def test_throttle_and_window_spread_the_send_after_times(self):
		for index in range(4):
			self.lead(f"T{index}")
		doc = make_campaign_email(
			self.campaign,
			[(make_template("<p>Hi</p>"), 0)],
			throttle_per_hour=2,
			window_start="09:00:00",
			window_end="10:00:00",
			time_zone=frappe.utils.get_system_timezone(),
		)
		sends.start_send(doc.name)
		times = sorted(row.send_after for row in log(doc.name).values())
		for earlier, later in itertools.pairwise(times):
			gap = later - earlier
			self.assertTrue(gap == timedelta(minutes=30) or gap > timedelta(hours=12), gap)
		for moment in times:
			self.assertEqual(moment.hour, 9)

	def test_a_new_campaign_email_has_no_window_frappe_filled_in(self):
		# Frappe fills every Time field of a new record with "now" (desk and new_doc): not a chosen window
		doc = frappe.new_doc(sends.EMAIL)
		doc.update(
			{
				"title": "Defaults",
				"campaign": self.campaign,
				"sender": "news@example.com",
				"steps": [{"email_template": make_template("<p>Hi</p>")}],
			}
		)
		self.assertTrue(doc.window_start and doc.window_end)
		doc.insert()
		self.assertFalse(doc.window_start or doc.window_end)
		doc.window_start = doc.window_end = "09:00:00"
		with self.assertRaises(CampaignEmailError):
			doc.save()

	def test_pause_takes_back_unsent_mail_and_a_restart_queues_it_once(self):
		for name in ("Ada", "Grace"):
			self.lead(name)
		doc = make_campaign_email(self.campaign, [(make_template("<p>Hi</p>"), 0)])
		sends.start_send(doc.name)
		frappe.db.set_value(sends.EMAIL, doc.name, "status", "Sending")  # a drip still going on
		one = log(doc.name)[self.address("Ada")].email_queue
		frappe.db.set_value("Email Queue", one, "status", "Sent")
		self.assertEqual(sends.pause_send(doc.name)["withdrawn"], 1)
		self.assertEqual(list(mails(doc.name)), [self.address("Ada")])
		sends.start_send(doc.name)
		self.assertEqual(sorted(mails(doc.name)), sorted([self.address("Ada"), self.address("Grace")]))


class TestDripAndResults(SendCase):
	def test_the_second_step_follows_its_delay_for_those_the_first_reached(self):
		for name in ("Ada", "Grace", "Bounce"):
			self.lead(name)
		doc = make_campaign_email(
			self.campaign,
			[(make_template("<p>One {{ first_name }}</p>"), 0), (make_template("<p>Two</p>", "Again"), 2)],
		)
		sends.start_send(doc.name)
		self.assertEqual(frappe.db.get_value(sends.EMAIL, doc.name, "status"), "Sending")
		sends.run_due_sends()
		self.assertEqual(log(doc.name, 2), {}, "not due for two days")
		bounced = log(doc.name)[self.address("Bounce")].name
		frappe.db.set_value(sends.RECIPIENT, bounced, "status", "Bounced")
		table = frappe.qb.DocType(sends.RECIPIENT)
		frappe.qb.update(table).set(table.send_after, add_to_date(now_datetime(), days=-3)).where(
			table.campaign_email == doc.name
		).run()
		sends.run_due_sends()
		self.assertEqual(sorted(log(doc.name, 2)), sorted([self.address("Ada"), self.address("Grace")]))
		self.assertEqual(frappe.db.get_value(sends.EMAIL, doc.name, "status"), "Sent")

	def test_sent_replied_and_bounced_reach_the_log(self):
		for name in ("Ada", "Grace", "Alan"):
			self.lead(name)
		doc = make_campaign_email(
			self.campaign, [(make_template("<p>One</p>"), 0), (make_template("<p>Two</p>"), 5)]
		)
		sends.start_send(doc.name)
		rows = log(doc.name)
		for row in rows.values():
			frappe.db.set_value("Email Queue", row.email_queue, "status", "Sent")
		touches = []
		with patch("crm_app.cx_marketing.results.record_touches", side_effect=touches.extend):
			sends.run_due_sends()
		self.assertEqual({row.status for row in log(doc.name).values()}, {"Sent"})
		self.assertEqual({t["touch_type"] for t in touches}, {"Email Sent"})
		self.assertEqual(len(touches), 3)

		with patch("crm_app.cx_marketing.results.record_touch") as record_touch:
			frappe.get_doc(
				{
					"doctype": "Communication",
					"communication_type": "Communication",
					"communication_medium": "Email",
					"sent_or_received": "Received",
					"subject": "Re: One",
					"sender": self.address("Ada"),
					"content": "Thanks!",
					"reference_doctype": sends.EMAIL,
					"reference_name": doc.name,
				}
			).insert(ignore_permissions=True)
			frappe.get_doc(
				{
					"doctype": "Communication",
					"communication_type": "Communication",
					"communication_medium": "Email",
					"sent_or_received": "Received",
					"subject": "Undelivered Mail Returned to Sender",
					"sender": "MAILER-DAEMON@mail.example.com",
					"content": f"<p>&lt;{self.address('Alan')}&gt;: host said: 550 no such user</p>"
					f"<p>Message-ID: &lt;{message_id(rows[self.address('Alan')])}&gt;</p>",
				}
			).insert(ignore_permissions=True)
		self.assertEqual(sorted(call.args[3] for call in record_touch.call_args_list), ["Bounced", "Replied"])
		rows = log(doc.name)
		self.assertEqual(rows[self.address("Ada")].status, "Replied")
		self.assertIsNotNone(rows[self.address("Ada")].replied_on)
		self.assertEqual(rows[self.address("Alan")].status, "Bounced")
		self.assertEqual(rows[self.address("Grace")].status, "Sent")
		doc.reload()
		self.assertEqual((doc.sent, doc.replied, doc.bounced), (2, 1, 1))

	def received(self, sender: str, subject: str, content: str, **values):
		return frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Received",
				"subject": subject,
				"sender": sender,
				"content": content,
				**values,
			}
		).insert(ignore_permissions=True)

	def test_a_customer_mail_about_an_undeliverable_parcel_is_no_bounce(self):
		self.lead("Ada")
		doc = make_campaign_email(self.campaign, [(make_template("<p>One</p>"), 0)])
		sends.start_send(doc.name)
		with patch("crm_app.cx_marketing.results.record_touch"):
			self.received("someone@example.org", "Undeliverable parcel", f"Tell {self.address('Ada')} please")
			self.received(
				"postmaster@example.org",
				"Undeliverable: Hello Ada",
				f"Your message to {self.address('Ada')} couldn't be delivered. 550 5.1.1 RESOLVER.ADR"
				f" Message-ID: &lt;{message_id(log(doc.name)[self.address('Ada')])}&gt;",
			)
		self.assertEqual(log(doc.name)[self.address("Ada")].status, "Bounced")

	def sent_to(self, *names: str):
		"""A one-step send to these leads, its mail gone out (the Email Sent touches left aside)."""
		for name in names:
			self.lead(name)
		doc = make_campaign_email(self.campaign, [(make_template("<p>One</p>"), 0)])
		sends.start_send(doc.name)
		for row in log(doc.name).values():
			frappe.db.set_value("Email Queue", row.email_queue, "status", "Sent")
		with patch("crm_app.cx_marketing.results.record_touches"):
			sends.sync_queue_status(doc.name)
		return doc

	def test_a_forged_bounce_without_our_message_id_marks_nothing(self):
		"""Anyone can write from mailer-daemon@: naming a member's address is not enough."""
		doc = self.sent_to("Ada")
		with patch("crm_app.cx_marketing.results.record_touch") as record_touch:
			self.received(
				"MAILER-DAEMON@mail.example.org",
				"Undelivered Mail Returned to Sender",
				f"<p>&lt;{self.address('Ada')}&gt;: host said: 550 5.1.1 no such user</p>"
				f"<p>Message-ID: &lt;forged.{self.tag}@mail.example.org&gt;</p>",
			)
		record_touch.assert_not_called()
		self.assertEqual(log(doc.name)[self.address("Ada")].status, "Sent")
		doc.reload()
		self.assertEqual((doc.sent, doc.bounced), (1, 0))

	def test_a_bounce_filed_by_the_email_account_is_matched_by_the_returned_headers(self):
		"""A delivery report as MTAs send it: the returned message's headers in a part the
		Communication does not keep; the Email Account reads them while it files the mail."""
		from crm_app.cx_support.inbound import ThreadedInboundMail

		doc = self.sent_to("Ada", "Grace")
		ada = log(doc.name)[self.address("Ada")]
		report = (
			"From: MAILER-DAEMON@mx.example.org\nTo: news@example.com\n"
			"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
			f"Message-ID: <report.{self.tag}@mx.example.org>\n"
			'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
			f"--B\nContent-Type: text/plain\n\n<{self.address('Ada')}>: 550 5.1.1 no such user\n"
			"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
			"--B\nContent-Type: text/rfc822-headers\n\nFrom: news@example.com\n"
			f"To: {self.address('Ada')}\nMessage-ID: <{message_id(ada)}>\nSubject: One\n\n--B--\n"
		)
		account = frappe.get_doc({"doctype": "Email Account", "email_id": f"in.{self.tag}@example.com"})
		with patch("crm_app.cx_marketing.results.record_touch") as record_touch:
			ThreadedInboundMail(report, account).process()
		self.assertEqual([call.args[3] for call in record_touch.call_args_list], ["Bounced"])
		rows = log(doc.name)
		self.assertEqual(rows[self.address("Ada")].status, "Bounced")
		self.assertEqual(rows[self.address("Grace")].status, "Sent")
		doc.reload()
		self.assertEqual((doc.sent, doc.bounced), (1, 1))

	def test_a_second_reply_from_the_same_person_counts_once_without_a_recount(self):
		doc = self.sent_to("Ada", "Grace")
		reply = {"reference_doctype": sends.EMAIL, "reference_name": doc.name}
		with (
			patch("crm_app.cx_marketing.results.record_touch") as record_touch,
			patch.object(sends, "recount", side_effect=AssertionError("a reply recounts the send")),
		):
			self.received(self.address("Ada"), "Re: One", "Thanks!", **reply)
			self.received(self.address("Ada"), "Re: One", "And once more, thanks!", **reply)
		self.assertEqual([call.args[3] for call in record_touch.call_args_list], ["Replied"])
		rows = log(doc.name)
		self.assertEqual(rows[self.address("Ada")].status, "Replied")
		self.assertEqual(rows[self.address("Grace")].status, "Sent")
		doc.reload()
		self.assertEqual((doc.sent, doc.replied), (2, 1))
		self.assertEqual(doc.replied, sends.recount(doc.name)["replied"], "the counters agree with a recount")

	def test_a_run_that_fails_leaves_the_send_failed_and_it_can_be_started_again(self):
		self.lead("Ada")
		doc = make_campaign_email(self.campaign, [(make_template("<p>One</p>"), 0)])
		with patch.object(sends, "insert_queue", side_effect=RuntimeError("disk full")):
			self.assertRaises(RuntimeError, sends.start_send, doc.name)
		doc.reload()
		self.assertEqual((doc.status, doc.last_error), ("Failed", "RuntimeError: disk full"))
		self.assertEqual(mails(doc.name), {})
		sends.start_send(doc.name)
		self.assertEqual(list(mails(doc.name)), [self.address("Ada")])


class TestPermissions(SendCase):
	def test_a_sales_user_without_the_marketing_role_is_refused(self):
		lead = self.lead("Ada")
		doc = make_campaign_email(self.campaign, [(make_template("<p>Hi {{ first_name }}</p>"), 0)])
		frappe.set_user(make_user(f"sales.{self.tag}@example.com", "Sales User"))
		self.assertRaises(frappe.PermissionError, sends.start_send, doc.name)
		self.assertRaises(frappe.PermissionError, sends.pause_send, doc.name)
		self.assertRaises(frappe.PermissionError, sends.preview, doc.name, "CX Lead", lead.name)

	def test_preview_needs_read_on_the_member_too(self):
		lead = self.lead("Ada")
		doc = make_campaign_email(self.campaign, [(make_template("<p>Hi {{ first_name }}</p>"), 0)])
		self.assertEqual(sends.preview(doc.name, "CX Lead", lead.name)["subject"], "Hello Ada")
		self.assertIn("Hi Ada", sends.preview(doc.name, "CX Lead", lead.name)["html"])
		self.assertRaises(CampaignEmailError, sends.preview, doc.name, "User", "Administrator")
		# a marketer restricted to another lead reads the campaign email, not this member
		from frappe.permissions import add_user_permission

		user = make_user(f"mkt.{self.tag}@example.com", "Marketing User")
		add_user_permission("CX Lead", self.lead("Other").name, user, ignore_permissions=True)
		frappe.set_user(user)
		self.assertRaises(frappe.PermissionError, sends.preview, doc.name, "CX Lead", lead.name)

	def test_a_steps_own_subject_cannot_reach_frappe(self):
		"""Marketing users write a step's subject (not an Email Template): it renders without Frappe's
		globals, so it cannot read the database through Preview or the queued mail."""
		lead = self.lead("Ada")
		doc = make_campaign_email(self.campaign, [(make_template("<p>Hi</p>"), 0)])
		doc.steps[0].subject = "Hi {{ first_name }}{{ frappe }}"
		doc.save()
		self.assertEqual(sends.preview(doc.name, "CX Lead", lead.name)["subject"], "Hi Ada")
		doc.steps[0].subject = "{{ frappe.db.sql('select name from __Auth') }}"
		doc.save()
		with self.assertRaises(Exception) as refused:
			sends.preview(doc.name, "CX Lead", lead.name)
		self.assertNotIn("Administrator", str(refused.exception))


class TestCrashHalfway(RemovesLeftovers, CXTestCase):
	"""A worker killed after two committed batches: the resume queues the rest, each member once.
	The job runs in a process of its own, which sees only committed data: fixtures are committed and
	removed afterwards."""

	def setUp(self):
		super().setUp()
		self.tag = frappe.generate_hash(length=6)
		self.campaign = make_campaign(f"Crash {self.tag}")
		self.leads = [
			make_lead(first_name=f"C{i}", email=f"c{i}.{self.tag}@example.com", campaign=self.campaign).name
			for i in range(8)
		]
		self.doc = make_campaign_email(self.campaign, [(make_template("<p>Hi {{ first_name }}</p>"), 0)])
		frappe.db.set_value(sends.EMAIL, self.doc.name, "status", "Sending")
		frappe.db.commit()

	def tearDown(self):
		frappe.db.rollback()
		remove_fixtures(self.tag)
		super().tearDown()

	def test_killed_after_two_batches_it_resumes_without_duplicates_or_gaps(self):
		result = subprocess.run(
			[sys.executable, str(CRASH), SITE, self.doc.name, "2", "3"],
			cwd=BENCH / "sites",
			capture_output=True,
			text=True,
			timeout=600,
			env={**os.environ},
		)
		self.assertEqual(result.returncode, -signal.SIGKILL, result.stdout + result.stderr)
		frappe.db.rollback()
		saved = frappe.db.get_value(
			jobs.CHECKPOINT, sends.run_key(self.doc.name, 1), ["cursor"], as_dict=True
		)
		self.assertEqual(saved.cursor, sorted(self.leads)[5], "two batches of three committed")
		self.assertEqual(frappe.db.count(sends.RECIPIENT, {"campaign_email": self.doc.name}), 6)

		frappe.local.conf.mail_server = "localhost"
		try:
			with patch("frappe.enqueue", side_effect=run_now):
				self.assertIn(sends.run_key(self.doc.name, 1), jobs.resume_interrupted_jobs())
		finally:
			frappe.local.conf.pop("mail_server", None)
		frappe.db.rollback()
		rows = frappe.get_all(sends.RECIPIENT, {"campaign_email": self.doc.name}, ["member_name", "status"])
		self.assertEqual(sorted(row.member_name for row in rows), sorted(self.leads), "no gap, no duplicate")
		self.assertEqual({row.status for row in rows}, {"Queued"})
		self.assertEqual(len(mails(self.doc.name)), 8)
		self.assertIsNone(frappe.db.get_value(jobs.CHECKPOINT, sends.run_key(self.doc.name, 1)))
