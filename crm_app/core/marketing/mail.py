"""Campaign email, the parts that need no site: a fast HTML-to-text, a MIME message built by hand (what a
send's mails share formatted once: `MailSkeleton` for the headers, `MailLayout` for the document around
each member's body) and the clock that spreads a throttled send over a daily window.

Python's `email` package takes milliseconds a message (and Frappe's html2text as long again): a hundred
thousand members would take minutes. The message built here has the shape Frappe's `get_email` gives
(multipart/mixed > multipart/alternative > text/plain + text/html, quoted-printable UTF-8, CRLF), which
Frappe's Email Queue parses and sends as its own.
"""

import binascii
import html
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from email.header import Header
from email.utils import formatdate
from time import time as epoch_seconds
from zoneinfo import ZoneInfo

from crm_app.core.errors import CoreError, _lt


class SendScheduleError(CoreError):
	"""A send window or throttle that cannot be used."""


# -- text --------------------------------------------------------------------------------------------

_DROP = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.I | re.S)
_LINK = re.compile(r"""<a\b[^>]*?href\s*=\s*["']([^"']*)["'][^>]*>(.*?)</a\s*>""", re.I | re.S)
_BREAK = re.compile(r"<br\s*/?>", re.I)
_BLOCK = re.compile(r"</?(p|div|tr|table|h[1-6]|ul|ol|blockquote|section)\b[^>]*>", re.I)
_ITEM = re.compile(r"<li\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def html_to_text(markup: str) -> str:
	"""A plain-text alternative of an email's HTML: paragraphs and line breaks kept, links as
	"text (url)", tags dropped, entities decoded."""
	text = _DROP.sub("", markup or "")
	text = _LINK.sub(_link_text, text)
	text = _ITEM.sub("\n- ", text)
	text = _BREAK.sub("\n", text)
	text = _BLOCK.sub("\n\n", text)
	text = html.unescape(_TAG.sub("", text))
	lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
	return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip() + "\n"


def _link_text(match: re.Match) -> str:
	url, label = match.group(1).strip(), _TAG.sub("", match.group(2)).strip()
	if not url or url.startswith(("#", "mailto:")) or url == label:
		return label or url
	return f"{label} ({url})" if label else url


# -- the message -------------------------------------------------------------------------------------


def header_value(value: str) -> str:
	"""One header line: CR and LF removed (no header injection), non-ASCII encoded (RFC 2047)."""
	value = " ".join(str(value or "").split())
	if value.isascii():
		return value
	return Header(value, "utf-8").encode()


def address(display_name: str, email: str) -> str:
	"""`Name <email>`, the name quoted or encoded as needed."""
	email = header_value(email)
	name = " ".join(str(display_name or "").split()).replace("\\", "").replace('"', "")
	if not name:
		return email
	return f'"{name}" <{email}>' if name.isascii() else f"{Header(name, 'utf-8').encode()} <{email}>"


def quoted_printable(text: str) -> str:
	text = text.replace("\r\n", "\n").replace("\r", "\n")
	encoded = binascii.b2a_qp(text.encode("utf-8"), istext=True, header=False).decode("ascii")
	return encoded.replace("\n", "\r\n")


def build_message(
	*,
	sender: str,
	recipient: str,
	subject: str,
	html_body: str,
	text_body: str,
	message_id: str,
	boundary: str,
	reply_to: str | None = None,
	extra_headers: dict[str, str] | None = None,
	when: float | None = None,
) -> str:
	"""An RFC 5322 message with a text and an HTML alternative. `sender`, `recipient` and `reply_to` are
	formatted addresses; `message_id` is without angle brackets; `boundary` is unique to the message."""
	return MailSkeleton(sender=sender, reply_to=reply_to).build(
		recipient=recipient,
		subject=subject,
		html_body=html_body,
		text_body=text_body,
		message_id=message_id,
		boundary=boundary,
		headers=extra_headers,
		when=when,
	)


class MailSkeleton:
	"""What the mails of one send share, formatted once: sender, reply-to, the headers with one value for
	all (`headers`), the date of the current second. `build` fills in one member's parts."""

	def __init__(self, *, sender: str, reply_to: str | None = None, headers: dict[str, str] | None = None):
		self.sender = header_value(sender)
		self.reply_to = header_value(reply_to or sender)
		self.fixed = _header_lines(headers)
		self._date: tuple[int | None, str] = (None, "")

	def date(self, when: float | None = None) -> str:
		"""The Date header's value (formatdate takes 5 us; the mails of one second share it)."""
		second = int(epoch_seconds() if when is None else when)
		if self._date[0] != second:
			self._date = (second, formatdate(second, localtime=True))
		return self._date[1]

	def build(
		self,
		*,
		recipient: str,
		subject: str,
		html_body: str,
		text_body: str,
		message_id: str,
		boundary: str,
		headers: dict[str, str] | None = None,
		when: float | None = None,
	) -> str:
		"""One mail: `recipient` a formatted address, `message_id` without angle brackets, `boundary` unique
		to the mail, `headers` this mail's own (List-Unsubscribe)."""
		outer, inner = f"==={boundary}==", f"===alt{boundary}=="
		own = {"Subject": subject, "From": self.sender, "To": recipient}
		return "\r\n".join(
			[
				f'Content-Type: multipart/mixed; boundary="{outer}"',
				"MIME-Version: 1.0",
				_header_lines(own)
				+ f"Date: {self.date(when)}\r\nReply-To: {self.reply_to}\r\n"
				+ f"Message-Id: <{header_value(message_id)}>\r\n"
				+ _header_lines(headers)
				+ self.fixed,
				f"--{outer}",
				f'Content-Type: multipart/alternative; boundary="{inner}"',
				"MIME-Version: 1.0",
				"",
				f"--{inner}",
				*_part("plain", text_body),
				f"--{inner}",
				*_part("html", html_body),
				f"--{inner}--",
				"",
				f"--{outer}--",
				"",
			]
		)


def _header_lines(headers: dict[str, str] | None) -> str:
	"""`Name: value` lines, each ending in CRLF; a header without a value is left out."""
	lines = ((key, header_value(value)) for key, value in (headers or {}).items())
	return "".join(f"{key}: {value}\r\n" for key, value in lines if value)


UNSUBSCRIBE_URL = "<!--unsubscribe_url-->"  # Frappe's placeholder for a recipient's unsubscribe link
_TEXT_URL = "https://unsubscribe.invalid/"  # stands for the link while the footer is turned into text
_BARE_HEAD = (
	'<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
	'<meta name="viewport" content="width=device-width"></head><body>'
)
_HTML_COMMENT = re.compile(r"<!--\s.*?\s-->", re.S)  # Frappe's footer notes ("<!-- sender_address -->")


class MailLayout:
	"""The HTML document around each member's body, and its plain-text twin, built once per send.

	`footer` is the HTML after the body (an account's footer, an address, the unsubscribe line) with
	UNSUBSCRIBE_URL where each member's own unsubscribe link goes."""

	def __init__(self, footer: str, head: str = _BARE_HEAD, tail: str = "</body></html>"):
		footer = _HTML_COMMENT.sub("", footer)
		self.head, self.tail = head, footer + tail
		text = html_to_text(footer.replace(UNSUBSCRIBE_URL, _TEXT_URL))
		self.text_tail = "\n" + text.replace(_TEXT_URL, UNSUBSCRIBE_URL) if text.strip() else ""

	def parts(self, body: str, unsubscribe_url: str) -> tuple[str, str]:
		"""(HTML, plain text) of one member's mail around their rendered `body`."""
		return (
			self.head + body + self.tail.replace(UNSUBSCRIBE_URL, html.escape(unsubscribe_url, quote=True)),
			html_to_text(body) + self.text_tail.replace(UNSUBSCRIBE_URL, unsubscribe_url),
		)


def _part(subtype: str, body: str) -> list[str]:
	return [
		f'Content-Type: text/{subtype}; charset="utf-8"',
		"MIME-Version: 1.0",
		"Content-Transfer-Encoding: quoted-printable",
		"",
		quoted_printable(body),
	]


# -- when each email goes ------------------------------------------------------------------------------


@dataclass
class SendClock:
	"""When the n-th email of a send goes out: `per_hour` emails an hour (evenly spaced; 0 = no
	limit, all at once), only inside the daily window `window_start`-`window_end` of `time_zone`
	(none: any time; an end before the start spans midnight). `start` is timezone-aware."""

	start: datetime
	per_hour: int = 0
	window_start: time | None = None
	window_end: time | None = None
	time_zone: str = "UTC"
	# (window opens, window closes, seconds of window before it), found as far as asked
	_windows: list[tuple[datetime, datetime, float]] = field(default_factory=list, repr=False)
	_offsets: list[float] = field(default_factory=list, repr=False)
	_next_day: date | None = field(default=None, repr=False)

	def __post_init__(self):
		if self.start.tzinfo is None:
			raise SendScheduleError(_lt("The start of a send needs a time zone."))
		if self.per_hour < 0:
			raise SendScheduleError(_lt("The throttle cannot be negative."))
		if (self.window_start is None) != (self.window_end is None):
			raise SendScheduleError(_lt("A send window needs both a start and an end time."))
		if self.window_start is not None and self.window_start == self.window_end:
			raise SendScheduleError(_lt("A send window cannot start and end at the same time."))
		try:
			self.zone = ZoneInfo(self.time_zone or "UTC")
		except (KeyError, ValueError) as error:
			raise SendScheduleError(_lt("Unknown time zone: {0}"), self.time_zone) from error

	def at(self, n: int) -> datetime:
		"""The time of the n-th email (from 0), in the start's time zone."""
		elapsed = n * 3600 / self.per_hour if self.per_hour else 0.0
		if self.window_start is None:
			return self.start + timedelta(seconds=elapsed)
		while not self._windows or self._offsets[-1] + self._length(-1) <= elapsed:
			self._add_window()
		index = bisect_right(self._offsets, elapsed) - 1
		opens, _closes, before = self._windows[index]
		return (opens + timedelta(seconds=elapsed - before)).astimezone(self.start.tzinfo)

	def _length(self, index: int) -> float:
		opens, closes, _before = self._windows[index]
		return (closes - opens).total_seconds()

	def _add_window(self) -> None:
		# a window spanning midnight may have opened the day before the start
		day = self._next_day or self.start.astimezone(self.zone).date() - timedelta(days=1)
		while True:
			opens, closes = self._window_of(day)
			day += timedelta(days=1)
			self._next_day = day
			if closes <= self.start:
				continue
			opens = max(opens, self.start)
			before = self._offsets[-1] + self._length(-1) if self._windows else 0.0
			self._windows.append((opens, closes, before))
			self._offsets.append(before)
			return

	def _window_of(self, day: date) -> tuple[datetime, datetime]:
		opens = datetime.combine(day, self.window_start, self.zone)
		end_day = day if self.window_end > self.window_start else day + timedelta(days=1)
		closes = datetime.combine(end_day, self.window_end, self.zone)
		return opens.astimezone(ZoneInfo("UTC")), closes.astimezone(ZoneInfo("UTC"))
