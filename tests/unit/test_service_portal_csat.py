"""The support portal's input rules and spam check, and the CSAT link and rating rules (no site needed)."""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_app.core.service import csat, portal

KEY = csat.derive_key("site-secret")
REQUESTED = datetime(2026, 3, 4, 10, 20, 30, 123456)


# -- CSAT links ---------------------------------------------------------------------------------------


def test_a_link_token_matches_its_issue_and_request_only():
	token = csat.sign(KEY, "CX-ISS-2026-00001", REQUESTED)
	assert csat.token_matches(KEY, "CX-ISS-2026-00001", REQUESTED, token)
	assert not csat.token_matches(KEY, "CX-ISS-2026-00002", REQUESTED, token)
	assert not csat.token_matches(KEY, "CX-ISS-2026-00001", REQUESTED + timedelta(microseconds=1), token)
	assert not csat.token_matches(csat.derive_key("other-secret"), "CX-ISS-2026-00001", REQUESTED, token)


def test_a_link_without_a_request_or_with_junk_never_matches():
	token = csat.sign(KEY, "CX-ISS-1", REQUESTED)
	assert not csat.token_matches(KEY, "CX-ISS-1", None, token)
	for junk in ("", "ü" * 64, token[:-1], token + "0", None, 42):
		assert not csat.token_matches(KEY, "CX-ISS-1", REQUESTED, junk)


def test_the_key_is_derived_not_the_secret_itself():
	assert KEY != b"site-secret" and len(KEY) == 32


@given(st.text(min_size=1, max_size=40), st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
def test_a_guessed_token_does_not_match(issue, guess):
	if guess != csat.sign(KEY, issue, REQUESTED):
		assert not csat.token_matches(KEY, issue, REQUESTED, guess)


def test_a_rating_is_awaited_only_after_a_request_before_a_rating_while_finished():
	assert csat.waiting_problem(None, 0, "Resolved") == csat.NOT_REQUESTED
	assert csat.waiting_problem(REQUESTED, 4, "Resolved") == csat.ALREADY_RATED
	assert csat.waiting_problem(REQUESTED, 0, "Open") == csat.REOPENED
	assert csat.waiting_problem(REQUESTED, 0, "Resolved") is None
	assert csat.waiting_problem(REQUESTED, None, "Closed") is None
	with pytest.raises(csat.RatingNotAwaited) as refused:
		csat.check_awaiting(REQUESTED, 5, "Closed")
	assert refused.value.reason == csat.ALREADY_RATED


@pytest.mark.parametrize("rating", [0, 6, -1, True, 2.5, "3", None])
def test_ratings_outside_one_to_five_are_refused(rating):
	with pytest.raises(csat.RatingOutOfRange):
		csat.clean_rating(rating, "")


def test_comments_are_stripped_and_limited():
	assert csat.clean_rating(5, "  great  ") == (5, "great")
	assert csat.clean_rating(1, None) == (1, "")
	assert csat.clean_rating(3, "x" * csat.MAX_COMMENT_CHARS) == (3, "x" * csat.MAX_COMMENT_CHARS)
	with pytest.raises(csat.CommentTooLong):
		csat.clean_rating(3, "x" * (csat.MAX_COMMENT_CHARS + 1))


# -- portal input and spam ----------------------------------------------------------------------------


def test_text_is_required_and_limited():
	assert portal.clean_text("  Printer  ", "subject", 140) == "Printer"
	with pytest.raises(portal.EmptyText):
		portal.clean_text(" \n ", "subject", 140)
	with pytest.raises(portal.TextTooLong) as refused:
		portal.clean_text("x" * 141, "subject", 140)
	assert refused.value.limit == 140


def test_typed_text_shows_as_typed():
	html = portal.text_to_html("<script>alert(1)</script>\nline two\n\nnext & last")
	assert html == "<p>&lt;script&gt;alert(1)&lt;/script&gt;<br>line two</p><p>next &amp; last</p>"


def test_a_form_stamp_gives_its_age_and_cannot_be_forged():
	stamp = portal.form_stamp(KEY, 1_000_000)
	assert portal.stamp_age(KEY, stamp, 1_000_010) == 10
	backdated = f"999000.{stamp.split('.')[1]}"
	assert portal.stamp_age(KEY, backdated, 1_000_010) is None
	assert portal.stamp_age(csat.derive_key("other"), stamp, 1_000_010) is None
	for junk in (None, "", "abc", "1.2.3", "12345", ".", "1" * 40 + ".x"):
		assert portal.stamp_age(KEY, junk, 1_000_010) is None


def test_the_spam_check():
	assert portal.spam_reason("", 10, "Printer", "It is on fire") is None
	assert portal.spam_reason("http://spam", 10, "Printer") == portal.HONEYPOT
	assert portal.spam_reason("", None, "Printer") == portal.BAD_STAMP
	assert portal.spam_reason("", portal.MAX_FORM_AGE_SECONDS + 1, "Printer") == portal.BAD_STAMP
	assert portal.spam_reason("", -5, "Printer") == portal.BAD_STAMP
	assert portal.spam_reason("", portal.MIN_FILL_SECONDS - 1, "Printer") == portal.TOO_FAST
	links = " ".join(f"https://x{n}.example" for n in range(portal.MAX_LINKS))
	assert portal.spam_reason("", 10, "Links", links) is None
	assert portal.spam_reason("", 10, "www.buy.example", links) == portal.TOO_MANY_LINKS
	with pytest.raises(portal.LooksLikeSpam) as refused:
		portal.check_not_spam("bot", 10, "x")
	assert refused.value.reason == portal.HONEYPOT
