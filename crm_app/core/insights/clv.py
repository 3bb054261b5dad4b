"""Customer lifetime value and churn: BG/NBD and Gamma-Gamma fitted by maximum likelihood.

BG/NBD (Fader, Hardie and Lee 2005) models each customer as buying at a Poisson rate lambda ~ Gamma(r, alpha)
while active and becoming inactive after any purchase with probability p ~ Beta(a, b). From a customer's
repeat purchase days x, the age of their last purchase t_x and their age T (days since the first
purchase) it gives the expected purchases over the next t days and the probability the customer is
still active. Gamma-Gamma (Fader and Hardie 2013) shrinks each customer's mean spend per purchase day
towards the population's, so expected value = expected purchases * expected spend (undiscounted).

Time is counted in days and purchases in distinct purchase days (two invoices on one day are one
purchase), as the model's Poisson process assumes. Spend per purchase day is the customer's net amount
(credit notes included, see rfm.py) over their purchase days.

**Not enough history** (`status == NOT_ENOUGH_HISTORY`, with the reason in `note`) when:
- fewer than `MIN_REPEAT_CUSTOMERS` (50) customers bought on two days or more. The purchase rate and the
  dropout are told apart only by repeat buyers; with four parameters per model and the usual ten or more
  observations per parameter, 40 is a floor, rounded up to 50;
- the history spans fewer than `MIN_SPAN_DAYS` (90) days from the first purchase to the scoring date:
  a customer who has not bought for a month is not yet telling anything about dropping out;
- the fit does not converge or gives parameters for which the expectations are not finite.

The fit uses at most `FIT_SAMPLE` customers (a fixed-seed sample: the likelihood of 100,000 customers
pins four parameters as well as that of a million), then predicts every customer.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from crm_app.core.insights.rfm import Summary, Transactions, day_number, summarize

SCORED, NOT_ENOUGH_HISTORY = "Scored", "Not Enough History"
MIN_REPEAT_CUSTOMERS = 50
MIN_SPAN_DAYS = 90
FIT_SAMPLE = 100_000
LOG_BOUND = 12.0  # parameters are fitted as logs within ±12 (e^12 ≈ 160,000): keeps the search finite


@dataclass
class ValueResult:
	"""Predictions aligned on `Summary.customers`; empty arrays unless `status == SCORED`."""

	status: str
	note: str
	predicted_purchases: np.ndarray = field(default_factory=lambda: np.zeros(0))
	predicted_value: np.ndarray = field(default_factory=lambda: np.zeros(0))
	probability_alive: np.ndarray = field(default_factory=lambda: np.zeros(0))  # 0-1
	bgnbd: dict = field(default_factory=dict)  # r, alpha, a, b
	gamma_gamma: dict = field(default_factory=dict)  # p, q, v


@dataclass
class HoldoutResult:
	"""Error of predicted purchases on a period the model did not see, against the past rate."""

	status: str
	note: str
	customers: int = 0
	model_mae: float = float("nan")
	baseline_mae: float = float("nan")
	actual_total: float = 0.0
	predicted_total: float = 0.0
	baseline_total: float = 0.0


def model_inputs(summary: Summary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
	"""x (repeat purchase days), t_x (days from the first to the last purchase), T (days since the first)."""
	x = (summary.purchase_days - 1).astype(np.float64)
	t_x = (summary.last_day - summary.first_day).astype(np.float64)
	T = (summary.as_of_day - summary.first_day).astype(np.float64)
	return x, t_x, T


def bgnbd_log_likelihood(params, x, t_x, T, weights=None) -> float:
	from scipy.special import gammaln

	r, alpha, a, b = params
	A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
	A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
	A3 = -(r + x) * np.log(alpha + T)
	repeat = x > 0
	A4 = np.where(
		repeat,
		np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + t_x),
		-np.inf,
	)
	ll = A1 + A2 + np.logaddexp(A3, A4)
	return float(np.sum(ll if weights is None else ll * weights))


def gamma_gamma_log_likelihood(params, n, m, weights=None) -> float:
	from scipy.special import gammaln

	p, q, v = params
	px = p * n
	ll = (
		gammaln(px + q)
		- gammaln(px)
		- gammaln(q)
		+ q * np.log(v)
		+ (px - 1) * np.log(m)
		+ px * np.log(n)
		- (px + q) * np.log(n * m + v)
	)
	return float(np.sum(ll if weights is None else ll * weights))


def _fit(neg_ll, start: np.ndarray) -> tuple[np.ndarray, float, bool]:
	from scipy.optimize import minimize

	bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
	best = minimize(neg_ll, start, method="L-BFGS-B", bounds=bounds)
	if not best.success or not np.isfinite(best.fun):
		best = minimize(neg_ll, start, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-6})
	return np.exp(best.x), float(best.fun), bool(best.success and np.isfinite(best.fun))


def _sample(n: int, limit: int) -> np.ndarray:
	if n <= limit:
		return np.arange(n)
	return np.sort(np.random.default_rng(0).choice(n, size=limit, replace=False))


def _compress(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
	"""Distinct rows of the columns and how often each occurs (the likelihood is a weighted sum)."""
	stacked = np.column_stack(columns)
	unique, counts = np.unique(stacked, axis=0, return_counts=True)
	return [unique[:, i] for i in range(unique.shape[1])], counts.astype(np.float64)


def fit_bgnbd(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[dict, bool]:
	"""Maximum-likelihood r, alpha, a, b (and whether the search converged)."""
	rows = _sample(len(x), FIT_SAMPLE)
	(cx, ct, cT), weights = _compress(x[rows], t_x[rows], T[rows])
	total = weights.sum()
	rate = max(float(np.sum(cx * weights)) / max(float(np.sum(cT * weights)), 1.0), 1e-6)
	start = np.log([1.0, 1.0 / rate, 1.0, 3.0])

	def neg_ll(log_params):
		value = -bgnbd_log_likelihood(np.exp(log_params), cx, ct, cT, weights) / total
		return value if np.isfinite(value) else 1e12

	params, _, converged = _fit(neg_ll, start)
	return dict(zip(("r", "alpha", "a", "b"), params.tolist(), strict=True)), converged


def fit_gamma_gamma(n: np.ndarray, m: np.ndarray) -> tuple[dict, bool]:
	"""Maximum-likelihood p, q, v from purchase-day counts n (≥ 2) and mean spends m (> 0)."""
	rows = _sample(len(n), FIT_SAMPLE)
	(cn, cm), weights = _compress(n[rows], m[rows])
	total = weights.sum()
	start = np.log([1.0, 2.0, float(np.mean(cm))])

	def neg_ll(log_params):
		value = -gamma_gamma_log_likelihood(np.exp(log_params), cn, cm, weights) / total
		return value if np.isfinite(value) else 1e12

	params, _, converged = _fit(neg_ll, start)
	return dict(zip(("p", "q", "v"), params.tolist(), strict=True)), converged


def probability_alive(params: dict, x, t_x, T) -> np.ndarray:
	from scipy.special import expit

	r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
	log_odds_dead = (
		np.log(a) - np.log(b + np.maximum(x, 1) - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
	)
	return np.where(x > 0, expit(-log_odds_dead), 1.0)


def expected_purchases(params: dict, horizon_days: float, x, t_x, T) -> np.ndarray:
	"""Expected purchase days in the next `horizon_days` of each customer (Fader, Hardie, Lee eq. 10)."""
	from scipy.special import hyp2f1

	r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
	t = float(horizon_days)
	z = t / (alpha + T + t)
	head = (a + b + x - 1) / (a - 1)
	tail = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp2f1(
		r + x, b + x, a + b + x - 1, z
	)
	repeat = x > 0
	odds = np.where(
		repeat,
		a / (b + np.maximum(x, 1) - 1) * np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + t_x))),
		0.0,
	)
	return head * tail / (1 + odds)


def expected_spend(params: dict, n: np.ndarray, m: np.ndarray) -> np.ndarray:
	"""Gamma-Gamma expected spend per purchase day; the population mean where m is not positive."""
	p, q, v = params["p"], params["q"], params["v"]
	population = p * v / (q - 1)
	conditional = p * (v + n * np.maximum(m, 0)) / (p * n + q - 1)
	return np.where(m > 0, conditional, population)


def not_enough_history(summary: Summary) -> str:
	"""Why the history cannot support a fit, or "" when it can."""
	if len(summary) == 0:
		return "No purchases to learn from."
	repeaters = int(np.count_nonzero(summary.purchase_days >= 2))
	if repeaters < MIN_REPEAT_CUSTOMERS:
		return (
			f"{repeaters} customer(s) bought on two days or more; the model needs at least "
			f"{MIN_REPEAT_CUSTOMERS} to tell the purchase rate from dropping out."
		)
	span = int(summary.as_of_day - summary.first_day.min())
	if span < MIN_SPAN_DAYS:
		return f"The history spans {span} day(s); the model needs at least {MIN_SPAN_DAYS}."
	return ""


def value_model(summary: Summary, horizon_days: int) -> ValueResult:
	"""Expected purchases and value over the next `horizon_days` and the probability of being active."""
	if horizon_days <= 0:
		return ValueResult(NOT_ENOUGH_HISTORY, "The prediction horizon must be at least one day.")
	if reason := not_enough_history(summary):
		return ValueResult(NOT_ENOUGH_HISTORY, reason)
	x, t_x, T = model_inputs(summary)
	bgnbd, converged = fit_bgnbd(x, t_x, T)
	n = summary.purchase_days.astype(np.float64)
	spend = summary.net_amount / n
	fit_rows = (n >= 2) & (spend > 0)
	if int(np.count_nonzero(fit_rows)) < MIN_REPEAT_CUSTOMERS:
		return ValueResult(
			NOT_ENOUGH_HISTORY,
			f"Fewer than {MIN_REPEAT_CUSTOMERS} repeat customers with a positive net spend.",
		)
	gamma_gamma, gg_converged = fit_gamma_gamma(n[fit_rows], spend[fit_rows])
	with np.errstate(all="ignore"):
		purchases = expected_purchases(bgnbd, horizon_days, x, t_x, T)
		alive = probability_alive(bgnbd, x, t_x, T)
		value = purchases * expected_spend(gamma_gamma, n, spend)
	finite = np.isfinite(purchases).all() and np.isfinite(alive).all() and np.isfinite(value).all()
	if not (converged and gg_converged) or not finite or gamma_gamma["q"] <= 1 or (purchases < -1e-9).any():
		return ValueResult(
			NOT_ENOUGH_HISTORY,
			"The purchase history does not pin the model down (the fit did not converge to finite "
			f"figures): BG/NBD {_figures(bgnbd)}, Gamma-Gamma {_figures(gamma_gamma)}.",
			bgnbd=bgnbd,
			gamma_gamma=gamma_gamma,
		)
	note = (
		f"{len(summary)} customers, {int(np.count_nonzero(x > 0))} repeat buyers; "
		f"BG/NBD {_figures(bgnbd)}; Gamma-Gamma {_figures(gamma_gamma)}."
	)
	return ValueResult(
		SCORED,
		note,
		np.maximum(purchases, 0.0),
		np.maximum(value, 0.0),
		np.clip(alive, 0.0, 1.0),
		bgnbd,
		gamma_gamma,
	)


def _figures(params: dict) -> str:
	return ", ".join(f"{key} {value:.4g}" for key, value in params.items())


def holdout(tx: Transactions, calibration_end: date, horizon_days: int) -> HoldoutResult:
	"""Fit on the rows up to `calibration_end`, predict the next `horizon_days`, compare with what happened.

	The baseline is each customer's past rate: repeat purchase days per day since their first purchase,
	times the horizon. Both are compared with the purchase days each customer actually had."""
	summary = summarize(tx, calibration_end)
	result = value_model(summary, horizon_days)
	if result.status != SCORED:
		return HoldoutResult(result.status, result.note)
	start, end = day_number(calibration_end), day_number(calibration_end + timedelta(days=horizon_days))
	later = (tx.day > start) & (tx.day <= end) & (tx.amount > 0)
	position = {name: i for i, name in enumerate(summary.customers.tolist())}
	known = np.array([position.get(name, -1) for name in tx.customers.tolist()], dtype=np.int64)
	row_customer = known[tx.customer_index[later]]
	row_day = tx.day[later]
	seen = row_customer >= 0
	pairs = np.unique(row_customer[seen] * (end - start + 1) + (row_day[seen] - start))
	actual = np.bincount(pairs // (end - start + 1), minlength=len(summary)).astype(np.float64)
	x, _, T = model_inputs(summary)
	baseline = np.where(T > 0, x / np.maximum(T, 1), 0.0) * horizon_days
	return HoldoutResult(
		SCORED,
		result.note,
		customers=len(summary),
		model_mae=float(np.mean(np.abs(result.predicted_purchases - actual))),
		baseline_mae=float(np.mean(np.abs(baseline - actual))),
		actual_total=float(actual.sum()),
		predicted_total=float(result.predicted_purchases.sum()),
		baseline_total=float(baseline.sum()),
	)


def simulate(
	customers: int,
	days: int,
	*,
	r: float = 0.5,
	alpha: float = 30.0,
	a: float = 0.8,
	b: float = 2.5,
	mean_spend: float = 100.0,
	seed: int = 0,
	end: date = date(2026, 1, 1),
) -> Transactions:
	"""Purchase rows from a planted BG/NBD process: customers arrive uniformly over the first half of
	`days` days, buy at rate lambda ~ Gamma(r, 1/alpha) per day while active and drop out after each purchase
	with probability p ~ Beta(a, b) after each repeat purchase; each customer's spend is lognormal around their own mean."""
	rng = np.random.default_rng(seed)
	first_day = day_number(end) - days
	birth = rng.integers(0, days // 2, size=customers)
	lam = rng.gamma(r, 1 / alpha, size=customers)
	drop = rng.beta(a, b, size=customers)
	own_spend = mean_spend * rng.lognormal(0, 0.5, size=customers)
	idx_parts, day_parts = [np.arange(customers)], [birth.copy()]
	current = birth.astype(np.float64)
	active = np.ones(customers, dtype=bool)
	while active.any():
		# BG/NBD: no dropout at the first purchase; after each repeat purchase, dropout with probability p
		alive_idx = np.flatnonzero(active)
		current[alive_idx] += rng.exponential(1 / np.maximum(lam[alive_idx], 1e-9))
		past_end = current[alive_idx] >= days
		active[alive_idx[past_end]] = False
		buying = alive_idx[~past_end]
		idx_parts.append(buying)
		day_parts.append(current[buying].astype(np.int64))
		dropped = buying[rng.random(len(buying)) < drop[buying]]
		active[dropped] = False
	idx = np.concatenate(idx_parts)
	day = np.concatenate(day_parts) + first_day
	amount = np.round(own_spend[idx] * rng.lognormal(0, 0.3, size=len(idx)), 2)
	names = np.empty(customers, dtype=object)
	names[:] = [f"C{i:07d}" for i in range(customers)]
	return Transactions(names, idx.astype(np.int64), day.astype(np.int64), amount)
