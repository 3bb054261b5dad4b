"""The Message-IDs a delivery failure report refers to (plain Python, no frappe).

Anyone can write from "mailer-daemon@": a bounce counts only for a mail we sent, named by its
Message-ID. A report carries that ID in its In-Reply-To or References header, in the returned message
or its headers (message/rfc822, text/rfc822-headers parts), or as text in its body.
"""

import re
from email.message import Message
from email.parser import HeaderParser

# A generous cap: a report names one or a few messages; a forged one with thousands buys nothing.
MAX_IDS = 100
_BRACKETED = re.compile(r"<([^<>\s@]{1,200}@[^<>\s@]{1,200})>")
_HEADER_LINE = re.compile(
	r"^\s*(?:message-id|in-reply-to|references)\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE
)
_BARE = re.compile(r"[^<>\s@,;]{1,200}@[^<>\s@,;]{1,200}")
_ID_HEADERS = ("In-Reply-To", "References")
_HEADER_PARTS = ("text/rfc822-headers", "message/rfc822-headers")


def message_ids_in_text(text: str | None) -> list[str]:
	"""IDs written in a report's body: in angle brackets, or after a Message-ID/In-Reply-To/References
	label ("Message-ID: abc@example.com"). In order of appearance, without repeats."""
	text = text or ""
	found = _BRACKETED.findall(text)
	for value in _HEADER_LINE.findall(text):
		found.extend(_BARE.findall(value.strip()))
	return _unique(found)


def message_ids_of_mail(mail: Message) -> list[str]:
	"""IDs a received mail refers to: its In-Reply-To and References headers, and the Message-ID of
	every message it returns (attached whole or as headers only)."""
	found: list[str] = []
	for header in _ID_HEADERS:
		found.extend(message_ids_in_text(str(mail.get(header) or "")))
	for part in mail.walk():
		if part is mail:
			continue
		if part.get("Message-ID"):
			found.extend(message_ids_in_text(str(part.get("Message-ID"))))
		if part.get_content_type() in _HEADER_PARTS:
			payload = part.get_payload(decode=True) or b""
			headers = HeaderParser().parsestr(payload.decode("utf-8", "replace"))
			found.extend(message_ids_in_text(str(headers.get("Message-ID") or "")))
	return _unique(found)


def _unique(ids: list[str]) -> list[str]:
	return list(dict.fromkeys(i.strip() for i in ids if i.strip()))[:MAX_IDS]
