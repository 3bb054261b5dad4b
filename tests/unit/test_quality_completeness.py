from datetime import date

import pytest

from crm_app.core.quality.completeness import (
	Completeness,
	CompletenessRuleError,
	Rule,
	fields_used,
	is_missing,
	parse_rules,
	score,
	split_fields,
)

LEAD_FIELDS = ("email", "mobile_no", "phone", "organization_name", "source", "city", "annual_revenue")
RULES = [Rule(("email",), 3), Rule(("mobile_no", "phone"), 3), Rule(("organization_name",), 2)]


def test_a_record_with_everything_is_complete():
	values = {"email": "a@b.pl", "mobile_no": "+48500100200", "organization_name": "Acme"}
	assert score(values, RULES) == Completeness(100, ())


def test_missing_rules_cost_their_weight_and_are_named_in_order():
	result = score({"organization_name": "Acme"}, RULES)
	assert result.percent == 25  # 2 of 8
	assert result.missing == (RULES[0], RULES[1])


def test_any_of_several_fields_meets_the_rule():
	assert (
		score({"email": "a@b.pl", "phone": "+48221234567", "organization_name": "Acme"}, RULES).percent == 100
	)
	assert score({"email": "a@b.pl", "organization_name": "Acme"}, RULES).missing == (RULES[1],)


def test_the_percentage_is_rounded_down_so_only_a_complete_record_reads_100():
	rules = [Rule(("email",), 1), Rule(("city",), 1), Rule(("source",), 1)]
	assert score({"email": "x", "city": "y"}, rules).percent == 66
	many = [Rule((f"f{i}",), 1) for i in range(300)]
	assert score({f"f{i}": "x" for i in range(299)}, many).percent == 99


def test_blank_strings_zero_numbers_and_empty_lists_are_missing():
	for value in (None, "", "   ", "\t\n", 0, 0.0, [], (), {}):
		assert is_missing(value), repr(value)
	for value in ("x", 1, -2.5, ["row"], date(2026, 1, 1)):
		assert not is_missing(value), repr(value)


def test_no_rules_means_complete():
	assert score({}, []) == Completeness(100, ())


def test_values_may_be_any_object_with_get():
	class Doc:
		def get(self, key):
			return {"email": "a@b.pl"}.get(key)

	assert score(Doc(), [Rule(("email",), 1), Rule(("city",), 1)]).percent == 50


def test_rows_become_rules_with_their_alternatives():
	rows = [
		{"fieldname": "email", "weight": 3},
		{"fieldname": "mobile_no", "alternatives": "phone, email", "weight": "2"},
		{"fieldname": " city ", "alternatives": "", "weight": 1.0},
	]
	assert parse_rules(rows, LEAD_FIELDS) == [
		Rule(("email",), 3),
		Rule(("mobile_no", "phone", "email"), 2),
		Rule(("city",), 1),
	]


def test_alternatives_may_be_separated_by_spaces_or_or():
	assert split_fields("mobile_no or phone,  email;city") == ["mobile_no", "phone", "email", "city"]
	assert split_fields(None) == []


def test_an_unknown_field_is_refused_with_the_closest_one():
	with pytest.raises(CompletenessRuleError) as error:
		parse_rules([{"fieldname": "email", "weight": 1}, {"fieldname": "emial", "weight": 1}], LEAD_FIELDS)
	assert (error.value.reason, error.value.row, error.value.detail) == ("unknown_field", 2, "emial")
	assert error.value.suggestion == "email"


def test_an_unknown_alternative_is_refused_too():
	with pytest.raises(CompletenessRuleError) as error:
		parse_rules([{"fieldname": "email", "alternatives": "fax", "weight": 1}], LEAD_FIELDS)
	assert (error.value.reason, error.value.detail, error.value.suggestion) == ("unknown_field", "fax", "")


@pytest.mark.parametrize("weight", [0, -1, None, "", "abc", 1.5])
def test_the_weight_must_be_a_whole_number_above_zero(weight):
	with pytest.raises(CompletenessRuleError) as error:
		parse_rules([{"fieldname": "email", "weight": weight}], LEAD_FIELDS)
	assert error.value.reason == "weight_not_positive"


def test_a_rule_needs_a_field():
	with pytest.raises(CompletenessRuleError) as error:
		parse_rules([{"fieldname": "  ", "weight": 1}], LEAD_FIELDS)
	assert error.value.reason == "field_missing"


def test_the_same_fields_twice_are_refused():
	rows = [
		{"fieldname": "mobile_no", "alternatives": "phone", "weight": 1},
		{"fieldname": "phone", "alternatives": "mobile_no", "weight": 2},
	]
	with pytest.raises(CompletenessRuleError) as error:
		parse_rules(rows, LEAD_FIELDS)
	assert (error.value.reason, error.value.row, error.value.suggestion) == ("duplicate_rule", 2, "1")


def test_lenient_parsing_drops_what_no_longer_exists_instead_of_failing():
	rows = [
		{"fieldname": "fax", "weight": 5},
		{"fieldname": "mobile_no", "alternatives": "pager", "weight": 2},
		{"fieldname": "email", "weight": 0},
	]
	assert parse_rules(rows, LEAD_FIELDS, strict=False) == [Rule(("mobile_no",), 2)]


def test_fields_used_lists_every_field_once():
	assert fields_used([*RULES, Rule(("email",), 1)]) == ["email", "mobile_no", "organization_name", "phone"]
