import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_app.core.marketing import triggers
from crm_app.core.marketing.triggers import (
	COUPON,
	EMAIL,
	NOTIFY,
	SEGMENT,
	TASK,
	ActionSetup,
	ActionSetupError,
	Fired,
	check_action,
	condition_hash,
	format_done,
	parse_done,
	plan_actions,
)

RULES = [
	["CX Customer", "lifetime_value", ">", 5000],
	["CX Customer", "territory", "=", "Europe"],
]


def test_hash_is_stable_over_order_whitespace_and_number_spelling():
	shuffled = [
		["CX Customer", " territory ", "=", "Europe "],
		["CX Customer", "lifetime_value", " > ", "5000.0"],
	]
	assert condition_hash(RULES) == condition_hash(shuffled)
	assert len(condition_hash(RULES)) == 40


def test_hash_changes_with_the_condition():
	assert condition_hash(RULES) != condition_hash([RULES[0]])
	assert condition_hash([["CX Customer", "lifetime_value", ">", 5000]]) != condition_hash(
		[["CX Customer", "lifetime_value", ">", 6000]]
	)
	assert condition_hash([["CX Customer", "lifetime_value", ">", 5000]]) != condition_hash(
		[["CX Customer", "lifetime_value", ">=", 5000]]
	)


def test_hash_of_dict_values_ignores_key_order():
	one = [["CX Lead", "x", "between", {"a": 1, "b": 2}]]
	two = [["CX Lead", "x", "between", {"b": 2, "a": 1}]]
	assert condition_hash(one) == condition_hash(two)


def test_text_that_is_not_a_number_stays_text():
	assert condition_hash([["CX Lead", "city", "=", "nan"]]) != condition_hash(
		[["CX Lead", "city", "=", "NaN "]]
	)
	assert triggers.canonical_rules([["CX Lead", "city", "=", " Paris "]]) == [["city", "=", "Paris"]]


THREE = [*RULES, ["CX Customer", "customer_type", "=", "Company"]]


@given(st.permutations(THREE))
def test_hash_ignores_rule_order(rules):
	assert condition_hash(rules) == condition_hash(THREE)


def test_empty_condition_has_a_hash():
	assert condition_hash([]) == condition_hash(())


@pytest.mark.parametrize(
	"action, record_type, erpnext, code",
	[
		(ActionSetup(NOTIFY), "CX Lead", False, "no_recipient"),
		(ActionSetup(TASK), "CX Lead", False, "no_assignee"),
		(ActionSetup(TASK, assign_to="User"), "CX Lead", False, "no_assignee"),
		(ActionSetup(EMAIL), "CX Lead", False, "no_template"),
		(ActionSetup(EMAIL, email_template="T"), "CX Opportunity", False, "no_email_field"),
		(ActionSetup(SEGMENT), "CX Lead", False, "no_segment"),
		(ActionSetup(COUPON, pricing_rule="PR"), "CX Customer", False, "needs_erpnext"),
		(ActionSetup(COUPON), "CX Customer", True, "no_pricing_rule"),
		(ActionSetup(COUPON, pricing_rule="PR"), "CX Lead", True, "no_customer"),
		(ActionSetup("Dance"), "CX Lead", False, "unknown_action"),
	],
)
def test_actions_that_cannot_run_are_refused(action, record_type, erpnext, code):
	with pytest.raises(ActionSetupError) as raised:
		check_action(action, record_type, erpnext)
	assert raised.value.code == code


@pytest.mark.parametrize(
	"action, record_type, erpnext",
	[
		(ActionSetup(NOTIFY, notify_role="Sales Manager"), "CX Issue", False),
		(ActionSetup(NOTIFY, notify_record_owner=True), "CX Opportunity", False),
		(ActionSetup(TASK, assign_to="Record Owner"), "CX Issue", False),
		(ActionSetup(TASK, assign_to="User", task_user="a@example.com"), "CX Lead", False),
		(ActionSetup(EMAIL, email_template="T"), "CX Issue", False),
		(ActionSetup(SEGMENT, segment="S"), "CX Opportunity", False),
		(ActionSetup(COUPON, pricing_rule="PR"), "CX Issue", True),
	],
)
def test_actions_that_can_run_pass(action, record_type, erpnext):
	check_action(action, record_type, erpnext)


def test_plan_runs_each_action_for_the_rows_it_has_not_done():
	rows = [Fired(1, "A"), Fired(2, "B", frozenset({"a1"})), Fired(3, "C", frozenset({"a1", "a2"}))]
	steps = plan_actions(["a1", "a2"], rows)
	assert [(step.action_key, [row.log_id for row in step.rows]) for step in steps] == [
		("a1", [1]),
		("a2", [1, 2]),
	]


def test_plan_of_finished_rows_is_empty():
	assert plan_actions(["a1"], [Fired(1, "A", frozenset({"a1"}))]) == []
	assert plan_actions([], [Fired(1, "A")]) == []


def test_done_round_trips():
	assert parse_done(format_done(["b", "a", "a"])) == frozenset({"a", "b"})
	assert parse_done(None) == frozenset()
	assert parse_done("") == frozenset()


def test_batches():
	assert triggers.batches([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
	with pytest.raises(ValueError):
		triggers.batches([1], 0)
