"""Lead scoring figures, printed (never asserted).

Run with the bench's python on a site that has crm_app and demo leads (e.g. a million from
`bench --site S crm-demo-data --leads 1000000`); it changes the scoring setup, so not on production:
	CRM_APP_SITE=crm-dev.localhost ~/frappe-bench/env/bin/python benchmarks/scoring.py

Prints: bulk rescoring rate after a rule change (goal: 20,000 leads/s or more), a pass where nothing
changes, and the time scoring adds to one lead save (goal: under 1 ms).
"""

import argparse
import os
import statistics
import time
from pathlib import Path

import frappe

from crm_app.install import DEFAULT_CRITERIA

# The starter criteria a fresh install gets, plus two more field tests.
RULES_A = [
	*DEFAULT_CRITERIA,
	{
		"criterion_type": "Field",
		"fieldname": "industry",
		"operator": "equals",
		"value": "Manufacturing",
		"points": 10,
	},
	{
		"criterion_type": "Field",
		"fieldname": "organization_name",
		"operator": "contains",
		"value": "tech",
		"points": 5,
	},
]
# A rule change that moves most scores: different points on the same criteria.
RULES_B = [{**row, "points": row["points"] + 3} for row in RULES_A]


def set_rules(rows: list[dict]) -> None:
	settings = frappe.get_single("CX Scoring Settings")
	settings.set("criteria", [])
	for row in rows:
		settings.append("criteria", row)
	settings.flags.skip_rescore = True  # the benchmark runs the rescore itself, in this process
	settings.save(ignore_permissions=True)
	frappe.db.commit()


def rescore_rate() -> tuple[float, int, float]:
	from crm_app.scoring import rescore_all_leads

	start = time.perf_counter()
	changed = rescore_all_leads()
	seconds = time.perf_counter() - start
	return frappe.db.count("CX Lead") / seconds, changed, seconds


def save_overhead(samples: int) -> tuple[float, float, float]:
	"""Median ms of a lead insert with scoring and with scoring switched off (interleaved, so both see
	the same caches and load), and of apply_score alone on a saved lead."""
	from unittest.mock import patch

	from crm_app import scoring

	def insert_ms(i: int) -> float:
		start = time.perf_counter()
		frappe.get_doc(
			{
				"doctype": "CX Lead",
				"first_name": f"Bench {i}",
				"email": f"bench{i}@example.com",
				"source": "Referral",
			}
		).insert()
		return (time.perf_counter() - start) * 1000

	with_scoring, without = [], []
	for i in range(samples):
		with_scoring.append(insert_ms(2 * i))
		with patch.object(scoring, "apply_score", lambda doc: None):
			without.append(insert_ms(2 * i + 1))
	frappe.db.rollback()
	saved = frappe.get_doc("CX Lead", frappe.get_all("CX Lead", limit=1, pluck="name")[0])
	timings = []
	for _ in range(samples):
		start = time.perf_counter()
		scoring.apply_score(saved)
		timings.append((time.perf_counter() - start) * 1000)
	return statistics.median(with_scoring), statistics.median(without), statistics.median(timings)


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--samples", type=int, default=200)
	args = parser.parse_args()
	os.chdir(Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench")) / "sites")
	frappe.init(site=os.environ["CRM_APP_SITE"], sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")

	original = [row.as_dict() for row in frappe.get_single("CX Scoring Settings").criteria]
	try:
		leads = frappe.db.count("CX Lead")
		print(f"CX Leads on {frappe.local.site}: {leads:,}")
		set_rules(RULES_A)
		rescore_rate()  # bring stored scores in line with rules A
		set_rules(RULES_B)
		rate, changed, seconds = rescore_rate()
		print(f"bulk rescore after a rule change: {rate:,.0f} leads/s ({seconds:.1f} s, {changed:,} changed)")
		rate, changed, seconds = rescore_rate()
		print(f"bulk rescore, nothing changed:    {rate:,.0f} leads/s ({seconds:.1f} s, {changed:,} changed)")
		with_rules, without, apply_ms = save_overhead(args.samples)
		print(
			f"lead insert: {with_rules:.2f} ms with {len(RULES_B)} criteria, {without:.2f} ms without;"
			f" scoring adds {with_rules - without:.2f} ms"
		)
		print(f"apply_score on a saved lead (criteria + 2 activity counts): {apply_ms:.3f} ms")
	finally:
		set_rules(
			[
				{
					k: v
					for k, v in row.items()
					if k in RULES_A[0]
					or k in ("activity", "min_count", "within_days", "value", "enabled", "label")
				}
				for row in original
			]
		)
		frappe.destroy()


if __name__ == "__main__":
	main()
