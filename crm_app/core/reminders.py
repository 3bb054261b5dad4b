"""Reminders for follow-ups and stale work, decided on plain rows.

Each reminder has a key built from what it is about (kind, record, user and the date that made it due),
so a job that runs twice, or daily, never sends the same reminder again, yet a follow-up moved to a new
date, or a lead that goes quiet again after a contact, is reminded afresh.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

FOLLOW_UP_DUE = "Follow-up Due"
FOLLOW_UP_OVERDUE = "Follow-up Overdue"
PAST_CLOSE_DATE = "Past Close Date"
STALE_LEAD = "Stale Lead"
STALE_OPPORTUNITY = "Stale Opportunity"


@dataclass(frozen=True)
class Reminder:
	kind: str
	doctype: str
	name: str
	title: str
	user: str
	due_on: date

	@property
	def key(self) -> str:
		"""A digest of what the reminder is about: it fits the log's 140 characters whatever the names.
		MariaDB computes the same with SHA2(CONCAT_WS('|', ...), 256) (patch v0_3)."""
		about = f"{self.kind}|{self.doctype}|{self.name}|{self.user}|{self.due_on.isoformat()}"
		return hashlib.sha256(about.encode()).hexdigest()


def follow_ups(
	rows: Iterable[tuple[str, str, str, str, date]], today: date, per_user: int = 0
) -> list[Reminder]:
	"""Rows of (doctype, name, title, user, next_follow_up): due today, or overdue; the most urgent
	(oldest) first, at most `per_user` for each user (0: no cap)."""
	candidates = sorted(
		(row for row in rows if row[3] and row[4] and row[4] <= today), key=lambda row: (row[4], row[1])
	)
	taken: dict[str, int] = defaultdict(int)
	reminders = []
	for doctype, name, title, user, follow_up in candidates:
		if per_user and taken[user] >= per_user:
			continue
		taken[user] += 1
		kind = FOLLOW_UP_DUE if follow_up == today else FOLLOW_UP_OVERDUE
		reminders.append(Reminder(kind, doctype, name, title, user, follow_up))
	return reminders


def past_close_date(rows: Iterable[tuple[str, str, str, date]], today: date) -> list[Reminder]:
	"""Open opportunity rows of (name, title, user, expected_close_date) whose date has passed."""
	return [
		Reminder(PAST_CLOSE_DATE, "CX Opportunity", name, title, user, close_date)
		for name, title, user, close_date in rows
		if user and close_date and close_date < today
	]


def stale(
	kind: str,
	doctype: str,
	rows: Iterable[tuple[str, str, str, date]],
	today: date,
	days: int,
	per_user: int,
) -> list[Reminder]:
	"""Rows of (name, title, user, last_touch) silent for `days` or more; oldest first, `per_user` each."""
	if days <= 0:
		return []
	candidates = sorted(
		(row for row in rows if row[2] and row[3] and (today - row[3]).days >= days), key=lambda row: row[3]
	)
	taken: dict[str, int] = defaultdict(int)
	reminders = []
	for name, title, user, last_touch in candidates:
		if per_user and taken[user] >= per_user:
			continue
		taken[user] += 1
		reminders.append(Reminder(kind, doctype, name, title, user, last_touch))
	return reminders


def unsent(reminders: Iterable[Reminder], sent_keys: set[str]) -> list[Reminder]:
	"""Reminders not sent before, each once even if two sources produced it."""
	fresh, seen = [], set(sent_keys)
	for reminder in reminders:
		if reminder.key not in seen:
			seen.add(reminder.key)
			fresh.append(reminder)
	return fresh


def by_user(reminders: Iterable[Reminder]) -> dict[str, list[Reminder]]:
	grouped: dict[str, list[Reminder]] = defaultdict(list)
	for reminder in reminders:
		grouped[reminder.user].append(reminder)
	return dict(grouped)
