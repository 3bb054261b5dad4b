"""Campaign touches and which campaign a won deal is credited to (plain Python, no frappe).

A touch is a record's contact with a campaign (crm_app/cx_marketing/results.py writes them). A won deal
is credited, whole, to one campaign: the first touch model picks the earliest touch of the deal's people
before it was won, the last touch model the latest. Bounces and unsubscribes are recorded but never
credited: a bounced email reached nobody, and an unsubscribe is not why anyone bought.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from crm_app.core.errors import CoreError, Message, _lt

CAPTURED = "Captured"
EMAIL_SENT = "Email Sent"
EMAIL_OPENED = "Email Opened"
LINK_CLICKED = "Link Clicked"
REPLIED = "Replied"
UNSUBSCRIBED = "Unsubscribed"
BOUNCED = "Bounced"
TOUCH_TYPES = (CAPTURED, EMAIL_SENT, EMAIL_OPENED, LINK_CLICKED, REPLIED, UNSUBSCRIBED, BOUNCED)
# The touches a campaign's "responses" count: the person acted (came in, clicked, answered).
RESPONSE_TYPES = frozenset({REPLIED, CAPTURED, LINK_CLICKED})
NOT_CREDITED = frozenset({UNSUBSCRIBED, BOUNCED})
CREDITED_TYPES = tuple(kind for kind in TOUCH_TYPES if kind not in NOT_CREDITED)

FIRST_TOUCH, LAST_TOUCH = "First Touch", "Last Touch"
MODELS = (FIRST_TOUCH, LAST_TOUCH)


class AttributionError(CoreError):
	"""An attribution model or touch type that does not exist."""


@dataclass(frozen=True)
class Touch:
	campaign: str
	touched_on: datetime
	touch_type: str = CAPTURED
	# Insertion order of the stored touch (0 for a lead's campaign read as a touch): breaks ties of time.
	sequence: int = 0
	utm_source: str | None = None
	utm_medium: str | None = None


def check_touch_type(touch_type: str) -> str:
	if touch_type not in TOUCH_TYPES:
		raise AttributionError(
			_lt("Unknown touch type {0}: expected one of {1}."),
			repr(touch_type),
			[Message(kind) for kind in TOUCH_TYPES],
		)
	return touch_type


def check_model(model: str) -> str:
	if model not in MODELS:
		raise AttributionError(
			_lt("Unknown attribution model {0}: expected {1} or {2}."),
			repr(model),
			Message(FIRST_TOUCH),
			Message(LAST_TOUCH),
		)
	return model


def _order(touch: Touch) -> tuple:
	# Same moment: the touch stored first came first; the campaign name settles the rest, so that the
	# same touches always credit the same campaign.
	return (touch.touched_on, touch.sequence, touch.campaign)


def credited_touch(touches: Iterable[Touch], won_on: datetime, model: str) -> Touch | None:
	"""The touch a deal won at `won_on` is credited to under `model`: the earliest (First Touch) or the
	latest (Last Touch) creditable touch at or before `won_on`; None when there is none."""
	check_model(model)
	candidates = [t for t in touches if t.touch_type not in NOT_CREDITED and t.touched_on <= won_on]
	if not candidates:
		return None
	return min(candidates, key=_order) if model == FIRST_TOUCH else max(candidates, key=_order)


def credit_deals(
	deals: Iterable[tuple[str, datetime, float]], touches_by_deal: dict[str, list[Touch]], model: str
) -> dict[str, float]:
	"""Won amount credited to each campaign under `model`; deals: (deal, won_on, amount)."""
	check_model(model)
	credited: dict[str, float] = {}
	for deal, won_on, amount in deals:
		touch = credited_touch(touches_by_deal.get(deal, ()), won_on, model)
		if touch is not None:
			credited[touch.campaign] = credited.get(touch.campaign, 0.0) + (amount or 0.0)
	return credited


# -- which changes move the figures ----------------------------------------------------------------------
# A save that moves nothing a campaign counts queues nothing: most saves of leads and deals (a note, a
# follow-up date, a stage) leave every campaign's figures as they are.


@dataclass(frozen=True)
class DealState:
	"""What campaign figures and attribution read of a deal (None for a deal that is not there)."""

	campaign: str | None = None
	won: bool = False
	amount: float = 0.0  # base amount
	closed_on: object = None
	lead: str | None = None
	customer: str | None = None


@dataclass(frozen=True)
class LeadState:
	campaign: str | None = None
	customer: str | None = None


def deal_rollup_campaigns(before: DealState | None, after: DealState | None) -> set[str]:
	"""Campaigns whose counted figures a deal's change moves: both campaigns when the deal comes, goes or
	changes campaign (it is counted); its campaign when it is won or no longer won, or its amount
	changes while won (won count and amount)."""
	if before is None or after is None or before.campaign != after.campaign:
		return {state.campaign for state in (before, after) if state and state.campaign}
	if before.won != after.won or (after.won and before.amount != after.amount):
		return {after.campaign} if after.campaign else set()
	return set()


def deal_moves_attribution(before: DealState | None, after: DealState | None) -> bool:
	"""Attribution credits won deals only: a change matters when the deal is won before or after it, and
	its being won, amount, closing day or people (lead, customer) moved."""
	was_won, is_won = bool(before and before.won), bool(after and after.won)
	if not (was_won or is_won):
		return False
	if was_won != is_won:
		return True
	keys = ("amount", "closed_on", "lead", "customer")
	return any(getattr(before, key) != getattr(after, key) for key in keys)


def lead_rollup_campaigns(before: LeadState | None, after: LeadState | None) -> set[str]:
	"""A lead counts for its campaign (leads, members, responses): both campaigns when it comes, goes or
	changes campaign."""
	if before is None or after is None or before.campaign != after.campaign:
		return {state.campaign for state in (before, after) if state and state.campaign}
	return set()


def lead_moves_attribution(before: LeadState | None, after: LeadState | None) -> bool:
	"""A lead's campaign is a touch of its deals, and its conversion joins its touches to its customer's
	deals: a change of either moves attribution (if any deal of theirs is won, which the shell asks)."""
	if before is None or after is None:
		return any(state and (state.campaign or state.customer) for state in (before, after))
	return before.campaign != after.campaign or before.customer != after.customer
