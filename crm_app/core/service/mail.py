"""Which issue an incoming email belongs to, once the mail system has proposed one.

Frappe's inbound mail proposes an issue from the In-Reply-To header, the `(#name)` reference in the
subject, or a subject-and-sender match. A proposal is only a claim made by whoever wrote the email: a
stranger can put another customer's issue reference into a subject. So the proposal is accepted only from
someone who belongs to the issue, and a late answer to a finished issue starts a new one.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

APPEND = "append"  # a reply on the proposed issue
REOPEN = "reopen"  # a reply on a resolved or closed issue, soon enough to reopen it
FOLLOW_UP = "follow_up"  # a reply long after the issue was finished: a new issue that refers to it
NEW_ISSUE = "new_issue"  # the sender does not belong to the proposed issue: a new issue of their own

FINISHED_STATUSES = frozenset({"Resolved", "Closed"})
_REFERENCE = re.compile(r"\(#([^\s()]+)\)")


@dataclass(frozen=True)
class Proposal:
	sender: str
	sender_is_staff: bool  # an agent answering from their own mail client
	issue_status: str
	finished_on: datetime | None  # when the issue was resolved or closed
	issue_senders: frozenset[str]  # who belongs to the issue: its raiser and its customer's contacts
	now: datetime
	new_issue_after_days: int


def normalised_email(address: str | None) -> str:
	return (address or "").strip().lower()


def decide(proposal: Proposal) -> str:
	"""What to do with an email proposed for an existing issue."""
	sender = normalised_email(proposal.sender)
	if proposal.sender_is_staff:
		return APPEND
	if sender not in {normalised_email(address) for address in proposal.issue_senders}:
		return NEW_ISSUE
	if proposal.issue_status not in FINISHED_STATUSES:
		return APPEND
	finished_on = proposal.finished_on or proposal.now
	if proposal.now - finished_on > timedelta(days=max(proposal.new_issue_after_days, 0)):
		return FOLLOW_UP
	return REOPEN


def subject_reference(subject: str | None) -> str | None:
	"""The issue named in a subject as `(#CX-ISS-2026-00042)`, the form replies are sent with."""
	found = _REFERENCE.findall(subject or "")
	return found[-1] if found else None


def with_reference(subject: str | None, name: str) -> str:
	"""The subject an outgoing reply carries, so the answer finds its issue even without headers."""
	subject = (subject or "").strip()
	return subject if subject_reference(subject) == name else f"{subject} (#{name})".strip()


def cut_body(content: str, limit_chars: int, note: str) -> tuple[str, bool]:
	"""The body as kept on the issue: at most `limit_chars` characters, with `note` when cut."""
	if limit_chars <= 0 or len(content) <= limit_chars:
		return content, False
	return content[:limit_chars] + note, True


_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")


def referenced_message_ids(references: str | None) -> list[str]:
	"""Message-IDs of a References header, newest first (the order replies are most likely to match)."""
	return list(reversed(_MESSAGE_ID.findall(references or "")))
