"""Trigger evaluation at scale, printed (never asserted): a threshold trigger over a million CX Customers.

Run with the bench's python on a site of its own that has crm_app (it adds a million customers):
	CRM_APP_SITE=bench-trig.localhost ~/frappe-bench/env/bin/python benchmarks/marketing_triggers.py \
		[--customers 1000000] [--percent 3]

Seeds --customers CX Customers with `crm_app.demo.bulk_load` (fixed names CX-CUST-BENCH-0000001..., so a
second run only tops up): customer_name, customer_type Company, lifetime_value spread evenly over
0..99,999 by a fixed permutation of the index, and an account manager. Every run deletes and recreates the
trigger "Bench big spenders" (lifetime_value > the threshold that --percent of the customers pass; action:
notify the benchmark's Sales Manager, who may read every customer) and the notifications of earlier runs.

Prints, for `crm_app.cx_marketing.triggers.run_trigger` run in this process as the worker would:
1. the first run (every match is new: one log row and one bell notification each): seconds, customers
   scanned per second, firings per second;
2. the second run (nothing new: the scan finds every match already logged): seconds, customers/s.
Goal: evaluating triggers over 1,000,000 customers under 30 s.
"""

import argparse
import json
import os
import time

import frappe
from frappe.utils import now_datetime

PREFIX = "CX-CUST-BENCH-"
TRIGGER = "Bench big spenders"
MANAGER = "bench.trigger.manager@example.com"
SPREAD = 100_000  # lifetime values are 0..SPREAD-1
FIELDS = (
	"name",
	"customer_name",
	"customer_type",
	"lifetime_value",
	"account_manager",
	"disabled",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"docstatus",
	"idx",
)


def customer_name(i: int) -> str:
	return f"{PREFIX}{i:07d}"


def lifetime_value(i: int) -> int:
	return (i * 7919) % SPREAD  # 7919 is prime to SPREAD: every value equally often, in no order


def customer_rows(first: int, count: int, now):
	for i in range(first, first + count):
		yield (
			customer_name(i),
			f"Bench Customer {i}",
			"Company",
			lifetime_value(i),
			MANAGER,
			0,
			now,
			now,
			"Administrator",
			"Administrator",
			0,
			0,
		)


def seed(total: int) -> None:
	from crm_app.demo import bulk_load, index_chunks

	if not frappe.db.exists("User", MANAGER):
		user = frappe.get_doc(
			{"doctype": "User", "email": MANAGER, "first_name": "Bench", "send_welcome_email": 0}
		)
		user.append("roles", {"role": "Sales Manager"})
		user.insert(ignore_permissions=True)
		frappe.db.commit()
	existing = frappe.db.count("CX Customer", {"name": ("like", f"{PREFIX}%")})
	if existing >= total:
		print(f"CX Customers: {existing:,} already there")
		return
	start = time.perf_counter()
	now = now_datetime()
	inserted = bulk_load(
		"CX Customer",
		FIELDS,
		(customer_rows(first, count, now) for first, count in index_chunks(existing + 1, total)),
		say=print,
		total=total - existing,
	)
	print(f"CX Customers: seeded {inserted:,} in {time.perf_counter() - start:.1f} s")


def fresh_trigger(percent: float) -> str:
	threshold = int(SPREAD * (1 - percent / 100)) - 1
	if frappe.db.exists("CX Trigger", TRIGGER):
		start = time.perf_counter()
		frappe.delete_doc("CX Trigger", TRIGGER, ignore_permissions=True)  # its log goes with it
		print(f"Deleted the previous run's trigger and its log in {time.perf_counter() - start:.1f} s")
	notification = frappe.qb.DocType("Notification Log")
	frappe.qb.from_(notification).delete().where(notification.for_user == MANAGER).run()
	frappe.get_doc(
		{
			"doctype": "CX Trigger",
			"trigger_name": TRIGGER,
			"trigger_on": "CX Customer",
			"filters_json": json.dumps([["CX Customer", "lifetime_value", ">", threshold]]),
			"actions": [{"action_type": "Notify", "notify_user": MANAGER}],
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	return TRIGGER


def timed_run(label: str, total: int) -> dict:
	from crm_app.cx_marketing.triggers import run_trigger

	start = time.perf_counter()
	counts = run_trigger(TRIGGER)
	seconds = time.perf_counter() - start
	fired = counts["fired"]
	print(
		f"{label}: {seconds:.2f} s, {total / seconds:,.0f} customers/s scanned, "
		f"{fired:,} fired ({fired / seconds:,.0f}/s), {counts['done']:,} done, {counts['failed']:,} failed"
	)
	return counts


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--customers", type=int, default=1_000_000)
	parser.add_argument("--percent", type=float, default=3.0)
	args = parser.parse_args()
	site = os.environ.get("CRM_APP_SITE")
	if not site:
		raise SystemExit("Set CRM_APP_SITE to the benchmark's own site")
	os.chdir(os.path.expanduser(os.environ.get("CRM_APP_BENCH", "~/frappe-bench")) + "/sites")
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		seed(args.customers)
		total = frappe.db.count("CX Customer")
		fresh_trigger(args.percent)
		print(f"Trigger over {total:,} CX Customers, about {args.percent:g}% matching")
		timed_run("First run (all new)", total)
		timed_run("Second run (nothing new)", total)
		notified = frappe.db.count("Notification Log", {"for_user": MANAGER})
		logged = frappe.db.count("CX Trigger Log", {"cx_trigger": TRIGGER})
		print(f"Log rows: {logged:,}; notifications: {notified:,}")
	finally:
		frappe.destroy()


if __name__ == "__main__":
	main()
