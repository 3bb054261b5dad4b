"""Issue (ticket) status clock: which timestamps a status change stamps."""

from collections.abc import Mapping
from datetime import datetime

OPEN, REPLIED, ON_HOLD, RESOLVED, CLOSED = "Open", "Replied", "On Hold", "Resolved", "Closed"
STATUSES = (OPEN, REPLIED, ON_HOLD, RESOLVED, CLOSED)

# Which timestamp field a status stamps, and whether a later visit may move it.
_STAMP_FOR_STATUS = {
	OPEN: ("opened_on", False),
	REPLIED: ("first_responded_on", False),
	RESOLVED: ("resolved_on", True),
	CLOSED: ("closed_on", True),
}


def status_timestamps(
	old_status: str | None, new_status: str, now: datetime, current: Mapping[str, datetime | None]
) -> dict[str, datetime | None]:
	"""Timestamps to set for a change from `old_status` to `new_status` at `now`.

	`opened_on` and `first_responded_on` are set once; `resolved_on` and `closed_on` follow the latest
	resolution or closing, and reopening clears both so that reports never count a reopened ticket as done.
	"""
	if new_status not in STATUSES:
		raise ValueError(new_status)

	changes: dict[str, datetime | None] = {}
	if not current.get("opened_on"):
		changes["opened_on"] = now
	if old_status == new_status:
		return changes

	field, movable = _STAMP_FOR_STATUS.get(new_status, (None, False))
	if field and (movable or not current.get(field)):
		changes[field] = now

	if new_status == CLOSED and not current.get("resolved_on"):
		changes["resolved_on"] = now

	reopened = new_status in (OPEN, REPLIED, ON_HOLD) and old_status in (RESOLVED, CLOSED)
	if reopened:
		changes["resolved_on"] = None
		changes["closed_on"] = None
	return changes
