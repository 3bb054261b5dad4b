"""Opens and clicks of campaign email, the parts that need no site: which links of a template are tracked,
the signed tracking URLs, and the rewriting of one member's rendered HTML.

Only links written literally in a template are tracked (an `href` that Jinja fills in, such as
`{{ unsubscribe_url }}` or a personalised link, is left as it is): their list is known before the send,
so a click URL carries a link *index* into that stored list, never a URL, and the redirect can only go
where the template pointed. Each tracking URL is signed (keyed BLAKE2b, a key derived from the site's
secret) over what it names; a changed campaign email, message, link index or signature is refused.

Rewriting runs once per member while 100,000 are queued: the link map is computed once per send, and a
member costs a string scan and one keyed hash per tracked link it contains, and one for the pixel.
"""

import hashlib
import hmac
import html
import re
from collections.abc import Iterable
from urllib.parse import quote

from crm_app.core.errors import CoreError, _lt

# Transparent 1x1 GIF (43 bytes), the open pixel.
PIXEL_GIF = (
	b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
	b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
SIGNATURE_BYTES = 16  # 128 bits, 32 hex digits: the message is stored once per member
PURPOSE = b"cx-tracking"  # a tracking key is never the site secret itself, nor another signer's key

# the href attribute of an <a> tag, as written: group 2 is `href="..."`, group 4 the URL
_ANCHOR_HREF = re.compile(r"""(<a\s[^>]*?)(\bhref\s*=\s*(["'])(.*?)\3)""", re.IGNORECASE | re.DOTALL)
_TEMPLATE_SYNTAX = ("{{", "{%", "{#")
_PLAIN_MESSAGE_ID = re.compile(r"[\w.+-]+@[\w.-]+", re.ASCII)


class TrackingError(CoreError):
	"""A tracking link that is not one this site issued: changed signature, message or link index."""


def static_links(sources: Iterable[str], skip: Iterable[str] = ()) -> dict[str, str]:
	"""The href attributes of `<a>` tags written literally in the templates: the attribute exactly as
	written (`href="https://..."`) -> its URL as written (HTML-escaped), first appearance first. Only
	absolute http(s) links; no Jinja-filled link, anchor, mailto:, tel: or link containing one of `skip`
	(the unsubscribe and tracking methods)."""
	skip = tuple(skip)
	found: dict[str, str] = {}
	for source in sources:
		for match in _ANCHOR_HREF.finditer(source or ""):
			raw = match.group(4)
			if trackable(raw, skip):
				found.setdefault(match.group(2), raw)
	return found


def trackable(raw_href: str, skip: tuple[str, ...] = ()) -> bool:
	href = raw_href.strip()
	if any(marker in href for marker in _TEMPLATE_SYNTAX):
		return False
	if not href.lower().startswith(("http://", "https://")):
		return False  # mailto:, tel:, #anchor, javascript:, relative links
	return not any(part in href for part in skip)


def target_url(raw_href: str) -> str:
	"""The URL a browser follows for an `href` as written in HTML (entities decoded)."""
	return html.unescape(raw_href.strip())


def merge_links(stored: list[str], raw_hrefs: Iterable[str]) -> tuple[list[str], dict[str, int]]:
	"""The stored list of link targets with the new ones appended (an index, once given, always names the
	same URL: mails already sent carry it), and each raw href's index."""
	links = list(stored)
	index = {url: i for i, url in enumerate(links)}
	by_raw = {}
	for raw in raw_hrefs:
		url = target_url(raw)
		if url not in index:
			index[url] = len(links)
			links.append(url)
		by_raw[raw] = index[url]
	return links, by_raw


def signer(secret: str | bytes) -> bytes:
	"""The signing key, derived from the site's secret for this purpose only."""
	secret = secret.encode() if isinstance(secret, str) else secret
	return hashlib.blake2b(secret, digest_size=32, person=PURPOSE).digest()


def sign(key: bytes, campaign_email: str, message_id: str, link: int | None = None) -> str:
	"""The signature of a tracking URL, over the campaign email, the message id and, for a click, the link
	index (None: the open pixel). Keyed BLAKE2b is a MAC by design (RFC 7693), at half HMAC-SHA256's
	cost; it runs once per tracked link of each of 100,000 mails."""
	message = f"{campaign_email}\n{message_id}\n{'' if link is None else link}".encode()
	return hashlib.blake2b(message, key=key, digest_size=SIGNATURE_BYTES).hexdigest()


def verify(key: bytes, signature: str, campaign_email: str, message_id: str, link: int | None = None) -> None:
	"""Raise TrackingError unless `signature` is this site's for these values."""
	expected = sign(key, campaign_email, message_id, link)
	if not isinstance(signature, str) or not hmac.compare_digest(expected, signature):
		raise TrackingError(
			_lt("This tracking link is not valid: it was changed or not issued by this site.")
		)


def link_index(value: str | int | None, links: list[str]) -> int:
	"""A click's link index, checked against the campaign email's stored links."""
	try:
		index = int(value)  # type: ignore[arg-type]
	except (TypeError, ValueError):
		raise TrackingError(_lt("This tracking link names no link.")) from None
	if not 0 <= index < len(links):
		raise TrackingError(_lt("This tracking link names no link of its campaign email."))
	return index


def quoted_message_id(message_id: str) -> str:
	if _PLAIN_MESSAGE_ID.fullmatch(message_id):
		return message_id.replace("@", "%40").replace("+", "%2B")  # urllib's quote is 10 times slower
	return quote(message_id, safe="")


class LinkTracker:
	"""Rewrites a member's rendered HTML: each tracked link through the click URL, a pixel at the end.

	`links`: an href attribute exactly as written in the templates (from `static_links`) -> its link
	index; `open_url` and `click_url`: the absolute URLs of the two endpoints; `key`: from `signer`.
	Literal template text comes out of Jinja unchanged, so each tracked attribute is found by a plain
	string replace, a C-speed scan, rather than by parsing each member's HTML."""

	def __init__(
		self, *, campaign_email: str, links: dict[str, int], open_url: str, click_url: str, key: bytes
	):
		self.campaign_email = campaign_email
		self.key = key
		self.links = links
		# (attribute as written, its text up to the URL, closing quote, index)
		self._attributes = [
			(attribute, attribute[: attribute.index(attribute[-1]) + 1], attribute[-1], index)
			for attribute, index in links.items()
		]
		campaign = quote(campaign_email, safe="")
		self._open_prefix = f"{open_url}?c={campaign}&amp;m="
		self._click_prefix = f"{click_url}?c={campaign}&amp;m="

	def open_pixel(self, message_id: str, quoted_id: str | None = None) -> str:
		signature = sign(self.key, self.campaign_email, message_id)
		src = f"{self._open_prefix}{quoted_id or quoted_message_id(message_id)}&amp;s={signature}"
		return (
			f'<img src="{src}" width="1" height="1" alt="" '
			'style="display:block;width:1px;height:1px;border:0;margin:0;padding:0">'
		)

	def apply(self, markup: str, message_id: str) -> str:
		"""`markup` with its tracked links rewritten and the open pixel before `</body>` (or at the end)."""
		quoted_id = quoted_message_id(message_id)
		click = f"{self._click_prefix}{quoted_id}&amp;l="
		for attribute, opening, closing, index in self._attributes:
			if attribute in markup:  # a drip's other steps' links are in the map too: sign only what is used
				signature = sign(self.key, self.campaign_email, message_id, index)
				markup = markup.replace(attribute, f"{opening}{click}{index}&amp;s={signature}{closing}")
		pixel = self.open_pixel(message_id, quoted_id)
		# the layout ends with </body></html>: look only near the end
		tail_start = max(0, len(markup) - 400)
		end = markup[tail_start:].lower().rfind("</body")
		if end < 0:
			return markup + pixel
		end += tail_start
		return markup[:end] + pixel + markup[end:]
