"""A deal's figures and status as its ERPNext documents state them.

The shell reads each opportunity's submitted quotations, orders and invoices in one query and hands the
totals here; everything is recomputed from those documents, never by adding increments, so a cancelled,
amended or returned document simply drops out of (or joins) the sums.
"""

from dataclasses import dataclass

from crm_app.core.errors import _lt

OPEN, WON, LOST = "Open", "Won", "Lost"

# When the books close a deal as won (CX Settings > ERPNext > Mark Deals Won); options of a Select the desk
# translates, so marked for the template.
WON_WHEN_ORDERED_OR_INVOICED = _lt("Ordered or Invoiced")
WON_WHEN_INVOICED = _lt("Invoiced")
WON_NEVER = _lt("Never")
WON_WHEN = (WON_WHEN_ORDERED_OR_INVOICED, WON_WHEN_INVOICED, WON_NEVER)


@dataclass(frozen=True)
class DealDocuments:
	"""Totals of a deal's submitted documents, in the reporting currency."""

	quoted: float = 0.0  # quotations not lost
	lost_quotations: int = 0
	live_quotations: int = 0
	ordered: float = 0.0
	orders: int = 0
	invoiced: float = 0.0  # invoices net of credit notes
	outstanding: float = 0.0

	@property
	def paid(self) -> float:
		return round(self.invoiced - self.outstanding, 2)


# Who set the deal's current status: the documents may take back only what they set themselves.
BY_DOCUMENTS, BY_PERSON = "Documents", "Person"


def status_from_books(
	status: str,
	set_by: str | None,
	books: DealDocuments,
	won_when: str = WON_WHEN_ORDERED_OR_INVOICED,
	lose_with_quotations: bool = True,
) -> str | None:
	"""The status the documents call for, or None to leave the deal as it is.

	- A deal nobody has closed or reopened by hand is won once it is ordered or invoiced (as the
	  setting says), and lost once every quotation made for it is lost and nothing was ordered or
	  invoiced (unless that is switched off).
	- A status the documents set is taken back when they are cancelled: the deal reopens, or turns to
	  what is left. A status a person set (Won, Lost, or reopened) is never overridden.
	"""
	if set_by == BY_PERSON:
		return None
	won = _won(books, won_when)
	lost = lose_with_quotations and (
		books.lost_quotations > 0 and not books.live_quotations and not books.orders and books.invoiced <= 0
	)
	wanted = WON if won else LOST if lost else None
	if status == OPEN:
		return wanted
	if set_by != BY_DOCUMENTS or wanted == status:
		return None
	return wanted or OPEN


def _won(books: DealDocuments, won_when: str) -> bool:
	if won_when == WON_WHEN_ORDERED_OR_INVOICED:
		return books.orders > 0 or books.invoiced > 0
	if won_when == WON_WHEN_INVOICED:
		return books.invoiced > 0  # a sale returned in full by credit notes is not won
	return False
