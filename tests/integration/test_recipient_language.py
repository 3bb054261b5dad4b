"""Messages go out in the recipient's language (crm_app/languages.py, crm_app/core/recipient_language.py):
a desk user's own, a customer's contact's (else the customer's or lead's, else the site's), whoever
causes the send and whatever language it runs in; in one send each person gets their own language.

The app's translations (crm_app/locale) are written apart from this: these tests give Frappe's lookup a
few translations of the app's real messages for their duration (`translations`), so they test the
switching, not the catalogs."""

import email
import json
from contextlib import contextmanager
from email.header import decode_header, make_header
from unittest.mock import patch

import frappe
from frappe.utils import add_days, add_to_date, now_datetime, nowdate

from crm_app.cx_marketing import sends, triggers
from crm_app.cx_support import sla
from crm_app.languages import read_directory, speaking
from crm_app.reminders import send_reminders

from .factories import CXTestCase, make_campaign, make_lead, make_user

TRANSLATIONS = {
	"uk": {
		"Follow-up overdue since {1}: {0}": "Нагадування прострочене з {1}: {0}",
		"{0} CRM reminders for today": "Нагадувань CRM на сьогодні: {0}",
		"Follow-up Overdue": "Прострочене нагадування",
		"Issue {0} needs a first response by {1}": "Звернення {0} потребує першої відповіді до {1}",
		"Trigger {0}: {1} {2}": "Тригер {0}: {1} {2}",
	},
	"pl": {
		"We have your request: {0}": "Mamy Twoje zgłoszenie: {0}",
		"Hello,": "Dzień dobry,",
		"Hello {0},": "Dzień dobry {0},",
		"Reply to this email to add anything; please keep the reference in the subject.": (
			"Odpowiedz na tę wiadomość, aby coś dodać; prosimy zachować numer w temacie."
		),
		"Unsubscribe": "Wypisz się",
		"Email not sent: no email address": "Nie wysłano: brak adresu e-mail",
	},
}
ACCOUNT = "test_recipient_language"


@contextmanager
def translations():
	"""Frappe's translation lookup (frappe.translate.get_all_translations, which `_()` in Python and Jinja
	calls for the current language; Frappe caches its result in frappe.cache "merged_translations") with
	the test's messages on top, for the block only."""
	from frappe import translate

	original, merged = translate.get_all_translations, {}

	def lookup(lang):
		if lang not in TRANSLATIONS:
			return original(lang)
		if lang not in merged:
			merged[lang] = {**original(lang), **TRANSLATIONS[lang]}
		return merged[lang]

	with patch.object(translate, "get_all_translations", side_effect=lookup):
		yield


def outgoing_account() -> None:
	if not frappe.db.exists("Email Account", ACCOUNT):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": ACCOUNT,
				"email_id": "desk@recipient-language.example",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "smtp.recipient-language.example",
				"password": "x",
			}
		).insert(ignore_permissions=True)


def queued_to(address: str, **filters) -> list[tuple[str, str]]:
	"""(subject, HTML) of each mail queued for `address`, decoded from the Email Queue's MIME text."""
	parents = frappe.get_all("Email Queue Recipient", {"recipient": address}, pluck="parent")
	found = []
	for row in frappe.get_all(
		"Email Queue", {"name": ("in", parents or [""]), **filters}, ["message"], order_by="creation"
	):
		message = email.message_from_string(row.message)
		html = next(
			(
				part.get_payload(decode=True).decode()
				for part in message.walk()
				if part.get_content_type() == "text/html"
			),
			"",
		)
		found.append((str(make_header(decode_header(message["Subject"]))), html))
	return found


def desk_user(email_address: str, language: str | None) -> str:
	user = make_user(email_address, "Sales User", "Support Team")
	frappe.db.set_value("User", user, "language", language)
	frappe.clear_cache(user=user)
	return user


class TestRecipientLanguage(CXTestCase):
	def setUp(self):
		super().setUp()
		outgoing_account()
		self.olena = desk_user("olena.lang@example.com", "uk")
		self.john = desk_user("john.lang@example.com", "en")
		frappe.local.lang = "en"  # the job's or the saver's language: never the recipient's

	def tearDown(self):
		frappe.local.lang = "en"
		super().tearDown()

	def test_a_reminder_run_writes_to_each_user_in_their_language(self):
		frappe.db.delete("CX Reminder Log")
		frappe.db.set_single_value("CX Settings", "send_reminder_emails", 1)
		for user, first_name in ((self.olena, "Taras"), (self.john, "Jack")):
			lead = make_lead(first_name=first_name, lead_owner=user)
			frappe.db.set_value(
				"CX Lead",
				lead.name,
				{"next_follow_up": add_days(nowdate(), -2), "last_contacted_on": now_datetime()},
			)
		with translations():
			send_reminders(commit=False)
		bell = dict(
			frappe.get_all(
				"Notification Log",
				{"for_user": ("in", [self.olena, self.john]), "document_type": "CX Lead"},
				["for_user", "subject"],
				as_list=True,
			)
		)
		self.assertTrue(bell[self.olena].startswith("Нагадування прострочене з"), bell)
		self.assertIn("Taras", bell[self.olena])
		self.assertTrue(bell[self.john].startswith("Follow-up overdue since"), bell)
		[(subject, html)] = queued_to(self.olena)
		self.assertEqual(subject, "Нагадувань CRM на сьогодні: 1")
		self.assertIn("Прострочене нагадування", html)
		[(subject, html)] = queued_to(self.john)
		self.assertEqual(subject, "1 CRM reminders for today")
		self.assertIn("Follow-up Overdue", html)
		self.assertEqual(frappe.local.lang, "en")  # the run's own language is back

	def test_an_issue_notification_speaks_the_contacts_language_and_a_copy_to_an_agent_his(self):
		contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Marta",
				"preferred_language": "pl",
				"email_ids": [{"email_id": "marta.lang@example.com", "is_primary": 1}],
			}
		).insert(ignore_permissions=True)
		# a manager copies the agent in: one notification, two people, two languages
		notification = frappe.get_doc("Notification", "CX Issue Received")
		notification.append("recipients", {"cc": self.john})
		notification.save(ignore_permissions=True)
		with translations():
			issue = frappe.get_doc(
				{
					"doctype": "CX Issue",
					"subject": "Drukarka się zacina",
					"raised_by": "marta.lang@example.com",
					"channel": "Email",
				}
			).insert()
		[(subject, html)] = queued_to("marta.lang@example.com", reference_name=issue.name)
		self.assertEqual(subject, f"Mamy Twoje zgłoszenie: Drukarka się zacina (#{issue.name})")
		self.assertIn("Dzień dobry", html)
		self.assertIn("prosimy zachować numer w temacie", html)
		[(subject, html)] = queued_to(self.john, reference_name=issue.name)
		self.assertEqual(subject, f"We have your request: Drukarka się zacina (#{issue.name})")
		self.assertIn("please keep the reference in the subject", html)
		communications = frappe.get_all(
			"Communication",
			{"reference_doctype": "CX Issue", "reference_name": issue.name},
			["subject", "recipients", "cc", "content"],
		)
		by_subject = {c.subject.split(":")[0]: c for c in communications}
		self.assertEqual(set(by_subject), {"Mamy Twoje zgłoszenie", "We have your request"})
		self.assertIn("marta.lang@example.com", by_subject["Mamy Twoje zgłoszenie"].recipients)
		self.assertIn("Dzień dobry", by_subject["Mamy Twoje zgłoszenie"].content)
		self.assertIn(self.john, by_subject["We have your request"].cc)
		self.assertEqual(frappe.local.lang, "en")
		self.assertTrue(contact.name)

	def test_a_contact_without_a_language_reads_the_customers_else_the_sites(self):
		# The site's language is a global default (System Settings sets it); a new record's language field
		# must not take it, or every contact would outrank its customer with the site's language.
		previous = frappe.db.get_default("language")
		frappe.db.set_default("language", "en")
		self.addCleanup(frappe.db.set_default, "language", previous)
		frappe.local.new_doc_templates.clear()  # new records as if the default had always been there
		customer = frappe.get_doc(
			{"doctype": "CX Customer", "customer_name": "Svitanok Lang", "preferred_language": "pl"}
		).insert()
		linked = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Ivan",
				"email_ids": [{"email_id": "ivan.lang@example.com", "is_primary": 1}],
				"links": [{"link_doctype": "CX Customer", "link_name": customer.name}],
			}
		).insert(ignore_permissions=True)
		self.assertFalse(linked.preferred_language)
		self.assertFalse(make_lead(first_name="Ivan").preferred_language)
		directory = read_directory(emails=["ivan.lang@example.com", "nobody.lang@example.com"])
		self.assertEqual(directory.address("ivan.lang@example.com"), "pl")
		self.assertEqual(directory.address("nobody.lang@example.com"), directory.default)
		frappe.db.set_value("Contact", linked.name, "preferred_language", "uk")
		directory = read_directory(emails=["ivan.lang@example.com"], users=[self.olena])
		self.assertEqual(directory.address("ivan.lang@example.com"), "uk")
		self.assertEqual(directory.address(self.olena), "uk")  # a desk user's address

	def test_sla_notices_in_each_agents_language_one_query_for_their_languages(self):
		issue = frappe.get_doc(
			{"doctype": "CX Issue", "subject": "Printer", "raised_by": "someone.lang@example.com"}
		).insert()
		notice = {
			"issue": issue.name,
			"alert": "response_at_risk",
			"due": add_to_date(now_datetime(), hours=1),
			"users": [self.olena, self.john],
		}
		with translations():
			sla.send_notices([notice])
		bell = dict(
			frappe.get_all(
				"Notification Log",
				{"document_name": issue.name, "for_user": ("in", [self.olena, self.john])},
				["for_user", "subject"],
				as_list=True,
			)
		)
		self.assertTrue(bell[self.olena].startswith("Звернення"), bell)
		self.assertTrue(bell[self.john].startswith("Issue"), bell)

	def test_a_campaign_batch_renders_each_member_in_their_language(self):
		frappe.local.conf.mail_server = "localhost"
		self.addCleanup(lambda: frappe.local.conf.pop("mail_server", None))
		campaign = make_campaign(f"Lang {frappe.generate_hash(length=6)}")
		for first_name, language in (("Zofia", "pl"), ("Adam", None)):
			make_lead(
				first_name=first_name,
				email=f"{first_name.lower()}.lang@example.com",
				campaign=campaign,
				preferred_language=language,
			)
		template = frappe.get_doc(
			{
				"doctype": "Email Template",
				"name": f"CX Lang {frappe.generate_hash(length=6)}",
				"subject": '{{ _("Hello,") }} {{ first_name }}',
				"use_html": 1,
				"response_html": '<p>{{ _("Hello {0},").format(first_name) }}</p>',
			}
		).insert()
		doc = frappe.get_doc(
			{
				"doctype": "CX Campaign Email",
				"title": "Language",
				"campaign": campaign,
				"sender": "news@example.com",
				"steps": [{"email_template": template.name, "delay_days": 0}],
			}
		).insert()
		step = sends.StepRun(doc.name, 1, frappe._dict(basis=None, cursor=None))
		with translations():
			preview = sends.preview(
				doc.name, "CX Lead", frappe.db.get_value("CX Lead", {"first_name": "Zofia"})
			)
			step.queue_batch(sends.read_members(doc, 1, "", 0))  # one batch, not committed
		self.assertEqual(preview["subject"], "Dzień dobry, Zofia")
		[(subject, html)] = queued_to("zofia.lang@example.com")
		self.assertEqual(subject, "Dzień dobry, Zofia")
		self.assertIn("Dzień dobry Zofia,", html)
		self.assertIn("Wypisz się", html)  # Frappe's footer in her language too
		[(subject, html)] = queued_to("adam.lang@example.com")
		self.assertEqual(subject, "Hello, Adam")
		self.assertIn("Unsubscribe", html)
		self.assertNotIn("Wypisz", html)

	def test_a_trigger_mails_each_lead_and_tells_each_user_in_their_language(self):
		for first_name, language in (("Zofia", "pl"), ("Adam", None)):
			make_lead(
				first_name=first_name,
				email=f"{first_name.lower()}.trig@example.com",
				city="Langtown",
				preferred_language=language,
			)
		silent = make_lead(first_name="Ola", city="Langtown", preferred_language="pl")  # no address
		template = frappe.get_doc(
			{
				"doctype": "Email Template",
				"name": f"CX Lang {frappe.generate_hash(length=6)}",
				"subject": '{{ _("Hello,") }} {{ first_name }}',
				"use_html": 1,
				"response_html": "<p>News.</p>",
			}
		).insert()
		trigger = frappe.get_doc(
			{
				"doctype": "CX Trigger",
				"trigger_name": "Language",
				"trigger_on": "CX Lead",
				"filters_json": json.dumps([["CX Lead", "city", "=", "Langtown"]]),
				"actions": [
					{"action_type": "Send Email Template", "email_template": template.name},
					{"action_type": "Notify", "notify_role": "Support Team"},
				],
			}
		).insert()
		with translations():
			counts = triggers.run_trigger(trigger.name, commit=False)
		errors = frappe.get_all("CX Trigger Log", {"cx_trigger": trigger.name}, pluck="error")
		self.assertEqual(counts["failed"], 0, errors)
		[(subject, _html)] = queued_to("zofia.trig@example.com")
		self.assertEqual(subject, "Dzień dobry, Zofia")
		[(subject, _html)] = queued_to("adam.trig@example.com")
		self.assertEqual(subject, "Hello, Adam")
		bell = frappe.get_all(
			"Notification Log",
			{"document_type": "CX Lead", "for_user": ("in", [self.olena, self.john])},
			["for_user", "subject"],
		)
		self.assertEqual(len(bell), 6, bell)  # three leads, two users
		# what the log says stays in the run's language, whoever the mail was for
		note = frappe.db.get_value("CX Trigger Log", {"reference_name": silent.name}, "result")
		self.assertIn("Email not sent: no email address", note)
		for row in bell:
			expected = "Тригер Language:" if row.for_user == self.olena else "Trigger Language:"
			self.assertTrue(row.subject.startswith(expected), row)

	def test_speaking_gives_the_language_back_after_an_error(self):
		with self.assertRaises(ZeroDivisionError), speaking("uk"):
			self.assertEqual(frappe.local.lang, "uk")
			_ = 1 / 0
		self.assertEqual(frappe.local.lang, "en")

	def test_the_apps_jobs_speak_the_language_of_the_user_who_started_them(self):
		from crm_app.languages import before_job

		frappe.set_user(self.olena)
		before_job(method="frappe.email.queue.flush", kwargs={}, transaction_type="job")
		self.assertEqual(frappe.local.lang, "en")  # not the app's job: left as Frappe started it
		before_job(method="crm_app.scoring.rescore_all_leads", kwargs={}, transaction_type="job")
		self.assertEqual(frappe.local.lang, "uk")
