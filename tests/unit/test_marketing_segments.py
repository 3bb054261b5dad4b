"""The checks of one segment or trigger rule (crm_app.core.marketing.rules), without a site."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_app.core.marketing import rules
from crm_app.core.marketing.rules import Rule, RuleError, check_rule, parse_rule

AGE_BANDS = "\n18-24\n25-34\n35-44"


def check(fieldtype, operator, value, options=None, field="f"):
	return check_rule(Rule("CX Lead", field, operator, value), fieldtype, options).value


def refused(fieldtype, operator, value, options=None, field="f") -> RuleError:
	with pytest.raises(RuleError) as caught:
		check_rule(Rule("CX Lead", field, operator, value), fieldtype, options)
	assert caught.value.field == field
	assert field in str(caught.value)
	return caught.value


# Reading a rule
# --------------


def test_parse_four_and_three_element_rules():
	assert parse_rule(["CX Lead", "status", "=", "New"], "CX Lead") == Rule("CX Lead", "status", "=", "New")
	assert parse_rule(["status", "Between", ["a", "b"]], "CX Lead").operator == "between"
	assert parse_rule([None, "status", "", "New"], "CX Lead").operator == "="


@pytest.mark.parametrize(
	"raw, reason",
	[
		("status", "shape"),
		(["CX Lead", "status"], "shape"),
		(["CX Lead", "", "=", 1], "no_field"),
		(["Contact", "gender", "=", "Female"], "other_doctype"),
		(["CX Lead", "status", 3, "New"], "unknown_operator"),
	],
)
def test_parse_refuses_malformed_rules(raw, reason):
	with pytest.raises(RuleError) as caught:
		parse_rule(raw, "CX Lead")
	assert caught.value.reason == reason


# Operators
# ---------


def test_unknown_operator_is_refused():
	error = refused("Data", "~", "x")
	assert error.reason == "unknown_operator"


@pytest.mark.parametrize(
	"fieldtype, operator",
	[
		("Select", "like"),
		("Select", ">"),
		("Check", ">"),
		("Int", "like"),
		("Int", "between"),  # frappe.get_list cannot read it on a number
		("Date", "like"),
		("Data", "timespan"),
		("Data", "descendants of"),
	],
)
def test_operator_must_fit_the_field_type(fieldtype, operator):
	assert refused(fieldtype, operator, "1").reason == "operator_not_for_type"


def test_layout_fields_cannot_be_used():
	assert refused("HTML", "=", "x").reason == "unusable_field"


# Values of the right type
# ------------------------


def test_numbers_are_parsed():
	assert check("Int", ">=", "10") == 10
	assert check("Int", "=", 7.0) == 7
	assert check("Currency", ">", "1250.50") == 1250.5
	assert check("Check", "=", "1") == 1
	assert check("Int", "in", "1, 2,3") == [1, 2, 3]


@pytest.mark.parametrize(
	"fieldtype, value, reason",
	[
		("Int", "abc", "not_whole"),
		("Int", "1.5", "not_whole"),
		("Float", "abc", "not_number"),
		("Float", "nan", "not_number"),
		("Currency", True, "not_number"),
		("Check", 2, "not_check"),
	],
)
def test_numbers_of_the_wrong_type_are_refused(fieldtype, value, reason):
	assert refused(fieldtype, "=", value).reason == reason


def test_dates_are_parsed():
	assert check("Date", "<", "2026-02-28") == "2026-02-28"
	assert check("Date", ">=", datetime.date(2026, 1, 2)) == "2026-01-02"
	assert check("Date", "=", "2026-01-02 10:00:00") == "2026-01-02"
	assert check("Datetime", ">", "2026-01-02 10:00") == "2026-01-02 10:00:00"
	assert check("Datetime", "<", "2026-01-02") == "2026-01-02"  # a bare date stays a date


@pytest.mark.parametrize("value", ["not a date", "2026-02-30", "02/03/2026", "2026-1-2", 20260102])
def test_dates_of_the_wrong_shape_are_refused(value):
	assert refused("Date", "=", value).reason == "not_date"


def test_datetime_of_the_wrong_shape_is_refused():
	assert refused("Datetime", ">", "yesterday").reason == "not_datetime"


def test_select_values_must_be_options():
	assert check("Select", "=", "25-34", AGE_BANDS) == "25-34"
	assert check("Select", "in", ["18-24", "35-44"], AGE_BANDS) == ["18-24", "35-44"]
	assert check("Select", "=", "", AGE_BANDS) == ""  # the blank option: not set
	error = refused("Select", "=", "99+", AGE_BANDS)
	assert error.reason == "not_option" and "25-34" in str(error)
	assert refused("Select", "in", ["18-24", "99+"], AGE_BANDS).reason == "not_option"


def test_numbers_and_dates_need_a_value_text_may_be_empty():
	assert refused("Int", "=", "").reason == "value_needed"
	assert refused("Date", "!=", None).reason == "value_needed"
	assert refused("Int", "in", ["1", ""]).reason == "value_needed"
	assert check("Data", "=", "") == ""  # "not set", as frappe.get_list reads it


def test_text_values():
	assert check("Data", "like", "%Ada%") == "%Ada%"
	assert check("Link", "=", 12) == "12"
	assert refused("Data", "like", "").reason == "text_to_match"
	assert refused("Data", "=", {"a": 1}).reason == "one_value"
	assert refused("Data", "=", True).reason == "not_text"


# Between, in, is, timespan
# -------------------------


def test_between_needs_two_values_in_order():
	assert check("Date", "between", ["2026-01-01", "2026-01-31"]) == ["2026-01-01", "2026-01-31"]
	assert refused("Date", "between", ["2026-01-01"]).reason == "between_two"
	assert refused("Date", "between", "2026-01-01").reason == "between_two"
	assert refused("Date", "between", ["2026-01-01", ""]).reason == "between_two"
	assert refused("Date", "between", ["2026-02-01", "2026-01-01"]).reason == "between_backwards"
	assert refused("Date", "between", ["2026-01-01", "soon"]).reason == "not_date"


def test_in_needs_at_least_one_value():
	assert refused("Data", "in", []).reason == "list_needed"
	assert refused("Data", "not in", ",").reason == "list_needed"
	assert refused("Data", "in", 5).reason == "list_needed"
	assert check("Data", "in", "a, b") == ["a", "b"]


def test_is_takes_set_or_not_set():
	assert check("Date", "is", "set") == "set"
	assert check("Int", "is", "not set") == "not set"
	assert refused("Data", "is", "empty").reason == "is_value"


def test_timespan_and_periods():
	assert check("Date", "timespan", "Last 30 Days") == "last 30 days"
	assert refused("Date", "timespan", "").reason == "timespan_needed"
	assert check("Datetime", "previous", "1 week") == "1 week"
	assert refused("Date", "next", "2 weeks").reason == "period_value"


def test_nested_set_operators_need_a_record():
	assert check("Link", "descendants of (inclusive)", "Europe") == "Europe"
	assert refused("Link", "descendants of", "").reason == "record_needed"


def test_every_message_names_its_field():
	for reason, template in rules.MESSAGES.items():
		if reason in ("shape", "no_field"):
			continue
		assert "{field}" in template, reason


# Properties
# ----------


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_any_whole_number_text_is_an_int(number):
	assert check("Int", ">", str(number)) == number


@given(st.text())
def test_int_check_either_parses_or_refuses_with_the_field(text):
	try:
		value = check("Int", "=", text)
	except RuleError as error:
		assert error.field == "f"
	else:
		assert isinstance(value, int)


@given(st.dates())
def test_any_date_round_trips(date):
	assert check("Date", "=", date.isoformat()) == date.isoformat()
