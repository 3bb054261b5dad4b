"""Campaign email without a site: the plain-text alternative, the hand-built MIME message (read back by
Python's own parser, as Frappe's Email Queue does when it sends), the parts shared by a send's mails
(skeleton and layout) and the throttle/window clock."""

import email
from datetime import UTC, datetime, time, timedelta
from email import policy
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_app.core.marketing.mail import (
	MailLayout,
	MailSkeleton,
	SendClock,
	SendScheduleError,
	address,
	build_message,
	header_value,
	html_to_text,
)

BERLIN = ZoneInfo("Europe/Berlin")


def parse(message: str):
	return email.message_from_string(message, policy=policy.SMTP)


def message(**overrides) -> str:
	values = {
		"sender": address("News", "news@example.com"),
		"recipient": address("Ada Lovelace", "ada@example.com"),
		"subject": "Hello Ada",
		"html_body": "<p>Hello <b>Ada</b></p>",
		"text_body": "Hello Ada\n",
		"message_id": "abc.123@site.localhost",
		"boundary": "b0undary",
		**overrides,
	}
	return build_message(**values)


class TestText:
	def test_paragraphs_breaks_and_links(self):
		text = html_to_text(
			'<p>Hello <b>Ada</b>,</p><p>See <a href="https://x.example/a?b=1&amp;c=2">our range</a>.<br>'
			"Bye</p><style>p {color: red}</style>"
		)
		assert text == "Hello Ada,\n\nSee our range (https://x.example/a?b=1&c=2).\nBye\n"

	def test_entities_and_lists(self):
		assert (
			html_to_text("<ul><li>Tea &amp; cake</li><li>caf&eacute;</li></ul>") == "- Tea & cake\n- café\n"
		)

	def test_a_link_whose_text_is_its_address_is_written_once(self):
		assert html_to_text('<a href="https://x.example">https://x.example</a>') == "https://x.example\n"


class TestMessage:
	def test_the_parser_reads_back_both_alternatives_and_the_headers(self):
		parsed = parse(message(html_body="<p>Grüße, Ada — 100% = sure</p>", text_body="Grüße, Ada\n"))
		assert parsed["Subject"] == "Hello Ada"
		assert parsed["Message-Id"] == "<abc.123@site.localhost>"
		assert str(parsed["To"]) == "Ada Lovelace <ada@example.com>"
		assert parsed.get_content_type() == "multipart/mixed"
		parts = {p.get_content_type(): p for p in parsed.walk()}
		assert parts["text/plain"].get_payload(decode=True).decode() == "Grüße, Ada\r\n"
		assert parts["text/html"].get_payload(decode=True).decode() == "<p>Grüße, Ada — 100% = sure</p>"

	def test_lines_end_in_crlf_and_stay_short(self):
		raw = message(html_body="<p>" + "long line " * 200 + "</p>")
		assert "\n" not in raw.replace("\r\n", "")
		assert max(len(line) for line in raw.split("\r\n")) <= 998

	def test_non_ascii_subject_and_name_are_encoded(self):
		parsed = parse(message(subject="Grüße, Zoë", recipient=address("Zoë Ünal", "zoe@example.com")))
		assert parsed["Subject"] == "Grüße, Zoë"
		assert str(parsed["To"]) == "Zoë Ünal <zoe@example.com>"

	def test_no_header_injection(self):
		raw = message(subject="Hi\r\nBcc: victim@example.com", extra_headers={"X-Test": "a\nb"})
		parsed = parse(raw)
		assert parsed["Bcc"] is None
		assert parsed["Subject"] == "Hi Bcc: victim@example.com"
		assert header_value("a\r\n b") == "a b"

	def test_quotes_in_a_name_cannot_break_the_address(self):
		assert address('Ada "the" Count', "ada@example.com") == '"Ada the Count" <ada@example.com>'

	@given(st.text(min_size=0, max_size=300))
	def test_any_body_survives_the_round_trip(self, body):
		body = body.replace("\r", "")
		parsed = parse(message(html_body=body, text_body=body))
		parts = {p.get_content_type(): p for p in parsed.walk()}
		assert parts["text/html"].get_payload(decode=True).decode() == body.replace("\n", "\r\n")


class TestSkeleton:
	"""The headers a send shares, formatted once, and one mail's parts filled in per member."""

	def skeleton(self) -> MailSkeleton:
		return MailSkeleton(
			sender=address("News", "news@example.com"),
			headers={"X-Frappe-Site": "https://site.example", "Precedence": "bulk", "X-Empty": ""},
		)

	def build(self, skeleton: MailSkeleton, **overrides) -> str:
		values = {
			"recipient": address("Zoë Ünal", "zoe@example.com"),
			"subject": "Grüße, Zoë",
			"html_body": "<p>Hi Zoë</p>",
			"text_body": "Hi Zoë\n",
			"message_id": "abc.123@site.localhost",
			"boundary": "b0undary",
			"headers": {"List-Unsubscribe": "<https://site.example/u?e=zoe>"},
			"when": 1_700_000_000.25,
			**overrides,
		}
		return skeleton.build(**values)

	def test_the_same_mail_as_build_message_with_the_shared_headers_added(self):
		raw = self.build(self.skeleton())
		alone = build_message(
			sender=address("News", "news@example.com"),
			recipient=address("Zoë Ünal", "zoe@example.com"),
			subject="Grüße, Zoë",
			html_body="<p>Hi Zoë</p>",
			text_body="Hi Zoë\n",
			message_id="abc.123@site.localhost",
			boundary="b0undary",
			extra_headers={
				"List-Unsubscribe": "<https://site.example/u?e=zoe>",
				"X-Frappe-Site": "https://site.example",
				"Precedence": "bulk",
			},
			when=1_700_000_000.25,
		)
		assert raw == alone
		parsed = parse(raw)
		assert str(parsed["To"]) == "Zoë Ünal <zoe@example.com>"
		assert parsed["Subject"] == "Grüße, Zoë"
		assert (parsed["Precedence"], parsed["X-Frappe-Site"]) == ("bulk", "https://site.example")
		assert parsed["List-Unsubscribe"] == "<https://site.example/u?e=zoe>"
		assert parsed["X-Empty"] is None

	def test_each_mail_has_its_own_recipient_and_ids_and_the_date_of_its_second(self):
		skeleton = self.skeleton()
		first = parse(self.build(skeleton))
		second = parse(
			self.build(
				skeleton, recipient="ada@example.com", message_id="def@site", boundary="other", when=1e9
			)
		)
		assert (str(first["To"]), str(second["To"])) == ("Zoë Ünal <zoe@example.com>", "ada@example.com")
		assert (first["Message-Id"], second["Message-Id"]) == ("<abc.123@site.localhost>", "<def@site>")
		assert first["Date"].datetime.timestamp() == 1_700_000_000
		assert second["Date"].datetime.timestamp() == 1_000_000_000
		assert second.get_boundary() == "===other=="

	def test_no_header_injection_through_a_members_values(self):
		parsed = parse(
			self.build(self.skeleton(), subject="Hi\r\nBcc: x@example.com", message_id="a\nBcc: y")
		)
		assert parsed["Bcc"] is None


class TestLayout:
	"""The document around each member's body: no notification layout, the footer and the member's own
	unsubscribe link in both parts."""

	FOOTER = (
		'<div class="footer"><!-- sender_address --><div>Example Ltd, 1 Main St</div>'
		'<div><a href="<!--unsubscribe_url-->">Unsubscribe</a> from this list</div>'
		"<div><!--email_open_check--></div></div>"
	)
	URL = "https://site.example/api/method/frappe.email.queue.unsubscribe?email=ada%40example.com&doctype=X&_signature=f0"

	def test_the_body_then_the_footer_with_the_members_link(self):
		html, text = MailLayout(self.FOOTER).parts("<p>Dear Ada,</p><p>News.</p>", self.URL)
		assert html.startswith("<!DOCTYPE html><html><head>")
		assert html.endswith("</body></html>")
		body_at, footer_at = html.index("<p>Dear Ada,</p>"), html.index("Example Ltd")
		assert body_at < footer_at
		assert f'href="{self.URL.replace("&", "&amp;")}"' in html
		assert "<!-- sender_address -->" not in html  # Frappe's notes, stored once per member
		assert "<!--email_open_check-->" in html  # Frappe's own placeholder, filled when it sends
		assert (
			text
			== f"Dear Ada,\n\nNews.\n\nExample Ltd, 1 Main St\n\nUnsubscribe ({self.URL}) from this list\n"
		)

	def test_each_member_their_own_link(self):
		layout = MailLayout(self.FOOTER)
		ada, bob = (layout.parts("<p>Hi</p>", f"https://site.example/u?e={who}") for who in ("ada", "bob"))
		assert "e=ada" in ada[0] and "e=bob" not in ada[0] and "e=ada" in ada[1]
		assert "e=bob" in bob[0] and "e=ada" not in bob[0] and "e=bob" in bob[1]

	def test_a_footer_without_text_adds_nothing_to_the_text_part(self):
		assert MailLayout("<div></div>").parts("<p>Hi</p>", self.URL)[1] == "Hi\n"


def at(clock: SendClock, n: int) -> datetime:
	return clock.at(n).astimezone(BERLIN).replace(tzinfo=None)


class TestClock:
	def test_no_throttle_no_window_everything_at_the_start(self):
		start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
		clock = SendClock(start)
		assert clock.at(0) == clock.at(100_000) == start

	def test_a_throttle_spaces_emails_evenly(self):
		start = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
		clock = SendClock(start, per_hour=120)
		assert clock.at(1) - clock.at(0) == timedelta(seconds=30)
		assert clock.at(240) == start + timedelta(hours=2)

	def test_a_window_holds_emails_until_it_opens_and_carries_over_to_the_next_day(self):
		start = datetime(2026, 3, 2, 6, 30, tzinfo=BERLIN)  # before the window
		clock = SendClock(start, 2, time(9), time(10), "Europe/Berlin")
		assert [at(clock, n) for n in range(4)] == [
			datetime(2026, 3, 2, 9, 0),
			datetime(2026, 3, 2, 9, 30),
			datetime(2026, 3, 3, 9, 0),
			datetime(2026, 3, 3, 9, 30),
		]

	def test_a_start_inside_the_window_uses_what_is_left_of_it(self):
		start = datetime(2026, 3, 2, 9, 45, tzinfo=BERLIN)
		clock = SendClock(start, 4, time(9), time(10), "Europe/Berlin")
		assert [at(clock, n) for n in range(3)] == [
			datetime(2026, 3, 2, 9, 45),
			datetime(2026, 3, 3, 9, 0),
			datetime(2026, 3, 3, 9, 15),
		]

	def test_a_window_over_midnight(self):
		start = datetime(2026, 3, 2, 23, 0, tzinfo=BERLIN)
		clock = SendClock(start, 1, time(22), time(1), "Europe/Berlin")
		assert [at(clock, n) for n in range(4)] == [
			datetime(2026, 3, 2, 23, 0),
			datetime(2026, 3, 3, 0, 0),
			datetime(2026, 3, 3, 22, 0),
			datetime(2026, 3, 3, 23, 0),
		]

	def test_a_start_after_midnight_inside_yesterdays_window(self):
		start = datetime(2026, 3, 3, 0, 30, tzinfo=BERLIN)
		clock = SendClock(start, 2, time(22), time(1), "Europe/Berlin")
		assert [at(clock, n) for n in range(2)] == [datetime(2026, 3, 3, 0, 30), datetime(2026, 3, 3, 22, 0)]

	def test_the_window_follows_its_own_time_zone_across_a_dst_change(self):
		start = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
		clock = SendClock(start, 1, time(9), time(10), "Europe/Berlin")
		assert at(clock, 0) == datetime(2026, 3, 29, 9, 0)  # the day the clocks go forward
		assert at(clock, 1) == datetime(2026, 3, 30, 9, 0)

	@given(st.integers(min_value=1, max_value=500), st.integers(min_value=0, max_value=2000))
	def test_times_never_go_back_and_stay_in_the_window(self, per_hour, n):
		clock = SendClock(
			datetime(2026, 5, 4, 17, 20, tzinfo=UTC), per_hour, time(8), time(18), "Europe/Berlin"
		)
		first, second = clock.at(n), clock.at(n + 1)
		assert second >= first
		local = first.astimezone(BERLIN).time()
		assert time(8) <= local < time(18)

	@pytest.mark.parametrize(
		"kwargs",
		[
			{"per_hour": -1},
			{"window_start": time(9)},
			{"window_start": time(9), "window_end": time(9)},
			{"window_start": time(9), "window_end": time(10), "time_zone": "Mars/Olympus"},
		],
	)
	def test_unusable_settings_are_refused(self, kwargs):
		with pytest.raises(SendScheduleError):
			SendClock(datetime(2026, 1, 1, tzinfo=UTC), **kwargs)

	def test_a_naive_start_is_refused(self):
		with pytest.raises(SendScheduleError):
			SendClock(datetime(2026, 1, 1))
