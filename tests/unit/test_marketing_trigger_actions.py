"""Triggers, continued (no site): the Apply Pricing Rule action's setup and rule names, the cart-left
condition, and which log rows a run retries."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_app.core.marketing.triggers import (
	CART_LEFT_RULE,
	MAX_ATTEMPTS,
	MAX_CART_HOURS,
	PRICING,
	ActionSetup,
	ActionSetupError,
	ConditionSetupError,
	check_action,
	check_cart_condition,
	condition_hash,
	firing_rules,
	merge_notes,
	pricing_rule_name,
	retryable,
)

RULES = [["CX Customer", "lifetime_value", ">", 5000]]


@pytest.mark.parametrize(
	"action, record_type, erpnext, code",
	[
		(ActionSetup(PRICING, pricing_rule="PR"), "CX Customer", False, "needs_erpnext"),
		(ActionSetup(PRICING), "CX Customer", True, "no_pricing_rule"),
		(ActionSetup(PRICING, pricing_rule="PR"), "CX Lead", True, "no_customer"),
	],
)
def test_a_pricing_rule_action_that_cannot_run_is_refused(action, record_type, erpnext, code):
	with pytest.raises(ActionSetupError) as raised:
		check_action(action, record_type, erpnext)
	assert raised.value.code == code


@pytest.mark.parametrize("record_type", ["CX Customer", "CX Opportunity", "CX Issue"])
def test_a_pricing_rule_action_with_a_customer_passes(record_type):
	check_action(ActionSetup(PRICING, pricing_rule="PR"), record_type, True)


def test_the_rule_name_is_stable_and_tells_records_apart():
	name = pricing_rule_name("Big spenders", "CX Customer", "CUST-1", "PRLE-0001")
	assert name == pricing_rule_name("Big spenders", "CX Customer", "CUST-1", "PRLE-0001")
	assert name.startswith("PRLE-CX-") and len(name) == len("PRLE-CX-") + 12
	others = {
		pricing_rule_name("Big spenders", "CX Customer", "CUST-2", "PRLE-0001"),
		pricing_rule_name("Other trigger", "CX Customer", "CUST-1", "PRLE-0001"),
		pricing_rule_name("Big spenders", "CX Customer", "CUST-1", "PRLE-0002"),
		pricing_rule_name("Big spenders", "CX Opportunity", "CUST-1", "PRLE-0001"),
	}
	assert name not in others and len(others) == 4


def test_no_cart_keeps_the_hash_a_trigger_always_had():
	assert firing_rules(RULES, "CX Customer", 0) == RULES
	assert condition_hash(firing_rules(RULES, "CX Customer", 0)) == condition_hash(RULES)


def test_the_cart_hours_are_part_of_the_condition():
	day, two_days = firing_rules(RULES, "CX Customer", 24), firing_rules(RULES, "CX Customer", 48)
	assert day[-1] == ["CX Customer", CART_LEFT_RULE, ">=", 24]
	assert len({condition_hash(RULES), condition_hash(day), condition_hash(two_days)}) == 3


@pytest.mark.parametrize("hours", [None, "", 0, "0"])
def test_no_cart_condition_is_fine_anywhere(hours):
	assert check_cart_condition("CX Lead", hours, erpnext=False) == 0


@pytest.mark.parametrize(
	"record_type, hours, erpnext, code",
	[
		("CX Customer", 24, False, "needs_erpnext"),
		("CX Lead", 24, True, "customers_only"),
		("CX Customer", -1, True, "cart_hours"),
		("CX Customer", MAX_CART_HOURS + 1, True, "cart_hours"),
		("CX Customer", "a day", True, "cart_hours"),
		("CX Customer", True, True, "cart_hours"),
	],
)
def test_a_cart_condition_that_cannot_apply_is_refused(record_type, hours, erpnext, code):
	with pytest.raises(ConditionSetupError) as raised:
		check_cart_condition(record_type, hours, erpnext)
	assert raised.value.code == code


def test_cart_hours_as_text_are_read():
	assert check_cart_condition("CX Customer", " 36 ", True) == 36


@given(st.integers(min_value=0, max_value=10))
def test_pending_rows_are_always_acted_on_failed_ones_until_the_limit(attempts):
	assert retryable("Pending", attempts)
	assert retryable("Failed", attempts) == (attempts < MAX_ATTEMPTS)
	assert not retryable("Done", attempts)


def test_a_retry_keeps_the_earlier_notes():
	assert merge_notes(None, []) == ""
	assert merge_notes("Coupon Code C1", ["Pricing Rule P1"]) == "Coupon Code C1\nPricing Rule P1"
	assert merge_notes("Coupon Code C1", ["Coupon Code C1"]) == "Coupon Code C1"
	assert merge_notes("", ["", "x"]) == "x"
