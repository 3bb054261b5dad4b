"""Customer profitability and loyalty: plain Python, no site."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_app.core.insights.loyalty import (
	CALL_LOGGED,
	DOWN,
	ISSUE_RESOLVED,
	REFERRAL,
	SURVEY_ANSWERED,
	UP,
	LoyaltyError,
	Standing,
	Tier,
	direction,
	parse_actions,
	parse_tiers,
	purchase_points,
	tier_for,
	total_points,
	updates,
)
from crm_app.core.insights.profitability import (
	FACTORS,
	CustomerFigures,
	ProfitabilityError,
	Weights,
	acquisition_costs,
	contributions,
	late_payment_cost,
	late_payment_costs,
	rank,
	settled_pieces,
)

TODAY = date(2026, 6, 30)

# -- weights -------------------------------------------------------------------------------------------


def test_weights_default_to_one_and_accept_numbers_in_text():
	assert Weights() == Weights(1, 1, 1, 1, 1)
	assert Weights.from_settings(
		{"weight_revenue": "2", "weight_support": 0, "weight_acquisition": None}
	) == (Weights(revenue=2, support=0))


@pytest.mark.parametrize("bad", [-0.5, "-1", "abc", None, float("nan"), float("inf"), True, [1]])
def test_a_negative_or_non_numeric_weight_is_refused_with_its_factor_named(bad):
	with pytest.raises(ProfitabilityError, match="weight of late payment"):
		Weights(late_payment=bad)


def test_settings_with_a_bad_weight_are_refused():
	with pytest.raises(ProfitabilityError, match="weight of revenue"):
		Weights.from_settings({"weight_revenue": "lots"})


# -- the factors ---------------------------------------------------------------------------------------


def test_late_payment_costs_amount_times_days_late_times_annual_rate():
	# 3,650 paid 30 days late at 10 % a year: 3,650 * 30 * 0.10 / 365 = 30
	assert late_payment_cost(3650, date(2026, 5, 1), date(2026, 5, 31), TODAY, 10) == pytest.approx(30)
	# still unpaid: late until today (60 days)
	assert late_payment_cost(3650, date(2026, 5, 1), None, TODAY, 10) == pytest.approx(60)


@pytest.mark.parametrize(
	"amount, due, settled",
	[
		(1000, date(2026, 5, 1), date(2026, 4, 20)),  # paid early
		(1000, date(2026, 5, 1), date(2026, 5, 1)),  # paid on the day
		(1000, date(2026, 8, 1), None),  # due date still ahead
		(0, date(2026, 1, 1), None),  # nothing owed
		(-500, date(2026, 1, 1), None),  # a credit note owes nothing
	],
)
def test_nothing_late_costs_nothing(amount, due, settled):
	assert late_payment_cost(amount, due, settled, TODAY, 10) == 0


def test_a_settlement_dated_after_today_counts_only_until_today():
	assert late_payment_cost(365, date(2026, 6, 20), date(2026, 9, 1), TODAY, 100) == pytest.approx(10)


def test_late_payment_costs_add_up_per_customer_and_refuse_a_bad_rate():
	rows = [
		("A", 365, date(2026, 6, 20), None),
		("A", 365, date(2026, 6, 25), date(2026, 6, 30)),
		("B", 100, date(2026, 7, 20), None),
	]
	assert late_payment_costs(rows, TODAY, 100) == pytest.approx({"A": 15, "B": 0})
	with pytest.raises(ProfitabilityError, match="annual rate"):
		late_payment_costs(rows, TODAY, -5)
	with pytest.raises(ProfitabilityError, match="annual rate"):
		late_payment_costs([], TODAY, "ten")


def test_a_campaign_cost_is_shared_equally_over_the_customers_it_brought():
	costs = acquisition_costs(
		{"Spring": 900, "Idle": 500, "Free": None},
		{"A": "Spring", "B": "Spring", "C": "Spring", "D": "Free", "E": None},
	)
	assert costs == {"A": 300, "B": 300, "C": 300, "D": 0}


def test_a_negative_campaign_cost_is_refused():
	with pytest.raises(ProfitabilityError, match="campaign Spring"):
		acquisition_costs({"Spring": -1}, {"A": "Spring"})


# -- ranking -------------------------------------------------------------------------------------------


def test_profit_is_revenue_less_weighted_costs_with_each_contribution_signed():
	figures = CustomerFigures(
		"A", revenue=10_000, cost_of_goods=4_000, acquisition=500, support_hours=10, late_payment=30
	)
	weights = Weights(revenue=1, cost_of_goods=1, acquisition=2, support=0.5, late_payment=0)
	parts = contributions(figures, weights, hour_rate=40)
	assert parts == {
		"revenue": 10_000,
		"cost_of_goods": -4_000,
		"acquisition": -1_000,
		"support": -200,  # 10 h * 40 * 0.5
		"late_payment": 0,
	}
	assert str(parts["late_payment"]) == "0.0"  # never -0.0
	(ranked,) = rank([figures], weights, hour_rate=40)
	assert ranked.rank == 1 and ranked.profit == 4_800


def test_customers_rank_by_profit_with_ties_sharing_a_rank_and_listed_by_name():
	rows = [
		CustomerFigures("C", revenue=100),
		CustomerFigures("B", revenue=300, cost_of_goods=100),
		CustomerFigures("A", revenue=200),
		CustomerFigures("D", revenue=50, support_hours=10),
	]
	ranked = rank(rows, Weights(), hour_rate=10)
	assert [(r.rank, r.customer, r.profit) for r in ranked] == [
		(1, "A", 200),
		(1, "B", 200),
		(3, "C", 100),
		(4, "D", -50),
	]


def test_a_credit_note_larger_than_the_invoices_ranks_as_a_loss_not_an_error():
	(ranked,) = rank([CustomerFigures("A", revenue=-250)], Weights())
	assert ranked.profit == -250 and ranked.contributions["revenue"] == -250


def test_no_customers_rank_as_an_empty_list():
	assert rank([], Weights()) == []


def test_a_non_numeric_amount_or_rate_is_refused():
	with pytest.raises(ProfitabilityError, match="revenue of A"):
		rank([CustomerFigures("A", revenue=float("nan"))], Weights())
	with pytest.raises(ProfitabilityError, match="support hour rate"):
		rank([CustomerFigures("A", support_hours=1)], Weights(), hour_rate=-3)


@given(
	st.lists(
		st.tuples(
			st.floats(-1e6, 1e6, allow_nan=False),
			st.floats(0, 1e6, allow_nan=False),
			st.floats(0, 1e3, allow_nan=False),
		),
		max_size=20,
	),
	st.floats(0, 5, allow_nan=False),
)
def test_the_profit_is_the_sum_of_the_contributions_and_the_ranking_is_ordered(rows, weight):
	figures = [
		CustomerFigures(f"C{i}", revenue=r, cost_of_goods=c, support_hours=h)
		for i, (r, c, h) in enumerate(rows)
	]
	ranked = rank(figures, Weights(cost_of_goods=weight), hour_rate=20)
	assert len(ranked) == len(figures)
	for row in ranked:
		assert set(row.contributions) == set(FACTORS)
		assert row.profit == pytest.approx(sum(row.contributions.values()), abs=0.01)
	profits = [row.profit for row in ranked]
	assert profits == sorted(profits, reverse=True)
	assert [row.rank for row in ranked] == sorted(row.rank for row in ranked)


# -- loyalty -------------------------------------------------------------------------------------------

TIERS = parse_tiers(
	[
		{"tier_name": "Gold", "min_points": 1000},
		{"tier_name": "Bronze", "min_points": 100},
		{"tier_name": "Silver", "min_points": 500},
	]
)


def test_tiers_are_sorted_by_threshold():
	assert TIERS == (Tier(100, "Bronze"), Tier(500, "Silver"), Tier(1000, "Gold"))
	assert parse_tiers([]) == ()


@pytest.mark.parametrize(
	"rows, message",
	[
		([{"tier_name": " ", "min_points": 1}], "no name"),
		([{"tier_name": "Gold", "min_points": -1}], "cannot be negative"),
		([{"tier_name": "Gold", "min_points": 1.5}], "whole number"),
		([{"tier_name": "Gold", "min_points": "many"}], "whole number"),
		([{"tier_name": "Gold", "min_points": 1}, {"tier_name": "gold", "min_points": 2}], "listed twice"),
		([{"tier_name": "Gold", "min_points": 5}, {"tier_name": "Silver", "min_points": 5}], "Two tiers"),
	],
)
def test_a_bad_tier_table_is_refused(rows, message):
	with pytest.raises(LoyaltyError, match=message):
		parse_tiers(rows)


def test_tier_boundaries():
	assert tier_for(0, TIERS) == ""
	assert tier_for(99, TIERS) == ""
	assert tier_for(100, TIERS) == "Bronze"
	assert tier_for(499, TIERS) == "Bronze"
	assert tier_for(500, TIERS) == "Silver"
	assert tier_for(10**9, TIERS) == "Gold"
	assert tier_for(10**9, ()) == ""


def test_actions_are_parsed_and_refused_when_unknown_duplicated_or_negative():
	assert parse_actions(
		[{"action": ISSUE_RESOLVED, "points": 20}, {"action": REFERRAL, "points": "50"}]
	) == {
		ISSUE_RESOLVED: 20,
		REFERRAL: 50,
	}
	with pytest.raises(LoyaltyError, match="Unknown loyalty action"):
		parse_actions([{"action": "Birthday", "points": 5}])
	with pytest.raises(LoyaltyError, match="listed twice"):
		parse_actions([{"action": REFERRAL, "points": 5}, {"action": REFERRAL, "points": 6}])
	with pytest.raises(LoyaltyError, match="cannot be negative"):
		parse_actions([{"action": REFERRAL, "points": -5}])


def test_points_from_purchases_round_down_and_never_go_below_zero():
	assert purchase_points(1234.99, 1) == 1234
	assert purchase_points(0.1 + 0.2, 10) == 3
	assert purchase_points(-500, 1) == 0  # credit notes larger than purchases
	assert purchase_points(0, 1) == 0
	assert purchase_points(float("nan"), 1) == 0
	with pytest.raises(LoyaltyError, match="Points per unit"):
		purchase_points(10, -1)
	with pytest.raises(LoyaltyError, match="Points per unit"):
		purchase_points(10, "x")


def test_total_points_add_purchases_and_chosen_actions_only():
	actions = {ISSUE_RESOLVED: 20, SURVEY_ANSWERED: 10}
	counts = {ISSUE_RESOLVED: 2, SURVEY_ANSWERED: 1, CALL_LOGGED: 7}  # calls are not rewarded here
	assert total_points(250.5, counts, 2, actions) == 501 + 40 + 10


def test_direction_between_tiers():
	assert direction("", "Bronze", TIERS) == UP
	assert direction("Gold", "Silver", TIERS) == DOWN
	assert direction("Silver", "", TIERS) == DOWN
	assert direction("Platinum", "Bronze", TIERS) == UP  # a tier no longer configured ranks lowest


def test_updates_date_a_tier_change_and_leave_unchanged_customers_alone():
	since = date(2025, 1, 1)
	stored = {
		"same": Standing(150, "Bronze", since),
		"more points": Standing(150, "Bronze", since),
		"up": Standing(450, "Bronze", since),
		"down": Standing(600, "Silver", since),
		"new": Standing(),
		"gone": Standing(120, "Bronze", since),
	}
	points = {"same": 150, "more points": 160, "up": 520, "down": 90, "new": 100}
	result = {u.customer: u for u in updates(stored, points, TIERS, TODAY)}
	assert set(result) == {"more points", "up", "down", "new", "gone"}
	assert result["more points"].tier == "Bronze" and result["more points"].tier_since == since
	assert not result["more points"].tier_changed
	assert (result["up"].tier, result["up"].tier_since, result["up"].previous_tier) == (
		"Silver",
		TODAY,
		"Bronze",
	)
	assert (result["down"].tier, result["down"].tier_since) == ("", None)
	assert (result["new"].tier, result["new"].tier_since, result["new"].tier_changed) == (
		"Bronze",
		TODAY,
		True,
	)
	assert (result["gone"].points, result["gone"].tier) == (0, "")


def test_updates_with_no_customers_are_empty():
	assert updates({}, {"ghost": 500}, TIERS, TODAY) == []


def test_an_invoice_is_split_by_its_settlements_in_date_order():
	pieces = settled_pieces(1000, [(date(2026, 3, 1), 300), (date(2026, 2, 1), 200)])
	assert pieces == [(200, date(2026, 2, 1)), (300, date(2026, 3, 1)), (500, None)]
	assert settled_pieces(100, [(date(2026, 2, 1), 150), (date(2026, 3, 1), 50)]) == [(100, date(2026, 2, 1))]
	assert settled_pieces(100, [(date(2026, 2, 1), 99.999)]) == [(99.999, date(2026, 2, 1))]
	assert settled_pieces(-100, [(date(2026, 2, 1), 50)]) == []
	assert settled_pieces(100, [(date(2026, 2, 1), -50)]) == [(100, None)]
