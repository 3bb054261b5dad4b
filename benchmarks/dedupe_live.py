"""The duplicate check a save runs, on a real site: its time per save, printed (never asserted).

Run with the bench's python on a site whose leads have their keys (a scan has run: the "Find Duplicates"
button on CX Duplicate Group, or `--scan` here, which runs one for leads first):
	CRM_APP_SITE=bench-plain.localhost ~/frappe-bench/env/bin/python benchmarks/dedupe_live.py [--scan]

For a sample of existing leads it builds a new, unsaved lead with the same person written another way
(swapped words, upper-case mailbox) and times what the save hook does: the lookup of candidates through
the stored keys and their scoring (goal: under 5 ms), and the rewrite of one record's keys on save.
Nothing is saved.
"""

import argparse
import os
import random
import statistics
import time
from pathlib import Path

import frappe


def percentile(values: list[float], share: float) -> float:
	ordered = sorted(values)
	return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
	parser = argparse.ArgumentParser(
		description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
	)
	parser.add_argument("--samples", type=int, default=300)
	parser.add_argument("--scan", action="store_true", help="run the lead scan first (fills the keys)")
	args = parser.parse_args()

	site = os.environ["CRM_APP_SITE"]
	os.chdir(Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench")) / "sites")
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from crm_app.core.quality.matching import prepare
	from crm_app.cx_data_quality import duplicates

	leads = frappe.db.count("CX Lead")
	if args.scan:
		started = time.perf_counter()
		filed = duplicates.run_scan(("CX Lead",))
		print(
			f"scan of {leads:,} leads: {time.perf_counter() - started:.0f} s, {filed['CX Lead']:,} groups filed"
		)
	keys = frappe.db.count("CX Duplicate Key", {"record_doctype": "CX Lead"})

	names = frappe.get_all("CX Lead", pluck="name", limit=args.samples * 20, order_by="modified desc")
	sample = random.Random(1).sample(names, min(args.samples, len(names)))
	check_ms, write_ms, found = [], [], 0
	for name in sample:
		lead = frappe.get_doc("CX Lead", name)
		twin = frappe.get_doc(
			{
				"doctype": "CX Lead",
				"first_name": lead.last_name or lead.first_name,
				"last_name": lead.first_name if lead.last_name else None,
				"email": (lead.email or "").upper() or None,
				"mobile_no": lead.mobile_no,
			}
		)
		started = time.perf_counter()
		matches = duplicates.possible_duplicates(twin)
		check_ms.append((time.perf_counter() - started) * 1000)
		found += any(other.ref == name for other, _ in matches)
		record = prepare(duplicates.party_of(lead))
		frappe.db.savepoint("dedupe_keys")
		started = time.perf_counter()
		duplicates.write_keys("CX Lead", [record])
		write_ms.append((time.perf_counter() - started) * 1000)
		frappe.db.rollback(save_point="dedupe_keys")
	frappe.db.rollback()

	print(f"site {site}: {leads:,} leads, {keys:,} stored keys")
	print(
		f"check per save   p50 {statistics.median(check_ms):.2f} ms, p95 {percentile(check_ms, 0.95):.2f} ms, "
		f"max {max(check_ms):.2f} ms (goal: under 5 ms)"
	)
	print(
		f"keys per save    p50 {statistics.median(write_ms):.2f} ms, p95 {percentile(write_ms, 0.95):.2f} ms"
	)
	print(f"the lead itself was among the candidates in {found} of {len(sample)} checks")


if __name__ == "__main__":
	main()
