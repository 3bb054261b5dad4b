"""Opportunity pipeline rules: stage probability, weighted amount, closing states."""

OPEN, WON, LOST = "Open", "Won", "Lost"
CLOSED_STATUSES = frozenset({WON, LOST})


def probability_after_stage_change(
	*,
	old_stage_default: float | None,
	new_stage_default: float | None,
	old_probability: float | None,
	new_probability: float | None,
) -> float:
	"""Probability to store after a save that may have changed the stage.

	The probability follows the stage's default unless the user has overridden it: an override is
	a probability edited in this very save, or one that already differed from the old stage's default.
	"""
	edited_now = new_probability is not None and new_probability != old_probability
	if edited_now:
		return float(new_probability)

	followed_old_stage = old_probability is None or old_probability == old_stage_default
	if followed_old_stage and new_stage_default is not None:
		return float(new_stage_default)

	return float(new_probability if new_probability is not None else old_probability or 0)


def probability_for_status(status: str, probability: float) -> float:
	"""Closed deals are certain: won is 100 %, lost is 0 %."""
	if status == WON:
		return 100.0
	if status == LOST:
		return 0.0
	return probability


def weighted_amount(amount: float, probability: float) -> float:
	return round((amount or 0) * (probability or 0) / 100.0, 2)


def items_total(lines: list[tuple[float, float]]) -> float:
	"""Sum of qty * rate over (qty, rate) pairs, rounded to cents."""
	return round(sum((qty or 0) * (rate or 0) for qty, rate in lines), 2)


PIPELINE, BEST_CASE, COMMIT, CLOSED, OMITTED = "Pipeline", "Best Case", "Commit", "Closed", "Omitted"


def forecast_category(
	*, status: str, stage_category: str | None, current: str | None, stage_changed: bool, edited: bool
) -> str:
	"""Won is Closed and Lost is Omitted; an open deal follows its stage unless the user chose a category."""
	if status == WON:
		return CLOSED
	if status == LOST:
		return OMITTED
	if current in (CLOSED, OMITTED):  # reopened
		current = None
	if current and edited:
		return current
	if stage_changed or not current:
		return stage_category or PIPELINE
	return current


def days_between(start, end) -> float:
	"""Days from one datetime to another, to two decimals; never negative."""
	if not start or not end:
		return 0.0
	return max(round((end - start).total_seconds() / 86400, 2), 0.0)


def rate(part: float, whole: float) -> float:
	"""Percentage of part in whole, 0 when there is no whole."""
	return round(100.0 * part / whole, 1) if whole else 0.0
