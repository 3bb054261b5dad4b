"""Predictive lead conversion figures, printed (never asserted). The core part needs no site:
	python3 benchmarks/insights_conversion.py [--leads 1000000]
The shell part (the weekly retrain and nightly rescore jobs on a real site) runs when CRM_APP_SITE is set,
with the bench's python, on a site of its own (it adds leads):
	CRM_APP_SITE=crm-portal.localhost ~/frappe-bench/env/bin/python benchmarks/insights_conversion.py \
		--site-leads 200000 [--skip-core]

Seeds nothing in a database. It generates leads with the repository's own demo generator
(`crm_app.core.demo.lead_rows`: source, industry, territory, age and income bands, email, phone,
creation), adds activity (emails, calls, meetings, days to first contact) and an outcome drawn from a
planted logistic signal, then runs the path the jobs run, in their batch sizes:
- training: features prepared batch by batch, a holdout fit and a final fit (goal: training and
  scoring of 1,000,000 leads under 120 s together, on 2 cores);
- scoring: probabilities, top-5 factors and their JSON for every lead, in batches of 5,000;
- peak memory of the process (ru_maxrss), and the model's JSON size;
- accuracy on the held-out quarter: the model's AUC against the rule-based score's (the starter
  criteria a fresh install gets, evaluated by crm_app.core.scoring), and the AUC of the planted
  signal itself (the best any model could do).

Shell part: seeds --site-leads leads with `crm_app.demo.bulk_load` (fixed names CX-LEAD-CONVBENCH-0000001...,
so a second run only tops up; two in five decided: Converted when the planted outcome says so, else Lost or
Unqualified; the rest open; lead_score and score_band from the starter rules; no activity records, so
the calls and meetings of the signal do not reach the site's model), then times
`crm_app.cx_insights.conversion.retrain` (reads every decided lead, trains, saves the model) and
`rescore_open_leads` (reads, scores and writes every open lead in batches) and prints what they wrote.
"""

import argparse
import math
import os
import resource
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_app.core import demo, scoring
from crm_app.core.insights import conversion

SOURCES = ("Web", "Referral", "Partner", "Cold Call", "Event", "Advertisement")
INDUSTRIES = ("Manufacturing", "Retail", "Software", "Healthcare", "Finance", "Education", "Logistics")
TERRITORIES = ("North", "South", "East", "West", "Export")
MASTERS = demo.DemoMasters(
	owners=("a@example.com", "b@example.com"),
	sources=SOURCES,
	territories=TERRITORIES,
	industries=INDUSTRIES,
	campaigns=("Spring", "Autumn"),
	countries={"GB": "United Kingdom", "DE": "Germany", "IN": "India", "US": "United States"},
)
# The starter rules of a fresh install (crm_app.install.DEFAULT_CRITERIA) without the status test: the
# status of a decided lead is its outcome. Activity windows count all activity here.
RULES = [
	{"criterion_type": "Field", "fieldname": "email", "operator": "is set", "points": 10},
	{"criterion_type": "Field", "fieldname": "mobile_no", "operator": "is set", "points": 5},
	{
		"criterion_type": "Field",
		"fieldname": "source",
		"operator": "in",
		"value": "Referral, Partner",
		"points": 15,
	},
	{"criterion_type": "Activity", "activity": "Call", "min_count": 1, "within_days": 30, "points": 10},
	{"criterion_type": "Activity", "activity": "Meeting", "min_count": 1, "within_days": 30, "points": 20},
	{"criterion_type": "Activity", "activity": "Email", "min_count": 2, "within_days": 30, "points": 10},
]
RULE_FIELDS = {"email": ("Data", "Email"), "mobile_no": ("Data", "Mobile"), "source": ("Link", "Source")}
GENERATE_BATCH, SCORE_BATCH = 50_000, 5_000
NOW = datetime(2026, 12, 1)


def planted_logit(lead: dict) -> float:
	"""The hidden truth: what makes a generated lead convert."""
	value = -2.2
	value += {"Referral": 1.2, "Partner": 0.8, "Cold Call": -0.6}.get(lead["source"], 0.0)
	value += {"Manufacturing": 0.6, "Software": 0.3, "Education": -0.4}.get(lead["industry"], 0.0)
	value += {"High": 0.6, "Upper Middle": 0.3, "Low": -0.3}.get(lead["income_band"], 0.0)
	value += -0.4 if lead["age_band"] == "18-24" else 0.0
	value += 0.3 * min(lead["calls"], 5) + (0.8 if lead["meetings"] else 0.0)
	if lead["first_contacted_on"] is None:
		value -= 0.8
	else:
		value -= 0.3 * math.log1p((lead["first_contacted_on"] - lead["creation"]).total_seconds() / 86400)
	return value


def generate(start: int, count: int, rng: np.random.Generator):
	"""Leads start..start+count-1 as dicts, with their planted outcome and rule score."""
	rows = [
		dict(zip(demo.LEAD_FIELDS, row, strict=True))
		for row in demo.lead_rows(start, count, MASTERS, now=NOW)
	]
	calls, emails, meetings = rng.poisson(1.2, count), rng.poisson(2.0, count), rng.random(count) < 0.15
	contacted, delay = rng.random(count) < 0.8, rng.exponential(4.0, count)
	mobile, draws = rng.random(count) < 0.7, rng.random(count)
	outcomes, rule_scores = [], []
	criteria = scoring.compile_criteria(RULES, RULE_FIELDS)
	for i, lead in enumerate(rows):
		lead["calls"], lead["emails"], lead["meetings"] = int(calls[i]), int(emails[i]), int(meetings[i])
		lead["mobile_no"] = lead["mobile_no"] if mobile[i] else None
		lead["first_contacted_on"] = (
			lead["creation"] + timedelta(days=float(delay[i])) if contacted[i] else None
		)
		outcomes.append(bool(draws[i] < 1 / (1 + math.exp(-planted_logit(lead)))))
		counts = {
			("Call", 30): lead["calls"],
			("Meeting", 30): lead["meetings"],
			("Email", 30): lead["emails"],
		}
		rule_scores.append(scoring.total(criteria, lead, counts))
	return rows, outcomes, rule_scores


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--leads", type=int, default=1_000_000)
	parser.add_argument("--site-leads", type=int, default=200_000)
	parser.add_argument("--skip-core", action="store_true")
	args = parser.parse_args()
	if not args.skip_core:
		core_run(args.leads)
	if os.environ.get("CRM_APP_SITE"):
		print()
		site_run(args.site_leads)


def core_run(leads: int) -> None:
	rng = np.random.default_rng(7)
	names = conversion.CATEGORICAL_FEATURES + conversion.NUMERIC_FEATURES
	table = {name: [] for name in names}
	outcomes, rule_scores, truth = [], [], []
	prepare_seconds, started = 0.0, time.perf_counter()
	for start in range(1, leads + 1, GENERATE_BATCH):
		rows, batch_outcomes, batch_scores = generate(start, min(GENERATE_BATCH, leads + 1 - start), rng)
		truth.extend(planted_logit(row) for row in rows)
		outcomes.extend(batch_outcomes)
		rule_scores.extend(batch_scores)
		tick = time.perf_counter()
		for name, values in conversion.prepare(rows).items():
			table[name].extend(values)
		prepare_seconds += time.perf_counter() - tick
	generated = time.perf_counter() - started - prepare_seconds
	print(f"leads: {leads:,}, converted {sum(outcomes) / len(outcomes):.1%} (generated in {generated:.1f} s)")

	tick = time.perf_counter()
	result = conversion.train(table, outcomes, rule_scores)
	train_seconds = time.perf_counter() - tick
	print(f"features prepared: {prepare_seconds:.1f} s")
	print(f"training (holdout fit + final fit): {train_seconds:.1f} s -> {result.status}")

	model = conversion.ConversionModel.from_json(result.model.to_json())
	tick, scored, json_bytes = time.perf_counter(), 0, 0
	for start in range(0, leads, SCORE_BATCH):
		batch = {name: values[start : start + SCORE_BATCH] for name, values in table.items()}
		probabilities, factors = model.score(batch)
		json_bytes += sum(len(conversion.factors_json(lead)) for lead in factors)
		scored += len(probabilities)
	score_seconds = time.perf_counter() - tick
	print(
		f"scoring with top-5 factors as JSON, batches of {SCORE_BATCH:,}: {score_seconds:.1f} s ({scored:,} leads)"
	)
	total = prepare_seconds + train_seconds + score_seconds
	print(f"training + scoring in all: {total:.1f} s (goal: under 120 s)")
	print(f"peak memory (ru_maxrss, whole process incl. the generator): {peak_mb():.0f} MB")
	print(
		f"model JSON: {len(result.model.to_json()):,} bytes; factors JSON: {json_bytes / scored:.0f} bytes a lead"
	)
	print()
	print(f"holdout ({result.holdout:,} leads): model AUC {result.auc:.3f} ± {result.auc_error:.3f}")
	print(f"  rule-based score AUC (starter rules): {result.baseline_auc:.3f}")
	print(f"  planted signal AUC (ceiling, all leads): {conversion.roc_auc(outcomes, truth):.3f}")
	probabilities = model.predict(table)
	print(
		f"  mean predicted {probabilities.mean():.3f} vs observed {np.mean(outcomes):.3f} (calibration in the large)"
	)


def site_rows(start: int, count: int):
	"""Rows for the site in SITE_FIELDS order: the generator's leads with a status from their outcome."""
	rows, outcomes, rule_scores = generate(start, count, np.random.default_rng(start))
	for index, (lead, converted, rule_score) in enumerate(
		zip(rows, outcomes, rule_scores, strict=True), start
	):
		lead["name"] = f"CX-LEAD-CONVBENCH-{index:07d}"
		if index % 5 < 2:
			lead["status"] = "Converted" if converted else ("Lost" if index % 2 else "Unqualified")
		elif lead["status"] in ("Lost", "Unqualified"):
			lead["status"] = "New"
		lead["converted_on"] = (
			lead["creation"] + timedelta(days=10) if lead["status"] == "Converted" else None
		)
		lead["lead_score"] = rule_score
		lead["score_band"] = scoring.band(rule_score, 50, 20)
		yield tuple(lead[field] for field in SITE_FIELDS)


SITE_FIELDS = (*demo.LEAD_FIELDS, "first_contacted_on", "converted_on", "score_band")


def site_run(count: int) -> None:
	import frappe

	from crm_app import demo as site_demo
	from crm_app.cx_insights import conversion as shell

	frappe.init(site=os.environ["CRM_APP_SITE"], sites_path=str(Path.home() / "frappe-bench" / "sites"))
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		existing = frappe.db.count("CX Lead", {"name": ("like", "CX-LEAD-CONVBENCH-%")})
		tick = time.perf_counter()
		loaded = site_demo.bulk_load(
			"CX Lead",
			SITE_FIELDS,
			(site_rows(start, n) for start, n in site_demo.index_chunks(existing + 1, count, GENERATE_BATCH)),
		)
		frappe.db.commit()
		leads = frappe.db.count("CX Lead")
		print(
			f"site {frappe.local.site}: {loaded:,} leads seeded in {time.perf_counter() - tick:.1f} s, {leads:,} in all"
		)
		tick = time.perf_counter()
		result = shell.retrain(commit=True, rescore=False)
		print(
			f"retrain job: {time.perf_counter() - tick:.1f} s on {result.decided:,} decided leads -> {result.status}"
		)
		print(f"  note: {frappe.db.get_single_value(shell.SETTINGS, 'conversion_model_note')}")
		tick = time.perf_counter()
		scored = shell.rescore_open_leads()
		seconds = time.perf_counter() - tick
		print(f"rescore job: {scored:,} open leads in {seconds:.1f} s ({scored / seconds:,.0f} leads/s)")
		sample = frappe.db.get_value(
			"CX Lead",
			{"name": ("like", "CX-LEAD-CONVBENCH-%"), "conversion_scored_on": ("is", "set")},
			["name", "source", "conversion_probability", "conversion_factors"],
			as_dict=True,
		)
		print(f"  e.g. {sample}")
		print(f"peak memory of the process: {peak_mb():.0f} MB")
	finally:
		frappe.destroy()


def peak_mb() -> float:
	return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
	main()
