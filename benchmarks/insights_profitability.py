"""Customer profitability and loyalty at scale, printed (never asserted).

Core (no site; always run), on generated rows with a fixed seed:
1. `rank` of --customers CustomerFigures (revenue, cost of goods, acquisition, support hours, late payment):
   seconds and customers/s.
2. `late_payment_costs` over --invoices invoice parts (customer, amount, due date, settled or open):
   seconds and rows/s.
3. `acquisition_costs` of 1,000 campaigns over every customer: seconds.
4. Loyalty `updates` for --customers customers against stored standings (one in ten moves tier): seconds,
   updates, tier changes.

Site (only with CRM_APP_SITE set), run it on a site of its own or a test site you may fill:
	CRM_APP_SITE=crm-rep.localhost ~/frappe-bench/env/bin/python benchmarks/insights_profitability.py \
		[--customers 1000000] [--invoices 5000000] [--site-customers 100000]
Seeds --site-customers CX Customers (fixed names BENCH-PROFIT-CUST-0000001..., so a second run only tops up)
with one won CX Opportunity each (BENCH-PROFIT-OPP-..., closed in the last year, base amount 100 to 10,000
by a fixed rule) through `crm_app.demo.bulk_load`; then prints:
5. The nightly loyalty refresh (`refresh_loyalty`, every customer of the site, committed per batch):
   seconds, customers, updates; and a second run (nothing changed: the cost of checking).
6. The CX Customer Profitability report over the last year as Administrator: seconds and rows.
Goal (ours, not the issue's): the loyalty refresh of 100,000 customers and the report under 30 s each.
"""

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_app.core.insights import loyalty
from crm_app.core.insights.profitability import (
	CustomerFigures,
	Weights,
	acquisition_costs,
	late_payment_costs,
	rank,
)

TODAY = date(2026, 6, 30)
TIERS = loyalty.parse_tiers(
	[
		{"tier_name": "Bronze", "min_points": 100},
		{"tier_name": "Silver", "min_points": 1000},
		{"tier_name": "Gold", "min_points": 5000},
	]
)


def timed(label: str, function, *args, count: int | None = None, unit: str = "rows"):
	started = time.perf_counter()
	result = function(*args)
	seconds = time.perf_counter() - started
	rate = f", {count / seconds:,.0f} {unit}/s" if count else ""
	print(f"{label}: {seconds:.2f} s{rate}")
	return result


def core(customers: int, invoices: int) -> None:
	rng = random.Random(13)
	names = [f"C{i:07d}" for i in range(customers)]
	figures = [
		CustomerFigures(
			name,
			revenue=rng.uniform(-500, 50_000),
			cost_of_goods=rng.uniform(0, 20_000),
			acquisition=rng.uniform(0, 300),
			support_hours=rng.uniform(0, 20),
			late_payment=rng.uniform(0, 100),
		)
		for name in names
	]
	ranked = timed(
		f"1. rank {customers:,} customers", rank, figures, Weights(support=2), 45.0, count=customers
	)
	print(
		f"   most profitable {ranked[0].customer} {ranked[0].profit:,.2f}; at a loss: "
		f"{sum(1 for row in ranked if row.profit < 0):,}"
	)
	del figures, ranked

	parts = [
		(
			names[rng.randrange(customers)],
			rng.uniform(10, 5_000),
			TODAY - timedelta(days=rng.randrange(0, 400)),
			None if rng.random() < 0.2 else TODAY - timedelta(days=rng.randrange(0, 400)),
		)
		for _ in range(invoices)
	]
	costs = timed(
		f"2. late_payment_costs over {invoices:,} invoice parts",
		late_payment_costs,
		parts,
		TODAY,
		10.0,
		count=invoices,
	)
	print(f"   customers with a late payment cost: {sum(1 for value in costs.values() if value):,}")
	del parts, costs

	campaigns = {f"Campaign {i}": rng.uniform(0, 50_000) for i in range(1000)}
	brought = {name: f"Campaign {rng.randrange(1000)}" for name in names if rng.random() < 0.3}
	timed(
		f"3. acquisition_costs of 1,000 campaigns over {len(brought):,} customers",
		acquisition_costs,
		campaigns,
		brought,
	)

	stored = {}
	points = {}
	for name in names:
		now_points = rng.randrange(0, 8000)
		points[name] = now_points
		before = now_points if rng.random() < 0.9 else rng.randrange(0, 8000)
		stored[name] = loyalty.Standing(before, loyalty.tier_for(before, TIERS), TODAY - timedelta(days=30))
	changes = timed(
		f"4. loyalty updates for {customers:,} customers",
		loyalty.updates,
		stored,
		points,
		TIERS,
		TODAY,
		count=customers,
		unit="customers",
	)
	print(f"   updates {len(changes):,}, tier changes {sum(1 for c in changes if c.tier_changed):,}")


def seed_site(count: int) -> None:
	import frappe
	from frappe.utils import add_days, now, nowdate

	from crm_app.demo import bulk_load
	from crm_app.money import reporting_currency

	stamp, currency, today = now(), reporting_currency(), nowdate()

	def customers():
		yield (
			(
				f"BENCH-PROFIT-CUST-{i:07d}",
				f"Bench Profit {i}",
				"Company",
				stamp,
				stamp,
				"Administrator",
				"Administrator",
				currency,
			)
			for i in range(1, count + 1)
		)

	def deals():
		yield (
			(
				f"BENCH-PROFIT-OPP-{i:07d}",
				f"Bench deal {i}",
				f"BENCH-PROFIT-CUST-{i:07d}",
				"Won",
				add_days(today, -(i % 360)),
				100 + (i * 7919) % 9901,
				100 + (i * 7919) % 9901,
				currency,
				currency,
				1,
				"Prospecting",
				stamp,
				stamp,
				"Administrator",
				"Administrator",
			)
			for i in range(1, count + 1)
		)

	started = time.perf_counter()
	added = bulk_load(
		"CX Customer",
		(
			"name",
			"customer_name",
			"customer_type",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"base_currency",
		),
		customers(),
	)
	added += bulk_load(
		"CX Opportunity",
		(
			"name",
			"title",
			"customer",
			"status",
			"closed_on",
			"amount",
			"base_amount",
			"currency",
			"base_currency",
			"exchange_rate",
			"sales_stage",
			"creation",
			"modified",
			"owner",
			"modified_by",
		),
		deals(),
	)
	frappe.db.commit()
	if added:  # the desk's tallies of deals catch up with rows that bypassed the documents
		from crm_app.cx_insights.figures import reconcile

		reconcile(["CX Opportunity"])
	print(
		f"seeded {added:,} rows in {time.perf_counter() - started:.1f} s "
		f"(site has {frappe.db.count('CX Customer'):,} customers)"
	)


def site(count: int) -> None:
	import frappe
	from frappe.utils import add_days, nowdate

	os.chdir(os.path.join(os.environ.get("CRM_APP_BENCH", os.path.expanduser("~/frappe-bench")), "sites"))
	frappe.init(site=os.environ["CRM_APP_SITE"], sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		seed_site(count)
		from crm_app.cx_insights.loyalty import refresh_loyalty
		from crm_app.cx_insights.report.cx_customer_profitability import cx_customer_profitability as report

		stats = timed("5. loyalty refresh (every customer of the site)", refresh_loyalty)
		print(f"   {stats}")
		stats = timed("   second run, nothing changed", refresh_loyalty)
		print(f"   {stats}")
		filters = {"from_date": add_days(nowdate(), -365), "to_date": nowdate()}
		result = timed("6. CX Customer Profitability, last 365 days", report.execute, filters)
		print(f"   rows {len(result[1]):,}")
	finally:
		frappe.destroy()


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--customers", type=int, default=1_000_000)
	parser.add_argument("--invoices", type=int, default=5_000_000)
	parser.add_argument("--site-customers", type=int, default=100_000)
	args = parser.parse_args()
	core(args.customers, args.invoices)
	if os.environ.get("CRM_APP_SITE"):
		site(args.site_customers)


if __name__ == "__main__":
	main()
