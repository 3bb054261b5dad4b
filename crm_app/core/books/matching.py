"""Matching ERPNext records to CRM records: customers to CX Customers, invoices to deals.

Keys are normalised so that the same company written twice meets: case, spacing and punctuation do not
count; a tax id keeps only letters and digits; an email is compared case-insensitively.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def name_key(name: str | None) -> str:
	return _NOT_WORD.sub(" ", (name or "").casefold()).strip()


def email_key(email: str | None) -> str:
	return (email or "").strip().casefold()


def tax_id_key(tax_id: str | None) -> str:
	return _NOT_WORD.sub("", (tax_id or "").casefold())


@dataclass(frozen=True)
class CustomerKeys:
	name: str
	email: str = ""
	tax_id: str = ""

	@classmethod
	def of(cls, name=None, email=None, tax_id=None) -> "CustomerKeys":
		return cls(name_key(name), email_key(email), tax_id_key(tax_id))


class CustomerIndex:
	"""Existing CX Customers by each key; a key shared by two of them matches neither (ambiguous)."""

	def __init__(self, customers: Iterable[tuple[str, CustomerKeys]]):
		self._by: dict[str, dict[str, str | None]] = {"tax_id": {}, "email": {}, "name": {}}
		self._keys: dict[str, CustomerKeys] = {}
		for record, keys in customers:
			self.add(record, keys)

	def add(self, record: str, keys: CustomerKeys) -> None:
		self._keys[record] = keys
		for kind, key in (("tax_id", keys.tax_id), ("email", keys.email), ("name", keys.name)):
			if key:
				index = self._by[kind]
				index[key] = record if index.get(key, record) == record else None

	def remove(self, record: str) -> None:
		"""Once linked, a record is no longer a candidate."""
		keys = self._keys.pop(record, None)
		if keys:
			for kind, key in (("tax_id", keys.tax_id), ("email", keys.email), ("name", keys.name)):
				if self._by[kind].get(key) == record:
					del self._by[kind][key]

	def match(self, keys: CustomerKeys) -> str | None:
		"""Strongest key first: tax id, then email, then name."""
		for kind, key in (("tax_id", keys.tax_id), ("email", keys.email), ("name", keys.name)):
			if key and self._by[kind].get(key):
				return self._by[kind][key]
		return None


# Below this, date and status alone would pick the deal: no suggestion is better than a guess.
MIN_FIT = 0.5


@dataclass(frozen=True)
class DealCandidate:
	name: str
	amount: float  # the deal's amount in the reporting currency
	on: date | None  # when it was expected to close or closed
	won: bool


def suggest_deal(
	invoice_amount: float, invoice_date: date, candidates: Iterable[DealCandidate]
) -> tuple[str, float] | None:
	"""The customer's deal an invoice most likely belongs to, with a score in [0, 1]; None if none fits.

	The amount counts most (an invoice for the deal's amount, or a part of it), then the date (invoiced
	near the deal's closing), then a won deal over an open one."""
	best = None
	for deal in candidates:
		score = 0.6 * _amount_fit(invoice_amount, deal.amount) + 0.3 * _date_fit(invoice_date, deal.on)
		score += 0.1 if deal.won else 0.0
		if best is None or score > best[1]:
			best = (deal.name, round(score, 3))
	return best if best and best[1] >= MIN_FIT else None


def _amount_fit(invoice: float, deal: float) -> float:
	if deal <= 0 or invoice <= 0:
		return 0.0
	ratio = invoice / deal
	return max(0.0, 1 - abs(1 - ratio)) if ratio <= 1.5 else 0.0


def _date_fit(invoice: date, deal: date | None) -> float:
	if not deal:
		return 0.0
	return max(0.0, 1 - abs((invoice - deal).days) / 180)


def group_by(rows: Iterable[Mapping], key: str) -> dict:
	grouped: dict = {}
	for row in rows:
		grouped.setdefault(row[key], []).append(row)
	return grouped
