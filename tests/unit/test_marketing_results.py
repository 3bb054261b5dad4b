"""Attribution (first and last touch) and campaign ratios: plain Python, no site."""

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_app.core.marketing.attribution import (
	BOUNCED,
	CAPTURED,
	EMAIL_SENT,
	FIRST_TOUCH,
	LAST_TOUCH,
	LINK_CLICKED,
	UNSUBSCRIBED,
	AttributionError,
	DealState,
	LeadState,
	Touch,
	check_touch_type,
	credit_deals,
	credited_touch,
	deal_moves_attribution,
	deal_rollup_campaigns,
	lead_moves_attribution,
	lead_rollup_campaigns,
)
from crm_app.core.marketing.results import campaign_ratios, cost_per, roi_percent

WON = datetime(2026, 6, 30, 23, 59, 59)


def at(day: int, hour: int = 12) -> datetime:
	return datetime(2026, 6, day, hour)


def test_no_touches_credits_nobody():
	assert credited_touch([], WON, FIRST_TOUCH) is None
	assert credited_touch([], WON, LAST_TOUCH) is None


def test_first_and_last_touch_of_several_campaigns():
	touches = [
		Touch("Spring Mail", at(10), EMAIL_SENT),
		Touch("Webinar", at(3), CAPTURED),
		Touch("Retargeting", at(20), LINK_CLICKED),
	]
	assert credited_touch(touches, WON, FIRST_TOUCH).campaign == "Webinar"
	assert credited_touch(touches, WON, LAST_TOUCH).campaign == "Retargeting"


def test_touches_after_the_win_are_ignored():
	won_on = at(15)
	touches = [Touch("Early", at(1)), Touch("Middle", at(15)), Touch("After", at(16))]
	assert credited_touch(touches, won_on, LAST_TOUCH).campaign == "Middle"  # at the moment still counts
	assert credited_touch([Touch("After", at(16))], won_on, FIRST_TOUCH) is None


def test_bounces_and_unsubscribes_are_not_credited():
	touches = [Touch("Bounced", at(1), BOUNCED), Touch("Left", at(25), UNSUBSCRIBED), Touch("Real", at(5))]
	assert credited_touch(touches, WON, FIRST_TOUCH).campaign == "Real"
	assert credited_touch(touches, WON, LAST_TOUCH).campaign == "Real"


def test_ties_go_by_stored_order_then_campaign_name():
	same = at(5)
	touches = [Touch("B", same, sequence=2), Touch("A", same, sequence=3), Touch("C", same, sequence=1)]
	assert credited_touch(touches, WON, FIRST_TOUCH).campaign == "C"
	assert credited_touch(touches, WON, LAST_TOUCH).campaign == "A"
	unordered = [Touch("Zeta", same), Touch("Alpha", same)]  # a lead's campaign read as a touch: no order
	assert credited_touch(unordered, WON, FIRST_TOUCH).campaign == "Alpha"
	assert credited_touch(unordered, WON, LAST_TOUCH).campaign == "Zeta"


def test_unknown_model_and_touch_type_are_refused():
	with pytest.raises(AttributionError):
		credited_touch([], WON, "Linear")
	with pytest.raises(AttributionError):
		check_touch_type("Carrier Pigeon")
	assert check_touch_type(CAPTURED) == CAPTURED


def test_credit_deals_adds_each_deal_to_one_campaign():
	deals = [("D1", WON, 1000.0), ("D2", WON, 500.0), ("D3", WON, 70.0)]
	touches = {
		"D1": [Touch("A", at(1)), Touch("B", at(2))],
		"D2": [Touch("B", at(1))],
		# D3 has no touches: nobody is credited
	}
	assert credit_deals(deals, touches, FIRST_TOUCH) == {"A": 1000.0, "B": 500.0}
	assert credit_deals(deals, touches, LAST_TOUCH) == {"B": 1500.0}


@given(
	st.lists(
		st.tuples(st.sampled_from("ABCD"), st.integers(min_value=0, max_value=60), st.integers(0, 5)),
		max_size=12,
	)
)
def test_first_is_never_after_last_and_both_are_before_the_win(rows):
	won_on = datetime(2026, 1, 1) + timedelta(days=30)
	touches = [Touch(c, datetime(2026, 1, 1) + timedelta(days=d), sequence=s) for c, d, s in rows]
	first, last = credited_touch(touches, won_on, FIRST_TOUCH), credited_touch(touches, won_on, LAST_TOUCH)
	assert (first is None) == (last is None) == all(t.touched_on > won_on for t in touches)
	if first:
		assert first.touched_on <= last.touched_on <= won_on


def test_roi_and_costs():
	assert roi_percent(3000, 1000) == 200.0
	assert roi_percent(500, 1000) == -50.0
	assert roi_percent(500, 0) is None
	assert cost_per(1000, 3) == 333.33
	assert cost_per(1000, 0) is None
	ratios = campaign_ratios(actual_cost=1000, won_amount=3000, invoiced_amount=None, leads=4, won_deals=2)
	assert ratios.roi_percent == 200.0
	assert ratios.invoiced_roi_percent is None
	assert ratios.cost_per_lead == 250.0
	assert ratios.cost_per_won_deal == 500.0
	no_invoices = campaign_ratios(actual_cost=1000, won_amount=0, invoiced_amount=0, leads=0, won_deals=0)
	assert no_invoices.invoiced_roi_percent == -100.0
	assert no_invoices.cost_per_lead is None
	free = campaign_ratios(actual_cost=0, won_amount=10, invoiced_amount=10, leads=2, won_deals=1)
	assert free == type(free)(None, None, None, None)


# -- which saves queue a recount (crm_app/core/marketing/attribution.py) ----------------------------------

OPEN_DEAL = DealState(campaign="Spring", won=False, amount=100.0, lead="L1")
WON_DEAL = DealState(campaign="Spring", won=True, amount=100.0, closed_on=date(2026, 5, 1), lead="L1")


def test_an_open_deals_ordinary_change_moves_nothing():
	changed = DealState(campaign="Spring", won=False, amount=250.0, lead="L1")  # amount of an open deal
	assert deal_rollup_campaigns(OPEN_DEAL, changed) == set()
	assert not deal_moves_attribution(OPEN_DEAL, changed)
	assert not deal_moves_attribution(OPEN_DEAL, DealState(campaign="Spring", lead="L2"))


def test_a_deal_coming_going_or_changing_campaign_counts_for_both_campaigns():
	assert deal_rollup_campaigns(None, OPEN_DEAL) == {"Spring"}
	assert deal_rollup_campaigns(OPEN_DEAL, None) == {"Spring"}
	moved = DealState(campaign="Webinar", lead="L1")
	assert deal_rollup_campaigns(OPEN_DEAL, moved) == {"Spring", "Webinar"}
	assert not deal_moves_attribution(OPEN_DEAL, moved)  # attribution reads touches, not the deal's campaign


def test_winning_or_losing_the_win_or_a_won_deals_amount_day_or_people_move_attribution():
	assert deal_rollup_campaigns(OPEN_DEAL, WON_DEAL) == {"Spring"}
	assert deal_moves_attribution(OPEN_DEAL, WON_DEAL)
	assert deal_moves_attribution(WON_DEAL, OPEN_DEAL)
	assert deal_moves_attribution(WON_DEAL, None)
	for change in (
		{"amount": 120.0},
		{"closed_on": date(2026, 5, 2)},
		{"lead": "L2"},
		{"customer": "C1"},
	):
		after = DealState(**{**WON_DEAL.__dict__, **change})
		assert deal_moves_attribution(WON_DEAL, after), change
	assert deal_rollup_campaigns(WON_DEAL, DealState(**{**WON_DEAL.__dict__, "amount": 120.0})) == {"Spring"}
	assert deal_rollup_campaigns(WON_DEAL, DealState(**{**WON_DEAL.__dict__, "lead": "L2"})) == set()


def test_a_lead_moves_figures_by_its_campaign_and_attribution_by_its_campaign_or_customer():
	lead = LeadState(campaign="Spring")
	assert lead_rollup_campaigns(lead, lead) == set()
	assert not lead_moves_attribution(lead, lead)
	assert lead_rollup_campaigns(None, lead) == {"Spring"}
	assert lead_rollup_campaigns(lead, LeadState(campaign="Webinar")) == {"Spring", "Webinar"}
	assert lead_moves_attribution(lead, LeadState(campaign="Spring", customer="C1"))  # converted
	assert lead_rollup_campaigns(lead, LeadState(campaign="Spring", customer="C1")) == set()
	assert not lead_moves_attribution(None, LeadState())
