"""The 360 timeline of a customer or lead: one page merged from many sources, paged by a keyset cursor.

Every source (emails, calls, meetings, notes, tasks, issues, ERPNext documents...) reads its own rows
newest first, ordered by (moment, name) in the database, and only rows after the cursor. The timeline is
ordered by (moment, source, name), newest first: between sources the source key breaks a tie of equal
moments, so two different sources never need their names compared (the database's collation and Python's
string order differ), and within one source the database's own order is kept as it came.

A source may drop rows the user may not see after reading them. Its page then says how far it read (the
last row scanned), and the merge never puts a row of another source below that point on the page: a row
the source has not read yet could belong before it. So a page may come back shorter than asked, never
with a gap or a row twice; `timeline_page` asks again for the rest.

No OFFSET anywhere: a page costs the same however deep the user scrolls.
"""

import heapq
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

MAX_CURSOR_LENGTH = 400
SEPARATOR = "|"


class InvalidCursor(ValueError):
	"""A `before` value that no page of this timeline handed out."""


@dataclass(frozen=True)
class Entry:
	"""One timeline row: when, from which source, the row's name there, and what to show."""

	moment: datetime
	source: str
	name: str
	data: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Cursor:
	"""The last entry of a page: the next page starts right after it."""

	moment: datetime
	source: str
	name: str


@dataclass(frozen=True)
class Bound:
	"""Which rows of one source come after a cursor, for its query:

	- `moment < value`, or `moment <= value` when `inclusive`;
	- with `name_below`: `moment < value or (moment = value and name < name_below)`.

	`value` is a date for sources whose moment is a date (an invoice's posting date)."""

	value: datetime | date
	inclusive: bool = False
	name_below: str | None = None


@dataclass(frozen=True)
class Scan:
	"""What one source read for a page: the rows the user may see (newest first), how many rows it read,
	and the moment and name of the last row it read (seen or not)."""

	entries: list[Entry]
	scanned: int
	last: tuple[datetime, str] | None = None


@dataclass(frozen=True)
class Source:
	"""A timeline source: `fetch(bound, count)` reads up to `count` rows after `bound` (None: from the
	newest), newest first by (moment, name)."""

	key: str
	fetch: Callable[[Bound | None, int], Scan]
	date_only: bool = False


def as_moment(value: datetime | date | str) -> datetime:
	"""A database value as a naive datetime: dates at midnight."""
	if isinstance(value, str):
		value = datetime.fromisoformat(value)
	if isinstance(value, datetime):
		return value.replace(tzinfo=None)
	return datetime.combine(value, time.min)


# -- the cursor ----------------------------------------------------------------------------------------


def encode_cursor(cursor: Cursor) -> str:
	return SEPARATOR.join(
		(cursor.moment.isoformat(sep=" ", timespec="microseconds"), cursor.source, cursor.name)
	)


def decode_cursor(text: str, sources: Sequence[str]) -> Cursor:
	"""The cursor a page handed out; InvalidCursor for anything else."""
	if not isinstance(text, str) or not text or len(text) > MAX_CURSOR_LENGTH:
		raise InvalidCursor(text)
	parts = text.split(SEPARATOR, 2)
	if len(parts) != 3 or parts[1] not in sources or not parts[2]:
		raise InvalidCursor(text)
	try:
		moment = datetime.fromisoformat(parts[0])
	except ValueError as error:
		raise InvalidCursor(text) from error
	return Cursor(as_moment(moment), parts[1], parts[2])


def bound_for(cursor: Cursor | None, source: str, date_only: bool = False) -> Bound | None:
	"""The rows of `source` that sort after `cursor` in (moment, source, name) order, newest first."""
	if cursor is None:
		return None
	value: datetime | date = cursor.moment
	if date_only:
		if cursor.moment.time() != time.min:
			# Every row of that day sits at midnight, before the cursor's moment.
			return Bound(cursor.moment.date(), inclusive=True)
		value = cursor.moment.date()
	if source < cursor.source:
		return Bound(value, inclusive=True)
	if source > cursor.source:
		return Bound(value)
	return Bound(value, name_below=cursor.name)


# -- the merge -----------------------------------------------------------------------------------------


def _key(entry: Entry) -> tuple[datetime, str]:
	return (entry.moment, entry.source)


def merge(scans: dict[str, Scan], limit: int, asked: int) -> tuple[list[Entry], Cursor | None]:
	"""One page of at most `limit` entries from the scans of every source (each asked for `asked` rows),
	and the cursor of the next page (None at the end)."""
	merged = heapq.merge(*(scan.entries for scan in scans.values()), key=_key, reverse=True)
	# A source that filled its page may hold more rows right below the last one it read.
	frontiers = [(scan.last[0], key, scan.last[1]) for key, scan in scans.items() if scan.scanned >= asked]
	frontier = max(frontiers, default=None)
	if frontier is None:
		safe = list(merged)
	else:
		safe = [e for e in merged if e.source == frontier[1] or _key(e) > frontier[:2]]
	page = safe[:limit]
	if len(safe) > limit or (frontier is not None and len(page) == limit):
		last = page[-1]
		return page, Cursor(last.moment, last.source, last.name)
	if frontier is not None:
		# Everything above the frontier is on this page: carry on from the row the source read last.
		return page, Cursor(*frontier)
	return page, None


def timeline_page(
	sources: Sequence[Source], cursor: Cursor | None, limit: int, rounds: int = 4
) -> tuple[list[Entry], Cursor | None]:
	"""Up to `limit` entries after `cursor` and the cursor of the next page. When sources drop rows the
	user may not see, a round can come back short: ask again from where it stopped, `rounds` times."""
	if len({source.key for source in sources}) != len(sources):
		raise ValueError("timeline sources need distinct keys")
	page: list[Entry] = []
	for _round in range(rounds):
		wanted = limit - len(page)
		# One row more than wanted tells a source that has nothing more from one that has.
		asked = wanted + 1
		scans = {
			source.key: source.fetch(bound_for(cursor, source.key, source.date_only), asked)
			for source in sources
		}
		entries, cursor = merge(scans, wanted, asked)
		page.extend(entries)
		if cursor is None or len(page) >= limit:
			break
	return page, cursor
