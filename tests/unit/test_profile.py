import random
from datetime import date, datetime, timedelta

import pytest

from crm_app.core.profile import (
	Bound,
	Cursor,
	Entry,
	InvalidCursor,
	Scan,
	Source,
	as_moment,
	bound_for,
	decode_cursor,
	encode_cursor,
	timeline_page,
)

T = datetime(2026, 3, 1, 10, 0)


class FakeSource:
	"""A table read the way the shell's queries read it: ordered by (moment, name) descending, rows after
	a Bound, `count` at most; rows in `hidden` are read but dropped, as a permission check would."""

	def __init__(self, key, rows, hidden=(), date_only=False):
		self.key, self.date_only, self.hidden = key, date_only, set(hidden)
		self.rows = sorted(rows, key=lambda row: (row[0], row[1]), reverse=True)
		self.reads = 0

	def after(self, row, bound):
		moment, name = row
		if bound is None:
			return True
		if bound.name_below is not None:
			return moment < bound.value or (moment == bound.value and name < bound.name_below)
		return moment <= bound.value if bound.inclusive else moment < bound.value

	def fetch(self, bound, count):
		self.reads += 1
		rows = [row for row in self.rows if self.after(row, bound)][:count]
		entries = [Entry(as_moment(m), self.key, n) for m, n in rows if n not in self.hidden]
		last = (as_moment(rows[-1][0]), rows[-1][1]) if rows else None
		return Scan(entries, len(rows), last)

	def source(self):
		return Source(self.key, self.fetch, self.date_only)


def walk(fakes, limit, rounds=4):
	"""Every page from the first until the cursor runs out, as (source, name) pairs."""
	sources = [fake.source() for fake in fakes]
	keys = [source.key for source in sources]
	seen, cursor, pages = [], None, 0
	while True:
		entries, cursor = timeline_page(sources, cursor, limit, rounds)
		assert len(entries) <= limit
		seen.extend(entries)
		pages += 1
		assert pages < 10_000
		if cursor is None:
			return seen
		cursor = decode_cursor(encode_cursor(cursor), keys)  # through the client and back


def expected(fakes):
	everything = [
		Entry(as_moment(m), fake.key, n) for fake in fakes for m, n in fake.rows if n not in fake.hidden
	]
	# Newest first; equal moments by source, then by name (the fakes' names sort as the database's).
	return sorted(everything, key=lambda e: (e.moment, e.source, e.name), reverse=True)


def test_one_page_merges_sources_newest_first():
	calls = FakeSource("call", [(T, "C1"), (T - timedelta(hours=2), "C2")])
	mails = FakeSource("email", [(T - timedelta(hours=1), "E1")])
	entries, cursor = timeline_page([calls.source(), mails.source()], None, 10)
	assert [e.name for e in entries] == ["C1", "E1", "C2"]
	assert cursor is None


def test_a_full_page_says_where_the_next_starts():
	calls = FakeSource("call", [(T - timedelta(minutes=i), f"C{i:03}") for i in range(5)])
	entries, cursor = timeline_page([calls.source()], None, 3)
	assert [e.name for e in entries] == ["C000", "C001", "C002"]
	assert cursor == Cursor(T - timedelta(minutes=2), "call", "C002")
	entries, cursor = timeline_page([calls.source()], cursor, 3)
	assert [e.name for e in entries] == ["C003", "C004"]
	assert cursor is None


def test_exactly_a_page_left_ends_without_an_empty_page():
	calls = FakeSource("call", [(T - timedelta(minutes=i), f"C{i}") for i in range(3)])
	entries, cursor = timeline_page([calls.source()], None, 3)
	assert len(entries) == 3 and cursor is None


def test_equal_moments_across_and_within_sources_page_without_gaps_or_repeats():
	fakes = [
		FakeSource("call", [(T, f"C{i:02}") for i in range(7)]),
		FakeSource("email", [(T, f"E{i:02}") for i in range(5)] + [(T - timedelta(1), "E99")]),
		FakeSource("task", [(T, "T1")]),
	]
	for limit in (1, 2, 3, 4, 30):
		assert walk(fakes, limit) == expected(fakes)


def test_hidden_rows_never_show_and_never_cause_a_gap():
	rows = [(T - timedelta(minutes=i), f"M{i:03}") for i in range(40)]
	fakes = [
		FakeSource("email_link", rows, hidden={f"M{i:03}" for i in range(40) if i % 3}),
		# Calls sparser than the emails: a page of calls reaches below the emails the link source read.
		FakeSource("call", [(T - timedelta(minutes=7 * i, seconds=30), f"C{i:03}") for i in range(10)]),
	]
	for limit in (1, 5, 7):
		result = walk(fakes, limit)
		assert result == expected(fakes)
		assert not {e.name for e in result} & fakes[0].hidden


def test_a_source_that_hides_a_whole_page_lets_the_others_through_later():
	hidden = FakeSource(
		"email_link",
		[(T - timedelta(seconds=i), f"H{i:03}") for i in range(50)],
		hidden={f"H{i:03}" for i in range(50)},
	)
	calls = FakeSource("call", [(T - timedelta(hours=1), "C1")])
	entries, cursor = timeline_page([hidden.source(), calls.source()], None, 5, rounds=2)
	assert entries == [] and cursor is not None  # two rounds read only hidden rows
	assert walk([hidden, calls], 5) == expected([hidden, calls])


def test_date_only_sources_sit_at_midnight_among_moments():
	day = date(2026, 3, 1)
	invoices = FakeSource(
		"sales_invoice", [(day, "SINV-2"), (day, "SINV-1"), (date(2026, 2, 28), "SINV-0")], date_only=True
	)
	calls = FakeSource(
		"call",
		[(datetime(2026, 3, 1, 9), "C1"), (datetime(2026, 3, 1), "C0"), (datetime(2026, 2, 28, 23), "C-1")],
	)
	for limit in (1, 2, 3, 10):
		assert [e.name for e in walk([invoices, calls], limit)] == [
			"C1",
			"SINV-2",
			"SINV-1",
			"C0",
			"C-1",
			"SINV-0",
		]


def test_random_timelines_page_exactly_like_one_sorted_list():
	rng = random.Random(4711)
	for _trial in range(200):
		fakes = []
		for key in rng.sample(["call", "email", "email_link", "meeting", "note", "task", "issue"], 4):
			spread = rng.choice((5, 30, 600))  # dense sources tie often, sparse ones reach far back
			moments = [T - timedelta(minutes=rng.randint(0, spread)) for _ in range(rng.randint(0, 40))]
			rows = list({(m, f"{key[:2].upper()}-{i:04}") for i, m in enumerate(moments)})
			share = rng.choice((0.3, 0.9))
			hidden = {name for _m, name in rows if rng.random() < share} if key == "email_link" else ()
			fakes.append(FakeSource(key, rows, hidden))
		if rng.random() < 0.5:
			days = [date(2026, 3, 1) - timedelta(days=rng.randint(0, 1)) for _ in range(rng.randint(0, 10))]
			fakes.append(
				FakeSource("sales_invoice", [(d, f"SI-{i:03}") for i, d in enumerate(days)], date_only=True)
			)
		limit = rng.choice((1, 2, 3, 5, 8, 30))
		result = walk(fakes, limit, rounds=rng.choice((1, 2, 4)))
		assert result == expected(fakes)
		assert len({(e.source, e.name) for e in result}) == len(result)


def test_bounds_follow_the_source_order_for_equal_moments():
	cursor = Cursor(T, "email", "E5")
	assert bound_for(None, "call") is None
	assert bound_for(cursor, "call") == Bound(T, inclusive=True)  # "call" < "email": ties come after
	assert bound_for(cursor, "task") == Bound(T)  # "task" > "email": ties came before
	assert bound_for(cursor, "email") == Bound(T, name_below="E5")


def test_bounds_of_date_sources():
	assert bound_for(Cursor(T, "call", "C1"), "sales_invoice", date_only=True) == Bound(
		date(2026, 3, 1), inclusive=True
	)
	midnight = Cursor(datetime(2026, 3, 1), "sales_invoice", "SI-2")
	assert bound_for(midnight, "sales_invoice", date_only=True) == Bound(date(2026, 3, 1), name_below="SI-2")
	assert bound_for(midnight, "call", date_only=True) == Bound(date(2026, 3, 1), inclusive=True)


def test_cursor_round_trip_keeps_microseconds_and_odd_names():
	cursor = Cursor(datetime(2026, 3, 1, 10, 0, 0, 123456), "email", "a|b c")
	assert decode_cursor(encode_cursor(cursor), ["email"]) == cursor


@pytest.mark.parametrize(
	"text",
	[
		"",
		"x" * 401,
		"2026-03-01 10:00:00",
		"2026-03-01|call",
		"nodate|call|C1",
		"2026-03-01|sms|C1",
		"2026-03-01|call|",
		None,
		5,
	],
)
def test_cursors_no_page_handed_out_are_refused(text):
	with pytest.raises(InvalidCursor):
		decode_cursor(text, ["call", "email"])


def test_sources_need_distinct_keys():
	source = FakeSource("call", []).source()
	with pytest.raises(ValueError):
		timeline_page([source, source], None, 5)
