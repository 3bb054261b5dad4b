"""Lead figures at scale, printed (never asserted).

Run with the bench's python on a site that has crm_app (it adds demo leads, so not on production):
	CRM_APP_SITE=crm-dev.localhost ~/frappe-bench/env/bin/python benchmarks/leads.py --leads 1000000

Prints: seeding time, ORM insert rate, list page (common and rare status, as Administrator and as a
restricted sales user) beside the raw SQL of the same query, link search and count; with ERPNext on the
site, the same ORM insert rate, search and list for ERPNext's Lead.
"""

import argparse
import os
import statistics
import time
from pathlib import Path

import frappe


def timed(fn, repeat: int = 20) -> float:
	"""Median milliseconds of `fn` over `repeat` runs after one warm-up."""
	fn()
	samples = []
	for _ in range(repeat):
		start = time.perf_counter()
		fn()
		samples.append((time.perf_counter() - start) * 1000)
	return statistics.median(samples)


def orm_insert_rate(doctype: str, make: dict, n: int = 200) -> float:
	start = time.perf_counter()
	for i in range(n):
		frappe.get_doc({"doctype": doctype, **make(i)}).insert()
	rate = n / (time.perf_counter() - start)
	frappe.db.rollback()
	return rate


def list_vs_sql(doctype: str, filters: dict) -> tuple[float, float]:
	args = dict(
		filters=filters,
		fields=["name", "lead_name", "status"],
		order_by="modified desc",
		limit_page_length=20,
	)
	sql = frappe.get_list(doctype, run=0, **args)
	return timed(lambda: frappe.get_list(doctype, **args)), timed(lambda: frappe.db.sql(sql))


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--leads", type=int, default=100_000)
	args = parser.parse_args()
	site = os.environ["CRM_APP_SITE"]
	os.chdir(Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench")) / "sites")
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	from frappe.desk.search import search_link

	from crm_app.demo import create_demo_data

	start = time.perf_counter()
	result = create_demo_data(leads=args.leads, records=50, force=True, quiet=True)
	seeded = time.perf_counter() - start
	total = frappe.db.count("CX Lead")
	print(f"CX Lead rows: {total:,} (seeded {result['leads_inserted']:,} in {seeded:.1f}s)")

	rate = orm_insert_rate(
		"CX Lead", lambda i: {"first_name": "Bench", "last_name": f"Mark {i}", "email": f"bm{i}@example.com"}
	)
	print(f"ORM insert            CX Lead {rate:8.1f} leads/s")
	erpnext = "erpnext" in frappe.get_installed_apps()
	if erpnext:
		erate = orm_insert_rate(
			"Lead",
			lambda i: {"first_name": "Bench", "last_name": f"Mark {i}", "email_id": f"bm{i}@example.com"},
			n=50,
		)
		print(f"ORM insert            Lead    {erate:8.1f} leads/s (ERPNext, creates a Contact too)")

	frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
	frappe.db.commit()
	for user in ("Administrator", "demo.sales1@example.com"):
		frappe.set_user(user)
		for status in ("New", "Converted"):
			orm, raw = list_vs_sql("CX Lead", {"status": status})
			print(
				f"list page {user[:16]:16} {status:10} ORM {orm:7.2f} ms  raw SQL {raw:7.2f} ms  ratio {orm / raw:4.2f}"
			)
	frappe.set_user("Administrator")
	frappe.db.set_single_value("CX Settings", "restrict_sales_users", 0)
	frappe.db.commit()

	search = timed(lambda: search_link("CX Lead", "Ada Bauer"))
	print(f"search_link           CX Lead {search:8.2f} ms")
	count = timed(lambda: frappe.db.count("CX Lead", {"status": "New"}))
	print(f"count (status=New)    CX Lead {count:8.2f} ms")
	if erpnext:
		print(f"ERPNext Lead rows: {frappe.db.count('Lead'):,}")
		print(f"search_link           Lead    {timed(lambda: search_link('Lead', 'Ada Bauer')):8.2f} ms")
		orm, raw = list_vs_sql("Lead", {"status": "Lead"})
		print(f"list page Administrator Lead   ORM {orm:7.2f} ms  raw SQL {raw:7.2f} ms")
	frappe.destroy()


if __name__ == "__main__":
	main()
