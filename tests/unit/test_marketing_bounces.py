"""The Message-IDs a delivery failure report refers to (crm_app/core/marketing/bounces.py)."""

import email

from crm_app.core.marketing.bounces import MAX_IDS, message_ids_in_text, message_ids_of_mail

DSN = """From: MAILER-DAEMON@mx.example.org
To: news@example.com
Subject: Undelivered Mail Returned to Sender
In-Reply-To: <reply.to@site.test>
References: <older@site.test> <reply.to@site.test>
Message-ID: <the.report@mx.example.org>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

<ada@example.com>: 550 5.1.1 no such user
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
--B
Content-Type: text/rfc822-headers

From: news@example.com
Message-ID: <headers.only@site.test>
Subject: One

--B
Content-Type: message/rfc822

From: news@example.com
Message-ID: <returned.whole@site.test>
Subject: One

Hello
--B--
"""


def test_the_headers_and_returned_messages_of_a_report_are_read_but_not_its_own_id():
	ids = message_ids_of_mail(email.message_from_string(DSN))
	assert ids == [
		"reply.to@site.test",
		"older@site.test",
		"headers.only@site.test",
		"returned.whole@site.test",
	]


def test_ids_written_in_a_body_in_brackets_or_after_a_label():
	text = "Message-ID: abc.1@site.test\nfailed: <abc.2@site.test>, again <abc.2@site.test>"
	assert message_ids_in_text(text) == ["abc.2@site.test", "abc.1@site.test"]


def test_a_report_without_any_id_names_nothing():
	assert message_ids_in_text("ada@example.com: 550 no such user") == []
	assert message_ids_in_text(None) == []


def test_a_flood_of_ids_is_capped():
	text = " ".join(f"<id{i}@site.test>" for i in range(1000))
	assert len(message_ids_in_text(text)) == MAX_IDS
