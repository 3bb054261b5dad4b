import json
import math
from datetime import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_app.core.insights import conversion as c


def planted(n: int = 3000, seed: int = 1):
	"""Referral leads and called leads convert more; the rule score only knows about the source."""
	rng = np.random.default_rng(seed)
	rows, outcomes, rule_scores = [], [], []
	for _ in range(n):
		source = str(rng.choice(["Web", "Referral", "Cold Call", "Event"]))
		calls = int(rng.poisson(2))
		logit = -1 + (1.2 if source == "Referral" else 0) + 0.5 * calls
		outcomes.append(bool(rng.random() < 1 / (1 + math.exp(-logit))))
		rows.append(
			{"source": source, "calls": calls, "email": "a@example.com" if rng.random() < 0.5 else ""}
		)
		rule_scores.append(10 if source == "Referral" else 0)
	return c.prepare(rows), outcomes, rule_scores


@pytest.fixture(scope="module")
def trained():
	table, outcomes, rule_scores = planted()
	return table, outcomes, c.train(table, outcomes, rule_scores)


def test_prepare_derives_contact_and_reachability_features():
	table = c.prepare(
		[
			{
				"source": "Web",
				"mobile_no": "+447400000001",
				"creation": datetime(2026, 1, 1, 12),
				"first_contacted_on": datetime(2026, 1, 3, 12),
				"calls": 2,
			},
			{
				"email": "x@example.com",
				"creation": datetime(2026, 1, 5),
				"first_contacted_on": datetime(2026, 1, 1),
			},
			{},
		]
	)
	assert table["days_to_first_contact"] == [2.0, 0.0, 0]  # a contact before creation (import): day 0
	assert table["never_contacted"] == [False, False, True]
	assert table["has_phone"] == [True, False, False]
	assert table["has_email"] == [False, True, False]
	assert table["calls"] == [2, 0, 0]
	assert table["source"] == ["Web", None, None]


def test_model_beats_the_rule_score_on_a_planted_signal(trained):
	_table, _outcomes, result = trained
	assert result.status == c.TRAINED
	assert result.baseline_auc == pytest.approx(0.6, abs=0.05)
	assert result.auc > result.baseline_auc + 0.05
	assert result.holdout == pytest.approx(750, abs=2)
	assert 0 < result.auc_error < 0.03
	assert "rule-based score" in result.note


def test_factors_point_the_planted_way_and_add_up_to_the_log_odds(trained):
	table, _outcomes, result = trained
	model = result.model
	referral = model.levels["source"].index("Referral")
	assert model.level_effects["source"][referral] > 0.5
	assert model.numeric_coef[c.NUMERIC_FEATURES.index("calls")] > 0
	effects, _indexes = model.contributions(table)
	logits = model.base_logit + effects.sum(axis=1)
	probabilities = model.predict(table)
	assert np.allclose(np.log(probabilities / (1 - probabilities)), logits)


def test_top_factors_are_the_largest_effects_first_and_labelled():
	model = c.ConversionModel(
		levels={name: ["A", c.OTHER] for name in c.CATEGORICAL_FEATURES},
		level_effects={name: [0.0, 0.0] for name in c.CATEGORICAL_FEATURES} | {"source": [0.8, -0.2]},
		means=[0.0] * len(c.NUMERIC_FEATURES),
		scales=[1.0] * len(c.NUMERIC_FEATURES),
		numeric_coef=[0.0] * len(c.NUMERIC_FEATURES),
		base_logit=0.0,
	)
	model.numeric_coef[c.NUMERIC_FEATURES.index("has_email")] = -1.5
	model.numeric_coef[c.NUMERIC_FEATURES.index("calls")] = 1.0
	table = c.prepare([{"source": "A", "email": "a@example.com", "calls": math.e - 1}, {"source": "Z"}])
	probabilities, factors = model.score(
		table, top=2, translate=lambda text: {"Has email": "E-Mail"}.get(text, text)
	)
	assert factors[0] == [
		{"factor": "E-Mail: Yes", "effect": -1.5},
		{"factor": "Calls: 1.71828", "effect": 1.0},
	]
	assert factors[1] == [{"factor": "Source: (other)", "effect": -0.2}]  # an unseen value, zeros left out
	assert probabilities[1] == pytest.approx(1 / (1 + math.exp(0.2)))
	assert json.loads(c.factors_json(factors[0]))[0]["effect"] == -1.5


def test_json_round_trip_scores_the_same_and_is_plain_json(trained):
	table, _outcomes, result = trained
	text = result.model.to_json()
	assert json.loads(text)["kind"] == "logistic_regression"
	loaded = c.ConversionModel.from_json(text)
	assert np.allclose(loaded.predict(table), result.model.predict(table))
	assert loaded.score(table)[1][:20] == result.model.score(table)[1][:20]


@pytest.mark.parametrize(
	"text", [None, "", "not json", "[]", '{"version": 99}', '{"version": 1, "categorical": {}}']
)
def test_unreadable_model_text_is_a_clear_error(text):
	with pytest.raises(c.ConversionModelError):
		c.ConversionModel.from_json(text)


def test_one_class_is_not_enough_history():
	table = c.prepare([{"source": "Web"}] * 500)
	result = c.train(table, [True] * 500, [0] * 500)
	assert result.status == c.NOT_ENOUGH_HISTORY and result.model is None
	assert "all 500 decided leads converted" in result.note
	assert result.reason == "all_converted"
	lost = c.train(table, [False] * 500)
	assert "were lost" in lost.note and lost.reason == "all_lost"


def test_no_history_and_too_few_of_an_outcome_are_not_enough():
	empty = c.train(c.prepare([]), [])
	assert "no lead" in empty.note and empty.reason == "no_history"
	table = c.prepare([{"source": "Web"}] * 300)
	result = c.train(table, [True] * 20 + [False] * 280, min_per_class=30)
	assert result.status == c.NOT_ENOUGH_HISTORY
	assert "300 decided leads (20 converted, 280 lost)" in result.note
	assert result.reason == "too_few"
	few = c.train(c.prepare([{}] * 100), [True, False] * 50, min_decided=200, min_per_class=30)
	assert few.status == c.NOT_ENOUGH_HISTORY


def test_bad_arguments_are_errors():
	table = c.prepare([{}] * 4)
	with pytest.raises(c.ConversionModelError):
		c.train(table, [True, False])
	with pytest.raises(ValueError):
		c.train(table, [True, False] * 2, min_decided=0)
	with pytest.raises(c.ConversionModelError):
		c.ConversionModel.from_json(TRAINED_TEXT).predict(
			{"calls": [1, 2], "source": ["A"]}
		)  # lengths differ


def test_non_numeric_counts_are_an_error(trained):
	_table, _outcomes, result = trained
	with pytest.raises(c.ConversionModelError):
		result.model.predict({"calls": ["many"]})


def test_constant_training_data_gives_the_base_rate():
	table = c.prepare([{"source": "Web"}] * 400)
	result = c.train(table, [True] * 100 + [False] * 300)
	assert result.status == c.TRAINED
	assert result.auc == pytest.approx(0.5)
	assert result.model.predict(table)[0] == pytest.approx(0.25, abs=0.01)
	assert "does not beat" not in result.note  # no baseline given


def test_roc_auc_by_hand():
	assert c.roc_auc([1, 0, 1, 0], [0.9, 0.1, 0.4, 0.5]) == 0.75
	assert c.roc_auc([1, 0], [3, 3]) == 0.5  # ties count half
	assert c.roc_auc([1, 1], [0.2, 0.9]) == 0.5  # one outcome: no information


def test_auc_standard_error_hanley_mcneil():
	assert c.auc_standard_error(0.8, 50, 50) == pytest.approx(0.0445, abs=1e-4)
	assert math.isnan(c.auc_standard_error(0.8, 0, 50))


@settings(max_examples=50, deadline=None)
@given(
	st.lists(
		st.fixed_dictionaries(
			{
				"source": st.one_of(st.none(), st.sampled_from(["Web", "Referral", "Ünïcode"])),
				"calls": st.one_of(st.none(), st.integers(-5, 10**6)),
				"emails": st.floats(allow_nan=True, allow_infinity=True),
			}
		),
		min_size=1,
		max_size=30,
	)
)
def test_any_rows_score_between_0_and_1(rows):
	model = c.ConversionModel.from_json(TRAINED_TEXT)
	probabilities, factors = model.score(c.prepare(rows))
	assert ((probabilities >= 0) & (probabilities <= 1)).all()
	assert all(len(row) <= 5 for row in factors)


TRAINED_TEXT = c.train(*planted(600, seed=2)).model.to_json()
