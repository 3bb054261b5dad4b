"""What lead capture accepts from the website and from email: UTM values, the spam check, a sender's name.

The spam check builds on the support portal's (crm_app/core/service/portal.py: honeypot, signed form stamp
with a minimum fill time, at most a few links) and adds what lead forms attract: links or markup in a name,
and known advertising patterns. Flooding by people or bots that pass it is the rate limiter's job (shell).
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping

from crm_app.core.service import portal as portal_rules

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")
UTM_MAX_CHARS = 100
# Source and medium are grouped on in reports: "Google" and "google" are one source.
LOWERCASED_UTM = frozenset({"utm_source", "utm_medium"})
# Letters and digits of any script, and the punctuation campaign taggers use; everything else goes.
_UTM_UNWANTED = re.compile(r"[^\w .\-+/:@%&()#,]", re.UNICODE)
_SLUG_UNWANTED = re.compile(r"[\W_]+", re.UNICODE)

NAME_MAX_CHARS = 140
TEXT_MAX_CHARS = 10_000
_LINK_OR_MARKUP = re.compile(r"https?://|www\.|<[a-z/!]|\[url|\.(com|net|ru|xyz|top|info)\b", re.IGNORECASE)
# Advertising that lead forms attract; deliberately short (each term costs a real lead now and then).
_KNOWN_BAD = re.compile(
	r"\b(viagra|cialis|casino|porn|escort|backlinks?|seo (?:services|ranking)|crypto ?(?:signals|investment)"
	r"|forex signals|payday loan|increase your (?:traffic|sales) by)\b",
	re.IGNORECASE,
)

HONEYPOT, TOO_FAST, BAD_STAMP, TOO_MANY_LINKS = (
	portal_rules.HONEYPOT,
	portal_rules.TOO_FAST,
	portal_rules.BAD_STAMP,
	portal_rules.TOO_MANY_LINKS,
)
LINK_IN_NAME, KNOWN_BAD = "link_in_name", "known_bad"

form_stamp = portal_rules.form_stamp
stamp_age = portal_rules.stamp_age


def normalise_utm(key: str, value: object) -> str | None:
	"""A UTM value as stored: text only, control characters and unusual punctuation dropped, spaces
	collapsed, at most UTM_MAX_CHARS; source and medium lowercased. None when nothing is left."""
	if not isinstance(value, str):
		return None
	text = unicodedata.normalize("NFKC", value)
	text = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
	text = " ".join(_UTM_UNWANTED.sub("", text).split())[:UTM_MAX_CHARS].strip()
	if key in LOWERCASED_UTM:
		text = text.lower()
	return text or None


def utm_values(data: Mapping) -> dict[str, str | None]:
	"""The four UTM values of a submission, normalised (missing ones None)."""
	return {key: normalise_utm(key, data.get(key)) for key in UTM_KEYS}


def slug(value: str | None) -> str:
	"""A name as campaign taggers write it: "Spring Sale 2026" and "spring-sale-2026" are one slug."""
	return _SLUG_UNWANTED.sub("-", unicodedata.normalize("NFKC", value or "").casefold()).strip("-")


def match_name(wanted: str | None, names: Iterable[str]) -> str | None:
	"""The first of `names` that `wanted` names, exactly, regardless of case, or by slug."""
	if not wanted:
		return None
	names = [name for name in names if name]
	for same in (
		lambda name: name == wanted,
		lambda name: name.casefold() == wanted.casefold(),
		lambda name: slug(name) == slug(wanted),
	):
		found = next((name for name in names if same(name)), None)
		if found:
			return found
	return None


def spam_reason(
	honeypot: str | None, age: float | None, names: Iterable[str], texts: Iterable[str]
) -> str | None:
	"""Why a guest's lead looks automated or like advertising, or None when it passes. `names` are short
	fields (a person's or company's name) where a link or markup never belongs; `texts` are all fields."""
	texts = [text for text in texts if isinstance(text, str)]
	reason = portal_rules.spam_reason(honeypot, age, *texts)
	if reason:
		return reason
	if any(isinstance(name, str) and _LINK_OR_MARKUP.search(name) for name in names):
		return LINK_IN_NAME
	if any(_KNOWN_BAD.search(text) for text in texts):
		return KNOWN_BAD
	return None


def split_display_name(display: str | None, email: str | None = None) -> tuple[str, str]:
	"""First and last name from an email's display name ("Olena Petrenko", "Petrenko, Olena"), else from
	the address's local part ("olena.petrenko@" -> Olena Petrenko). Either part may be empty."""
	name = " ".join((display or "").replace('"', " ").replace("'", " ").split())
	if name and "@" in name:
		name = ""  # the display name is the address itself
	if not name and email and "@" in email:
		local = email.split("@", 1)[0].split("+", 1)[0]
		name = " ".join(
			part.capitalize() for part in re.split(r"[._\-]+", local) if part and not part.isdigit()
		)
	if "," in name:
		last, _comma, first = name.partition(",")
		return first.strip()[:NAME_MAX_CHARS], last.strip()[:NAME_MAX_CHARS]
	first, _space, last = name.partition(" ")
	return first[:NAME_MAX_CHARS], last.strip()[:NAME_MAX_CHARS]
