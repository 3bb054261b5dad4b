"""Customer profitability: revenue less the costs a customer causes, each factor weighted (plain Python).

profit = w_revenue * revenue
         - w_cost_of_goods * cost of goods
         - w_acquisition * acquisition cost (a campaign's cost shared equally over the customers it brought)
         - w_support * support hours * hourly rate
         - w_late_payment * late payment cost (amount * days late * annual rate / 365)

A weight of 1 counts a factor in full, 0 leaves it out, 2 counts it double; a negative weight would turn a
cost into income, so it is refused, as is anything that is not a finite number. Amounts are netted as
they come (a credit note larger than its invoices leaves a negative revenue, shown as it is).
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from crm_app.core.errors import CoreError, Message, _lt

FACTORS = ("revenue", "cost_of_goods", "acquisition", "support", "late_payment")
COSTS = FACTORS[1:]
DAYS_PER_YEAR = 365


class ProfitabilityError(CoreError):
	"""A weight, rate or cost the profitability figures cannot be made from."""


def finite_number(value, label: Message, *, allow_negative: bool = False) -> float:
	"""`value` as a float; a number in text is accepted, anything else (None included) refused. `label`
	names the value in the error ("The support hour rate")."""
	not_a_number = _lt("{0} must be a number, not {1}.")
	if isinstance(value, bool):
		raise ProfitabilityError(not_a_number, label, repr(value))
	try:
		number = float(value)
	except (TypeError, ValueError):
		raise ProfitabilityError(not_a_number, label, repr(value)) from None
	if not math.isfinite(number):
		raise ProfitabilityError(_lt("{0} must be a finite number, not {1}."), label, repr(value))
	if number < 0 and not allow_negative:
		raise ProfitabilityError(_lt("{0} cannot be negative ({1})."), label, f"{number:g}")
	return number


@dataclass(frozen=True)
class Weights:
	revenue: float = 1.0
	cost_of_goods: float = 1.0
	acquisition: float = 1.0
	support: float = 1.0
	late_payment: float = 1.0

	def __post_init__(self):
		for factor in FACTORS:
			object.__setattr__(self, factor, finite_number(getattr(self, factor), _weight_label(factor)))

	@classmethod
	def from_settings(cls, values: Mapping[str, object]) -> "Weights":
		"""Weights from settings fields `weight_<factor>`; a missing (None or "") weight counts in full."""
		return cls(
			**{
				factor: 1.0
				if values.get(f"weight_{factor}") in (None, "")
				else values.get(f"weight_{factor}")
				for factor in FACTORS
			}
		)


WEIGHT_LABELS = {
	"revenue": _lt("The weight of revenue"),
	"cost_of_goods": _lt("The weight of cost of goods"),
	"acquisition": _lt("The weight of acquisition"),
	"support": _lt("The weight of support"),
	"late_payment": _lt("The weight of late payment"),
}
# The amounts of one customer: "The revenue of {customer}".
AMOUNT_LABELS = {
	"revenue": _lt("The revenue of {0}"),
	"cost_of_goods": _lt("The cost of goods of {0}"),
	"acquisition": _lt("The acquisition of {0}"),
	"support": _lt("The support of {0}"),
	"late_payment": _lt("The late payment of {0}"),
}
SUPPORT_HOUR_RATE = _lt("The support hour rate")
LATE_PAYMENT_RATE = _lt("The late payment annual rate")


def _weight_label(factor: str) -> Message:
	return Message(WEIGHT_LABELS[factor])


@dataclass(frozen=True)
class CustomerFigures:
	"""One customer's raw factors over the period, all in the reporting currency (support in hours)."""

	customer: str
	revenue: float = 0.0
	cost_of_goods: float = 0.0
	acquisition: float = 0.0
	support_hours: float = 0.0
	late_payment: float = 0.0


@dataclass(frozen=True)
class RankedCustomer:
	rank: int
	customer: str
	# Signed, weighted contribution of each factor to the profit (revenue positive, costs negative).
	contributions: dict[str, float] = field(default_factory=dict)
	profit: float = 0.0


def late_payment_cost(
	amount: float, due_on: date, settled_on: date | None, as_of: date, annual_rate_percent: float
) -> float:
	"""The cost of `amount` paid late: amount * days past `due_on` * annual rate / 365. Unsettled amounts
	are late until `as_of`; a due date still ahead, an early payment or a non-positive amount cost nothing."""
	rate = finite_number(annual_rate_percent, Message(LATE_PAYMENT_RATE)) / 100
	return _late_cost(amount, due_on, settled_on, as_of, rate)


def _late_cost(amount: float, due_on: date, settled_on: date | None, as_of: date, rate: float) -> float:
	if amount <= 0:
		return 0.0
	end = settled_on if settled_on and settled_on < as_of else as_of
	days_late = (end - due_on).days
	return amount * days_late * rate / DAYS_PER_YEAR if days_late > 0 else 0.0


def late_payment_costs(
	rows: Iterable[tuple[str, float, date, date | None]], as_of: date, annual_rate_percent: float
) -> dict[str, float]:
	"""Per customer, the summed cost of rows (customer, amount, due_on, settled_on or None)."""
	rate = finite_number(annual_rate_percent, Message(LATE_PAYMENT_RATE)) / 100
	costs: dict[str, float] = defaultdict(float)
	for customer, amount, due_on, settled_on in rows:
		costs[customer] += _late_cost(amount, due_on, settled_on, as_of, rate)
	return dict(costs)


def acquisition_costs(campaign_costs: Mapping[str, float], brought_by: Mapping[str, str]) -> dict[str, float]:
	"""Each campaign's cost shared equally over the customers it brought (`brought_by`: customer ->
	campaign). A campaign that brought nobody charges nobody; a customer no campaign brought costs 0."""
	brought: dict[str, list[str]] = defaultdict(list)
	for customer, campaign in brought_by.items():
		if campaign:
			brought[campaign].append(customer)
	costs: dict[str, float] = {}
	for campaign, customers in brought.items():
		cost = finite_number(
			campaign_costs.get(campaign) or 0, Message(_lt("The cost of campaign {0}"), campaign)
		)
		for customer in customers:
			costs[customer] = cost / len(customers)
	return costs


def contributions(figures: CustomerFigures, weights: Weights, hour_rate: float) -> dict[str, float]:
	"""Signed, weighted contribution of each factor."""
	rate = finite_number(hour_rate, Message(SUPPORT_HOUR_RATE))
	return _contributions(figures, weights, rate)


def _contributions(figures: CustomerFigures, weights: Weights, hour_rate: float) -> dict[str, float]:
	raw = (
		figures.revenue,
		figures.cost_of_goods,
		figures.acquisition,
		figures.support_hours * hour_rate,
		figures.late_payment,
	)
	if not all(isinstance(value, int | float) and math.isfinite(value) for value in raw):
		for factor, value in zip(FACTORS, raw, strict=True):
			finite_number(value, Message(AMOUNT_LABELS[factor], figures.customer), allow_negative=True)
	if figures.support_hours < 0:
		raise ProfitabilityError(_lt("The support hours of {0} cannot be negative."), figures.customer)
	# `+ 0.0` turns the -0.0 of a zero weight or amount into 0.0.
	return {
		"revenue": weights.revenue * raw[0] + 0.0,
		"cost_of_goods": -weights.cost_of_goods * raw[1] + 0.0,
		"acquisition": -weights.acquisition * raw[2] + 0.0,
		"support": -weights.support * raw[3] + 0.0,
		"late_payment": -weights.late_payment * raw[4] + 0.0,
	}


def rank(
	figures: Iterable[CustomerFigures], weights: Weights, hour_rate: float = 0.0
) -> list[RankedCustomer]:
	"""Customers by weighted profit, most profitable first. Equal profits share a rank (1, 2, 2, 4) and are
	listed by customer name, so the order never depends on the input's."""
	rate = finite_number(hour_rate, Message(SUPPORT_HOUR_RATE))
	scored = []
	for row in figures:
		parts = _contributions(row, weights, rate)
		# Rounded to cents before comparing: a float sum's last bits must not split a tie.
		scored.append((round(sum(parts.values()), 2), row.customer, parts))
	scored.sort(key=lambda item: (-item[0], item[1]))
	ranked, previous, previous_rank = [], None, 0
	for position, (profit, customer, parts) in enumerate(scored, start=1):
		current_rank = previous_rank if profit == previous else position
		ranked.append(RankedCustomer(current_rank, customer, parts, profit))
		previous, previous_rank = profit, current_rank
	return ranked


def settled_pieces(
	amount: float, settlements: Iterable[tuple[date, float]]
) -> list[tuple[float, date | None]]:
	"""An invoice's `amount` split by its settlements (date, amount settled), taken in date order: the
	part each settled and when, then what is still open (date None). Settlements beyond the amount (an
	overpayment, a larger credit note) settle nothing more; a non-positive amount leaves nothing to split."""
	pieces: list[tuple[float, date | None]] = []
	left = amount
	for settled_on, settled in sorted(settlements, key=lambda item: item[0]):
		if left <= 0:
			break
		if settled <= 0:
			continue
		part = min(settled, left)
		pieces.append((part, settled_on))
		left -= part
	if left > 0.005:  # half a cent: a rounding remainder is not an open amount
		pieces.append((left, None))
	return pieces
