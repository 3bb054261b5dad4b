"""Server time of every script report of the app, printed (never asserted).

Run with the bench's python on a site with crm_app and data (bench-erp: 1,000,000 leads and deals;
bench-books: ERPNext with 100,000 leads, customers and deals and 300,000 invoices):
	CRM_APP_SITE=bench-books.localhost ~/frappe-bench/env/bin/python benchmarks/reports.py

Each report runs through `frappe.desk.query_report.run` with its default filters (the server's defaults
are the desk's) and `ignore_prepared_report`, so a prepared report is timed doing its real work, not
answering from a stored result: as Administrator and as a restricted sales user (load.sales1@example.com
or demo.sales1@example.com, whichever the site has, with Restrict Sales Users on for the run and
restored). "cold" is the first run in this process after the Redis cache is cleared (MariaDB's buffer
pool stays warm); "warm" the median of the next `--repeat` (default 3). A report past a second is one
for Frappe's Prepared Report (README, "Reports").
"""

import argparse
import os
import statistics
import time

import frappe

USERS = (("Administrator", False), ("load.sales1@example.com", True), ("demo.sales1@example.com", True))
REPORTS = (
	("CX Sales Funnel", {}),
	("CX Pipeline Forecast", {}),
	("CX Rep Performance", {}),
	("CX Lost Opportunity Analysis", {}),
	("CX Stale Pipeline", {}),
	("CX Deals and Invoices", {"view": "Deals"}),
	("CX Deals and Invoices", {"view": "Invoices Without Deal"}),
	("CX Issue Analytics", {}),
	("CX Issue Analytics", {"group_by": "Agent", "periodicity": "Daily"}),
	("CX SLA Compliance", {}),
	("CX Response and Resolution Times", {}),
	("CX Agent Performance", {}),
	("CX Customer Satisfaction", {}),
	("CX Customer Satisfaction", {"view": "Per Period"}),
	("CX Customer Satisfaction", {"view": "Latest Comments"}),
)


def seconds(report: str, filters: dict) -> tuple[float, int]:
	from frappe.desk.query_report import run

	start = time.perf_counter()
	result = run(report, filters=frappe.as_json(filters), ignore_prepared_report=True)
	return time.perf_counter() - start, len(result.get("result") or [])


def users() -> list[tuple[str, bool]]:
	"""Administrator and the first restricted sales user the site has."""
	found = [USERS[0]]
	restricted = [(user, flag) for user, flag in USERS[1:] if frappe.db.exists("User", user)]
	return found + restricted[:1]


def measure(user: str, restricted: bool, repeat: int) -> None:
	frappe.db.set_single_value("CX Settings", "restrict_sales_users", int(restricted))
	frappe.db.commit()
	frappe.set_user(user)
	print(f"\nas {user}{' (restricted sales user)' if restricted else ''}")
	print(f"  {'report':<52} {'rows':>7} {'cold s':>8} {'warm s':>8}")
	for report, filters in REPORTS:
		if not frappe.db.exists("Report", report):
			continue
		label = report + (f" ({', '.join(map(str, filters.values()))})" if filters else "")
		frappe.clear_cache()
		try:
			cold, rows = seconds(report, filters)
		except frappe.PermissionError:
			frappe.clear_messages()
			print(f"  {label:<52} refused to this user")
			continue
		warm = statistics.median(seconds(report, filters)[0] for _ in range(repeat))
		print(f"  {label:<52} {rows:>7} {cold:>8.2f} {warm:>8.2f}")


def main() -> None:
	parser = argparse.ArgumentParser()
	parser.add_argument("--site", default=os.environ.get("CRM_APP_SITE"))
	parser.add_argument("--repeat", type=int, default=3, help="warm runs per report (median)")
	args = parser.parse_args()
	os.chdir(os.path.join(os.environ.get("CRM_APP_BENCH", os.path.expanduser("~/frappe-bench")), "sites"))
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	try:
		print(
			f"site {args.site}: {frappe.db.count('CX Lead'):,} leads, "
			f"{frappe.db.count('CX Opportunity'):,} opportunities, {frappe.db.count('CX Issue'):,} issues"
		)
		was_restricted = frappe.db.get_single_value("CX Settings", "restrict_sales_users")
		try:
			for user, restricted in users():
				measure(user, restricted, max(args.repeat, 1))
		finally:
			frappe.set_user("Administrator")
			frappe.db.set_single_value("CX Settings", "restrict_sales_users", was_restricted)
			frappe.db.commit()
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
