"""Demo data: a few hundred of each record for trying the desk, or up to millions of leads for benchmarks.

Idempotent: demo leads have fixed names (CX-LEAD-DEMO-0000001 ...), so a second run only tops up. Those
names are outside the lead naming series (CX-LEAD-.YYYY.-), so the series counter in tabSeries is neither
used nor needed: leads created later through the desk or the API can never collide with demo leads.
Leads go in with `bulk_load` (LOAD DATA LOCAL INFILE, a million rows in well under a minute); customers,
contacts and opportunities come from real lead conversions so that they are consistent with everything
the app validates.
"""

import itertools
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

import frappe
import pymysql
from frappe import _
from frappe.utils import add_days, add_to_date, getdate, now_datetime, nowdate

from crm_app.core.demo import (
	GENDERS,
	LEAD_FIELDS,
	DemoMasters,
	Flavour,
	demo_address,
	get_flavour,
	lead_rows,
	tsv_chunk,
)
from crm_app.cx_insights.figures import reconcile
from crm_app.exceptions import DemoDataRefusedError
from crm_app.money import exchange_rate, reporting_currency
from crm_app.utils import ACTIVE_LEAD_STATUSES

DEMO_USERS = tuple(f"demo.sales{i}@example.com" for i in range(1, 6))
DEMO_CAMPAIGNS = ("Spring Webinar", "Trade Fair Berlin", "Newsletter Q3", "Partner Referral", "Search Ads")
DEMO_TERRITORIES = ("Europe", "Asia", "Americas", "Middle East")
# The English words of the `en` demo (a flavour has its own, crm_app/core/demo.py).
ISSUE_SUBJECTS = (
	"Cannot log in",
	"Invoice amount looks wrong",
	"How do I export my data?",
	"Delivery delayed",
	"Feature request: dark mode",
)
CALL_SUMMARIES = ("Discovery call", "Pricing questions", "Follow-up on the demo")
MEETING_SUBJECT = "Product demo"
CHUNK = 100_000  # rows per statement and commit when topping up a table that has rows
# Server or client refuses LOAD DATA LOCAL (MariaDB, MySQL 8, MySQL's "disabled" variant).
LOCAL_INFILE_REFUSED = {1148, 3948, 4166}


def create_demo_data(
	leads: int = 300,
	records: int = 100,
	force: bool = False,
	quiet: bool = False,
	currencies: Sequence[str] = (),
	flavour: str = "en",
) -> dict:
	"""Fill the site with `leads` demo leads and about `records` customers, opportunities and issues.

	Opportunities are in the reporting currency, or spread over `currencies` (a multi-currency demo:
	each deal converts at the exchange rate it carries). The loaded leads are scored at once, and the
	desk's tallies catch up with the bulk load, so the workspace is right from the first visit.

	`flavour` (en, ru, uk, pl) gives the new records a country: people, organisations, cities, phone
	numbers, campaigns, issues and calls of Russia, Ukraine or Poland (crm_app/core/demo.py), each lead's
	country and each new customer's address in that country; `en` is the international English mix. A
	second run tops up with its own flavour: the records there already stay as they are."""
	if not (frappe.conf.developer_mode or force):
		frappe.throw(
			_("Demo data is only added to a site in developer mode. Use --force to add it anyway."),
			DemoDataRefusedError,
		)
	unknown = [code for code in currencies if not frappe.db.exists("Currency", code)]
	if unknown:
		frappe.throw(_("Unknown currency: {0}").format(", ".join(unknown)), DemoDataRefusedError)
	local = get_flavour(flavour)
	say = (lambda *_a: None) if quiet else print
	masters = ensure_masters(local)
	started = time.perf_counter()
	inserted = insert_leads(leads, masters, say, flavour)
	say(f"leads: {inserted} inserted in {time.perf_counter() - started:.1f}s")
	with speaking(local.code if local else None):  # what the server words itself (a deal's title)
		converted = convert_leads(min(records, leads), currencies, local)
		issues = create_issues(records, local)
		log_activities(records, local)
	frappe.db.commit()
	scored = score_leads(say)
	reconcile(["CX Lead", "CX Opportunity", "CX Issue"])
	return {
		"leads_inserted": inserted,
		"customers_created": converted,
		"issues_created": issues,
		"leads_scored": scored,
	}


@contextmanager
def speaking(language: str | None):
	"""Frappe's messages in `language` (None: unchanged) for the block."""
	previous = getattr(frappe.local, "lang", None)
	frappe.local.lang = language or previous
	try:
		yield
	finally:
		frappe.local.lang = previous


def score_leads(say: Callable[..., None]) -> int:
	"""The bulk rescore, run here rather than waiting for the night: bulk-loaded leads have no score."""
	from crm_app.scoring import rescore_all_leads

	started = time.perf_counter()
	scored = rescore_all_leads() or 0
	say(f"leads: {scored} scores written in {time.perf_counter() - started:.1f}s")
	return scored


def ensure_masters(flavour: Flavour | None = None) -> DemoMasters:
	"""The users, genders, campaigns and territories demo records link to (created once), and the values
	lead rows pick from; `flavour`'s own campaigns and country instead of the English mix's."""
	for email in DEMO_USERS:
		if not frappe.db.exists("User", email):
			first = email.split("@")[0].replace(".", " ").title()
			user = frappe.get_doc(
				{"doctype": "User", "email": email, "first_name": first, "send_welcome_email": 0}
			)
			user.append("roles", {"role": "Sales User"})
			user.insert(ignore_permissions=True)
	for gender in GENDERS:  # the setup wizard creates these; a bare site may not have them yet
		if not frappe.db.exists("Gender", gender):
			frappe.get_doc({"doctype": "Gender", "gender": gender}).insert(ignore_permissions=True)
	campaigns = flavour.campaigns if flavour else DEMO_CAMPAIGNS
	for campaign in campaigns:
		if not frappe.db.exists("CX Campaign", campaign):
			frappe.get_doc(
				{"doctype": "CX Campaign", "campaign_name": campaign, "status": "Active", "budget": 5000}
			).insert(ignore_permissions=True)
	if flavour:
		ensure_address_template(masters_country(flavour))
	for territory in DEMO_TERRITORIES:
		if not frappe.db.exists("CX Territory", territory):
			frappe.get_doc(
				{
					"doctype": "CX Territory",
					"territory_name": territory,
					"parent_cx_territory": "All Territories",
				}
			).insert(ignore_permissions=True)
	countries = dict(
		frappe.get_all(
			"Country",
			filters={
				"code": ("in", [flavour.country.lower()] if flavour else ["gb", "de", "in", "us", "fr", "ae"])
			},
			fields=["code", "name"],
			as_list=True,
		)
	)
	return DemoMasters(
		owners=DEMO_USERS,
		sources=frappe.get_all("CX Lead Source", pluck="name"),
		territories=list(DEMO_TERRITORIES),
		industries=frappe.get_all("CX Industry", pluck="name"),
		campaigns=campaigns,
		countries={code.upper(): name for code, name in countries.items()},
	)


def insert_leads(target: int, masters: DemoMasters, say: Callable[..., None], flavour: str = "en") -> int:
	existing = frappe.db.count("CX Lead", {"name": ("like", "CX-LEAD-DEMO-%")})
	if existing >= target:
		return 0
	now = now_datetime()
	return bulk_load(
		"CX Lead",
		LEAD_FIELDS,
		(
			lead_rows(first, count, masters, now=now, flavour=flavour)
			for first, count in index_chunks(existing + 1, target)
		),
		say=say if target - existing > CHUNK else None,
		total=target - existing,
	)


def index_chunks(first: int, last: int, size: int = CHUNK) -> Iterator[tuple[int, int]]:
	"""(start, count) pairs that cover the indexes first..last (inclusive) in runs of at most `size`."""
	for start in range(first, last + 1, size):
		yield start, min(size, last - start + 1)


def bulk_load(
	doctype: str,
	fields: Sequence[str],
	chunks: Iterable[Iterable[tuple]],
	say: Callable[..., None] | None = None,
	total: int | None = None,
) -> int:
	"""Insert rows (tuples in `fields` order) into the doctype's table fast; return the rows inserted.

	Bypasses the ORM (no validation, hooks or version log): only for generated data that is valid by
	construction. Rows whose name exists are skipped. Rows stream through a pipe into LOAD DATA LOCAL
	INFILE on a dedicated connection while a worker thread renders them. Into an empty table all rows go in
	one statement with unique and foreign key checks off, which lets MariaDB build the indexes by sorting
	once instead of row by row; into a table that has rows, each chunk is a statement of its own and is
	committed on its own. Where the server does not allow local files, multi-row parameterised INSERTs do
	the same job, two to three times more slowly.
	"""
	columns = set(frappe.db.get_table_columns(doctype))
	unknown = [field for field in fields if field not in columns]
	if unknown:
		raise ValueError(f"{doctype} has no column(s) {', '.join(unknown)}")
	frappe.db.commit()  # the loader's connection must see what this one wrote (masters)
	if frappe.db.db_type != "mariadb":
		return _insert_through_frappe(doctype, fields, chunks)

	table = frappe.qb.DocType(doctype)
	column_list = "(" + ", ".join(frappe.qb.Field(field).get_sql(quote_char="`") for field in fields) + ")"
	# Identifiers come from the table's own column list (checked above) and are quoted by the query
	# builder; the only value, the file path, is a parameter.
	load_sql = " ".join(
		(
			"LOAD DATA LOCAL INFILE %s IGNORE INTO TABLE",
			table.get_sql(quote_char="`"),
			"CHARACTER SET utf8mb4",
			column_list,
		)
	)
	insert_sql = " ".join(
		(
			"INSERT IGNORE INTO",
			table.get_sql(quote_char="`"),
			column_list,
			"VALUES (" + ", ".join(["%s"] * len(fields)) + ")",
		)
	)
	done = 0

	def progress(count: int) -> None:
		nonlocal done
		done += count
		if say and (done % CHUNK < count or done == total):
			say(f"  {done:,} / {total or done:,} rows of {doctype}")

	connection = loader_connection()
	inserted = 0
	try:
		with connection.cursor() as cursor, tempfile.TemporaryDirectory(prefix="crm-app-load-") as folder:
			empty = not cursor.execute(frappe.qb.from_(table).select(table.name).limit(1).get_sql())
			allowed = local_files_allowed(cursor, load_sql, folder)
			connection.commit()  # a fresh transaction: MariaDB's bulk path needs the table untouched in it
			if not allowed:
				for rows in chunks:
					rows = list(rows)
					for start in range(0, len(rows), 5_000):
						inserted += cursor.executemany(insert_sql, rows[start : start + 5_000]) or 0
					connection.commit()
					progress(len(rows))
				return inserted
			if empty:
				cursor.execute("SET SESSION unique_checks = 0, foreign_key_checks = 0")
				chunks = [itertools.chain.from_iterable(chunks)]
			pipe = os.path.join(folder, "rows.tsv")
			os.mkfifo(pipe, 0o600)
			with ThreadPoolExecutor(1, thread_name_prefix="crm-app-load") as worker:
				for rows in chunks:
					inserted += stream_into(cursor, load_sql, pipe, rows, worker, progress)
					connection.commit()
	finally:
		connection.close()
	return inserted


def stream_into(
	cursor: pymysql.cursors.Cursor,
	load_sql: str,
	pipe: str,
	rows: Iterable[tuple],
	worker: ThreadPoolExecutor,
	progress: Callable[[int], None],
) -> int:
	"""Run `load_sql` on the named pipe while the worker writes `rows` into it; return the rows loaded."""
	cancelled = threading.Event()

	def write() -> None:
		with open(pipe, "wb") as file:  # waits until the server asks the client for the file
			iterator = iter(rows)
			while not cancelled.is_set():
				batch = list(itertools.islice(iterator, 10_000))
				if not batch:
					return
				text, count = tsv_chunk(batch)
				file.write(text)
				progress(count)

	writing = worker.submit(write)
	try:
		loaded = cursor.execute(load_sql, (pipe,))
	except BaseException:
		cancelled.set()
		unblock(pipe, writing)
		raise
	writing.result()  # a failed writer ends the file early: raise, so the caller never commits
	return loaded


def unblock(pipe: str, writing: Future) -> None:
	"""Open and drain the pipe so that a writer nobody reads from can finish."""
	reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
	try:
		while not writing.done():
			try:
				os.read(reader, 1 << 16)
			except BlockingIOError:
				time.sleep(0.01)
	finally:
		os.close(reader)


def local_files_allowed(cursor: pymysql.cursors.Cursor, load_sql: str, folder: str) -> bool:
	"""Whether LOAD DATA LOCAL works on this server and connection (tried with an empty file)."""
	probe = os.path.join(folder, "probe.tsv")
	open(probe, "wb").close()
	try:
		cursor.execute(load_sql, (probe,))
	except pymysql.err.MySQLError as exc:
		if exc.args[0] in LOCAL_INFILE_REFUSED:
			return False
		raise
	return True


def _insert_through_frappe(doctype: str, fields: Sequence[str], chunks: Iterable[Iterable[tuple]]) -> int:
	done = 0
	for rows in chunks:
		rows = list(rows)
		frappe.db.bulk_insert(doctype, fields, rows, ignore_duplicates=True, chunk_size=10_000)
		frappe.db.commit()
		done += len(rows)
	return done


def loader_connection() -> pymysql.Connection:
	"""A second connection to the site's database, like Frappe's own but allowed to send local files."""
	if hasattr(frappe.db, "get_connection_settings"):
		settings = frappe.db.get_connection_settings()
	else:  # older Frappe v15 releases
		settings = {
			"host": frappe.db.host,
			"port": int(frappe.db.port or 3306),
			"user": frappe.db.user,
			"password": frappe.db.password,
			"database": frappe.db.cur_db_name,
			"charset": "utf8mb4",
			"use_unicode": True,
		}
	return pymysql.connect(**{**settings, "local_infile": True, "autocommit": False})


def convert_leads(target: int, currencies: Sequence[str] = (), flavour: Flavour | None = None) -> int:
	"""Convert demo leads until `target` of them have a customer; each also gets an opportunity, in the
	reporting currency or one of `currencies` (with a made-up rate where no exchange rate is kept), and,
	in a flavour, an office address in its lead's city and country."""
	from crm_app.cx_sales.doctype.cx_lead.conversion import convert_lead

	done = frappe.db.count("CX Lead", {"name": ("like", "CX-LEAD-DEMO-%"), "customer": ("is", "set")})
	if done >= target:
		return 0  # and never ask get_all for limit=0: that means no limit at all
	candidates = frappe.get_all(
		"CX Lead",
		filters={"name": ("like", "CX-LEAD-DEMO-%"), "customer": ("is", "not set"), "status": "Qualified"},
		order_by="name asc",
		limit=target - done,
		pluck="name",
	)
	stages = frappe.get_all("CX Sales Stage", order_by="stage_order asc", pluck="name")
	reasons = frappe.get_all("CX Lost Reason", pluck="name")
	for name in candidates:
		rng = random.Random(name)
		result = convert_lead(
			name,
			create_opportunity=True,
			opportunity_amount=rng.randrange(1_000, 80_000, 250),
			sales_stage=rng.choice(stages),
		)
		if flavour:
			add_demo_address(result["customer"], name, flavour)
		opportunity = frappe.get_doc("CX Opportunity", result["opportunity"])
		opportunity.expected_close_date = add_days(nowdate(), rng.randint(-30, 120))
		if currencies:
			set_demo_currency(opportunity, rng.choice(currencies), rng)
		opportunity.save()
		roll = rng.random()
		if roll < 0.2:
			opportunity.mark_won()
		elif roll < 0.35:
			opportunity.mark_lost(rng.choice(reasons))
	return len(candidates)


def masters_country(flavour: Flavour) -> str:
	return frappe.db.get_value("Country", {"code": flavour.country.lower()}, "name")


def ensure_address_template(country: str) -> None:
	"""Frappe shows an address through its country's template, else the default one; a site that never
	ran ERPNext's setup wizard has neither, and a customer's primary address could not be shown."""
	if frappe.db.exists("Address Template", {"is_default": 1}) or frappe.db.exists(
		"Address Template", country
	):
		return
	from frappe.contacts.doctype.address_template.address_template import get_default_address_template

	frappe.get_doc(
		{"doctype": "Address Template", "country": country, "template": get_default_address_template()}
	).insert(ignore_permissions=True)  # the first template becomes the default


def add_demo_address(customer: str, lead: str, flavour: Flavour) -> None:
	"""The customer's office, in its lead's city and country, as its primary address."""
	city, country = frappe.db.get_value("CX Lead", lead, ["city", "country"])
	doc = frappe.get_doc("CX Customer", customer)
	address = frappe.get_doc(
		{
			"doctype": "Address",
			"address_title": doc.customer_name,
			"address_type": "Office",
			"country": country,
			"is_primary_address": 1,
			"links": [{"link_doctype": "CX Customer", "link_name": customer}],
			**demo_address(flavour, lead, city),
		}
	).insert()
	doc.primary_address = address.name
	doc.save()


def log_activities(records: int, flavour: Flavour | None = None) -> int:
	"""Calls, and for some a meeting held, in the last three weeks on up to `records` open demo leads
	(once): the activity the scoring rules reward, so the demo has Hot and Warm leads beside Cold ones."""
	call = frappe.qb.DocType("CX Call Log")
	logged = frappe.qb.from_(call).select(call.name).where(call.reference_name.like("CX-LEAD-DEMO-%"))
	if logged.limit(1).run():
		return 0
	names = frappe.get_all(
		"CX Lead",
		filters={"name": ("like", "CX-LEAD-DEMO-%"), "status": ("in", ACTIVE_LEAD_STATUSES)},
		order_by="name desc",  # the leads the conversions above did not take
		limit=max(records, 1),
		pluck="name",
	)
	now = now_datetime()
	for name in names:
		rng = random.Random(f"activity {name}")
		frappe.get_doc(
			{
				"doctype": "CX Call Log",
				"reference_doctype": "CX Lead",
				"reference_name": name,
				"direction": rng.choice(["Outgoing", "Incoming"]),
				"outcome": "Connected",
				"call_start": add_to_date(now, days=-rng.randint(0, 20), hours=-rng.randint(1, 8)),
				"duration": rng.randrange(120, 1800, 30),
				"summary": rng.choice(flavour.call_summaries if flavour else CALL_SUMMARIES),
			}
		).insert()
		if rng.random() < 0.6:
			frappe.get_doc(
				{
					"doctype": "Event",
					"subject": flavour.meeting_subject if flavour else MEETING_SUBJECT,
					"event_category": "Meeting",
					"event_type": "Private",
					"starts_on": add_to_date(now, days=-rng.randint(1, 20)),
					"event_participants": [{"reference_doctype": "CX Lead", "reference_docname": name}],
				}
			).insert()
	return len(names)


def set_demo_currency(opportunity, currency: str, rng: random.Random) -> None:
	if currency == reporting_currency():
		return
	opportunity.currency = currency
	found = exchange_rate(currency, reporting_currency(), getdate())
	opportunity.exchange_rate = found[0] if found else round(rng.uniform(0.5, 4.5), 4)


def create_issues(target: int, flavour: Flavour | None = None) -> int:
	existing = frappe.db.count("CX Issue")
	customers = frappe.get_all("CX Customer", fields=["name", "primary_contact"], limit=500)
	if existing >= target or not customers:
		return 0
	subjects = flavour.issue_subjects if flavour else ISSUE_SUBJECTS
	for index in range(existing, target):
		rng = random.Random(index)
		customer = rng.choice(customers)
		issue = frappe.get_doc(
			{
				"doctype": "CX Issue",
				"subject": rng.choice(subjects),
				"customer": customer.name,
				"contact": customer.primary_contact,
				"priority": rng.choice(["Low", "Medium", "High", "Urgent"]),
				"channel": rng.choice(["Email", "Phone", "Web", "Chat"]),
				"issue_type": rng.choice(["Question", "Problem", "Billing"]),
			}
		).insert()
		if rng.random() < 0.5:
			issue.status = rng.choice(["Replied", "Resolved", "Closed"])
			issue.save()
	return target - existing
