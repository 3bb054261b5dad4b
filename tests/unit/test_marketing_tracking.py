"""Opens and clicks of campaign email, the site-free part (crm_app/core/marketing/tracking.py): which links
are tracked, the rewriting of a member's HTML, and the signatures."""

import re
from html import unescape
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_app.core.marketing import tracking

KEY = tracking.signer("site-secret")
OPEN = "https://crm.example/api/method/crm_app.cx_marketing.tracking.open_pixel"
CLICK = "https://crm.example/api/method/crm_app.cx_marketing.tracking.click"
MESSAGE_ID = "171.22.33@crm.example"
TEMPLATE = """<p>Hello {{ first_name }}</p>
<a href="https://shop.example/spring?a=1&amp;b=2">Spring</a>
<A class="btn" HREF='https://shop.example/spring?a=1&amp;b=2'>Again</A>
<a href="http://blog.example/post">Blog</a>
<a href="mailto:news@example.com">Write</a>
<a href="tel:+380441234567">Call</a>
<a href="#top">Top</a>
<a href="/relative">Relative</a>
<a href="{{ unsubscribe_url }}">Unsubscribe</a>
<a href="https://shop.example/r?ref={{ name }}">Personal</a>
<a href="https://crm.example/api/method/frappe.email.queue.unsubscribe?x=1">Unsubscribe too</a>
<link href="https://fonts.example/css">"""


def tracker(links: dict[str, int]) -> tracking.LinkTracker:
	return tracking.LinkTracker(
		campaign_email="CXCE-00001", links=links, open_url=OPEN, click_url=CLICK, key=KEY
	)


def hrefs(markup: str) -> list[str]:
	return [
		unescape(m.group(2)) for m in re.finditer(r"""<a\s[^>]*?href\s*=\s*(["'])(.*?)\1""", markup, re.I)
	]


def test_only_literal_web_links_of_anchors_are_tracked():
	found = tracking.static_links([TEMPLATE], skip=("frappe.email.queue.unsubscribe",))
	assert found == {
		'href="https://shop.example/spring?a=1&amp;b=2"': "https://shop.example/spring?a=1&amp;b=2",
		"HREF='https://shop.example/spring?a=1&amp;b=2'": "https://shop.example/spring?a=1&amp;b=2",
		'href="http://blog.example/post"': "http://blog.example/post",
	}


def test_links_keep_their_index_across_steps_and_sends():
	links, by_raw = tracking.merge_links([], ["https://a.example/", "https://b.example/?x=1&amp;y=2"])
	assert links == ["https://a.example/", "https://b.example/?x=1&y=2"]
	assert by_raw == {"https://a.example/": 0, "https://b.example/?x=1&amp;y=2": 1}
	# a later step (or an edited template) adds links after the old ones; the same URL written otherwise
	# gets the same index
	links, by_raw = tracking.merge_links(links, ["https://c.example/", "https://b.example/?x=1&y=2"])
	assert links == ["https://a.example/", "https://b.example/?x=1&y=2", "https://c.example/"]
	assert by_raw == {"https://c.example/": 2, "https://b.example/?x=1&y=2": 1}


def test_a_rendered_mail_gets_click_links_and_one_pixel():
	attributes = tracking.static_links([TEMPLATE], skip=("frappe.email.queue.unsubscribe",))
	_links, by_raw = tracking.merge_links([], attributes.values())
	links = {attribute: by_raw[raw] for attribute, raw in attributes.items()}
	rendered = (
		"<html><body>"
		+ TEMPLATE.replace("{{ first_name }}", "Olena")
		.replace("{{ unsubscribe_url }}", "https://crm.example/unsub?e=1")
		.replace("{{ name }}", "LEAD-1")
		+ "</body></html>"
	)
	out = tracker(links).apply(rendered, MESSAGE_ID)
	targets = hrefs(out)
	clicks = [urlparse(h) for h in targets if h.startswith(CLICK)]
	assert len(clicks) == 3  # the spring link twice, the blog once
	assert [parse_qs(c.query)["l"] for c in clicks] == [["0"], ["0"], ["1"]]
	for c in clicks:
		query = {k: v[0] for k, v in parse_qs(c.query).items()}
		assert query["c"] == "CXCE-00001" and query["m"] == MESSAGE_ID
		tracking.verify(KEY, query["s"], "CXCE-00001", MESSAGE_ID, int(query["l"]))
	# untouched: mailto, tel, anchors, relative, the unsubscribe link, a personalised link
	for kept in (
		"mailto:news@example.com",
		"tel:+380441234567",
		"#top",
		"/relative",
		"https://crm.example/unsub?e=1",
		"https://shop.example/r?ref=LEAD-1",
	):
		assert kept in targets
	assert out.count("open_pixel?") == 1
	assert out.index("open_pixel?") < out.index("</body></html>")
	assert 'class="btn" HREF=\'' in out  # the tag's own spelling and quotes are kept


def test_the_pixel_goes_at_the_end_without_a_body_tag_and_a_mail_without_links_is_unchanged_otherwise():
	out = tracker({}).apply("<p>No links</p>", MESSAGE_ID)
	assert out.startswith("<p>No links</p><img ") and out.endswith(">")
	src = unescape(re.search(r'src="([^"]+)"', out).group(1))
	query = {k: v[0] for k, v in parse_qs(urlparse(src).query).items()}
	tracking.verify(KEY, query["s"], "CXCE-00001", MESSAGE_ID)


def test_a_changed_signature_message_campaign_or_link_is_refused():
	good = tracking.sign(KEY, "CXCE-00001", MESSAGE_ID, 2)
	tracking.verify(KEY, good, "CXCE-00001", MESSAGE_ID, 2)
	for args in (
		(good[:-1] + ("0" if good[-1] != "0" else "1"), "CXCE-00001", MESSAGE_ID, 2),
		(good, "CXCE-00002", MESSAGE_ID, 2),
		(good, "CXCE-00001", "other@crm.example", 2),
		(good, "CXCE-00001", MESSAGE_ID, 3),
		(good, "CXCE-00001", MESSAGE_ID, None),  # a click signature is not an open signature
		(None, "CXCE-00001", MESSAGE_ID, 2),
	):
		with pytest.raises(tracking.TrackingError):
			tracking.verify(KEY, *args)
	with pytest.raises(tracking.TrackingError):
		tracking.verify(tracking.signer("another-site"), good, "CXCE-00001", MESSAGE_ID, 2)


def test_link_index_is_checked_against_the_list():
	links = ["https://a.example/", "https://b.example/"]
	assert tracking.link_index("1", links) == 1
	for bad in ("2", "-1", "x", None, "1.5"):
		with pytest.raises(tracking.TrackingError):
			tracking.link_index(bad, links)


def test_a_message_id_is_quoted_as_urllib_would():
	from urllib.parse import quote

	for message_id in (MESSAGE_ID, "a+b.c@x-y.example", "odd id&x=<y>@example", "ünï@example"):
		assert tracking.quoted_message_id(message_id) == quote(message_id, safe="")


@given(st.text(max_size=300))
def test_rewriting_never_loses_text_outside_tracked_links(markup):
	attribute = 'href="https://a.example/"'
	out = tracker({attribute: 0}).apply(markup, MESSAGE_ID)
	pixel = tracker({}).open_pixel(MESSAGE_ID)
	if attribute not in markup:
		assert out.replace(pixel, "", 1) == markup
	else:
		assert attribute not in out
