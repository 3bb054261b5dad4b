"""RFM scores and segments, BG/NBD + Gamma-Gamma value model (crm_app/core/insights/rfm.py, clv.py)."""

import itertools
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_app.core.insights import clv, rfm

AS_OF = date(2026, 6, 30)


def days_ago(n: int) -> date:
	return AS_OF - timedelta(days=n)


def by_customer(summary, scores=None) -> dict:
	out = {}
	for i, name in enumerate(summary.customers.tolist()):
		row = {
			"recency": int(summary.recency_days[i]),
			"frequency": int(summary.purchases[i]),
			"monetary": float(summary.monetary[i]),
		}
		if scores is not None and scores.scored:
			row["score"] = scores.score_text()[i]
			row["segment"] = scores.segment[i]
		out[name] = row
	return out


# -- quintiles ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"values, expected",
	[
		([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]),
		([5, 4, 3, 2, 1], [5, 4, 3, 2, 1]),
		(list(range(10)), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
		([7], [3]),  # a lone value is in the middle, not the best nor the worst
		([2, 2, 2, 2], [3, 3, 3, 3]),  # equal values: equal, middle score
		# 1 x3: (0 + 3) * 5 / 10 = 1.5 -> 2; 2: (3 + 4) * 5 / 10 = 3.5 -> 4; 3: (4 + 5) * 5 / 10 = 4.5 -> 5
		([1, 1, 1, 2, 3], [2, 2, 2, 4, 5]),
		([], []),
	],
)
def test_quintile_scores_by_mid_rank(values, expected):
	assert rfm.quintile_scores(np.array(values)).tolist() == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-1000, max_value=1000), min_size=1, max_size=200))
def test_quintile_scores_are_1_to_5_monotone_and_equal_for_ties(values):
	scores = rfm.quintile_scores(np.array(values)).tolist()
	assert all(1 <= s <= 5 for s in scores)
	pairs = sorted(zip(values, scores, strict=True))
	for (v1, s1), (v2, s2) in itertools.pairwise(pairs):
		assert s1 <= s2
		if v1 == v2:
			assert s1 == s2


# -- segments ----------------------------------------------------------------------------------------


def test_segment_grid_covers_every_score_with_the_named_segments():
	named = {rfm.segment_of(r, f) for r in range(1, 6) for f in range(1, 6)}
	assert named == set(rfm.SEGMENTS)


@pytest.mark.parametrize(
	"r, f, segment",
	[
		(5, 5, "Champions"),
		(5, 4, "Champions"),
		(5, 1, "New"),
		(4, 1, "Promising"),
		(4, 5, "Loyal"),
		(3, 3, "Need Attention"),
		(3, 1, "About to Sleep"),
		(2, 3, "At Risk"),
		(1, 5, "Cannot Lose Them"),
		(2, 1, "Hibernating"),
		(1, 1, "Lost"),
	],
)
def test_segment_boundaries(r, f, segment):
	assert rfm.segment_of(r, f) == segment


# -- RFM on rows -------------------------------------------------------------------------------------


def five_customers():
	return [
		# A: recent, often, big -> Champions
		("A", days_ago(1), 100),
		("A", days_ago(10), 100),
		("A", days_ago(20), 100),
		("A", days_ago(30), 100),
		("A", days_ago(40), 100),
		# B: one recent purchase -> New
		("B", days_ago(2), 50),
		# C: bought often long ago -> Cannot Lose Them
		("C", days_ago(400), 300),
		("C", days_ago(410), 300),
		("C", days_ago(420), 300),
		("C", days_ago(430), 300),
		("C", days_ago(440), 300),
		("C", days_ago(450), 300),
		# D: once, long ago -> Lost
		("D", days_ago(700), 10),
		# E: middling
		("E", days_ago(100), 60),
		("E", days_ago(200), 60),
	]


def test_rfm_hand_computed_scores_and_segments():
	summary, scores = rfm.rfm(five_customers(), AS_OF)
	got = by_customer(summary, scores)
	assert got["A"] == {
		"recency": 1,
		"frequency": 5,
		"monetary": 500.0,
		"score": "544",
		"segment": "Champions",
	}
	# recency 2 is the 2nd most recent of 5 -> 4; once (tied with D: (0 + 2) * 5 / 10 = 1 -> 2)
	assert got["B"] == {
		"recency": 2,
		"frequency": 1,
		"monetary": 50.0,
		"score": "422",
		"segment": "Potential Loyalist",
	}
	assert got["C"] == {
		"recency": 400,
		"frequency": 6,
		"monetary": 1800.0,
		"score": "255",
		"segment": "Cannot Lose Them",
	}
	assert got["D"] == {"recency": 700, "frequency": 1, "monetary": 10.0, "score": "121", "segment": "Lost"}
	assert got["E"] == {
		"recency": 100,
		"frequency": 2,
		"monetary": 120.0,
		"score": "333",
		"segment": "Need Attention",
	}


def test_credit_notes_net_the_value_but_are_not_purchases():
	rows = [("A", days_ago(50), 100), ("A", days_ago(5), -30)]
	summary, _ = rfm.rfm(rows, AS_OF)
	got = by_customer(summary)["A"]
	assert got == {"recency": 50, "frequency": 1, "monetary": 70.0}  # the refund is not activity


def test_credit_notes_larger_than_invoices_give_zero_value_and_are_counted():
	rows = [("A", days_ago(50), 100), ("A", days_ago(5), -150), ("B", days_ago(3), -20)]
	summary, scores = rfm.rfm(rows, AS_OF)
	assert by_customer(summary)["A"]["monetary"] == 0.0
	assert summary.refunded_customers == 1
	# B has only a credit note: no purchase, not scored, but counted
	assert summary.customers.tolist() == ["A"]
	assert summary.credit_only_customers == 1
	assert not scores.scored


def test_future_zero_and_invalid_rows_are_skipped_and_counted():
	rows = [
		("A", days_ago(10), 100),
		("A", AS_OF + timedelta(days=3), 1_000_000),  # a mistyped date must not make a Champion
		("A", days_ago(4), 0),
		("A", days_ago(4), None),
		("A", days_ago(4), "n/a"),
		("F", AS_OF + timedelta(days=1), 10),
	]
	summary, _ = rfm.rfm(rows, AS_OF)
	assert by_customer(summary) == {"A": {"recency": 10, "frequency": 1, "monetary": 100.0}}
	assert (summary.skipped.future, summary.skipped.zero, summary.skipped.invalid) == (2, 1, 2)


def test_no_rows_and_one_customer_give_no_scores_with_a_reason():
	summary, scores = rfm.rfm([], AS_OF)
	assert len(summary) == 0 and not scores.scored
	summary, scores = rfm.rfm([("A", days_ago(1), 10)], AS_OF)
	assert len(summary) == 1 and not scores.scored
	assert "at least 5" in scores.note


def test_same_day_invoices_are_two_purchases_but_one_purchase_day():
	summary, _ = rfm.rfm([("A", days_ago(3), 10), ("A", days_ago(3), 20), ("A", days_ago(9), 5)], AS_OF)
	assert summary.purchases.tolist() == [3]
	assert summary.purchase_days.tolist() == [2]
	assert (summary.first_day[0], summary.last_day[0]) == (
		rfm.day_number(days_ago(9)),
		rfm.day_number(days_ago(3)),
	)


@pytest.mark.parametrize(
	"row", [("", days_ago(1), 10), (None, days_ago(1), 10), ("A", "yesterday", 10), ("A", 3, 10)]
)
def test_unreadable_rows_raise_a_domain_error(row):
	with pytest.raises(rfm.RfmInputError):
		rfm.rfm([row], AS_OF)


def test_dates_may_be_datetimes_or_iso_text():
	from datetime import datetime

	rows = [("A", datetime(2026, 6, 20, 15, 0), 10), ("A", "2026-06-25", 10)]
	summary, _ = rfm.rfm(rows, AS_OF)
	assert by_customer(summary)["A"]["recency"] == 5


# -- value model -------------------------------------------------------------------------------------

# Fader, Hardie and Lee (2005), CDNOW in weeks: r 0.243, alpha 4.414, a 0.793, b 2.426; a customer with
# x = 2, t_x = 30.43, T = 38.86 is expected to make 1.226 purchases in the next 39 weeks.
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def test_expected_purchases_match_the_paper():
	x, t_x, T = np.array([2.0]), np.array([30.43]), np.array([38.86])
	assert clv.expected_purchases(CDNOW, 39, x, t_x, T)[0] == pytest.approx(1.226, abs=5e-4)


def test_probability_alive():
	# no repeat purchase: the model cannot have seen a dropout (it happens after repeat purchases)
	assert clv.probability_alive(CDNOW, np.array([0.0]), np.array([0.0]), np.array([30.0])).tolist() == [1.0]
	# same purchases, a longer silence since the last one: less likely alive
	x, T = np.array([3.0, 3.0]), np.array([50.0, 50.0])
	recent, silent = clv.probability_alive(CDNOW, x, np.array([48.0, 10.0]), T)
	assert 0 < silent < recent < 1
	# by hand: 1 / (1 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
	by_hand = 1 / (1 + 0.793 / (2.426 + 2) * ((4.414 + 50) / (4.414 + 10)) ** 3.243)
	assert silent == pytest.approx(by_hand)


def test_gamma_gamma_expected_spend_by_hand():
	params = {"p": 6.25, "q": 3.74, "v": 15.44}
	n, m = np.array([3.0, 1.0]), np.array([40.0, -5.0])
	spend = clv.expected_spend(params, n, m)
	assert spend[0] == pytest.approx(6.25 * (15.44 + 3 * 40) / (6.25 * 3 + 3.74 - 1))
	assert spend[1] == pytest.approx(6.25 * 15.44 / 2.74)  # refunded: the population mean


def test_fit_recovers_the_planted_parameters():
	tx = clv.simulate(20_000, 730, r=0.5, alpha=30.0, a=0.8, b=2.5, seed=1)
	summary = rfm.summarize(tx, date(2026, 1, 1))
	result = clv.value_model(summary, 180)
	assert result.status == clv.SCORED
	got = result.bgnbd
	assert got["r"] == pytest.approx(0.5, rel=0.15)
	assert got["alpha"] == pytest.approx(30.0, rel=0.2)
	assert got["a"] == pytest.approx(0.8, rel=0.25)
	assert got["b"] == pytest.approx(2.5, rel=0.3)
	assert len(result.predicted_purchases) == len(summary)
	assert (result.probability_alive >= 0).all() and (result.probability_alive <= 1).all()
	assert (result.predicted_value >= 0).all()


def test_holdout_beats_the_past_rate():
	tx = clv.simulate(5_000, 730, seed=2)
	result = clv.holdout(tx, date(2026, 1, 1) - timedelta(days=180), 180)
	assert result.status == clv.SCORED
	assert result.model_mae < result.baseline_mae
	assert result.predicted_total == pytest.approx(result.actual_total, rel=0.2)


def test_not_enough_history_says_why():
	# no purchases
	empty = rfm.summarize(rfm.transactions_from_rows([]), AS_OF)
	assert clv.value_model(empty, 365).status == clv.NOT_ENOUGH_HISTORY
	# one customer, many purchases: too few repeat customers
	one = rfm.summarize(rfm.transactions_from_rows([("A", days_ago(d), 10) for d in range(1, 300, 7)]), AS_OF)
	result = clv.value_model(one, 365)
	assert result.status == clv.NOT_ENOUGH_HISTORY and "at least 50" in result.note
	# many repeat customers, but a month of history
	rows = [(f"C{i}", days_ago(d), 10) for i in range(100) for d in (3, 20)]
	short = rfm.summarize(rfm.transactions_from_rows(rows), AS_OF)
	result = clv.value_model(short, 365)
	assert result.status == clv.NOT_ENOUGH_HISTORY and "spans 20 day(s)" in result.note
	# a zero horizon
	assert clv.value_model(short, 0).status == clv.NOT_ENOUGH_HISTORY


def test_everyone_bought_once_is_not_enough_history():
	rows = [(f"C{i}", days_ago(i % 500 + 1), 10) for i in range(1000)]
	result = clv.value_model(rfm.summarize(rfm.transactions_from_rows(rows), AS_OF), 365)
	assert result.status == clv.NOT_ENOUGH_HISTORY and result.predicted_purchases.size == 0
