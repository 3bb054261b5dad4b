"""Recency, frequency and monetary value (RFM) per customer, scored into quintiles and named segments.

Input is plain purchase rows (customer, date, amount) in the base currency: invoices and, as negative
amounts, credit notes (returns). The rules:

- A **purchase** is a row with a positive amount. Frequency counts purchases, recency is the number of
  days from the last purchase to the scoring date.
- A **credit note** (negative amount) nets the monetary value but is neither a purchase nor activity:
  a refund does not make a customer recent. When credit notes exceed the purchases the monetary value
  is 0 (the customer is worth nothing, not less than nothing) and the customer is counted in
  `Summary.refunded_customers`.
- Rows with a zero amount, a non-finite amount or a date after the scoring date are skipped and
  counted (`Summary.skipped`): a mistyped future date must not make someone a Champion.
- A customer with no purchase in the rows (only credit notes, zero rows or future rows) is not scored.

Scores are quintiles by **mid-rank**: a value's score is 1 + floor(5 * p) with
p = (customers below it + half the customers equal to it) / customers, so equal values always get the
same score (ties are never split by arbitrary order) and a lone value or a column of equal values gets
the middle score 3 rather than the best or the worst. Recency scores the other way round (recent is 5).
Fewer than `MIN_CUSTOMERS` customers give no scores: a fifth of four customers is not a quintile.

Segments follow the usual R-by-F grid (monetary is in the score, e.g. "545", but not in the segment name):
see `SEGMENT_GRID`.
"""

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from crm_app.core.errors import CoreError

MIN_CUSTOMERS = 5
EPOCH = date(1970, 1, 1)
EPOCH_ORDINAL = EPOCH.toordinal()

SEGMENTS = (
	"Champions",
	"Loyal",
	"Potential Loyalist",
	"New",
	"Promising",
	"Need Attention",
	"About to Sleep",
	"At Risk",
	"Cannot Lose Them",
	"Hibernating",
	"Lost",
)

# SEGMENT_GRID[r - 1][f - 1]: the segment of recency score r and frequency score f.
SEGMENT_GRID = (
	("Lost", "Lost", "At Risk", "At Risk", "Cannot Lose Them"),  # r = 1: long gone
	("Hibernating", "Hibernating", "At Risk", "At Risk", "Cannot Lose Them"),  # r = 2
	("About to Sleep", "About to Sleep", "Need Attention", "Loyal", "Loyal"),  # r = 3
	("Promising", "Potential Loyalist", "Potential Loyalist", "Loyal", "Loyal"),  # r = 4
	("New", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"),  # r = 5: bought lately
)


class RfmInputError(CoreError):
	"""Purchase rows the RFM functions cannot read (a missing customer, a date that is not a date)."""


@dataclass
class Transactions:
	"""Purchase rows as arrays: `customer_index[i]` indexes `customers`, `day` counts days from 1970-01-01."""

	customers: np.ndarray  # object array of customer names, one per distinct customer
	customer_index: np.ndarray  # int64, one per row
	day: np.ndarray  # int64, one per row
	amount: np.ndarray  # float64, one per row

	def __len__(self) -> int:
		return len(self.amount)


@dataclass
class Skipped:
	future: int = 0
	zero: int = 0
	invalid: int = 0

	@property
	def total(self) -> int:
		return self.future + self.zero + self.invalid


@dataclass
class Summary:
	"""One entry per customer with at least one purchase up to `as_of` (arrays aligned on `customers`)."""

	as_of: date
	customers: np.ndarray
	first_day: np.ndarray  # day of the first purchase (days from 1970-01-01)
	last_day: np.ndarray  # day of the last purchase
	purchases: np.ndarray  # purchase rows (positive amounts)
	purchase_days: np.ndarray  # distinct days with a purchase (what BG/NBD counts)
	net_amount: np.ndarray  # purchases + credit notes, may be negative
	skipped: Skipped = field(default_factory=Skipped)
	refunded_customers: int = 0  # net amount below zero: monetary shown as 0
	credit_only_customers: int = 0  # credit notes but no purchase: not scored

	def __len__(self) -> int:
		return len(self.customers)

	@property
	def as_of_day(self) -> int:
		return day_number(self.as_of)

	@property
	def recency_days(self) -> np.ndarray:
		return self.as_of_day - self.last_day

	@property
	def monetary(self) -> np.ndarray:
		return np.maximum(self.net_amount, 0.0)


@dataclass
class RfmScores:
	"""Scores and segments aligned on `Summary.customers`; empty arrays when there were too few customers."""

	recency: np.ndarray  # int8 1-5
	frequency: np.ndarray
	monetary: np.ndarray
	segment: np.ndarray  # object array of segment names
	note: str = ""

	@property
	def scored(self) -> bool:
		return len(self.segment) > 0

	def score_text(self) -> list[str]:
		""" "545" style scores, one per customer."""
		combined = self.recency.astype(np.int64) * 100 + self.frequency * 10 + self.monetary
		return [str(value) for value in combined.tolist()]


def day_number(value: date | datetime | str) -> int:
	if isinstance(value, str):
		try:
			value = date.fromisoformat(value[:10])
		except ValueError as exc:
			raise RfmInputError(f"Not a date: {value!r}") from exc
	if isinstance(value, datetime):
		value = value.date()
	if not isinstance(value, date):
		raise RfmInputError(f"Not a date: {value!r}")
	return value.toordinal() - EPOCH_ORDINAL


def transactions_from_rows(rows: Iterable[tuple]) -> Transactions:
	"""(customer, date, amount) rows (dates as date, datetime or ISO text) into `Transactions`.

	Rows may come from a generator over database batches: they are kept in typed arrays (8 bytes a
	value), so five million rows take about 120 MB, not the gigabyte of Python tuples."""
	index: dict[str, int] = {}
	customer_index, days, amounts = array("q"), array("q"), array("d")
	for customer, when, amount in rows:
		if not customer:
			raise RfmInputError("A purchase row has no customer")
		customer_index.append(index.setdefault(customer, len(index)))
		days.append(day_number(when))
		try:
			amounts.append(float(amount) if amount is not None else float("nan"))
		except (TypeError, ValueError):
			amounts.append(float("nan"))  # counted as invalid by summarize
	customers = np.empty(len(index), dtype=object)
	customers[:] = list(index)
	return Transactions(
		customers,
		np.frombuffer(customer_index, dtype=np.int64) if customer_index else np.zeros(0, dtype=np.int64),
		np.frombuffer(days, dtype=np.int64) if days else np.zeros(0, dtype=np.int64),
		np.frombuffer(amounts, dtype=np.float64) if amounts else np.zeros(0, dtype=np.float64),
	)


def summarize(tx: Transactions, as_of: date) -> Summary:
	"""Per-customer first/last purchase, purchase counts and net amount up to `as_of`, by the module's rules."""
	as_of_day = day_number(as_of)
	amount, day, idx = tx.amount, tx.day, tx.customer_index
	finite = np.isfinite(amount)
	future = day > as_of_day
	zero = finite & (amount == 0)
	skipped = Skipped(
		future=int(np.count_nonzero(future)),
		zero=int(np.count_nonzero(zero & ~future)),
		invalid=int(np.count_nonzero(~finite & ~future)),
	)
	keep = finite & ~future & ~zero
	amount, day, idx = amount[keep], day[keep], idx[keep]
	n_all = len(tx.customers)

	net = np.bincount(idx, weights=amount, minlength=n_all)
	positive = amount > 0
	p_idx, p_day = idx[positive], day[positive]
	purchases = np.bincount(p_idx, minlength=n_all)
	first = np.full(n_all, np.iinfo(np.int64).max, dtype=np.int64)
	last = np.full(n_all, np.iinfo(np.int64).min, dtype=np.int64)
	np.minimum.at(first, p_idx, p_day)
	np.maximum.at(last, p_idx, p_day)
	# distinct (customer, day) pairs: one key per pair, so a sort-unique counts the days
	span = int(p_day.max() - p_day.min() + 1) if len(p_day) else 1
	keys = np.unique(p_idx * span + (p_day - (p_day.min() if len(p_day) else 0)))
	purchase_days = np.bincount(keys // span, minlength=n_all)

	has_purchase = purchases > 0
	has_rows = np.bincount(idx, minlength=n_all) > 0
	net_kept = net[has_purchase]
	return Summary(
		as_of=as_of if not isinstance(as_of, datetime) else as_of.date(),
		customers=tx.customers[has_purchase],
		first_day=first[has_purchase],
		last_day=last[has_purchase],
		purchases=purchases[has_purchase],
		purchase_days=purchase_days[has_purchase],
		net_amount=net_kept,
		skipped=skipped,
		refunded_customers=int(np.count_nonzero(net_kept < 0)),
		credit_only_customers=int(np.count_nonzero(has_rows & ~has_purchase)),
	)


def quintile_scores(values: np.ndarray) -> np.ndarray:
	"""Mid-rank quintile score 1-5 of each value (higher value, higher score; equal values, equal score)."""
	values = np.asarray(values)
	n = len(values)
	if n == 0:
		return np.zeros(0, dtype=np.int8)
	ordered = np.sort(values)
	below = np.searchsorted(ordered, values, side="left")
	up_to = np.searchsorted(ordered, values, side="right")
	# p = (below + equal / 2) / n = (below + up_to) / 2n; integer arithmetic keeps exact boundaries
	scores = (5 * (below + up_to)) // (2 * n) + 1
	return np.minimum(scores, 5).astype(np.int8)


def segment_of(recency_score: int, frequency_score: int) -> str:
	return SEGMENT_GRID[recency_score - 1][frequency_score - 1]


def score(summary: Summary) -> RfmScores:
	"""Quintile scores and segment of every customer of `summary` (none below `MIN_CUSTOMERS`)."""
	n = len(summary)
	if n < MIN_CUSTOMERS:
		empty = np.zeros(0, dtype=np.int8)
		note = f"{n} customer(s) with purchases: at least {MIN_CUSTOMERS} are needed for quintile scores."
		return RfmScores(empty, empty, empty, np.zeros(0, dtype=object), note=note)
	r = quintile_scores(-summary.recency_days)
	f = quintile_scores(summary.purchases)
	m = quintile_scores(summary.monetary)
	grid = np.array(SEGMENT_GRID, dtype=object)
	return RfmScores(r, f, m, grid[r - 1, f - 1])


def rfm(rows: Iterable[tuple], as_of: date) -> tuple[Summary, RfmScores]:
	"""RFM of (customer, date, amount) rows as of a date: the summary and its scores."""
	summary = summarize(transactions_from_rows(rows), as_of)
	return summary, score(summary)
