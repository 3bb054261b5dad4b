from datetime import date, datetime
from decimal import Decimal

import pytest

from crm_app.core.insights import tally as core

LEADS = core.Tally("leads", "CX Lead", ("status", "score_band"))
FOLLOW_UPS = core.Tally(
	"follow_ups", "CX Lead", ("status", "next_follow_up"), dates=frozenset({"next_follow_up"})
)
DEALS = core.Tally("deals", "CX Opportunity", ("status", "sales_stage"), ("base_amount",))
TALLIES = (LEADS, FOLLOW_UPS, DEALS)


def totals(deltas):
	return {(d.tally, d.dims): (d.count, d.sums) for d in deltas}


def test_insert_update_and_delete_move_one_record_between_rows():
	lead = {"status": "New", "score_band": None}
	assert totals(core.deltas(LEADS, None, lead)) == {("leads", ("New", "")): (1, ())}
	hot = {**lead, "score_band": "Hot"}
	assert totals(core.deltas(LEADS, lead, hot)) == {
		("leads", ("New", "")): (-1, ()),
		("leads", ("New", "Hot")): (1, ()),
	}
	assert totals(core.deltas(LEADS, hot, None)) == {("leads", ("New", "Hot")): (-1, ())}


def test_a_change_outside_the_tally_writes_nothing_and_an_amount_change_only_the_sum():
	assert core.deltas(LEADS, {"status": "New", "city": "Lodz"}, {"status": "New", "city": "Kyiv"}) == []
	before = {"status": "Open", "sales_stage": "Proposal", "base_amount": 100.1}
	after = {**before, "base_amount": 250.35}
	assert totals(core.deltas(DEALS, before, after)) == {
		("deals", ("Open", "Proposal")): (0, (Decimal("150.25"),))
	}


def test_merge_adds_up_drops_empty_rows_and_orders_by_key():
	a = core.Delta("leads", ("New", ""), 1)
	b = core.Delta("leads", ("New", ""), -1)
	c = core.Delta("leads", ("Lost", ""), 2)
	d = core.Delta("leads", ("Converted", ""), 1)
	merged = core.merge([c, a, d, b])
	assert [(m.dims, m.count) for m in merged] == sorted(
		[(("Lost", ""), 2), (("Converted", ""), 1)], key=lambda row: core.row_name("leads", row[0])
	)
	assert [m.name for m in merged] == sorted(m.name for m in merged)


def test_dates_are_iso_text_and_missing_values_are_empty():
	assert core.dims_of(FOLLOW_UPS, {"status": "New", "next_follow_up": date(2026, 12, 1)}) == (
		"New",
		"2026-12-01",
	)
	assert core.dims_of(FOLLOW_UPS, {"status": "New", "next_follow_up": "2026-12-01"}) == (
		"New",
		"2026-12-01",
	)
	assert core.dims_of(FOLLOW_UPS, {"status": None}) == ("", "")
	assert core.as_text(datetime(2026, 11, 30, 10, 5)) == "2026-11-30 10:05:00"


def test_corrections_turn_the_kept_tally_into_the_expected_one():
	expected = [(("New", "Hot"), 3, ()), (("Lost", None), 1, ())]
	kept = [(("New", "Hot"), 2, ()), (("Converted", ""), 4, ())]
	assert totals(core.corrections(LEADS, expected, kept)) == {
		("leads", ("New", "Hot")): (1, ()),
		("leads", ("Lost", "")): (1, ()),
		("leads", ("Converted", "")): (-4, ()),
	}
	assert core.corrections(LEADS, expected, expected) == []


def test_sums_are_kept_to_the_columns_precision():
	before = {"status": "Open", "sales_stage": "Proposal", "base_amount": 1 / 3}
	(delta,) = core.deltas(DEALS, None, before)
	assert delta.sums == (Decimal("0.333333333"),)


@pytest.mark.parametrize(
	"filters, expected",
	[
		([("status", "in", ["New", "Contacted"])], "leads"),
		([("status", "=", "New"), ("score_band", "=", "Hot")], "leads"),
		([("next_follow_up", "<=", "2026-11-30"), ("next_follow_up", "is", "set")], "follow_ups"),
		([("status", "in", "New,Contacted")], "leads"),
		([("docstatus", "<", 2)], "leads"),
	],
)
def test_plan_picks_the_first_tally_with_every_field(filters, expected):
	found = core.plan("CX Lead", filters, tallies=TALLIES)
	assert found is not None and found.tally.name == expected


@pytest.mark.parametrize(
	"filters",
	[
		[("city", "=", "Lodz")],  # not a dimension
		[("status", "like", "%New%")],  # an operator the tally does not take
		[("status", "<", "New")],  # a range on text
		[("docstatus", "=", 1)],  # no record of a doctype without submission is submitted
		[("status", "in", 5)],
		[("status", "is", "maybe")],
	],
)
def test_plan_declines_what_it_cannot_answer_exactly(filters):
	assert core.plan("CX Lead", filters, tallies=TALLIES) is None


def test_a_restricted_user_needs_a_tally_with_access_dimensions():
	owned = core.Tally("owned", "CX Lead", ("status", "lead_owner"), access=("lead_owner",))
	found = core.plan(
		"CX Lead", [("status", "=", "New")], reached_by="ann@example.com", tallies=(LEADS, owned)
	)
	assert found.tally is owned and found.reached_by == "ann@example.com"
	assert core.plan("CX Lead", [], reached_by="ann@example.com", tallies=(LEADS,)) is None
	assert core.row_name("owned", ("New", "ann@example.com")).startswith("owned:")


def test_plan_for_sums_groups_and_ranges():
	assert core.plan("CX Opportunity", [], measure="base_amount", tallies=TALLIES).measure == "base_amount"
	assert core.plan("CX Opportunity", [], measure="amount", tallies=TALLIES) is None
	assert core.plan("CX Lead", [], group_by="score_band", tallies=TALLIES).group_by == "score_band"
	assert core.plan("CX Lead", [], group_by="city", tallies=TALLIES) is None
	found = core.plan(
		"CX Lead",
		[("next_follow_up", "between", ["2026-11-01 00:00:00", "2026-11-30 23:59:59"])],
		tallies=TALLIES,
	)
	assert found.conditions[0].value == ("2026-11-01", "2026-11-30")


def test_a_tally_has_at_most_four_dimensions_and_two_sums():
	with pytest.raises(ValueError):
		core.Tally("wide", "CX Lead", ("a", "b", "c", "d", "e", "f", "g"))
	with pytest.raises(ValueError):
		core.Tally("dated", "CX Lead", ("a",), dates=frozenset({"b"}))
	with pytest.raises(ValueError):
		core.Tally("reached", "CX Lead", ("a",), access=("owner",))
	assert {tally.doctype for tally in core.TALLIES} == {"CX Lead", "CX Opportunity", "CX Issue"}


def test_group_by_charts_leave_null_sensitive_conditions_to_frappe():
	for filters in (
		[("status", "!=", "Lost")],
		[("status", "not in", ["Lost"])],
		[("status", "is", "not set")],
		[("next_follow_up", "<=", "2026-11-30")],
		[("status", "in", ["New", ""])],
	):
		assert core.plan("CX Lead", filters, tallies=TALLIES) is not None
		assert core.plan("CX Lead", filters, ignore_ifnull=True, tallies=TALLIES) is None, filters
	assert core.plan("CX Lead", [("status", "=", "New")], ignore_ifnull=True, tallies=TALLIES) is not None


def test_odd_values_read_as_frappe_reads_them():
	assert core.plan("CX Lead", [("status", "in", [])], tallies=TALLIES).conditions[0].value == ("",)
	assert core.plan("CX Lead", [("docstatus", "<", "inf")], tallies=TALLIES) is not None
	assert core.plan("CX Lead", [("docstatus", "<", "0.5")], tallies=TALLIES) is not None
	assert core.plan("CX Lead", [("docstatus", "<", "-1")], tallies=TALLIES) is None
	assert (
		core.plan("CX Lead", [("next_follow_up", "between", [None, "2026-11-30"])], tallies=TALLIES) is None
	)
