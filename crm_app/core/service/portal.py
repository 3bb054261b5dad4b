"""What customers type into the support portal: limits, plain text as safe HTML, and the spam check.

The spam check of the guest form is deliberately small, three tests a person never fails:
- a honeypot: a field hidden from people (off screen, not focusable) that only a form-filling bot fills;
- a minimum fill time: the form carries a signed stamp of when it was served, and a request sent less than
  MIN_FILL_SECONDS later (or with a missing, forged or day-old stamp) is refused;
- at most MAX_LINKS links in the text, the payload of most spam.
Flooding by people or bots that pass them is the rate limiter's job, in the shell.
"""

import hashlib
import hmac
import html
import re

from crm_app.core.errors import CoreError

SUBJECT_MAX_CHARS = 140  # the subject is a Data field
BODY_MAX_CHARS = 10_000
MIN_FILL_SECONDS = 3
MAX_FORM_AGE_SECONDS = 24 * 60 * 60
MAX_LINKS = 3
_LINK = re.compile(r"https?://|www\.|\[url", re.IGNORECASE)
_STAMP_PURPOSE = b"crm_app.cx_support.portal.form-stamp.v1"

HONEYPOT, TOO_FAST, BAD_STAMP, TOO_MANY_LINKS = "honeypot", "too_fast", "bad_stamp", "too_many_links"


class PortalError(CoreError):
	"""Base class of the portal's input errors."""


class EmptyText(PortalError):
	def __init__(self, field: str):
		super().__init__(f"{field} is empty")
		self.field = field


class TextTooLong(PortalError):
	def __init__(self, field: str, limit: int):
		super().__init__(f"{field} is longer than {limit} characters")
		self.field = field
		self.limit = limit


class LooksLikeSpam(PortalError):
	def __init__(self, reason: str):
		super().__init__(f"refused as spam ({reason})")
		self.reason = reason


def clean_text(value: str | None, field: str, limit: int) -> str:
	"""`value` stripped; raises EmptyText or TextTooLong."""
	text = (value or "").strip()
	if not text:
		raise EmptyText(field)
	if len(text) > limit:
		raise TextTooLong(field, limit)
	return text


def text_to_html(text: str) -> str:
	"""Plain text a customer typed, as HTML that shows exactly that text (escaped, lines kept)."""
	paragraphs = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
	return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs if p)


def _stamp_signature(key: bytes, issued_at: int) -> str:
	return hmac.new(key, _STAMP_PURPOSE + str(issued_at).encode(), hashlib.sha256).hexdigest()[:32]


def form_stamp(key: bytes, issued_at: float) -> str:
	"""The stamp a served form carries: when it was served, signed so that it cannot be backdated."""
	seconds = int(issued_at)
	return f"{seconds}.{_stamp_signature(key, seconds)}"


def stamp_age(key: bytes, stamp: str | None, now: float) -> float | None:
	"""Seconds since the form was served, or None for a missing or forged stamp."""
	seconds, _dot, signature = (stamp or "").partition(".")
	if not seconds.isdigit() or len(seconds) > 12:
		return None
	expected = _stamp_signature(key, int(seconds)).encode()
	if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
		return None
	return now - int(seconds)


def spam_reason(honeypot: str | None, age: float | None, *texts: str) -> str | None:
	"""Why a guest submission looks automated, or None when it passes."""
	if (honeypot or "").strip():
		return HONEYPOT
	if age is None or age > MAX_FORM_AGE_SECONDS or age < 0:
		return BAD_STAMP
	if age < MIN_FILL_SECONDS:
		return TOO_FAST
	if sum(len(_LINK.findall(text or "")) for text in texts) > MAX_LINKS:
		return TOO_MANY_LINKS
	return None


def check_not_spam(honeypot: str | None, age: float | None, *texts: str) -> None:
	reason = spam_reason(honeypot, age, *texts)
	if reason:
		raise LooksLikeSpam(reason)
