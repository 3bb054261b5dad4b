from datetime import date, datetime

import pytest

from crm_app.core import scoring

FIELDS = {
	"industry": ("Link", "Industry"),
	"status": ("Select", "Status"),
	"email": ("Data", "Email"),
	"annual_revenue": ("Currency", "Annual Revenue"),
	"email_opt_out": ("Check", "Email Opt Out"),
	"city": ("Data", "City"),
}


def compile_one(**row):
	return scoring.compile_criteria([row], FIELDS)


def test_field_equals_is_case_insensitive_and_labelled():
	criteria = compile_one(fieldname="industry", operator="equals", value="Manufacturing", points=20)
	result = scoring.score(criteria, {"industry": "manufacturing"})
	assert result.total == 20
	assert result.lines == ((20, "Industry is Manufacturing"),)


def test_labels_are_built_for_each_reader_from_one_compilation():
	criteria = scoring.compile_criteria(
		[
			{"fieldname": "industry", "operator": "equals", "value": "Retail", "points": 5},
			{"criterion_type": "No Contact", "within_days": 30, "points": -10},
		],
		FIELDS,
	)
	german = {"Industry": "Branche", "is": "ist", "no contact for {0} days": "kein Kontakt seit {0} Tagen"}
	lead = {"industry": "Retail"}
	assert scoring.score(criteria, lead, {}, 40).lines == (
		(5, "Industry is Retail"),
		(-10, "no contact for 30 days"),
	)
	assert scoring.score(criteria, lead, {}, 40, translate=lambda t: german.get(t, t)).lines == (
		(5, "Branche ist Retail"),
		(-10, "kein Kontakt seit 30 Tagen"),
	)


def test_breakdown_lists_each_applied_criterion_with_sign():
	criteria = scoring.compile_criteria(
		[
			{"fieldname": "industry", "operator": "equals", "value": "Manufacturing", "points": 20},
			{"criterion_type": "No Contact", "within_days": 30, "points": -10},
			{"fieldname": "city", "operator": "equals", "value": "Paris", "points": 5},
		],
		FIELDS,
	)
	result = scoring.score(criteria, {"industry": "Manufacturing", "city": "Lyon"}, {}, days_since_contact=31)
	assert result.total == 10
	assert result.lines == ((20, "Industry is Manufacturing"), (-10, "no contact for 30 days"))


@pytest.mark.parametrize(
	"operator,value,lead,expected",
	[
		("in", "Retail, Healthcare", {"industry": "healthcare"}, True),
		("in", "Retail, Healthcare", {"industry": "Education"}, False),
		("not in", "Retail", {"industry": "Education"}, True),
		("not in", "Retail", {"industry": None}, True),
		("not equals", "Retail", {"industry": "Retail"}, False),
		("contains", "example", {"email": "a@EXAMPLE.com"}, True),
		("is set", "", {"email": "a@b.c"}, True),
		("is set", "", {"email": ""}, False),
		("is not set", "", {"email": None}, True),
	],
)
def test_text_operators(operator, value, lead, expected):
	field = "email" if "email" in lead else "industry"
	criteria = compile_one(fieldname=field, operator=operator, value=value, points=7)
	assert (scoring.total(criteria, lead) == 7) is expected


def test_numeric_operators_compare_numbers():
	more = compile_one(fieldname="annual_revenue", operator="greater than", value="1000000", points=15)
	less = compile_one(fieldname="annual_revenue", operator="less than", value="10", points=-5)
	assert scoring.total(more, {"annual_revenue": 2_000_000}) == 15
	assert scoring.total(more, {"annual_revenue": 999}) == 0
	assert scoring.total(more, {"annual_revenue": None}) == 0
	assert scoring.total(less, {"annual_revenue": 5}) == -5


def test_check_field_is_set_means_ticked():
	criteria = compile_one(fieldname="email_opt_out", operator="is set", points=-30)
	assert scoring.total(criteria, {"email_opt_out": 1}) == -30
	assert scoring.total(criteria, {"email_opt_out": 0}) == 0


def test_activity_counts_per_window():
	criteria = compile_one(criterion_type="Activity", activity="Call", min_count=2, within_days=30, points=10)
	assert scoring.activity_windows(criteria) == {("Call", 30)}
	assert scoring.total(criteria, {}, {("Call", 30): 2}) == 10
	assert scoring.total(criteria, {}, {("Call", 30): 1}) == 0
	assert criteria[0].label == "2+ calls in the last 30 days"


def test_disabled_rows_are_skipped():
	criteria = compile_one(fieldname="nope", operator="equals", value="x", points=1, enabled=0)
	assert criteria == []


@pytest.mark.parametrize(
	"row,reason",
	[
		({"fieldname": "shoe_size", "operator": "equals", "value": "9", "points": 1}, "unknown_field"),
		(
			{"fieldname": "annual_revenue", "operator": "greater than", "value": "lots", "points": 1},
			"value_not_numeric",
		),
		({"fieldname": "city", "operator": "greater than", "value": "3", "points": 1}, "field_not_numeric"),
		({"fieldname": "city", "operator": "in", "value": " , ", "points": 1}, "value_missing"),
		({"fieldname": "city", "operator": "equals", "value": "x", "points": "ten"}, "points_not_integer"),
		({"criterion_type": "Activity", "activity": "Fax", "points": 1}, "unknown_activity"),
		({"criterion_type": "No Contact", "within_days": 0, "points": -5}, "days_required"),
	],
)
def test_bad_criteria_are_refused_with_a_reason(row, reason):
	with pytest.raises(scoring.ScoringRuleError) as caught:
		scoring.compile_criteria([row], FIELDS)
	assert caught.value.reason == reason
	assert caught.value.row == 1


def test_bands():
	assert scoring.band(50, 50, 20) == scoring.HOT
	assert scoring.band(49, 50, 20) == scoring.WARM
	assert scoring.band(19, 50, 20) == scoring.COLD


def test_rescore_rows_groups_only_changed_leads():
	criteria = scoring.compile_criteria(
		[
			{"fieldname": "industry", "operator": "equals", "value": "Retail", "points": 30},
			{"criterion_type": "Activity", "activity": "Email", "within_days": 0, "points": 25},
			{"criterion_type": "No Contact", "within_days": 10, "points": -5},
		],
		FIELDS,
	)
	columns = ["name", "lead_score", "score_band", "last_contacted_on", "creation", "industry"]
	rows = [
		("L1", 0, None, None, datetime(2026, 1, 1), "Retail"),  # 30 - 5 = 25, Warm
		("L2", 55, "Hot", datetime(2026, 1, 30, 9), datetime(2026, 1, 1), "Retail"),  # 30 + 25 unchanged
		("L3", 0, "Cold", None, datetime(2026, 1, 30), "Other"),  # 0, unchanged
	]
	counts = {("Email", 0): {"L2": 3}}
	groups = scoring.rescore_rows(columns, rows, criteria, counts, 50, 20, date(2026, 2, 1))
	assert groups == {(25, "Warm"): ["L1"]}
