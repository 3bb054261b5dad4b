"""Lead figures at scale, printed (never asserted): crm_app's CX Lead beside ERPNext's Lead and raw SQL.

Run with the bench's python on a site that has crm_app (it adds demo leads, so not on production):
	CRM_APP_SITE=crm-dev.localhost ~/frappe-bench/env/bin/python benchmarks/leads.py --leads 1000000

Seeds `--leads` CX Leads (crm_app's demo data) and, when ERPNext is on the site, as many ERPNext Leads
(fixed names CRM-LEAD-BENCH-0000001..., outside ERPNext's naming series, so a second run only tops up),
both with bulk loads. Then prints, for each doctype: the ORM insert rate (a small sample through
`Document.insert`, rolled back), the list page for a common and a rare status as Administrator and as a
restricted sales user, link search and count. Each ORM figure stands beside "raw SQL": the very statements
the ORM call sent (captured from frappe.db.sql), replayed through frappe.db.sql(as_dict=True), so both
return the same rows in the same shape. Lists, link search and count (the list view's count, through
get_list so that permissions apply) are measured for both users; --plans prints MariaDB's plan of each
statement. The restricted user is demo.sales1@example.com (Sales User): on
CX Lead through CX Settings > Restrict Sales Users (own or assigned leads); on ERPNext's Lead, which has no
such setting, through a User Permission on User, the stock way to limit a user to their own leads (it
filters on lead_owner; it is removed again at the end). ORM inserts run with gravatar.com lookups stubbed
out (see no_gravatar_lookups). Times are medians, ORM and raw SQL run alternately; --show-sql prints the
statements each figure replays.
"""

import argparse
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import frappe

from crm_app.core.demo import CITIES, LEAD_FIELDS, DemoMasters, lead_rows

RESTRICTED_USER = "demo.sales1@example.com"
SHOW_SQL = False  # --show-sql
SHOW_PLANS = False  # --plans
SEARCH_TEXT = "Ada Bauer"
CX = {"doctype": "CX Lead", "common": "New", "rare": "Converted"}
ERP = {"doctype": "Lead", "common": "Lead", "rare": "Do Not Contact"}

# ERPNext's Lead, filled from the same deterministic people as the CX demo leads.
ERP_LEAD_FIELDS = (
	"name",
	"naming_series",
	"first_name",
	"last_name",
	"lead_name",
	"title",
	"company_name",
	"email_id",
	"mobile_no",
	"phone",
	"status",
	"qualification_status",
	"source",
	"lead_owner",
	"territory",
	"industry",
	"country",
	"city",
	"gender",
	"type",
	"request_type",
	"no_of_employees",
	"job_title",
	"unsubscribed",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"docstatus",
	"idx",
)
ERP_SOURCES = ("Advertisement", "Cold Calling", "Exhibition", "Reference", "Mass Mailing", "Walk In")
ERP_INDUSTRIES = ("Manufacturing", "Retail & Wholesale", "Technology", "Healthcare", "Financial Services")
ERP_TERRITORIES = ("Europe", "Asia", "Americas", "Middle East")
# ERPNext sets Opportunity, Quotation, Lost Quotation and Converted itself from linked documents; seeded
# leads use the statuses a user sets. One lead in RARE_EVERY asked not to be contacted (the rare status).
ERP_STATUS = {"New": "Lead", "Contacted": "Open", "Qualified": "Interested", "Unqualified": "Replied"}
ERP_QUALIFICATION = {"Lead": "Unqualified", "Open": "In Process", "Interested": "Qualified"}
RARE_EVERY = 20_000
EMPLOYEES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1000+")
REQUESTS = ("Product Enquiry", "Request for Information", "Suggestions", "Other")
JOB_TITLES = ("Purchasing Manager", "Operations Lead", "CTO", "Office Manager", "Founder", None, None)
# Office numbers: well-formed everywhere, and in the ranges kept for fiction where there are such (GB, US).
LANDLINE: dict[str, Callable[[int], str]] = {
	"GB": lambda index: f"+442079460{index % 1000:03d}",
	"US": lambda index: f"+13125550{100 + index % 100:03d}",
	"DE": lambda index: f"+4930{index % 10**8:08d}",
	"IN": lambda index: f"+9122{index % 10**8:08d}",
	"FR": lambda index: f"+3314{index % 10**8:08d}",
	"AE": lambda index: f"+9714{index % 10**7:07d}",
}
CITY_COUNTRY = {city: code for code, city in CITIES}


def erpnext_lead_rows(start: int, count: int, masters: DemoMasters, *, now) -> Iterator[tuple]:
	"""Rows in ERP_LEAD_FIELDS order, numbered from `start`, derived from the CX demo lead of each index."""
	at = {field: i for i, field in enumerate(LEAD_FIELDS)}
	for index, row in enumerate(lead_rows(start, count, masters, now=now), start):
		first, last, person, org = (
			row[at["first_name"]],
			row[at["last_name"]],
			row[at["lead_name"]],
			row[at["organization_name"]],
		)
		status = "Do Not Contact" if index % RARE_EVERY == 0 else ERP_STATUS.get(row[at["status"]], "Replied")
		phone = LANDLINE[CITY_COUNTRY[row[at["city"]]]](index) if index % 5 < 2 else None
		yield (
			f"CRM-LEAD-BENCH-{index:07d}",
			"CRM-LEAD-.YYYY.-",
			first,
			last,
			person,
			org,
			org,
			row[at["email"]],
			row[at["mobile_no"]],
			phone,
			status,
			ERP_QUALIFICATION.get(status, "Unqualified"),
			ERP_SOURCES[index % len(ERP_SOURCES)],
			row[at["lead_owner"]],
			ERP_TERRITORIES[index % len(ERP_TERRITORIES)],
			ERP_INDUSTRIES[index % len(ERP_INDUSTRIES)],
			row[at["country"]],
			row[at["city"]],
			row[at["gender"]],
			"Client",
			REQUESTS[index % len(REQUESTS)],
			EMPLOYEES[index % len(EMPLOYEES)],
			JOB_TITLES[index % len(JOB_TITLES)],
			row[at["email_opt_out"]],
			row[at["creation"]],
			row[at["modified"]],
			row[at["owner"]],
			row[at["modified_by"]],
			0,
			0,
		)


def ensure_erpnext_masters() -> None:
	"""The few ERPNext masters seeded leads link to (a site fresh from install-app has none of them)."""
	for source in ERP_SOURCES:
		if not frappe.db.exists("Lead Source", source):
			frappe.get_doc({"doctype": "Lead Source", "source_name": source}).insert(ignore_permissions=True)
	for industry in ERP_INDUSTRIES:
		if not frappe.db.exists("Industry Type", industry):
			frappe.get_doc({"doctype": "Industry Type", "industry": industry}).insert(ignore_permissions=True)
	if not frappe.db.exists("Territory", "All Territories"):
		frappe.get_doc({"doctype": "Territory", "territory_name": "All Territories", "is_group": 1}).insert(
			ignore_permissions=True
		)
	for territory in ERP_TERRITORIES:
		if not frappe.db.exists("Territory", territory):
			frappe.get_doc(
				{"doctype": "Territory", "territory_name": territory, "parent_territory": "All Territories"}
			).insert(ignore_permissions=True)
	frappe.db.commit()


def seed_erpnext_leads(target: int, masters: DemoMasters) -> tuple[int, float]:
	from frappe.utils import now_datetime

	from crm_app.demo import bulk_load, index_chunks

	ensure_erpnext_masters()
	existing = frappe.db.count("Lead", {"name": ("like", "CRM-LEAD-BENCH-%")})
	start = time.perf_counter()
	if existing >= target:
		return 0, 0.0
	now = now_datetime()
	inserted = bulk_load(
		"Lead",
		ERP_LEAD_FIELDS,
		(
			erpnext_lead_rows(first, count, masters, now=now)
			for first, count in index_chunks(existing + 1, target)
		),
	)
	return inserted, time.perf_counter() - start


ASSIGN_EVERY = 100  # one lead in a hundred is assigned to a rep other than its owner


def seed_assignments(total_leads: int) -> int:
	"""Open ToDos as Assignment Rules leave them: one lead in ASSIGN_EVERY assigned to the next demo rep,
	so each rep is assigned about total/ASSIGN_EVERY/5 leads of colleagues. Idempotent (fixed names)."""
	from crm_app.demo import DEMO_USERS, bulk_load, index_chunks

	fields = (
		"name",
		"status",
		"priority",
		"date",
		"allocated_to",
		"description",
		"reference_type",
		"reference_name",
		"assigned_by",
		"owner",
		"modified_by",
		"creation",
		"modified",
		"docstatus",
		"idx",
	)
	existing = frappe.db.count("ToDo", {"name": ("like", "CX-BENCH-TODO-%")})
	wanted = total_leads // ASSIGN_EVERY
	if existing >= wanted:
		return 0
	now = frappe.utils.now_datetime()

	def rows(first, count):
		for index in range(first, first + count):
			lead = index * ASSIGN_EVERY
			user = DEMO_USERS[index % len(DEMO_USERS)]
			yield (
				f"CX-BENCH-TODO-{index:07d}",
				"Open",
				"Medium",
				now.date(),
				user,
				"bench assignment",
				"CX Lead",
				f"CX-LEAD-DEMO-{lead:07d}",
				"Administrator",
				"Administrator",
				"Administrator",
				now,
				now,
				0,
				0,
			)

	return bulk_load(
		"ToDo", fields, (rows(first, count) for first, count in index_chunks(existing + 1, wanted))
	)


def timed_pair(
	first: Callable, second: Callable, budget: float = 3.0, most: int = 1000
) -> tuple[float, float]:
	"""Median milliseconds of two callables, run alternately (so that load from elsewhere on the machine
	falls on both alike) after one warm-up each, for up to `most` rounds or `budget` seconds (5 at least)."""
	first(), second()
	samples: tuple[list[float], list[float]] = ([], [])
	deadline = time.perf_counter() + budget
	while len(samples[0]) < most and (len(samples[0]) < 5 or time.perf_counter() < deadline):
		for fn, times in ((first, samples[0]), (second, samples[1])):
			start = time.perf_counter()
			fn()
			times.append((time.perf_counter() - start) * 1000)
	return statistics.median(samples[0]), statistics.median(samples[1])


def statements(fn: Callable) -> list[str]:
	"""The SQL statements `fn` sends through frappe.db.sql, as sent (values in place)."""
	db = frappe.db
	original = db.sql
	sent: list[str] = []

	def spy(*args, **kwargs):
		result = original(*args, **kwargs)
		sent.append(db.last_query)
		return result

	db.sql = spy
	try:
		fn()
	finally:
		del db.sql
	return sent


def orm_and_raw(fn: Callable, label: str = "") -> tuple[float, float]:
	"""(ORM ms, raw SQL ms): `fn` itself, and the statements it sends replayed through frappe.db.sql."""
	fn()  # warm caches, so that only the per-call statements are captured
	sent = statements(fn)
	assert all(q.lstrip().lower().startswith(("select", "with")) for q in sent), sent
	if SHOW_SQL:
		print(f"-- {label}:", *sent, sep="\n", end="\n\n")
	if SHOW_PLANS:
		for query in sent:
			plan = frappe.db.sql("explain " + query, as_dict=True)
			print(f"-- plan, {label}:")
			for step in plan:
				print(
					f"   {step.get('table')}: {step.get('type')} key={step.get('key')} "
					f"rows={step.get('rows')} {step.get('Extra') or ''}"
				)

	def raw():
		for query in sent:
			frappe.db.sql(query, as_dict=True)

	return timed_pair(fn, raw)


def orm_insert_rate(doctype: str, make: Callable[[int], dict], n: int) -> float:
	with no_gravatar_lookups():
		start = time.perf_counter()
		for i in range(n):
			frappe.get_doc({"doctype": doctype, **make(i)}).insert()
		rate = n / (time.perf_counter() - start)
	frappe.db.rollback()
	return rate


@contextmanager
def no_gravatar_lookups() -> Iterator[None]:
	"""ERPNext's Lead (and the Contact it creates) ask gravatar.com for a picture of every new email address:
	one HTTPS request per insert, which measures the network, not the database (offline, a DNS timeout
	every few inserts). Stubbed out while inserting; CX Lead makes no such request."""
	import importlib

	patched = []
	for module_name in ("erpnext.crm.doctype.lead.lead", "frappe.contacts.doctype.contact.contact"):
		try:
			module = importlib.import_module(module_name)
		except ImportError:
			continue
		if hasattr(module, "has_gravatar"):
			patched.append((module, module.has_gravatar))
			module.has_gravatar = lambda email: ""
	try:
		yield
	finally:
		for module, original in patched:
			module.has_gravatar = original


def list_page(doctype: str, status: str) -> Callable:
	args = dict(
		filters={"status": status},
		fields=["name", "lead_name", "status"],
		order_by="modified desc",
		limit_page_length=20,
	)
	return lambda: frappe.get_list(doctype, **args)


def count(doctype: str, status: str) -> Callable:
	"""The list view's count ("20 of 81,234"): get_list with count(*), so permissions apply."""
	args = dict(filters={"status": status}, fields=["count(*) as count"], as_list=True)
	return lambda: frappe.get_list(doctype, **args)


def measure(spec: dict, restricted: Callable) -> dict[str, tuple[float, float]]:
	"""Every figure for Administrator and for the restricted sales user."""
	from frappe.desk.search import search_link

	doctype = spec["doctype"]
	figures = {}
	with restricted():
		for user, label in (("Administrator", "Administrator"), (RESTRICTED_USER, "restricted user")):
			frappe.set_user(user)
			for kind in ("common", "rare"):
				figure = f"list {kind} status, {label}"
				figures[figure] = orm_and_raw(list_page(doctype, spec[kind]), f"{doctype}, {figure}")
			figure = f'search_link "{SEARCH_TEXT}", {label}'
			figures[figure] = orm_and_raw(lambda: search_link(doctype, SEARCH_TEXT), f"{doctype}, {figure}")
			figure = f"count common status, {label}"
			figures[figure] = orm_and_raw(count(doctype, spec["common"]), f"{doctype}, {figure}")
		frappe.set_user("Administrator")
	return figures


@contextmanager
def restricted_cx() -> Iterator[None]:
	"""CX Settings > Restrict Sales Users on, then back to what it was."""
	before = frappe.db.get_single_value("CX Settings", "restrict_sales_users")
	frappe.db.set_single_value("CX Settings", "restrict_sales_users", 1)
	frappe.db.commit()
	try:
		yield
	finally:
		frappe.set_user("Administrator")
		frappe.db.set_single_value("CX Settings", "restrict_sales_users", before)
		frappe.db.commit()


@contextmanager
def restricted_erpnext() -> Iterator[None]:
	"""A User Permission limiting the sales user's ERPNext Leads to their own (lead_owner), then removed."""
	permission = frappe.get_doc(
		{
			"doctype": "User Permission",
			"user": RESTRICTED_USER,
			"allow": "User",
			"for_value": RESTRICTED_USER,
			"apply_to_all_doctypes": 0,
			"applicable_for": "Lead",
		}
	).insert(ignore_permissions=True)
	frappe.db.commit()
	frappe.clear_cache(user=RESTRICTED_USER)
	try:
		yield
	finally:
		frappe.set_user("Administrator")
		frappe.delete_doc("User Permission", permission.name, ignore_permissions=True)
		frappe.db.commit()
		frappe.clear_cache(user=RESTRICTED_USER)


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--leads", type=int, default=100_000, help="CX Leads (and ERPNext Leads) wanted")
	parser.add_argument("--orm-sample", type=int, default=200, help="documents inserted through the ORM")
	parser.add_argument("--show-sql", action="store_true", help="print the statements each figure replays")
	parser.add_argument("--plans", action="store_true", help="print MariaDB's plan of each statement")
	args = parser.parse_args()
	global SHOW_SQL, SHOW_PLANS
	SHOW_SQL, SHOW_PLANS = args.show_sql, args.plans
	site = os.environ["CRM_APP_SITE"]
	os.chdir(Path(os.environ.get("CRM_APP_BENCH", Path.home() / "frappe-bench")) / "sites")
	frappe.init(site=site, sites_path=".")
	frappe.connect()
	frappe.set_user("Administrator")

	from crm_app.demo import create_demo_data, ensure_masters

	erpnext = "erpnext" in frappe.get_installed_apps()
	specs = [CX, ERP] if erpnext else [CX]
	seeded = {}
	start = time.perf_counter()
	result = create_demo_data(leads=args.leads, records=50, force=True, quiet=True)
	seeded["CX Lead"] = (result["leads_inserted"], time.perf_counter() - start)
	if erpnext:
		seeded["Lead"] = seed_erpnext_leads(args.leads, ensure_masters())

	seeded["assignments"] = seed_assignments(args.leads)
	from crm_app.permissions import refresh_all_assignees

	refresh_all_assignees("CX Lead")  # the bulk load wrote ToDos without their hooks
	frappe.db.commit()
	rows = {spec["doctype"]: frappe.db.count(spec["doctype"]) for spec in specs}
	inserts = {
		"CX Lead": orm_insert_rate(
			"CX Lead",
			lambda i: {"first_name": "Bench", "last_name": f"Mark {i}", "email": f"bm{i}@example.com"},
			args.orm_sample,
		)
	}
	if erpnext:
		inserts["Lead"] = orm_insert_rate(
			"Lead",
			lambda i: {
				"first_name": "Bench",
				"last_name": f"Mark {i}",
				"email_id": f"bm{i}@example.com",
				"company_name": "Benchmark Labs",
			},
			args.orm_sample,
		)
	figures = {CX["doctype"]: measure(CX, restricted_cx)}
	if erpnext:
		figures[ERP["doctype"]] = measure(ERP, restricted_erpnext)
	frappe.destroy()
	report(specs, rows, seeded, inserts, figures, args.orm_sample)


def report(specs, rows, seeded, inserts, figures, sample) -> None:
	names = [spec["doctype"] for spec in specs]
	head = "".join(f" | {name + (' (crm_app)' if name == 'CX Lead' else ' (ERPNext)'):^33}" for name in names)
	print(f"{'':38}{head}")
	print(f"{'figure (ms unless stated)':38}" + " | ORM ms    raw SQL  ratio   +ms" * len(names))
	print("-" * (38 + 36 * len(names)))
	print(f"{'rows in table':38}" + "".join(f" | {rows[n]:>33,}" for n in names))
	line = ""
	for name in names:
		count, seconds = seeded[name]
		line += f" | {'bulk seed ' + f'{count:,} in {seconds:.1f} s' if count else 'already seeded':>33}"
	print(f"{'seeding (bulk load)':38}{line}")
	print(
		f"{f'ORM insert, rows/s ({sample}, rolled back)':38}"
		+ "".join(f" | {inserts[n]:>8.1f} rows/s{'':18}" for n in names)
	)
	for figure in figures[names[0]]:
		line = ""
		for name in names:
			orm, raw = figures[name][figure]
			line += f" | {orm:7.2f}  {raw:8.2f}  {orm / raw:5.2f} {orm - raw:+6.2f}"
		print(f"{figure:38}{line}")
	if len(names) == 2:
		print("\nCX Lead against ERPNext's Lead (ORM ms, lower is better):")
		for figure in figures[names[0]]:
			cx, erp = figures[names[0]][figure][0], figures[names[1]][figure][0]
			print(f"  {figure:36} {cx:8.2f} vs {erp:8.2f}  ratio {cx / erp:5.2f}")
	cx = figures[names[0]]
	rare_ratio = cx["list rare status, restricted user"][0] / cx["list rare status, Administrator"][0]
	print(f"CX Lead rare-status list, restricted user / Administrator: {rare_ratio:.2f}")
	statuses = "; ".join(
		f"{spec['doctype']}: common {spec['common']!r}, rare {spec['rare']!r}" for spec in specs
	)
	print(f"\nstatuses: {statuses}. +ms = ORM minus raw SQL, the ORM's own time per call.")
	print("ORM inserts ran without gravatar.com lookups (ERPNext's Lead and Contact make one per insert).")


if __name__ == "__main__":
	main()
