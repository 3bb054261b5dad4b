"""CX Pipeline Forecast at scale, printed (never asserted).

Run with the bench's python on a site that has crm_app (it adds benchmark opportunities, so not on
production; use a site of its own, as the integration tests expect a clean one):
	cd ~/frappe-bench/sites && CRM_APP_SITE=crm-bench.localhost ../env/bin/python \
		/path/to/crm_app/benchmarks/forecast.py --opportunities 1000000

Seeds N opportunities named CX-OPP-BENCH-0000001... with multi-row parameterised INSERTs (a second run
only tops up), a quarter target per owner, then prints the report's median run time for the current
quarter and the current year (also filtered by owner, by territory and as a restricted sales user), the
composite indexes on CX Opportunity and the plan MariaDB chose.

The report reads only indexes with these two covering indexes (CX Opportunity's on_doctype_update):
	forecast_open_base_index   (status, expected_close_date, opportunity_owner, territory,
	                            forecast_category, base_weighted_amount)
	forecast_closed_base_index (status, closed_on, opportunity_owner, territory, forecast_category,
	                            base_amount, creation)  -- creation serves CX Rep Performance's sales cycle
Without them each open deal of the period is a row lookup and won deals a table scan. Seeded deals are in
the reporting currency (rate 1), as the report adds base amounts.
"""

import argparse
import os
import random
import statistics
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import frappe

from crm_app.core.sales_metrics import CURRENT_QUARTER, add_months, default_period

PREFIX = "CX-OPP-BENCH-"
CHUNK = 5_000
STATUS_WEIGHTS = (("Open", 45), ("Won", 25), ("Lost", 30))
OPEN_CATEGORY_WEIGHTS = (("Pipeline", 50), ("Best Case", 25), ("Commit", 20), ("Omitted", 5))
FIELDS = (
	"name",
	"naming_series",
	"title",
	"party_name",
	"sales_stage",
	"status",
	"expected_close_date",
	"closed_on",
	"opportunity_owner",
	"territory",
	"campaign",
	"source",
	"currency",
	"amount",
	"probability",
	"weighted_amount",
	"base_currency",
	"exchange_rate",
	"base_amount",
	"base_weighted_amount",
	"forecast_category",
	"lost_reason",
	"creation",
	"modified",
	"owner",
	"modified_by",
)


def timed(fn, repeat: int = 5) -> float:
	"""Median milliseconds of `fn` over `repeat` runs after one warm-up."""
	fn()
	samples = []
	for _ in range(repeat):
		start = time.perf_counter()
		fn()
		samples.append((time.perf_counter() - start) * 1000)
	return statistics.median(samples)


def pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
	return rng.choices([value for value, _w in weighted], [weight for _v, weight in weighted])[0]


def opportunity_row(index: int, masters: dict, today: date, now: datetime) -> tuple:
	rng = random.Random(index)
	stage, probability = rng.choice(masters["stages"])
	status = pick(rng, STATUS_WEIGHTS)
	created = now - timedelta(days=rng.uniform(0, 3 * 365))
	amount = rng.randrange(1_000, 150_000, 250)
	closed_on, lost_reason = None, None
	if status == "Open":
		close_date = today + timedelta(days=rng.randint(-60, 420))
		category = pick(rng, OPEN_CATEGORY_WEIGHTS)
	else:
		closed_on = min(created.date() + timedelta(days=rng.randint(5, 180)), today)
		close_date, probability = closed_on, 100 if status == "Won" else 0
		category = "Closed" if status == "Won" else "Omitted"
		lost_reason = rng.choice(masters["reasons"]) if status == "Lost" else None
	name = f"{PREFIX}{index:07d}"
	return (
		name,
		"CX-OPP-.YYYY.-",
		f"Bench deal {index}",
		f"Bench Customer {index % 50_000}",
		stage,
		status,
		close_date,
		closed_on,
		rng.choice(masters["owners"]),
		rng.choice(masters["territories"]),
		rng.choice(masters["campaigns"]),
		rng.choice(masters["sources"]),
		masters["currency"],
		amount,
		probability,
		round(amount * probability / 100, 2),
		masters["currency"],
		1,
		amount,
		round(amount * probability / 100, 2),
		category,
		lost_reason,
		created,
		created,
		"Administrator",
		"Administrator",
	)


def insert_rows(doctype: str, fields: tuple[str, ...], rows: list[tuple]) -> None:
	"""One multi-row INSERT IGNORE with a %s placeholder per value; names already there are skipped.

	The doctype and field names are this module's constants; every value is a parameter. Seven times
	faster than frappe.db.bulk_insert here, whose query builder renders each of the 110,000 values of
	a chunk as a term (a million rows: about 2 minutes instead of 16)."""
	row = "(" + ", ".join(["%s"] * len(fields)) + ")"
	columns = ", ".join("`" + field + "`" for field in fields)
	frappe.db.sql(
		"insert ignore into `tab" + doctype + "` (" + columns + ") values " + ", ".join([row] * len(rows)),
		[value for values in rows for value in values],
	)


def seed_opportunities(target: int, masters: dict) -> int:
	existing = frappe.db.count("CX Opportunity", {"name": ("like", f"{PREFIX}%")})
	today, now = date.today(), datetime.now()
	for start in range(existing + 1, target + 1, CHUNK):
		stop = min(start + CHUNK, target + 1)
		insert_rows(
			"CX Opportunity", FIELDS, [opportunity_row(i, masters, today, now) for i in range(start, stop)]
		)
		frappe.db.commit()
		if (stop - 1) % 100_000 < CHUNK:
			print(f"  {stop - 1:,} / {target:,} opportunities", flush=True)
	return max(target - existing, 0)


def seed_targets(owners: list[str]) -> None:
	"""A quarter target per owner for the last, this and next year (fixed names: idempotent)."""
	rows, first = [], date(date.today().year - 1, 1, 1)
	for number, owner in enumerate(owners):
		for offset in range(12):
			start = add_months(first, 3 * offset)
			end = add_months(start, 3) - timedelta(days=1)
			name = f"CX-TGT-BENCH-{number:02d}-{offset:02d}"
			rows.append(
				(name, owner, "Quarter", start, end, "USD", 900_000, 30, "Administrator", datetime.now())
			)
	fields = ("name", "sales_person", "period_type", "period_start", "period_end", "currency")
	insert_rows("CX Sales Target", (*fields, "target_amount", "target_deals", "owner", "creation"), rows)
	frappe.db.commit()


def ensure_masters() -> dict:
	from crm_app.demo import DEMO_USERS, ensure_masters
	from crm_app.money import reporting_currency

	demo = ensure_masters()
	stages = frappe.get_all(
		"CX Sales Stage", fields=["name", "default_probability"], order_by="stage_order asc", as_list=True
	)
	return {
		"owners": list(DEMO_USERS),
		"stages": [(name, probability or 0) for name, probability in stages],
		"territories": list(demo.territories),
		"campaigns": list(demo.campaigns),
		"sources": list(demo.sources),
		"reasons": frappe.get_all("CX Lost Reason", pluck="name"),
		"currency": reporting_currency(),
	}


def report_time(label: str, filters: dict, repeat: int) -> None:
	from crm_app.cx_sales.report.cx_pipeline_forecast.cx_pipeline_forecast import execute

	rows = len(execute(filters)[1])
	ms = timed(lambda: execute(filters), repeat)
	print(f"forecast {label:26} {ms:8.1f} ms  (median of {repeat}, {rows} rows)")


def composite_indexes(doctype: str) -> list[str]:
	columns: dict[str, list[str]] = {}
	for name, column in frappe.db.sql(
		"""select index_name, column_name from information_schema.statistics
		where table_schema = database() and table_name = %s order by index_name, seq_in_index""",
		(f"tab{doctype}",),
	):
		columns.setdefault(name, []).append(column)
	return [f"{name}({', '.join(cols)})" for name, cols in columns.items() if len(cols) > 1]


def explain(filters: dict) -> None:
	from crm_app.cx_sales.report.common import parse_filters
	from crm_app.cx_sales.report.cx_pipeline_forecast import cx_pipeline_forecast as report

	captured = {}
	original = frappe.db.sql

	def capture(query, values=(), *args, **kwargs):
		if "union" in str(query).lower():  # the report's query, not the permission lookups before it
			captured.setdefault("query", (query, values))
		return original(query, values, *args, **kwargs)

	frappe.db.sql = capture
	try:
		report.deal_rows(parse_filters(filters, CURRENT_QUARTER))
	finally:
		frappe.db.sql = original
	query, values = captured["query"]
	for row in frappe.db.sql("explain " + query, values, as_dict=True):  # the report's own query
		print(f"    {row.table or '':24} type={row.type} key={row.key} rows={row.rows} {row.Extra or ''}")


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--opportunities", type=int, default=100_000)
	parser.add_argument("--repeat", type=int, default=5)
	args = parser.parse_args()
	site = os.environ["CRM_APP_SITE"]
	os.chdir(Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench")) / "sites")
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")
	masters = ensure_masters()
	start = time.perf_counter()
	inserted = seed_opportunities(args.opportunities, masters)
	seed_targets(masters["owners"])
	if inserted:
		frappe.db.sql("analyze table `tabCX Opportunity`")
	print(
		f"CX Opportunity rows: {frappe.db.count('CX Opportunity'):,} "
		f"(seeded {inserted:,} in {time.perf_counter() - start:.1f}s)"
	)

	today = date.today()
	quarter_start, quarter_end = default_period(CURRENT_QUARTER, today)
	quarter = {"from_date": quarter_start, "to_date": quarter_end}
	year = {"from_date": date(today.year, 1, 1), "to_date": date(today.year, 12, 31)}
	cases = (
		("quarter", quarter),
		("year", year),
		("quarter, one owner", {**quarter, "owner": masters["owners"][0]}),
		("year, one territory", {**year, "territory": masters["territories"][0]}),
	)
	for label, filters in cases:
		report_time(label, filters, args.repeat)
	frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
	frappe.db.commit()
	try:
		frappe.set_user(masters["owners"][0])
		report_time("quarter, restricted user", quarter, args.repeat)
	finally:
		frappe.set_user("Administrator")
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", 0)
		frappe.db.commit()
	print("composite indexes:", ", ".join(composite_indexes("CX Opportunity")))
	print("plan (quarter):")
	explain(quarter)
	frappe.destroy()


if __name__ == "__main__":
	main()
