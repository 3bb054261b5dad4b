"""Satisfaction ratings of resolved issues: the signed single-use link and what a rating may be.

A rating link carries a token: HMAC-SHA256, under a key derived from the site's secret, of the issue
name and the moment the rating was asked for. The request time is part of the message, so a later
request (the issue resolved again) makes every older link worthless, and nothing besides the request
time the issue already keeps has to be stored. A link works once: the issue's rating, once set, refuses
it.
"""

import hashlib
import hmac
from datetime import datetime

from crm_app.core.errors import CoreError, _lt

RATING_MIN, RATING_MAX = 1, 5
MAX_COMMENT_CHARS = 2000
# Statuses in which a requested rating may still be given; a reopened issue waits for its next resolution.
RATEABLE_STATUSES = frozenset({"Resolved", "Closed"})
# Keys for other uses of the same site secret can never produce these tokens.
_KEY_PURPOSE = b"crm_app.cx_support.csat.rating-link.v1"

NOT_REQUESTED, ALREADY_RATED, REOPENED = "not_requested", "already_rated", "reopened"


class CSATError(CoreError):
	"""Base class of the rating errors."""


class InvalidRatingLink(CSATError):
	"""The token does not match the issue and its current request (tampered, or superseded)."""


class RatingNotAwaited(CSATError):
	def __init__(self, reason: str):
		super().__init__(f"the issue is not awaiting a rating ({reason})")
		self.reason = reason


class RatingOutOfRange(CSATError):
	pass


class CommentTooLong(CSATError):
	pass


def derive_key(secret: str) -> bytes:
	"""The signing key of rating links, derived from the site's secret (never the secret itself)."""
	return hmac.new(secret.encode(), _KEY_PURPOSE, hashlib.sha256).digest()


def canonical_time(moment: datetime) -> str:
	"""One spelling of the request time, whatever type the database returned it as."""
	return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def sign(key: bytes, issue: str, requested_on: datetime) -> str:
	message = f"{issue}\n{canonical_time(requested_on)}".encode()
	return hmac.new(key, message, hashlib.sha256).hexdigest()


def token_matches(key: bytes, issue: str, requested_on: datetime | None, token: str) -> bool:
	"""Whether `token` is the link token of `issue`'s current request, compared in constant time."""
	if requested_on is None or not isinstance(token, str) or not isinstance(issue, str):
		return False
	expected = sign(key, issue, requested_on).encode()
	return hmac.compare_digest(expected, token.strip().encode("utf-8", "replace"))


def waiting_problem(requested_on: datetime | None, rating: int | None, status: str | None) -> str | None:
	"""Why the issue does not take a rating now, or None when it does."""
	if requested_on is None:
		return NOT_REQUESTED
	if rating:
		return ALREADY_RATED
	if status not in RATEABLE_STATUSES:
		return REOPENED
	return None


def check_awaiting(requested_on: datetime | None, rating: int | None, status: str | None) -> None:
	problem = waiting_problem(requested_on, rating, status)
	if problem:
		raise RatingNotAwaited(problem)


def clean_rating(rating: int, comment: str | None) -> tuple[int, str]:
	"""The rating and the comment as stored; raises RatingOutOfRange or CommentTooLong."""
	if isinstance(rating, bool) or not isinstance(rating, int) or not RATING_MIN <= rating <= RATING_MAX:
		raise RatingOutOfRange(_lt("Please choose a rating from {0} to {1}."), RATING_MIN, RATING_MAX)
	comment = (comment or "").strip()
	if len(comment) > MAX_COMMENT_CHARS:
		raise CommentTooLong(_lt("Your comment is too long: at most {0} characters."), MAX_COMMENT_CHARS)
	return rating, comment
