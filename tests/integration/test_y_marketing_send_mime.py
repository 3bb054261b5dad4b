"""Campaign email (crm_app/cx_marketing/sends.py) as Frappe sends it: the mail queued for a member goes
through Frappe's own sender (`EmailQueue.send`: it fills its placeholders per recipient, parses the
message and writes it again) to a fake SMTP server, and the bytes it would send are read back with
Python's email parser. Also the parts of queueing made for speed: the address check, the rows split
into INSERTs by size, the quote-only escaping, the mail's size."""
# Named test_y_*: sends commit (see test_y_marketing_sends.py); fixtures are removed by their tag.

import email
from email import policy
from unittest.mock import MagicMock, patch
from urllib.parse import parse_qs, urlparse

import frappe
from frappe.email.queue import get_unsubcribed_url

from crm_app.cx_marketing import sends

from .factories import make_lead
from .test_y_marketing_sends import SendCase, html_of, log, mails, make_campaign_email, make_template

TEMPLATE = (
	"<h2>Dear {{ first_name }},</h2>"
	'<p>Our <a href="https://example.com/offer?a=1&amp;b=2">spring offer</a> for {{ lead_name }}.</p>'
)


class TestFrappeSendsTheQueuedMail(SendCase):
	def send_with_frappe(self, queue_name: str) -> email.message.EmailMessage:
		"""What Frappe's Email Queue sender hands to the SMTP server for this mail, parsed."""
		sent = []
		smtp = MagicMock()
		smtp.session.sendmail.side_effect = lambda from_addr, to_addrs, msg: sent.append(msg)
		frappe.flags.testing_email = True  # in tests Frappe skips the SMTP call unless asked
		self.addCleanup(frappe.flags.pop, "testing_email", None)
		frappe.get_doc("Email Queue", queue_name).send(smtp_server_instance=smtp, force_send=True)
		self.assertEqual(len(sent), 1)
		return email.message_from_bytes(sent[0], policy=policy.default)

	def test_the_member_gets_their_own_name_both_parts_and_their_unsubscribe_link(self):
		address = self.address("zoe")
		make_lead(first_name="Zoë", last_name="Ünal", email=address, campaign=self.campaign)
		doc = make_campaign_email(self.campaign, [(make_template(TEMPLATE, "{{ first_name }}, news"), 0)])
		sends.start_send(doc.name)
		row = log(doc.name)[address]

		message = self.send_with_frappe(row.email_queue)
		self.assertEqual(message["Subject"], "Zoë, news")
		self.assertEqual(message["To"].addresses[0].display_name, "Zoë Ünal")
		self.assertEqual(message["To"].addresses[0].addr_spec, address)
		html = message.get_body(("html",)).get_content()
		text = message.get_body(("plain",)).get_content()
		self.assertIn("<h2>Dear Zoë,</h2>", html)
		self.assertIn("Zoë Ünal", html)
		self.assertIn("Dear Zoë,", text)
		self.assertIn("spring offer (https://example.com/offer?a=1&b=2)", text)
		self.assertEqual(message.get_content_type(), "multipart/mixed")
		alternative = message.get_payload()[0]
		self.assertEqual(alternative.get_content_type(), "multipart/alternative")
		self.assertEqual(
			[p.get_content_type() for p in alternative.get_payload()], ["text/plain", "text/html"]
		)

		# the link is Frappe's own signed unsubscribe for this list, in the header and both parts
		url = message["List-Unsubscribe"].strip("<>")
		expected = get_unsubcribed_url("CX Campaign", self.campaign, address, sends.UNSUBSCRIBE_METHOD, None)
		self.assertEqual(url, expected)
		self.assertIn(frappe.utils.escape_html(url), html)
		self.assertIn(url, text)
		params = {key: values[0] for key, values in parse_qs(urlparse(url).query).items()}
		self.assertEqual((params["email"], params["doctype"]), (address, "CX Campaign"))
		self.assertNotIn("<!--unsubscribe_url-->", html)

		# Frappe marks it sent, and the tick carries that to the send's log
		self.assertEqual(frappe.db.get_value("Email Queue", row.email_queue, "status"), "Sent")
		with patch("crm_app.cx_marketing.results.record_touches"):
			sends.sync_queue_status(doc.name)
		self.assertEqual(log(doc.name)[address].status, "Sent")

	def test_the_stored_mail_is_small(self):
		"""No notification layout around the template (its inlined styles made each mail 8 KiB)."""
		self.lead("Ada")
		doc = make_campaign_email(self.campaign, [(make_template(TEMPLATE), 0)])
		sends.start_send(doc.name)
		name = log(doc.name)[self.address("Ada")].email_queue
		message = frappe.db.get_value("Email Queue", name, "message")
		self.assertLess(len(message), 4096)
		self.assertIn(
			"to stop receiving emails of this type", mails(doc.name)[self.address("Ada")].as_string()
		)


class TestQueueingParts(SendCase):
	def test_the_address_check_agrees_with_frappes(self):
		for address in (
			"ada@example.com",
			"ADA+news@Sub.Example.co.uk",
			"o'brien@example.ie",
			"Ada <ada@example.com>",
			"ada@example.com, bob@example.com",
			"ada @example.com",
			"ada@example",
			"ada@-example.com",
			"ada@exa_mple.com",
			"a..b@example.com",
			"ada@example.com.",
			"undisclosed-recipients@example.com",
			"zoë@example.com",
			"ada@example.com;drop",
			"@example.com",
		):
			self.assertEqual(
				sends.valid_email(address), bool(frappe.utils.validate_email_address(address)), address
			)

	def test_backslashes_and_quotes_are_stored_as_written_and_the_sessions_mode_comes_back(self):
		"""The rows go in with NO_BACKSLASH_ESCAPES (quote-only escaping, sends.quote_only_escaping)."""
		mode = frappe.db.sql("select @@session.sql_mode")[0][0]
		self.lead("Ada")
		body = r"""<p>C:\temp\new 'quoted' "double" \' {{ first_name }}</p>"""
		doc = make_campaign_email(self.campaign, [(make_template(body), 0)])
		sends.start_send(doc.name)
		html = html_of(mails(doc.name)[self.address("Ada")])
		self.assertIn(r"""<p>C:\temp\new 'quoted' "double" \' Ada</p>""", html)
		self.assertEqual(frappe.db.sql("select @@session.sql_mode")[0][0], mode)
		with self.assertRaises(RuntimeError), sends.quote_only_escaping():
			raise RuntimeError("an INSERT failed")
		self.assertEqual(frappe.db.sql("select @@session.sql_mode")[0][0], mode)

	def test_mails_are_split_into_inserts_by_size_and_all_go(self):
		names = ["Ada", "Grace", "Alan"]
		for name in names:
			self.lead(name)
		doc = make_campaign_email(self.campaign, [(make_template("<p>Hi {{ first_name }}</p>"), 0)])
		with (
			patch.object(sends, "STATEMENT_BYTES", 1),
			patch.object(sends, "insert_rows", wraps=sends.insert_rows) as insert_rows,
		):
			sends.start_send(doc.name)
		queue_inserts = [c for c in insert_rows.call_args_list if c.args[0] == "Email Queue"]
		self.assertEqual(len(queue_inserts), 3)
		queued = mails(doc.name)
		self.assertEqual(sorted(queued), sorted(self.address(n) for n in names))
		for name in names:
			self.assertEqual(queued[self.address(name)]["Subject"], f"Hello {name}")
		rows = frappe.get_all(
			"Email Queue",
			{"reference_name": doc.name},
			["status", "reference_doctype", "sender", "unsubscribe_method", "owner", "creation"],
		)
		for row in rows:
			self.assertEqual(
				(row.status, row.reference_doctype, row.sender, row.unsubscribe_method, row.owner),
				("Not Sent", sends.EMAIL, "news@example.com", sends.UNSUBSCRIBE_METHOD, "Administrator"),
			)
			self.assertIsNotNone(row.creation)
