"""Predictive lead conversion: a logistic regression over a lead's features, explainable per lead.

Rows are plain dicts of CX Lead fields plus activity counts (`prepare` derives the model's features).
The model is a scikit-learn LogisticRegression on one-hot categorical and standardised numeric
features; what it learnt is kept as plain JSON (`ConversionModel.to_json`, never pickle) and scoring
is numpy only, so a nightly rescore does not need scikit-learn at all.

A factor's effect is its contribution to the lead's log-odds against an average lead of the training
set: a categorical value's coefficient minus the frequency-weighted mean coefficient of its field, a
numeric feature's coefficient times its standardised value. The effects of a lead add up, with the
average lead's log-odds, to the lead's own log-odds, so the top factors explain the probability.

Not enough history: a model needs `min_per_class` leads of each outcome and `min_decided` decided
leads in all (defaults 30 and 200). A quarter of them is held out to measure the AUC; with fewer than
30 of the rarer outcome the holdout has fewer than 8 of them, and the AUC's standard error (Hanley and
McNeil, 1982) passes 0.1 — too wide to tell a model from the rule-based score or from a coin flip.
With 200 decided leads and a balanced outcome the error is about 0.06. The error is shown with the AUC.
"""

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np

CATEGORICAL_FEATURES = (
	"source",
	"industry",
	"territory",
	"score_band",
	"age_band",
	"income_band",
	"gender",
	"utm_medium",
)
# Counts and days are heavy-tailed: log1p before standardising, so one lead with 300 emails does not
# set the scale for the rest.
LOG_FEATURES = ("emails", "calls", "meetings", "days_to_first_contact")
FLAG_FEATURES = ("has_email", "has_phone", "never_contacted")
NUMERIC_FEATURES = LOG_FEATURES + FLAG_FEATURES
FEATURE_LABELS = {
	"source": "Source",
	"industry": "Industry",
	"territory": "Territory",
	"score_band": "Score Band",
	"age_band": "Age Band",
	"income_band": "Income Band",
	"gender": "Gender",
	"utm_medium": "UTM Medium",
	"emails": "Emails",
	"calls": "Calls",
	"meetings": "Meetings",
	"days_to_first_contact": "Days to first contact",
	"has_email": "Has email",
	"has_phone": "Has phone",
	"never_contacted": "Never contacted",
}
NOT_SET, OTHER = "(not set)", "(other)"
# A value seen fewer times than this in training is folded into "(other)": a coefficient learnt from
# three leads is noise, and a shown factor must mean something.
MIN_LEVEL_COUNT = 10
MAX_LEVELS = 50  # per field, most frequent first
MODEL_VERSION = 1
TRAINED, NOT_ENOUGH_HISTORY = "Trained", "Not Enough History"

Translate = Callable[[str], str]
LeadTable = dict[str, list]


def untranslated(text: str) -> str:
	return text


class ConversionModelError(ValueError):
	"""A model text that cannot be loaded, or rows the model cannot score."""


# -- features -----------------------------------------------------------------------------------


def prepare(rows: Iterable[Mapping[str, Any]]) -> LeadTable:
	"""Feature columns from lead rows.

	Each row has the CX Lead fields named in CATEGORICAL_FEATURES (missing ones count as not set), and
	may have `email`, `phone`, `mobile_no`, `creation`, `first_contacted_on` and the counts `emails`,
	`calls`, `meetings`. Days to first contact is 0 for a lead never contacted (its own flag says so);
	a contact dated before the lead's creation (an import) counts as day 0.
	"""
	table: LeadTable = {name: [] for name in CATEGORICAL_FEATURES + NUMERIC_FEATURES}
	for row in rows:
		for name in CATEGORICAL_FEATURES:
			table[name].append(row.get(name) or None)
		for name in ("emails", "calls", "meetings"):
			table[name].append(row.get(name) or 0)
		days = _days_between(row.get("creation"), row.get("first_contacted_on"))
		table["days_to_first_contact"].append(days or 0)
		table["never_contacted"].append(days is None)
		table["has_email"].append(bool(row.get("email")))
		table["has_phone"].append(bool(row.get("phone") or row.get("mobile_no")))
	return table


def _days_between(start, end) -> float | None:
	if not end:
		return None
	if not start:
		return 0.0
	if isinstance(start, date) and not isinstance(start, datetime):
		start = datetime.combine(start, datetime.min.time())
	if isinstance(end, date) and not isinstance(end, datetime):
		end = datetime.combine(end, datetime.min.time())
	return max((end - start).total_seconds() / 86400, 0.0)


def _length(table: Mapping[str, Sequence]) -> int:
	lengths = {len(table[name]) for name in CATEGORICAL_FEATURES + NUMERIC_FEATURES if name in table}
	if len(lengths) > 1:
		raise ConversionModelError("Feature columns have different lengths.")
	return lengths.pop() if lengths else 0


def _numeric_matrix(table: Mapping[str, Sequence], rows: int) -> np.ndarray:
	matrix = np.zeros((rows, len(NUMERIC_FEATURES)))
	for position, name in enumerate(NUMERIC_FEATURES):
		values = table.get(name)
		if values is None:
			continue
		try:
			column = np.asarray(values, dtype=float)
		except (TypeError, ValueError) as exc:
			raise ConversionModelError(f"{name} must be numeric.") from exc
		column = np.nan_to_num(column, nan=0.0, posinf=0.0, neginf=0.0)
		matrix[:, position] = np.log1p(np.clip(column, 0, None)) if name in LOG_FEATURES else column
	return matrix


def _level_key(value) -> str:
	return NOT_SET if value is None or value == "" else str(value)


# -- the model ----------------------------------------------------------------------------------


@dataclass
class ConversionModel:
	levels: dict[str, list[str]]  # field -> its values, OTHER last
	level_effects: dict[str, list[float]]  # field -> effect of each value, centred on the average lead
	means: list[float]  # of the transformed numeric features, in NUMERIC_FEATURES order
	scales: list[float]
	numeric_coef: list[float]  # per standardised unit
	base_logit: float  # the average lead's log-odds

	def to_json(self) -> str:
		return json.dumps(
			{
				"version": MODEL_VERSION,
				"kind": "logistic_regression",
				"categorical": {
					name: {"levels": self.levels[name], "effects": self.level_effects[name]}
					for name in CATEGORICAL_FEATURES
				},
				"numeric": {
					name: {"mean": self.means[i], "scale": self.scales[i], "coef": self.numeric_coef[i]}
					for i, name in enumerate(NUMERIC_FEATURES)
				},
				"base_logit": self.base_logit,
			},
			separators=(",", ":"),
		)

	@classmethod
	def from_json(cls, text: str | None) -> "ConversionModel":
		"""Load a model saved by `to_json`; ConversionModelError when the text is not one."""
		try:
			data = json.loads(text or "")
			if data.get("version") != MODEL_VERSION:
				raise ConversionModelError("The conversion model was saved by another version; retrain it.")
			categorical, numeric = data["categorical"], data["numeric"]
			levels = {name: [str(v) for v in categorical[name]["levels"]] for name in CATEGORICAL_FEATURES}
			effects = {
				name: [float(v) for v in categorical[name]["effects"]] for name in CATEGORICAL_FEATURES
			}
			model = cls(
				levels=levels,
				level_effects=effects,
				means=[float(numeric[name]["mean"]) for name in NUMERIC_FEATURES],
				scales=[float(numeric[name]["scale"]) for name in NUMERIC_FEATURES],
				numeric_coef=[float(numeric[name]["coef"]) for name in NUMERIC_FEATURES],
				base_logit=float(data["base_logit"]),
			)
		except ConversionModelError:
			raise
		except (ValueError, TypeError, KeyError, AttributeError) as exc:
			raise ConversionModelError("The saved conversion model is not readable; retrain it.") from exc
		for name in CATEGORICAL_FEATURES:
			if len(levels[name]) != len(effects[name]) or not levels[name] or levels[name][-1] != OTHER:
				raise ConversionModelError("The saved conversion model is not readable; retrain it.")
		if any(scale <= 0 or not math.isfinite(scale) for scale in model.scales):
			raise ConversionModelError("The saved conversion model is not readable; retrain it.")
		return model

	def contributions(self, table: Mapping[str, Sequence]) -> tuple[np.ndarray, np.ndarray]:
		"""(effects matrix rows by features, level index matrix rows by categorical fields)."""
		rows = _length(table)
		indexes = np.empty((rows, len(CATEGORICAL_FEATURES)), dtype=np.int32)
		effects = np.empty((rows, len(CATEGORICAL_FEATURES) + len(NUMERIC_FEATURES)))
		for position, name in enumerate(CATEGORICAL_FEATURES):
			indexes[:, position] = _level_indexes(table.get(name), self.levels[name], rows)
			effects[:, position] = np.asarray(self.level_effects[name])[indexes[:, position]]
		numeric = (_numeric_matrix(table, rows) - np.asarray(self.means)) / np.asarray(self.scales)
		effects[:, len(CATEGORICAL_FEATURES) :] = numeric * np.asarray(self.numeric_coef)
		return effects, indexes

	def predict(self, table: Mapping[str, Sequence]) -> np.ndarray:
		"""Conversion probabilities (0-1) of the rows of a `prepare`d table."""
		effects, _indexes = self.contributions(table)
		return _sigmoid(self.base_logit + effects.sum(axis=1))

	def score(
		self,
		table: Mapping[str, Sequence],
		top: int = 5,
		labels: Mapping[str, str] | None = None,
		translate: Translate = untranslated,
	) -> tuple[np.ndarray, list[list[dict]]]:
		"""Probabilities (0-1) and, per row, its `top` factors: [{"factor": label, "effect": log-odds}],
		largest effect (either sign) first. Labels are "Field: value", in the reader's language."""
		effects, indexes = self.contributions(table)
		probabilities = _sigmoid(self.base_logit + effects.sum(axis=1))
		count = min(top, effects.shape[1])
		if not len(effects) or count <= 0:
			return probabilities, [[] for _ in range(len(effects))]
		strength = np.abs(effects)
		chosen = np.argpartition(-strength, count - 1, axis=1)[:, :count]
		order = np.take_along_axis(-strength, chosen, axis=1).argsort(axis=1, kind="stable")
		chosen = np.take_along_axis(chosen, order, axis=1)
		chosen_effects = np.round(np.take_along_axis(effects, chosen, axis=1), 3)
		name = _factor_namer(self, table, labels or FEATURE_LABELS, translate)
		level_rows = indexes.tolist()
		factors = [
			[
				{"factor": name(column, row, level_rows[row]), "effect": value}
				for column, value in zip(columns, values, strict=True)
				if value
			]
			for row, (columns, values) in enumerate(
				zip(chosen.tolist(), chosen_effects.tolist(), strict=True)
			)
		]
		return probabilities, factors


def _level_indexes(values: Sequence | None, levels: list[str], rows: int) -> np.ndarray:
	lookup = {level: i for i, level in enumerate(levels)}
	other = len(levels) - 1
	if values is None:
		return np.full(rows, lookup.get(NOT_SET, other), dtype=np.int32)
	return np.fromiter((lookup.get(_level_key(v), other) for v in values), dtype=np.int32, count=rows)


def _sigmoid(logits: np.ndarray) -> np.ndarray:
	return 1.0 / (1.0 + np.exp(-np.clip(logits, -500, 500)))


def _factor_namer(model: ConversionModel, table, labels, translate):
	"""name(column, row, the row's level indexes) -> "Field: value"; labels built once per batch, not
	per factor (five million of them in a million-lead rescore)."""
	categorical = len(CATEGORICAL_FEATURES)
	field_labels = [
		translate(labels.get(name, FEATURE_LABELS[name])) for name in CATEGORICAL_FEATURES + NUMERIC_FEATURES
	]
	level_labels = [
		[
			f"{field_labels[i]}: {translate(level) if level in (NOT_SET, OTHER) else level}"
			for level in model.levels[name]
		]
		for i, name in enumerate(CATEGORICAL_FEATURES)
	]
	yes, no = translate("Yes"), translate("No")
	columns = [table.get(field) for field in NUMERIC_FEATURES]
	shown_values: dict[tuple[int, object], str] = {}

	def numeric_label(column: int, value) -> str:
		field = NUMERIC_FEATURES[column - categorical]
		if field in FLAG_FEATURES:
			shown = yes if value else no
		elif field == "days_to_first_contact":
			shown = f"{float(value or 0):.0f}"
		else:
			shown = f"{float(value or 0):g}"
		return f"{field_labels[column]}: {shown}"

	def name(column: int, row: int, levels: list[int]) -> str:
		if column < categorical:
			return level_labels[column][levels[column]]
		values = columns[column - categorical]
		value = values[row] if values is not None else 0
		key = (column, value)
		if key not in shown_values:
			shown_values[key] = numeric_label(column, value)
		return shown_values[key]

	return name


# -- training -----------------------------------------------------------------------------------


@dataclass
class TrainingResult:
	status: str  # TRAINED or NOT_ENOUGH_HISTORY
	model: ConversionModel | None
	decided: int
	converted: int
	auc: float | None = None
	baseline_auc: float | None = None
	auc_error: float | None = None  # standard error of `auc` (Hanley and McNeil)
	holdout: int = 0
	note: str = ""  # in English; `reason` lets a caller say it in the reader's language
	reason: str = ""  # NOT_ENOUGH_HISTORY: "no_history", "all_converted", "all_lost" or "too_few"


def train(
	table: Mapping[str, Sequence],
	outcomes: Sequence[bool],
	baseline_scores: Sequence[float] | None = None,
	*,
	min_decided: int = 200,
	min_per_class: int = 30,
	holdout_share: float = 0.25,
	regularisation: float = 1.0,
	seed: int = 13,
) -> TrainingResult:
	"""Fit on decided leads (outcome True = converted) and measure the fit on a stratified holdout.

	`baseline_scores` are the rule-based lead scores of the same leads: their holdout AUC is the bar the
	model must clear. The model kept is refitted on every decided lead. Not enough history (too few
	leads, or one outcome only) is a result with a note, not an error.
	"""
	if min_decided < 1 or min_per_class < 1:
		raise ValueError("The minimum numbers of decided leads must be positive.")
	if not 0 < holdout_share < 1:
		raise ValueError("The holdout share must be between 0 and 1.")
	rows = _length(table)
	y = np.asarray(outcomes, dtype=bool)
	if len(y) != rows:
		raise ConversionModelError("There must be one outcome per lead.")
	converted = int(y.sum())
	lost = rows - converted
	if (reason := _history_shortfall(rows, converted, lost, min_decided, min_per_class)) is not None:
		note = _history_note(reason, rows, converted, lost, min_decided, min_per_class)
		return TrainingResult(NOT_ENOUGH_HISTORY, None, rows, converted, note=note, reason=reason)

	test = _stratified_holdout(y, holdout_share, seed)
	train_rows = ~test
	model = _fit(_subset(table, train_rows), y[train_rows], regularisation)
	auc = roc_auc(y[test], model.predict(_subset(table, test)))
	baseline = (
		roc_auc(y[test], np.asarray(baseline_scores, dtype=float)[test])
		if baseline_scores is not None
		else None
	)
	error = auc_standard_error(auc, int(y[test].sum()), int((~y[test]).sum()))
	final = _fit(table, y, regularisation)
	note = (
		f"Trained on {rows} decided leads ({converted} converted, {lost} lost); AUC {auc:.3f} ± {error:.3f} "
		f"on {int(test.sum())} held-out leads"
		+ (f", rule-based score {baseline:.3f}." if baseline is not None else ".")
	)
	if baseline is not None and auc <= baseline:
		note += " The model does not beat the rule-based score on this history."
	return TrainingResult(TRAINED, final, rows, converted, auc, baseline, error, int(test.sum()), note)


def _history_shortfall(
	rows: int, converted: int, lost: int, min_decided: int, min_per_class: int
) -> str | None:
	if not rows:
		return "no_history"
	if not lost:
		return "all_converted"
	if not converted:
		return "all_lost"
	if rows < min_decided or min(converted, lost) < min_per_class:
		return "too_few"
	return None


def _history_note(
	reason: str, rows: int, converted: int, lost: int, min_decided: int, min_per_class: int
) -> str:
	if reason == "no_history":
		return "Not enough history: no lead has been converted or lost yet."
	if reason in ("all_converted", "all_lost"):
		outcome = "converted" if reason == "all_converted" else "were lost"
		return (
			f"Not enough history: all {rows} decided leads {outcome}; a model needs both converted and "
			"lost leads to learn what separates them."
		)
	return (
		f"Not enough history: {rows} decided leads ({converted} converted, {lost} lost); the model needs "
		f"at least {min_decided} decided leads and {min_per_class} of each outcome to measure its accuracy "
		"on leads it did not see."
	)


def _stratified_holdout(y: np.ndarray, share: float, seed: int) -> np.ndarray:
	"""A boolean mask: `share` of each outcome, at least one of each, at least one of each left to train."""
	rng = np.random.default_rng(seed)
	test = np.zeros(len(y), dtype=bool)
	for outcome in (True, False):
		members = np.flatnonzero(y == outcome)
		take = min(max(1, round(len(members) * share)), len(members) - 1)
		test[rng.choice(members, size=take, replace=False)] = True
	return test


def _subset(table: Mapping[str, Sequence], mask: np.ndarray) -> dict[str, np.ndarray]:
	return {
		name: np.asarray(table[name], dtype=object)[mask]
		for name in CATEGORICAL_FEATURES + NUMERIC_FEATURES
		if name in table
	}


def _levels(values: Sequence | None) -> list[str]:
	counts = Counter(_level_key(v) for v in values) if values is not None else Counter({NOT_SET: 1})
	kept = [level for level, n in counts.most_common(MAX_LEVELS) if n >= MIN_LEVEL_COUNT and level != OTHER]
	return [*kept, OTHER]


def _fit(table: Mapping[str, Sequence], y: np.ndarray, regularisation: float) -> ConversionModel:
	from scipy import sparse
	from sklearn.linear_model import LogisticRegression

	rows = len(y)
	levels = {name: _levels(table.get(name)) for name in CATEGORICAL_FEATURES}
	offsets, columns, width = [], [], 0
	for name in CATEGORICAL_FEATURES:
		offsets.append(width)
		columns.append(_level_indexes(table.get(name), levels[name], rows) + width)
		width += len(levels[name])
	one_hot = sparse.csr_matrix(
		(
			np.ones(rows * len(CATEGORICAL_FEATURES)),
			np.column_stack(columns).ravel(),
			np.arange(0, rows * len(CATEGORICAL_FEATURES) + 1, len(CATEGORICAL_FEATURES)),
		),
		shape=(rows, width),
	)
	numeric = _numeric_matrix(table, rows)
	means = numeric.mean(axis=0)
	scales = numeric.std(axis=0)
	scales[scales == 0] = 1.0  # a constant feature: coefficient 0, any scale will do
	design = sparse.hstack([one_hot, sparse.csr_matrix((numeric - means) / scales)], format="csr")
	fit = LogisticRegression(C=regularisation, max_iter=1000, solver="lbfgs").fit(design, y)
	coef = fit.coef_[0]
	level_effects, base_logit = {}, float(fit.intercept_[0])
	for name, offset in zip(CATEGORICAL_FEATURES, offsets, strict=True):
		field_coef = coef[offset : offset + len(levels[name])]
		share = (
			np.bincount(columns[CATEGORICAL_FEATURES.index(name)] - offset, minlength=len(field_coef)) / rows
		)
		average = float(field_coef @ share)
		level_effects[name] = [round(float(c) - average, 6) for c in field_coef]
		base_logit += average
	return ConversionModel(
		levels=levels,
		level_effects=level_effects,
		means=[float(m) for m in means],
		scales=[float(s) for s in scales],
		numeric_coef=[float(c) for c in coef[width:]],
		base_logit=base_logit,
	)


# -- accuracy -----------------------------------------------------------------------------------


def roc_auc(outcomes: Sequence[bool], scores: Sequence[float]) -> float:
	"""Area under the ROC curve (ties count half); 0.5 when one outcome is missing or scores are all equal."""
	y = np.asarray(outcomes, dtype=bool)
	if y.all() or not y.any():
		return 0.5
	from sklearn.metrics import roc_auc_score

	return float(roc_auc_score(y, np.nan_to_num(np.asarray(scores, dtype=float))))


def auc_standard_error(auc: float, positives: int, negatives: int) -> float:
	"""Hanley and McNeil (1982): the standard error of an AUC measured on this many of each outcome."""
	if positives < 1 or negatives < 1:
		return float("nan")
	q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
	variance = (auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)) / (
		positives * negatives
	)
	return math.sqrt(max(variance, 0.0))


def factors_json(factors: list[dict]) -> str:
	return json.dumps(factors, ensure_ascii=False, separators=(",", ":"))
