"""Email in and out of issues through Frappe's own Email Account and Communication, and the customer
notifications: a new thread makes an issue, a reply threads onto it (and never onto another customer's),
a late reply to a closed issue opens a follow-up, the first reply from the desk is the first response,
each status notification goes once per change."""

from email.message import EmailMessage
from email.utils import make_msgid

import frappe
from frappe.email.receive import InboundMail
from frappe.utils import add_days, now_datetime

from crm_app.cx_support.inbound import CXEmailAccount, ThreadedInboundMail
from crm_app.exceptions import IssueEmailError

from .factories import CXTestCase, make_customer, make_user

ACCOUNT = "test_issue_desk"
DESK = "desk@crm-app.example"


def email_account():
	if not frappe.db.exists("Email Account", ACCOUNT):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": ACCOUNT,
				"email_id": DESK,
				"enable_incoming": 1,
				"use_imap": 0,
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "smtp.crm-app.example",
				"append_to": "CX Issue",
				"email_server": "pop.crm-app.example",
				"password": "x",
			}
		).insert(ignore_permissions=True)
	return frappe.get_doc("Email Account", ACCOUNT)


def receive(
	sender: str, subject: str, body: str, in_reply_to: str | None = None, message_id=None, references=None
):
	"""Feed one raw email to the Email Account, as its pull does; returns the Communication."""
	message = EmailMessage()
	if sender:
		message["From"] = sender
	message["To"] = DESK
	message["Subject"] = subject
	message["Message-ID"] = message_id or make_msgid(domain="customer.example")
	if in_reply_to:
		message["In-Reply-To"] = in_reply_to
	if references:
		message["References"] = references
	message.set_content(body)
	account = email_account()
	mail = InboundMail(message.as_string(), account)
	mail.__class__ = ThreadedInboundMail  # what the app's Email Account does with every email it pulls
	return mail.process()


def make_contact(email: str, customer: str | None = None) -> str:
	contact = frappe.get_doc({"doctype": "Contact", "first_name": email.split("@")[0]})
	contact.add_email(email, is_primary=True)
	if customer:
		contact.append("links", {"link_doctype": "CX Customer", "link_name": customer})
	contact.image = "x"  # no gravatar lookup over the network
	contact.insert(ignore_permissions=True)
	return contact.name


class TestEmailIn(CXTestCase):
	def setUp(self):
		super().setUp()
		self.customer = make_customer(customer_name="Svitanok").name
		make_contact("olena@svitanok.example", self.customer)

	def test_a_new_thread_makes_an_issue_and_a_reply_threads_onto_it(self):
		first = receive(
			"olena@svitanok.example", "Рахунок не відкривається", "Добрий день, не можу відкрити рахунок."
		)
		issue = frappe.get_doc("CX Issue", first.reference_name)
		self.assertEqual((issue.channel, issue.customer, issue.language), ("Email", self.customer, "uk"))
		self.assertEqual(issue.raised_by, "olena@svitanok.example")
		reply = receive("olena@svitanok.example", "Re: Рахунок", "Ще питання", in_reply_to=first.message_id)
		self.assertEqual(reply.reference_name, issue.name)
		self.assertEqual(frappe.db.count("CX Issue", {"raised_by": "olena@svitanok.example"}), 1)

	def test_a_reply_to_a_message_the_desk_never_saw_threads_by_references(self):
		first = receive("olena@svitanok.example", "Printer jams", "It jams.")
		self.assertIsInstance(email_account(), CXEmailAccount)
		reply = receive(
			"olena@svitanok.example",
			"Re: Re: Printer jams",
			"My colleague answered you, here is more.",
			in_reply_to="<unknown-to-us@colleague.example>",
			references=f"<{first.message_id}> <unknown-to-us@colleague.example>",
		)
		self.assertEqual(reply.reference_name, first.reference_name)

	def test_the_subject_reference_alone_finds_the_issue(self):
		first = receive("olena@svitanok.example", "Printer jams", "It jams.")
		reply = receive("olena@svitanok.example", f"Re: something else (#{first.reference_name})", "More.")
		self.assertEqual(reply.reference_name, first.reference_name)

	def test_another_customers_reference_gives_the_stranger_an_issue_of_their_own(self):
		first = receive("olena@svitanok.example", "Printer jams", "It jams.")
		intruder = receive("mallory@elsewhere.example", f"Re: Printer jams (#{first.reference_name})", "Hi")
		self.assertNotEqual(intruder.reference_name, first.reference_name)
		stranger_issue = frappe.get_doc("CX Issue", intruder.reference_name)
		self.assertEqual(
			(stranger_issue.raised_by, stranger_issue.customer), ("mallory@elsewhere.example", None)
		)
		# and the same through In-Reply-To, which a stranger can copy from a forwarded email
		copied = receive("mallory@elsewhere.example", "Re: Printer jams", "Hi", in_reply_to=first.message_id)
		self.assertNotEqual(copied.reference_name, first.reference_name)

	def test_a_colleague_of_the_customer_may_add_to_the_issue(self):
		make_contact("petro@svitanok.example", self.customer)
		first = receive("olena@svitanok.example", "Printer jams", "It jams.")
		colleague = receive(
			"petro@svitanok.example", "Re: Printer jams", "Same here", in_reply_to=first.message_id
		)
		self.assertEqual(colleague.reference_name, first.reference_name)

	def test_a_reply_soon_after_closing_reopens_a_late_one_follows_up(self):
		first = receive("olena@svitanok.example", "Printer jams", "It jams.")
		name = first.reference_name
		frappe.db.set_value("CX Issue", name, {"status": "Closed", "closed_on": add_days(now_datetime(), -1)})
		receive("olena@svitanok.example", "Re: Printer jams", "Again", in_reply_to=first.message_id)
		self.assertEqual(frappe.db.get_value("CX Issue", name, "status"), "Open")

		frappe.db.set_value(
			"CX Issue", name, {"status": "Closed", "closed_on": add_days(now_datetime(), -30)}
		)
		late = receive("olena@svitanok.example", "Re: Printer jams", "Again!", in_reply_to=first.message_id)
		self.assertNotEqual(late.reference_name, name)
		self.assertEqual(frappe.db.get_value("CX Issue", late.reference_name, "follow_up_of"), name)
		self.assertEqual(frappe.db.get_value("CX Issue", name, "status"), "Closed")

	def test_an_email_without_a_sender_is_refused_and_leaves_nothing(self):
		before = frappe.db.count("CX Issue")
		frappe.db.savepoint("no_sender")
		# Frappe's inbound mail itself fails on a missing From header (the Email Account logs the email)
		with self.assertRaises(Exception):
			receive("", "Anonymous", "Who am I")
		frappe.db.rollback(save_point="no_sender")  # what the Email Account's pull does with a failed email
		self.assertEqual(frappe.db.count("CX Issue"), before)
		# and any other way in (an API client, a script) gets the app's own refusal
		issue = frappe.get_doc({"doctype": "CX Issue", "subject": "Anonymous"}).insert()
		with self.assertRaises(IssueEmailError):
			frappe.get_doc(
				{
					"doctype": "Communication",
					"communication_type": "Communication",
					"communication_medium": "Email",
					"sent_or_received": "Received",
					"reference_doctype": "CX Issue",
					"reference_name": issue.name,
					"subject": "Anonymous",
					"content": "Who am I",
				}
			).insert(ignore_permissions=True)

	def test_a_huge_body_is_cut_on_the_issue_and_kept_whole_as_a_file(self):
		frappe.db.set_single_value("CX Settings", "max_email_body_kb", 64)
		body = "Lorem ipsum dolor sit amet. " * 40_000  # about 1.1 MB
		comm = receive("olena@svitanok.example", "Logs attached", body)
		comm.reload()
		self.assertLess(len(comm.content), 70 * 1024)
		issue = frappe.get_doc("CX Issue", comm.reference_name)
		self.assertLess(len(issue.description), 70 * 1024)
		files = frappe.get_all(
			"File",
			filters={"attached_to_doctype": "Communication", "attached_to_name": comm.name},
			pluck="file_size",
		)
		self.assertTrue(files and max(files) > 1_000_000)


class TestEmailOut(CXTestCase):
	def setUp(self):
		super().setUp()
		email_account()  # the desk's outgoing account too

	def test_the_first_reply_from_the_desk_is_the_first_response(self):
		from frappe.core.doctype.communication.email import make

		agent = make_user("test_mail_agent@example.com", "Support Team")
		issue = frappe.get_doc(
			{"doctype": "CX Issue", "subject": "Printer jams", "raised_by": "olena@svitanok.example"}
		).insert()
		frappe.set_user(agent)
		try:
			result = make(
				doctype="CX Issue",
				name=issue.name,
				content="Please restart it.",
				subject="Re: Printer jams",
				recipients="olena@svitanok.example",
				send_email=True,
			)
		finally:
			frappe.set_user("Administrator")
		issue.reload()
		self.assertTrue(issue.first_responded_on)
		self.assertEqual(issue.status, "Replied")
		subject = frappe.db.get_value("Communication", result["name"], "subject")
		self.assertIn(f"(#{issue.name})", subject)


class TestCustomerNotifications(CXTestCase):
	def setUp(self):
		super().setUp()
		email_account()

	def queued(self, issue: str) -> list[str]:
		return frappe.get_all(
			"Email Queue", filters={"reference_doctype": "CX Issue", "reference_name": issue}, pluck="name"
		)

	def test_a_status_notification_goes_once_per_change(self):
		issue = frappe.get_doc(
			{
				"doctype": "CX Issue",
				"subject": "Printer jams",
				"raised_by": "olena@svitanok.example",
				"channel": "Email",
			}
		).insert()
		received = len(self.queued(issue.name))
		self.assertEqual(received, 1)  # "we have your request"
		issue.status = "Resolved"
		issue.save()
		issue.description = "Restarted the printer."
		issue.save()  # no change of status: nothing more
		self.assertEqual(len(self.queued(issue.name)), received + 1)
		message = frappe.get_last_doc("Email Queue", filters={"reference_name": issue.name})
		self.assertIn(issue.name, message.message)

	def test_the_templates_are_editable(self):
		template = frappe.get_doc("Email Template", "CX Issue Resolved")
		template.response_html = "<p>Done: {{ doc.name }} MARKER</p>"
		template.save()
		issue = frappe.get_doc(
			{
				"doctype": "CX Issue",
				"subject": "Fax",
				"raised_by": "olena@svitanok.example",
				"channel": "Phone",
			}
		).insert()
		issue.status = "Resolved"
		issue.save()
		message = frappe.get_last_doc("Email Queue", filters={"reference_name": issue.name})
		self.assertIn("MARKER", message.message)
