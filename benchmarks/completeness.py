"""Record completeness figures, printed (never asserted).

Run with the bench's python on a site that has crm_app and many leads (e.g. a million from
`bench --site S crm-demo-data --leads 1000000`); it changes the completeness rules and rewrites every
record's score, so not on production:
	CRM_APP_SITE=bench-plain.localhost ~/frappe-bench/env/bin/python benchmarks/completeness.py

Prints: the bulk recompute's rate (records/s) after a rule change and in a pass where nothing changes,
what scoring adds to one save, the CX Incomplete Records report, and a list count "Completeness < 60".
The site's own rules are put back (and its records scored by them) at the end.
"""

import argparse
import os
import statistics
import time
from pathlib import Path

import frappe

SETTINGS = "CX Data Quality Settings"
RULE_FIELDS = ("record_type", "fieldname", "alternatives", "weight")


def set_rules(rows: list[dict]) -> None:
	settings = frappe.get_single(SETTINGS)
	settings.set("completeness_rules", [])
	for row in rows:
		settings.append("completeness_rules", {field: row.get(field) for field in RULE_FIELDS})
	settings.flags.skip_recompute = True  # the benchmark runs the job itself, in this process
	settings.save(ignore_permissions=True)
	frappe.db.commit()


def recompute() -> tuple[float, int, float, int]:
	from crm_app.cx_data_quality.completeness import DOCTYPES, recompute_all

	records = sum(frappe.db.count(doctype) for doctype in DOCTYPES)
	start = time.perf_counter()
	changed = recompute_all()
	seconds = time.perf_counter() - start
	return records / seconds, changed or 0, seconds, records


def save_overhead(samples: int) -> float:
	"""Median ms that set_completeness (the validate hook) takes on a saved lead."""
	from crm_app.cx_data_quality.completeness import set_completeness

	lead = frappe.get_doc("CX Lead", frappe.get_all("CX Lead", limit=1, pluck="name")[0])
	timings = []
	for _ in range(samples):
		start = time.perf_counter()
		set_completeness(lead)
		timings.append((time.perf_counter() - start) * 1000)
	return statistics.median(timings)


def timed(fn) -> tuple[float, object]:
	start = time.perf_counter()
	result = fn()
	return time.perf_counter() - start, result


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--samples", type=int, default=500)
	args = parser.parse_args()
	os.chdir(Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench")) / "sites")
	frappe.init(site=os.environ["CRM_APP_SITE"], sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from frappe.desk.query_report import run

	original = [row.as_dict() for row in frappe.get_single(SETTINGS).completeness_rules]
	# A change that moves the score of every lead missing a job title (the demo's leads have none): the
	# job title weighs 4 instead of 1.
	changed_rules = [
		{**row, "weight": 4} if (row.record_type, row.fieldname) == ("CX Lead", "job_title") else row
		for row in original
	]
	try:
		print(
			f"on {frappe.local.site}: "
			+ ", ".join(f"{d} {frappe.db.count(d):,}" for d in ("CX Lead", "CX Customer", "Contact"))
		)
		for label, rules in (
			("with the site's rules", original),
			("after a rule change", changed_rules),
			("nothing changed", changed_rules),
		):
			set_rules(rules)
			rate, changed, seconds, records = recompute()
			print(
				f"recompute {label:>22}: {rate:,.0f} records/s ({records:,} in {seconds:.1f} s, {changed:,} written)"
			)
		print(f"set_completeness on a saved lead: {save_overhead(args.samples):.3f} ms (median)")
		for _pass in ("cold", "warm"):
			seconds, result = timed(
				lambda: run(
					"CX Incomplete Records", filters={"record_type": "CX Lead"}, ignore_prepared_report=True
				)
			)
			print(f"CX Incomplete Records, leads, {_pass}: {seconds:.2f} s ({len(result['result'])} owners)")
		seconds, count = timed(lambda: frappe.db.count("CX Lead", {"completeness": ("<", 60)}))
		print(f"list count Completeness < 60: {seconds:.2f} s ({count:,} leads)")
		seconds, _rows = timed(
			lambda: frappe.get_list(
				"CX Lead",
				filters={"completeness": ("<", 60)},
				fields=["name"],
				order_by="modified desc",
				limit=20,
			)
		)
		print(f"list page Completeness < 60 (20 rows by modified): {seconds * 1000:.0f} ms")
	finally:
		set_rules(original)
		rate, changed, seconds, records = recompute()
		print(f"restored the site's rules: {rate:,.0f} records/s ({seconds:.1f} s, {changed:,} written)")
		frappe.destroy()


if __name__ == "__main__":
	main()
