"""ERPNext integration figures, printed (never asserted).

Run with the bench's python on an ERPNext site whose setup wizard is done (it adds benchmark data, so not
on production):
	CRM_APP_SITE=bench-books.localhost ~/frappe-bench/env/bin/python benchmarks/books.py

Prints:
1. Sales Invoice submit, ms (median of --submits invoices each way, alternating): with the app's hooks
   (the invoice names a deal: the deal's figures, status and the customer's money are recomputed), and
   with every crm_app document hook taken out of Frappe's hook table. Goal: < 5 % more.
2. CX Deals and Invoices at --opportunities deals and --invoices invoices, both views, ms (median of 5).
   Deals and invoices are bulk-loaded (fixed names, so a second run only tops up); the invoices are rows
   of `tabSales Invoice` without ledger entries, which the report does not read. Goal: < 2 s.
3. The backfill of --customers existing ERPNext customers (bulk-loaded without their CRM twins, a third
   of them with a contact) into CX Customers, s. Goal: < 60 s. It is undone afterwards, so a second run
   measures the same work.
"""

import argparse
import os
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

import frappe
from forecast import timed  # benchmarks/ is on the path when a benchmark runs
from frappe.utils import now

DEAL_PREFIX, INVOICE_PREFIX, CUSTOMER_PREFIX = "CX-OPP-BOOKS-", "SINV-BOOKS-", "CUST-BOOKS-"
CHUNK = 5_000
RNG = random.Random(8)


def company() -> str:
	return frappe.get_all("Company", pluck="name", limit=1)[0]


def set_integration(on: bool) -> None:
	frappe.db.set_single_value("CX Settings", "erpnext_enabled", int(on))
	frappe.clear_document_cache("CX Settings", "CX Settings")


# -- 1. invoice submit -----------------------------------------------------------------------------------


def service_item() -> str:
	code = "CX-BENCH-SERVICE"
	if not frappe.db.exists("Item", code):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": code,
				"item_group": "All Item Groups",
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert()
	return code


def submit_figures(submits: int) -> dict[str, tuple[float, float]]:
	"""Median submit ms with and without the app's hooks: for a deal's first invoice (it wins the deal,
	so the deal is saved) and for a later one (the deal's and customer's figures only)."""
	item = service_item()
	cx_customer = frappe.get_doc({"doctype": "CX Customer", "customer_name": "Bench Books Customer"}).insert()
	deal = frappe.get_doc(
		{
			"doctype": "CX Opportunity",
			"title": "Bench books deal",
			"customer": cx_customer.name,
			"currency": "USD",
			"items": [{"item_type": "Item", "item": item, "qty": 1, "rate": 100}],
		}
	).insert()
	frappe.db.commit()

	def new_invoice():
		return frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"customer": cx_customer.erpnext_customer,
				"company": company(),
				"currency": "USD",
				"cx_opportunity": deal.name,
				"items": [{"item_code": item, "qty": 1, "rate": 100}],
			}
		)

	def submit_one() -> float:
		invoice = new_invoice()
		invoice.insert()
		start = time.perf_counter()
		invoice.submit()
		elapsed = (time.perf_counter() - start) * 1000
		frappe.db.rollback()
		return elapsed

	all_hooks = frappe.get_doc_hooks()
	without_app = {
		doctype: {
			event: [h for h in handlers if not h.startswith("crm_app.")] for event, handlers in events.items()
		}
		for doctype, events in all_hooks.items()
	}

	def compare() -> tuple[float, float]:
		with_hooks, without = [], []
		for index in range(submits * 2 + 2):
			on = index % 2 == 0
			frappe.local.doc_events_hooks = all_hooks if on else without_app
			(with_hooks if on else without).append(submit_one())
		frappe.local.doc_events_hooks = all_hooks
		return statistics.median(with_hooks[1:]), statistics.median(without[1:])

	figures = {"first invoice of a deal (wins it)": compare()}
	first = new_invoice()
	first.insert()
	first.submit()
	frappe.db.commit()  # the deal is won and invoiced; later invoices add to it
	figures["later invoice of a won deal"] = compare()
	return figures


# -- 2. the report ---------------------------------------------------------------------------------------


def seed_report_data(opportunities: int, invoices: int) -> None:
	"""Deals with books figures, and invoices: two thirds of them on a deal, the rest on none."""
	the_company = company()
	customers = [f"{CUSTOMER_PREFIX}R{index:05d}" for index in range(2000)]
	seed_customers(customers, linked=True)
	twins = dict(
		frappe.get_all("Customer", {"name": ("in", customers)}, ["name", "cx_customer"], as_list=True)
	)
	existing = frappe.db.count("CX Opportunity", {"name": ("like", f"{DEAL_PREFIX}%")})
	stamp, today = now(), date.today()
	fields = [
		"name",
		"naming_series",
		"title",
		"customer",
		"party_name",
		"status",
		"sales_stage",
		"currency",
		"amount",
		"base_currency",
		"exchange_rate",
		"base_amount",
		"expected_close_date",
		"closed_on",
		"quoted_amount",
		"ordered_amount",
		"invoiced_amount",
		"paid_amount",
		"outstanding_amount",
		"opportunity_owner",
		"creation",
		"modified",
		"owner",
		"modified_by",
	]
	for start in range(existing, opportunities, CHUNK):
		rows = []
		for index in range(start, min(start + CHUNK, opportunities)):
			customer = customers[index % len(customers)]
			amount = RNG.randrange(500, 50_000)
			status = RNG.choice(("Open", "Won", "Won", "Lost"))
			closing = today - timedelta(days=RNG.randrange(0, 700))
			invoiced = amount if status == "Won" else 0
			paid = invoiced * RNG.choice((0, 0.5, 1))
			rows.append(
				(
					f"{DEAL_PREFIX}{index:07d}",
					"CX-OPP-.YYYY.-",
					f"Books deal {index}",
					twins[customer],
					customer,
					status,
					"Proposal",
					"USD",
					amount,
					"USD",
					1,
					amount,
					closing,
					closing if status != "Open" else None,
					amount,
					invoiced,
					invoiced,
					paid,
					invoiced - paid,
					"Administrator",
					stamp,
					stamp,
					"Administrator",
					"Administrator",
				)
			)
		frappe.db.bulk_insert("CX Opportunity", fields, rows)
		frappe.db.commit()
	existing = frappe.db.count("Sales Invoice", {"name": ("like", f"{INVOICE_PREFIX}%")})
	fields = [
		"name",
		"naming_series",
		"docstatus",
		"status",
		"is_return",
		"posting_date",
		"due_date",
		"customer",
		"customer_name",
		"company",
		"currency",
		"conversion_rate",
		"grand_total",
		"base_grand_total",
		"outstanding_amount",
		"cx_opportunity",
		"creation",
		"modified",
		"owner",
		"modified_by",
	]
	for start in range(existing, invoices, CHUNK):
		rows = []
		for index in range(start, min(start + CHUNK, invoices)):
			customer = customers[index % len(customers)]
			total = RNG.randrange(100, 20_000)
			deal = f"{DEAL_PREFIX}{RNG.randrange(opportunities):07d}" if index % 3 else None
			posted = today - timedelta(days=RNG.randrange(0, 700))
			rows.append(
				(
					f"{INVOICE_PREFIX}{index:07d}",
					"ACC-SINV-.YYYY.-",
					1,
					"Unpaid",
					0,
					posted,
					posted,
					customer,
					customer,
					the_company,
					"USD",
					1,
					total,
					total,
					total,
					deal,
					stamp,
					stamp,
					"Administrator",
					"Administrator",
				)
			)
		frappe.db.bulk_insert("Sales Invoice", fields, rows)
		frappe.db.commit()


def report_figures() -> dict:
	from crm_app.cx_sales.report.cx_deals_and_invoices.cx_deals_and_invoices import execute

	period = {"from_date": str(date.today() - timedelta(days=365)), "to_date": str(date.today())}
	return {
		"Deals, last 12 months": timed(lambda: execute({"view": "Deals", **period})),
		"Deals, all time": timed(lambda: execute({"view": "Deals"})),
		"Invoices without a deal, last 12 months": timed(
			lambda: execute({"view": "Invoices Without Deal", **period})
		),
		"Invoices without a deal, all time": timed(lambda: execute({"view": "Invoices Without Deal"})),
	}


# -- 3. the backfill -------------------------------------------------------------------------------------


def seed_customers(names: list[str], linked: bool = False) -> None:
	"""ERPNext customers loaded in bulk (as a company would have them), a third with a contact."""
	missing = set(names) - set(frappe.get_all("Customer", {"name": ("in", names)}, pluck="name"))
	stamp = now()
	todo = [name for name in names if name in missing]
	for start in range(0, len(todo), CHUNK):
		chunk = todo[start : start + CHUNK]
		frappe.db.bulk_insert(
			"Customer",
			[
				"name",
				"customer_name",
				"customer_type",
				"customer_group",
				"territory",
				"tax_id",
				"email_id",
				"creation",
				"modified",
				"owner",
				"modified_by",
			],
			[
				(
					name,
					name.replace("-", " ").title(),
					"Company",
					"All Customer Groups",
					"All Territories",
					f"TAX{index}" if index % 4 == 0 else None,
					f"{name.lower()}@example.com" if index % 2 else None,
					stamp,
					stamp,
					"Administrator",
					"Administrator",
				)
				for index, name in enumerate(chunk, start)
			],
		)
		contacts = [name for index, name in enumerate(chunk, start) if index % 3 == 0]
		frappe.db.bulk_insert(
			"Contact",
			["name", "first_name", "creation", "modified", "owner", "modified_by"],
			[(f"CONT-{name}", name, stamp, stamp, "Administrator", "Administrator") for name in contacts],
		)
		frappe.db.bulk_insert(
			"Dynamic Link",
			[
				"name",
				"parent",
				"parenttype",
				"parentfield",
				"link_doctype",
				"link_name",
				"creation",
				"modified",
				"owner",
				"modified_by",
			],
			[
				(
					f"DL-{name}",
					f"CONT-{name}",
					"Contact",
					"links",
					"Customer",
					name,
					stamp,
					stamp,
					"Administrator",
					"Administrator",
				)
				for name in contacts
			],
		)
		frappe.db.commit()
	if linked:
		from crm_app.integrations.erpnext.customers import backfill_customers

		backfill_customers()


def undo_backfill(names: list[str]) -> None:
	for start in range(0, len(names), CHUNK):
		chunk = names[start : start + CHUNK]
		twins = frappe.get_all("Customer", {"name": ("in", chunk)}, pluck="cx_customer")
		frappe.db.delete("CX Customer", {"name": ("in", [twin for twin in twins if twin] or [""])})
		frappe.db.delete(
			"Dynamic Link", {"link_doctype": "CX Customer", "parent": ("in", [f"CONT-{n}" for n in chunk])}
		)
		customer = frappe.qb.DocType("Customer")
		frappe.qb.update(customer).set(customer.cx_customer, None).where(customer.name.isin(chunk)).run()
		frappe.db.commit()


def backfill_figure(count: int) -> tuple[float, dict]:
	from crm_app.integrations.erpnext.customers import backfill_customers

	names = [f"{CUSTOMER_PREFIX}{index:06d}" for index in range(count)]
	seed_customers(names)
	undo_backfill(names)
	start = time.perf_counter()
	result = backfill_customers()
	return time.perf_counter() - start, result


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
	parser.add_argument("--submits", type=int, default=30)
	parser.add_argument("--opportunities", type=int, default=100_000)
	parser.add_argument("--invoices", type=int, default=300_000)
	parser.add_argument("--customers", type=int, default=100_000)
	args = parser.parse_args()
	bench = Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench"))
	os.chdir(bench / "sites")
	frappe.init(site=os.environ["CRM_APP_SITE"], sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	frappe.publish_progress = lambda *a, **k: None  # no browser is listening
	try:
		print(f"Sales Invoice submit, median of {args.submits} each way (ms):")
		for label, (with_hooks, without) in submit_figures(args.submits).items():
			print(
				f"  {label:35} {with_hooks:7.1f} with the app's hooks, {without:7.1f} without: "
				f"{100 * (with_hooks / without - 1):+.1f} %"
			)
		seed_report_data(args.opportunities, args.invoices)
		print(
			f"CX Deals and Invoices at {frappe.db.count('CX Opportunity'):,} opportunities and "
			f"{frappe.db.count('Sales Invoice'):,} invoices (median of 5):"
		)
		for label, ms in report_figures().items():
			print(f"  {label:45} {ms:8.1f} ms")
		seconds, result = backfill_figure(args.customers)
		print(
			f"Backfill of {args.customers:,} existing ERPNext customers: {seconds:.1f} s "
			f"({args.customers / seconds:,.0f} customers/s; {result})"
		)
	finally:
		set_integration(True)
		frappe.db.commit()
		frappe.destroy()


if __name__ == "__main__":
	main()
