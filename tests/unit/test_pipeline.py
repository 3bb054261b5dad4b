import pytest

from crm_app.core.pipeline import (
	items_total,
	probability_after_stage_change,
	probability_for_status,
	weighted_amount,
)


def test_probability_follows_stage_when_never_edited():
	assert (
		probability_after_stage_change(
			old_stage_default=20, new_stage_default=60, old_probability=20, new_probability=20
		)
		== 60
	)


def test_new_opportunity_takes_stage_default():
	assert (
		probability_after_stage_change(
			old_stage_default=None, new_stage_default=10, old_probability=None, new_probability=None
		)
		== 10
	)


def test_probability_edited_in_this_save_wins():
	assert (
		probability_after_stage_change(
			old_stage_default=20, new_stage_default=60, old_probability=20, new_probability=35
		)
		== 35
	)


def test_earlier_override_survives_stage_change():
	assert (
		probability_after_stage_change(
			old_stage_default=20, new_stage_default=60, old_probability=45, new_probability=45
		)
		== 45
	)


@pytest.mark.parametrize(("status", "expected"), [("Won", 100), ("Lost", 0), ("Open", 42)])
def test_closed_status_fixes_probability(status, expected):
	assert probability_for_status(status, 42) == expected


def test_weighted_amount_and_items_total():
	assert weighted_amount(1000, 25) == 250
	assert weighted_amount(None, 25) == 0
	assert items_total([(2, 10.005), (1, 5)]) == 25.01
	assert items_total([]) == 0
