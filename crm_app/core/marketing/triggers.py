"""Triggers that act: the identity of a condition, what each action needs, and which actions are still
to run for which fired records. Nothing here imports Frappe.

A trigger fires once per record and condition: the log keys each firing by the condition's hash, so an
edited condition is a new condition (its matches fire again) while re-running the same one never does.
The hash is taken over the normalised rules, so the order of the rules, of keys in a dict and stray
whitespace do not change it.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

NOTIFY, TASK, EMAIL, SEGMENT, COUPON, PRICING = (
	"Notify",
	"Create Task",
	"Send Email Template",
	"Add to Segment",
	"Create Coupon Code",
	"Apply Pricing Rule",
)
ACTION_TYPES = (NOTIFY, TASK, EMAIL, SEGMENT, COUPON, PRICING)
ERPNEXT_ACTIONS = (COUPON, PRICING)
RECORD_TYPES = ("CX Customer", "CX Lead", "CX Opportunity", "CX Issue")
# Where each record type keeps what an action needs.
EMAIL_FIELD = {"CX Lead": "email", "CX Customer": "email_id", "CX Issue": "raised_by"}
OWNER_FIELD = {
	"CX Lead": "lead_owner",
	"CX Customer": "account_manager",
	"CX Opportunity": "opportunity_owner",
	"CX Issue": "agent",
}
# Segment members and coupon holders are customers or leads: deals and tickets act on their customer.
CUSTOMER_FIELD = {"CX Opportunity": "customer", "CX Issue": "customer"}
SEGMENT_MEMBER_TYPES = ("CX Lead", "CX Customer")
RECORD_OWNER, CHOSEN_USER = "Record Owner", "User"
# A log row whose actions failed is tried again by the next runs until it has been tried this often.
MAX_ATTEMPTS = 3
# The "cart left" condition (ERPNext): not a field of the record, so it joins the hashed rules as this
# pseudo-rule; a trigger without it keeps the hash it always had.
CART_LEFT_RULE = "cart_left_hours"
MAX_CART_HOURS = 24 * 365


class TriggerError(ValueError):
	"""Base of this module's errors; `code` names the problem for the shell's translated message."""

	def __init__(self, code: str, message: str):
		super().__init__(message)
		self.code = code


class ActionSetupError(TriggerError):
	pass


class ConditionSetupError(TriggerError):
	pass


# -- the condition's identity ------------------------------------------------------------------------


def canonical_rules(rules: Iterable[Sequence[Any]]) -> list[list]:
	"""The rules as sorted `[fieldname, operator, value]` lists, whitespace trimmed, numbers as numbers.

	The doctype of each rule is left out: a trigger's rules are all on its own record type."""
	canonical = [[_text(rule[1]), _text(rule[2]).lower(), _value(rule[3])] for rule in rules]
	return sorted(canonical, key=lambda rule: json.dumps(rule, sort_keys=True, default=str))


def condition_hash(rules: Iterable[Sequence[Any]]) -> str:
	"""A stable 40-character hash of the rules (AND-combined, so their order does not count)."""
	text = json.dumps(canonical_rules(rules), sort_keys=True, separators=(",", ":"), default=str)
	return hashlib.sha1(text.encode()).hexdigest()  # an identity, not a secret


def firing_rules(rules: Sequence[Sequence[Any]], record_type: str, cart_left_hours: int = 0) -> list:
	"""The rules a firing is keyed by: the condition's rules, and the cart-left hours when set."""
	if not cart_left_hours:
		return list(rules)
	return [*rules, [record_type, CART_LEFT_RULE, ">=", int(cart_left_hours)]]


def check_cart_condition(record_type: str, cart_left_hours: Any, erpnext: bool) -> int:
	"""The cart-left hours as a whole number (0: no such condition), or ConditionSetupError."""
	if cart_left_hours in (None, "", 0, "0"):
		return 0
	if isinstance(cart_left_hours, bool):
		raise ConditionSetupError("cart_hours", "Cart hours must be a whole number")
	try:
		hours = int(str(cart_left_hours).strip())
	except ValueError:
		raise ConditionSetupError("cart_hours", "Cart hours must be a whole number") from None
	if not 0 <= hours <= MAX_CART_HOURS:
		raise ConditionSetupError("cart_hours", f"Cart hours must be between 0 and {MAX_CART_HOURS}")
	if hours and not erpnext:
		raise ConditionSetupError("needs_erpnext", "A left cart is an ERPNext Quotation: ERPNext is needed")
	if hours and record_type != "CX Customer":
		raise ConditionSetupError("customers_only", "Only customers have carts")
	return hours


def _text(value: Any) -> str:
	return " ".join(str(value or "").split())


def _value(value: Any) -> Any:
	if isinstance(value, bool):
		return int(value)
	if isinstance(value, float) and value.is_integer():
		return int(value)
	if isinstance(value, str):
		return _number(value.strip())
	if isinstance(value, list | tuple):
		return [_value(item) for item in value]
	if isinstance(value, dict):
		return {str(key).strip(): _value(item) for key, item in value.items()}
	return value


def _number(text: str) -> Any:
	"""'5000', '5000.0' and 5000 are one value; any other text stays text."""
	try:
		number = float(text)
	except ValueError:
		return text
	if text.lower() in ("nan", "inf", "-inf", "infinity", "-infinity"):
		return text
	return int(number) if number.is_integer() else number


# -- what an action needs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionSetup:
	action_type: str
	notify_user: str | None = None
	notify_role: str | None = None
	notify_record_owner: bool = False
	assign_to: str | None = None
	task_user: str | None = None
	email_template: str | None = None
	segment: str | None = None
	pricing_rule: str | None = None


def check_action(action: ActionSetup, record_type: str, erpnext: bool) -> None:
	"""ActionSetupError when `action` cannot run on records of `record_type` (with or without ERPNext)."""
	kind = action.action_type
	if kind not in ACTION_TYPES:
		raise ActionSetupError("unknown_action", f"Unknown action {kind!r}")
	if kind == NOTIFY and not (action.notify_user or action.notify_role or action.notify_record_owner):
		raise ActionSetupError("no_recipient", "A notification needs a user, a role or the record's owner")
	if (
		kind == TASK
		and action.assign_to != RECORD_OWNER
		and not (action.assign_to == CHOSEN_USER and action.task_user)
	):
		raise ActionSetupError("no_assignee", "A task needs an assignee: the record's owner or a user")
	if kind == EMAIL:
		if not action.email_template:
			raise ActionSetupError("no_template", "Sending an email needs an Email Template")
		if record_type not in EMAIL_FIELD:
			raise ActionSetupError("no_email_field", f"{record_type} has no email address to send to")
	if kind == SEGMENT:
		if not action.segment:
			raise ActionSetupError("no_segment", "Adding to a segment needs a segment")
		if record_type not in SEGMENT_MEMBER_TYPES and record_type not in CUSTOMER_FIELD:
			raise ActionSetupError("no_member", f"{record_type} cannot join a segment")
	if kind in ERPNEXT_ACTIONS:
		if not erpnext:
			raise ActionSetupError("needs_erpnext", f"{kind} needs ERPNext")
		if not action.pricing_rule:
			raise ActionSetupError("no_pricing_rule", f"{kind} needs a Pricing Rule")
		if record_type != "CX Customer" and record_type not in CUSTOMER_FIELD:
			raise ActionSetupError("no_customer", f"{record_type} has no customer to give a price to")


# -- which actions are still to run ------------------------------------------------------------------


@dataclass(frozen=True)
class Fired:
	"""A log row: a record the trigger fired for, and the keys of the actions already done for it."""

	log_id: int
	reference_name: str
	done: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Step:
	"""One action to run, in bulk, for these log rows."""

	action_key: str
	rows: tuple[Fired, ...]


def plan_actions(action_keys: Sequence[str], fired: Sequence[Fired]) -> list[Step]:
	"""For each action in its order, the fired rows it has not run for yet (a run killed halfway, then
	resumed, runs only what is left). Actions with nothing left are not planned."""
	steps = []
	for key in action_keys:
		rows = tuple(row for row in fired if key not in row.done)
		if rows:
			steps.append(Step(key, rows))
	return steps


def retryable(status: str, attempts: int, limit: int = MAX_ATTEMPTS) -> bool:
	"""Whether a run acts on a log row: pending, or failed and tried fewer than `limit` times."""
	return status == "Pending" or (status == "Failed" and (attempts or 0) < limit)


def merge_notes(previous: str | None, new: Iterable[str]) -> str:
	"""The log's result after another pass: what earlier passes noted, then this pass's new notes."""
	lines = [line for line in (previous or "").split("\n") if line.strip()]
	lines.extend(note for note in new if note and note not in lines)
	return "\n".join(lines)


def pricing_rule_name(trigger: str, record_type: str, record: str, template: str) -> str:
	"""The name of the Pricing Rule a trigger gives a record from a template: the same on every run, so a
	rerun finds the rule it made instead of making a second one."""
	key = "\n".join((trigger, record_type, record, template))
	return "PRLE-CX-" + hashlib.sha1(key.encode()).hexdigest()[:12].upper()  # an identity, not a secret


def parse_done(text: str | None) -> frozenset[str]:
	return frozenset(part for part in (text or "").split(",") if part.strip())


def format_done(keys: Iterable[str]) -> str:
	return ",".join(sorted(set(keys)))


def batches(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
	if size < 1:
		raise ValueError("batch size must be at least 1")
	return [items[start : start + size] for start in range(0, len(items), size)]
