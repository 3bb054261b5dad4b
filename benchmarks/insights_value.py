"""Customer value (RFM, BG/NBD + Gamma-Gamma) at scale, and its accuracy on a planted signal.

Prints, never asserts:

1. **Scale (core, no site)**: RFM over CUSTOMERS customers with INVOICES invoice rows (default 1,000,000 and
   5,000,000: goal under 60 s), generated as arrays (customers' purchase counts skewed, three years of
   dates, lognormal amounts, 3 % credit notes, a few zero and future rows), timed step by step:
   summarize, quintile scores and segments, the BG/NBD + Gamma-Gamma fit (on a 100,000-customer
   sample) and the predictions for every customer. Also the cost of turning the same number of
   (customer, date, amount) tuples into arrays, which is what the nightly job does with database rows.
2. **Accuracy**: on `clv.simulate`, a generator with a planted BG/NBD process (known r, alpha, a, b) and
   per-customer spend, the model is fitted on the history up to a cut-off and predicts the purchase days
   of the next HOLDOUT days; printed: the recovered parameters, and the mean absolute error per customer
   of the model against the simple baseline "the customer's past rate of repeat purchases x horizon".
3. **Shell on a site** (only with CRM_APP_SITE set): seeds SITE_CUSTOMERS CX Customers and their won
   CX Opportunities with set-based SQL (fixed names "BENCH-VAL-...", a second run only tops up), then
   times `refresh_customer_value` (read, score, write back, snapshots) twice: the first run writes every
   customer and a snapshot each, the second only what changed.

    python3 benchmarks/insights_value.py                       # 1 and 2
    CUSTOMERS=100000 INVOICES=500000 python3 benchmarks/insights_value.py
    CRM_APP_SITE=crm-mkt.localhost SITE_CUSTOMERS=200000 SKIP_CORE=1 ~/frappe-bench/env/bin/python \
        benchmarks/insights_value.py                          # 3 only; CLEANUP=1 deletes the bench rows after
"""

import os
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_app.core.insights import clv, rfm

CUSTOMERS = int(os.environ.get("CUSTOMERS", 1_000_000))
INVOICES = int(os.environ.get("INVOICES", 5_000_000))
SITE_CUSTOMERS = int(os.environ.get("SITE_CUSTOMERS", 200_000))
HOLDOUT = 180
AS_OF = date(2026, 6, 30)


def peak_mb() -> float:
	return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generated_invoices(customers: int, invoices: int, seed: int = 0) -> rfm.Transactions:
	rng = np.random.default_rng(seed)
	# every customer buys once; the other rows go to customers by a skewed weight (a few buy a lot)
	weight = rng.pareto(1.5, size=customers) + 1
	extra = rng.choice(customers, size=invoices - customers, p=weight / weight.sum())
	idx = np.concatenate([np.arange(customers), extra]).astype(np.int64)
	end = rfm.day_number(AS_OF)
	day = end - rng.integers(0, 3 * 365, size=invoices)
	amount = np.round(rng.lognormal(4.5, 0.8, size=invoices), 2)
	returns = rng.random(invoices) < 0.03
	amount[returns] *= -0.5
	amount[rng.random(invoices) < 0.001] = 0
	day[rng.random(invoices) < 0.0005] = end + 10  # mistyped future dates
	names = np.array([f"CUST-{i:07d}" for i in range(customers)], dtype=object)
	return rfm.Transactions(names, idx, day, amount)


def timed(label: str, work):
	start = time.perf_counter()
	result = work()
	print(f"  {label:<44} {time.perf_counter() - start:8.2f} s")
	return result


def scale() -> None:
	print(f"1. RFM and value model over {CUSTOMERS:,} customers, {INVOICES:,} invoice rows (core, no site)")
	tx = timed("generate rows (not part of the run)", lambda: generated_invoices(CUSTOMERS, INVOICES))
	start = time.perf_counter()
	summary = timed("summarize (rules, per-customer figures)", lambda: rfm.summarize(tx, AS_OF))
	scores = timed("quintile scores and segments", lambda: rfm.score(summary))
	result = timed("BG/NBD + Gamma-Gamma fit and predictions", lambda: clv.value_model(summary, 365))
	total = time.perf_counter() - start
	print(f"  {'total (goal: under 60 s)':<44} {total:8.2f} s   peak memory {peak_mb():,.0f} MB")
	print(f"  customers scored {len(summary):,}; skipped rows {summary.skipped}; model {result.status}")
	print(f"  {result.note}")
	counts = dict(zip(*np.unique(scores.segment, return_counts=True), strict=True))
	print("  segments: " + ", ".join(f"{segment} {counts.get(segment, 0):,}" for segment in rfm.SEGMENTS))
	rows = INVOICES
	sample = min(rows, 1_000_000)
	tuples = [
		(tx.customers[i], AS_OF - timedelta(days=int(d % 1000)), float(a))
		for i, d, a in zip(
			tx.customer_index[:sample].tolist(), range(sample), tx.amount[:sample].tolist(), strict=True
		)
	]
	start = time.perf_counter()
	rfm.transactions_from_rows(tuples)
	per_row = (time.perf_counter() - start) / sample
	print(
		f"  rows -> arrays (the job's conversion of database rows): {per_row * 1e6:.2f} µs a row, "
		f"{per_row * rows:.1f} s for {rows:,}"
	)


def accuracy() -> None:
	planted = {"r": 0.5, "alpha": 30.0, "a": 0.8, "b": 2.5}
	customers = 50_000
	print(
		f"\n2. Accuracy on a planted BG/NBD signal ({customers:,} customers, 2 years, holdout {HOLDOUT} days)"
	)
	tx = clv.simulate(customers, 730, seed=7, **planted)
	end = date(2026, 1, 1)
	cut = end - timedelta(days=HOLDOUT)
	summary = rfm.summarize(tx, cut)
	fitted = clv.value_model(summary, HOLDOUT)
	print("  planted   " + ", ".join(f"{k} {v:.3g}" for k, v in planted.items()))
	print("  recovered " + ", ".join(f"{k} {v:.3g}" for k, v in fitted.bgnbd.items()))
	result = clv.holdout(tx, cut, HOLDOUT)
	print(f"  customers {result.customers:,}; purchase days in the holdout {result.actual_total:,.0f}")
	print(
		f"  predicted total: model {result.predicted_total:,.0f}, past-rate baseline {result.baseline_total:,.0f}"
	)
	print(
		f"  mean absolute error per customer: model {result.model_mae:.3f}, baseline {result.baseline_mae:.3f} "
		f"({100 * (1 - result.model_mae / result.baseline_mae):.0f} % lower)"
	)


def site() -> None:
	site_name = os.environ.get("CRM_APP_SITE")
	if not site_name:
		print("\n3. Shell on a site: set CRM_APP_SITE (and run with the bench's python) to time it")
		return
	import frappe

	os.chdir(Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench")) / "sites")
	frappe.init(site=site_name, sites_path=".")
	frappe.connect()
	try:
		print(f"\n3. Shell on {site_name}: {SITE_CUSTOMERS:,} customers")
		seeded = timed("seed (top up) customers and won deals", seed_site)
		print(f"  won deals of the bench customers: {seeded:,}")
		from crm_app.cx_insights import value

		for run in ("first run (every customer written)", "second run (nothing moved)"):
			result = timed(run, lambda: value.refresh_customer_value(commit=True))
			print(
				f"    customers {result['customers']:,}, written {result['written']:,}, "
				f"segment changes {result['segment_changes']:,}, model {result['model_status']}"
			)
		if os.environ.get("CLEANUP") == "1":
			frappe.db.delete("CX Opportunity", {"name": ("like", "BENCH-VAL-D%")})
			frappe.db.delete("CX RFM Snapshot", {"customer": ("like", "BENCH-VAL-%")})
			frappe.db.delete("CX Customer", {"name": ("like", "BENCH-VAL-%")})
			frappe.db.commit()
			print("  bench rows deleted (CLEANUP=1)")
	finally:
		frappe.destroy()


def seed_site() -> int:
	"""CX Customers BENCH-VAL-0000000... and about five won deals each over three years (set-based)."""
	import frappe

	have = frappe.db.count("CX Customer", {"name": ("like", "BENCH-VAL-%")})
	rng = np.random.default_rng(11)
	now = frappe.utils.now_datetime()
	chunk = 20_000
	for first in range(have, SITE_CUSTOMERS, chunk):
		last = min(first + chunk, SITE_CUSTOMERS)
		customers = [
			(f"BENCH-VAL-{i:07d}", now, now, "Administrator", "Administrator", f"Bench Value {i}")
			for i in range(first, last)
		]
		frappe.db.bulk_insert(
			"CX Customer",
			["name", "creation", "modified", "owner", "modified_by", "customer_name"],
			customers,
			ignore_duplicates=True,
		)
		deals = []
		for i in range(first, last):
			for k in range(int(rng.integers(1, 10))):
				closed = AS_OF - timedelta(days=int(rng.integers(0, 3 * 365)))
				amount = round(float(rng.lognormal(4.5, 0.8)), 2)
				deals.append(
					(
						f"BENCH-VAL-D{i:07d}-{k}",
						now,
						now,
						"Administrator",
						"Administrator",
						"Bench deal",
						f"BENCH-VAL-{i:07d}",
						"USD",
						"Won",
						closed,
						amount,
						amount,
					)
				)
		frappe.db.bulk_insert(
			"CX Opportunity",
			[
				"name",
				"creation",
				"modified",
				"owner",
				"modified_by",
				"title",
				"customer",
				"currency",
				"status",
				"closed_on",
				"amount",
				"base_amount",
			],
			deals,
			ignore_duplicates=True,
		)
		frappe.db.commit()
	return frappe.db.count("CX Opportunity", {"name": ("like", "BENCH-VAL-D%")})


if __name__ == "__main__":
	if os.environ.get("SKIP_CORE") != "1":
		scale()
		accuracy()
	site()
